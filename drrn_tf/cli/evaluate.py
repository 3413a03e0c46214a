"""``drrn eval``: the paper's PSNR/SSIM (and IFC) table."""

from __future__ import annotations

import os
import time

from drrn_tf.cli.options import add_tiling, check_scale, check_tile, epilog, progress, say_runtime
from drrn_tf.cli.process import interruptible
from drrn_tf.constants import DEFAULT_METRICS, METRICS, SCALES
from drrn_tf.errors import InputError

# metric: (table header, table cell, per-image line)
_COLUMNS = {"psnr": ("PSNR (dB)", "{:.2f}", "{:.2f} dB"), "ssim": ("SSIM", "{:.4f}", "SSIM {:.4f}"), "ifc": ("IFC", "{:.3f}", "IFC {:.3f}")}


_JSON_HELP = (
    "also write the results to OUT as JSON; until then, what is scored is kept in OUT.partial, so that the same command, "
    "run again after an interruption, goes on from there"
)


def _scores(row: dict, metrics: list[str], line: bool = False) -> str:
    return (", " if line else " | ").join(_COLUMNS[m][2 if line else 1].format(row[m]) for m in metrics)


def _format_table(results: list[dict], model_name: str, metrics: list[str]) -> str:
    lines = [
        f"model: {model_name}",
        "| dataset | scale | " + " | ".join(_COLUMNS[m][0] for m in metrics) + " | images |",
        "|---|---|" + "---|" * len(metrics) + "---|",
    ]
    for r in results:
        lines.append(f"| {r['dataset']} | x{r['scale']} | {_scores(r, metrics)} | {r['images']} |")
    return "\n".join(lines)


def eval_scale(text: str) -> float:
    """An evaluation scale from the command line: an int for a whole number, else a float."""
    import argparse

    from drrn_tf.protocol.evaluation import scale_fraction

    try:
        value = float(text)
        scale_fraction(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e) if "fraction" in str(e) else f"not a number: {text[:40]!r}") from None
    return int(value) if value.is_integer() else value


def _scorer(args, degrade):
    """The engine ``args`` name (None: bicubic), how it scores a Y plane or RGB pixels, its table name and the scales to score."""
    from drrn_tf.inference.engines import RgbEngine
    from drrn_tf.inference.ensemble import self_ensemble
    from drrn_tf.nn.loading import BICUBIC, load_engine, resolve_model
    from drrn_tf.nn.predict import predict_y
    from drrn_tf.upscale.image import upscale_pixels

    # The paper-exact reference unless told otherwise; an exported file runs in its own runtime.
    runtime = args.runtime or ("auto" if resolve_model(args.model).exported else "keras")
    engine = load_engine(args.model, runtime, require_trained=True)
    check_tile(engine, args.tile)
    if args.ensemble:
        engine = self_ensemble(engine)
    engine = interruptible(engine)  # Ctrl-C lands at once, not when a tile is done
    if isinstance(engine, RgbEngine):
        if degrade:
            raise InputError(f"{args.model}: --degrade works on the luminance the protocol feeds a network; an end-to-end model takes pixels")
        check_scale(engine, args.scales or [engine.scale], "--scales")
        rgb_upscale = lambda lr, s: upscale_pixels(engine, lr, s)  # noqa: E731
        return engine, None, rgb_upscale, f"{engine.name}, end to end (HR photo shrunk by MATLAB bicubic to uint8 RGB -> the model -> Y)", [engine.scale]
    scales = args.scales or SCALES
    if engine is None:
        return None, None, None, BICUBIC, scales
    predict = lambda y: predict_y(engine, y, window=args.tile, memory_mb=args.memory_mb)  # noqa: E731
    return engine, predict, None, engine.name if engine.runtime == "keras" or "(" in engine.name else f"{engine.name} ({engine.runtime})", scales


def _journal(args, datasets, settings, predict, rgb_upscale, scales):
    """The journal of ``--json OUT`` (``OUT.partial``), with what an interrupted run of the same evaluation scored; ``None`` without --json."""
    from drrn_tf.io.images import list_images
    from drrn_tf.protocol.journal import EvalJournal, probe, set_digest

    if not args.json:
        return None
    settings = {
        **settings,
        "tile": args.tile,
        "memory_mb": args.memory_mb,
        "metrics": list(dict.fromkeys(args.metrics)),
        "scales": scales,
        "sets": [[name, set_digest(list_images(folder))] for name, folder in datasets],
    }
    probed = probe(predict, rgb_upscale, scales[0])  # an end-to-end model at its own scale
    return EvalJournal.open(_partial(args.json), settings, probed, start_over=args.overwrite)


def _partial(out) -> str:
    return f"{out}.partial"


def _evaluate(args, datasets, scales, predict, rgb_upscale, degrade, journal):
    """The protocol's results, each image's scores kept in ``journal`` (if any) as they come: all of
    them if the run is stopped, none of this run's if it ends on bad input."""
    from drrn_tf.inference.cpu import cpu_info
    from drrn_tf.protocol.evaluation import evaluate

    how = {"progress": _progress, "metrics": args.metrics, "rgb_upscale": rgb_upscale, "degrade": degrade}
    if journal is None:
        return evaluate(predict, datasets, scales, **how)
    journal.begin(cpu_info().as_dict())
    outcome = "stopped"
    try:
        return evaluate(predict, datasets, scales, **how, done=journal.done, on_score=journal.add)
    except InputError:
        outcome = "refused"
        raise
    finally:
        journal.close(outcome)


def _progress(jobs):
    return progress(jobs, desc="evaluating", unit="img")


