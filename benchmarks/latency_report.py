"""Latency results: the row schema, latency.{csv,json}, the README table and the plots (see latency.py)."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

from drrn_tf.io.files import write_bytes_atomic, write_json_atomic

RESULTS = Path(__file__).resolve().parent / "results"
KEY = ("model", "size", "format", "quant", "threads")
# Set5 x3 PSNR the paper reports (Tai et al. 2017, Table 3); plotted as hollow "paper" points for
# presets without a committed evaluation (benchmarks/results/NAME_eval.json).
PAPER_SET5_X3 = {"srcnn": 32.75, "vdsr": 33.66, "drrn_b1u9": 33.93, "drrn_b1u25": 34.03}


def row(base: dict, fmt, quant, threads, size, file_bytes, median_ms, p90_ms, runs, command) -> dict:
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
        from drrn_tf.io.datasets import resolve_dataset
        from drrn_tf.protocol.evaluation import evaluate

        return evaluate(None, [resolve_dataset("set5")], [3])[0].psnr, "measured"
    report = RESULTS / f"{name}_eval.json"
    if report.is_file():
        for r in json.loads(report.read_text())["results"]:
            if r["dataset"] == "Set5" and r["scale"] == 3:
                return r["psnr"], "measured"
    if name in PAPER_SET5_X3:
        return PAPER_SET5_X3[name], "paper"
    return None


def plots(rows: list[dict], out: Path, size: str) -> list[Path]:
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


def write_rows(rows: list[dict], out: Path, commands: list[str]) -> None:
    fields = ["model", "params", "macs_per_pixel", "format", "quant", "threads", "size", "file_bytes", "median_ms", "p90_ms", "runs", "command"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    write_bytes_atomic(out / "latency.csv", buf.getvalue().encode())
    doc = {"commands": commands, "cpus": os.cpu_count(), "rows": rows}
    write_json_atomic(out / "latency.json", doc)
