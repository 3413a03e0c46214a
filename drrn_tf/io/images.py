"""Reading and writing user images, with clear errors for bad files.

``read_image`` returns the pixels as stored (uint8 or uint16; gray, RGB or RGBA in
that channel order, palettes expanded; float32 for a float TIFF) with the EXIF orientation
applied exactly once (Pillow's TIFF decoder applies it itself: what is left after decoding is
applied), so a photo comes out the way a viewer shows it, and its metadata (ICC profile, EXIF,
XMP, JPEG quality: ``drrn_tf.io.metadata``). The format is decided once, from the file's first
bytes, and only that format's Pillow decoder reads it: the header it checks (pixel limit, memory)
is the header of the pixels it decodes. 16-bit colour PNG and TIFF, which Pillow reduces to 8
bits, are decoded by OpenCV from the same bytes (the same format, chosen by the same signature),
and the decoded size must equal the header's (before the orientation).
``write_image`` encodes with OpenCV straight into the (atomic) output file, or, with metadata,
into a second temporary file streamed into it with the metadata inserted. The formats
themselves (signatures, Pillow decoders, headers) are ``drrn_tf.io.formats``.
"""

from __future__ import annotations

import functools
import os
import struct
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from drrn_tf.constants import MAX_PIXELS
from drrn_tf.errors import InputError, first_line
from drrn_tf.io.files import atomic_path, check_writable, read_capped
from drrn_tf.io.formats import READ_FORMATS, ImageHeader, array_mode, check_png_rows, image_header, open_format, sniff_format
from drrn_tf.io.metadata import ImageMetadata, embed_metadata, read_metadata
from drrn_tf.protocol.matlab import im2uint8

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


@dataclass
class LoadedImage:
    """Pixels as stored (after EXIF orientation) and where they came from."""

    pixels: np.ndarray  # (H, W), (H, W, 3) RGB or (H, W, 4) RGBA; uint8, uint16 or float32 (a float TIFF)
    path: Path
    frames: int = 1  # an animated image (GIF, APNG, WebP) has more; pixels are its first frame
    metadata: ImageMetadata | None = None  # colour profile, EXIF, XMP, JPEG quality (None: not read)


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
    """A PIL image's pixels as this package holds them: gray (H, W), RGB or RGBA; uint8, uint16 for
    16-bit gray, float32 for a float image (mode F, values in [0, 1])."""
    if im.mode in ("I;16", "I;16B", "I;16L"):
        return np.asarray(im, dtype=np.uint16)
    if im.mode == "I":
        return np.clip(np.asarray(im), 0, 65535).astype(np.uint16)
    if im.mode == "F":
        a = np.asarray(im, dtype=np.float32)
        if not np.isfinite(a).all():
            raise ValueError("float pixels contain NaN or inf")
        if a.size and (a.min() < 0 or a.max() > 1):
            raise ValueError(f"float pixels must be in [0, 1], got values in [{a.min():g}, {a.max():g}]")
        return a
    mode = array_mode(im)
    return np.asarray(im if im.mode == mode else im.convert(mode))  # no copy to convert to what it is


