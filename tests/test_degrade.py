"""Real-world degradations: the eval protocol's (numpy, Pillow) and training's (tf.data) agree."""

import json

import numpy as np
import pytest

from drrn_tf.errors import InputError
from drrn_tf.protocol.degrade import degrade_luminance, describe_degrade, from_jfif, parse_degrade, to_jfif
from drrn_tf.protocol.matlab import KERNELS, imresize, modcrop
from drrn_tf.training.config import load_config
from drrn_tf.training.data import dihedral_offsets

FULL = {
    "kernels": {"bicubic": 1, "bilinear": 1, "box": 1, "lanczos3": 1},
    "blur": {"p": 0.5, "range": [0.3, 1.0]},
    "noise": {"p": 0.5, "range": [1, 8]},
    "poisson": {"p": 0.3, "range": [300, 3000]},
    "jpeg": {"p": 1.0, "range": [30, 95]},
}


def test_parse_degrade():
    assert parse_degrade("noise:5+jpeg:75") == (("noise", 5.0), ("jpeg", 75))
    assert parse_degrade("none") == () and describe_degrade(()) == "clean"
    assert describe_degrade(parse_degrade("jpeg:90+blur:0.8")) == "jpeg:90+blur:0.8"
    for bad, says in [
        ("jpeg:101", "from 1 to 100"),
        ("jpeg:7.5", "an integer"),
        ("jpg:75", "unknown step"),
        ("noise:x", "needs a number"),
        ("noise:nan", "a number"),
    ]:
        with pytest.raises(InputError, match=says):
            parse_degrade(bad)


def test_kernels_follow_their_definitions():
    x = np.random.default_rng(0).random((12, 18))
    np.testing.assert_allclose(imresize(x, 0.5, method="box"), x.reshape(6, 2, 9, 2).mean(axis=(1, 3)), atol=1e-12)
    for method in KERNELS:  # every kernel keeps a flat image flat (weights normalised, mirrored borders)
        np.testing.assert_allclose(imresize(np.full((9, 12), 0.3), 1 / 3, method=method), 0.3, atol=1e-12)
    assert not np.allclose(imresize(x, 0.5, method="lanczos3"), imresize(x, 0.5))


def test_jpeg_is_of_the_full_range_luma():
    y = np.arange(16, 236, dtype=np.float64)
    np.testing.assert_allclose(from_jfif(to_jfif(y)), y)
    assert to_jfif(16.0) == 0 and to_jfif(235.0) == 255
    lr = np.random.default_rng(1).random((24, 24)) * 0.5 + 0.25
    out = degrade_luminance(lr, parse_degrade("jpeg:30"), np.random.default_rng(0))
    assert np.all(out * 255 == np.round(out * 255))  # uint8 values
    clean = degrade_luminance(lr, (), np.random.default_rng(0))
    np.testing.assert_array_equal(clean * 255, np.round(lr * 255))
    assert 2 < np.abs(out - clean).mean() * 255 < 30  # quality 30 moves random pixels a lot


def test_eval_degradations_are_seeded():
    lr = np.random.default_rng(2).random((16, 16))
    a = degrade_luminance(lr, parse_degrade("noise:5+jpeg:75"), np.random.default_rng([0, 1, 2]))
    b = degrade_luminance(lr, parse_degrade("noise:5+jpeg:75"), np.random.default_rng([0, 1, 2]))
    c = degrade_luminance(lr, parse_degrade("noise:5+jpeg:75"), np.random.default_rng([0, 2, 2]))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_config_validates_degradations(tmp_path):
    cfg = load_config(None, {"degradations": FULL, "recipe": "modern"})
    assert cfg.degradations["jpeg"] == {"p": 1.0, "range": [30.0, 95.0]}
    for bad, says in [
        ({"jpeg": {"p": 2, "range": [30, 95]}}, "'p' must be a number from 0 to 1"),
        ({"jpeg": {"p": 1, "range": [95, 30]}}, "'range' must be"),
        ({"jpeg": {"p": 1}}, "must be a mapping of 'p'"),
        ({"sharpen": {"p": 1, "range": [1, 2]}}, "unknown step"),
        ({"kernels": {"nearest": 1}}, "must map methods among"),
        ({"kernels": {"bicubic": 0}}, "must not all be 0"),
    ]:
        with pytest.raises(InputError, match=says):
            load_config(None, {"degradations": bad, "recipe": "modern"})
    with pytest.raises(InputError, match="need sampling random"):
        load_config(None, {"degradations": FULL})  # the paper recipe samples a grid


