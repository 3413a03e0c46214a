"""drrn export: every mode and format, parity, model cards, bad input."""

import json

import numpy as np
import pytest
from conftest import identity_drrn, tiny_drrn

from drrn_tf.cli import main
from drrn_tf.nn.predict import predict_y
from drrn_tf.nn.stats import receptive_radius
from drrn_tf_export.convert import convert_tflite, representative_samples
from drrn_tf_export.runtime import LiteRTModel, OnnxModel


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("export_models")
    identity_drrn(units=2, filters=8).save(d / "identity.keras")
    tiny_drrn(units=2, filters=8).save(d / "tiny.keras")
    return d


@pytest.mark.parametrize("quant", ["none", "fp16", "dynamic", "int8", pytest.param("int16x8", marks=pytest.mark.slow)])
def test_tflite_modes_parity_and_card(capsys, tmp_path, models, data_dir, quant):
    out = tmp_path / f"m_{quant}.tflite"
    argv = ["export", str(models / "identity.keras"), "--quant", quant, "--shape", "64x64", "--calibration-samples", "16", "-o", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    card = json.loads(out.with_suffix(".json").read_text())
    made = card["made_with"]
    assert made["sha256"] == __import__("hashlib").sha256(out.read_bytes()).hexdigest() and made["tensorflow"] and made["created_utc"]
    for key in ("inputs", "outputs", "preprocessing", "scales_trained", "params", "macs_288x288", "file_size_bytes", "parity"):
        assert key in card, key
    assert card["file_size_bytes"] == out.stat().st_size
    assert card["inputs"][0]["shape"] == [1, 64, 64, 1] and card["inputs"][0]["dtype"] == "float32"
    assert card["quantization"] == quant
    assert card["parity"]["passed"] and card["parity"]["worst_drop_db"] <= card["parity"]["target_db"]
    assert [r["scale"] for r in card["parity"]["scales"]] == [2, 3, 4]
    if quant in ("int8", "int16x8"):  # integer graph behind float I/O: its quantisation is in the card
        internal = card["inputs"][0]["internal"]
        assert internal["dtype"] == ("int8" if quant == "int8" else "int16")
        assert len(internal["quantization"]["scale"]) == 1 and internal["quantization"]["scale"][0] > 0


def test_fixed_shape_tiles_match_dynamic_keras(tmp_path, models, rng):
    import keras

    model = keras.saving.load_model(models / "tiny.keras")
    halo = receptive_radius(model)
    runner = LiteRTModel(convert_tflite(model, "none", (40, 40)), halo=halo)
    y = rng.random((70, 95)).astype(np.float32)
    np.testing.assert_allclose(runner.predict_y(y), predict_y(model, y), atol=2e-5)
    small = rng.random((30, 50)).astype(np.float32)  # shorter than the window: padded and cropped
    assert runner.predict_y(small).shape == small.shape


def test_onnx_matches_keras(capsys, tmp_path, models, rng):
    import keras

    out = tmp_path / "m.onnx"
    assert main(["export", str(models / "tiny.keras"), "--format", "onnx", "--parity-data", "none", "-o", str(out)]) == 0
    model = keras.saving.load_model(models / "tiny.keras")
    y = rng.random((37, 52)).astype(np.float32)
    diff = np.abs(OnnxModel(out).predict_y(y) - predict_y(model, y)).max()
    assert diff <= 1e-4
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["inputs"][0]["name"] == "lr_up_y" and card["outputs"][0]["name"] == "hr_y"


def test_representative_samples(tmp_path, data_dir):
    samples = representative_samples(data_dir / "Set5", n=12, size=(48, 40))
    assert len(samples) == 12 and samples[0].shape == (1, 48, 40, 1)
    assert all(0 <= s.min() and s.max() <= 1.1 for s in samples)


def test_failed_parity_writes_nothing_unless_forced(capsys, tmp_path, models, monkeypatch, data_dir):
    import drrn_tf_export.parity

    monkeypatch.setitem(drrn_tf_export.parity.PARITY_TARGETS_DB, "none", -1.0)  # impossible target
    out = tmp_path / "m.tflite"
    argv = ["export", str(models / "tiny.keras"), "--shape", "64x64", "-o", str(out)]
    assert main(argv) == 2
    assert "parity check failed" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    assert main([*argv, "--force"]) == 0
    assert out.exists() and not json.loads(out.with_suffix(".json").read_text())["parity"]["passed"]


def test_end_to_end_model_matches_drrn_upscale_on_a_real_photo(capsys, tmp_path, models, data_dir):
    import keras

    from drrn_tf.io.images import read_image
    from drrn_tf.protocol.matlab import imresize
    from drrn_tf.upscale.image import upscale_pixels

    out = tmp_path / "e2e.tflite"
    assert main(["export", str(models / "tiny.keras"), "--e2e-scale", "2", "--shape", "48x64", "-o", str(out)]) == 0
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["inputs"][0]["dtype"] == "uint8" and card["inputs"][0]["shape"] == [1, 48, 64, 3]
    assert card["outputs"][0]["dtype"] == "uint8" and card["outputs"][0]["shape"] == [1, 96, 128, 3]
    agreement = card["end_to_end"]["agreement_with_drrn_upscale"]
    assert agreement["images"] >= 15 and agreement["fraction_within_1"] >= 0.99  # Set5 + Set14 colour photos
    # Run it ourselves on a crop of a real photo.
    lr = imresize(read_image(data_dir / "Set14" / "monarch.png").pixels, 0.5)[100:148, 200:264]
    got = LiteRTModel(out).run_raw(np.ascontiguousarray(lr)[None])[0]
    ref = upscale_pixels(keras.saving.load_model(models / "tiny.keras"), lr, 2)
    assert np.mean(np.abs(got.astype(int) - ref.astype(int)) <= 1) >= 0.99


@pytest.mark.slow
def test_demo_quick_mode(tmp_path):
    import subprocess
    import sys

    run = tmp_path / "demo"
    p = subprocess.run([sys.executable, "-m", "drrn_tf", "demo", "--steps", "60", "-o", str(run)], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "| TFLite int8 |" in p.stdout and "| LiteRT int8 |" in p.stdout and f"run folder: {run}" in p.stdout
    assert f"before/after (bicubic | trained model | original, x3): {run / 'before_after.png'}" in p.stdout
    assert (run / "before_after.png").stat().st_size > 10_000
    # what reaches the terminal is the demo's own: no NaN placeholders, no converter or LiteRT chatter
    for noise in ("nan", "fully_quantize", "XNNPACK delegate", "oneDNN", "cuda"):
        assert noise not in p.stdout + p.stderr, noise
    report = json.loads((run / "report.json").read_text())
    assert set(report["psnr"]) == {"bicubic", "Keras fp32", "TFLite int8"}
    assert (run / "drrn_demo_int8.tflite").is_file() and (run / "train" / "model.keras").is_file()


def test_end_to_end_int8_and_rgb_calibration(capsys, tmp_path, models, data_dir):
    samples = representative_samples(data_dir / "Set14", n=6, size=(40, 48), scales=(3,), rgb=True)
    assert samples[0].shape == (1, 40, 48, 3) and samples[0].dtype == np.uint8
    out = tmp_path / "e2e8.tflite"
    argv = [
        "export",
        str(models / "tiny.keras"),
        "--e2e-scale",
        "3",
        "--shape",
        "40x48",
        "--quant",
        "int8",
        "--representative",
        str(data_dir / "Set14"),
        "--calibration-samples",
        "12",
        "-o",
        str(out),
    ]
    assert main(argv) == 0
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["quantization"] == "int8" and card["inputs"][0]["dtype"] == "uint8"
    agreement = card["end_to_end"]["agreement_with_drrn_upscale"]
    assert agreement["images"] >= 15 and 0 < agreement["fraction_within_1"] <= 1  # measured, reported


@pytest.mark.parametrize("io", ["uint8", "float32"])
def test_end_to_end_tiles_are_seamless(tmp_path, models, io):
    """Tiled runs of a small fixed-shape e2e model equal one whole-image run of a model of the photo's size."""
    import keras
    import skimage.data

    from drrn_tf.protocol.matlab import im2uint8, imresize
    from drrn_tf_export.convert import convert_e2e
    from drrn_tf_export.e2e import tile_halo

    model = keras.saving.load_model(models / "tiny.keras")
    lr = im2uint8(imresize(skimage.data.coffee()[:180, :270] / 255.0, 1 / 3))  # 60x90
    halo = tile_halo(receptive_radius(model), 2)
    tiled = LiteRTModel(convert_e2e(model, 28, 32, 2, io=io), threads=1)
    assert tiled.input["dtype"] == np.dtype(io)
    whole = LiteRTModel(convert_e2e(model, *lr.shape[:2], 2, io=io), threads=1)
    got = tiled.upscale_e2e(lr, 2, halo)
    ref = whole.run_raw(lr[None].astype(io))[0].astype(np.uint8)
    assert got.shape == ref.shape == (120, 180, 3)
    diff = np.abs(got.astype(int) - ref.astype(int))
    # float32 sums in a different order can flip a rounding: allow 1 grey level on a few pixels
    assert diff.max() <= 1 and (diff == 0).mean() >= 0.999, (diff.max(), (diff == 0).mean())
    # a photo smaller than the tile is padded and cropped back
    small = lr[:20, :25]
    assert tiled.upscale_e2e(small, 2, halo).shape == (40, 50, 3)


@pytest.mark.slow
def test_a_litert_teacher_distils_through_its_int8_export(tmp_path, models, data_dir):
    """teacher_runtime: litert (what the compact preset's stage 5 used): the teacher's full-int8
    export runs over the training images; for an identity network its outputs are the LR-up
    images up to int8 rounding."""
    from drrn_tf.training.config import load_config
    from drrn_tf.training.data import PatchSource, load_luminance_folder
    from drrn_tf.training.trainer import train

    teacher = {"teacher": str(models / "identity.keras"), "teacher_runtime": "litert"}
    small = {"train_data": str(data_dir / "train291"), "max_images": 2, "scales": [3], "val_data": None, "tensorboard": False}
    cfg = load_config(None, small | teacher | {"units": 2, "filters": 8, "batch_size": 4, "steps_per_epoch": 2, "epochs": 1})
    train(cfg, tmp_path / "run", verbose=0)
    outputs = np.load(tmp_path / "run" / "teacher.npy")
    manifest = json.loads((tmp_path / "run" / "teacher.json").read_text())
    assert manifest["runtime"] == "litert" and manifest["pixels"] == outputs.size
    ys, names = load_luminance_folder(data_dir / "train291")
    lr = PatchSource(ys[:2], [3], cfg.patch, names[:2]).lr
    diff = np.abs(outputs - np.clip(lr, 0, 1))
    assert 0 < diff.max() < 0.03 and diff.mean() < 0.005
