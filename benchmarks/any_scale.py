"""DRRN between and beyond its trained scales: Set5/Set14 at x1.5, x2.5, x3.5 and x8, and the ways
of running it there, which chose the default.

    python -m benchmarks.any_scale                 # every model (the Keras runtime), ~60 min on 2 cores
    python -m benchmarks.any_scale --models bicubic drrn_b1u9_f32

The cells are ``drrn eval --model M --runtime keras --data set5 set14 --scales 1.5 2.5 3.5 8
-o benchmarks/results/any_scale/M.json`` (printed as it runs; files already there are kept): the HR
image cropped to a multiple of p (s = p/q), shrunk by MATLAB bicubic to exactly q/p of its size,
upscaled back as ``drrn upscale`` does it (the network at the next trained scale, at most x4, then
resampled to the size: ``drrn_tf.protocol.evaluation.network_scale``), ceil(s) pixels shaved.
Against that default, for the models in ``COMPARED``, the other ways at x1.5 and x8: one pass (the
network at the scale itself, on the bicubic upscale to the HR size), and at x8 passes of trained
scales (x2 three times; x4 then x2), each pass MATLAB bicubic up and the network
(``any_scale/M.ways.json``). Results: ``benchmarks/results/any_scale.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
MODELS = ["bicubic", "drrn_b1u9_f32", "drrn_b1u9_f32_real", "drrn_b1u9", "drrn_b1u9_real", "drrn_b1u25"]
COMPARED = MODELS[1:5]  # drrn_b1u25 (three times B1U9's time): its cells only
SCALES = ["1.5", "2.5", "3.5", "8"]
SETS = ["set5", "set14"]
CHAINS = {"×2 ×2 ×2": (2, 2, 2), "×4 ×2": (4, 2)}


def chained(engine, sets: list[str], passes: tuple[int, ...]) -> dict[str, float]:
    """Mean Y PSNR per set of an upscale made of ``passes`` (each: bicubic up, then the network)."""
    from drrn_tf.io.datasets import resolve_dataset
    from drrn_tf.io.images import list_images, read_image
    from drrn_tf.nn.predict import predict_y
    from drrn_tf.protocol.evaluation import hr_luminance, measure, protocol_crop
    from drrn_tf.protocol.matlab import imresize

    scale = int(np.prod(passes))
    out = {}
    for name in sets:
        label, folder = resolve_dataset(name)
        scores = []
        for path in list_images(folder):
            hr = protocol_crop(hr_luminance(read_image(path).pixels).astype(np.float64) / 255.0, scale)
            x = imresize(hr, 1.0 / scale)
            for f in passes:
                x = np.clip(predict_y(engine, imresize(x, f)), 0.0, 1.0)
            scores.append(measure(x, hr, scale)["psnr"])
        out[label] = float(np.mean(scores))
    return out


def other_ways(model: str) -> dict[str, dict[str, float]]:
    """{way: {"Set5 x8": psnr, ...}} of the ways ``drrn upscale`` does not take by default."""
    from drrn_tf.io.datasets import resolve_dataset
    from drrn_tf.nn.loading import load_engine
    from drrn_tf.nn.predict import predict_y
    from drrn_tf.protocol.evaluation import evaluate

    engine = load_engine(model, "keras", require_trained=True)
    one = evaluate(lambda up: predict_y(engine, up), [resolve_dataset(s) for s in SETS], [1.5, 8], resample=False)
    ways = {"one pass": {f"{r.dataset} x{r.scale:g}": r.psnr for r in one}}
    for label, passes in CHAINS.items():
        ways[label] = {f"{name} x8": v for name, v in chained(engine, SETS, passes).items()}
    return ways


def tables(doc: dict) -> str:
    """Markdown: each model's Y PSNR at every scale with its gain over bicubic (a loss in bold), then
    the ways compared at x1.5 and x8 (the best of a row in bold)."""
    cells, base = list(doc["cells"]["bicubic"]), doc["cells"]["bicubic"]
    lines = ["| model | " + " | ".join(c.replace(" x", " ×") for c in cells) + " |", "|---|" + "---|" * len(cells)]
    for model, row in doc["cells"].items():
        if model == "bicubic":
            lines.append("| bicubic | " + " | ".join(f"{row[c]:.2f}" for c in cells) + " |")
            continue
        gains = [row[c] - base[c] for c in cells]
        lines.append(
            f"| `{model}` | " + " | ".join(f"{row[c]:.2f} ({'**' if g < 0 else ''}{g:+.2f}{'**' if g < 0 else ''})" for c, g in zip(cells, gains)) + " |"
        )
    columns = [("x1.5", "one pass"), ("x1.5", "default"), ("x8", "one pass"), *(("x8", c) for c in CHAINS), ("x8", "default")]
    names = {"x1.5": "×2, then bicubic down", "x8": "×4, then bicubic up"}
    head = [f"{s.replace('x', '×')}: {names[s] + ' (default)' if w == 'default' else w}" for s, w in columns]
    lines += ["", "| model | set | " + " | ".join(head) + " |", "|---|---|" + "---|" * len(columns)]
    for model, ways in doc["ways"].items():
        for name in dict.fromkeys(c.split(" x")[0] for c in cells):
            values = [(doc["cells"][model] if w == "default" else ways[w])[f"{name} {s}"] for s, w in columns]
            best = {s: max(v for (t, _), v in zip(columns, values) if t == s) for s, _ in columns}
            lines.append(f"| `{model}` | {name} | " + " | ".join(f"**{v:.2f}**" if v == best[s] else f"{v:.2f}" for (s, _), v in zip(columns, values)) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=MODELS)
    args = ap.parse_args(argv)
    folder = RESULTS / "any_scale"
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"command": "python -m benchmarks.any_scale", "cells": {}, "ways": {}}
    for model in args.models:
        path = folder / f"{model}.json"
        runtime = [] if model == "bicubic" else ["--runtime", "keras"]
        cmd = ["drrn", "eval", "--model", model, *runtime, "--data", *SETS, "--scales", *SCALES, "-o", str(path.relative_to(RESULTS.parent.parent))]
        print(" ".join(cmd), flush=True)
        if not path.exists():
            subprocess.run(
                [sys.executable, "-m", "drrn_tf", *cmd[1:]], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=RESULTS.parent.parent
            )
        doc["cells"][model] = {f"{r['dataset']} x{r['scale']:g}": r["psnr"] for r in json.loads(path.read_text())["results"]}
        ways = folder / f"{model}.ways.json"  # kept too, as the cells are
        if model in COMPARED and not ways.exists():
            ways.write_text(json.dumps(other_ways(model), indent=2) + "\n")
        if model in COMPARED:
            doc["ways"][model] = json.loads(ways.read_text())
    (RESULTS / "any_scale.json").write_text(json.dumps(doc, indent=2) + "\n")
    print(tables(doc), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
