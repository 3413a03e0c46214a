"""Labelled side-by-side comparison pictures (bicubic | network | original), for people to look at."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["side_by_side", "crop_zoom"]


def crop_zoom(pixels: np.ndarray, rows: slice, cols: slice, zoom: int = 1) -> np.ndarray:
    """A crop enlarged ``zoom`` times by repeating pixels (nearest neighbour), so pixels stay visible."""
    crop = pixels[rows, cols]
    return np.repeat(np.repeat(crop, zoom, 0), zoom, 1)


def side_by_side(panels: Sequence[tuple[np.ndarray, str]], gap: int = 6) -> np.ndarray:
    """uint8 RGB panels of one height, each under a white band with its label, left to right."""
    from PIL import Image, ImageDraw

    images = []
    for pixels, label in panels:
        im = Image.fromarray(pixels).convert("RGB")
        framed = Image.new("RGB", (im.width, im.height + 26), "white")
        ImageDraw.Draw(framed).text((6, 6), label, fill="black")
        framed.paste(im, (0, 26))
        images.append(np.asarray(framed))
    if len({a.shape[0] for a in images}) != 1:
        raise ValueError(f"panels must have one height, got {[a.shape[0] - 26 for a in images]}")
    spacer = np.full((images[0].shape[0], gap, 3), 255, np.uint8)
    parts = [images[0]]
    for a in images[1:]:
        parts += [spacer, a]
    return np.concatenate(parts, axis=1)
