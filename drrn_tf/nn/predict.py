"""Run a super-resolution model on an image of any size, tiled to bound memory.

Tiles overlap by the model's receptive radius (see ``drrn_tf.inference.tiling``), so the
tiled result equals the whole-image result up to float rounding. The network runs as one
traced ``tf.function`` per model whose height and width are left open, so tiles and images
of new sizes reuse it instead of retracing (or running op by op).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from drrn_tf._compat import untracked_attribute
from drrn_tf.constants import RUNTIMES
from drrn_tf.inference.engines import DEFAULT_MEMORY_MB, TileEngine, check_memory_mb, keras_bytes_per_pixel, tile_memory_mb
from drrn_tf.inference.tiling import run_tiled

if TYPE_CHECKING:
    import keras

__all__ = ["predict_y", "model_engine", "bfloat16_twin", "max_channels", "tile_runner", "check_memory_mb", "RUNTIMES"]


def max_channels(model: keras.Model) -> int:
    """The widest feature map of ``model``: the most output channels of any convolution kernel."""
    widest = 1
    for w in model.weights:
        if len(w.shape) == 4:  # conv kernels (kh, kw, cin, cout)
            widest = max(widest, int(w.shape[-1]))
    return widest


def model_engine(model: keras.Model, runtime: str = "keras") -> TileEngine:
    """The ``TileEngine`` of ``model`` in ``runtime``, made once per model and
    runtime and kept while the model lives. ``keras``: a traced function with open height and width;
    ``keras-bf16``: the same in bfloat16 (``bfloat16_twin``); ``litert``: the model's full-int8
    LiteRT export (shipped with a trained preset, else made, parity-checked and cached on first use)."""
    if runtime == "auto":
        runtime = "keras"  # a Keras model in hand runs as it is
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}, got {runtime!r}")
    engines = getattr(model, "_drrn_engines", None)
    if engines is None:  # lives (and dies) with the model
        engines = untracked_attribute(model, "_drrn_engines", {})
    if runtime not in engines:
        if runtime in ("keras", "keras-bf16"):
            from drrn_tf.nn.stats import receptive_radius

            net = model if runtime == "keras" else bfloat16_twin(model)
            bpp = keras_bytes_per_pixel(max_channels(model))
            engines[runtime] = TileEngine(model.name, _keras_runner(net), receptive_radius(model), bpp, runtime=runtime)
        else:
            engines[runtime] = plugin_engine(model, runtime)
    return engines[runtime]


def bfloat16_twin(model: keras.Model) -> keras.Model:
    """``model`` rebuilt to compute in bfloat16 (Keras' ``mixed_bfloat16`` policy: float32 weights,
    bfloat16 maths, as oneDNN runs on AMX / AVX-512 BF16), with the same weights."""
    import keras

    def clone(layer):
        config = layer.get_config()
        config["dtype"] = "mixed_bfloat16"
        return layer.__class__.from_config(config)

    from drrn_tf.nn.models import dtype_policy

    with dtype_policy("mixed_bfloat16"):  # the sublayers a layer builds itself follow the global policy
        twin = keras.models.clone_model(model, clone_function=clone)
    twin.set_weights(model.get_weights())
    return twin


def tile_runner(model: keras.Model, runtime: str = "keras"):
    """``run(y)``: the model on one (h, w) luminance tile, float32 in and out (``model_engine``'s)."""
    return model_engine(model, runtime).run


def _keras_runner(model: keras.Model):
    import tensorflow as tf

    fn = tf.function(
        lambda x: tf.cast(model(x, training=False), tf.float32),
        input_signature=[tf.TensorSpec([1, None, None, 1], tf.float32)],
    )
    return lambda y: fn(np.asarray(y, np.float32)[None, :, :, None]).numpy()[0, :, :, 0]


def plugin_engine(model, runtime: str) -> TileEngine:
    """The engine an installed package registers for ``runtime`` (entry-point group ``drrn_tf.runtimes``;
    the export stage registers ``litert``), for a Keras model or a preset name."""
    from importlib.metadata import entry_points

    from drrn_tf.errors import MissingDependency

    if runtime != "litert":
        raise ValueError(f"a runtime plugin runs 'litert', not {runtime!r}")
    plugin = next((ep for ep in entry_points(group="drrn_tf.runtimes") if ep.name == runtime), None)
    if plugin is None:
        raise MissingDependency(f"--runtime {runtime} needs the export stage (pip install 'drrn-tf[export]')")
    return plugin.load()(model, quant="int8")


def predict_y(
    model: keras.Model | TileEngine,
    y: np.ndarray,
    *,
    window: int | None = None,
    memory_mb: float = DEFAULT_MEMORY_MB,
    runtime: str = "keras",
) -> np.ndarray:
    """Apply ``model`` (a Keras model, or a ``TileEngine``) to a luminance
    image ``y`` (H, W) in [0, 1]; returns float32 (H, W).

    ``window`` is the input tile side (default: the largest whose working memory fits in what
    ``memory_mb`` leaves beside the float input and output, as for ``drrn_tf.upscale_pixels``); ``runtime`` one of
    ``RUNTIMES`` for a Keras model (see ``model_engine``). No clipping.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 3 and y.shape[2] == 1:
        y = y[..., 0]
    if y.ndim != 2:
        raise ValueError(f"expected a (H, W) luminance image, got shape {y.shape}")
    tile_mb = tile_memory_mb(memory_mb, 2 * y.nbytes, "the image")
    engine = model if isinstance(model, TileEngine) else model_engine(model, runtime)
    if engine.fixed is not None:
        return run_tiled(y, engine.run, engine.fixed, engine.halo, fixed=True)
    return run_tiled(y, engine.run, window or engine.window(tile_mb), engine.halo)
