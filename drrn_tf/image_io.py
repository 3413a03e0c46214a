"""Reading and writing user images, with clear errors for bad files.

:func:`read_image` returns the pixels as stored (uint8 or uint16; gray, RGB or RGBA in
that channel order, palettes expanded) with the EXIF orientation applied, so a photo
comes out the way a viewer shows it. Pillow checks the file (format, truncation,
orientation tag); OpenCV decodes the pixels because it keeps 16-bit colour, which
Pillow reduces to 8 bits.
"""

from __future__ import annotations

import io
import os
import struct
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from .constants import MAX_PIXELS
from .errors import InputError, first_line
from .fileio import atomic_path, check_writable
from .matlab import im2uint8

__all__ = ["IMAGE_EXTENSIONS", "pil_to_array", "read_image", "write_image", "check_pixels", "list_images", "is_image_path"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
_WRITE_16BIT = (".png", ".tif", ".tiff")


_CV2_LOCK = threading.Lock()


def _cv2():
    """OpenCV, imported on first use (``drrn --help`` needs none) and without its import's one side
    effect: opencv-python prepends its library folder to ``LD_LIBRARY_PATH`` in ``os.environ``
    (for child processes only), which this package must not change in its host."""
    import sys

    with _CV2_LOCK:
        if "cv2" not in sys.modules:
            saved = os.environ.get("LD_LIBRARY_PATH")
            import cv2  # noqa: F401

            if saved is None:
                os.environ.pop("LD_LIBRARY_PATH", None)
            else:
                os.environ["LD_LIBRARY_PATH"] = saved
    return sys.modules["cv2"]


def _open(data: bytes) -> Image.Image:
    """``Image.open`` without Pillow's process-wide decompression-bomb guard (``Image.MAX_IMAGE_PIXELS``,
    which this package leaves as the host process set it): :func:`read_image` checks the header against
    its own ``max_pixels`` instead. Walks Pillow's plugin registry as ``Image.open`` does."""
    Image.init()
    prefix = data[:16]
    for fmt in Image.ID:
        factory, accept = Image.OPEN[fmt]
        try:
            result = not accept or accept(prefix)
            if result and not isinstance(result, str):  # a string is a reason to skip this format
                return factory(io.BytesIO(data), None)
        except (SyntaxError, IndexError, TypeError, struct.error):
            continue
    raise UnidentifiedImageError("cannot identify image file")


@dataclass
class LoadedImage:
    """Pixels as stored (after EXIF orientation) and where they came from."""

    pixels: np.ndarray  # (H, W), (H, W, 3) RGB or (H, W, 4) RGBA; uint8 or uint16
    path: Path
    frames: int = 1  # an animated image (GIF, APNG, WebP) has more; pixels are its first frame


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTENSIONS


def list_images(folder: str | os.PathLike) -> list[Path]:
    """Image files (by extension) directly inside ``folder``, sorted by name."""
    folder = Path(folder)
    if not folder.exists():
        raise InputError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    files = sorted(p for p in folder.iterdir() if p.is_file() and is_image_path(p))
    if not files:
        raise InputError(f"{folder}: no images found (looked for {', '.join(IMAGE_EXTENSIONS)})")
    return files


def _apply_orientation(a: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation tag (1-8) the way viewers (and Pillow's exif_transpose) do."""
    if orientation == 2:
        return a[:, ::-1]
    if orientation == 3:
        return a[::-1, ::-1]
    if orientation == 4:
        return a[::-1]
    if orientation == 5:
        return np.swapaxes(a, 0, 1)
    if orientation == 6:
        return np.rot90(a, k=-1)
    if orientation == 7:
        return np.swapaxes(a[::-1, ::-1], 0, 1)
    if orientation == 8:
        return np.rot90(a, k=1)
    return a


def pil_to_array(im: Image.Image) -> np.ndarray:
    """A PIL image's pixels as this package holds them: gray (H, W), RGB or RGBA; uint8, or uint16 for 16-bit gray."""
    if im.mode in ("I;16", "I;16B", "I;16L"):
        return np.asarray(im, dtype=np.uint16)
    if im.mode == "I":
        return np.clip(np.asarray(im), 0, 65535).astype(np.uint16)
    has_alpha = "A" in im.getbands() or "transparency" in im.info
    if im.mode in ("L", "1"):
        return np.asarray(im.convert("L"))
    return np.asarray(im.convert("RGBA" if has_alpha else "RGB"))


def read_image(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> LoadedImage:
    """Read an image file; raise :class:`InputError` naming the file if it cannot be used.

    An image whose header claims more than ``max_pixels`` pixels is refused before decoding.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not an image")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror or e})") from e
    if not data:
        raise InputError(f"{path}: empty file")
    try:
        with _open(data) as im:
            if im.width * im.height > max_pixels:
                raise InputError(
                    f"{path}: {im.width}x{im.height} is {im.width * im.height:,} pixels, more than the limit of {max_pixels:,} (raise it with --max-pixels)"
                )
            with warnings.catch_warnings():  # some decoders (TIFF, GIF) check Pillow's limit themselves
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                im.load()  # raises on truncated or corrupt data
            orientation = int(im.getexif().get(0x0112, 1) or 1)
            frames = int(getattr(im, "n_frames", 1) or 1)
            fallback = pil_to_array(im)
    except UnidentifiedImageError as e:
        raise InputError(f"{path}: not an image file (unrecognised format)") from e
    except Image.DecompressionBombError as e:
        raise InputError(f"{path}: larger than Pillow's own limit in this process (PIL.Image.MAX_IMAGE_PIXELS): {first_line(e)}") from e
    except (OSError, SyntaxError, ValueError) as e:
        raise InputError(f"{path}: corrupt or truncated image ({e})") from e

    cv2 = _cv2()
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if pixels is None or pixels.dtype not in (np.uint8, np.uint16):
        pixels = fallback
    elif pixels.ndim == 3 and pixels.shape[2] == 3:
        pixels = pixels[..., ::-1]
    elif pixels.ndim == 3 and pixels.shape[2] == 4:
        pixels = pixels[..., [2, 1, 0, 3]]
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    if pixels.dtype not in (np.uint8, np.uint16) or pixels.ndim not in (2, 3):
        raise InputError(f"{path}: unsupported pixel format ({pixels.dtype}, shape {pixels.shape})")
    pixels = np.ascontiguousarray(_apply_orientation(pixels, orientation))
    return LoadedImage(pixels=pixels, path=path, frames=frames)


def check_output_path(path: str | os.PathLike) -> Path:
    """Validate an output image path before any work is done."""
    path = Path(path)
    if path.suffix.lower() not in IMAGE_EXTENSIONS:
        raise InputError(f"{path}: unsupported output format '{path.suffix}' (use one of {', '.join(IMAGE_EXTENSIONS)})")
    return check_writable(path)


def check_pixels(pixels) -> np.ndarray:
    """``pixels`` as an (H, W) or (H, W, 3|4) array of uint8, uint16 or float32/64 in [0, 1];
    ``TypeError``/``ValueError`` naming what is wrong otherwise."""
    if not isinstance(pixels, np.ndarray):
        raise TypeError(f"pixels must be a numpy array, got {type(pixels).__name__}")
    if pixels.dtype not in (np.uint8, np.uint16, np.float32, np.float64):
        raise TypeError(f"pixels must be uint8, uint16 or float in [0, 1], got {pixels.dtype}")
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    if not (pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[2] in (3, 4))) or min(pixels.shape[:2]) < 1:
        raise ValueError(f"pixels must be (H, W) gray or (H, W, 3|4) RGB(A), got shape {pixels.shape}")
    if pixels.dtype.kind == "f":
        if not np.isfinite(pixels).all():
            raise ValueError("pixels contain NaN or inf")
        if pixels.min() < 0 or pixels.max() > 1:
            raise ValueError(f"float pixels must be in [0, 1], got values in [{pixels.min():g}, {pixels.max():g}]")
    return pixels


def write_image(path: str | os.PathLike, pixels: np.ndarray) -> Path:
    """Write gray/RGB/RGBA pixels atomically: uint8, uint16 (16-bit only where the format has it),
    or float in [0, 1] (written as 8-bit)."""
    path = check_output_path(path)
    a = check_pixels(np.asarray(pixels))
    if a.dtype.kind == "f" or (a.dtype == np.uint16 and path.suffix.lower() not in _WRITE_16BIT):
        a = im2uint8(a)  # float, or 16-bit for a format without 16 bits
    if a.ndim == 3 and a.shape[2] == 3:
        a = a[..., ::-1]
    elif a.ndim == 3 and a.shape[2] == 4:
        a = a[..., [2, 1, 0, 3]]
    if a.ndim == 3 and a.shape[2] == 4 and path.suffix.lower() in (".jpg", ".jpeg"):
        raise InputError(f"{path}: JPEG cannot store transparency; write .png instead")
    cv2 = _cv2()
    with atomic_path(path) as tmp:  # encoded straight into the file: no image-sized byte buffer
        if not cv2.imwrite(str(tmp), np.ascontiguousarray(a)):
            raise InputError(f"{path}: could not encode image as {path.suffix}")
    return path
