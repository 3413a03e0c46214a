"""``drrn bench``: how long a model takes per picture on this CPU, in each runtime and thread count.

For each model (a preset, a ``.keras`` file, or any ``.tflite`` / ``.onnx`` that ``drrn export``
writes), runtime, thread count and output size, one *cell*: the network on a random input of that
size, warmed up, then run again and again for at least ``--min-time`` seconds (and at least
``--min-runs`` times); the median and the 10th-90th percentile spread are reported, with
microseconds per output pixel and the arithmetic rate achieved (2 operations per multiply-add).

Every cell runs in a child process of its own, so that its thread count is really its own
(TensorFlow fixes its thread pools when it starts) and one cell's memory never adds to another's.
A cell whose working memory would pass ``--memory-mb`` is skipped and says so. ``measure`` is the
project's one timing loop (``benchmarks/latency.py`` and ``drrn demo`` time with it too).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from drrn_tf.errors import InputError, first_line

__all__ = ["Timing", "measure", "RUNTIME_CHOICES", "DEFAULT_RUNTIMES", "bench", "register", "format_table"]

# What `drrn bench --runtimes` offers for a preset or a .keras file (an exported file runs in its own).
RUNTIME_CHOICES = ("keras", "keras-bf16", "litert-int8", "litert-fp16", "litert-dynamic", "litert-fp32", "onnx")
DEFAULT_RUNTIMES = ("keras", "litert-int8", "onnx")
DEFAULT_SIZES = ("288x288", "720x1280")


class Timing(NamedTuple):
    median_ms: float
    p10_ms: float
    p90_ms: float
    runs: int


def measure(fn, min_time_s: float = 2.0, warmup: int = 1, min_runs: int = 3, max_runs: int = 10_000, budget_s: float | None = None) -> Timing:
    """``fn()`` timed: ``warmup`` calls, then calls until ``min_time_s`` seconds have passed and at least
    ``min_runs`` were made, at most ``max_runs``; the median and the 10th/90th percentiles, in ms.

    ``budget_s``: when the first timed call shows that the runs would take longer, make only as many
    as fit (at least 3); ``Timing.runs`` says how many were made."""
    for _ in range(warmup):
        fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < max_runs and (len(times) < min_runs or time.perf_counter() - start < min_time_s):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        if budget_s is not None and len(times) == 1:
            max_runs = max(3, min(max_runs, int(budget_s / max(times[0], 1e-9))))
            min_runs = min(min_runs, max_runs)
    p10, p90 = np.percentile(times, [10, 90])
    return Timing(statistics.median(times) * 1000, float(p10) * 1000, float(p90) * 1000, len(times))


def _parse_size(text: str) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise InputError(f"--sizes {text}: expected HxW output pixels, for example 288x288") from None
    if min(h, w) < 1 or h * w > 8192 * 8192:
        raise InputError(f"--sizes {text}: each side at least 1, at most 8192x8192 pixels in all")
    return h, w


# ----------------------------------------------------------------------------- one cell (child process)
def _keras_runner(spec: str, threads: int, bf16: bool):
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    from drrn_tf.nn.loading import load_model
    from drrn_tf.nn.predict import model_engine

    fn = model_engine(load_model(spec), "keras-bf16" if bf16 else "keras").run
    return lambda x: fn(x[0, :, :, 0])


def _cell(job: dict) -> list[dict]:
    """Time one model in one runtime at one thread count, at every size of ``job``; a row per size."""
    threads, kind = job["threads"], job["kind"]
    if kind == "keras":
        run = _keras_runner(job["spec"], threads, job.get("bf16", False))
    elif kind == "litert":
        from .runtime import LiteRTModel

        rt = LiteRTModel(Path(job["path"]), threads=threads)

        def run(x):
            if rt.fixed is None:
                return rt.run(x)
            return rt.run_raw(x.astype(rt.input["dtype"]))
    else:
        from .runtime import OnnxModel

        session = OnnxModel(Path(job["path"]), threads=threads).session
        name = session.get_inputs()[0].name
        run = lambda x: session.run(None, {name: x})[0]  # noqa: E731
    rng = np.random.default_rng(0)
    rows = []
    for h, w, channels in job["inputs"]:
        x = rng.random((1, h, w, channels), dtype=np.float32)
        if job.get("uint8"):
            x = (x * 255).astype(np.uint8)
        t = measure(lambda x=x: run(x), job["min_time"], job["warmup"], job["min_runs"])
        rows.append({"median_ms": t.median_ms, "p10_ms": t.p10_ms, "p90_ms": t.p90_ms, "runs": t.runs})
    return rows


def _run_cell(job: dict, timeout: float) -> list[dict] | str:
    """``_cell`` in a child process: its rows, or one line saying why it failed."""
    code = "import json, sys; from drrn_tf_export.bench import _cell; print(json.dumps(_cell(json.loads(sys.argv[1]))))"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    try:
        done = subprocess.run([sys.executable, "-c", code, json.dumps(job)], capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return f"took longer than {timeout:.0f} s"
    lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
    if done.returncode != 0:
        return lines[-1][:200] if lines else f"exit status {done.returncode}"
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return f"the cell printed no result ({lines[-1][:160] if lines else 'no output'})"


# ----------------------------------------------------------------------------- what to time
class Target(NamedTuple):
    model: str  # as the user named it
    runtime: str  # keras, litert, onnxruntime
    quant: str  # fp32, bf16 (keras), int8, fp16, dynamic (litert)
    job: dict  # kind + spec/path (+ bf16, uint8)
    params: int
    macs_per_pixel: int
    bytes_per_pixel: int
    channels_in: int  # 1 (luminance) or 3 (end to end)
    fixed: tuple[int, int] | None  # input (h, w) of a fixed-shape model
    scale: int  # output side / input side (1 for a luminance model)
    file_bytes: int
    parity_drop_db: float | None = None  # the export's worst Set5 PSNR drop against its Keras model, from its card


def _exported_target(label: str, path: Path, threads: int) -> Target:
    """The cell of an exported file (a user's, or one made for a runtime cell): what its graph and card say."""
    from drrn_tf.inference.engines import xnnpack_bytes_per_pixel
    from drrn_tf.nn.loading import open_exported

    m = open_exported(path, threads)
    info = m.info()
    runtime, quant = m.engine.runtime.split(" ", 1)
    e2e = m.kind == "end-to-end"
    job = {"kind": "litert" if m.format == "tflite" else "onnx", "path": str(path), "uint8": e2e and info["input"]["dtype"] == "uint8"}
    bpp = xnnpack_bytes_per_pixel((info["receptive_field"] - 1) // 2, m.facts.channels) if e2e else m.engine.bytes_per_pixel
    return Target(
        label, runtime, quant, job, info["params"], info["macs_per_pixel"], bpp, 3 if e2e else 1, m.fixed, m.scale or 1, info["file_size_bytes"],
        info["parity_worst_drop_db"],
    )  # fmt: skip


def _targets(spec: str, runtimes: list[str], threads: int) -> list[Target]:
    """The cells to time for one model: its own runtime for an exported file; ``runtimes`` otherwise
    (exports made as ``--runtime litert`` makes them: shipped, cached, or made and gated once)."""
    from drrn_tf.inference.engines import keras_bytes_per_pixel
    from drrn_tf.nn.loading import load_model, resolve_model
    from drrn_tf.nn.predict import max_channels
    from drrn_tf.nn.presets import PRESETS
    from drrn_tf.nn.stats import model_stats

    ref = resolve_model(spec)
    if ref.kind == "bicubic":
        raise InputError("bicubic is interpolation, not a network: nothing to time (drrn bench times models)")
    if ref.exported:
        return [_exported_target(spec, ref.path, threads)]
    if ref.kind == "preset" and not PRESETS[spec].trained:
        print(f"drrn: note: {spec} ships no weights; timing a freshly initialised network", file=sys.stderr)
    model = load_model(spec)
    st = model_stats(model)
    out = []
    for rt in runtimes:
        if rt.startswith("keras"):
            job = {"kind": "keras", "spec": spec, "bf16": rt == "keras-bf16"}
            bpp = keras_bytes_per_pixel(max_channels(model))
            out.append(Target(spec, "keras", "bf16" if rt == "keras-bf16" else "fp32", job, st["params"], st["macs_per_pixel"], bpp, 1, None, 1, 0))
            continue
        try:
            out.append(_exported_target(spec, _artefact(model, ref, rt), threads))
        except Exception as e:  # an export that fails its parity gate (or cannot be made) is not timed
            fmt, quant = ("onnxruntime", "fp32") if rt == "onnx" else ("litert", rt.split("-", 1)[1])
            out.append(Target(spec, fmt, quant, {"refused": first_line(e)}, st["params"], st["macs_per_pixel"], 0, 1, None, 1, 0))
    return out


def _artefact(model, ref, runtime: str) -> Path:
    """The export a runtime cell times: LiteRT as ``--runtime litert`` makes it (gated, cached, shipped for
    the presets' int8), ONNX converted once and cached beside it."""
    from .cache import cache_dir, cached_export, cached_preset_export, model_key

    if runtime.startswith("litert-"):
        quant = {"fp32": "none"}.get(runtime[7:], runtime[7:])
        if ref.kind == "preset" and quant == "int8":
            return cached_preset_export(ref.spec, quant)
        return cached_export(model, quant)
    from drrn_tf.io.files import write_bytes_atomic

    from .convert import convert_onnx

    path = cache_dir() / f"{model.name}-onnx-{model_key(model, 'onnx')}.onnx"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, convert_onnx(model))
    return path


def _inputs(target: Target, sizes: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(h, w, channels) of the inputs for the output sizes; a fixed-shape model's own input only."""
    if target.fixed is not None:
        return [(*target.fixed, target.channels_in)]
    return [(h // target.scale, w // target.scale, target.channels_in) for h, w in sizes]


def _plan(target: Target, n: int, inputs: list[tuple[int, int, int]], memory_mb: float, say) -> tuple[list, list[dict], list[dict]]:
    """One target at ``n`` threads: the inputs to time with their rows, and the rows of sizes skipped for memory (each said)."""
    todo, base, skipped = [], [], []
    for h, w, c in inputs:
        out_h, out_w = h * target.scale, w * target.scale
        need_mb = target.bytes_per_pixel * out_h * out_w / 2**20
        row = {
            "model": target.model,
            "params": target.params,
            "macs_per_pixel": target.macs_per_pixel,
            "runtime": target.runtime,
            "quant": target.quant,
            "threads": n,
            "size": f"{out_h}x{out_w}",
            "file_bytes": target.file_bytes,
            "parity_worst_drop_db": target.parity_drop_db,
        }
        if need_mb > memory_mb:
            skipped.append({**row, "note": f"skipped: needs about {need_mb:,.0f} MiB (> --memory-mb {memory_mb:,.0f})"})
            say(f"  {target.model} {target.runtime} {target.quant} {n}t {row['size']}: {skipped[-1]['note']}")
            continue
        todo.append((h, w, c))
        base.append(row)
    return todo, base, skipped


def _timed(target: Target, base: list[dict], result: list[dict], say) -> list[dict]:
    """The rows of a cell that ran: its timings, microseconds per output pixel and GOP/s (each said)."""
    rows = []
    for row, timing in zip(base, result):
        pixels = np.prod([int(v) for v in row["size"].split("x")])
        row.update({k: round(v, 3) if isinstance(v, float) else v for k, v in timing.items()})
        row["us_per_pixel"] = round(timing["median_ms"] * 1000 / pixels, 4)
        row["gops"] = round(2 * target.macs_per_pixel * pixels / (timing["median_ms"] / 1000) / 1e9, 2)
        rows.append(row)
        say(f"  {row['size']}: median {row['median_ms']:.1f} ms ({row['runs']} runs)")
    return rows


def bench(
    models: list[str],
    runtimes=DEFAULT_RUNTIMES,
    threads: list[int] | None = None,
    sizes: list[tuple[int, int]] | None = None,
    min_time: float = 2.0,
    warmup: int = 1,
    min_runs: int = 3,
    memory_mb: float = 4096.0,
    cell_timeout: float = 1800.0,
    say=lambda line: print(line, file=sys.stderr, flush=True),
) -> dict:
    """Time every model x runtime x thread count x size (see the module); returns the results document
    (``cpu``, ``rows``), a row per cell, skipped and failed cells with a ``note``."""
    from drrn_tf.inference.cpu import cpu_info, usable_cores

    cpu = cpu_info()
    threads = sorted(set(threads or [1, 2, usable_cores()]))
    sizes = sizes or [_parse_size(s) for s in DEFAULT_SIZES]
    targets = [t for spec in models for t in _targets(spec, runtimes, max(threads))]
    rows = []
    for target in targets:
        inputs = _inputs(target, sizes)
        for n in threads:
            todo, base, skipped = _plan(target, n, inputs, memory_mb, say)
            rows.extend(skipped)
            if target.job.get("refused"):
                rows.extend({**r, "note": f"not timed: {target.job['refused']}"} for r in base)
                break
            if not todo:
                continue
            say(f"timing {target.model} in {target.runtime} {target.quant}, {n} thread{'s' if n > 1 else ''}: {', '.join(r['size'] for r in base)}")
            job = {**target.job, "threads": n, "inputs": todo, "min_time": min_time, "warmup": warmup, "min_runs": min_runs}
            result = _run_cell(job, cell_timeout)
            if isinstance(result, str):
                rows.extend({**r, "note": f"failed: {result}"} for r in base)
                say(f"  failed: {result}")
                continue
            rows.extend(_timed(target, base, result, say))
    return {"cpu": cpu.as_dict(), "min_time_s": min_time, "rows": rows}


def format_table(doc: dict) -> str:
    """The results as a Markdown table, the CPU named above it."""
    cpu = doc["cpu"]
    lines = [
        f"CPU: {cpu['name']}, {cpu['cores']} core{'s' if cpu['cores'] != 1 else ''}; {', '.join(cpu['features']) or 'no VNNI/AMX/BF16 instructions'}",
        "",
        "| model | params | MACs/px | runtime | quant | threads | output | median ms | p10-p90 ms | runs | µs/px | GOP/s |",
        "|---|---:|---:|---|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in doc["rows"]:
        head = f"| {r['model']} | {r['params']:,} | {r['macs_per_pixel']:,} | {r['runtime']} | {r['quant']} | {r['threads']} | {r['size']} |"
        if "note" in r:
            lines.append(f"{head} {r['note']} | | | | |")
        else:
            lines.append(f"{head} {r['median_ms']:,.1f} | {r['p10_ms']:,.1f}-{r['p90_ms']:,.1f} | {r['runs']} | {r['us_per_pixel']:.2f} | {r['gops']:,.1f} |")
    return "\n".join(lines)


def cmd_bench(args) -> int:
    from .extra import LITERT, ONNX, require

    if any(r.startswith("litert") for r in args.runtimes):
        require("drrn bench --runtimes litert-*", LITERT)
    if "onnx" in args.runtimes:  # a preset or .keras file is converted first
        require("drrn bench --runtimes onnx", ONNX)
    from drrn_tf.io.files import check_output, write_json_atomic

    sizes = [_parse_size(s) for s in args.sizes]
    if args.json:  # never onto a model being timed, a device or (unless asked) an existing file
        check_output(args.json, inputs=[m for m in args.models if os.path.isfile(m)], overwrite=args.overwrite)
    from drrn_tf.nn.loading import resolve_model

    for spec in args.models:  # every model named resolves before anything is timed
        resolve_model(spec)
    doc = bench(args.models, list(dict.fromkeys(args.runtimes)), args.threads, sizes, args.min_time, args.warmup, args.min_runs, args.memory_mb)
    doc["command"] = args.command_line
    print(format_table(doc))
    if args.json:
        write_json_atomic(args.json, doc, replace=args.overwrite)
        print(f"wrote {args.json}")
    return 0


def register(sub) -> None:
    from drrn_tf.cli import epilog, positive
    from drrn_tf.nn.presets import DEFAULT_PRESET

    p = sub.add_parser(
        "bench",
        help="time models on this CPU: runtimes x threads x output sizes",
        description=(
            "Time models on this CPU: for each runtime, thread count and output size, warm-up runs and then repeated runs for at least "
            "--min-time seconds; prints median and spread, microseconds per output pixel and GOP/s, and names the CPU and its "
            "int8/bf16 instructions. Each cell runs in a child process of its own."
        ),
        **epilog(
            "drrn bench",
            "drrn bench drrn_b1u9 --runtimes keras keras-bf16 litert-int8 litert-fp16 onnx --threads 1 2 --json bench.json",
            "drrn bench my.tflite --sizes 288x288",
        ),
    )
    p.add_argument("models", nargs="*", default=[DEFAULT_PRESET], metavar="MODEL", help=f"presets, .keras, .tflite or .onnx files (default: {DEFAULT_PRESET})")
    p.add_argument(
        "--runtimes",
        nargs="+",
        choices=RUNTIME_CHOICES,
        default=list(DEFAULT_RUNTIMES),
        metavar="R",
        help=f"for presets and .keras files, among {' '.join(RUNTIME_CHOICES)} (default: {' '.join(DEFAULT_RUNTIMES)}); an exported file runs in its own",
    )
    p.add_argument("--threads", nargs="+", type=positive(int), metavar="N", help="thread counts (default: 1, 2 and every core)")
    p.add_argument(
        "--sizes", nargs="+", default=list(DEFAULT_SIZES), metavar="HxW", help="output sizes (default 288x288 720x1280); a fixed-shape model runs its own"
    )
    p.add_argument("--min-time", type=positive(float), default=2.0, metavar="S", help="time each cell for at least S seconds (default 2)")
    p.add_argument("--min-runs", type=positive(int), default=3, metavar="N", help="and at least N runs (default 3)")
    p.add_argument("--warmup", type=positive(int), default=1, metavar="N", help="untimed runs first (default 1)")
    p.add_argument("--memory-mb", type=positive(float), default=4096.0, metavar="MB", help="skip cells whose working memory would pass this (default 4096)")
    p.add_argument("-o", "--output", "--json", dest="json", metavar="OUT", help="also write the results to OUT as JSON")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists (never a model being timed)")
    p.set_defaults(func=cmd_bench)