def read_image(path: str | os.PathLike, max_pixels: int = MAX_PIXELS, *, check: Callable[[Path, ImageHeader], None] | None = None) -> LoadedImage:
    """Read an image file; raise ``InputError`` naming the file if it cannot be used.

    The format is decided once, from the file's first bytes, and that format's decoder both reads
    the header and decodes the pixels. An image whose header claims more than ``max_pixels`` pixels
    is refused before decoding; ``check`` (if given) sees the header first and may refuse it too
    (``drrn upscale`` checks the memory it will need). Only regular files are read, at most as many
    bytes as an uncompressed image of ``max_pixels`` could need.
    """
    path = Path(path)
    max_pixels = _check_max_pixels(max_pixels)
    data = read_capped(path, 64 * 2**20 + 16 * max_pixels, "image")
    if not data:
        raise InputError(f"{path}: empty file")
    fmt = sniff_format(data)
    if fmt is None:
        raise InputError(f"{path}: not an image file (unrecognised format; reads {', '.join(READ_FORMATS)})")
    try:
        with warnings.catch_warnings():  # Pillow's warnings (a bomb, odd metadata) are not the user's lines
            warnings.simplefilter("ignore")
            with open_format(data, fmt) as im:
                if im.width * im.height > max_pixels:
                    raise InputError(
                        f"{path}: {im.width}x{im.height} is {im.width * im.height:,} pixels, more than the limit of {max_pixels:,} (raise it with --max-pixels)"
                    )
                if min(im.width, im.height) < 1:
                    raise InputError(f"{path}: the header says {im.width}x{im.height} pixels")
                stored = None if fmt == "PNG" else _orientation(im)  # the file's, before decoding (a PNG's EXIF may follow its pixels)
                header = replace(image_header(im, fmt), turned=None if stored is None else stored > 4)
                if check is not None:
                    check(path, header)
                frames = _frames(im)
                tag = im.tag_v2.get(0x0112) if fmt == "TIFF" else None  # the one OpenCV's TIFF decoder may apply itself
                im.load()  # raises on truncated or corrupt data; Pillow's TIFF decoder applies the orientation itself
                left = _orientation(im)  # what is left to apply to Pillow's pixels
                shown = im.size[::-1] if left > 4 else im.size
                metadata = read_metadata(im, fmt, data)
                pixels = None if header.itemsize == 2 and header.channels > 1 else pil_to_array(im)
    except InputError:
        raise
    except UnidentifiedImageError as e:
        raise InputError(f"{path}: not an image file ({first_line(e)})") from e
    except Image.DecompressionBombError as e:
        raise InputError(f"{path}: larger than Pillow's own limit in this process (PIL.Image.MAX_IMAGE_PIXELS): {first_line(e)}") from e
    except MemoryError as e:
        raise InputError(f"{path}: not enough memory to decode it") from e
    except (OSError, SyntaxError, ValueError, KeyError, IndexError, TypeError, struct.error, EOFError, ZeroDivisionError, SystemError) as e:
        if str(e).startswith("float pixels"):  # a valid float image, outside what is read (values in [0, 1])
            raise InputError(f"{path}: {first_line(e)}; this package reads float images as values in [0, 1]") from e
        raise InputError(f"{path}: corrupt or truncated {fmt} image ({_decoder_reason(e)})") from e
    if fmt == "PNG":
        check_png_rows(path, data)
    if pixels is None:  # 16-bit colour: OpenCV, which keeps the 16 bits, on the same bytes (PNG or TIFF)
        pixels, left = _decode_16bit_colour(path, data, header, shown, left if stored is None else stored, tag)
    del data
    if left != 1:
        pixels = np.ascontiguousarray(_apply_orientation(pixels, left))
    return LoadedImage(pixels=pixels, path=path, frames=frames, metadata=metadata)


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation (Pillow's reading: the tag, else XMP's tiff:Orientation); 1 when the EXIF
    block does not parse or the tag is not a number from 1 to 8 (as exif_transpose and viewers take
    it): metadata never makes a valid image fail. Never called where it could decode the pixels (a
    PNG's getexif loads them): so the error it swallows is the metadata's."""
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _frames(im: Image.Image) -> int:
    """Frames of an animated or multi-page image; 1 if its later frames cannot even be counted (a TIFF
    whose second page lacks its size): only the first is read."""
    try:
        return int(getattr(im, "n_frames", 1) or 1)
    except (TypeError, ValueError, OSError, KeyError, struct.error, EOFError):
        im.seek(0)  # counting walked the pages: back to the first, the one read
        return 1


def _decoder_reason(e: BaseException) -> str:
    """A decoder's complaint in a user's words."""
    text = first_line(e)
    if "truncated" in text.lower() or isinstance(e, EOFError) or "image file is truncated" in text:
        return "the file ends early"
    if "broken data stream" in text or "decoder error" in text or "-2" in text:
        return "the data does not decode"
    return text


def _decode_16bit_colour(path: Path, data: bytes, header: ImageHeader, shown: tuple[int, int], orientation: int, tag) -> tuple[np.ndarray, int]:
    """OpenCV's pixels of a 16-bit colour image and the orientation left to apply to them: OpenCV's
    TIFF decoder applies a TIFF's Orientation tag itself (where it does: probed), nothing else. Their
    size must be ``shown`` (the size Pillow shows) before what is left."""
    cv2 = _cv2()
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if pixels is None or pixels.dtype != np.uint16 or pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise InputError(f"{path}: corrupt or truncated {header.format} image (16-bit colour that does not decode)")
    if header.format == "TIFF" and tag in range(2, 9) and _cv2_orients_tiff():
        orientation = 1
    if (pixels.shape[1], pixels.shape[0]) != (shown[::-1] if orientation > 4 else shown):
        raise InputError(f"{path}: decoded {pixels.shape[1]}x{pixels.shape[0]} pixels, not the {header.width}x{header.height} its header claims")
    bgr_to_rgb_inplace(pixels)
    return pixels, orientation


@functools.cache
def _cv2_orients_tiff() -> bool:
    """Whether OpenCV's TIFF decoder applies the Orientation tag (whatever the flags): a 2x1 16-bit RGB
    TIFF, red then black, mirrored by its tag (2), decoded once."""
    fields = [(256, 3, 1, 2), (257, 3, 1, 1), (258, 3, 3, 134), (259, 3, 1, 1), (262, 3, 1, 2)]
    fields += [(273, 4, 1, 140), (274, 3, 1, 2), (277, 3, 1, 3), (278, 3, 1, 1), (279, 4, 1, 12)]
    table = b"".join(
        struct.pack("<HHI", t, kind, n) + struct.pack("<HH" if kind == 3 and n == 1 else "<I", *((v, 0) if kind == 3 and n == 1 else (v,)))
        for t, kind, n, v in fields
    )
    tiff = b"II*\x00" + struct.pack("<IH", 8, len(fields)) + table + bytes(4) + struct.pack("<9H", 16, 16, 16, 65535, 0, 0, 0, 0, 0)
    cv2 = _cv2()
    pixels = cv2.imdecode(np.frombuffer(tiff, np.uint8), cv2.IMREAD_UNCHANGED)
    return pixels is not None and pixels.shape[:2] == (1, 2) and int(pixels[0, 0].max()) == 0


def bgr_to_rgb_inplace(a: np.ndarray, rows: int = 256) -> np.ndarray:
    """Swap the first and third channels of an (H, W, 3|4) array in place, a band of rows at a time
    (no image-sized copy); the same call swaps back."""
    for r in range(0, a.shape[0], rows):
        band = a[r : r + rows]
        first = band[..., 0].copy()
        band[..., 0] = band[..., 2]
        band[..., 2] = first
    return a


def _check_max_pixels(max_pixels) -> int:
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, (int, np.integer)) or max_pixels < 1:
        raise ValueError(f"max_pixels must be a whole number >= 1, got {max_pixels!r}")
    return int(max_pixels)


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


# The largest side each output format can hold (PNG: libpng's limit, as OpenCV writes it).
_MAX_SIDE = {".jpg": 65_500, ".jpeg": 65_500, ".webp": 16_383, ".png": 1_000_000}  # libjpeg's JPEG_MAX_DIMENSION


def check_output_size(path: str | os.PathLike, width: int, height: int) -> None:
    """Refuse, in one line, an output image larger than its format can hold."""
    path = Path(path)
    side = _MAX_SIDE.get(path.suffix.lower())
    if side is not None and max(width, height) > side:
        raise InputError(f"{path}: {width}x{height} is larger than {path.suffix} can hold ({side:,} pixels a side); write .tif")


def write_image(
    path: str | os.PathLike,
    pixels: np.ndarray,
    *,
    overwrite: bool = True,
    consume: bool = False,
    metadata: ImageMetadata | None = None,
    quality: int | None = None,
) -> Path:
    """Write gray/RGB/RGBA pixels atomically: uint8, uint16 (16-bit only where the format has it),
    or float in [0, 1] (written as 8-bit). ``overwrite=False``: fail, in one line, if ``path`` exists
    by the time the file is complete (another run wrote it). ``consume=True``: the caller gives the
    array up, and it is reordered in place for the encoder instead of copied (no second image-sized
    buffer). ``quality``: 1-100, for JPEG and WebP (default 95).

    ``metadata`` (``read_image``'s ``LoadedImage.metadata``, or None for none): written where the
    format holds it (``drrn_tf.io.metadata`` says what each keeps; BMP holds none), always after
    ``ImageMetadata.for_output`` of these pixels' size, here: the orientation written is 1 (the
    pixels are taken as shown) and the EXIF/XMP pixel sizes are these pixels'; an ICC profile of the
    wrong colour space (RGB for gray pixels) is left out. With metadata, OpenCV encodes into a second
    temporary file that is streamed into the output with the metadata inserted; without, the file is
    OpenCV's, byte for byte."""
    path = check_output_path(path)
    params = _quality_params(path, quality)
    a = check_pixels(np.asarray(pixels))
    check_output_size(path, a.shape[1], a.shape[0])
    if a.dtype.kind == "f" or (a.dtype == np.uint16 and path.suffix.lower() not in _WRITE_16BIT):
        a = im2uint8(a)  # float, or 16-bit for a format without 16 bits: a new, smaller array
        consume = True
    if a.ndim == 3 and a.shape[2] == 4 and path.suffix.lower() in (".jpg", ".jpeg"):
        raise InputError(f"{path}: JPEG cannot store transparency; write .png instead")
    if metadata is not None and not isinstance(metadata, ImageMetadata):
        raise TypeError(f"metadata must be an ImageMetadata (LoadedImage.metadata) or None, got {type(metadata).__name__}")
    meta = None if metadata is None else metadata.for_output(a.shape[1], a.shape[0], 1 if a.ndim == 2 else a.shape[2])
    if meta is not None and (meta.empty or path.suffix.lower() == ".bmp"):
        meta = None  # nothing to write: the file is OpenCV's, byte for byte
    if a.ndim == 3:  # OpenCV encodes BGR(A)
        a = bgr_to_rgb_inplace(a) if consume and a.flags.writeable and a.flags.c_contiguous else np.ascontiguousarray(a[..., [2, 1, 0, 3][: a.shape[2]]])
    cv2 = _cv2()
    with atomic_path(path, replace=overwrite) as tmp:  # encoded straight into the file: no image-sized byte buffer
        encoded = tmp if meta is None else tmp.with_name(".enc" + tmp.name)  # with metadata: OpenCV's file, streamed into tmp
        try:
            try:
                ok = cv2.imwrite(str(encoded), np.ascontiguousarray(a), params)
            except cv2.error as e:
                raise InputError(f"{path}: could not encode image as {path.suffix} ({first_line(e)})") from e
            if not ok:
                raise InputError(f"{path}: could not encode image as {path.suffix}")
            if meta is not None:
                _embed(path, encoded, tmp, meta)
        finally:
            if encoded != tmp:
                encoded.unlink(missing_ok=True)
    return path


def _embed(path: Path, encoded: Path, tmp: Path, meta: ImageMetadata) -> None:
    try:
        embed_metadata(encoded, tmp, path.suffix, meta)
    except (ValueError, struct.error) as e:  # OpenCV's file not laid out as expected
        raise InputError(f"{path}: could not write its metadata into the {path.suffix} file ({first_line(e)})") from e


def _quality_params(path: Path, quality: int | None) -> list[int]:
    """OpenCV's encoder parameters for ``quality`` (JPEG and WebP; 95 unless told)."""
    suffix = path.suffix.lower()
    lossy = suffix in (".jpg", ".jpeg", ".webp")
    if quality is None:
        quality = 95
    elif not lossy:
        raise ValueError(f"quality is for JPEG and WebP outputs, not {suffix}")
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) or not 1 <= quality <= 100:
        raise ValueError(f"quality must be a whole number from 1 to 100, got {quality!r}")
    if not lossy:
        return []
    cv2 = _cv2()
    return [cv2.IMWRITE_WEBP_QUALITY if suffix == ".webp" else cv2.IMWRITE_JPEG_QUALITY, int(quality)]
