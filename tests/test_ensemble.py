"""The x8 self-ensemble: tiled and streamed, it equals the average of eight whole-image runs."""

import json

import numpy as np
import pytest
from conftest import tiny_drrn
from PIL import Image

from drrn_tf.cli import main
from drrn_tf.errors import InputValueError
from drrn_tf.inference.engines import RgbEngine
from drrn_tf.inference.ensemble import dihedral, self_ensemble, undo_dihedral
from drrn_tf.io.images import read_image
from drrn_tf.nn.predict import model_engine, predict_y
from drrn_tf.upscale.image import upscale_pixels


@pytest.fixture(scope="module")
def model():
    return tiny_drrn(units=2, filters=8, seed=3)


@pytest.fixture
def y():
    yy, xx = np.mgrid[0:37, 0:52] / 37.0
    return (0.5 + 0.3 * np.sin(7 * xx + 2 * yy) * np.cos(5 * yy)).astype(np.float32)


def test_the_eight_variants_are_distinct_and_undone(y):
    variants = [dihedral(y, k) for k in range(8)]
    assert len({v.tobytes() + bytes(v.shape) for v in variants}) == 8
    for k, v in enumerate(variants):
        np.testing.assert_array_equal(undo_dihedral(v, k), y)


def test_tiled_ensemble_equals_eight_whole_image_runs(model, y):
    whole = [undo_dihedral(predict_y(model, dihedral(y, k), window=256), k) for k in range(8)]
    expected = np.mean(whole, axis=0)
    engine = self_ensemble(model_engine(model))
    got = predict_y(engine, y, window=engine.halo * 2 + 8)  # many small tiles
    np.testing.assert_allclose(got, expected, atol=2e-6)
    single = predict_y(model, y, window=256)
    assert np.abs(single - expected).max() > 1e-3  # a random network is not symmetric: the average differs from one run


def test_ensemble_names_itself_and_is_not_applied_twice(model):
    engine = self_ensemble(model_engine(model))
    assert engine.name == "tiny+" and "x8 self-ensemble" in engine.why
    assert self_ensemble(engine) is engine


def test_what_cannot_be_turned_is_refused(model):
    with pytest.raises(InputValueError, match="bicubic"):
        self_ensemble(None)
    with pytest.raises(InputValueError, match="end-to-end"):
        self_ensemble(RgbEngine("e2e", lambda x: x, (32, 32), 2, 4))
    with pytest.raises(InputValueError, match="fixed to 48x64"):
        self_ensemble(model_engine(model)._replace(fixed=(48, 64)))
    with pytest.raises(TypeError, match="takes an engine"):
        self_ensemble(model)


def test_upscale_pixels_ensemble_runs_the_ensembled_network(model, y):
    got = upscale_pixels(model, y, 2, runtime="keras", ensemble=True, window=40)
    np.testing.assert_array_equal(got, upscale_pixels(self_ensemble(model_engine(model)), y, 2, window=40))
    plain = upscale_pixels(model, y, 2, runtime="keras", window=40)
    assert got.shape == plain.shape == (74, 104) and np.abs(got - plain).max() > 1e-3


def test_cli_upscale_and_eval_take_ensemble(tmp_path, model, capsys):
    model.save(tmp_path / "tiny.keras")
    yy, xx = np.mgrid[0:30, 0:41] / 30.0
    base = (0.5 + 0.3 * np.sin(6 * xx) * np.cos(4 * yy)) * 255
    Image.fromarray(np.dstack([base, base * 0.8, 255 - base]).astype(np.uint8)).save(tmp_path / "p.png")
    args = ["upscale", str(tmp_path / "p.png"), "-s", "2", "--model", str(tmp_path / "tiny.keras"), "--runtime", "keras", "--ensemble"]
    assert main([*args, "-o", str(tmp_path / "tiled.png"), "--tile", "48"]) == 0
    err = capsys.readouterr().err
    assert "x8 self-ensemble" in err
    whole = upscale_pixels(self_ensemble(model_engine(model)), read_image(tmp_path / "p.png").pixels, 2, window=512)
    np.testing.assert_array_equal(read_image(tmp_path / "tiled.png").pixels, whole)
    assert main(["upscale", str(tmp_path / "p.png"), "-s", "2", "--model", "bicubic", "--ensemble", "-o", str(tmp_path / "b.png")]) == 2
    assert "bicubic has no network" in capsys.readouterr().err and not (tmp_path / "b.png").exists()
    (tmp_path / "set").mkdir()
    (tmp_path / "p.png").rename(tmp_path / "set" / "p.png")
    out = tmp_path / "e.json"
    assert main(["eval", "--model", str(tmp_path / "tiny.keras"), "--data", str(tmp_path / "set"), "--scales", "2", "--ensemble", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["model"] == "tiny+" and doc["ensemble"] is True
