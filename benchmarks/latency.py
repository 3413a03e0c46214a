"""Latency against parameter count: bicubic, SRCNN, VDSR, DRRN B1U9/B1U25 and the compact preset,
as Keras fp32, LiteRT (XNNPACK) fp32/fp16/int8/int16x8 at 1 and 2 threads, and ONNX Runtime.

    python benchmarks/latency.py                 # full table (long: ~1 h on 2 cores)
    python benchmarks/latency.py --quick         # small models, small input, few runs (CI)

Each cell: median and p90 of --runs timed runs after --warmup runs, on the bicubic
LR-up Y input of the given output size (288x288 is the paper's figure). int16x8 runs on
TFLite's reference kernels (tens of seconds per 288x288 for DRRN B1U9), so it is timed
only at sizes up to --int16-max-pixels and marked as such. Writes CSV + JSON under
benchmarks/results/ and, with matplotlib installed, latency_vs_params.png.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import drrn_tf  # noqa: E402,F401
from drrn_tf.fileio import write_bytes_atomic  # noqa: E402
from drrn_tf.presets import PRESETS, build_preset  # noqa: E402
from drrn_tf.stats import model_stats  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
FULL_MODELS = ["bicubic", "srcnn", "vdsr", "drrn_b1u9", "drrn_b1u25", "drrn_b1u9_f32"]
QUICK_MODELS = ["bicubic", "srcnn", "drrn_b1u9_f32"]


def _bench_model(name: str, sizes, args, calib) -> list[dict]:
    import cv2
    import tensorflow as tf

    from export.convert import convert_onnx, convert_tflite
    from export.runtime import LiteRTModel, OnnxModel, time_call

    rows = []
    rng = np.random.default_rng(0)
    if name == "bicubic":
        for h, w in sizes:
            lr = rng.random((h // 3, w // 3), dtype=np.float32)
            med, p90 = time_call(lambda: cv2.resize(lr, (w, h), interpolation=cv2.INTER_CUBIC), args.runs, args.warmup)
            rows.append({"model": name, "params": 0, "macs_per_pixel": 0, "format": "opencv", "quant": "none", "threads": cv2.getNumThreads(), "size": f"{h}x{w}", "file_bytes": 0, "median_ms": med, "p90_ms": p90})
        return rows
    model = build_preset(name)
    st = model_stats(model)
    base = {"model": name, "params": st["params"], "macs_per_pixel": st["macs_per_pixel"]}
    fn = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    # int16x8 runs on reference kernels and is timed only on small sizes: skip converting it otherwise.
    small = any(h * w <= args.int16_max_pixels for h, w in sizes)
    quants = [q for q in args.quants if q != "int16x8" or small]
    artefacts = {q: convert_tflite(model, q, None, calib if q in ("int8", "int16x8") else None) for q in quants}
    onnx = convert_onnx(model)
    for h, w in sizes:
        x = rng.random((1, h, w, 1), dtype=np.float32)
        size = f"{h}x{w}"
        med, p90 = time_call(lambda: fn(x).numpy(), args.runs, args.warmup)
        rows.append({**base, "format": "keras", "quant": "fp32", "threads": os.cpu_count(), "size": size, "file_bytes": 0, "median_ms": med, "p90_ms": p90})
        for q, blob in artefacts.items():
            if q == "int16x8" and h * w > args.int16_max_pixels:
                continue
            for threads in args.threads:
                rt = LiteRTModel(blob, threads=threads)
                rt._run(x)  # resize + allocate
                med, p90 = time_call(lambda: rt._run(x), args.runs, args.warmup)
                rows.append({**base, "format": "litert", "quant": "fp32" if q == "none" else q, "threads": threads, "size": size, "file_bytes": len(blob), "median_ms": med, "p90_ms": p90})
        for threads in args.threads:
            ort_model = OnnxModel(onnx, threads=threads)
            med, p90 = time_call(lambda: ort_model.predict_y(x[0, :, :, 0]), args.runs, args.warmup)
            rows.append({**base, "format": "onnxruntime", "quant": "fp32", "threads": threads, "size": size, "file_bytes": len(onnx), "median_ms": med, "p90_ms": p90})
        print(f"  {name} {size}: done", file=sys.stderr, flush=True)
    return rows


def _plot(rows: list[dict], path: Path, size: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (fmt, quant, threads), group in sorted(_groups(rows, size).items()):
        pts = sorted((r["params"], r["median_ms"], r["model"]) for r in group if r["params"] > 0)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", label=f"{fmt} {quant} {threads}t")
            for p, ms, m in pts:
                ax.annotate(m, (p, ms), fontsize=6, alpha=0.6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("parameters")
    ax.set_ylabel(f"latency at {size} (ms, median)")
    ax.legend(fontsize=6)
    ax.grid(alpha=0.3)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=120)
    write_bytes_atomic(path, buf.getvalue())
    return True


def _groups(rows, size):
    groups: dict = {}
    for r in rows:
        if r["size"] == size:
            groups.setdefault((r["format"], r["quant"], r["threads"]), []).append(r)
    return groups


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small models, 64x64, 3 runs (for CI)")
    ap.add_argument("--models", nargs="+", choices=FULL_MODELS)
    ap.add_argument("--sizes", nargs="+", default=None, help="output sizes HxW (default 288x288 720x1280)")
    ap.add_argument("--quants", nargs="+", default=["none", "fp16", "int8", "int16x8"], choices=["none", "fp16", "dynamic", "int8", "int16x8"])
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--int16-max-pixels", type=int, default=96 * 96)
    ap.add_argument("--out", default=str(RESULTS), help="folder for latency.csv/.json/.png")
    args = ap.parse_args(argv)
    if args.quick:
        args.models = args.models or QUICK_MODELS
        args.sizes = args.sizes or ["64x64"]
        args.runs, args.warmup = min(args.runs, 3), 1
    models = args.models or FULL_MODELS
    sizes = [tuple(int(v) for v in s.split("x")) for s in (args.sizes or ["288x288", "720x1280"])]

    from drrn_tf.datasets import resolve_dataset
    from export.convert import representative_samples

    calib = representative_samples(resolve_dataset("train291")[1], n=120 if not args.quick else 8, size=(96, 96))
    rows = []
    for name in models:
        if name in PRESETS and name != "bicubic" and not PRESETS[name].trained and PRESETS[name].weights:
            print(f"note: {name} has no shipped weights; timing a freshly initialised network", file=sys.stderr)
        rows += _bench_model(name, sizes, args, calib)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    command = " ".join(["python benchmarks/latency.py", *(sys.argv[1:] if argv is None else argv)])
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    write_bytes_atomic(out / "latency.csv", buf.getvalue().encode())
    write_bytes_atomic(out / "latency.json", (json.dumps({"command": command, "cpus": os.cpu_count(), "rows": rows}, indent=2) + "\n").encode())
    print(f"{'model':<14} {'format':<12} {'quant':<8} {'thr':>3} {'size':>9} {'median ms':>10} {'p90 ms':>9}")
    for r in rows:
        print(f"{r['model']:<14} {r['format']:<12} {r['quant']:<8} {r['threads']:>3} {r['size']:>9} {r['median_ms']:>10.1f} {r['p90_ms']:>9.1f}")
    size0 = f"{sizes[0][0]}x{sizes[0][1]}"
    plotted = _plot(rows, out / "latency_vs_params.png", size0)
    print(f"wrote {out / 'latency.csv'}, {out / 'latency.json'}" + (f", {out / 'latency_vs_params.png'}" if plotted else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