def _find(hr_images, patch, hr):
    """(image, scale, variant, y, x) of an HR patch in the images (positions on the LR grid only)."""
    dy, dx = dihedral_offsets(patch)
    for i, image in enumerate(hr_images):
        for s, full in image.items():
            for v in range(8):
                for y in range(0, full.shape[0] - patch + 1, s):
                    for x in range(0, full.shape[1] - patch + 1, s):
                        if np.array_equal(full[y + dy[v], x + dx[v]], hr):
                            return i, s, v, y, x
    raise AssertionError("an HR patch that is in no image")


def test_clean_training_pairs_are_matlab_exact():
    from drrn_tf.training.degrade import DegradedSource

    rng = np.random.default_rng(0)
    images = [(rng.random((46, 40)) * 255).astype(np.uint8), (rng.random((37, 52)) * 255).astype(np.uint8)]
    source = DegradedSource(images, {}, scales=[2, 3], patch=11)
    lr, hr = (t.numpy()[..., 0] for t in next(iter(source.dataset(12, seed=3))))
    hrs = [{s: modcrop(y.astype(np.float32) / 255.0, s) for s in (2, 3)} for y in images]
    dy, dx = dihedral_offsets(11)
    for b in range(12):
        i, s, v, y, x = _find(hrs, 11, hr[b])
        hr64 = modcrop(images[i].astype(np.float64) / 255.0, s)
        up = imresize(np.round(imresize(hr64, 1 / s) * 255) / 255, s)  # the LR saved as uint8, then MATLAB's upscale
        np.testing.assert_allclose(lr[b], up[y + dy[v], x + dx[v]], atol=2e-6)


def test_degraded_batches_are_deterministic_resumable_and_degraded():
    from drrn_tf.training.degrade import DegradedSource

    rng = np.random.default_rng(1)
    smooth = [imresize(rng.random((9, 8)), size=(70, 64)) for _ in range(2)]  # detail a shrink keeps
    images = [np.clip(60 + 140 * y, 0, 255).astype(np.uint8) for y in smooth]
    clean = DegradedSource(images, {}, scales=[2, 3, 4], patch=21)
    source = DegradedSource(images, FULL, scales=[2, 3, 4], patch=21)
    first = [b for _, b in zip(range(3), source.dataset(16, seed=5))]
    again = [b for _, b in zip(range(2), source.dataset(16, seed=5, start_step=1))]
    np.testing.assert_array_equal(first[1][0], again[0][0])
    np.testing.assert_array_equal(first[2][1], again[1][1])
    (lr_c, hr_c), (lr_d, hr_d) = next(iter(clean.dataset(16, seed=5))), first[0]
    assert lr_d.shape == (16, 21, 21, 1) and hr_d.dtype.name == "float32"
    # same positions need not be drawn, but the degraded inputs are further from HR than clean ones
    err_clean, err_degraded = float(np.abs(lr_c - hr_c).mean()), float(np.abs(lr_d - hr_d).mean())
    assert err_degraded > err_clean * 1.5


def test_training_jpeg_matches_the_protocol():
    import tensorflow as tf

    from drrn_tf.training.degrade import _apply

    x = np.round(np.random.default_rng(4).random((20, 20)) * 150 + 50)
    for quality in (30, 75, 95):
        tf_out = _apply("jpeg", tf.constant(x, tf.float32), tf.constant(float(quality)), tf.constant([0, 0], tf.int64)).numpy()
        ref = degrade_luminance(x / 255.0, (("jpeg", quality),), np.random.default_rng(0)) * 255.0
        np.testing.assert_array_equal(tf_out, ref)  # libjpeg in both, the accurate integer DCT


def test_drrn_eval_degrade(tmp_path, data_dir, capsys):
    from drrn_tf.cli import main

    set5 = str(data_dir / "Set5")
    assert main(["eval", "--model", "bicubic", "--data", set5, "--scales", "2", "-o", str(tmp_path / "c.json")]) == 0
    assert main(["eval", "--model", "bicubic", "--data", set5, "--scales", "2", "--degrade", "jpeg:75", "-o", str(tmp_path / "d.json")]) == 0
    assert "LR degraded: jpeg:75" in capsys.readouterr().out
    doc, ref = (json.loads((tmp_path / f).read_text()) for f in ("d.json", "c.json"))
    assert doc["degrade"] == "jpeg:75" and ref["degrade"] == "clean"
    assert doc["results"][0]["psnr"] < ref["results"][0]["psnr"] - 1.0  # quality 75 costs bicubic over a dB on Set5 x2
    assert main(["eval", "--model", "bicubic", "--data", set5, "--degrade", "jpeg:0", "-o", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "jpeg must be an integer from 1 to 100" in err and not (tmp_path / "x.json").exists()
