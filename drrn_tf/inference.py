"""Run a super-resolution model on an image of any size, tiled to bound memory.

Tiles overlap by the model's receptive radius (see :mod:`drrn_tf.tiling`), so the
tiled result equals the whole-image result up to float rounding.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from .stats import receptive_radius
from .tiling import tile_plan

__all__ = ["predict_y", "default_window"]


def _max_channels(model: keras.Model) -> int:
    widest = 1
    for w in model.weights:
        if len(w.shape) == 4:  # conv kernels (kh, kw, cin, cout)
            widest = max(widest, int(w.shape[-1]))
    return widest


def default_window(model: keras.Model, memory_mb: float = 1024.0, halo: int | None = None) -> int:
    """Largest square window whose activations fit in about ``memory_mb`` MiB.

    About six feature maps of the widest layer are alive at once in float32.
    """
    halo = receptive_radius(model) if halo is None else halo
    per_pixel = 4 * 6 * _max_channels(model)
    side = int(math.sqrt(memory_mb * 2**20 / per_pixel))
    return max(side, 2 * halo + 32)


def predict_y(
    model: keras.Model,
    y: np.ndarray,
    *,
    window: int | None = None,
    memory_mb: float = 1024.0,
) -> np.ndarray:
    """Apply ``model`` to a luminance image ``y`` (H, W) in [0, 1]; returns float32 (H, W).

    ``window`` is the input tile side (default: chosen from ``memory_mb``). No clipping.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 3 and y.shape[2] == 1:
        y = y[..., 0]
    if y.ndim != 2:
        raise ValueError(f"expected a (H, W) luminance image, got shape {y.shape}")
    halo = receptive_radius(model)
    window = window or default_window(model, memory_mb, halo)
    out = np.empty(y.shape, dtype=np.float32)
    for rows, cols in tile_plan(y.shape[0], y.shape[1], window, halo):
        tile = y[rows.start : rows.stop, cols.start : cols.stop]
        res = model(tile[None, :, :, None], training=False)
        res = keras.ops.convert_to_numpy(keras.ops.cast(res, "float32"))[0, :, :, 0]
        out[rows.own_start : rows.own_stop, cols.own_start : cols.own_stop] = res[
            rows.own_start - rows.start : rows.own_stop - rows.start,
            cols.own_start - cols.start : cols.own_stop - cols.start,
        ]
    return out
