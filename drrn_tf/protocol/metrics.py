"""PSNR and SSIM with the semantics of the paper's MATLAB evaluation (plain numpy).

Both take two images of equal shape holding values on the 0..255 scale (uint8, or
floats that were already rounded the protocol's way); cropping (``shave``) is the
caller's job, see ``drrn_tf.protocol.evaluation``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["psnr", "ssim", "SSIM_WINDOW"]


def _pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    return a, b


def psnr(a: np.ndarray, b: np.ndarray, peak: float = 255.0) -> float:
    """20 * log10(peak / RMSE); ``inf`` for identical images."""
    a, b = _pair(a, b)
    mse = float(np.mean((a - b) ** 2))
    if mse == 0.0:
        return float("inf")
    return float(20.0 * np.log10(peak / np.sqrt(mse)))


SSIM_WINDOW = 11  # side of Wang et al.'s Gaussian window: the smallest image ssim can score


def _gaussian_window(size: int = SSIM_WINDOW, sigma: float = 1.5) -> np.ndarray:
    """1-D factor of MATLAB ``fspecial('gaussian', size, sigma)`` (it is separable)."""
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-(x * x) / (2.0 * sigma * sigma))
    return g / g.sum()


def _filter_valid(img: np.ndarray, g: np.ndarray) -> np.ndarray:
    """``filter2(outer(g, g), img, 'valid')`` done separably."""
    n = g.size
    h, w = img.shape
    rows = sum(g[k] * img[k : h - n + 1 + k, :] for k in range(n))
    return sum(g[k] * rows[:, k : w - n + 1 + k] for k in range(n))


def ssim(a: np.ndarray, b: np.ndarray, peak: float = 255.0, k1: float = 0.01, k2: float = 0.03) -> float:
    """Mean SSIM of Wang et al. (2004): 11x11 Gaussian window, sigma 1.5, valid region only.

    Grayscale (H, W) images only, as in the paper's Y-channel protocol.
    """
    a, b = _pair(a, b)
    if a.ndim != 2:
        raise ValueError(f"ssim expects a 2-D (grayscale) image, got shape {a.shape}")
    if min(a.shape) < SSIM_WINDOW:
        raise ValueError(f"ssim needs images of at least {SSIM_WINDOW}x{SSIM_WINDOW} pixels, got {a.shape}")
    g = _gaussian_window()
    c1 = (k1 * peak) ** 2
    c2 = (k2 * peak) ** 2
    mu_a = _filter_valid(a, g)
    mu_b = _filter_valid(b, g)
    var_a = _filter_valid(a * a, g) - mu_a * mu_a
    var_b = _filter_valid(b * b, g) - mu_b * mu_b
    cov = _filter_valid(a * b, g) - mu_a * mu_b
    num = (2.0 * mu_a * mu_b + c1) * (2.0 * cov + c2)
    den = (mu_a * mu_a + mu_b * mu_b + c1) * (var_a + var_b + c2)
    return float(np.mean(num / den))
