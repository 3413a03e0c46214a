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

Results are merged into benchmarks/results/latency.{csv,json} (a row is replaced when
the same model/size/format/quant/threads is timed again; --fresh starts over) and written
after every model, with the command that produced each row. Plots (matplotlib):
latency_vs_params.png and psnr_vs_latency.png at the first size timed.
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

from drrn_tf.fileio import write_bytes_atomic
from drrn_tf.presets import PRESETS, build_preset
from drrn_tf.stats import model_stats
from drrn_tf_export.modes import CALIBRATED_MODES, QUANT_MODES

ROOT = Path(__file__).resolve().parents[1]


RESULTS = ROOT / "benchmarks" / "results"
FULL_MODELS = ["bicubic", "srcnn", "vdsr", "drrn_b1u9", "drrn_b1u25", "drrn_b1u9_f32", "drrn_b1u9_f32_qat"]
QUICK_MODELS = ["bicubic", "srcnn", "drrn_b1u9_f32"]
KEY = ("model", "size", "format", "quant", "threads")
# Set5 x3 PSNR the paper reports (Tai et al. 2017, Table 3); plotted as hollow "paper" points for
# presets without a committed evaluation (benchmarks/results/NAME_eval.json).
PAPER_SET5_X3 = {"srcnn": 32.75, "vdsr": 33.66, "drrn_b1u9": 33.93, "drrn_b1u25": 34.03}


def _row(base: dict, fmt, quant, threads, size, file_bytes, median_ms, p90_ms, runs, command) -> dict:
    """One result row (and its progress line on stderr)."""
    print(f"  {base['model']} {size} {fmt} {quant} {threads}t: {median_ms:.1f} ms ({runs} runs)", file=sys.stderr, flush=True)
    return {
        **base,
        "format": fmt,
        "quant": quant,
        "threads": threads,
        "size": size,
        "file_bytes": file_bytes,
        "median_ms": round(median_ms, 3),
        "p90_ms": round(p90_ms, 3),
        "runs": runs,
        "command": command,
    }


