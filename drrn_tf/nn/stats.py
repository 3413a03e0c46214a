"""Structural statistics of a model: parameters, sharing, MACs per pixel, depth, receptive field.

Works on the models of this package and on any fully convolutional Keras model built
from stride-1 convolutions and pointwise layers, whose convolutions form a chain
(skip connections are fine). Depth and receptive field are then exact; for models with
parallel conv branches they are upper bounds, which keeps tiling safe.
"""

from __future__ import annotations

import keras
from keras import layers

from drrn_tf.errors import DrrnError
from drrn_tf.nn.layers import PreActivation, RecursiveBlock

__all__ = ["model_stats", "architecture", "describe_architecture", "receptive_radius", "UnsupportedModel"]

_POINTWISE = (
    layers.InputLayer,
    layers.Add,
    layers.Subtract,
    layers.Multiply,
    layers.Activation,
    layers.ReLU,
    layers.LeakyReLU,
    layers.PReLU,
    layers.BatchNormalization,
    layers.Rescaling,
    PreActivation,
)


class UnsupportedModel(DrrnError, ValueError):
    """The model has a layer whose spatial behaviour these statistics cannot describe."""


def _conv_info(layer: layers.Conv2D) -> tuple[int, int, int]:
    """(MACs per output pixel, receptive radius, depth 1) of a stride-1 Conv2D."""
    kh, kw = layer.kernel_size
    if tuple(layer.strides) != (1, 1) or layer.padding != "same":
        raise UnsupportedModel(f"layer '{layer.name}' is not a stride-1 'same' convolution")
    cin = layer.kernel.shape[2]
    dh, dw = layer.dilation_rate
    radius = max((kh - 1) // 2 * dh, (kw - 1) // 2 * dw)
    return kh * kw * cin * layer.filters, radius, 1


def _walk(model: keras.Model):
    """Yield (macs, radius, depth) per layer with spatial extent."""
    for layer in model.layers:
        if isinstance(layer, RecursiveBlock):
            cin = layer.conv_in.kernel.shape[2]
            yield layer.macs_per_pixel(cin), layer.conv_depth, layer.conv_depth
        elif isinstance(layer, layers.Conv2D):
            yield _conv_info(layer)
        elif isinstance(layer, keras.Model):
            yield from _walk(layer)
        elif not isinstance(layer, _POINTWISE):
            raise UnsupportedModel(f"layer '{layer.name}' ({type(layer).__name__}) has unknown spatial behaviour")


def receptive_radius(model: keras.Model) -> int:
    """Pixels of context each output pixel needs on every side."""
    return sum(r for _, r, _ in _walk(model))


def _shared_params(model: keras.Model) -> tuple[int, int]:
    """(parameters in shared convolutions, parameters the model would have unshared)."""
    shared = 0
    extra = 0
    for layer in model.layers:
        if isinstance(layer, RecursiveBlock):
            pair = layer.conv_a.count_params() + layer.conv_b.count_params()
            shared += pair
            extra += pair * (layer.units - 1)
    return shared, extra


def architecture(model: keras.Model) -> dict | None:
    """A DRRN's hyperparameters: ``{"blocks", "units", "filters", "batch_norm"}``, from the config of a
    ``DRRN``, else read from the model's recursive blocks (a functional file
    that stays one, e.g. a mixed-precision checkpoint of 0.1.0); ``None`` for a model that is not a DRRN."""
    from drrn_tf.nn.models import DRRN, drrn_architecture

    return model.architecture if isinstance(model, DRRN) else drrn_architecture(model)


def describe_architecture(arch: dict | None) -> str:
    """``DRRN B1U9, 32 filters`` (``, BatchNorm`` when it has it); ``not a DRRN`` for ``None``."""
    if arch is None:
        return "not a DRRN"
    return f"DRRN B{arch['blocks']}U{arch['units']}, {arch['filters']} filters" + (", BatchNorm" if arch["batch_norm"] else "")


def model_stats(model: keras.Model) -> dict:
    """``name``, ``architecture`` (``architecture``), ``params``, ``shared_params``, ``unshared_params``,
    ``macs_per_pixel``, ``depth`` (convolutions on the input-output path) and ``receptive_field`` (pixels)."""
    parts = list(_walk(model))
    shared, extra = _shared_params(model)
    params = int(model.count_params())
    radius = sum(r for _, r, _ in parts)
    return {
        "name": model.name,
        "architecture": architecture(model),
        "params": params,
        "shared_params": shared,
        "unshared_params": params + extra,
        "macs_per_pixel": int(sum(m for m, _, _ in parts)),
        "depth": int(sum(d for _, _, d in parts)),
        "receptive_field": 2 * radius + 1,
    }
