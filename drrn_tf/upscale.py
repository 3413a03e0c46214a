"""Upscale a user's picture: Y through the network, colour and alpha by bicubic.

Gray images go through the network directly; RGB is converted to YCbCr (BT.601,
float, unrounded), all three channels are bicubic-upscaled with the MATLAB-exact
kernel, Y is restored by the network, and the result goes back to RGB. An alpha
channel is upscaled bicubically. 8-bit in gives 8-bit out, 16-bit in gives 16-bit out.
"""

from __future__ import annotations

import keras
import numpy as np

from .imaging import imresize, matlab_round, rgb2ycbcr, ycbcr2rgb
from .inference import predict_y

__all__ = ["upscale_pixels"]


def upscale_pixels(model: keras.Model | None, pixels: np.ndarray, scale: int, **predict_kwargs) -> np.ndarray:
    """Upscale stored pixels (gray, RGB or RGBA; uint8 or uint16) by ``scale``.

    ``model=None`` means plain bicubic interpolation.
    """
    peak = float(np.iinfo(pixels.dtype).max)
    x = pixels.astype(np.float64) / peak

    def restore_y(y_up: np.ndarray) -> np.ndarray:
        return y_up if model is None else predict_y(model, y_up, **predict_kwargs).astype(np.float64)

    if x.ndim == 2:
        out = restore_y(imresize(x, scale))
    else:
        ycc_up = imresize(rgb2ycbcr(x[..., :3]), scale)
        ycc_up[..., 0] = restore_y(ycc_up[..., 0])
        out = ycbcr2rgb(ycc_up)
        if x.shape[2] == 4:
            out = np.concatenate([out, imresize(x[..., 3:], scale)], axis=2)
    return np.clip(matlab_round(out * peak), 0, peak).astype(pixels.dtype)
