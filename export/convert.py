"""Keras -> TFLite (fp32, fp16, dynamic-range, full int8, int16x8) and Keras -> ONNX."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from drrn_tf._compat import disable_per_channel
from drrn_tf.constants import SCALES
from drrn_tf.errors import InputError
from drrn_tf.io.files import temp_dir
from drrn_tf.io.images import list_images, read_image
from drrn_tf.protocol.evaluation import bicubic_input, hr_luminance
from drrn_tf.protocol.matlab import im2uint8, imresize

from .modes import CALIBRATED_MODES, QUANT_MODES

__all__ = ["QUANT_MODES", "convert_tflite", "convert_e2e", "convert_onnx", "representative_samples"]

INPUT_NAME = "lr_up_y"


def _signature(shape: tuple[int, int] | None) -> tf.TensorSpec:
    h, w = shape if shape else (None, None)
    return tf.TensorSpec((1, h, w, 1), tf.float32, name=INPUT_NAME)


def representative_samples(folder, n: int = 120, size: tuple[int, int] = (96, 96), scales=SCALES, seed: int = 0, rgb: bool = False) -> list[np.ndarray]:
    """``n`` random crops of what a model really receives, for calibration.

    Default: bicubic LR-up Y images in [0, 1], (1, H, W, 1) float32 (the Y network's
    input). ``rgb=True``: LR RGB images (HR shrunk by s, MATLAB bicubic, uint8),
    (1, H, W, 3) uint8 (the end-to-end model's input). Images are cycled in name order
    at alternating scales; those smaller than the crop are skipped. Raises InputError
    if none is usable.
    """
    paths = list_images(folder)
    rng = np.random.default_rng(seed)
    h, w = size
    samples: list[np.ndarray] = []
    cache: dict = {}
    for i in range(n * 4):
        if len(samples) == n:
            break
        path = paths[i % len(paths)]
        s = scales[(i // len(paths) + i) % len(scales)]
        if (path, s) not in cache:
            pixels = read_image(path).pixels
            if rgb:
                img = imresize(pixels[..., :3] if pixels.ndim == 3 else np.dstack([pixels] * 3), 1.0 / s)
                img = im2uint8(img)
            else:
                img = bicubic_input(hr_luminance(pixels), s)[1].astype(np.float32)[..., None]
            cache[(path, s)] = img if img.shape[0] >= h and img.shape[1] >= w else None
        img = cache[(path, s)]
        if img is None:
            continue
        top = rng.integers(0, img.shape[0] - h + 1)
        left = rng.integers(0, img.shape[1] - w + 1)
        samples.append(np.ascontiguousarray(img[top : top + h, left : left + w])[None])
    if not samples:
        raise InputError(f"{folder}: no usable representative images (none is at least {h}x{w} pixels)")
    return samples


def _saved_model(model: keras.Model, fn, signature: tf.TensorSpec, folder: Path) -> Path:
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", fn, input_signature=[signature])
    archive.write_out(str(folder), verbose=False)
    return folder


def _convert(model: keras.Model, fn, signature: tf.TensorSpec, quant: str, representative, per_tensor: bool = False) -> bytes:
    if quant not in QUANT_MODES:
        raise ValueError(f"quant must be one of {QUANT_MODES}, got {quant!r}")
    if quant in CALIBRATED_MODES and not representative:
        raise ValueError(f"{quant} quantisation needs representative samples")
    with temp_dir() as tmp:
        converter = tf.lite.TFLiteConverter.from_saved_model(str(_saved_model(model, fn, signature, Path(tmp) / "sm")))
        if quant != "none":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if quant == "fp16":
            converter.target_spec.supported_types = [tf.float16]
        if per_tensor:
            disable_per_channel(converter)
        if quant in CALIBRATED_MODES:
            converter.representative_dataset = lambda: ([s] for s in representative)
            converter.target_spec.supported_ops = [
                tf.lite.OpsSet.TFLITE_BUILTINS_INT8 if quant == "int8" else tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
            ]
        return converter.convert()


def convert_tflite(
    model: keras.Model,
    quant: str = "none",
    shape: tuple[int, int] | None = None,
    representative: list[np.ndarray] | None = None,
    per_tensor: bool = False,
) -> bytes:
    """Convert to a TFLite flatbuffer. ``shape=None`` keeps H and W dynamic.

    ``int8``: every op int8 (TFLITE_BUILTINS_INT8), float32 input/output with the
    (de)quantisation inside the model; ``int16x8``: 16-bit activations, 8-bit weights.
    Both calibrate on ``representative`` (required). ``per_tensor``: one weight scale per
    tensor instead of per output channel (benchmarks/browser_int8.py measures it).
    """
    return _convert(model, lambda x: model(x, training=False), _signature(shape), quant, representative, per_tensor)


def convert_e2e(model: keras.Model, height: int, width: int, scale: int, quant: str = "none", representative=None, io: str = "uint8") -> bytes:
    """The end-to-end model (``drrn_tf_export.e2e``): RGB (1, H, W, 3) -> RGB (1, sH, sW, 3),
    uint8 or (``io="float32"``) float32 pixel values.

    ``representative`` for int8/int16x8: uint8 RGB crops (1, H, W, 3).
    """
    from .e2e import IO_DTYPES, EndToEnd

    e2e = EndToEnd(model, height, width, scale, io)
    if representative is not None:
        representative = [r.astype(IO_DTYPES[io].as_numpy_dtype) for r in representative]
    return _convert(model, e2e.__call__, e2e.signature(), quant, representative)


def convert_onnx(model: keras.Model, opset: int = 17) -> bytes:
    """ONNX via tf2onnx; input ``lr_up_y`` (N, H, W, 1), output ``hr_y``, H and W dynamic.

    tf2onnx's layout optimiser, which turns the NHWC<->NCHW transposes of a one-channel image into
    reshapes, does not always end on the same graph: about one conversion in eight gave an output of
    shape (N, 1, H, W, 1). The output is therefore reshaped to the input's shape in the graph (a
    luminance network keeps its input's shape; the reshape costs nothing), and the result is checked
    on a probe before it is returned."""
    import onnxruntime as ort
    import tf2onnx
    from onnx import helper

    fn = tf.function(lambda x: model(x, training=False))
    spec = [tf.TensorSpec((None, None, None, 1), tf.float32, name=INPUT_NAME)]
    proto, _ = tf2onnx.convert.from_function(fn, input_signature=spec, opset=opset)
    g = proto.graph
    raw = g.output[0].name
    for node in g.node:
        node.output[:] = ["hr_y_raw" if o == raw else o for o in node.output]
    g.node.extend(
        [
            helper.make_node("Shape", [g.input[0].name], ["lr_up_y_shape"], name="output_shape"),
            helper.make_node("Reshape", ["hr_y_raw", "lr_up_y_shape"], ["hr_y"], name="output_as_input"),
        ]
    )
    g.output[0].CopyFrom(g.input[0])
    g.output[0].name = "hr_y"
    content = proto.SerializeToString()
    probe = np.zeros((1, 23, 17, 1), np.float32)
    got = ort.InferenceSession(content, providers=["CPUExecutionProvider"]).run(None, {g.input[0].name: probe})[0].shape
    if got != probe.shape:
        raise ValueError(f"the ONNX conversion gives output shape {got} for input {probe.shape}")
    return content
