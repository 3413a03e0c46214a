"""Upscale a user's picture: Y through the network, colour and alpha by bicubic.

Gray images go through the network directly; RGB is converted to YCbCr (BT.601,
float, unrounded), all three channels are bicubic-upscaled with the MATLAB-exact
kernel, Y is restored by the network, and the result goes back to RGB. An alpha
channel is upscaled bicubically. 8-bit in gives 8-bit out, 16-bit in gives 16-bit out.
The work streams tile by tile from input to output pixels (:mod:`drrn_tf.stream`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np

from .constants import SCALES
from .engine import TileEngine, check_memory_mb
from .image_io import check_pixels
from .presets import DEFAULT_PRESET
from .stream import ENGINE_BYTES_PER_PIXEL, upscale_stream

if TYPE_CHECKING:
    import keras

__all__ = ["upscale_image", "upscale_pixels"]


def upscale_pixels(
    model: keras.Model | TileEngine | None,
    pixels: np.ndarray,
    scale: int,
    *,
    window: int | None = None,
    memory_mb: float = 1024.0,
    runtime: str = "keras",
    progress: Callable[[Iterable], Iterable] = lambda it: it,
) -> np.ndarray:
    """Upscale pixels (gray (H, W) or (H, W, 1), RGB or RGBA; uint8, uint16, or float in [0, 1])
    by ``scale`` (2, 3 or 4); the result has the input's dtype (float: float32, not rounded).

    ``model``: a Keras model, a :class:`~drrn_tf.engine.TileEngine`, or ``None`` for plain bicubic
    interpolation. ``window`` is the tile side in output pixels (default: the largest whose
    working memory fits in ``memory_mb`` MiB); ``runtime`` (for a Keras model): ``keras`` or
    ``litert`` (the model's cached full-int8 export, see :func:`drrn_tf.inference.model_engine`);
    ``progress`` wraps the list of tiles.
    """
    memory_mb = check_memory_mb(memory_mb)
    pixels = check_pixels(pixels)
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(map(str, SCALES))}, got {scale!r}")
    if model is None:
        halo, restore = 0, None
        window = window or max(64, int((memory_mb * 2**20 / ENGINE_BYTES_PER_PIXEL) ** 0.5))
    else:
        if not isinstance(model, TileEngine):
            from .inference import model_engine

            model = model_engine(model, runtime)
        halo, restore = model.halo, model.run
        window = window or model.window(memory_mb)
    return upscale_stream(pixels, scale, restore, window=window, halo=halo, progress=progress)


def upscale_image(
    image,
    scale: int,
    model: keras.Model | TileEngine | str | None = DEFAULT_PRESET,
    *,
    memory_mb: float = 1024.0,
    runtime: str = "keras",
):
    """Upscale a picture by ``scale`` (2, 3 or 4): ``image`` is a file path, a PIL image or an array
    (as :func:`upscale_pixels` takes). A PIL image gives a PIL image back; a path or an array gives
    the pixels (numpy, the input's dtype; a file's EXIF orientation applied).

    ``model``: a loaded model or engine (pass one when upscaling many pictures), a model spec as
    :func:`drrn_tf.load_model` takes (default: the default preset), or ``None`` for bicubic.
    """
    import os

    from .image_io import pil_to_array, read_image
    from .loading import load_engine

    if isinstance(model, (str, os.PathLike)):
        model = load_engine(model, runtime, require_trained=True)
    if isinstance(image, (str, os.PathLike)):
        return upscale_pixels(model, read_image(image).pixels, scale, memory_mb=memory_mb, runtime=runtime)
    if isinstance(image, np.ndarray):
        return upscale_pixels(model, image, scale, memory_mb=memory_mb, runtime=runtime)
    from PIL import Image

    if isinstance(image, Image.Image):
        return Image.fromarray(upscale_pixels(model, pil_to_array(image), scale, memory_mb=memory_mb, runtime=runtime))
    raise TypeError(f"image must be a path, a PIL image or a numpy array, got {type(image).__name__}")
