"""DRRN between and beyond its trained scales: Set5/Set14 at x1.5, x2.5, x3.5 and x8, and for x8 one
pass against passes of the trained scales (x2 three times; x4 then x2).

    python -m benchmarks.any_scale                 # every model (the Keras runtime), ~10 min on 2 cores
    python -m benchmarks.any_scale --models bicubic drrn_b1u9_f32

The one-pass cells are ``drrn eval --model M --runtime keras --data set5 set14 --scales 1.5 2.5 3.5 8
-o benchmarks/results/any_scale/M.json`` (printed as it runs): the HR image cropped to a multiple
of p (s = p/q), shrunk by MATLAB bicubic to exactly q/p of its size, upscaled back, ceil(s)
pixels shaved. The passes reuse that protocol: the x8 LR image, then per pass MATLAB bicubic up by
that pass's factor and the model, and the last output scored as one pass's is. Results:
``benchmarks/results/any_scale.json``.
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
SCALES = ["1.5", "2.5", "3.5", "8"]
CHAINS = {"x2 x2 x2": (2, 2, 2), "x4 x2": (4, 2)}


def chained(model: str, sets: list[str], passes: tuple[int, ...]) -> dict[str, float]:
    """Mean Y PSNR per set of an x8 upscale made of ``passes`` (each: bicubic up, then the model)."""
    from drrn_tf.io.datasets import resolve_dataset
    from drrn_tf.io.images import list_images, read_image
    from drrn_tf.nn.loading import load_engine
    from drrn_tf.nn.predict import predict_y
    from drrn_tf.protocol.evaluation import hr_luminance, measure, protocol_crop
    from drrn_tf.protocol.matlab import imresize

    engine = load_engine(model, "keras", require_trained=True)
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


def tables(doc: dict) -> str:
    """Markdown: each model's Y PSNR at every scale with its gain over bicubic (a loss in bold), then
    x8 in one pass against the passes of trained scales (the best of a row in bold)."""
    one, base = doc["one_pass"], doc["one_pass"]["bicubic"]
    cells = list(base)
    lines = ["| model | " + " | ".join(c.replace(" x", " ×") for c in cells) + " |", "|---|" + "---|" * len(cells)]
    for model, row in one.items():
        if model == "bicubic":
            lines.append("| bicubic | " + " | ".join(f"{row[c]:.2f}" for c in cells) + " |")
            continue
        gains = [row[c] - base[c] for c in cells]
        lines.append(
            f"| `{model}` | " + " | ".join(f"{row[c]:.2f} ({'**' if g < 0 else ''}{g:+.2f}{'**' if g < 0 else ''})" for c, g in zip(cells, gains)) + " |"
        )
    sets = [c.split(" x")[0] for c in cells if c.endswith(" x8")]
    ways = ["one pass", *(c.replace("x", "×") for c in CHAINS)]
    lines += ["", "| ×8 by | " + " | ".join(f"{s}: {w}" for s in sets for w in ways) + " |"]
    lines.append("|---|" + "---|" * (len(sets) * len(ways)))
    for model, chains in doc["passes"].items():
        row = []
        for s in sets:
            values = [one[model][f"{s} x8"], *(chains[c][s] for c in CHAINS)]
            row += [f"**{v:.2f}**" if v == max(values) else f"{v:.2f}" for v in values]
        lines.append(f"| `{model}` | " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=MODELS)
    args = ap.parse_args(argv)
    folder = RESULTS / "any_scale"
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"command": "python -m benchmarks.any_scale", "one_pass": {}, "passes": {}}
    for model in args.models:
        path = folder / f"{model}.json"
        runtime = [] if model == "bicubic" else ["--runtime", "keras"]
        cmd = ["drrn", "eval", "--model", model, *runtime, "--data", "set5", "set14", "--scales", *SCALES, "-o", str(path.relative_to(RESULTS.parent.parent))]
        print(" ".join(cmd), flush=True)
        if not path.exists():
            subprocess.run(
                [sys.executable, "-m", "drrn_tf", *cmd[1:], "--overwrite"],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=RESULTS.parent.parent,
            )
        doc["one_pass"][model] = {f"{r['dataset']} x{r['scale']}": r["psnr"] for r in json.loads(path.read_text())["results"]}
        if model != "bicubic":
            doc["passes"][model] = {label: chained(model, ["set5", "set14"], p) for label, p in CHAINS.items()}
    (RESULTS / "any_scale.json").write_text(json.dumps(doc, indent=2) + "\n")
    for model, cells in doc["one_pass"].items():
        print(model, {k: round(v, 2) for k, v in cells.items()}, {k: {s: round(v, 2) for s, v in d.items()} for k, d in doc["passes"].get(model, {}).items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
