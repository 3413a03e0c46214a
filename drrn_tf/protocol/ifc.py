"""IFC, the information fidelity criterion of Sheikh, Bovik & de Veciana (2005), computed as the
reference implementation ``ifcvec.m`` (LIVE, UT Austin; the one the DRRN authors' test code calls).

The algorithm, as the reference runs it (plain numpy + scipy.ndimage):

1. A 4-level steerable pyramid of each image with Simoncelli's six-orientation ``sp5`` filters and
   ``reflect1`` edges (mirror about the edge pixel, matlabPyrTools' ``buildSpyr``). Eight subbands
   enter: orientations 1 and 4 (0 and 90 degrees) at every level.
2. Per subband, cropped to a multiple of the block size M = 3: the reference's coefficients are a
   Gaussian scale mixture of M x M vectors -- their covariance C over all (overlapping) blocks, its
   eigenvalues, and for every non-overlapping block x the scale s = x' C^-1 x / M^2.
3. The distortion channel d = g r + v per non-overlapping block, by least squares over a window
   centred on the block (side 2^k + 1 with k = 4 at the finest level down to 1 at the coarsest;
   ``reflect1`` edges): gain g >= 0 and noise variance v.
4. IFC = sum over subbands, blocks away from the border, and eigenvalues l of
   log2(1 + g^2 s l / (v + 1e-10)), divided by the image's pixel count.

The filter taps are those of matlabPyrTools' ``sp5Filters.m`` (Karasaridis & Simoncelli 1996);
``tests/test_ifc.py`` checks this pyramid against ``pyrtools``, that toolbox's Python port.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ifc", "IFC_MIN_SIDE"]

BLOCK = 3  # M: the GSM vectors are M x M blocks of a subband
LEVELS = 4
ORIENTATIONS = (0, 3)  # of the six: 0 and 90 degrees
_TOL = 1e-15  # the reference's tolerance for a zero variance
_NOISE_FLOOR = 1e-10  # added to the noise variance in the log

_LO0 = np.array(
    [
        [0.00341614, -0.01551246, -0.03848215, -0.01551246, 0.00341614],
        [-0.01551246, 0.05586982, 0.15925570, 0.05586982, -0.01551246],
        [-0.03848215, 0.15925570, 0.40304148, 0.15925570, -0.03848215],
        [-0.01551246, 0.05586982, 0.15925570, 0.05586982, -0.01551246],
        [0.00341614, -0.01551246, -0.03848215, -0.01551246, 0.00341614],
    ]
)
_LO = 2.0 * np.array(
    [
        [0.00085404, -0.00244917, -0.00387812, -0.00944432, -0.00962054, -0.00944432, -0.00387812, -0.00244917, 0.00085404],
        [-0.00244917, -0.00523281, -0.00661117, 0.00410600, 0.01002988, 0.00410600, -0.00661117, -0.00523281, -0.00244917],
        [-0.00387812, -0.00661117, 0.01396746, 0.03277038, 0.03981393, 0.03277038, 0.01396746, -0.00661117, -0.00387812],
        [-0.00944432, 0.00410600, 0.03277038, 0.06426333, 0.08169618, 0.06426333, 0.03277038, 0.00410600, -0.00944432],
        [-0.00962054, 0.01002988, 0.03981393, 0.08169618, 0.10096540, 0.08169618, 0.03981393, 0.01002988, -0.00962054],
        [-0.00944432, 0.00410600, 0.03277038, 0.06426333, 0.08169618, 0.06426333, 0.03277038, 0.00410600, -0.00944432],
        [-0.00387812, -0.00661117, 0.01396746, 0.03277038, 0.03981393, 0.03277038, 0.01396746, -0.00661117, -0.00387812],
        [-0.00244917, -0.00523281, -0.00661117, 0.00410600, 0.01002988, 0.00410600, -0.00661117, -0.00523281, -0.00244917],
        [0.00085404, -0.00244917, -0.00387812, -0.00944432, -0.00962054, -0.00944432, -0.00387812, -0.00244917, 0.00085404],
    ]
)
_BAND = {  # oriented band-pass filters (as correlation kernels, rows x columns)
    0: np.array(
        [
            [0.00277643, -0.00986904, -0.01021852, 0.0, 0.01021852, 0.00986904, -0.00277643],
            [0.00496194, -0.00893064, -0.03075356, 0.0, 0.03075356, 0.00893064, -0.00496194],
            [0.01026699, 0.01189859, -0.08226445, 0.0, 0.08226445, -0.01189859, -0.01026699],
            [0.01455399, 0.02755155, -0.11732297, 0.0, 0.11732297, -0.02755155, -0.01455399],
            [0.01026699, 0.01189859, -0.08226445, 0.0, 0.08226445, -0.01189859, -0.01026699],
            [0.00496194, -0.00893064, -0.03075356, 0.0, 0.03075356, 0.00893064, -0.00496194],
            [0.00277643, -0.00986904, -0.01021852, 0.0, 0.01021852, 0.00986904, -0.00277643],
        ]
    )
}
_BAND[3] = -_BAND[0].T  # the 90-degree filter of sp5 is the 0-degree one turned

# matlabPyrTools refuses a pyramid level whose input is smaller than the 9x9 low-pass filter.
IFC_MIN_SIDE = _LO.shape[0] * 2 ** (LEVELS - 1)


def _correlate(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """matlabPyrTools ``corrDn(image, kernel, 'reflect1')``: correlation, mirror about the edge pixel."""
    from scipy.ndimage import correlate

    return correlate(image, kernel, mode="mirror")


def steerable_subbands(image: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
    """The pyramid's subbands that IFC uses: ``{(level, orientation): coefficients}``, level 0 finest."""
    if min(image.shape) < IFC_MIN_SIDE:
        raise ValueError(f"IFC needs an image of at least {IFC_MIN_SIDE}x{IFC_MIN_SIDE} pixels, got {image.shape[1]}x{image.shape[0]}")
    low = _correlate(np.asarray(image, dtype=np.float64), _LO0)
    bands = {}
    for level in range(LEVELS):
        for o in ORIENTATIONS:
            bands[(level, o)] = _correlate(low, _BAND[o])
        low = _correlate(low, _LO)[::2, ::2]
    return bands


