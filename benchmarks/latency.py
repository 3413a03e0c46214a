"""Latency against parameter count: bicubic, SRCNN, VDSR, DRRN B1U9/B1U25 and the compact preset,
as Keras fp32, LiteRT (XNNPACK) fp32/fp16/int8/int16x8 at 1 and 2 threads, and ONNX Runtime.

    python benchmarks/latency.py --sizes 288x288      # the paper's figure (~15 min on 2 cores)
    python benchmarks/latency.py --sizes 720x1280     # 1280x720 output (about an hour)
    python benchmarks/latency.py --quick              # small models, small input, few runs (CI)

Each cell: median and p90 of --runs timed runs after --warmup runs, on a random LR-up Y
input of the given output size. A cell whose --runs would take longer than
--cell-budget-s is timed on fewer runs (at least 3); the `runs` column says how many.
int16x8 runs on TFLite's reference kernels (tens of seconds per 288x288 for DRRN B1U9), so
it is timed only at sizes up to --int16-max-pixels. Calibration for int8/int16x8 uses a
few small train291 crops: it sets ranges, not speed (parity is `drrn export`'s job).

This file times native runtimes and drives the others: ``latency_browser.py`` (LiteRT.js in
headless Chromium) and ``latency_report.py`` (rows, files, table, plots). Results are merged
into benchmarks/results/latency.{csv,json} (a row is replaced when
the same model/size/format/quant/threads is timed again; --fresh starts over) and written
after every model, with the command that produced each row. Plots (matplotlib):
latency_vs_params.png and psnr_vs_latency.png at the first size timed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

from drrn_tf.nn.presets import PRESETS, build_preset
from drrn_tf.nn.stats import model_stats
from drrn_tf_export.modes import CALIBRATED_MODES, QUANT_MODES

try:  # python -m benchmarks.latency
    from benchmarks.latency_browser import bench_browser
    from benchmarks.latency_report import KEY, RESULTS, markdown_table, plots, row, speedup_check, write_rows
except ImportError:  # python benchmarks/latency.py (this folder is on sys.path)
    from latency_browser import bench_browser
    from latency_report import KEY, RESULTS, markdown_table, plots, row, speedup_check, write_rows

FULL_MODELS = ["bicubic", "srcnn", "vdsr", "drrn_b1u9", "drrn_b1u25", "drrn_b1u9_f32", "drrn_b1u9_f32_qat"]
QUICK_MODELS = ["bicubic", "srcnn", "drrn_b1u9_f32"]


def _bench_model(name: str, sizes, args, calib, command: str):
    """Yield one row per timed cell."""
    import cv2
    import tensorflow as tf

    from drrn_tf_export.bench import measure
    from drrn_tf_export.convert import convert_onnx, convert_tflite
    from drrn_tf_export.runtime import LiteRTModel, OnnxModel

    rng = np.random.default_rng(0)

    def cell(base, fmt, quant, threads, size, file_bytes, timing):
        return row(base, fmt, quant, threads, size, file_bytes, timing.median_ms, timing.p90_ms, timing.runs, command)

    def timed(fn):
        return measure(fn, 0, args.warmup, args.runs, args.runs, budget_s=args.cell_budget_s)

    if name == "bicubic":
        base = {"model": name, "params": 0, "macs_per_pixel": 0}
        for h, w in sizes:
            lr = rng.random((h // 3, w // 3), dtype=np.float32)
            yield cell(base, "opencv", "none", cv2.getNumThreads(), f"{h}x{w}", 0, timed(lambda: cv2.resize(lr, (w, h), interpolation=cv2.INTER_CUBIC)))
        return
    model = build_preset(name)
    st = model_stats(model)
    base = {"model": name, "params": st["params"], "macs_per_pixel": st["macs_per_pixel"]}
    fn = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    # int16x8 runs on reference kernels and is timed only on small sizes: skip converting it otherwise.
    small = any(h * w <= args.int16_max_pixels for h, w in sizes)
    quants = [q for q in args.quants if q != "int16x8" or small]
    artefacts = {q: convert_tflite(model, q, None, calib if q in CALIBRATED_MODES else None) for q in quants}
    onnx = convert_onnx(model) if "onnx" in args.formats else None
    for h, w in sizes:
        x = rng.random((1, h, w, 1), dtype=np.float32)
        size = f"{h}x{w}"
        if "keras" in args.formats:
            yield cell(base, "keras", "fp32", os.cpu_count(), size, 0, timed(lambda: fn(x).numpy()))
        for q, blob in artefacts.items() if "litert" in args.formats else ():
            if q == "int16x8" and h * w > args.int16_max_pixels:
                continue
            for threads in args.threads:
                rt = LiteRTModel(blob, threads=threads)
                rt.run(x)  # resize + allocate
                yield cell(base, "litert", "fp32" if q == "none" else q, threads, size, len(blob), timed(lambda: rt.run(x)))
        for threads in args.threads if onnx is not None else ():
            ort_model = OnnxModel(onnx, threads=threads)
            yield cell(base, "onnxruntime", "fp32", threads, size, len(onnx), timed(lambda: ort_model.predict_y(x[0, :, :, 0])))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small models, 64x64, 3 runs (for CI)")
    ap.add_argument("--models", nargs="+", choices=FULL_MODELS)
    ap.add_argument("--sizes", nargs="+", default=None, help="output sizes HxW (default 288x288 720x1280)")
    ap.add_argument(
        "--formats",
        nargs="+",
        default=["keras", "litert", "onnx"],
        choices=["keras", "litert", "onnx", "browser"],
        help="browser = LiteRT.js in headless Chromium (needs Node.js, chromium, npm ci --prefix web_demo)",
    )
    ap.add_argument("--browser-runs", type=int, default=5, help="timed runs per browser cell (default 5)")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--quants", nargs="+", default=["none", "fp16", "int8", "int16x8"], choices=QUANT_MODES)
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--cell-budget-s", type=float, default=120.0, help="time fewer runs (>= 3) when --runs would exceed this")
    ap.add_argument("--calibration-samples", type=int, default=16)
    ap.add_argument("--int16-max-pixels", type=int, default=96 * 96)
    ap.add_argument("--fresh", action="store_true", help="replace latency.csv/.json instead of merging into them")
    ap.add_argument("--out", default=str(RESULTS), help="folder for latency.csv/.json and the plots")
    ap.add_argument("--table", metavar="HxW", help="time nothing: print the README table at this size from OUT/latency.json")
    ap.add_argument("--plot", metavar="HxW", help="time nothing: redraw the plots at this size from OUT/latency.json and the current PSNR results")
    args = ap.parse_args(argv)
    if args.plot:
        rows = json.loads((Path(args.out) / "latency.json").read_text())["rows"]
        print("wrote " + ", ".join(str(p) for p in plots(rows, Path(args.out), args.plot)))
        return 0
    if args.table:
        rows = json.loads((Path(args.out) / "latency.json").read_text())["rows"]
        print(markdown_table(rows, args.table))
        print(speedup_check(rows) or "check: no drrn_b1u9 288x288 Keras and LiteRT int8 2-thread rows yet")
        return 0
    if args.quick:
        args.models = args.models or QUICK_MODELS
        args.sizes = args.sizes or ["64x64"]
        args.runs, args.warmup = min(args.runs, 3), 1
    models = args.models or FULL_MODELS
    sizes = [tuple(int(v) for v in s.split("x")) for s in (args.sizes or ["288x288", "720x1280"])]
    command = " ".join(["python benchmarks/latency.py", *(sys.argv[1:] if argv is None else argv)])

    from drrn_tf.io.datasets import resolve_dataset
    from drrn_tf_export.convert import representative_samples

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    old = {} if args.fresh or not (out / "latency.json").is_file() else json.loads((out / "latency.json").read_text())
    rows = {tuple(str(r[k]) for k in KEY): r for r in old.get("rows", [])}
    order = [c for c in old.get("commands", []) if c != command] + [command]
    calib = representative_samples(resolve_dataset("train291")[1], n=args.calibration_samples, size=(64, 64))
    for name in models:
        if name != "bicubic" and not PRESETS[name].trained:
            print(f"note: {name} has no shipped weights; timing a freshly initialised network", file=sys.stderr)
        benches = []
        if set(args.formats) - {"browser"}:
            benches.append(_bench_model(name, sizes, args, calib, command))
        if "browser" in args.formats and name != "bicubic":
            benches.append(bench_browser(name, sizes, args, calib, command))
        for bench in benches:
            for r in bench:
                rows[tuple(str(r[k]) for k in KEY)] = r
        write_rows(list(rows.values()), out, sorted({r["command"] for r in rows.values()}, key=order.index))

    size0 = f"{sizes[0][0]}x{sizes[0][1]}"
    drawn = plots(list(rows.values()), out, size0)
    print(f"{'model':<14} {'format':<12} {'quant':<8} {'thr':>3} {'size':>9} {'median ms':>10} {'p90 ms':>9} {'runs':>4}")
    for r in rows.values():
        print(
            f"{r['model']:<14} {r['format']:<12} {r['quant']:<8} {r['threads']:>3} {r['size']:>9} {float(r['median_ms']):>10.1f} {float(r['p90_ms']):>9.1f} {r['runs']:>4}"
        )
    check = speedup_check(list(rows.values()))
    if check:
        print(check)
    print("wrote " + ", ".join(str(p) for p in [out / "latency.csv", out / "latency.json", *drawn]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
