"""The README's before/after picture: a crop of a real photo upscaled x3 by bicubic and by DRRN.

    python benchmarks/before_after.py                 # writes benchmarks/results/before_after.png (~30 s)

The photo is scikit-image's ``astronaut.png`` (NASA, public domain; in scikit-image's wheel, so
nothing is downloaded). It is shrunk by 3 with MATLAB's bicubic (``drrn_tf.imresize``), then
upscaled back the way a user's picture is (``drrn_tf.upscale_pixels``, RGB in and out): by bicubic
interpolation and by the default model. The panels show one crop of the result, enlarged 2x with
nearest neighbours so that pixels stay visible: the low-resolution input, bicubic, DRRN, and the
original. PSNR (Y, the paper's protocol: shave 3) is of the whole photo.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SCALE = 3
CROP = (slice(60, 240), slice(150, 330))  # rows, columns of the 510x510 photo: face and helmet ring
ZOOM = 2


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model for the DRRN panel (default: the default preset)")
    ap.add_argument("-o", "--output", default=str(RESULTS / "before_after.png"))
    args = ap.parse_args(argv)

    import skimage

    import drrn_tf
    from drrn_tf.io.files import atomic_path
    from drrn_tf.protocol.evaluation import hr_luminance
    from drrn_tf.protocol.figures import crop_zoom, side_by_side
    from drrn_tf.protocol.matlab import modcrop, shave
    from drrn_tf.protocol.metrics import psnr

    photo = drrn_tf.read_image(Path(skimage.__file__).parent / "data" / "astronaut.png").pixels
    hr = modcrop(photo, SCALE)
    lr = drrn_tf.imresize(hr, 1.0 / SCALE)
    model = drrn_tf.load_model(args.model) if args.model else drrn_tf.load_model()
    bicubic = drrn_tf.upscale_pixels(None, lr, SCALE)
    restored = drrn_tf.upscale_pixels(model, lr, SCALE)

    def score(img) -> float:
        return psnr(shave(hr_luminance(img), SCALE), shave(hr_luminance(hr), SCALE))

    rows, cols = CROP
    lr_rows, lr_cols = slice(rows.start // SCALE, rows.stop // SCALE), slice(cols.start // SCALE, cols.stop // SCALE)
    figure = side_by_side(
        [
            (crop_zoom(lr, lr_rows, lr_cols, SCALE * ZOOM), f"input: {lr.shape[1]}x{lr.shape[0]} photo (pixels shown {SCALE}x)"),
            (crop_zoom(bicubic, rows, cols, ZOOM), f"bicubic x{SCALE}: {score(bicubic):.2f} dB"),
            (crop_zoom(restored, rows, cols, ZOOM), f"{model.name} x{SCALE}: {score(restored):.2f} dB"),
            (crop_zoom(hr, rows, cols, ZOOM), "original"),
        ]
    )
    from PIL import Image

    out = Path(args.output)
    with atomic_path(out) as tmp:
        Image.fromarray(figure).save(tmp, format="PNG", optimize=True)
    print(f"bicubic {score(bicubic):.2f} dB, {model.name} {score(restored):.2f} dB (Y PSNR of the whole x{SCALE} photo, shave {SCALE})")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
