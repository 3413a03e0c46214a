"""MATLAB-compatible image operations in plain numpy (no TensorFlow).

These reproduce what the paper's MATLAB test scripts do, so that every PSNR this
package prints can stand beside the paper's table:

* ``imresize`` -- MATLAB's ``imresize(..., 'bicubic')``: cubic kernel with
  a = -0.5, antialiased when shrinking, mirror ("symmetric") borders, output size
  ``ceil(scale * size)``, the dimension with the smaller scale resized first.
* ``rgb2ycbcr`` / ``ycbcr2rgb`` -- BT.601 with Y in [16, 235] (MATLAB's
  ``rgb2ycbcr``), for float images in [0, 1] or uint8 images in [0, 255].
* ``modcrop`` and ``shave`` -- the crops of the evaluation protocol.
"""

from __future__ import annotations

import math

import numpy as np

from drrn_tf.constants import SCALES
from drrn_tf.inference.tiling import symmetric_index

__all__ = [
    "SCALES",
    "KERNELS",
    "imresize",
    "resize_plan",
    "bicubic_taps",
    "apply_taps",
    "rgb2ycbcr",
    "ycbcr2rgb",
    "modcrop",
    "shave",
    "im2uint8",
    "matlab_round",
]


# MATLAB's rgb2ycbcr matrix and offset for values in [0, 1].
_YCBCR_MATRIX = (
    np.array(
        [
            [65.481, 128.553, 24.966],
            [-37.797, -74.203, 112.0],
            [112.0, -93.786, -18.214],
        ]
    )
    / 255.0
)
_YCBCR_OFFSET = np.array([16.0, 128.0, 128.0]) / 255.0


