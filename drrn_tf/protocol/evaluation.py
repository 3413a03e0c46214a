"""PSNR/SSIM evaluation exactly as the paper's MATLAB protocol.

For each HR image and scale s: Y channel (MATLAB ``rgb2ycbcr`` on uint8, rounded;
single-channel images used as they are) -> [0, 1] -> modcrop(s) -> bicubic
``imresize(imresize(Y, 1/s), s)`` -> network (or nothing, for the bicubic row) ->
uint8 by round(x*255) with clipping -> shave s pixels -> PSNR, SSIM (and, on request, IFC).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from drrn_tf.constants import DEFAULT_METRICS, METRICS, SCALES
from drrn_tf.errors import InputError
from drrn_tf.io.images import list_images, read_image
from drrn_tf.protocol.degrade import degrade_luminance
from drrn_tf.protocol.ifc import IFC_MIN_SIDE, ifc
from drrn_tf.protocol.matlab import im2uint8, imresize, modcrop, rgb2ycbcr, shave
from drrn_tf.protocol.metrics import SSIM_WINDOW, psnr, ssim

__all__ = [
    "network_scale",
    "resampled",
    "restore",
    "hr_luminance",
    "bicubic_input",
    "score",
    "measure",
    "evaluate",
    "EvalResult",
    "METRICS",
    "DEFAULT_METRICS",
]


def hr_luminance(pixels: np.ndarray) -> np.ndarray:
    """The protocol's ground-truth Y (uint8) of an HR image as read from disk."""
    a = im2uint8(pixels)
    if a.ndim == 3:
        return rgb2ycbcr(a[..., :3])[..., 0]
    return a


# A real scale's fraction p/q has at most this denominator (1.5 = 3/2, 2.5 = 5/2, 1.75 = 7/4).
MAX_DENOMINATOR = 8


def scale_fraction(scale: float) -> Fraction:
    """``scale`` (> 1) as p/q with q <= MAX_DENOMINATOR; ``ValueError`` otherwise."""
    f = Fraction(scale).limit_denominator(MAX_DENOMINATOR)
    if isinstance(scale, bool) or not scale > 1 or abs(float(f) - scale) > 1e-9:
        raise ValueError(f"an evaluation scale must be > 1 and a fraction p/q with q <= {MAX_DENOMINATOR} (as 1.5, 2.5 or 8), got {scale!r}")
    return f


def protocol_crop(img: np.ndarray, scale: float) -> np.ndarray:
    """The HR crop the protocol scores: ``modcrop`` to a multiple of p for a scale p/q, so that the
    LR image is a whole q/p of it (an integer scale: MATLAB's ``modcrop(img, s)``)."""
    return modcrop(img, scale_fraction(scale).numerator)


def network_scale(scale: float) -> int:
    """The trained scale (2, 3 or 4) a network runs at for an upscale by ``scale``: the next one up,
    at most 4; at any other scale its output is then resampled to the size asked (MATLAB bicubic).
    Measured (``benchmarks/any_scale.py``) against running it at the scale itself: below x2 that
    over-sharpens an input that is nearly sharp (several dB under bicubic), and beyond x4 it
    restores almost nothing."""
    return int(min(max(math.ceil(scale - 1e-9), min(SCALES)), max(SCALES)))


def resampled(scale_h: float, scale_w: float) -> bool:
    """Whether a network upscaling by these factors runs at another scale (``network_scale``) and
    has its output resampled: anything but x2, x3 or x4 on both axes."""
    return not scale_h == scale_w == network_scale(max(scale_h, scale_w))


