"""Network builders: DRRN (Tai et al. 2017) and the baselines it is compared with.

All models map a bicubic-upscaled luminance image ``(N, H, W, 1)`` in [0, 1] to the
restored image of the same size; they are fully convolutional (any H, W).
"""

from __future__ import annotations

import contextlib

import keras
from keras import layers

from drrn_tf.nn.layers import PreActivation, RecursiveBlock, conv3x3

__all__ = ["BUILDERS", "DRRN", "drrn", "vdsr", "srcnn", "drrn_param_count", "float32_policy"]


@contextlib.contextmanager
def dtype_policy(name: str):
    """Build (or load) networks with the dtype policy ``name`` inside this block, whatever the global
    policy is (layers a layer builds itself follow the global one); the policy is restored after."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def float32_policy():
    """``dtype_policy`` ``"float32"``, whatever a mixed-precision training run has set."""
    return dtype_policy("float32")


@keras.saving.register_keras_serializable(package="drrn_tf")
class DRRN(keras.Model):
    """DRRN with ``blocks`` recursive blocks of ``units`` residual units each: a functional Keras model
    whose ``get_config()`` is its hyperparameters (``blocks``, ``units``, ``filters``, ``batch_norm``,
    ``out_init``, and ``dtype``: the policy it computes in, ``"float32"`` or ``"mixed_bfloat16"``, the global
    policy when it was built unless given), so that ``DRRN.from_config(model.get_config())`` rebuilds the
    same network. The last conv and the global residual are float32 under any policy.

    Depth is (1 + 2U)B + 1. Every block owns its own shared conv pair; blocks do not
    share with each other. The last step is act -> conv(filters -> 1) -> + input
    (global residual learning); there is no activation after the last conv.
    ``out_init="zeros"`` starts the last conv at zero, so an untrained network
    outputs its input (bicubic); the paper uses He-normal everywhere (the default).
    ``from_preset`` builds a named preset.
    """

    def __init__(
        self,
        blocks: int = 1,
        units: int = 9,
        filters: int = 128,
        batch_norm: bool = False,
        name: str | None = None,
        out_init: str = "he_normal",
        dtype: str | None = None,
        **kwargs,
    ):
        if blocks < 1:
            raise ValueError(f"blocks must be >= 1, got {blocks}")
        dtype = dtype or keras.config.dtype_policy().name
        with dtype_policy(dtype):
            inp = keras.Input(shape=(None, None, 1), name="lr_up_y")
            x = inp
            for b in range(blocks):
                x = RecursiveBlock(units=units, filters=filters, batch_norm=batch_norm, name=f"block_{b + 1}")(x)
            x = PreActivation(batch_norm, name="act_out")(x)
            out = _global_residual(inp, x, out_init)
        super().__init__(inp, out, name=name or f"drrn_b{blocks}u{units}", **kwargs)
        self.policy_name = dtype
        self.blocks, self.units, self.filters = int(blocks), int(units), int(filters)
        self.batch_norm, self.out_init = bool(batch_norm), str(out_init)

    @property
    def architecture(self) -> dict:
        """``{"blocks", "units", "filters", "batch_norm"}``: what network this is."""
        return {"blocks": self.blocks, "units": self.units, "filters": self.filters, "batch_norm": self.batch_norm}

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable, **self.architecture, "out_init": self.out_init, "dtype": self.policy_name}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None) -> DRRN:
        return cls(**config)

    @classmethod
    def from_preset(cls, name: str, load_weights: bool = True) -> DRRN:
        """A DRRN preset by name (``drrn_b1u9``, ...), with its shipped weights unless ``load_weights=False``."""
        from drrn_tf.nn.presets import build_preset

        model = build_preset(name, load_weights=load_weights)
        if not isinstance(model, cls):
            raise ValueError(f"preset '{name}' is not a DRRN")
        return model

    @classmethod
    def from_functional(cls, model: keras.Model) -> DRRN | None:
        """A plain functional model with exactly a DRRN's graph (a ``.keras`` file saved before DRRN was a
        class) as a ``DRRN`` with its weights, so its output is the same; ``None`` for any other model:
        every layer's config (initialisers aside) and every connection must be a DRRN's."""
        arch = drrn_architecture(model)
        if type(model).__name__ != "Functional" or arch is None:  # what keras.Model(inputs, outputs) is; not a subclass
            return None
        blocks = [layer for layer in model.layers if isinstance(layer, RecursiveBlock)]
        twin = cls(**arch, name=model.name, dtype=blocks[0].dtype_policy.name)
        if _graph(twin) != _graph(model) or [w.shape for w in twin.weights] != [w.shape for w in model.weights]:
            return None
        twin.set_weights(model.get_weights())
        return twin


def drrn_architecture(model: keras.Model) -> dict | None:
    """``{"blocks", "units", "filters", "batch_norm"}`` of a model whose recursive blocks are all alike
    (read from its layers, for a model that is not a ``DRRN`` instance); ``None`` if it has none."""
    blocks = [layer for layer in model.layers if isinstance(layer, RecursiveBlock)]
    if not blocks or len({(b.units, b.filters, b.batch_norm) for b in blocks}) != 1:
        return None
    return {"blocks": len(blocks), "units": blocks[0].units, "filters": blocks[0].filters, "batch_norm": bool(blocks[0].batch_norm)}


def _graph(model: keras.Model) -> list:
    """The functional graph of ``model``: every layer's config and connections, initialisers left out."""

    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if not k.endswith("_initializer")}
        return [strip(v) for v in node] if isinstance(node, list | tuple) else node

    config = keras.Model(model.inputs, model.outputs).get_config()
    return strip([config["layers"], config["input_layers"], config["output_layers"]])