def _bench_model(name: str, sizes, args, calib, command: str):
    """Yield one row per timed cell."""
    import cv2
    import tensorflow as tf

    from drrn_tf_export.convert import convert_onnx, convert_tflite
    from drrn_tf_export.runtime import LiteRTModel, OnnxModel, time_call

    rng = np.random.default_rng(0)

    def row(base, fmt, quant, threads, size, file_bytes, timing):
        return _row(base, fmt, quant, threads, size, file_bytes, timing.median_ms, timing.p90_ms, timing.runs, command)

    def timed(fn):
        return time_call(fn, args.runs, args.warmup, budget_s=args.cell_budget_s)

    if name == "bicubic":
        base = {"model": name, "params": 0, "macs_per_pixel": 0}
        for h, w in sizes:
            lr = rng.random((h // 3, w // 3), dtype=np.float32)
            yield row(base, "opencv", "none", cv2.getNumThreads(), f"{h}x{w}", 0, timed(lambda: cv2.resize(lr, (w, h), interpolation=cv2.INTER_CUBIC)))
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
            yield row(base, "keras", "fp32", os.cpu_count(), size, 0, timed(lambda: fn(x).numpy()))
        for q, blob in artefacts.items() if "litert" in args.formats else ():
            if q == "int16x8" and h * w > args.int16_max_pixels:
                continue
            for threads in args.threads:
                rt = LiteRTModel(blob, threads=threads)
                rt.run(x)  # resize + allocate
                yield row(base, "litert", "fp32" if q == "none" else q, threads, size, len(blob), timed(lambda: rt.run(x)))
        for threads in args.threads if onnx is not None else ():
            ort_model = OnnxModel(onnx, threads=threads)
            yield row(base, "onnxruntime", "fp32", threads, size, len(onnx), timed(lambda: ort_model.predict_y(x[0, :, :, 0])))


def _bench_browser(name: str, sizes, args, calib, command: str):
    """LiteRT.js (WebAssembly, XNNPACK) in headless Chromium via web_demo/tests/driver.mjs: one row per
    fixed-shape model, quantisation and thread count. Needs Node.js, Chromium and web_demo/node_modules."""
    import subprocess
    import tempfile
    import threading

    from drrn_tf_export.convert import convert_tflite
    from drrn_tf_export.serve import WEB_DEMO, make_server

    model = build_preset(name)
    st = model_stats(model)
    base = {"model": name, "params": st["params"], "macs_per_pixel": st["macs_per_pixel"]}
    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp)
        (models / "models.json").write_text('{"models": []}')
        steps, meta = [], []
        for h, w in sizes:
            for q in [q for q in args.quants if q in ("none", "fp16", "int8")]:
                blob = convert_tflite(model, q, (h, w), calib if q == "int8" else None)
                (models / f"{q}_{h}x{w}.tflite").write_bytes(blob)
                steps.append({"bench": f"models/{q}_{h}x{w}.tflite", "threads": args.threads, "runs": args.browser_runs, "warmup": 1})
                meta.append((q, f"{h}x{w}", len(blob)))
        server = make_server(models, port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            plan, result = models / "plan.json", models / "result.json"
            url = f"http://127.0.0.1:{server.server_address[1]}/"
            plan.write_text(json.dumps({"url": url, "chromium": args.chromium, "timeout_ms": 3_600_000, "steps": steps}))
            subprocess.run(["node", str(WEB_DEMO / "tests" / "driver.mjs"), str(plan), str(result)], check=True)
            res = json.loads(result.read_text())
        finally:
            server.shutdown()
            server.server_close()
    for (q, size, nbytes), step in zip(meta, res["steps"]):
        for b in step["bench"]:
            yield _row(base, "litert.js-wasm", "fp32" if q == "none" else q, b["threads"], size, nbytes, b["median_ms"], b["p90_ms"], b["runs"], command)


def _set5_x3_psnr(name: str, quant: str = "fp32") -> tuple[float, str] | None:
    """(PSNR, source): measured for bicubic and shipped trained presets, else the paper's figure.
    For int8: the Set5 x3 PSNR in the int8 export's model card (benchmarks/results/export/), if any."""
    if quant == "int8":
        card = RESULTS / "export" / f"{name}_int8.json"
        if card.is_file():
            rows = json.loads(card.read_text())["parity"]["scales"]
            return next(r["export_psnr"] for r in rows if r["scale"] == 3), "measured"
        return None
    if name == "bicubic":
        from drrn_tf.datasets import resolve_dataset
        from drrn_tf.evaluation import evaluate

        return evaluate(None, [resolve_dataset("set5")], [3])[0].psnr, "measured"
    report = RESULTS / f"{name}_eval.json"
    if report.is_file():
        for r in json.loads(report.read_text())["results"]:
            if r["dataset"] == "Set5" and r["scale"] == 3:
                return r["psnr"], "measured"
    if name in PAPER_SET5_X3:
        return PAPER_SET5_X3[name], "paper"
    return None


def _plots(rows: list[dict], out: Path, size: str) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    groups: dict = {}
    for r in rows:
        if r["size"] == size:
            groups.setdefault((r["format"], r["quant"], int(r["threads"])), []).append(r)

    def save(fig, path, drawn):
        if not drawn:  # nothing at this size in these series (e.g. only 1-thread rows): no plot
            plt.close(fig)
            return []
        buf = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buf, format="png", dpi=120)
        plt.close(fig)
        write_bytes_atomic(path, buf.getvalue())
        return [path]

    written = []
    # Two panels, same latencies: against parameters (what recursion saves) and against
    # MACs per pixel (what the time follows). Two-thread (Keras: all cores) series only.
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    markers = iter("osD^v<>ph*")
    drawn = False
    for (fmt, quant, threads), group in sorted(groups.items()):
        if fmt == "opencv" or (fmt != "keras" and threads != 2):
            continue
        pts = [r for r in group if int(r["params"]) > 0]
        drawn = drawn or bool(pts)
        marker = next(markers, "o")
        for ax, key in zip(axes, ("params", "macs_per_pixel")):
            ax.scatter([int(r[key]) for r in pts], [float(r["median_ms"]) for r in pts], marker=marker, alpha=0.8, label=f"{fmt} {quant} {threads}t")
    for ax, key, label in zip(axes, ("params", "macs_per_pixel"), ("parameters", "MACs per output pixel")):
        for r in rows:  # one label per model, at its Keras point
            if r["size"] == size and int(r["params"]) > 0 and r["format"] == "keras":
                ax.annotate(r["model"], (int(r[key]), float(r["median_ms"])), fontsize=7, xytext=(5, 3), textcoords="offset points")
        ax.set(xscale="log", yscale="log", xlabel=label)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"latency at {size} (ms, median)")
    axes[0].set_title("B1U9 and B1U25 have the same parameters...", fontsize=9)
    axes[1].set_title("...but latency follows the compute", fontsize=9)
    axes[1].legend(fontsize=7)
    written += save(fig, out / "latency_vs_params.png", drawn)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    bicubic = [r for (fmt, _, _), g in groups.items() if fmt == "opencv" for r in g]
    series = [("keras", "fp32", os.cpu_count(), "o", "C0"), ("litert", "fp32", 2, "^", "C1"), ("litert", "int8", 2, "s", "C2")]
    drawn = False
    for fmt, quant, threads, marker, color in series:
        group = groups.get((fmt, quant, threads), []) + (bicubic if fmt == "keras" else [])
        for r in group:
            found = _set5_x3_psnr(r["model"], quant)
            if found:
                db, source = found
                ms = float(r["median_ms"])
                drawn = True
                ax.scatter(ms, db, marker=marker, facecolors="none" if source == "paper" else color, edgecolors=color)
                if fmt == "keras":
                    ax.annotate(r["model"], (ms, db), fontsize=7, xytext=(4, -10), textcoords="offset points")
        ax.scatter([], [], marker=marker, color=color, label=f"{fmt} {quant} {threads}t" + (" (bicubic: OpenCV)" if fmt == "keras" else ""))
    ax.set(xscale="log", xlabel=f"latency at {size} (ms, median)", ylabel="Set5 x3 PSNR (dB)")
    ax.set_title("filled: PSNR measured here (int8: of the int8 export); hollow: the paper's PSNR (no weights shipped)", fontsize=8)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    written += save(fig, out / "psnr_vs_latency.png", drawn)
    return written


