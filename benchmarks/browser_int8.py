"""Why int8 pays so little in LiteRT.js: one model and tile size, each hypothesis measured.

    python benchmarks/browser_int8.py                  # drrn_b1u9 at 288x288 (~10 min here); results/browser_int8.json
    python benchmarks/browser_int8.py --model drrn_b1u9_f32 --size 96 --runs 3 -o /tmp/b.json   # quick

The same fixed-shape Y model (``convert_tflite``: float32 in and out) in four variants -- fp32,
int8 (per-channel weights: the export's default), int8 with per-tensor weights, and dynamic
(int8 weights, float activations) -- is timed

- in headless Chromium with LiteRT.js 2.5.3 (``web_demo``'s benchmark, through
  ``web_demo/tests/driver.mjs``), in each WebAssembly build the page can load: ``threaded``
  (relaxed SIMD + threads; the default when cross-origin isolated) at 1 and 2 threads,
  ``simd`` (relaxed SIMD, one thread) and ``compat`` (plain SIMD, one thread; what browsers
  without relaxed SIMD get). Each run is timed in order, so the first (warm-up) run shows apart;
  the median is over the runs after it;
- natively with Python LiteRT, with XNNPACK (the default) and without (TFLite's built-in
  kernels), at 1 and 2 threads.

It prints a table and the ratios that answer the question (int8 vs fp32 per runtime, browser vs
native), and the LiteRT.js console lines (which delegate took which nodes).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

try:  # python -m benchmarks.browser_int8
    from benchmarks.latency_browser import drive
except ImportError:  # python benchmarks/browser_int8.py
    from latency_browser import drive

RESULTS = Path(__file__).resolve().parent / "results"
VARIANTS = {"fp32": ("none", False), "int8": ("int8", False), "int8 per-tensor": ("int8", True), "dynamic": ("dynamic", False)}
# (wasm build, threads) per variant: the builds besides the default are measured for fp32 and int8 only.
BROWSER = {
    "fp32": [("threaded", 1), ("threaded", 2), ("simd", 1), ("compat", 1)],
    "int8": [("threaded", 1), ("threaded", 2), ("simd", 1), ("compat", 1)],
    "int8 per-tensor": [("threaded", 1), ("threaded", 2)],
    "dynamic": [("threaded", 1), ("threaded", 2)],
}


def convert(model, quant: str, per_tensor: bool, size: int, calib) -> bytes:
    from drrn_tf_export.convert import convert_tflite

    return convert_tflite(model, quant, (size, size), calib if quant == "int8" else None, per_tensor=per_tensor)


def native(blob: bytes, size: int, threads: int, xnnpack: bool, runs: int) -> dict:
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolver = OpResolverType.AUTO if xnnpack else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    it = Interpreter(model_content=blob, num_threads=threads, experimental_op_resolver_type=resolver)
    it.allocate_tensors()
    inp = it.get_input_details()[0]
    it.set_tensor(inp["index"], np.full((1, size, size, 1), 0.5, np.float32))
    times = []
    for _ in range(runs + 1):
        t = time.perf_counter()
        it.invoke()
        times.append((time.perf_counter() - t) * 1000)
    return {"first_ms": times[0], "median_ms": statistics.median(times[1:])}


def browser(models: Path, steps_by_build: dict, runs: int, chromium: str) -> tuple[dict, list[str]]:
    """{(file, build, threads): {"first_ms", "median_ms"}} and the page's console lines."""
    out, console = {}, []
    for build, steps in steps_by_build.items():
        bench = [{"bench": f"models/{f}", "threads": [t], "runs": runs, "warmup": 0} for f, t in steps]
        res = drive(models, bench, chromium, "" if build == "threaded" else f"?wasm={build}")
        console += [f"[{build}] {line}" for line in res["console"]]
        for (f, t), step in zip(steps, res["steps"]):
            (row,) = step["bench"]
            assert row["wasm"] == build, (row["wasm"], build)
            out[(f, build, t)] = {"first_ms": row["times"][0], "median_ms": statistics.median(row["times"][1:])}
    return out, console


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="drrn_b1u9", help="preset (default drrn_b1u9)")
    ap.add_argument("--size", type=int, default=288, help="square input side (default 288)")
    ap.add_argument("--runs", type=int, default=6, help="timed runs per row, the first counted apart (default 6)")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("-o", "--output", default=str(RESULTS / "browser_int8.json"))
    args = ap.parse_args(argv)
    command = " ".join(["python benchmarks/browser_int8.py", *(sys.argv[1:] if argv is None else argv)])

    from drrn_tf.io.datasets import resolve_dataset
    from drrn_tf.io.files import write_json_atomic
    from drrn_tf.nn.presets import build_preset
    from drrn_tf_export.convert import representative_samples

    model = build_preset(args.model)
    calib = representative_samples(resolve_dataset("train291")[1], n=64, size=(args.size, args.size))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp)
        (models / "models.json").write_text('{"models": []}')
        files = {}
        for name, (quant, per_tensor) in VARIANTS.items():
            blob = convert(model, quant, per_tensor, args.size, calib)
            files[name] = f"{name.replace(' ', '_')}.tflite"
            (models / files[name]).write_bytes(blob)
            for threads in (1, 2):
                for xnnpack in (True, False):
                    r = native(blob, args.size, threads, xnnpack, args.runs)
                    rows.append({"variant": name, "runtime": "native " + ("xnnpack" if xnnpack else "builtin"), "threads": threads, **r, "bytes": len(blob)})
                    print(f"{name:16s} {rows[-1]['runtime']:15s} {threads}t: {r['median_ms']:9.1f} ms", flush=True)
        by_build: dict = {}
        for name, targets in BROWSER.items():
            for build, threads in targets:
                by_build.setdefault(build, []).append((files[name], threads))
        timed, console = browser(models, by_build, args.runs, args.chromium)
    for name, targets in BROWSER.items():
        for build, threads in targets:
            r = timed[(files[name], build, threads)]
            rows.append({"variant": name, "runtime": f"litert.js {build}", "threads": threads, **r})
            print(f"{name:16s} {rows[-1]['runtime']:15s} {threads}t: {r['median_ms']:9.1f} ms (first run {r['first_ms']:.0f} ms)", flush=True)
    doc = {"command": command, "model": args.model, "size": args.size, "runs": args.runs, "rows": rows, "console": console[-200:]}
    write_json_atomic(args.output, doc, indent=1)
    median = {(r["variant"], r["runtime"], r["threads"]): r["median_ms"] for r in rows}
    print(f"\n| {args.model} {args.size}x{args.size} | threads | fp32 (ms) | int8 (ms) | int8 per-tensor | dynamic | fp32 / int8 |")
    print("|---|---|---|---|---|---|---|")
    for runtime, threads in sorted({(r["runtime"], r["threads"]) for r in rows}):
        cells = [median.get((v, runtime, threads)) for v in VARIANTS]
        text = " | ".join("" if c is None else f"{c:.0f}" for c in cells)
        ratio = cells[0] / cells[1] if cells[0] and cells[1] else None
        print(f"| {runtime} | {threads} | {text} | {'' if ratio is None else f'{ratio:.2f}x'} |")
    print(
        f"\nint8, browser (threaded, 2 threads) / native XNNPACK (2 threads): {median[('int8', 'litert.js threaded', 2)] / median[('int8', 'native xnnpack', 2)]:.1f}x"
    )
    print(
        f"fp32, browser (threaded, 2 threads) / native XNNPACK (2 threads): {median[('fp32', 'litert.js threaded', 2)] / median[('fp32', 'native xnnpack', 2)]:.1f}x"
    )
    delegate = [line for line in console if "delegate" in line.lower() or "xnnpack" in line.lower()]
    print("\nLiteRT.js console lines about delegates:" + ("".join(f"\n  {line}" for line in delegate[:12]) or " none"))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
