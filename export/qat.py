"""Quantisation-aware fine-tuning (QAT) of a DRRN for full-int8 TFLite.

Why: post-training int8 adds rounding noise at every activation, and DRRN's recursion
feeds each unit's noise into the next (the shared pair is applied U times), so the
error grows along the chain: for the shipped 32-filter B1U9 the Set5 x4 output error
grows from ~0.01 after unit 1 to ~0.09 after unit 9 (RMSE on a [0, 1] scale) and
Set5 PSNR drops 0.14/0.25/0.74 dB at x2/x3/x4. Bigger or differently spread
calibration sets do not help (the noise is not range clipping).

What: ``QatTwin`` runs the *same variables* as the float model through the graph
TFLite's int8 kernels compute — per-channel symmetric int8 weights, and per-tensor
asymmetric int8 activations at exactly the tensors TFLite quantises (ReLUs fused into
the conv/add before them) — with straight-through gradients, and ``model.fit`` on
train291 patches teaches the weights to tolerate the rounding. Activation ranges are
read back from a real TFLite int8 conversion of the current weights (so they follow the
converter's own rules) and re-read after every epoch but the last. The fine-tuned float model is then exported with ordinary
post-training int8 (``drrn export --quant int8``), which now matches it closely.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from drrn_tf._compat import litert_ops
from drrn_tf.errors import InputError
from drrn_tf.nn.layers import RecursiveBlock

from .extra import LITERT, require

__all__ = ["QatTwin", "RefreshRanges", "activation_ranges", "ranges_from_tflite", "cmd_qat"]


def _check_structure(model: keras.Model) -> list[RecursiveBlock]:
    blocks = [layer for layer in model.layers if isinstance(layer, RecursiveBlock)]
    names = {layer.name for layer in model.layers}
    if not blocks or any(b.batch_norm for b in blocks) or not {"conv_out", "global_residual"} <= names:
        raise InputError(f"{model.name}: quantisation-aware fine-tuning supports DRRN models without BatchNorm only")
    return blocks


def _forward(model: keras.Model, x, q, wq):
    """DRRN's forward pass (the blocks' own, ``drrn_tf.nn.layers.RecursiveBlock.unit_outputs``)
    with hooks ``q(name, tensor)`` on every tensor TFLite int8 quantises and ``wq(kernel)`` on
    every convolution kernel."""

    def conv(layer, t):
        return tf.nn.conv2d(t, wq(layer.kernel), 1, "SAME") + layer.bias

    h = q("input", x)
    for b, block in enumerate(_check_structure(model)):
        h = block.unit_outputs(h, tap=lambda name, t, b=b: q(f"b{b}/{name}", t), conv=conv)[-1]
    features = q("act_out", model.get_layer("act_out")(h))
    residual = q("conv_out", conv(model.get_layer("conv_out"), features))
    return q("output", x + residual)


def _per_channel_int8(kernel):
    """Symmetric per-output-channel int8 (narrow range), as TFLite quantises conv weights."""
    m = tf.stop_gradient(tf.maximum(tf.reduce_max(tf.abs(kernel), axis=[0, 1, 2]), 1e-8))
    return tf.quantization.fake_quant_with_min_max_vars_per_channel(kernel, -m, m, num_bits=8, narrow_range=True)


def _hook_names(model: keras.Model) -> list[str]:
    """The quantisation points of ``_forward``, in execution order."""
    names: list[str] = []
    _forward(model, tf.zeros((1, 8, 8, 1)), lambda n, t: names.append(n) or t, lambda k: k)
    return names


def activation_ranges(model: keras.Model, samples: list[np.ndarray]) -> dict[str, tuple[float, float]]:
    """Per-tensor (min, max) exactly as TFLite's int8 converter sets them for ``model``
    calibrated on ``samples`` (converts once; see ``ranges_from_tflite``)."""
    from .convert import convert_tflite

    return ranges_from_tflite(model, convert_tflite(model, "int8", None, samples))


def ranges_from_tflite(model: keras.Model, int8_tflite: bytes) -> dict[str, tuple[float, float]]:
    """The activation ranges of ``model``'s full-int8 conversion ``int8_tflite``, read back
    from it: its activation tensors come out of its ops in the order ``_forward`` visits them."""
    from ai_edge_litert.interpreter import Interpreter

    names = _hook_names(model)
    it = Interpreter(model_content=int8_tflite)
    tensors = {t["index"]: t for t in it.get_tensor_details()}
    produced = [op["outputs"][0] for op in litert_ops(it) if op["op_name"] != "DEQUANTIZE"]
    if len(produced) != len(names):
        raise RuntimeError(f"{model.name}: int8 graph has {len(produced)} quantised activations, the twin {len(names)}")
    ranges = {}
    for name, index in zip(names, produced):
        scale, zero_point = tensors[index]["quantization"]
        ranges[name] = ((-128 - zero_point) * scale, (127 - zero_point) * scale)
    return ranges


class QatTwin(keras.Model):
    """The float model's variables run through int8 fake quantisation (for fitting only).

    Activation ranges live in non-trainable variables so that ``RefreshRanges`` can
    re-read them from a fresh conversion as the weights move.
    """

    def __init__(self, base: keras.Model, ranges: dict[str, tuple[float, float]], **kwargs):
        super().__init__(name=kwargs.pop("name", f"{base.name}_qat"), **kwargs)
        _check_structure(base)
        self.base = base
        self.names = _hook_names(base)
        self.index = {n: i for i, n in enumerate(self.names)}
        self.lo = [self.add_weight(shape=(), initializer="zeros", trainable=False, name=f"lo_{i}") for i in range(len(self.names))]
        self.hi = [self.add_weight(shape=(), initializer="ones", trainable=False, name=f"hi_{i}") for i in range(len(self.names))]
        self.set_ranges(ranges)

    def set_ranges(self, ranges: dict[str, tuple[float, float]]) -> None:
        for i, name in enumerate(self.names):
            self.lo[i].assign(ranges[name][0])
            self.hi[i].assign(ranges[name][1])

    def call(self, x, training=False):
        def fake_quant(name, t):
            i = self.index[name]
            return tf.quantization.fake_quant_with_min_max_vars(t, self.lo[i], self.hi[i], num_bits=8)

        return _forward(self.base, x, fake_quant, _per_channel_int8)


class RefreshRanges(keras.callbacks.Callback):
    """After every epoch but the last, re-read the activation ranges TFLite would now calibrate."""

    def __init__(self, twin: QatTwin, samples: list[np.ndarray]):
        super().__init__()
        self.twin, self.samples = twin, samples

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 < self.params["epochs"]:
            self.twin.set_ranges(activation_ranges(self.twin.base, self.samples))


def _int8_parity(model, int8_tflite: bytes, data: str) -> dict:
    from drrn_tf.nn.predict import predict_y

    from .parity import parity_report
    from .runtime import LiteRTModel

    runner = LiteRTModel(int8_tflite, threads=2)
    return parity_report(lambda y: predict_y(model, y), runner.predict_y, "int8", data=data)


def cmd_qat(args) -> int:
    require("drrn qat", LITERT)
    from drrn_tf.io.datasets import resolve_dataset
    from drrn_tf.io.files import atomic_path, write_bytes_atomic, write_json_atomic
    from drrn_tf.nn.loading import load_keras_model
    from drrn_tf.training.data import PatchSource

    from .convert import convert_tflite, representative_samples

    out = Path(args.output)
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out}: already exists and is not empty; pick another -o/--output")
    model = load_keras_model(args.model, purpose="drrn qat", action="fine-tune")
    _check_structure(model)
    started = time.time()
    folder = resolve_dataset(args.data)[1]
    calib = representative_samples(folder, n=args.calibration_samples, size=(96, 96), seed=1)
    int8 = convert_tflite(model, "int8", None, calib)
    ranges = ranges_from_tflite(model, int8)
    before = _int8_parity(model, int8, args.parity_data) if args.parity_data != "none" else None
    if before:
        print("before: int8 Set5 drop " + ", ".join(f"x{r['scale']} {r['drop_db']:+.3f} dB" for r in before["scales"]), flush=True)

    twin = QatTwin(model, ranges)
    twin.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(args.lr, args.steps)), loss="mean_absolute_error")
    source = PatchSource.from_folder(folder, scales=tuple(args.scales), patch=args.patch)
    ds = source.dataset(args.batch, seed=args.seed, mode="random").prefetch(2)
    epochs = max(1, args.steps // args.steps_per_epoch)
    history = twin.fit(ds, steps_per_epoch=args.steps // epochs, epochs=epochs, verbose=2 if args.quiet else "auto", callbacks=[RefreshRanges(twin, calib)])

    out.mkdir(parents=True, exist_ok=True)
    weights = out / f"{model.name}.weights.h5"
    with atomic_path(weights) as tmp:
        model.save_weights(tmp)
    with atomic_path(out / "model.keras") as tmp:
        model.save(tmp)
    log = io.StringIO()
    writer = csv.writer(log)
    writer.writerow(["epoch", "loss"])
    writer.writerows([e + 1, f"{v:.6g}"] for e, v in enumerate(history.history["loss"]))
    write_bytes_atomic(out / "log.csv", log.getvalue().encode())
    after = _int8_parity(model, convert_tflite(model, "int8", None, calib), args.parity_data) if args.parity_data != "none" else None
    report = {
        "command": args.command_line,
        "model": args.model,
        "steps": args.steps,
        "seconds": round(time.time() - started, 1),
        "int8_parity_before": before,
        "int8_parity_after": after,
    }
    write_json_atomic(out / "report.json", report)
    if after:
        for r in after["scales"]:
            print(f"after: Set5 x{r['scale']}: Keras {r['keras_psnr']:.3f} dB, int8 {r['export_psnr']:.3f} dB, drop {r['drop_db']:+.3f} dB")
    print(f"wrote {weights}, {out / 'model.keras'}, log.csv, report.json ({time.time() - started:.0f} s)")
    return 0