def _lr(hr: np.ndarray, scale: float, between: Callable[[np.ndarray], np.ndarray] = lambda lr: lr) -> np.ndarray:
    """``imresize(hr, 1/s)``, for a real scale to the exact LR size; then ``between``."""
    if float(scale).is_integer():
        return between(imresize(hr, 1.0 / scale))
    f = scale_fraction(scale)
    return between(imresize(hr, size=(hr.shape[0] * f.denominator // f.numerator, hr.shape[1] * f.denominator // f.numerator)))


def _up(lr: np.ndarray, scale: float, shape: tuple[int, int]) -> np.ndarray:
    """``imresize(lr, s)``; for a real scale, to the HR ``shape``."""
    return imresize(lr, int(scale)) if float(scale).is_integer() else imresize(lr, size=shape)


def _down_up(hr: np.ndarray, scale: float) -> np.ndarray:
    """``imresize(imresize(hr, 1/s), s)``; for a real scale, through the exact LR size and back."""
    return _up(_lr(hr, scale), scale, hr.shape[:2])


def restore(predict: Callable[[np.ndarray], np.ndarray], lr: np.ndarray, scale: float, shape: tuple[int, int]) -> np.ndarray:
    """A network's output of LR luminance ``lr`` at the HR ``shape``, as ``drrn upscale`` makes it: at a
    trained scale on its bicubic upscale; at another, at ``network_scale`` and resampled to ``shape``."""
    if not resampled(scale, scale):
        return predict(_up(lr, scale, shape))
    return np.clip(imresize(predict(imresize(lr, network_scale(scale))), size=shape), 0.0, 1.0)


def bicubic_input(y_hr: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(HR cropped by ``protocol_crop``, in [0,1]; bicubic LR-up in [0,1]) for a uint8 Y image."""
    hr = protocol_crop(y_hr.astype(np.float64) / 255.0, scale)
    return hr, _down_up(hr, scale)


def shave_border(scale: float) -> int:
    """Pixels shaved from each side before scoring: the scale, rounded up."""
    return int(math.ceil(scale))


def _output_and_truth(path: Path, y: np.ndarray, s: int, predict, rgb_upscale, degrade, rng, resample: bool) -> tuple[np.ndarray, np.ndarray]:
    """(HR in [0, 1], the output to score) of one image at scale ``s``, as ``evaluate`` describes."""
    if rgb_upscale is not None:
        pixels = modcrop(im2uint8(read_image(path).pixels), s)
        lr = imresize(pixels[..., :3] if pixels.ndim == 3 else pixels, 1.0 / s)  # uint8 in, uint8 out (rounded), as MATLAB
        return modcrop(y, s) / 255.0, hr_luminance(rgb_upscale(lr, s)) / 255.0
    hr = protocol_crop(y.astype(np.float64) / 255.0, s)
    lr = _lr(hr, s, (lambda lr: degrade_luminance(lr, degrade, rng)) if degrade else (lambda lr: lr))
    if predict is None or not resample:
        up = _up(lr, s, hr.shape)
        return hr, up if predict is None else predict(up)
    return hr, restore(predict, lr, s, hr.shape)


def score(output: np.ndarray, hr: np.ndarray, scale: int) -> tuple[float, float]:
    """(PSNR, SSIM) of a [0,1] output against [0,1] HR, quantised and shaved."""
    values = measure(output, hr, scale)
    return values["psnr"], values["ssim"]


def measure(output: np.ndarray, hr: np.ndarray, scale: int, metrics: Iterable[str] = DEFAULT_METRICS) -> dict[str, float]:
    """``{metric: value}`` of a [0,1] output against [0,1] HR, quantised and shaved (METRICS names them)."""
    a = shave(im2uint8(output), shave_border(scale))
    b = shave(im2uint8(hr), shave_border(scale))
    functions = {"psnr": psnr, "ssim": ssim, "ifc": lambda out, truth: ifc(truth, out)}  # IFC: the truth is the reference
    return {metric: functions[metric](a, b) for metric in metrics}


def _check_sizes(jobs: list, metrics: list[str]) -> None:
    """SSIM's window (IFC's pyramid) must fit each shaved, cropped image."""
    need = max([SSIM_WINDOW] + [IFC_MIN_SIDE for m in metrics if m == "ifc"])
    for _, _, s, path, y, _ in jobs:
        p = scale_fraction(s).numerator
        side = min(n - n % p for n in y.shape[:2]) - 2 * shave_border(s)
        if side < need:
            raise InputError(
                f"{path}: {y.shape[1]}x{y.shape[0]} is too small to score at x{s:g} "
                f"(each side needs {need + 2 * shave_border(s)} pixels after cropping to a multiple of {p})"
            )


@dataclass
class EvalResult:
    dataset: str
    scale: float  # an int for the integer scales
    scores: dict[str, float]  # metric -> mean over the images
    images: int
    per_image: list[dict] = field(default_factory=list)

    @property
    def psnr(self) -> float:
        return self.scores["psnr"]

    @property
    def ssim(self) -> float:
        return self.scores["ssim"]

    def as_dict(self, per_image: bool = False) -> dict:
        d = {"dataset": self.dataset, "scale": self.scale, **self.scores, "images": self.images}
        if per_image:
            d["per_image"] = self.per_image
        return d


def evaluate(
    predict: Callable[[np.ndarray], np.ndarray] | None,
    datasets: Iterable[tuple[str, Path]],
    scales: Iterable[float],
    progress: Callable[[Iterable], Iterable] = lambda it: it,
    metrics: Iterable[str] = DEFAULT_METRICS,
    rgb_upscale: Callable[[np.ndarray, int], np.ndarray] | None = None,
    degrade: Sequence[tuple[str, float]] = (),
    seed: int = 0,
    resample: bool = True,
    done: Mapping[tuple[int, float, str], dict[str, float]] | None = None,
    on_score: Callable[[tuple[int, float, str], dict[str, float]], None] = lambda key, values: None,
) -> list[EvalResult]:
    """Evaluate ``predict`` (LR-up Y in [0,1] -> restored Y) on each (name, folder) and scale.

    ``predict=None`` scores bicubic interpolation itself. ``metrics``: names from METRICS. Every image
    is read (and so validated) before any is scored. A scale may be real (1.5, 2.5: a fraction p/q,
    q <= 8): HR cropped to a multiple of p, shrunk to exactly q/p of its size, ceil(s) shaved; the
    network runs as ``drrn upscale`` runs it (``restore``: at the trained scale ``network_scale``,
    then resampled to the HR size); ``resample=False`` runs it at the scale itself instead, on the
    bicubic upscale to the HR size (one pass: what the paper's protocol would do).

    ``rgb_upscale(lr, s)`` instead (an end-to-end model, which takes pixels, not Y): each HR image,
    cropped to a multiple of ``s``, is shrunk by MATLAB bicubic to uint8 (RGB, or gray) as a user's
    photo would be, upscaled by it, and the Y of the result (as the ground truth's) is scored.

    ``degrade`` (steps from ``drrn_tf.protocol.degrade.parse_degrade``): the LR luminance, rounded to
    uint8, is degraded before its bicubic upscale, with a generator seeded by ``seed``, the image's
    position in its set and the scale (the same numbers on every run).

    ``done``: scores already known, by (the set's position in ``datasets``, scale, image file name) -- an interrupted run's,
    kept by ``drrn_tf.protocol.journal`` -- which are used as they are, not computed again;
    ``on_score(key, values)`` is called after each image scored here.
    """
    scales = list(scales)
    metrics = list(dict.fromkeys(metrics))
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise ValueError(f"metrics must be among {', '.join(METRICS)}, got {metrics!r}")
    sets = [(name, [(p, hr_luminance(read_image(p).pixels)) for p in list_images(folder)]) for name, folder in datasets]
    # each job's key: (the set's position, scale, file name), which tells two sets of one name apart
    jobs = [((k, s, p.name), name, s, p, y, i) for k, (name, images) in enumerate(sets) for s in scales for i, (p, y) in enumerate(images)]
    _check_sizes(jobs, metrics)
    scored = dict(done or {})
    for key, _, s, path, y, index in progress([job for job in jobs if job[0] not in scored]):
        rng = np.random.default_rng([seed, index, round(s * 1000)])
        hr, out = _output_and_truth(path, y, s, predict, rgb_upscale, degrade, rng, resample)
        try:
            values = measure(out, hr, s, metrics)
        except ValueError as e:  # IFC of an image with a flat subband
            raise InputError(f"{path}: {e}") from None
        scored[key] = values
        on_score(key, values)
    rows: dict[tuple[str, float], list[dict]] = {}  # two sets of one name are one row, as they always were
    for key, name, s, path, _, _ in jobs:
        rows.setdefault((name, s), []).append({"image": path.name, **{m: scored[key][m] for m in metrics}})
    return [
        EvalResult(dataset=name, scale=s, scores={m: float(np.mean([r[m] for r in group])) for m in metrics}, images=len(group), per_image=group)
        for (name, s), group in rows.items()
    ]