def _blocks(y: np.ndarray, step: int) -> np.ndarray:
    """(M*M, n) vectors of the M x M blocks of ``y`` whose corners lie ``step`` apart."""
    m = BLOCK
    h, w = y.shape
    return np.stack([y[k : h - m + 1 + k : step, j : w - m + 1 + j : step].ravel() for j in range(m) for k in range(m)])


def _source_model(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(eigenvalues of the block covariance, scale field s per non-overlapping block)."""
    every = _blocks(y, 1)
    centred = every - every.mean(axis=1, keepdims=True)
    cov = centred @ centred.T / every.shape[1]
    tiles = _blocks(y, BLOCK)
    try:
        s = np.einsum("in,in->n", np.linalg.solve(cov, tiles), tiles) / BLOCK**2
    except np.linalg.LinAlgError:
        raise ValueError("IFC is undefined for this reference: a subband of its pyramid is flat") from None
    return np.linalg.eigvalsh(cov), s.reshape(y.shape[0] // BLOCK, y.shape[1] // BLOCK)


def _channel(y: np.ndarray, yn: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(gain g, noise variance v) of the distortion channel at each non-overlapping block's centre."""
    ones = np.ones((window, window))
    n = window * window
    centre = slice(BLOCK // 2, None, BLOCK)

    def sums(a):
        return _correlate(a, ones)[centre, centre]

    mean_x, mean_y = sums(y) / n, sums(yn) / n
    cov_xy = sums(y * yn) - n * mean_x * mean_y
    var_x = np.maximum(sums(y * y) - n * mean_x**2, 0.0)
    var_y = np.maximum(sums(yn * yn) - n * mean_y**2, 0.0)
    g = cov_xy / (var_x + _TOL)
    v = (var_y - g * cov_xy) / n
    flat_x, flat_y = var_x < _TOL, var_y < _TOL
    g[flat_x] = 0.0
    v[flat_x] = var_y[flat_x]
    g[flat_y] = 0.0
    v[flat_y] = 0.0
    negative = g < 0
    v[negative] = var_y[negative]
    g[negative] = 0.0
    v[v <= _TOL] = _TOL
    return g, v


def ifc(reference: np.ndarray, distorted: np.ndarray) -> float:
    """IFC of ``distorted`` against ``reference``: 2-D images on the 0..255 scale, equal shapes,
    each side at least ``IFC_MIN_SIDE`` pixels. Higher is better; it is not symmetric."""
    ref = np.asarray(reference, dtype=np.float64)
    dist = np.asarray(distorted, dtype=np.float64)
    if ref.ndim != 2 or ref.shape != dist.shape:
        raise ValueError(f"ifc expects two 2-D images of equal shape, got {ref.shape} and {dist.shape}")
    ref_bands, dist_bands = steerable_subbands(ref), steerable_subbands(dist)
    total = 0.0
    for (level, o), y in ref_bands.items():
        h, w = (n - n % BLOCK for n in y.shape)
        y, yn = y[:h, :w], dist_bands[(level, o)][:h, :w]
        eigenvalues, s = _source_model(y)
        window = 2 ** (LEVELS - level) + 1
        g, v = _channel(y, yn, window)
        border = -(-(window // 2) // BLOCK)  # blocks whose window reaches past the subband's edge
        inner = (slice(border, -border), slice(border, -border))
        ratio = (g[inner] ** 2 * s[inner] / (v[inner] + _NOISE_FLOOR))[..., None] * eigenvalues
        total += float(np.log2(1.0 + ratio).sum())
    return total / ref.size
