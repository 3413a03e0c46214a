"""Tile plans for seamless tiled inference, and the one loop that runs them (mirrored by the web and Android demos).

A plan covers an axis of length ``n`` with windows of ``window`` pixels that overlap so
that every output pixel is taken from a window in which it lies at least ``halo``
pixels away from any window edge that is not also an image edge. With ``halo`` at
least the network's receptive radius, each output pixel then sees exactly the context
it would see in a whole-image pass, so tiled and whole-image outputs agree.

Rules (the demos implement the same ones; ``tests/test_tiling.py`` pins them):
  * ``n <= window``: one window ``[0, n)`` (a fixed-shape engine pads it to ``window``).
  * otherwise windows start at ``0, step, 2*step, ...`` with ``step = window - 2*halo``,
    and the last one starts at ``n - window``; window ``i`` owns output rows from where
    window ``i-1`` stopped owning up to ``end - halo`` (or ``n`` for the last window).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

__all__ = ["Span", "axis_plan", "tile_plan", "balanced_window", "symmetric_index", "run_tiled", "lr_halo"]


class Span(NamedTuple):
    """Window ``[start, stop)`` read from the input; ``[own_start, own_stop)`` written to output."""

    start: int
    stop: int
    own_start: int
    own_stop: int


def axis_plan(n: int, window: int, halo: int) -> list[Span]:
    if n < 1:
        raise ValueError(f"axis length must be >= 1, got {n}")
    if n <= window:
        return [Span(0, n, 0, n)]
    step = window - 2 * halo
    if step < 1:
        raise ValueError(f"window {window} must exceed twice the halo {halo}")
    starts = list(range(0, n - window, step)) + [n - window]
    spans = []
    own_start = 0
    for s in starts:
        e = s + window
        own_stop = n if e == n else e - halo
        spans.append(Span(s, e, own_start, own_stop))
        own_start = own_stop
    return spans


def balanced_window(n: int, window: int, halo: int) -> int:
    """The smallest window that covers an axis of ``n`` in as few windows as ``window`` does.

    With a fixed-shape engine the window is the engine's; an engine free to choose (Keras, a
    dynamic-shape LiteRT model) computes less with this one: 720 px in windows of at most 598
    with halo 20 takes two windows of 380 (760 px computed) instead of two of 598 (1,196).
    """
    if n <= window:
        return n
    count = len(axis_plan(n, window, halo))
    return min(window, -(-(n + 2 * halo * (count - 1)) // count))


def _sides(window: int | tuple[int, int]) -> tuple[int, int]:
    return (int(window), int(window)) if np.ndim(window) == 0 else (int(window[0]), int(window[1]))


def tile_plan(height: int, width: int, window: int | tuple[int, int], halo: int, balanced: bool = False) -> list[tuple[Span, Span]]:
    """All (row span, column span) pairs, row-major; ``window`` is a side or (rows, columns).
    ``balanced``: each axis with its ``balanced_window`` (at most ``window``) instead of ``window`` itself."""
    wh, ww = _sides(window)
    if balanced:
        wh, ww = balanced_window(height, wh, halo), balanced_window(width, ww, halo)
    return [(r, c) for r in axis_plan(height, wh, halo) for c in axis_plan(width, ww, halo)]


def lr_halo(receptive_radius: int, scale: int) -> int:
    """LR pixels of context a tile of an end-to-end model needs so that tiled and whole-image outputs
    agree: the network's receptive radius (HR pixels) in LR pixels, plus the bicubic kernel's reach
    (2 LR pixels for MATLAB's 4-tap cubic when upscaling)."""
    return -(-receptive_radius // scale) + 2


def symmetric_index(i: np.ndarray, n: int) -> np.ndarray:
    """``numpy.pad(mode="symmetric")`` indices: mirror including the edge, repeated for long pads."""
    j = np.mod(i, 2 * n)
    return np.where(j < n, j, 2 * n - 1 - j)


def run_tiled(
    img: np.ndarray,
    run: Callable[[np.ndarray], np.ndarray],
    window: int | tuple[int, int],
    halo: int,
    *,
    scale: int = 1,
    fixed: bool = False,
    dtype=np.float32,
) -> np.ndarray:
    """``run`` on every window of ``img`` (its first two axes), each writing the part it owns,
    ``scale`` times larger, into the output: one loop for every engine.

    ``fixed=False`` (an engine free to take any shape): each axis in balanced windows of at most
    ``window`` (``balanced_window``). ``fixed=True`` (a fixed-shape model): windows of exactly
    ``window``, an image side shorter than it padded by mirroring (``symmetric_index``).
    """
    h, w = img.shape[:2]
    wh, ww = _sides(window)
    if not fixed:
        wh, ww = balanced_window(h, wh, halo), balanced_window(w, ww, halo)
    s = scale
    out = np.empty((h * s, w * s, *img.shape[2:]), dtype)
    for r in axis_plan(h, wh, halo):
        rows = symmetric_index(np.arange(r.start, r.start + wh), h) if fixed else slice(r.start, r.stop)
        for c in axis_plan(w, ww, halo):
            if fixed:
                tile = img[np.ix_(rows, symmetric_index(np.arange(c.start, c.start + ww), w))]
            else:
                tile = img[rows, c.start : c.stop]
            res = run(np.ascontiguousarray(tile))
            out[r.own_start * s : r.own_stop * s, c.own_start * s : c.own_stop * s] = res[
                (r.own_start - r.start) * s : (r.own_stop - r.start) * s,
                (c.own_start - c.start) * s : (c.own_stop - c.start) * s,
            ]
    return out
