"""Quantisation-aware fine-tuning: the twin models TFLite's int8 graph, and `drrn qat` runs."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import tiny_drrn


def _inputs(n, size=48, seed=0):
    r = np.random.default_rng(seed)
    # smooth-ish images in [0, 1], like LR-up luminance
    out = []
    for _ in range(n):
        small = r.random((size // 4, size // 4))
        out.append(np.kron(small, np.ones((4, 4)))[None, :, :, None].astype(np.float32) * 0.8 + 0.1)
    return out


def test_twin_reproduces_tflite_int8_rounding():
    """The twin quantises the tensors TFLite quantises, with TFLite's own ranges: its first
    convolution's output agrees with the int8 model's to a small fraction of a quantisation
    step, and its final output is much closer to the int8 model than the float model is.
    (Exact agreement is not expected: float fake quantisation and TFLite's fixed-point
    requantisation round a few values differently, and the recursion amplifies that.)"""
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    from drrn_tf_export.convert import convert_tflite
    from drrn_tf_export.qat import QatTwin, _forward, _per_channel_int8, activation_ranges

    model = tiny_drrn(units=3, filters=8)
    calib = _inputs(12)
    twin = QatTwin(model, activation_ranges(model, calib))
    x = calib[3]
    it = Interpreter(model_content=convert_tflite(model, "int8", None, calib), experimental_preserve_all_tensors=True)
    it.resize_tensor_input(it.get_input_details()[0]["index"], x.shape)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    lite_out = it.get_tensor(it.get_output_details()[0]["index"])
    conv_in = next(op for op in it._get_ops_details() if op["op_name"] == "CONV_2D")
    t = next(t for t in it.get_tensor_details() if t["index"] == conv_in["outputs"][0])
    scale, zp = t["quantization"]
    lite_h0 = (it.get_tensor(t["index"]).astype(np.float32) - zp) * scale
    seen = {}

    def hook(name, v):
        i = twin.names.index(name)
        q = tf.quantization.fake_quant_with_min_max_vars(v, twin.lo[i], twin.hi[i], num_bits=8)
        seen[name] = q.numpy()
        return q

    _forward(model, tf.constant(x), hook, _per_channel_int8)
    assert np.sqrt(np.mean((seen["b0/h0"] - lite_h0) ** 2)) < 0.1 * scale
    float_err = np.abs(model(x).numpy() - lite_out).mean()
    twin_err = np.abs(twin(tf.constant(x)).numpy() - lite_out).mean()
    assert float_err > 1e-3
    assert twin_err < 0.4 * float_err, (twin_err, float_err)


def test_twin_trains_the_float_models_variables():
    from drrn_tf_export.qat import QatTwin, activation_ranges

    model = tiny_drrn(units=2, filters=4)
    twin = QatTwin(model, activation_ranges(model, _inputs(2)))
    assert {id(v) for v in twin.trainable_variables} == {id(v) for v in model.trainable_variables}


def test_qat_rejects_non_drrn():
    from drrn_tf.errors import InputError
    from drrn_tf.nn.models import srcnn
    from drrn_tf_export.qat import QatTwin

    with pytest.raises(InputError, match="DRRN models without BatchNorm only"):
        QatTwin(srcnn(), {})


@pytest.mark.slow
def test_qat_command_end_to_end(tmp_path, data_dir):
    model = tiny_drrn(units=2, filters=4)
    src = tmp_path / "tiny.keras"
    model.save(src)
    out = tmp_path / "qat"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "drrn_tf",
            "--debug",  # the recorded command is the one typed, without it (it was once "drrn qat qat ...")
            "qat",
            str(src),
            "--data",
            "set5",
            "--steps",
            "4",
            "--steps-per-epoch",
            "2",
            "--batch",
            "4",
            "--calibration-samples",
            "4",
            "--parity-data",
            "none",
            "--quiet",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    import keras

    tuned = keras.saving.load_model(out / "model.keras")
    assert tuned.count_params() == model.count_params()
    assert not np.allclose(tuned.get_layer("conv_out").kernel.numpy(), model.get_layer("conv_out").kernel.numpy())
    report = json.loads((out / "report.json").read_text())
    assert report["steps"] == 4 and (out / "tiny.weights.h5").is_file()
    assert report["command"].startswith(f"drrn qat {src} --data set5 "), report["command"]
    assert len((out / "log.csv").read_text().splitlines()) == 3  # header + 2 epochs
    # refuses to overwrite a non-empty folder
    p2 = subprocess.run([sys.executable, "-m", "drrn_tf", "qat", str(src), "-o", str(out)], capture_output=True, text=True, timeout=300)
    assert p2.returncode != 0 and "not empty" in p2.stderr
