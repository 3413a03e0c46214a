"""The ``drrn`` command line: upscale, eval, train, info (+ export and demo from the export package).

User errors (bad files, bad options) print one line ``drrn: error: ...`` and exit 2;
nothing is written when the input is bad.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import shlex
import sys
import warnings
from pathlib import Path

from drrn_tf.constants import DEFAULT_METRICS, MAX_PIXELS, METRICS, RUNTIMES, SCALES
from drrn_tf.errors import DrrnError, InputError

# What the commands refuse, and why: printed by `drrn --help`, and quoted in the README.
REFUSALS = """\
what drrn refuses -- one line on stderr naming the file, exit status 2, nothing written:
  inputs   that are not regular files (a folder, a device, a FIFO, a link loop); not PNG, JPEG,
           TIFF, WebP, BMP or GIF (the format is decided once, from the first bytes, and the file
           is decoded as that format only); truncated or corrupt; whose header claims more than
           --max-pixels; whose pixels (the decoder's peak, or input and output) leave under 96 MiB
           of --memory-mb
  outputs  that are an input of the run (by inode too), a folder, a device, a FIFO or a symbolic
           link; an existing file without --overwrite, also one another run wrote meanwhile (files
           are moved into place only if the name is still free); larger than their format holds
           (JPEG 65,535 pixels a side, WebP 16,383, PNG 1,000,000)
  models   that are not a preset or a .keras, .tflite or .onnx file; .keras archives that unpack to
           more than a model needs, or declare layers of over 4,096 channels; unbuilt models;
           NaN or inf weights (and exports whose output is not finite); graphs declaring over 4 GiB
           of constants; model cards that do not match their file
  configs  unknown keys; wrong types; values out of range (integers bounded by what a run can do,
           a step's activations by this computer's memory); over 1 MiB or nested over 32 deep;
           a resume whose state.json is corrupt
  and a full disk, a read-only folder or a permission error, in the same one line"""


def positive(kind):
    """argparse type: a finite number > 0 of ``kind`` (int or float)."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
        return value

    parse.__name__ = kind.__name__
    return parse


def memory_mb(text: str) -> float:
    """argparse type of --memory-mb: a finite number > 0, at most this computer's memory."""
    from drrn_tf.inference.engines import check_memory_mb

    value = positive(float)(text)
    try:
        return check_memory_mb(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e).replace("memory_mb ", "", 1)) from None


def one_line(text: str, limit: int = 1000) -> str:
    """``text`` as one line: control characters (a newline in a file name, an escape sequence) written
    as escapes, so that no message can split into two or forge another; cut at ``limit`` characters."""
    text = "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text[: limit + 1])
    return text if len(text) <= limit else text[:limit] + "... (cut; --debug shows all)"


class _Parser(argparse.ArgumentParser):
    """argparse with single-line errors."""

    def error(self, message):
        raise InputError(f"{self.prog.split()[-1] if ' ' in self.prog else 'drrn'}: {message}")


def _progress(iterable, total: int | None = None, desc: str = "", unit: str = "it"):
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, leave=False, dynamic_ncols=True)


def _say_runtime(engine) -> None:
    """The line that starts a command which runs a network: which runtime, and why."""
    if engine is not None:
        labels = {
            "keras": "keras (TensorFlow, float32)",
            "keras-bf16": "keras-bf16 (TensorFlow, bfloat16 maths)",
            "litert int8": "litert int8 (LiteRT, XNNPACK)",
        }
        label = labels.get(engine.runtime, engine.runtime)
        print(f"drrn: runtime {label}: {engine.why}", file=sys.stderr, flush=True)


def _check_tile(engine, tile: int | None) -> None:
    from drrn_tf.inference.engines import RgbEngine

    if engine is None or tile is None:
        return
    if isinstance(engine, RgbEngine) or engine.fixed is not None:
        raise InputError(f"--tile {tile}: {engine.name} has a fixed input shape and is tiled at it; leave --tile out")
    halo = engine.halo
    if tile <= 2 * halo:
        raise InputError(f"--tile {tile} is too small: each tile needs {halo} pixels of context on every side, so it must be larger than {2 * halo}")


