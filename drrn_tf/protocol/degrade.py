"""What real pictures carry besides a bicubic shrink: JPEG, noise and blur of the LR luminance.

``drrn eval --degrade`` and the real-world presets' training share these definitions. Every
degradation acts on the uint8 luminance of the LR image (MATLAB's Y, in [16, 235] for a photo):

* ``jpeg:Q`` -- JPEG at quality Q (libjpeg's tables) of the luminance as a colour JPEG holds it:
  the full-range luma ``(Y - 16) * 255 / 219``, encoded, decoded and mapped back.
* ``noise:S`` -- additive Gaussian noise of standard deviation S (0-255 scale).
* ``poisson:P`` -- shot noise: ``Poisson(x * P) / P`` for x in [0, 1] (P photons at white).
* ``blur:S`` -- a Gaussian blur of standard deviation S pixels (7 taps, mirrored borders).

A spec joins steps with ``+`` and applies them left to right (``noise:5+jpeg:75``); each step
rounds to uint8, as a saved picture is.
"""

from __future__ import annotations

import io
import math

import numpy as np

from drrn_tf.errors import InputError
from drrn_tf.inference.tiling import symmetric_index
from drrn_tf.protocol.matlab import apply_taps, matlab_round

__all__ = ["DEGRADATIONS", "BLUR_RADIUS", "parse_degrade", "degrade_luminance", "describe_degrade", "gaussian_taps", "to_jfif", "from_jfif"]

# step: (lowest value, highest value, integer?, an example)
DEGRADATIONS = {"jpeg": (1, 100, True, 75), "noise": (0.0, 100.0, False, 5), "poisson": (1.0, 1e6, False, 1000), "blur": (0.1, 2.0, False, 0.8)}
BLUR_RADIUS = 3  # the blur's taps each side


def parse_degrade(text: str) -> tuple[tuple[str, float], ...]:
    """``"noise:5+jpeg:75"`` -> ``(("noise", 5.0), ("jpeg", 75))``; ``"none"`` -> ``()``."""
    if text.strip().lower() in ("", "none", "clean"):
        return ()
    steps = []
    for part in text.split("+"):
        name, _, value = part.strip().partition(":")
        if name not in DEGRADATIONS:
            raise InputError(f"--degrade {text[:80]}: unknown step {name[:40]!r} (known: {', '.join(f'{k}:VALUE' for k in DEGRADATIONS)})")
        low, high, integer, example = DEGRADATIONS[name]
        try:
            number = float(value)
        except ValueError:
            raise InputError(f"--degrade {text[:80]}: {name} needs a number, as {name}:{example:g}") from None
        if not (math.isfinite(number) and low <= number <= high) or (integer and number != int(number)):
            kind = "an integer" if integer else "a number"
            raise InputError(f"--degrade {text[:80]}: {name} must be {kind} from {low:g} to {high:g}, got {value[:40]}")
        steps.append((name, int(number) if integer else number))
    return tuple(steps)


def describe_degrade(steps) -> str:
    """The spec text of parsed steps (``"clean"`` for none)."""
    return "+".join(f"{n}:{v:g}" for n, v in steps) or "clean"


def to_jfif(y: np.ndarray) -> np.ndarray:
    """MATLAB's Y (0-255 scale, [16, 235] for a photo) -> the full-range luma a JPEG holds."""
    return (np.asarray(y, np.float64) - 16.0) * (255.0 / 219.0)


def from_jfif(luma: np.ndarray) -> np.ndarray:
    """The inverse of ``to_jfif``."""
    return np.asarray(luma, np.float64) * (219.0 / 255.0) + 16.0


def gaussian_taps(sigma: float) -> np.ndarray:
    """The blur's normalised 1-D kernel (2 * BLUR_RADIUS + 1 taps)."""
    x = np.arange(-BLUR_RADIUS, BLUR_RADIUS + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def _uint8(x: np.ndarray) -> np.ndarray:
    return np.clip(matlab_round(x), 0, 255)


def _jpeg(x: np.ndarray, quality: int) -> np.ndarray:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(_uint8(to_jfif(x)).astype(np.uint8), mode="L").save(buffer, format="JPEG", quality=int(quality))
    with Image.open(io.BytesIO(buffer.getvalue())) as im:
        return from_jfif(np.asarray(im, np.float64))


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    k = gaussian_taps(sigma)
    for axis in (0, 1):
        n = x.shape[axis]
        indices = symmetric_index(np.arange(n)[:, None] + np.arange(-BLUR_RADIUS, BLUR_RADIUS + 1)[None, :], n)
        x = apply_taps(x, axis, np.broadcast_to(k, indices.shape), indices)
    return x


def degrade_luminance(y: np.ndarray, steps, rng: np.random.Generator) -> np.ndarray:
    """The LR luminance (float, [0, 1]) after ``steps`` (from ``parse_degrade``), as uint8 values / 255.

    The input is rounded to uint8 first (an LR picture is saved as one), and after every step.
    """
    x = _uint8(np.asarray(y, np.float64) * 255.0)
    for name, value in steps:
        if name == "jpeg":
            x = _jpeg(x, value)
        elif name == "noise":
            x = x + rng.normal(0.0, value, x.shape)
        elif name == "poisson":
            x = rng.poisson(np.clip(x, 0, 255) / 255.0 * value) / value * 255.0
        else:
            x = _blur(x, value)
        x = _uint8(x)
    return (x / 255.0).astype(np.float64)
