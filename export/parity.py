"""Parity of an exported artefact with its Keras model, in the paper's protocol on Set5."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from drrn_tf.constants import SCALES
from drrn_tf.errors import ParityError
from drrn_tf.io.datasets import resolve_dataset
from drrn_tf.protocol.evaluation import evaluate

__all__ = ["PARITY_TARGETS_DB", "parity_report", "e2e_agreement", "e2e_set_psnr"]

# Largest allowed Set5 PSNR drop (dB) against the Keras model, per quantisation.
PARITY_TARGETS_DB = {"none": 0.01, "fp16": 0.01, "dynamic": 0.1, "int16x8": 0.05, "int8": 0.3, "onnx": 0.01}


def parity_report(
    keras_predict: Callable[[np.ndarray], np.ndarray],
    export_predict: Callable[[np.ndarray], np.ndarray],
    quant: str,
    data: str = "set5",
    scales=SCALES,
) -> dict:
    """Set5 PSNR/SSIM of both per scale, the worst drop, the target and whether it is met. A model
    whose output is not finite (NaN or inf anywhere) is refused: scored after rounding it would
    look like a black image, and two black images agree perfectly."""
    keras_predict, export_predict = _finite(keras_predict, "the Keras model"), _finite(export_predict, "the export")
    sets = [resolve_dataset(data)]
    ref = {r.scale: r for r in evaluate(keras_predict, sets, scales)}
    got = {r.scale: r for r in evaluate(export_predict, sets, scales)}
    rows = [
        {
            "scale": s,
            "keras_psnr": ref[s].psnr,
            "export_psnr": got[s].psnr,
            "drop_db": ref[s].psnr - got[s].psnr,
            "keras_ssim": ref[s].ssim,
            "export_ssim": got[s].ssim,
        }
        for s in scales
    ]
    worst = max(r["drop_db"] for r in rows)
    target = PARITY_TARGETS_DB[quant]
    return {"dataset": sets[0][0], "scales": rows, "worst_drop_db": worst, "target_db": target, "passed": worst <= target}


def _finite(predict: Callable[[np.ndarray], np.ndarray], what: str) -> Callable[[np.ndarray], np.ndarray]:
    def checked(y):
        out = predict(y)
        if not np.isfinite(out).all():
            raise ParityError(f"{what} gives NaN or inf on a parity image; nothing written")
        return out

    return checked


def e2e_agreement(
    run_e2e: Callable[[np.ndarray], np.ndarray], upscale: Callable[[np.ndarray], np.ndarray], height: int, width: int, scale: int, data=("set5", "set14")
) -> dict:
    """How far the end-to-end model is from ``drrn upscale`` on real photos.

    For each colour image of the sets ``data`` (a name or names): the HR photo is shrunk
    by ``scale`` (MATLAB bicubic, rounded to uint8) and the top-left HxW crop of it is
    upscaled both ways; images whose LR version is smaller than HxW are skipped.
    """
    from drrn_tf.io.images import list_images, read_image
    from drrn_tf.protocol.matlab import imresize

    diffs = []
    paths = [p for name in ([data] if isinstance(data, str) else data) for p in list_images(resolve_dataset(name)[1])]
    for path in paths:
        rgb = read_image(path).pixels
        if rgb.ndim != 3:
            continue
        lr = imresize(rgb[..., :3], 1.0 / scale)
        if lr.shape[0] < height or lr.shape[1] < width:
            continue
        crop = np.ascontiguousarray(lr[:height, :width])
        diffs.append(np.abs(run_e2e(crop).astype(np.int32) - upscale(crop).astype(np.int32)).ravel())
    if not diffs:
        return {"images": 0}
    d = np.concatenate(diffs)
    return {"images": len(diffs), "max_abs_diff": int(d.max()), "fraction_within_1": float((d <= 1).mean()), "target_fraction_within_1": 0.99}


def e2e_set_psnr(upscale_rgb: Callable[[np.ndarray], np.ndarray], scale: int, data: str = "set5") -> dict:
    """Y PSNR of an end-to-end model on a set's colour photos, as a user meets it: each HR photo,
    cropped to a multiple of ``scale``, is shrunk (MATLAB bicubic, rounded to uint8 RGB) and
    upscaled by ``upscale_rgb`` (LR uint8 RGB -> HR uint8 RGB, tiled); the Y channel of the result
    (MATLAB rgb2ycbcr) is scored against the HR photo's, ``scale`` pixels shaved. The same photos
    enlarged by MATLAB bicubic give the bicubic figure beside it."""
    from drrn_tf.io.images import list_images, read_image
    from drrn_tf.protocol.matlab import im2uint8, imresize, modcrop, rgb2ycbcr, shave
    from drrn_tf.protocol.metrics import psnr

    def y(rgb: np.ndarray) -> np.ndarray:
        return shave(rgb2ycbcr(rgb)[..., 0], scale)

    name, folder = resolve_dataset(data)
    ours, bicubic = [], []
    for path in list_images(folder):
        hr = read_image(path).pixels
        if hr.ndim != 3:
            continue
        hr = modcrop(im2uint8(hr)[..., :3], scale)
        lr = imresize(hr, 1.0 / scale)  # uint8 in, uint8 out (rounded), as MATLAB
        ours.append(psnr(y(np.asarray(upscale_rgb(lr), np.uint8)), y(hr)))
        bicubic.append(psnr(y(imresize(lr, scale)), y(hr)))
    return {
        "dataset": name,
        "scale": scale,
        "images": len(ours),
        "psnr": float(np.mean(ours)),
        "bicubic_psnr": float(np.mean(bicubic)),
        "protocol": "HR RGB photo -> MATLAB bicubic 1/scale, uint8 -> this model, tiled -> Y (rgb2ycbcr) vs HR Y, shave scale",
    }