# ---------------------------------------------------------------- upscale
def cmd_upscale(args) -> int:
    from drrn_tf.inference.engines import tile_memory_mb, upscale_pixel_bytes
    from drrn_tf.nn.loading import load_engine
    from drrn_tf.upscale.image import upscale_pixels
    from drrn_tf.upscale.jobs import plan_upscale, run_upscale

    def fits(path, h):  # the pixels in and out (or the decoder's peak) leave room for tiles
        need = max(upscale_pixel_bytes(h.height, h.width, h.channels, h.itemsize, args.scale), h.decode_bytes)
        tile_memory_mb(args.memory_mb, need, f"{path}: {h.width}x{h.height} upscaled x{args.scale}")

    model_file = [args.model] if os.path.isfile(args.model) else []
    jobs, make_dir = plan_upscale(
        args.inputs, args.output, args.scale, overwrite=args.overwrite, max_pixels=args.max_pixels, check=fits, extra_inputs=model_file
    )
    engine = load_engine(args.model, args.runtime, require_trained=True)
    _check_tile(engine, args.tile)
    _check_scale(engine, [args.scale], "-s")
    if not args.quiet:
        _say_runtime(engine)
    many = len(jobs) > 1
    bar = None if args.quiet or not many else _progress(None, total=len(jobs), desc="upscaling", unit="img")

    def upscale(pixels):
        tiles = (lambda it: it) if args.quiet or many else (lambda it: _progress(it, desc="upscaling", unit="tile"))
        return upscale_pixels(engine, pixels, args.scale, window=args.tile, memory_mb=args.memory_mb, progress=tiles)

    def done(job, shape):
        if not args.quiet:
            print(one_line(f"{job.src} -> {job.dst} ({shape[1]}x{shape[0]})"), flush=True)
        if bar is not None:
            bar.update(1)

    run_upscale(
        jobs,
        make_dir,
        upscale,
        max_pixels=args.max_pixels,
        overwrite=args.overwrite,
        on_done=done,
        note=lambda m: print(f"drrn: note: {one_line(m)}", file=sys.stderr),
    )
    if bar is not None:
        bar.close()
    return 0


# ---------------------------------------------------------------- eval
# metric: (table header, table cell, per-image line)
_COLUMNS = {"psnr": ("PSNR (dB)", "{:.2f}", "{:.2f} dB"), "ssim": ("SSIM", "{:.4f}", "SSIM {:.4f}"), "ifc": ("IFC", "{:.3f}", "IFC {:.3f}")}


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


def _check_scale(engine, scales: list[int], option: str) -> None:
    from drrn_tf.inference.engines import RgbEngine

    if isinstance(engine, RgbEngine) and set(scales) != {engine.scale}:
        raise InputError(f"{engine.name} is an end-to-end x{engine.scale} model; {option} {' '.join(map(str, scales))} asks for other scales")


