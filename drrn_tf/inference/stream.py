"""Streaming upscaling: every tile goes the whole way from input pixels to output pixels.

For each output tile of the plan (``drrn_tf.inference.tiling.tile_plan`` over the upscaled image,
overlapping by the network's receptive radius) the engine reads only the LR pixels that the
bicubic kernel needs for it, converts them to YCbCr (BT.601, float, unrounded), upscales them
with the MATLAB bicubic -- the same weights and taps as a whole-image ``imresize``, so the same
numbers (``drrn_tf.protocol.matlab.apply_taps``) -- restores Y with the network, converts back to
RGB, rounds, and writes the tile's own part into the uint8/uint16 output buffer. An alpha
channel is upscaled bicubically; a gray image is its own Y. Nothing image-sized is ever float:
memory beyond the input and output pixel buffers is bounded by the tile size.

The colour work before and after the network runs on bands of a tile's rows in parallel threads
(numpy releases the GIL), while the network -- which uses every core itself -- waits; each
output number is computed exactly as in one piece.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from drrn_tf.errors import InputValueError
from drrn_tf.inference.cpu import usable_cores
from drrn_tf.inference.threads import DaemonPool
from drrn_tf.inference.tiling import Span, tile_plan
from drrn_tf.protocol.matlab import apply_taps, bicubic_taps, resize_plan, rgb2ycbcr, ycbcr2rgb

__all__ = ["upscale_stream", "ENGINE_BYTES_PER_PIXEL"]

# float64 temporaries per output pixel of a tile (YCbCr, the half-resized rows, the upscaled
# channels, RGB, alpha): what the engine adds to the network's activations.
ENGINE_BYTES_PER_PIXEL = 8 * 16


_POOL: DaemonPool | None = None
_POOL_LOCK = threading.Lock()


def band_workers() -> int:
    """Threads for the colour work: the cores this process may use (at most 8)."""
    return min(usable_cores(), 8)


def _in_bands(fn: Callable[[int, int], object], n: int) -> list:
    """``fn(a, b)`` over bands of rows ``[0, n)``, one per worker (in this process's threads), in order."""
    global _POOL
    workers = band_workers()
    bands = max(1, min(workers, n // 32))
    if bands == 1:
        return [fn(0, n)]
    edges = [n * k // bands for k in range(bands + 1)]
    with _POOL_LOCK:
        if _POOL is None or _POOL.workers < workers:
            _POOL = DaemonPool(workers, "drrn-stream")
        pool = _POOL
    futures = [pool.submit(fn, a, b) for a, b in zip(edges[:-1], edges[1:])]
    return [f.result() for f in futures]


def upscale_stream(
    pixels: np.ndarray,
    scale: float | None,
    restore_y: Callable[[np.ndarray], np.ndarray] | None,
    *,
    window: int | tuple[int, int],
    halo: int,
    balanced: bool = True,
    progress: Callable[[Iterable], Iterable] = lambda it: it,
    size: tuple[int, int] | None = None,
) -> np.ndarray:
    """Upscale pixels (gray, RGB or RGBA; uint8, uint16 or float in [0, 1]) by ``scale`` (any real
    factor >= 1; the output is ceil(scale * side), as MATLAB's imresize) or to ``size`` (rows,
    columns; each axis by its own factor), tile by tile.

    ``restore_y`` maps an upscaled Y tile (float32 (h, w) in [0, 1]) to the restored one
    (same shape); ``None`` keeps bicubic. ``window`` is the largest tile side in output pixels, or
    (rows, columns) (each axis is split evenly, ``drrn_tf.inference.tiling.balanced_window``, unless
    ``balanced=False``: tiles of exactly ``window``, for a fixed-shape model) and
    ``halo`` the overlap each tile needs around the part it owns (the network's receptive
    radius; 0 for bicubic). ``progress`` wraps the list of tiles (a progress bar).
    """
    (out_h, out_w), scales = resize_plan(pixels.shape[:2], scale, size)
    image = _image(pixels, (out_h, out_w))
    for rows, cols in progress(tile_plan(out_h, out_w, window, halo, balanced=balanced)):
        tile = _tile(image, scales, rows, cols)
        up = np.concatenate(_in_bands(tile.prepare, rows.stop - rows.start))
        if restore_y is not None:
            up = _restored(up, restore_y, image.gray)
        _in_bands(functools.partial(tile.finish, up), rows.own_stop - rows.own_start)
    return image.out


@dataclass(frozen=True)
class _Image:
    """The input pixels, the output buffer, and what the colour work needs to know of them."""

    pixels: np.ndarray
    out: np.ndarray
    floating: bool
    peak: float  # the stored value of 1.0: 1 for float pixels, else the dtype's largest
    gray: bool
    alpha: bool


def _image(pixels: np.ndarray, size: tuple[int, int]) -> _Image:
    """``pixels`` with an empty output buffer of ``size`` (float32 for float pixels)."""
    floating = pixels.dtype.kind == "f"
    peak = 1.0 if floating else float(np.iinfo(pixels.dtype).max)
    out = np.empty(tuple(size) + pixels.shape[2:], dtype=np.float32 if floating else pixels.dtype)
    return _Image(pixels, out, floating, peak, pixels.ndim == 2, pixels.ndim == 3 and pixels.shape[2] == 4)


@dataclass(frozen=True)
class _Tile:
    """One output tile: its bicubic taps (the rows of the whole image's tables: memory by the tile),
    the LR columns ``c0:c1`` they read, and the part of the tile it owns (``own_r``, ``own_c``)."""

    image: _Image
    rows: Span
    cols: Span
    wr: np.ndarray
    ir: np.ndarray
    wc: np.ndarray
    ic: np.ndarray
    c0: int
    c1: int
    own_r: slice
    own_c: slice

    def lr_rows(self, ir: np.ndarray, channels: slice) -> tuple[np.ndarray, np.ndarray]:
        """The LR rows that row taps ``ir`` read, columns c0:c1, as float in [0, 1]; ``ir`` shifted into them."""
        image = self.image
        r0 = int(ir.min())
        x = image.pixels[r0 : int(ir.max()) + 1, self.c0 : self.c1]
        x = (x if image.gray else x[..., channels]).astype(np.float64) / image.peak
        return x, ir - r0

    def prepare(self, a: int, b: int) -> np.ndarray:
        """YCbCr, then rows, then columns (imresize's order for equal scales), for output rows a:b."""
        x, ir_b = self.lr_rows(self.ir[a:b], slice(0, 3))
        return apply_taps(apply_taps(x if self.image.gray else rgb2ycbcr(x), 0, self.wr[a:b], ir_b), 1, self.wc, self.ic - self.c0)

    def finish(self, up: np.ndarray, a: int, b: int) -> None:
        """Own rows a:b (counted from own_r.start) of ``up``: back to RGB, alpha, rounded, into the output."""
        image, own_c = self.image, self.own_c
        band = slice(self.own_r.start + a, self.own_r.start + b)
        res = up[band, own_c] if image.gray else ycbcr2rgb(up[band, own_c])
        if image.alpha:
            x, ir_b = self.lr_rows(self.ir[band], slice(3, 4))
            res = np.concatenate([res, apply_taps(apply_taps(x, 0, self.wr[band], ir_b), 1, self.wc[own_c], self.ic[own_c] - self.c0)], axis=2)
        if not image.floating:  # matlab_round(res * peak), in place; the clip below makes floor(x + 0.5) the same
            res *= image.peak
            res += 0.5
            np.floor(res, out=res)
        rows, cols = self.rows, self.cols
        image.out[rows.own_start + a : rows.own_start + b, cols.own_start : cols.own_stop] = np.clip(res, 0, image.peak, out=res)


def _tile(image: _Image, scales: tuple[float, float], rows: Span, cols: Span) -> _Tile:
    """The output tile ``rows`` x ``cols``, its taps computed (``scales``: rows', columns')."""
    (h, w), (out_h, out_w) = image.pixels.shape[:2], image.out.shape[:2]
    wr, ir = bicubic_taps(h, out_h, scales[0], rows.start, rows.stop)
    wc, ic = bicubic_taps(w, out_w, scales[1], cols.start, cols.stop)
    own_r = slice(rows.own_start - rows.start, rows.own_stop - rows.start)
    own_c = slice(cols.own_start - cols.start, cols.own_stop - cols.start)
    return _Tile(image, rows, cols, wr, ir, wc, ic, int(ic.min()), int(ic.max()) + 1, own_r, own_c)


def _restored(up: np.ndarray, restore_y: Callable[[np.ndarray], np.ndarray], gray: bool) -> np.ndarray:
    """``up`` with its Y restored by ``restore_y``; an output holding NaN or inf is refused."""
    y = np.asarray(restore_y(up if gray else up[..., 0]).astype(np.float32), np.float64)
    if not np.isfinite(y).all():  # rounded, NaN would be a black picture and a success
        raise InputValueError("the model's output holds NaN or inf (broken weights?); nothing written")
    if gray:
        return y
    up[..., 0] = y
    return up
