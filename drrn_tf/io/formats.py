"""Image file formats, before any pixel is decoded: which format a file is (from its first bytes),
that format's own Pillow decoder, what its header says, and the PNG check Pillow skips.
``drrn_tf.io.images.read_image`` reads images with these.
"""

from __future__ import annotations

import io
import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from drrn_tf._compat import pillow_opener
from drrn_tf.errors import InputError, first_line

__all__ = ["READ_FORMATS", "ImageHeader", "array_mode", "check_png_rows", "image_header", "open_format", "sniff_file", "sniff_format"]

READ_FORMATS = ("PNG", "JPEG", "TIFF", "WebP", "BMP", "GIF")

# The formats read, told apart by their first bytes (as OpenCV and Pillow each do): the format is
# decided once, here, and only that format's decoder sees the file.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"II+\x00", "TIFF"),
    (b"MM\x00+", "TIFF"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
)


def sniff_format(data: bytes) -> str | None:
    """The format of an image file from its first bytes (PNG, JPEG, TIFF, GIF, BMP, WEBP), or None."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((fmt for sig, fmt in _SIGNATURES if data.startswith(sig)), None)


def open_format(data: bytes, fmt: str) -> Image.Image:
    """Pillow's decoder for ``fmt`` alone on ``data``. Not ``Image.open``: that walks every plugin
    (one could claim bytes another decoder will read) and applies Pillow's process-wide
    decompression-bomb guard (``Image.MAX_IMAGE_PIXELS``, which this package leaves as the host
    process set it): ``read_image`` checks the header against its own ``max_pixels`` instead."""
    factory = pillow_opener(fmt)
    try:
        return factory(io.BytesIO(data), None)
    except (SyntaxError, IndexError, TypeError, KeyError, struct.error) as e:
        raise UnidentifiedImageError(f"not a valid {fmt} file ({first_line(e)})") from e


def array_mode(im: Image.Image) -> str:
    """The 8-bit mode ``pil_to_array`` gives an image in: L (gray), RGBA (any alpha) or RGB."""
    if im.mode in ("L", "1"):
        return "L"
    return "RGBA" if "A" in im.getbands() or "transparency" in im.info else "RGB"


@dataclass(frozen=True)
class ImageHeader:
    """What an image file's header says, before any pixel is decoded."""

    format: str
    width: int
    height: int
    channels: int  # as read_image gives them: 1 (gray), 3 (RGB), 4 (RGBA)
    itemsize: int  # bytes per channel value: 1, 2 (16-bit) or 4 (float)
    # Shown turned by 90 degrees (EXIF orientation 5-8: read_image's pixels are height x width)?
    # None where that is not known before decoding (a PNG's EXIF may follow its pixels).
    turned: bool | None = None

    @property
    def pixel_bytes(self) -> int:
        return self.width * self.height * self.channels * self.itemsize

    @property
    def decode_bytes(self) -> int:
        """Memory that decoding it takes at its peak (the decoder's buffer and the array made from it;
        measured, rounded up): 4 bytes per channel byte, 20 per pixel for WebP (decoded as RGBA twice)."""
        return self.width * self.height * (20 if self.format == "WEBP" else 4 * self.channels * self.itemsize)


def image_header(im: Image.Image, fmt: str) -> ImageHeader:
    """The header of an opened (not yet decoded) image of format ``fmt``."""
    mode = im.mode
    bits = _colour_bits(im, fmt)
    channels = 1 if mode.startswith("I") or mode == "F" else len(array_mode(im))
    itemsize = 4 if mode == "F" else 2 if (mode.startswith("I") or bits == 16) else 1
    return ImageHeader(fmt, im.width, im.height, channels, itemsize)


def _colour_bits(im: Image.Image, fmt: str) -> int:
    """16 for a 16-bit colour PNG or TIFF (which Pillow reduces to 8 bits; OpenCV decodes those), else 8."""
    if im.mode not in ("RGB", "RGBA"):
        return 8
    if fmt == "PNG":
        return 16 if im.tile and ";16" in str(im.tile[0].args) else 8
    if fmt == "TIFF":
        bits = getattr(im, "tag_v2", {}).get(258, (8,))
        return 16 if tuple(bits)[:1] == (16,) else 8
    return 8


def check_png_rows(path: Path, data: bytes) -> None:
    """Refuse a PNG whose image data holds fewer rows than its header claims: Pillow stops where the
    compressed stream ends and leaves the rest black, where libpng says "not enough image data"."""
    import zlib

    width, height, depth, colour, interlace = struct.unpack(">IIBBxxB", data[16:29])
    bits = depth * {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour, 1)
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)] if interlace else [(0, 0, 1, 1)]
    expected = 0
    for x0, y0, dx, dy in passes:
        w, h = -(-(width - x0) // dx), -(-(height - y0) // dy)
        if w > 0 and h > 0:
            expected += h * (1 + -(-(w * bits) // 8))
    inflate, got, pos = zlib.decompressobj(), 0, 8
    while pos + 8 <= len(data) and got < expected:
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            chunk = data[pos + 8 : pos + 8 + length]
            while chunk and got < expected:  # counted in slices: never the whole image in memory
                got += len(inflate.decompress(chunk, 1 << 22))
                chunk = inflate.unconsumed_tail
        pos += 12 + length
    if got < expected:
        raise InputError(f"{path}: corrupt PNG image (its data holds {got:,} of the {expected:,} bytes its {width}x{height} header needs)")


def sniff_file(path: str | os.PathLike) -> str | None:
    """A file's image format from its first bytes, as ``read_image`` decides it ("WEBP-LOSSLESS" for a lossless
    WebP); "" for a regular file of no image format; None where it cannot be read (``read_image`` says why)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # no wait on a FIFO put there meanwhile
        with os.fdopen(fd, "rb") as f:
            head = f.read(1 << 16)
    except (OSError, ValueError):
        return None
    fmt = sniff_format(head) or ""
    return "WEBP-LOSSLESS" if fmt == "WEBP" and _webp_lossless(head) else fmt


def _webp_lossless(head: bytes) -> bool:
    """Whether a WebP file's (first) image is VP8L, the lossless coding, walking its RIFF chunks."""
    pos = 12
    while pos + 8 <= len(head):
        kind, size = head[pos : pos + 4], int.from_bytes(head[pos + 4 : pos + 8], "little")
        if kind in (b"VP8L", b"VP8 "):
            return kind == b"VP8L"
        pos += 24 if kind == b"ANMF" else 8 + size + (size & 1)  # an animation frame: its own chunks follow its header
    return False
