"""The end-to-end phone model: LR RGB uint8 in, upscaled RGB uint8 out, all in one graph.

The graph does what ``drrn upscale`` does in numpy: RGB -> YCbCr (BT.601), MATLAB
bicubic upscaling of all three channels (for a fixed input size the separable resize
is two constant matrices, applied as matmuls), the network on Y, YCbCr -> RGB, clip
and round. A phone app only feeds pixels.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from drrn_tf.inference.tiling import lr_halo as tile_halo
from drrn_tf.protocol.matlab import _YCBCR_MATRIX, _YCBCR_OFFSET, imresize

__all__ = ["resize_matrix", "EndToEnd", "e2e_input_name", "tile_halo", "IO_DTYPES"]

e2e_input_name = "lr_rgb"
IO_DTYPES = {"uint8": tf.uint8, "float32": tf.float32}


def resize_matrix(n: int, scale: int) -> np.ndarray:
    """(scale*n, n) matrix R with imresize(x, scale) == R @ x along one axis (MATLAB bicubic)."""
    return imresize(np.eye(n), size=(scale * n, n))


class EndToEnd(tf.Module):
    """``__call__(lr_rgb (1, H, W, 3)) -> (1, sH, sW, 3)`` around a Y network.

    ``io="uint8"``: uint8 pixels in and out. ``io="float32"``: the same pixel values
    (0..255, whole numbers out) as float32, for runtimes without uint8 tensors (LiteRT's
    Kotlin ``CompiledModel``/``TensorBuffer`` has no UINT8 element type).
    """

    def __init__(self, model: keras.Model, height: int, width: int, scale: int, io: str = "uint8"):
        super().__init__()
        if io not in IO_DTYPES:
            raise ValueError(f"io must be one of {sorted(IO_DTYPES)}, got {io!r}")
        self.io = IO_DTYPES[io]
        self.model = model
        self.shape = (height, width)
        self.scale = scale
        self.rows = tf.constant(resize_matrix(height, scale), tf.float32)
        self.cols = tf.constant(resize_matrix(width, scale), tf.float32)
        self.to_ycc = tf.constant(_YCBCR_MATRIX.T, tf.float32)
        self.from_ycc = tf.constant(np.linalg.inv(_YCBCR_MATRIX).T, tf.float32)
        self.offset = tf.constant(_YCBCR_OFFSET, tf.float32)

    def signature(self) -> tf.TensorSpec:
        return tf.TensorSpec((1, *self.shape, 3), self.io, name=e2e_input_name)

    def __call__(self, lr_rgb):
        x = tf.cast(lr_rgb, tf.float32) / 255.0
        ycc = tf.tensordot(x, self.to_ycc, axes=1) + self.offset  # (1, H, W, 3)
        up = tf.einsum("ih,bhwc->biwc", self.rows, ycc)
        up = tf.einsum("jw,biwc->bijc", self.cols, up)  # (1, sH, sW, 3)
        y = self.model(up[..., :1], training=False)
        ycc_up = tf.concat([tf.cast(y, tf.float32), up[..., 1:]], axis=-1)
        rgb = tf.tensordot(ycc_up - self.offset, self.from_ycc, axes=1)
        rgb = tf.clip_by_value(tf.round(rgb * 255.0), 0.0, 255.0)
        return tf.cast(rgb, self.io)
