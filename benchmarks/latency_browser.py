"""LiteRT.js latency in headless Chromium (see latency.py): fixed-shape models served by drrn serve-demo's server."""

from __future__ import annotations

import json
from pathlib import Path

from drrn_tf.nn.presets import build_preset
from drrn_tf.nn.stats import model_stats

try:  # python -m benchmarks.latency
    from benchmarks.latency_report import row
except ImportError:  # python benchmarks/latency.py
    from latency_report import row


def drive(models: Path, steps: list[dict], chromium: str, query: str = "") -> dict:
    """Serve the page with the models in ``models`` (drrn serve-demo's server, a free port), run
    ``steps`` in headless Chromium through web_demo/tests/driver.mjs on the page's URL plus
    ``query``, and return the driver's result."""
    import subprocess
    import threading

    from drrn_tf_export.serve import WEB_DEMO, make_server

    server = make_server(models, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        plan, result = models / "plan.json", models / "result.json"
        url = f"http://127.0.0.1:{server.server_address[1]}/{query}"
        plan.write_text(json.dumps({"url": url, "chromium": chromium, "timeout_ms": 3_600_000, "steps": steps}))
        subprocess.run(["node", str(WEB_DEMO / "tests" / "driver.mjs"), str(plan), str(result)], check=True)
        return json.loads(result.read_text())
    finally:
        server.shutdown()
        server.server_close()


def bench_browser(name: str, sizes, args, calib, command: str):
    """LiteRT.js (WebAssembly, XNNPACK) in headless Chromium via web_demo/tests/driver.mjs: one row per
    fixed-shape model, quantisation and thread count. Needs Node.js, Chromium and web_demo/node_modules."""
    import tempfile

    from drrn_tf_export.convert import convert_tflite

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
        res = drive(models, steps, args.chromium)
    for (q, size, nbytes), step in zip(meta, res["steps"]):
        for b in step["bench"]:
            yield row(base, "litert.js-wasm", "fp32" if q == "none" else q, b["threads"], size, nbytes, b["median_ms"], b["p90_ms"], b["runs"], command)