def _cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.5 (MATLAB's ``cubic``)."""
    ax = np.abs(x)
    ax2 = ax * ax
    ax3 = ax2 * ax
    near = (1.5 * ax3 - 2.5 * ax2 + 1.0) * (ax <= 1)
    far = (-0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0) * ((ax > 1) & (ax <= 2))
    return near + far


def _triangle(x: np.ndarray) -> np.ndarray:
    """MATLAB's ``triangle`` (bilinear)."""
    return np.maximum(0.0, 1.0 - np.abs(x))


def _box(x: np.ndarray) -> np.ndarray:
    """MATLAB's ``box`` (area averaging when shrinking by an integer factor)."""
    return ((x >= -0.5) & (x < 0.5)).astype(np.float64)


def _lanczos3(x: np.ndarray) -> np.ndarray:
    """MATLAB's ``lanczos3``."""
    eps = np.finfo(np.float64).eps
    return (np.sin(np.pi * x) * np.sin(np.pi * x / 3) + eps) / (np.pi**2 * x * x / 3 + eps) * (np.abs(x) < 3)


# imresize's methods: kernel and its width, as MATLAB's imresize names them.
KERNELS = {"bicubic": (_cubic, 4.0), "bilinear": (_triangle, 2.0), "box": (_box, 1.0), "lanczos3": (_lanczos3, 6.0)}


def bicubic_taps(in_len: int, out_len: int, scale: float, start: int = 0, stop: int | None = None, method: str = "bicubic") -> tuple[np.ndarray, np.ndarray]:
    """Weights (n, taps) and source indices (n, taps) along one axis, for output samples
    ``start:stop`` (default: all ``out_len``); any range gives the rows of the whole table.

    Follows MATLAB's ``contributions``: when shrinking, the kernel is stretched by
    1/scale (antialiasing); out-of-range indices are mirrored (symmetric padding).
    ``method`` is one of ``KERNELS`` (bicubic unless told).
    """
    stop = out_len if stop is None else stop
    base, kernel_width = KERNELS[method]
    if scale < 1:
        kernel = lambda x: scale * base(scale * x)  # noqa: E731
        kernel_width = kernel_width / scale
    else:
        kernel = base
    x = np.arange(start + 1, stop + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1.0 - 1.0 / scale)
    left = np.floor(u - kernel_width / 2.0)
    taps = int(math.ceil(kernel_width)) + 2
    indices = left[:, None] + np.arange(taps, dtype=np.float64)[None, :]
    weights = kernel(u[:, None] - indices)
    weights = weights / weights.sum(axis=1, keepdims=True)
    # Mirror: 1..n, n..1, repeated (MATLAB indexing is 1-based).
    indices = symmetric_index(indices.astype(np.int64) - 1, in_len)
    # Drop taps whose weight is zero for every output sample (MATLAB's "kill"; a zero weight adds
    # nothing, so a range may keep a tap the whole table drops and still give the same numbers).
    keep = np.any(weights != 0, axis=0)
    return weights[:, keep], indices[:, keep]


def apply_taps(img: np.ndarray, axis: int, weights: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Resample ``img`` along ``axis``: output sample i = sum over taps t of weights[i, t] * img[indices[i, t]].

    Any subset of the rows of ``bicubic_taps`` (with indices shifted into a crop that holds
    them) gives exactly the numbers of the whole resize for those samples: the streaming
    upscaler (``drrn_tf.inference.stream``) relies on it.
    """
    img = np.asarray(img, dtype=np.float64)
    axis = axis % img.ndim
    shape = list(img.shape)
    shape[axis] = len(weights)
    out = np.zeros(shape, dtype=np.float64)
    w_shape = [1] * img.ndim
    w_shape[axis] = len(weights)
    tap = np.empty(shape, dtype=np.float64)
    # take() along the axis of the contiguous array: the gathered samples stay in memory order
    # (gathering from a moved-axis view walks the array with a large stride, several times slower).
    for t in range(weights.shape[1]):
        np.take(img, indices[:, t], axis=axis, out=tap)
        tap *= weights[:, t].reshape(w_shape)
        out += tap
    return out


def _resize_axis(img: np.ndarray, axis: int, out_len: int, scale: float, method: str) -> np.ndarray:
    return apply_taps(img, axis, *bicubic_taps(img.shape[axis], out_len, scale, method=method))


def resize_plan(shape: tuple[int, int], scale: float | None, size: tuple[int, int] | None):
    """((out_h, out_w), (scale_h, scale_w)) of a resize by ``scale`` or to ``size``, as MATLAB's imresize plans it."""
    if size is not None:
        out = (int(size[0]), int(size[1]))
        if min(out) < 1:
            raise ValueError(f"imresize: output size must be positive, got {out}")
        scales = (out[0] / shape[0], out[1] / shape[1])
        return out, scales
    if scale is None or scale <= 0:
        raise ValueError(f"imresize: scale must be positive, got {scale}")
    # MATLAB: ceil(scale * input size); the kernel uses the scale as given.
    out = tuple(int(math.ceil(scale * n)) for n in shape)
    return out, (float(scale), float(scale))


def imresize(img: np.ndarray, scale: float | None = None, size: tuple[int, int] | None = None, method: str = "bicubic") -> np.ndarray:
    """Resize exactly as MATLAB's ``imresize(img, scale)`` / ``imresize(img, [h w])`` (bicubic, or
    another of ``KERNELS`` as ``imresize(img, scale, method)``).

    ``img`` is (H, W) or (H, W, C). Float input gives float output of the same dtype,
    computed in float64 with no clipping or rounding (as MATLAB does for doubles).
    Integer input is resized as float and rounded/clipped back to its dtype.
    """
    arr = np.asarray(img)
    if arr.ndim not in (2, 3) or min(arr.shape[:2]) < 1:
        raise ValueError(f"imresize: expected an (H, W) or (H, W, C) image, got shape {arr.shape}")
    (out_h, out_w), (sh, sw) = resize_plan(arr.shape[:2], scale, size)
    work = arr.astype(np.float64, copy=False)
    # MATLAB resizes the dimension with the smallest scale first (stable for ties).
    order = (0, 1) if sh <= sw else (1, 0)
    targets = {0: (out_h, sh), 1: (out_w, sw)}
    for axis in order:
        out_len, s = targets[axis]
        work = _resize_axis(work, axis, out_len, s, method)
    if np.issubdtype(arr.dtype, np.floating):
        return work.astype(arr.dtype, copy=False)
    info = np.iinfo(arr.dtype)
    return np.clip(matlab_round(work), info.min, info.max).astype(arr.dtype)


def matlab_round(x: np.ndarray) -> np.ndarray:
    """Round half away from zero, as MATLAB's ``round`` and its integer casts do."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _as_unit_float(img: np.ndarray) -> tuple[np.ndarray, bool]:
    arr = np.asarray(img)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) image, got shape {arr.shape}")
    if arr.dtype == np.uint8:
        return arr.astype(np.float64) / 255.0, True
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(f"expected uint8 or float image, got {arr.dtype}")
    return arr.astype(np.float64, copy=False), False


def _from_unit_float(out: np.ndarray, was_uint8: bool, dtype) -> np.ndarray:
    if was_uint8:
        return np.clip(matlab_round(out * 255.0), 0, 255).astype(np.uint8)
    return out.astype(dtype, copy=False)


def rgb2ycbcr(img: np.ndarray) -> np.ndarray:
    """MATLAB ``rgb2ycbcr``: BT.601, Y in [16, 235], Cb/Cr in [16, 240] (/255 for floats).

    uint8 in -> uint8 out (rounded, as MATLAB); float in [0, 1] -> float out.
    """
    x, was_uint8 = _as_unit_float(img)
    out = x @ _YCBCR_MATRIX.T + _YCBCR_OFFSET
    return _from_unit_float(out, was_uint8, np.asarray(img).dtype)


def ycbcr2rgb(img: np.ndarray) -> np.ndarray:
    """Inverse of ``rgb2ycbcr`` (MATLAB ``ycbcr2rgb``); floats are not clipped."""
    x, was_uint8 = _as_unit_float(img)
    out = (x - _YCBCR_OFFSET) @ np.linalg.inv(_YCBCR_MATRIX).T
    return _from_unit_float(out, was_uint8, np.asarray(img).dtype)


def modcrop(img: np.ndarray, scale: int) -> np.ndarray:
    """Crop height and width down to multiples of ``scale`` (keeps the top-left)."""
    if not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(f"modcrop: scale must be an integer >= 1, got {scale!r}")
    h, w = img.shape[:2]
    return img[: h - h % scale, : w - w % scale]


def shave(img: np.ndarray, border: int) -> np.ndarray:
    """Remove ``border`` pixels from every side."""
    if border == 0:
        return img
    return img[border:-border, border:-border]


def im2uint8(img: np.ndarray) -> np.ndarray:
    """MATLAB ``im2uint8``: uint8 passes through; uint16 -> round(x / 257); float in [0, 1] ->
    round(x * 255); clipped to 0..255 (MATLAB's rounding, halves away from zero)."""
    a = np.asarray(img)
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.uint16:
        return np.clip(matlab_round(a / 257.0), 0, 255).astype(np.uint8)
    if a.dtype.kind != "f":
        raise TypeError(f"im2uint8 takes uint8, uint16 or float images, got {a.dtype}")
    return np.clip(matlab_round(a.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