# The builder's name from before the class: ``drrn(blocks, units, filters, ...)`` is ``DRRN(...)``.
drrn = DRRN


def _global_residual(inp, features, out_init: str = "he_normal"):
    """conv(features -> 1) + input, in float32 even under a mixed-precision policy:
    bfloat16 would quantise the input image to ~2^-9 (half a grey level)."""
    residual = conv3x3(1, "conv_out", dtype="float32", kernel_initializer=out_init)(features)
    return layers.Add(name="global_residual", dtype="float32")([inp, residual])


def drrn_param_count(blocks: int, units: int, filters: int = 128) -> int:
    """The paper's parameter formula (no BatchNorm): independent of ``units``."""
    full = 9 * filters * filters + filters
    return (3 * blocks - 1) * full + (9 * filters + filters) + (9 * filters + 1)


def vdsr(depth: int = 20, filters: int = 64, name: str = "vdsr") -> keras.Model:
    """VDSR (Kim et al. 2016): ``depth`` 3x3 convs, ReLU after all but the last, global residual."""
    inp = keras.Input(shape=(None, None, 1), name="lr_up_y")
    x = inp
    for i in range(depth - 1):
        x = conv3x3(filters, f"conv_{i + 1}")(x)
        x = layers.ReLU(name=f"relu_{i + 1}")(x)
    return keras.Model(inp, _global_residual(inp, x), name=name)


def srcnn(name: str = "srcnn") -> keras.Model:
    """SRCNN 9-5-5 (Dong et al. 2016) with 64/32 filters, 'same' padding, no residual."""
    inp = keras.Input(shape=(None, None, 1), name="lr_up_y")
    x = layers.Conv2D(64, 9, padding="same", activation="relu", kernel_initializer="he_normal", name="conv_1")(inp)
    x = layers.Conv2D(32, 5, padding="same", activation="relu", kernel_initializer="he_normal", name="conv_2")(x)
    out = layers.Conv2D(1, 5, padding="same", kernel_initializer="he_normal", name="conv_3", dtype="float32")(x)
    return keras.Model(inp, out, name=name)


# The networks a preset's ``config.json`` may name (``"builder"``), with the keyword arguments it gives.
BUILDERS = {"drrn": DRRN, "vdsr": vdsr, "srcnn": srcnn}
