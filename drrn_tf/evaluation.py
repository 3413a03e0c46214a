"""PSNR/SSIM evaluation exactly as the paper's MATLAB protocol (see docs in paper.md).

For each HR image and scale s: Y channel (MATLAB ``rgb2ycbcr`` on uint8, rounded;
single-channel images used as they are) -> [0, 1] -> modcrop(s) -> bicubic
``imresize(imresize(Y, 1/s), s)`` -> network (or nothing, for the bicubic row) ->
uint8 by round(x*255) with clipping -> shave s pixels -> PSNR, SSIM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError
from .image_io import list_images, read_image
from .matlab import im2uint8, imresize, modcrop, rgb2ycbcr, shave
from .metrics import SSIM_WINDOW, psnr, ssim

__all__ = ["hr_luminance", "bicubic_input", "score", "evaluate", "EvalResult"]


def hr_luminance(pixels: np.ndarray) -> np.ndarray:
    """The protocol's ground-truth Y (uint8) of an HR image as read from disk."""
    a = im2uint8(pixels)
    if a.ndim == 3:
        return rgb2ycbcr(a[..., :3])[..., 0]
    return a


def bicubic_input(y_hr: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """(modcropped HR in [0,1], bicubic LR-up in [0,1]) for a uint8 Y image."""
    hr = modcrop(y_hr.astype(np.float64) / 255.0, scale)
    return hr, imresize(imresize(hr, 1.0 / scale), scale)


def score(output: np.ndarray, hr: np.ndarray, scale: int) -> tuple[float, float]:
    """(PSNR, SSIM) of a [0,1] output against [0,1] HR, quantised and shaved."""
    a = shave(im2uint8(output), scale)
    b = shave(im2uint8(hr), scale)
    return psnr(a, b), ssim(a, b)


@dataclass
class EvalResult:
    dataset: str
    scale: int
    psnr: float
    ssim: float
    images: int
    per_image: list[dict] = field(default_factory=list)

    def as_dict(self, per_image: bool = False) -> dict:
        d = {"dataset": self.dataset, "scale": self.scale, "psnr": self.psnr, "ssim": self.ssim, "images": self.images}
        if per_image:
            d["per_image"] = self.per_image
        return d


def evaluate(
    predict: Callable[[np.ndarray], np.ndarray] | None,
    datasets: Iterable[tuple[str, Path]],
    scales: Iterable[int],
    progress: Callable[[Iterable], Iterable] = lambda it: it,
) -> list[EvalResult]:
    """Evaluate ``predict`` (LR-up Y in [0,1] -> restored Y) on each (name, folder) and scale.

    ``predict=None`` scores bicubic interpolation itself. Every image is read (and so
    validated) before any is scored.
    """
    scales = list(scales)
    sets = [(name, [(p, hr_luminance(read_image(p).pixels)) for p in list_images(folder)]) for name, folder in datasets]
    jobs = [(name, s, p, y) for name, images in sets for s in scales for p, y in images]
    for _, s, path, y in jobs:  # SSIM needs an 11x11 window inside the shaved, modcropped image
        side = min(n - n % s for n in y.shape[:2]) - 2 * s
        if side < SSIM_WINDOW:
            raise InputError(
                f"{path}: {y.shape[1]}x{y.shape[0]} is too small to score at x{s} "
                f"(each side needs {SSIM_WINDOW + 2 * s} pixels after cropping to a multiple of {s})"
            )
    scores: dict[tuple[str, int], list[dict]] = {}
    for name, s, path, y in progress(jobs):
        hr, up = bicubic_input(y, s)
        out = up if predict is None else predict(up)
        p, q = score(out, hr, s)
        scores.setdefault((name, s), []).append({"image": path.name, "psnr": p, "ssim": q})
    results = []
    for (name, s), rows in scores.items():
        results.append(
            EvalResult(
                dataset=name,
                scale=s,
                psnr=float(np.mean([r["psnr"] for r in rows])),
                ssim=float(np.mean([r["ssim"] for r in rows])),
                images=len(rows),
                per_image=rows,
            )
        )
    return results