def markdown_table(rows: list[dict], size: str) -> str:
    """README table at one size: median (p90) ms per format and the speed-up over Keras fp32."""
    cols = []
    for r in rows:
        key = (r["format"], r["quant"], int(r["threads"]))
        if r["size"] == size and r["format"] not in ("keras", "opencv") and key not in cols:
            cols.append(key)
    fmts, quants = ["litert", "onnxruntime", "litert.js-wasm"], ["fp32", "fp16", "dynamic", "int8", "int16x8"]
    cols.sort(key=lambda k: (fmts.index(k[0]) if k[0] in fmts else 9, quants.index(k[1]) if k[1] in quants else 9, k[2]))
    by = {(r["model"], r["format"], r["quant"], int(r["threads"])): r for r in rows if r["size"] == size}
    models = list(dict.fromkeys(r["model"] for r in rows if r["size"] == size))
    head = ["model", "params", "Keras fp32 (ms)"] + [f"{f} {q} {t}t" for f, q, t in cols]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in models:
        keras = next((r for (mm, f, _, _), r in by.items() if mm == m and f in ("keras", "opencv")), None)
        if keras is None:
            continue
        base = float(keras["median_ms"])
        cells = [m, f"{int(keras['params']):,}", f"{base:,.1f}" + (" (OpenCV)" if keras["format"] == "opencv" else "")]
        for f, q, t in cols:
            r = by.get((m, f, q, t))
            cells.append(f"{float(r['median_ms']):,.1f} ({base / float(r['median_ms']):.2f}x)" if r else "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def speedup_check(rows: list[dict]) -> str | None:
    """Issue #4's target: LiteRT int8 at 2 threads >= 2x faster than Keras fp32, DRRN B1U9, 288x288."""
    cell = {(r["format"], r["quant"], int(r["threads"])): float(r["median_ms"]) for r in rows if r["model"] == "drrn_b1u9" and r["size"] == "288x288"}
    keras = next((v for (f, _, _), v in cell.items() if f == "keras"), None)
    int8 = cell.get(("litert", "int8", 2))
    if keras is None or int8 is None:
        return None
    ratio = keras / int8
    return f"check: drrn_b1u9 288x288: LiteRT int8 2 threads {int8:.1f} ms vs Keras fp32 {keras:.1f} ms = {ratio:.2f}x (target >= 2x): {'met' if ratio >= 2 else 'MISSED'}"


def _write(rows: list[dict], out: Path, commands: list[str]) -> None:
    fields = ["model", "params", "macs_per_pixel", "format", "quant", "threads", "size", "file_bytes", "median_ms", "p90_ms", "runs", "command"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    write_bytes_atomic(out / "latency.csv", buf.getvalue().encode())
    doc = {"commands": commands, "cpus": os.cpu_count(), "rows": rows}
    write_bytes_atomic(out / "latency.json", (json.dumps(doc, indent=2) + "\n").encode())


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
        print("wrote " + ", ".join(str(p) for p in _plots(rows, Path(args.out), args.plot)))
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

    from drrn_tf.datasets import resolve_dataset
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
            benches.append(_bench_browser(name, sizes, args, calib, command))
        for bench in benches:
            for r in bench:
                rows[tuple(str(r[k]) for k in KEY)] = r
        _write(list(rows.values()), out, sorted({r["command"] for r in rows.values()}, key=order.index))

    size0 = f"{sizes[0][0]}x{sizes[0][1]}"
    plots = _plots(list(rows.values()), out, size0)
    print(f"{'model':<14} {'format':<12} {'quant':<8} {'thr':>3} {'size':>9} {'median ms':>10} {'p90 ms':>9} {'runs':>4}")
    for r in rows.values():
        print(
            f"{r['model']:<14} {r['format']:<12} {r['quant']:<8} {r['threads']:>3} {r['size']:>9} {float(r['median_ms']):>10.1f} {float(r['p90_ms']):>9.1f} {r['runs']:>4}"
        )
    check = speedup_check(list(rows.values()))
    if check:
        print(check)
    print("wrote " + ", ".join(str(p) for p in [out / "latency.csv", out / "latency.json", *plots]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
