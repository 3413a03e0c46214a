"""The x8 geometric self-ensemble: a network run on the eight flips and quarter turns of its input,
each output turned back and the eight averaged (the "+" rows of EDSR and later papers).

It wraps a ``TileEngine``, so it streams like any engine: each tile is transformed, run,
transformed back and averaged, and a tile's halo (the receptive radius, the same on every side)
covers the network's reach in every orientation -- the tiled result equals the ensemble of eight
whole-image runs up to float rounding. It costs eight times the network's time. No TensorFlow here.
"""

from __future__ import annotations

import numpy as np

from drrn_tf.errors import InputValueError
from drrn_tf.inference.engines import RgbEngine, TileEngine

__all__ = ["self_ensemble", "dihedral", "undo_dihedral", "VARIANTS"]

VARIANTS = 8
# The turns in an order that changes a tile's shape once (h x w, then w x h), not at every variant:
# an open-shape LiteRT model re-plans for each new shape.
ORDER = (0, 2, 4, 6, 1, 3, 5, 7)


def dihedral(x: np.ndarray, k: int) -> np.ndarray:
    """Variant ``k`` (0-7) of a (H, W) array: mirrored left-right when k >= 4, then turned k % 4 quarter turns."""
    return np.rot90(x[:, ::-1] if k >= 4 else x, k % 4)


def undo_dihedral(x: np.ndarray, k: int) -> np.ndarray:
    """The inverse of ``dihedral(., k)``."""
    x = np.rot90(x, -(k % 4))
    return x[:, ::-1] if k >= 4 else x


def self_ensemble(engine: TileEngine) -> TileEngine:
    """``engine`` run as the x8 self-ensemble (8x its time; its name gets a "+", its ``why`` says so).

    ``InputValueError`` for what cannot be turned: bicubic (``None``: no network), an end-to-end RGB
    model, a model fixed to a shape that is not square; ``TypeError`` for anything but an engine
    (``drrn_tf.load_engine`` makes one; ``upscale_pixels(..., ensemble=True)`` takes a model too)."""
    if engine is None:
        raise InputValueError("the self-ensemble averages a network's outputs; bicubic has no network")
    if isinstance(engine, RgbEngine):
        raise InputValueError(f"{engine.name}: the self-ensemble needs a luminance model; an end-to-end RGB model cannot run it")
    if not isinstance(engine, TileEngine):
        raise TypeError(f"self_ensemble takes an engine (drrn_tf.load_engine), got {type(engine).__name__}")
    if getattr(engine.run, "self_ensemble", False):
        return engine
    if engine.fixed is not None and engine.fixed[0] != engine.fixed[1]:
        h, w = engine.fixed
        raise InputValueError(
            f"{engine.name}: the self-ensemble turns tiles a quarter turn; a model fixed to {h}x{w} cannot take {w}x{h} (export it square or open)"
        )
    run = engine.run

    def run8(y: np.ndarray) -> np.ndarray:
        total = np.zeros(y.shape, np.float64)
        for k in ORDER:
            total += undo_dihedral(np.asarray(run(np.ascontiguousarray(dihedral(y, k), dtype=np.float32))), k)
        total /= VARIANTS
        return total.astype(np.float32)

    run8.self_ensemble = True
    why = (engine.why.rstrip(".") + ". " if engine.why else "") + "Run as the x8 self-ensemble: 8 network runs per tile."
    # Per tile pixel besides the network's own: the float64 sum, a float32 turned input and its float32 result.
    return engine._replace(name=engine.name + "+", run=run8, why=why, bytes_per_pixel=engine.bytes_per_pixel + 16)
