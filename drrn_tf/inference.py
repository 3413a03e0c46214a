"""Run a super-resolution model on an image of any size, tiled to bound memory.

Tiles overlap by the model's receptive radius (see :mod:`drrn_tf.tiling`), so the
tiled result equals the whole-image result up to float rounding. The network runs as one
traced ``tf.function`` per model whose height and width are left open, so tiles and images
of new sizes reuse it instead of retracing (or running op by op).
"""

from __future__ import annotations

import math

import keras
import numpy as np

from .constants import RUNTIMES
from .stats import receptive_radius
from .stream import ENGINE_BYTES_PER_PIXEL
from .tiling import run_tiled

__all__ = ["predict_y", "default_window", "tile_runner", "check_memory_mb", "RUNTIMES"]


# Bytes per pixel of a tile besides the network's activations: its float32 input and output,
# and the streaming upscaler's float64 temporaries.
_OVERHEAD_BYTES_PER_PIXEL = 2 * 4 + ENGINE_BYTES_PER_PIXEL


def _max_channels(model: keras.Model) -> int:
    widest = 1
    for w in model.weights:
        if len(w.shape) == 4:  # conv kernels (kh, kw, cin, cout)
            widest = max(widest, int(w.shape[-1]))
    return widest


def check_memory_mb(memory_mb: float) -> float:
    """``memory_mb`` as a float, or ``ValueError`` if it is not a finite number > 0."""
    try:
        value = float(memory_mb)
    except (TypeError, ValueError):
        raise ValueError(f"memory_mb must be a number, got {memory_mb!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"memory_mb must be a finite number > 0, got {memory_mb!r}")
    return value


def default_window(model: keras.Model, memory_mb: float = 1024.0, halo: int | None = None, runtime: str = "keras") -> int:
    """Largest square tile (output pixels) whose working memory fits in about ``memory_mb`` MiB.

    ``keras``: about six feature maps of the widest layer are alive at once in float32.
    ``litert``: XNNPACK keeps, for every 3x3 convolution of the graph (as many as the receptive
    radius), an indirection buffer of nine 8-byte pointers per output pixel -- 72 bytes per pixel
    per convolution, more than the int8 feature maps (measured: ~1.6 KB per pixel for
    ``drrn_b1u9_f32``, whose Keras graph needs ~0.6 KB). Both add the tile's float32 input and
    output and the streaming upscaler's temporaries.
    """
    halo = receptive_radius(model) if halo is None else halo
    if runtime == "litert":
        per_pixel = 72 * max(halo, 1) + 6 * _max_channels(model)
    else:
        per_pixel = 4 * 6 * _max_channels(model)
    per_pixel += _OVERHEAD_BYTES_PER_PIXEL
    side = int(math.sqrt(check_memory_mb(memory_mb) * 2**20 / per_pixel))
    return max(side, 2 * halo + 32)


def tile_runner(model: keras.Model, runtime: str = "keras"):
    """``run(y)``: the model on one (h, w) luminance tile, float32 in and out, made once per model
    and runtime and kept while the model lives. ``keras``: a traced function with open height and
    width; ``litert``: the model's cached full-int8 LiteRT export (made and parity-checked on first use)."""
    runners = getattr(model, "_drrn_tile_runners", None)
    if runners is None:
        runners = {}
        object.__setattr__(model, "_drrn_tile_runners", runners)  # lives (and dies) with the model; untracked by Keras
    if runtime not in runners:
        runners[runtime] = _keras_runner(model) if runtime == "keras" else _plugin_runner(model, runtime)
    return runners[runtime]


def _keras_runner(model: keras.Model):
    import tensorflow as tf

    fn = tf.function(
        lambda x: tf.cast(model(x, training=False), tf.float32),
        input_signature=[tf.TensorSpec([1, None, None, 1], tf.float32)],
    )
    return lambda y: fn(np.asarray(y, np.float32)[None, :, :, None]).numpy()[0, :, :, 0]


def _plugin_runner(model: keras.Model, runtime: str):
    from importlib.metadata import entry_points

    from .errors import InputError

    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}, got {runtime!r}")
    plugin = next((ep for ep in entry_points(group="drrn_tf.runtimes") if ep.name == runtime), None)
    if plugin is None:
        raise InputError(f"--runtime {runtime} needs the export stage (pip install 'drrn-tf[export]')")
    run, _path = plugin.load()(model, quant="int8")
    return run


def predict_y(
    model: keras.Model,
    y: np.ndarray,
    *,
    window: int | None = None,
    memory_mb: float = 1024.0,
    runtime: str = "keras",
) -> np.ndarray:
    """Apply ``model`` to a luminance image ``y`` (H, W) in [0, 1]; returns float32 (H, W).

    ``window`` is the input tile side (default: chosen from ``memory_mb``); ``runtime`` one of
    :data:`RUNTIMES` (see :func:`tile_runner`). No clipping.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 3 and y.shape[2] == 1:
        y = y[..., 0]
    if y.ndim != 2:
        raise ValueError(f"expected a (H, W) luminance image, got shape {y.shape}")
    halo = receptive_radius(model)
    window = window or default_window(model, memory_mb, halo, runtime)
    return run_tiled(y, tile_runner(model, runtime), window, halo)