def cmd_eval(args) -> int:
    from drrn_tf.inference.engines import RgbEngine
    from drrn_tf.io.datasets import resolve_dataset
    from drrn_tf.io.files import check_output, write_json_atomic
    from drrn_tf.io.images import list_images
    from drrn_tf.nn.loading import BICUBIC, load_engine, resolve_model
    from drrn_tf.nn.predict import predict_y
    from drrn_tf.protocol.evaluation import evaluate
    from drrn_tf.upscale.image import upscale_pixels

    datasets = [resolve_dataset(d) for d in args.data]
    if args.json:  # never onto an image being scored, the model, a device or (unless asked) an existing file
        inputs = [p for _, folder in datasets for p in list_images(folder)] + ([args.model] if os.path.isfile(args.model) else [])
        check_output(args.json, inputs=inputs, overwrite=args.overwrite)
    # The paper-exact reference unless told otherwise; an exported file runs in its own runtime.
    runtime = args.runtime or ("auto" if resolve_model(args.model).exported else "keras")
    engine = load_engine(args.model, runtime, require_trained=True)
    _check_tile(engine, args.tile)
    rgb_upscale = predict = None
    if isinstance(engine, RgbEngine):
        _check_scale(engine, args.scales or [engine.scale], "--scales")
        args.scales = [engine.scale]
        rgb_upscale = lambda lr, s: upscale_pixels(engine, lr, s)  # noqa: E731
        name = f"{engine.name}, end to end (HR photo shrunk by MATLAB bicubic to uint8 RGB -> the model -> Y)"
    elif engine is not None:
        predict = lambda y: predict_y(engine, y, window=args.tile, memory_mb=args.memory_mb)  # noqa: E731
        name = engine.name if engine.runtime == "keras" or "(" in engine.name else f"{engine.name} ({engine.runtime})"
    else:
        name = BICUBIC
    _say_runtime(engine)
    results = evaluate(
        predict,
        datasets,
        args.scales or SCALES,
        progress=lambda jobs: _progress(jobs, desc="evaluating", unit="img"),
        metrics=args.metrics,
        rgb_upscale=rgb_upscale,
    )
    metrics = list(results[0].scores)  # args.metrics without repeats
    rows = [r.as_dict(per_image=args.per_image) for r in results]
    print(_format_table(rows, name, metrics))
    if args.per_image:
        for r in results:
            for row in r.per_image:
                print(f"  {r.dataset} x{r.scale} {row['image']}: {_scores(row, metrics, line=True)}")
    if args.json:
        doc = {"model": name, "model_spec": str(args.model), "results": rows}
        write_json_atomic(args.json, doc, replace=args.overwrite)
        print(f"wrote {args.json}")
    return 0


