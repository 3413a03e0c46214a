"""The paper's qualitative comparison, redone with the shipped models: a PNG grid of crops.

    python benchmarks/qualitative.py            # writes benchmarks/results/qualitative.png (~3 min here)
    python benchmarks/qualitative.py --models drrn_b1u9_f32 --cases Set5/butterfly.png:4 -o q.png

Each row is one test image at one scale, in the paper's protocol (Y channel of the uint8 HR image,
MATLAB bicubic down and up, the network on Y): the HR crop, then bicubic and each model's output on
the same crop, each labelled with its PSNR over the whole (shaved) image. The crop is chosen by a
rule, not by eye: the square window where the best model listed gains the most over bicubic in
summed squared error. Crops are enlarged 3x by pixel repetition. Needs the benchmark sets
(``$DRRN_DATA`` or ``../shared/data``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
MODELS = ["drrn_b1u9_f32", "drrn_b1u9", "drrn_b1u25"]
CASES = ["Set5/butterfly.png:4", "Set14/zebra.png:3", "Set14/ppt3.png:3"]
CROP = 64  # HR pixels
ZOOM = 3


def gain_window(gain: np.ndarray, size: int) -> tuple[int, int]:
    """Top-left corner of the ``size`` x ``size`` window with the largest sum of ``gain`` (a summed-area table)."""
    table = np.pad(gain, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    sums = table[size:, size:] - table[:-size, size:] - table[size:, :-size] + table[:-size, :-size]
    r, c = np.unravel_index(np.argmax(sums), sums.shape)
    return int(r), int(c)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=MODELS, help=f"presets or .keras files, left to right (default: {' '.join(MODELS)})")
    ap.add_argument("--cases", nargs="+", default=CASES, metavar="SET/IMAGE:SCALE", help=f"rows (default: {' '.join(CASES)})")
    ap.add_argument("-o", "--output", default=str(RESULTS / "qualitative.png"))
    args = ap.parse_args(argv)

    from PIL import Image

    from drrn_tf.io.datasets import resolve_dataset
    from drrn_tf.io.files import atomic_path
    from drrn_tf.io.images import read_image
    from drrn_tf.nn.loading import load_model
    from drrn_tf.nn.predict import predict_y
    from drrn_tf.protocol.evaluation import bicubic_input, hr_luminance, score
    from drrn_tf.protocol.figures import crop_zoom, side_by_side
    from drrn_tf.protocol.matlab import im2uint8

    models = [load_model(m, require_trained=True) for m in args.models]
    rows = []
    for case in args.cases:
        where, scale = case.rsplit(":", 1)
        set_name, image = where.split("/", 1)
        scale = int(scale)
        hr, up = bicubic_input(hr_luminance(read_image(resolve_dataset(set_name.lower())[1] / image).pixels), scale)
        outputs = [(up, "bicubic")] + [(np.clip(predict_y(m, up), 0, 1), m.name) for m in models]
        # The rule: where the last (best) model gains most over bicubic, shaved border excluded.
        gain = (up - hr) ** 2 - (outputs[-1][0] - hr) ** 2
        gain[:scale], gain[-scale:], gain[:, :scale], gain[:, -scale:] = 0, 0, 0, 0
        r, c = gain_window(gain, CROP)
        box = (slice(r, r + CROP), slice(c, c + CROP))
        panels = [(crop_zoom(im2uint8(hr), *box, ZOOM), f"{image} x{scale}: HR")]
        for out, label in outputs:
            panels.append((crop_zoom(im2uint8(out), *box, ZOOM), f"{label}: {score(out, hr, scale)[0]:.2f} dB"))
        rows.append(side_by_side(panels))
        print(f"{set_name}/{image} x{scale}: crop at ({r}, {c}); " + ", ".join(p[1].split(": ", 1)[-1] for p in panels[1:]), flush=True)
    width = max(a.shape[1] for a in rows)
    grid = np.concatenate([np.pad(a, ((0, 8), (0, width - a.shape[1]), (0, 0)), constant_values=255) for a in rows])
    out = Path(args.output)
    with atomic_path(out) as tmp:
        Image.fromarray(grid).save(tmp, format="PNG", optimize=True)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
