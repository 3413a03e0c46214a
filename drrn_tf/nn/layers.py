"""The recursive block of DRRN as a Keras layer, with real weight sharing.

One ``RecursiveBlock`` owns an entry convolution and **one pair** of Conv2D
objects (``conv_a``, ``conv_b``) that every residual unit calls again::

    H0 = conv_in(act(x))
    H_u = H0 + conv_b(act(conv_a(act(H_{u-1}))))      u = 1..U

Pre-activation (act before conv) and multi-path local residuals (every unit adds H0)
as in Tai et al., CVPR 2017. With ``batch_norm=True`` each "act" is BatchNorm
(moving statistics, learned scale/offset) followed by ReLU, as in the official Caffe
graph: every unit has its own BatchNorm layers; only the convolutions are shared.
"""

from __future__ import annotations

import keras
from keras import layers

__all__ = ["RecursiveBlock", "PreActivation", "conv3x3"]


def conv3x3(filters: int, name: str, **kwargs) -> layers.Conv2D:
    """3x3, stride 1, same padding, He-normal kernel, zero bias (the paper's MSRA filler)."""
    kwargs.setdefault("kernel_initializer", "he_normal")
    return layers.Conv2D(filters, 3, padding="same", bias_initializer="zeros", name=name, **kwargs)


@keras.saving.register_keras_serializable(package="drrn_tf")
class PreActivation(layers.Layer):
    """ReLU, optionally preceded by BatchNorm (+ learned scale/offset): the "act" of DRRN."""

    def __init__(self, batch_norm: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.batch_norm = bool(batch_norm)
        self.bn = layers.BatchNormalization(name="bn") if self.batch_norm else None

    def build(self, input_shape):
        if self.bn is not None:
            self.bn.build(input_shape)
        super().build(input_shape)

    def call(self, x, training=None):
        if self.bn is not None:
            x = self.bn(x, training=training)
        return keras.ops.relu(x)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "batch_norm": self.batch_norm}


@keras.saving.register_keras_serializable(package="drrn_tf")
class RecursiveBlock(layers.Layer):
    """DRRN recursive block: entry conv + ``units`` residual units sharing conv_a/conv_b.

    Args:
        units: number of residual units U (recursions of the shared pair).
        filters: channels of every convolution in the block.
        batch_norm: BatchNorm + scale/offset before every conv (one per use, not shared).
    """

    def __init__(self, units: int = 9, filters: int = 128, batch_norm: bool = False, **kwargs):
        super().__init__(**kwargs)
        if units < 1 or filters < 1:
            raise ValueError(f"units and filters must be >= 1, got units={units}, filters={filters}")
        self.units = int(units)
        self.filters = int(filters)
        self.batch_norm = bool(batch_norm)
        self.act_in = PreActivation(self.batch_norm, name="act_in")
        self.conv_in = conv3x3(self.filters, "conv_in")
        # The shared pair: created once, called in every unit.
        self.conv_a = conv3x3(self.filters, "conv_a")
        self.conv_b = conv3x3(self.filters, "conv_b")
        self.acts_a = [PreActivation(self.batch_norm, name=f"act_a_{u + 1}") for u in range(self.units)]
        self.acts_b = [PreActivation(self.batch_norm, name=f"act_b_{u + 1}") for u in range(self.units)]

    def build(self, input_shape):
        feat_shape = tuple(input_shape[:-1]) + (self.filters,)
        self.act_in.build(input_shape)
        self.conv_in.build(input_shape)
        self.conv_a.build(feat_shape)
        self.conv_b.build(feat_shape)
        for act in self.acts_a + self.acts_b:
            act.build(feat_shape)
        super().build(input_shape)

    def unit_outputs(self, x, training=None, tap=None, conv=None):
        """All intermediate outputs [H_1, ..., H_U] (the last one is the block's output).

        The block's one forward pass. Quantisation-aware training reuses it through two hooks:
        ``tap(name, tensor)`` sees (and may replace) each tensor that full-int8 TFLite quantises
        (``act_in``, ``h0``, then per unit ``u{i}/act_a``, ``u{i}/act_b``, ``u{i}/conv_b``), and
        ``conv(layer, tensor)`` applies each convolution (default: the layer itself).
        """
        tap = tap or (lambda name, t: t)
        conv = conv or (lambda layer, t: layer(t))
        h0 = tap("h0", conv(self.conv_in, tap("act_in", self.act_in(x, training=training))))
        h = h0
        outputs = []
        for u, (act_a, act_b) in enumerate(zip(self.acts_a, self.acts_b)):
            a = tap(f"u{u}/act_a", act_a(h, training=training))  # for u > 0, TFLite fuses this ReLU into the ADD
            t = tap(f"u{u}/act_b", act_b(conv(self.conv_a, a), training=training))  # a conv with fused ReLU
            h = h0 + tap(f"u{u}/conv_b", conv(self.conv_b, t))
            outputs.append(h)
        return outputs

    def call(self, x, training=None):
        return self.unit_outputs(x, training=training)[-1]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)

    # Structure, for model statistics (see drrn_tf.nn.stats).
    @property
    def conv_depth(self) -> int:
        """Convolutions on the path from input to output: 1 + 2U."""
        return 1 + 2 * self.units

    def macs_per_pixel(self, in_channels: int) -> int:
        k = 9
        return k * in_channels * self.filters + 2 * self.units * k * self.filters * self.filters

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "filters": self.filters,
            "batch_norm": self.batch_norm,
        }
