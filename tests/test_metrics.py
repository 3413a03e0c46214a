import numpy as np
import pytest
from skimage.metrics import structural_similarity

from drrn_tf.protocol.metrics import psnr, ssim


def test_psnr_known_values():
    a = np.zeros((8, 8), np.uint8)
    b = np.ones((8, 8), np.uint8)
    assert psnr(a, b) == pytest.approx(20 * np.log10(255.0))
    c = np.full((8, 8), 10, np.uint8)
    assert psnr(a, c) == pytest.approx(20 * np.log10(25.5))
    assert psnr(a, a) == float("inf")
    with pytest.raises(ValueError):
        psnr(a, np.zeros((4, 4)))


def test_ssim_matches_independent_implementation(rng):
    a = rng.integers(0, 256, (64, 80)).astype(np.uint8)
    noise = rng.normal(0, 20, a.shape)
    b = np.clip(a + noise, 0, 255).astype(np.uint8)
    ours = ssim(a, b)
    # scikit-image with Wang et al.'s settings; its mean over the cropped map equals the valid region.
    ref = structural_similarity(
        a.astype(np.float64),
        b.astype(np.float64),
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=255,
    )
    assert ours == pytest.approx(ref, abs=1e-10)
    assert ssim(a, a) == pytest.approx(1.0)
    assert 0 < ours < 1


def test_ssim_rejects_bad_shapes():
    with pytest.raises(ValueError):
        ssim(np.zeros((5, 5)), np.zeros((5, 5)))
    with pytest.raises(ValueError):
        ssim(np.zeros((20, 20, 3)), np.zeros((20, 20, 3)))