def cmd_eval(args) -> int:
    from drrn_tf.inference.cpu import cpu_info
    from drrn_tf.io.datasets import resolve_dataset
    from drrn_tf.io.files import check_output, write_json_atomic
    from drrn_tf.io.images import list_images
    from drrn_tf.nn.loading import BICUBIC
    from drrn_tf.protocol.degrade import describe_degrade, parse_degrade

    degrade = parse_degrade(args.degrade) if args.degrade is not None else ()
    datasets = [resolve_dataset(d) for d in args.data]
    if args.json:  # never onto an image being scored, the model, a device or (unless asked) an existing file
        inputs = [p for _, folder in datasets for p in list_images(folder)] + ([args.model] if os.path.isfile(args.model) else [])
        check_output(args.json, inputs=inputs, overwrite=args.overwrite)
        check_output(_partial(args.json), inputs=inputs, overwrite=True)
    engine, predict, rgb_upscale, name, scales = _scorer(args, degrade)
    how = {"runtime": engine.runtime if engine is not None else BICUBIC, "ensemble": args.ensemble, "degrade": describe_degrade(degrade)}
    journal = _journal(args, datasets, how, predict, rgb_upscale, scales)
    say_runtime(engine)
    if journal is not None and journal.resumed:
        print(f"drrn: {journal.path}: {journal.scored} image/scale pairs scored by an earlier run of this evaluation; going on from there")
    earlier = sum(run["seconds"] for run in journal.summary()) if journal is not None else 0.0
    started = time.monotonic()
    results = _evaluate(args, datasets, scales, predict, rgb_upscale, degrade, journal)
    seconds = earlier + time.monotonic() - started
    metrics = list(results[0].scores)  # args.metrics without repeats
    rows = [r.as_dict(per_image=args.per_image) for r in results]
    if degrade:
        name += f"; LR degraded: {how['degrade']}"
    print(_format_table(rows, name, metrics))
    if args.per_image:
        for r in results:
            for row in r.per_image:
                print(f"  {r.dataset} x{r.scale} {row['image']}: {_scores(row, metrics, line=True)}")
    if args.json:
        doc = {
            "command": args.command_line,  # as typed
            "model": name,
            "model_spec": str(args.model),
            **how,
            "tile": args.tile,  # None: from --memory-mb (tiled or not, the same scores up to float rounding)
            "seconds": round(seconds, 1),  # the evaluation's wall time (the model's loading excluded), every run of it together
            "cpu": cpu_info().as_dict(),  # this run's; "runs": each run's, when an interrupted evaluation was resumed
            **({"runs": journal.summary()} if journal.resumed else {}),
            "results": rows,
        }
        write_json_atomic(args.json, doc, replace=args.overwrite)
        journal.close("done")
        print(f"wrote {args.json}")
    return 0


def register(sub) -> None:
    """Add ``drrn eval`` to the sub-command parsers ``sub``."""
    from drrn_tf.nn.loading import describe_model_spec
    from drrn_tf.nn.presets import DEFAULT_PRESET

    ev = sub.add_parser(
        "eval",
        help="PSNR/SSIM (and IFC) table in the paper's protocol",
        description="Evaluate on HR image sets exactly as the paper's MATLAB protocol (Y channel, MATLAB bicubic, shave s).",
        **epilog(
            "drrn eval --data set5 set14",
            "drrn eval --model drrn_b1u25 --data set5 --scales 4 --metrics psnr ssim ifc -o b1u25.json",
            "drrn eval --model drrn_b1u9_real --data bsd100 --scales 2 3 --degrade jpeg:75",
            guide=True,
        ),
    )
    ev.add_argument(
        "--model",
        default=DEFAULT_PRESET,
        metavar="MODEL",
        help=f"{describe_model_spec()} (default: {DEFAULT_PRESET})",
    )
    ev.add_argument(
        "--data", nargs="+", required=True, metavar="SET", help="set5, set14, bsd100, urban100, train291 (the folders of that name under $DRRN_DATA) or folders"
    )
    ev.add_argument(
        "--scales",
        nargs="+",
        type=eval_scale,
        metavar="S",
        help="scales: 2 3 4 (the trained ones; default: all, an end-to-end model's own) or any other above 1 that is a fraction "
        "with a denominator up to 8, as 1.5, 2.5 or 8 (the HR image is cropped so that its LR image is whole; the network "
        "runs as drrn upscale runs it there: at the next trained scale, at most 4, then resampled to the HR size)",
    )
    ev.add_argument(
        "--metrics",
        nargs="+",
        choices=METRICS,
        default=list(DEFAULT_METRICS),
        metavar="M",
        help="scores among psnr ssim ifc (default: psnr ssim); ifc is the paper's information fidelity criterion (ifcvec.m)",
    )
    ev.add_argument(
        "--degrade",
        metavar="SPEC",
        help="degrade each LR luminance before its upscale, as real pictures are: jpeg:Q, noise:SIGMA, poisson:PEAK, blur:SIGMA, "
        "or several joined by + (applied left to right, seeded: the same numbers every run), e.g. jpeg:75 or noise:5+jpeg:90",
    )
    ev.add_argument("-o", "--output", "--json", dest="json", metavar="OUT", help=_JSON_HELP)
    ev.add_argument(
        "--overwrite",
        action="store_true",
        help="replace OUT if it exists (never an image or model of the run), and OUT.partial if it is an interrupted evaluation of other settings",
    )
    ev.add_argument("--per-image", action="store_true", help="also print (and store) each image's scores")
    add_tiling(ev, "keras")
    ev.set_defaults(func=cmd_eval)
