"""IFC (drrn_tf.protocol.ifc) against an independent loop-based computation and pyrtools, and `drrn eval --metrics`."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import skimage

from drrn_tf.cli import main
from drrn_tf.io.images import write_image
from drrn_tf.protocol.ifc import IFC_MIN_SIDE, ifc, steerable_subbands
from drrn_tf.protocol.matlab import imresize

pyrtools = pytest.importorskip("pyrtools", reason="pyrtools (the test extra) ports matlabPyrTools, the reference's pyramid")


def _camera(h: int, w: int) -> np.ndarray:
    return skimage.data.camera()[100 : 100 + h, 150 : 150 + w].astype(np.float64)


def _blurred_noisy(x: np.ndarray, sigma: float = 3.0) -> np.ndarray:
    """An SR-like distortion: bicubic down and up by 2, plus Gaussian noise."""
    h, w = x.shape
    up = imresize(imresize(x / 255.0, 0.5), size=(h, w)) * 255.0
    return np.clip(up + np.random.default_rng(0).normal(0.0, sigma, x.shape), 0, 255)


def _reflect1(i: int, n: int) -> int:
    while i < 0 or i >= n:
        i = -i if i < 0 else 2 * (n - 1) - i
    return i


def _loop_ifc(reference: np.ndarray, distorted: np.ndarray) -> float:
    """IFC written from the paper's model and the reference's parameters (M = 3, subbands of
    orientations 1 and 4 at 4 levels, windows 17/9/5/3), one block at a time, on pyrtools' pyramid."""
    m, tol = 3, 1e-15

    def bands(x):
        return pyrtools.pyramids.SteerablePyramidSpace(x, height=4, order=5, edge_type="reflect1").pyr_coeffs

    ref_bands, dist_bands = bands(reference), bands(distorted)
    total = 0.0
    for level in range(4):
        for orientation in (0, 3):
            y, yn = ref_bands[(level, orientation)], dist_bands[(level, orientation)]
            h, w = y.shape[0] // m * m, y.shape[1] // m * m
            y, yn = y[:h, :w], yn[:h, :w]
            vectors = np.array([y[r : r + m, c : c + m].ravel(order="F") for r in range(h - m + 1) for c in range(w - m + 1)])
            centred = vectors - vectors.mean(axis=0)
            cov = centred.T @ centred / len(vectors)
            eigenvalues, inverse = np.linalg.eigvalsh(cov), np.linalg.inv(cov)
            window = 2 ** (4 - level) + 1
            half, n = window // 2, window * window
            border = math.ceil(half / m)
            for br in range(border, h // m - border):
                for bc in range(border, w // m - border):
                    x = y[br * m : br * m + m, bc * m : bc * m + m].ravel(order="F")
                    s = x @ inverse @ x / (m * m)
                    rows = [_reflect1(br * m + 1 + k, h) for k in range(-half, half + 1)]
                    cols = [_reflect1(bc * m + 1 + k, w) for k in range(-half, half + 1)]
                    a, b = y[np.ix_(rows, cols)], yn[np.ix_(rows, cols)]
                    sxy = float(((a - a.mean()) * (b - b.mean())).sum())
                    sxx = float(((a - a.mean()) ** 2).sum())
                    syy = float(((b - b.mean()) ** 2).sum())
                    g, v = sxy / (sxx + tol), (syy - sxy * sxy / (sxx + tol)) / n
                    if sxx < tol:
                        g, v = 0.0, syy
                    if syy < tol:
                        g, v = 0.0, 0.0
                    if g < 0:
                        g, v = 0.0, syy
                    v = max(v, tol)
                    total += sum(math.log2(1.0 + g * g * s * lam / (v + 1e-10)) for lam in eigenvalues)
    return total / reference.size


def test_pyramid_matches_pyrtools():
    x = _camera(90, 101)
    ours = steerable_subbands(x)
    theirs = pyrtools.pyramids.SteerablePyramidSpace(x, height=4, order=5, edge_type="reflect1").pyr_coeffs
    assert sorted(ours) == [(level, o) for level in range(4) for o in (0, 3)]
    for key, band in ours.items():
        np.testing.assert_allclose(band, theirs[key], rtol=0, atol=1e-9, err_msg=str(key))


def test_ifc_matches_a_loop_based_computation():
    x = _camera(96, 105)
    y = _blurred_noisy(x)
    expected = _loop_ifc(x, y)
    print(f"IFC of a blurred, noisy 105x96 crop: {ifc(x, y):.6f} (loop-based {expected:.6f})")
    assert ifc(x, y) == pytest.approx(expected, rel=1e-6)
    assert ifc(y, x) != pytest.approx(ifc(x, y), rel=1e-3)  # not symmetric: the first image is the reference


def test_ifc_of_an_image_with_itself_is_the_reference_value():
    """With no distortion the reference's channel estimate is g = 1 and a noise variance at its floor
    (1e-15, then + 1e-10 in the log): a large finite value, not infinity."""
    x = _camera(96, 105)
    same = ifc(x, x)
    assert math.isfinite(same) and same == pytest.approx(_loop_ifc(x, x), rel=1e-3)
    assert same > 5 * ifc(x, _blurred_noisy(x, sigma=0.5))


def test_ifc_falls_as_noise_grows():
    x = skimage.data.camera()[:192, :192].astype(np.float64)
    rng = np.random.default_rng(1)
    noise = rng.normal(0.0, 1.0, x.shape)
    scores = [ifc(x, x + sigma * noise) for sigma in (1, 2, 4, 8, 16, 32)]
    print("IFC at noise sigma 1..32:", [round(s, 3) for s in scores])
    assert all(a > b for a, b in zip(scores, scores[1:]))


def test_ifc_refuses_what_it_cannot_score():
    with pytest.raises(ValueError, match=f"at least {IFC_MIN_SIDE}x{IFC_MIN_SIDE}"):
        ifc(_camera(IFC_MIN_SIDE - 1, 100), _camera(IFC_MIN_SIDE - 1, 100))
    flat = np.full((80, 80), 128.0)
    with pytest.raises(ValueError, match="flat"):
        ifc(flat, flat)
    with pytest.raises(ValueError, match="equal shape"):
        ifc(_camera(80, 80), _camera(80, 81))


def test_eval_metrics_flag(tmp_path, capsys):
    folder = tmp_path / "set"
    folder.mkdir()
    rgb = skimage.data.astronaut()[:100, :110]
    write_image(folder / "a.png", rgb)
    out = tmp_path / "r.json"
    assert main(["eval", "--model", "bicubic", "--data", str(folder), "--scales", "2", "--metrics", "psnr", "ifc", "-o", str(out)]) == 0
    assert "| dataset | scale | PSNR (dB) | IFC | images |" in capsys.readouterr().out
    (row,) = json.loads(out.read_text())["results"]
    assert set(row) == {"dataset", "scale", "psnr", "ifc", "images"} and row["ifc"] > 0
    write_image(folder / "b.png", rgb[:60])  # 60 rows: scored by SSIM, too small for IFC's pyramid
    assert main(["eval", "--model", "bicubic", "--data", str(folder), "--scales", "2", "--metrics", "ifc"]) == 2
    err = capsys.readouterr().err
    assert "b.png" in err and "too small" in err, err
    assert main(["eval", "--model", "bicubic", "--data", str(folder), "--metrics", "vif"]) == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.slow
def test_default_model_has_a_higher_ifc_than_bicubic_on_set5(data_dir):
    from drrn_tf.io.datasets import resolve_dataset
    from drrn_tf.nn.loading import load_engine
    from drrn_tf.nn.predict import predict_y
    from drrn_tf.protocol.evaluation import evaluate

    sets = [resolve_dataset(str(data_dir / "Set5"))]
    (bicubic,) = evaluate(None, sets, [3], metrics=["ifc"])
    engine = load_engine()  # the default model
    (model,) = evaluate(lambda y: predict_y(engine, y), sets, [3], metrics=["ifc"])
    print(f"Set5 x3 IFC: bicubic {bicubic.scores['ifc']:.3f}, {engine.name} {model.scores['ifc']:.3f}")
    assert model.scores["ifc"] > bicubic.scores["ifc"] + 0.3