# ---------------------------------------------------------------- info
def human(n: float) -> str:
    """1234567 -> '1.23M'."""
    if n == 0:
        return "0"
    units = ["", "K", "M", "G", "T"]
    k = min(int(math.log10(abs(n)) // 3), len(units) - 1)
    return f"{n / 1000**k:.3g}{units[k]}"


def cmd_info(args) -> int:
    from drrn_tf.nn.loading import open_exported, resolve_model

    ref = resolve_model(args.model)
    if ref.kind == "bicubic":
        raise InputError("bicubic is interpolation, not a network: nothing to describe")
    if ref.exported:
        return _info_exported(open_exported(ref).info(), args.json)
    from drrn_tf.nn.loading import load_model
    from drrn_tf.nn.presets import PRESETS
    from drrn_tf.nn.stats import describe_architecture, model_stats

    model = load_model(ref.spec)
    st = model_stats(model)
    st["macs_288x288"] = st["macs_per_pixel"] * 288 * 288
    if ref.kind == "preset":
        st["trained_weights"] = PRESETS[ref.spec].trained
    if args.json:
        print(json.dumps(st, indent=2))
        return 0
    print(f"model            {st['name']}")
    print(f"architecture     {describe_architecture(st['architecture'])}")
    print(f"parameters       {st['params']:,} ({human(st['params'])})")
    print(f"shared params    {st['shared_params']:,} (reused by every unit of a recursive block)")
    print(f"if unshared      {st['unshared_params']:,}")
    print(f"MACs per pixel   {st['macs_per_pixel']:,} ({human(st['macs_288x288'])} MACs at 288x288)")
    print(f"depth            {st['depth']} convolutions")
    print(f"receptive field  {st['receptive_field']}x{st['receptive_field']} pixels")
    if "trained_weights" in st:
        print(f"trained weights  {'shipped' if st['trained_weights'] else 'none (random initialisation)'}")
    return 0


def _info_exported(info: dict, as_json: bool) -> int:
    if as_json:
        print(json.dumps(info, indent=2))
        return 0

    def shape(t):
        return "x".join("?" if d < 0 else str(d) for d in t["shape"]) + f" {t['dtype']}"

    kind = info["kind"] + (f", x{info['scale']}" if info["scale"] else "")
    print(f"model            {info['name']} ({info['format']}, {human(info['file_size_bytes'])}B)")
    print(f"kind             {kind}: {'LR RGB in, upscaled RGB out' if info['scale'] else 'bicubic-upscaled Y in, restored Y out'}")
    print(f"quantisation     {info['quantization']}; runs in {info['runtime']}")
    print(f"input / output   {shape(info['input'])} -> {shape(info['output'])}" + ("" if info["fixed_shape"] else " (open height and width)"))
    if info["source_model"]:
        print(f"made from        {info['source_model']}")
    print(f"parameters       {info['params']:,} ({human(info['params'])})")
    print(f"MACs per pixel   {info['macs_per_pixel']:,} ({human(info['macs_per_pixel'] * 288 * 288)} MACs at 288x288)")
    rf = info["receptive_field"]
    print(
        f"receptive field  {rf}x{rf} pixels (from its {info['receptive_field_from']})"
        + (f"; tiles overlap by {info['tile_halo_lr']} LR pixels" if info["scale"] else "")
    )
    if info["parity_worst_drop_db"] is not None:
        verdict = "passed" if info["parity_passed"] else "FAILED"
        print(f"parity           worst {info['parity_dataset']} PSNR drop {info['parity_worst_drop_db']:+.3f} dB against its Keras model ({verdict})")
    if info["quality"]:
        q = info["quality"]
        print(f"quality          {q['dataset']} x{q['scale']} Y PSNR {q['psnr']:.2f} dB end to end (bicubic {q['bicubic_psnr']:.2f} dB)")
    print(f"model card       {info['card'] or 'none (facts above are read from the graph)'}")
    return 0


# ---------------------------------------------------------------- train
def cmd_train(args) -> int:
    from drrn_tf.training.config import load_config, parse_override

    overrides = dict(parse_override(t) for t in args.set)
    for key in ("epochs", "steps_per_epoch", "strategy", "mixed_precision", "recipe"):
        value = getattr(args, key)
        if value is not None:
            overrides[key] = value
    if args.resume:
        extra = set(overrides) - {"epochs"}
        if args.config or extra:
            raise InputError("--resume continues a run with its saved config; only --epochs may change")
    cfg = load_config(args.config, overrides)
    _split_cpu_for_tests()
    from drrn_tf.training.trainer import train

    result = train(cfg, Path(args.output), resume=args.resume, progress=lambda it: _progress(it, desc="images", unit="img"))
    best = result.get("best_val_psnr")
    print(f"finished epoch {result['epoch']} (step {result['step']}); final model: {result['model']}")
    if best is not None:
        print(f"best validation PSNR {best:.2f} dB at epoch {result['best_epoch']}: {Path(args.output) / 'checkpoints' / 'best.keras'}")
    return 0


# ---------------------------------------------------------------- parser
def epilog(*examples: str, guide: bool = False) -> dict:
    """``add_parser`` keywords for a sub-command's epilog: the "which model" guide where a model is
    chosen, then examples (every sub-command has two or three)."""
    text = "examples:\n" + "\n".join(f"  {e}" for e in examples)
    if guide:
        from drrn_tf.nn.presets import choice_guide

        text = choice_guide() + "\n\n" + text
    return {"epilog": text, "formatter_class": argparse.RawDescriptionHelpFormatter}


def build_parser() -> argparse.ArgumentParser:
    from drrn_tf.inference.engines import DEFAULT_MEMORY_MB
    from drrn_tf.nn.loading import describe_model_spec
    from drrn_tf.nn.presets import DEFAULT_PRESET
    from drrn_tf.training.config import CHOICES

    p = _Parser(
        prog="drrn",
        description="DRRN super-resolution (Tai et al., CVPR 2017) in TensorFlow/Keras.",
        epilog=REFUSALS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--debug", action="store_true", help="show the full traceback behind an error (also DRRN_DEBUG=1)")
    from drrn_tf import __version__

    p.add_argument("--version", action="version", version=f"drrn-tf {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def add_tiling(sp, runtime):
        sp.add_argument("--tile", type=positive(int), default=None, metavar="PX", help="tile side in output pixels (default: from --memory-mb)")
        sp.add_argument(
            "--memory-mb",
            type=memory_mb,
            default=DEFAULT_MEMORY_MB,
            metavar="MB",
            help=f"memory for a picture, in MiB (default {DEFAULT_MEMORY_MB:.0f}): its input and output pixels (or the decoder's peak), "
            "64 of slack, and tiles with what is left (at most 1024); a picture whose pixels leave under 96 is refused before it is decoded",
        )
        sp.add_argument(
            "--runtime",
            choices=RUNTIMES,
            default=None if runtime == "keras" else runtime,
            help=f"(default {runtime}) auto: the fastest runtime whose quality passes the parity gate -- for a trained preset its "
            "full-int8 LiteRT export, which ships in the package (needs the export extra), else keras; keras: TensorFlow float32, "
            "the paper-exact reference; keras-bf16: Keras with bfloat16 maths (for CPUs with AMX); litert: the full-int8 LiteRT export (for a .keras file made, parity-checked and cached "
            "on first use, in DRRN_CACHE, else ~/.cache/drrn-tf). An exported .tflite/.onnx runs in its own runtime",
        )

    up = sub.add_parser(
        "upscale",
        help="upscale images by 2, 3 or 4",
        description="Upscale images: Y through the network, Cb/Cr and alpha bicubic; EXIF orientation applied. "
        "The first line says which runtime runs the model, and why.",
        **epilog(
            "drrn upscale photo.jpg -s 3 -o photo_x3.png",
            "drrn upscale holiday/ -s 2 -o holiday_x2/ --model mine.tflite",
            "drrn upscale scan.tif -s 2 -o scan_x2.tif --model drrn_b1u9_f32 --memory-mb 256",
            guide=True,
        ),
    )
    up.add_argument("inputs", nargs="+", metavar="IN", help="input images, or folders (every file inside, sorted; each must be an image)")
    up.add_argument("-s", "--scale", type=int, choices=SCALES, required=True, help="upscaling factor")
    up.add_argument("-o", "--output", required=True, metavar="OUT", help="output image (one input) or folder (several inputs; names get _x{s})")
    up.add_argument("--model", default=DEFAULT_PRESET, metavar="MODEL", help=f"{describe_model_spec()} (default: {DEFAULT_PRESET})")
    add_tiling(up, "auto")
    up.add_argument(
        "--max-pixels",
        type=positive(int),
        default=MAX_PIXELS,
        metavar="N",
        help=f"refuse inputs whose header claims more pixels, before decoding (default {MAX_PIXELS:,})",
    )
    up.add_argument("--overwrite", action="store_true", help="replace outputs that already exist (never an input)")
    up.add_argument("--quiet", action="store_true", help="no progress bars, no per-image lines and no runtime line")
    up.set_defaults(func=cmd_upscale)

    ev = sub.add_parser(
        "eval",
        help="PSNR/SSIM (and IFC) table in the paper's protocol",
        description="Evaluate on HR image sets exactly as the paper's MATLAB protocol (Y channel, MATLAB bicubic, shave s).",
        **epilog(
            "drrn eval --data set5 set14",
            "drrn eval --model drrn_b1u25 --data set5 --scales 4 --metrics psnr ssim ifc -o b1u25.json",
            "drrn eval --model drrn_b1u9_int8.tflite --data set5 set14 --per-image",
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
    ev.add_argument("--scales", nargs="+", type=int, choices=SCALES, metavar="S", help="scales among 2 3 4 (default: all; an end-to-end model's own)")
    ev.add_argument(
        "--metrics",
        nargs="+",
        choices=METRICS,
        default=list(DEFAULT_METRICS),
        metavar="M",
        help="scores among psnr ssim ifc (default: psnr ssim); ifc is the paper's information fidelity criterion (ifcvec.m)",
    )
    ev.add_argument("-o", "--output", "--json", dest="json", metavar="OUT", help="also write the results to OUT as JSON")
    ev.add_argument("--overwrite", action="store_true", help="replace OUT if it exists (never an image or model of the run)")
    ev.add_argument("--per-image", action="store_true", help="also print (and store) each image's scores")
    add_tiling(ev, "keras")
    ev.set_defaults(func=cmd_eval)

    tr = sub.add_parser(
        "train",
        help="train DRRN with model.fit",
        description="Train DRRN with model.fit on tf.data patches (the paper's recipe by default). See drrn_tf/config.py for every key.",
        **epilog(
            "drrn train --config recipes/drrn_b1u9_f32.yaml -o runs/f32",
            "drrn train --recipe modern --set filters=32 --epochs 5 -o runs/try",
            "drrn train -o runs/f32 --resume",
        ),
    )
    tr.add_argument("--config", metavar="FILE", help="YAML or JSON config (keys of drrn_tf.training.config.TrainConfig)")
    tr.add_argument("-o", "--output", "--out", dest="output", required=True, metavar="RUN", help="run folder (checkpoints, logs, final model.keras)")
    tr.add_argument("--resume", action="store_true", help="continue the run in --output from its last checkpoint")
    tr.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key (repeatable)")
    tr.add_argument("--recipe", choices=CHOICES["recipe"], help="paper (SGD, Euclidean loss, step lr) or modern (Adam, L1, cosine)")
    tr.add_argument("--epochs", type=int, help="number of epochs")
    tr.add_argument("--steps-per-epoch", type=int, help="steps per epoch (paper: 6536)")
    tr.add_argument("--strategy", choices=CHOICES["strategy"], help="tf.distribute strategy")
    tr.add_argument("--mixed-precision", choices=CHOICES["mixed_precision"], help="bf16: mixed_bfloat16 policy")
    tr.set_defaults(func=cmd_train)

    inf = sub.add_parser(
        "info",
        help="parameters, MACs per pixel, depth",
        description="Describe a model: parameters, weight sharing, MACs per output pixel, depth, receptive field.",
        **epilog("drrn info", "drrn info drrn_b1u9_f32 --json", "drrn info runs/f32/model.keras", guide=True),
    )
    inf.add_argument("model", nargs="?", default=DEFAULT_PRESET, metavar="MODEL", help=f"{describe_model_spec()} (default: {DEFAULT_PRESET})")
    inf.add_argument("--json", action="store_true", help="print JSON (keys include name, params, macs_per_pixel, depth)")
    inf.set_defaults(func=cmd_info)

    # Sub-commands of other installed packages (the export stage registers "export").
    from importlib.metadata import entry_points

    for ep in entry_points(group="drrn_tf.commands"):
        ep.load()(sub)
    return p


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every temporary file is removed on the way out."""


def _on_sigterm(signum, frame):
    raise _Terminated()


class _NativeStderrSilenced:
    """While a command runs, native libraries' writes to file descriptor 2 go to /dev/null and Python's
    ``sys.stderr`` (errors, warnings, progress bars) to the real stderr, through a duplicate of it.

    TensorFlow prints oneDNN/CUDA notices at import and at the first op, before its logging is set up
    (so ``TF_CPP_MIN_LOG_LEVEL`` cannot silence them); the TFLite converter prints its settings
    (``fully_quantize: 0, ...``) and LiteRT announces its XNNPACK delegate -- all from C++, straight to
    fd 2. Only the ``drrn`` command does this (it owns its process), only when ``sys.stderr`` is the
    process's own, and not with ``DRRN_VERBOSE_TF=1`` or ``--debug``."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr is sys.__stderr__ and sys.__stderr__ is not None

    def __enter__(self):
        if self.enabled:
            import faulthandler

            sys.stderr.flush()
            self.saved = os.dup(2)
            ours = os.fdopen(os.dup(self.saved), "w", buffering=1, encoding=sys.__stderr__.encoding, errors="backslashreplace")
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 2)
            finally:
                os.close(devnull)
            sys.stderr = ours
            self.faulthandler = not faulthandler.is_enabled()
            if self.faulthandler:
                faulthandler.enable(file=ours)  # a native crash still shows Python's traceback
        return self

    def __exit__(self, *exc):
        if self.enabled:
            import faulthandler

            # The duplicate stays open (closed when collected): a progress bar being torn down
            # after the command may still hold it and write to it.
            sys.stderr.flush()
            os.dup2(self.saved, 2)
            os.close(self.saved)
            sys.stderr = sys.__stderr__
            if self.faulthandler:
                faulthandler.disable()
        return False


class _Say(logging.Handler):
    """The library's log records (``drrn_tf``, ``drrn_tf_export``) as plain lines on the current ``sys.stderr``."""

    def emit(self, record):
        print(self.format(record), file=sys.stderr, flush=True)


class _LibraryLogToStderr:
    """While a command runs, the packages' INFO messages (an export being made, a run resuming) are
    printed as lines; a library user's own logging configuration is left alone otherwise."""

    NAMES = ("drrn_tf", "drrn_tf_export")

    def __enter__(self):
        self.handler = _Say()
        self.saved = []
        for name in self.NAMES:
            log = logging.getLogger(name)
            self.saved.append((log, log.level, log.propagate))
            log.addHandler(self.handler)
            log.setLevel(logging.INFO)
            log.propagate = False
        return self

    def __exit__(self, *exc):
        for log, level, propagate in self.saved:
            log.removeHandler(self.handler)
            log.setLevel(level)
            log.propagate = propagate
        return False


def _split_cpu_for_tests() -> None:
    """``DRRN_CPU_DEVICES=N`` (a test hook of ``drrn train``) splits the CPU into N logical devices before
    TensorFlow's runtime starts, so that ``tf.distribute.MirroredStrategy`` can be exercised without GPUs."""
    n = int(os.environ.get("DRRN_CPU_DEVICES", "0") or 0)
    if n > 1:
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)


def main(argv: list[str] | None = None) -> int:
    import signal
    import threading

    main_thread = threading.current_thread() is threading.main_thread()  # signal handlers can only be set there
    if main_thread:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)  # the drrn command owns its process
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    debug = os.environ.get("DRRN_DEBUG") == "1" or "--debug" in argv
    try:
        parser = build_parser()
        if not [a for a in argv if a != "--debug"]:  # bare `drrn`: the usage, then what to do
            parser.print_help()
            print("\ndrrn: error: choose a command (for example: drrn upscale photo.jpg -s 2 -o photo_x2.png)", file=sys.stderr)
            return 2
        args = parser.parse_args(argv)
        args.command_line = "drrn " + shlex.join(a for a in argv if a != "--debug")  # what a command records as its own
        quiet = not debug and not os.environ.get("DRRN_VERBOSE_TF")
        if quiet:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # the command's own process: absl's INFO lines too
        with _NativeStderrSilenced(quiet), _LibraryLogToStderr(), warnings.catch_warnings():
            if not debug:  # libraries' warnings (Pillow, numpy, Keras) are not the command's lines; --debug shows them
                warnings.simplefilter("ignore")
            return args.func(args)  # TensorFlow is imported by what needs it (not by upscale --runtime litert)
    except DrrnError as e:
        if debug:
            import traceback

            traceback.print_exc()
        message = str(e)
        model = getattr(locals().get("args"), "model", None)
        if e.__class__.__name__ == "UnsupportedModel" and model:  # a layer's complaint: say whose layer
            message = f"{model}: {message}"
        print(f"drrn: error: {one_line(message)}", file=sys.stderr)
        return 2
    except MemoryError:
        print("drrn: error: out of memory (a smaller --memory-mb, --tile or image needs less)", file=sys.stderr)
        return 2
    except _Terminated:
        print("drrn: terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("drrn: interrupted", file=sys.stderr)
        return 130
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
