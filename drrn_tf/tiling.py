"""Tile plans for seamless tiled inference (plain Python; mirrored by the web and Android demos).

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

from typing import NamedTuple

__all__ = ["Span", "axis_plan", "tile_plan", "balanced_window"]


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


def tile_plan(height: int, width: int, window: int, halo: int, balanced: bool = False) -> list[tuple[Span, Span]]:
    """All (row span, column span) pairs, row-major. ``balanced``: each axis with its
    :func:`balanced_window` (at most ``window``) instead of ``window`` itself."""
    wh = balanced_window(height, window, halo) if balanced else window
    ww = balanced_window(width, window, halo) if balanced else window
    return [(r, c) for r in axis_plan(height, wh, halo) for c in axis_plan(width, ww, halo)]
