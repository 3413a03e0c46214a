"""Streaming upscaling: every tile goes the whole way from input pixels to output pixels.

For each output tile of the plan (:func:`drrn_tf.tiling.tile_plan` over the upscaled image,
overlapping by the network's receptive radius) the engine reads only the LR pixels that the
bicubic kernel needs for it, converts them to YCbCr (BT.601, float, unrounded), upscales them
with the MATLAB bicubic -- the same weights and taps as a whole-image ``imresize``, so the same
numbers (:func:`drrn_tf.imaging.apply_taps`) -- restores Y with the network, converts back to
RGB, rounds, and writes the tile's own part into the uint8/uint16 output buffer. An alpha
channel is upscaled bicubically; a gray image is its own Y. Nothing image-sized is ever float:
memory beyond the input and output pixel buffers is bounded by the tile size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .imaging import apply_taps, bicubic_taps, rgb2ycbcr, ycbcr2rgb
from .tiling import tile_plan

__all__ = ["upscale_stream", "ENGINE_BYTES_PER_PIXEL"]

# float64 temporaries per output pixel of a tile (YCbCr, the half-resized rows, the upscaled
# channels, RGB, alpha): what the engine adds to the network's activations.
ENGINE_BYTES_PER_PIXEL = 8 * 16


def upscale_stream(
    pixels: np.ndarray,
    scale: int,
    restore_y: Callable[[np.ndarray], np.ndarray] | None,
    *,
    window: int,
    halo: int,
    progress: Callable[[Iterable], Iterable] = lambda it: it,
) -> np.ndarray:
    """Upscale pixels (gray, RGB or RGBA; uint8, uint16 or float in [0, 1]) by ``scale``, tile by tile.

    ``restore_y`` maps an upscaled Y tile (float32 (h, w) in [0, 1]) to the restored one
    (same shape); ``None`` keeps bicubic. ``window`` is the largest tile side in output pixels
    (each axis is split evenly, :func:`drrn_tf.tiling.balanced_window`) and
    ``halo`` the overlap each tile needs around the part it owns (the network's receptive
    radius; 0 for bicubic). ``progress`` wraps the list of tiles (a progress bar).
    """
    h, w = pixels.shape[:2]
    out_h, out_w = h * scale, w * scale
    taps_h = bicubic_taps(h, out_h, scale)
    taps_w = bicubic_taps(w, out_w, scale)
    floating = pixels.dtype.kind == "f"
    peak = 1.0 if floating else float(np.iinfo(pixels.dtype).max)
    out = np.empty((out_h, out_w) + pixels.shape[2:], dtype=np.float32 if floating else pixels.dtype)
    for rows, cols in progress(tile_plan(out_h, out_w, window, halo, balanced=True)):
        # The LR crop that the bicubic taps of this tile read, and the taps shifted into it.
        wr, ir = taps_h[0][rows.start : rows.stop], taps_h[1][rows.start : rows.stop]
        wc, ic = taps_w[0][cols.start : cols.stop], taps_w[1][cols.start : cols.stop]
        r0, c0 = int(ir.min()), int(ic.min())
        x = pixels[r0 : int(ir.max()) + 1, c0 : int(ic.max()) + 1].astype(np.float64) / peak
        # Rows first, then columns: imresize's order for equal scales.
        up = apply_taps(apply_taps(x if x.ndim == 2 else rgb2ycbcr(x[..., :3]), 0, wr, ir - r0), 1, wc, ic - c0)
        own = (slice(rows.own_start - rows.start, rows.own_stop - rows.start), slice(cols.own_start - cols.start, cols.own_stop - cols.start))
        if restore_y is not None:
            y = np.asarray(restore_y(up if up.ndim == 2 else up[..., 0]).astype(np.float32), np.float64)
            if up.ndim == 2:
                up = y
            else:
                up[..., 0] = y
        res = up[own] if up.ndim == 2 else ycbcr2rgb(up[own])
        if x.ndim == 3 and x.shape[2] == 4:
            alpha = apply_taps(apply_taps(x[..., 3:], 0, wr[own[0]], ir[own[0]] - r0), 1, wc[own[1]], ic[own[1]] - c0)
            res = np.concatenate([res, alpha], axis=2)
        if not floating:  # matlab_round(res * peak), in place; the clip below makes floor(x + 0.5) the same
            res *= peak
            res += 0.5
            np.floor(res, out=res)
        out[rows.own_start : rows.own_stop, cols.own_start : cols.own_stop] = np.clip(res, 0, peak, out=res)
    return out
