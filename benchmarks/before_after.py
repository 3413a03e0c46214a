"""The README's before/after picture: a crop of a real photo upscaled x3 by bicubic and by DRRN.

    python benchmarks/before_after.py                 # writes benchmarks/results/before_after.png (~30 s)
    python benchmarks/before_after.py --scale 2 --jpeg 75 --models drrn_b1u9 drrn_b1u9_real \
        -o benchmarks/results/before_after_jpeg75.png   # the photo as a messenger passes it on

The photo is scikit-image's ``astronaut.png`` (NASA, public domain; in scikit-image's wheel, so
nothing is downloaded). It is shrunk by 3 with MATLAB's bicubic (``drrn_tf.imresize``), then
upscaled back the way a user's picture is (``drrn_tf.upscale_pixels``, RGB in and out): by bicubic
interpolation and by the default model. The panels show one crop of the result, enlarged 2x with
nearest neighbours so that pixels stay visible: the low-resolution input, bicubic, DRRN, and the
original. PSNR (Y, the paper's protocol: shave the scale) is of the whole photo. ``--jpeg Q`` saves
the small photo as a colour JPEG of quality Q (Pillow, 4:2:0) before it is upscaled, as pictures
passed on by web pages and messengers are.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
CROP = (slice(60, 240), slice(150, 330))  # rows, columns of the 510x510 photo: face and helmet ring
ZOOM = 2


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=[None], help="a panel per model (default: the default preset)")
    ap.add_argument("--scale", type=int, default=3, choices=[2, 3, 4])
    ap.add_argument("--jpeg", type=int, default=None, metavar="Q", help="save the small photo as a JPEG of quality Q first")
    ap.add_argument("-o", "--output", default=str(RESULTS / "before_after.png"))
    args = ap.parse_args(argv)
    scale = args.scale

    import skimage
    from PIL import Image

    import drrn_tf
    from drrn_tf.io.files import atomic_path
    from drrn_tf.protocol.evaluation import hr_luminance
    from drrn_tf.protocol.figures import crop_zoom, side_by_side
    from drrn_tf.protocol.matlab import modcrop, shave
    from drrn_tf.protocol.metrics import psnr

    photo = drrn_tf.read_image(Path(skimage.__file__).parent / "data" / "astronaut.png").pixels
    hr = modcrop(photo, scale)
    lr = drrn_tf.imresize(hr, 1.0 / scale)
    what = f"{lr.shape[1]}x{lr.shape[0]} photo"
    if args.jpeg is not None:
        buf = io.BytesIO()
        Image.fromarray(lr).save(buf, format="JPEG", quality=args.jpeg)
        lr, what = np.asarray(Image.open(buf).convert("RGB")), f"{what}, JPEG {args.jpeg}"

    def score(img) -> float:
        return psnr(shave(hr_luminance(img), scale), shave(hr_luminance(hr), scale))

    rows, cols = CROP
    lr_rows, lr_cols = slice(rows.start // scale, rows.stop // scale), slice(cols.start // scale, cols.stop // scale)
    panels = [(crop_zoom(lr, lr_rows, lr_cols, scale * ZOOM), f"input: {what} (pixels shown {scale}x)")]
    scores = []
    for name in ["bicubic", *args.models]:
        model = None if name == "bicubic" else drrn_tf.load_model(name) if name else drrn_tf.load_model()
        up = drrn_tf.upscale_pixels(model, lr, scale)
        label = "bicubic" if model is None else model.name
        scores.append(f"{label} {score(up):.2f} dB")
        panels.append((crop_zoom(up, rows, cols, ZOOM), f"{label} x{scale}: {score(up):.2f} dB"))
    figure = side_by_side([*panels, (crop_zoom(hr, rows, cols, ZOOM), "original")])

    out = Path(args.output)
    with atomic_path(out) as tmp:
        Image.fromarray(figure).save(tmp, format="PNG", optimize=True)
    print(f"{', '.join(scores)} (Y PSNR of the whole x{scale} photo, shave {scale})")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
