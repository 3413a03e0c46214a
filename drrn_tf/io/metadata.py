"""What a picture carries besides its pixels: colour profile, EXIF, XMP, and its JPEG quality.

``read_image`` fills an ``ImageMetadata`` from the input; ``write_image`` writes it into the output
where the format holds it, so a photo keeps its colours (a Display-P3 or Adobe RGB profile) and its
camera, date and location fields. Before writing, ``ImageMetadata.for_output`` adjusts it to the
output: read_image has already applied the EXIF orientation to the pixels, so the orientation written
is 1 (in EXIF and in XMP), and the EXIF and XMP pixel sizes are the output's.

``embed_metadata`` streams the file OpenCV encoded into the output with the metadata inserted:

* PNG: iCCP (the profile, zlib-compressed), eXIf, and XMP as an iTXt chunk (XML:com.adobe.xmp), after IHDR.
* JPEG: APP1 Exif, APP1 XMP (up to 65,504 bytes; no extended XMP), APP2 ICC_PROFILE segments, after SOI and APP0.
* WebP: the extended format: VP8X (its ICC, EXIF, XMP and alpha flags, the canvas size), ICCP before
  the image data, EXIF and XMP after it.
* TIFF: a new first IFD appended to the file (the image data stays where it is): OpenCV's own fields,
  the ICC profile (tag 34675), XMP (tag 700), EXIF's IFD0 camera fields (ImageDescription, Make,
  Model, Software, DateTime, Artist, Copyright), and the whole Exif sub-IFD (with its Interop IFD;
  without the MakerNote, whose offsets would no longer hold) and GPS IFD, in the file's byte order.
* BMP: nothing (it has no place for metadata).
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

__all__ = ["ImageMetadata", "read_metadata", "embed_metadata", "jpeg_quality", "tiff_header"]

_ORIENTATION, _IMAGE_WIDTH, _IMAGE_LENGTH = 0x0112, 0x0100, 0x0101
_EXIF_IFD, _GPS_IFD, _INTEROP_IFD, _MAKER_NOTE = 0x8769, 0x8825, 0xA005, 0x927C
_PIXEL_X, _PIXEL_Y = 0xA002, 0xA003
_CAMERA_TAGS = (270, 271, 272, 305, 306, 315, 33432)  # ImageDescription, Make, Model, Software, DateTime, Artist, Copyright
_ICC_TAG, _XMP_TAG = 34675, 700
_TYPE_BYTES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}  # a value of each TIFF type
_SWAP_WIDTH = {3: 2, 4: 4, 5: 4, 8: 2, 9: 4, 10: 4, 11: 4, 12: 8, 13: 4}  # the unit a byte-order change reverses
_MAX_VALUE = 1 << 26  # bytes of one IFD value read at most
_XMP_NS = b"http://ns.adobe.com/xap/1.0/\x00"
_BLOCK = 1 << 20
# libjpeg's standard luminance quantisation table (quality 50), in natural (row-major) order, as Pillow gives tables.
_IJG_LUMA = (
    *(16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62),
    *(18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99),
)


@dataclass(frozen=True)
class ImageMetadata:
    """Metadata of a read image. ``format``: the input's (PNG, JPEG, WEBP, TIFF, BMP, GIF); ``icc``: the
    ICC profile as stored; ``exif``: the EXIF block (TIFF-structured bytes, as Pillow's
    ``Image.Exif.tobytes`` gives them, without the Exif prefix); ``xmp``: the XMP packet;
    ``jpeg_quality``: the IJG quality (1-100) a JPEG's luminance table matches best."""

    format: str
    icc: bytes | None = None
    exif: bytes | None = None
    xmp: bytes | None = None
    jpeg_quality: int | None = None

    @property
    def empty(self) -> bool:
        """Nothing to write (no profile, EXIF or XMP)."""
        return not (self.icc or self.exif or self.xmp)

    def for_output(self, width: int, height: int, channels: int | None = None) -> ImageMetadata:
        """The metadata to write with an output of ``width`` x ``height`` pixels, shown as stored: EXIF
        with Orientation 1 (the pixels were rotated when read), PixelXDimension/PixelYDimension (and
        ImageWidth/ImageLength, where present) the output's size, and no IFD1 (its thumbnail was
        oriented by the old tag); every other field kept byte for byte. XMP: tiff:Orientation 1 and its
        pixel sizes the output's. An EXIF block that does not parse is dropped (it could hold a stale
        orientation). ``channels`` (1 gray, 3 or 4 colour): an ICC profile of the other colour space is
        dropped. Applying it twice gives the same result."""
        icc = self.icc
        if icc is not None and channels is not None and icc[16:20] != (b"GRAY" if channels == 1 else b"RGB "):
            icc = None
        exif = None if self.exif is None else _exif_for_output(self.exif, width, height)
        xmp = None if self.xmp is None else _xmp_for_output(self.xmp, width, height)
        return replace(self, icc=icc, exif=exif, xmp=xmp)


def read_metadata(im, fmt: str, data: bytes) -> ImageMetadata:
    """What the Pillow image ``im`` (opened from ``data``, of format ``fmt`` as sniffed, its pixels
    loaded so that a PNG's chunks after its image data are seen) carries: ICC, EXIF, XMP and JPEG
    quality for PNG, JPEG, WEBP and TIFF; the format alone for the others. Never raises: a field that
    is missing or does not parse is None."""
    if fmt not in ("PNG", "JPEG", "WEBP", "TIFF"):
        return ImageMetadata(fmt)
    quality = _guard(jpeg_quality, im) if fmt == "JPEG" else None
    return ImageMetadata(fmt, icc=_guard(_read_icc, im), exif=_guard(_read_exif, im, fmt, data), xmp=_guard(_read_xmp, im, fmt), jpeg_quality=quality)


def _guard(read: Callable, *args):
    try:
        return read(*args)
    except Exception:  # reading metadata never makes a valid image fail
        return None


def _read_icc(im) -> bytes | None:
    icc = im.info.get("icc_profile")
    ok = isinstance(icc, bytes) and len(icc) >= 132 and icc[36:40] == b"acsp" and 132 <= int.from_bytes(icc[:4], "big") <= len(icc)
    return icc if ok else None


def _read_xmp(im, fmt: str) -> bytes | None:
    xmp = im.tag_v2.get(700) if fmt == "TIFF" else im.info.get("xmp")  # TIFF: the tag (Pillow's info lost its orientation on decoding)
    if isinstance(xmp, tuple) and len(xmp) == 1:
        xmp = xmp[0]
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    if not isinstance(xmp, bytes):
        return None
    text = xmp.decode("utf-8")  # raises (the field is None) for a packet that is not UTF-8
    return xmp if "<x:xmpmeta" in text or "<rdf:RDF" in text else None


def _read_exif(im, fmt: str, data: bytes) -> bytes | None:
    if fmt == "TIFF":  # EXIF is the file's own first IFD: its camera fields and sub-IFDs, as a block
        head = tiff_header(data)
        if head is None:
            return None
        order, ifd0 = head
        fields = [e for e in _read_ifd(lambda at, n: data[at : at + n], ifd0, order, order) if e[0] in _CAMERA_TAGS or e[0] in (_EXIF_IFD, _GPS_IFD)]
        return data[:4] + struct.pack(order + "I", 8) + _pack_ifd(fields, 8, order) if fields else None
    raw = im.info.get("exif")
    if raw is None and "Raw profile type exif" in im.info:  # ImageMagick's PNG text chunk
        raw = im.getexif().tobytes()
    if not isinstance(raw, bytes):
        return None
    raw = raw.removeprefix(b"Exif\x00\x00")
    head = tiff_header(raw)
    return raw if head is not None and _entries(raw, *head) is not None else None


def jpeg_quality(im) -> int | None:
    """The IJG quality (1-100) whose standard luminance table is nearest (sum of absolute
    differences) to the JPEG's own (Pillow's ``im.quantization``); None without one."""
    luma = (getattr(im, "quantization", None) or {}).get(0)
    if luma is None or len(luma) != 64:
        return None
    luma = [int(v) for v in luma]
    return min(range(1, 101), key=lambda q: (sum(abs(a - b) for a, b in zip(_ijg_table(q), luma)), -q))


def _ijg_table(quality: int) -> list[int]:
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality  # libjpeg's jpeg_quality_scaling
    return [min(max((v * scale + 50) // 100, 1), 255) for v in _IJG_LUMA]


def tiff_header(blob: bytes) -> tuple[str, int] | None:
    """(struct byte order, offset of the first IFD) of a classic TIFF structure, or None."""
    order = {b"II": "<", b"MM": ">"}.get(bytes(blob[:2]))
    if order is None or len(blob) < 8 or struct.unpack_from(order + "H", blob, 2)[0] != 42:
        return None
    return order, struct.unpack_from(order + "I", blob, 4)[0]


def _entries(blob, order: str, offset: int) -> list[int] | None:
    """Where each 12-byte entry of the IFD at ``offset`` starts, or None if its table is not in ``blob``."""
    if not 8 <= offset <= len(blob) - 2:
        return None
    (n,) = struct.unpack_from(order + "H", blob, offset)
    if offset + 2 + 12 * n > len(blob):
        return None
    return [offset + 2 + 12 * i for i in range(n)]


def _exif_for_output(blob: bytes, width: int, height: int) -> bytes | None:
    """The EXIF block patched in place (see ``ImageMetadata.for_output``), or None if it does not parse."""
    head = tiff_header(blob)
    ifd0 = None if head is None else _entries(blob, *head)
    if not ifd0:
        return None
    order, b, sub = head[0], bytearray(blob), None
    for pos in ifd0:
        (tag,) = struct.unpack_from(order + "H", b, pos)
        if tag == _ORIENTATION:
            struct.pack_into(order + "HHIHH", b, pos, tag, 3, 1, 1, 0)
        elif tag in (_IMAGE_WIDTH, _IMAGE_LENGTH):
            struct.pack_into(order + "HHII", b, pos, tag, 4, 1, width if tag == _IMAGE_WIDTH else height)
        elif tag == _EXIF_IFD:
            (sub,) = struct.unpack_from(order + "I", b, pos + 8)
    if ifd0[-1] + 16 <= len(b):
        struct.pack_into(order + "I", b, ifd0[-1] + 12, 0)  # IFD1 (the thumbnail) unlinked
    for pos in (sub and _entries(b, order, sub)) or []:
        (tag,) = struct.unpack_from(order + "H", b, pos)
        if tag in (_PIXEL_X, _PIXEL_Y):
            struct.pack_into(order + "HHII", b, pos, tag, 4, 1, width if tag == _PIXEL_X else height)
    return bytes(b)


_XMP_ORIENTATION = re.compile(rb"(tiff:Orientation(?:=[\"']|>)\s*)\d+")
_XMP_WIDTH = re.compile(rb"((?:exif:PixelXDimension|tiff:ImageWidth)(?:=[\"']|>)\s*)\d+")
_XMP_HEIGHT = re.compile(rb"((?:exif:PixelYDimension|tiff:ImageLength)(?:=[\"']|>)\s*)\d+")


def _xmp_for_output(xmp: bytes, width: int, height: int) -> bytes:
    xmp = _XMP_ORIENTATION.sub(rb"\g<1>1", xmp)
    xmp = _XMP_WIDTH.sub(lambda m: m.group(1) + str(width).encode(), xmp)
    return _XMP_HEIGHT.sub(lambda m: m.group(1) + str(height).encode(), xmp)


def _read_ifd(get: Callable[[int, int], bytes], offset: int, order: str, out: str, depth: int = 0) -> list:
    """The entries of the IFD at ``offset`` (``get(offset, n)`` reads the structure) as (tag, type,
    count, value bytes in byte order ``out``); an Exif, GPS or Interop pointer as (tag, 4, 1, the
    sub-IFD's own entries). Entries that do not parse are left out."""
    raw = get(offset, 2)
    if len(raw) < 2:
        return []
    table = get(offset + 2, 12 * struct.unpack(order + "H", raw)[0])
    entries: list = []
    for at in range(0, len(table) - 11, 12):
        tag, typ, count = struct.unpack_from(order + "HHI", table, at)
        size = _TYPE_BYTES.get(typ, 0) * count
        if not 0 < size <= _MAX_VALUE:
            continue
        value = table[at + 8 : at + 8 + size] if size <= 4 else get(struct.unpack_from(order + "I", table, at + 8)[0], size)
        if len(value) < size:
            continue
        if tag in (_EXIF_IFD, _GPS_IFD, _INTEROP_IFD):
            sub = _read_ifd(get, struct.unpack(order + "I", value)[0], order, out, depth + 1) if size == 4 and typ in (4, 13) and depth < 2 else []
            if sub:
                entries.append((tag, 4, 1, sub))
            continue
        width = _SWAP_WIDTH.get(typ)
        if width and order != out:
            value = b"".join(value[i : i + width][::-1] for i in range(0, size, width))
        entries.append((tag, typ, count, value))
    return entries


def _pack_ifd(entries: list, base: int, order: str) -> bytes:
    """``entries`` (as ``_read_ifd`` gives them) as an IFD at file offset ``base`` (even): the table
    (sorted by tag, next-IFD offset 0), then its values over 4 bytes, then its sub-IFDs."""
    entries = sorted(entries, key=lambda e: e[0])
    data_at = base + 2 + 12 * len(entries) + 4
    table, values, subs = [struct.pack(order + "H", len(entries))], bytearray(), []
    for tag, typ, count, value in entries:
        if isinstance(value, list):
            subs.append((len(table), tag, value))
            table.append(b"")
            continue
        if len(value) <= 4:
            field = value.ljust(4, b"\x00")
        else:
            field = struct.pack(order + "I", data_at + len(values))
            values += value + b"\x00" * (len(value) & 1)
        table.append(struct.pack(order + "HHI", tag, typ, count) + field)
    tail = bytearray()
    for i, tag, value in subs:
        at = data_at + len(values) + len(tail)
        table[i] = struct.pack(order + "HHII", tag, 4, 1, at)
        tail += _pack_ifd(value, at, order)
    return b"".join(table) + b"\x00" * 4 + bytes(values) + bytes(tail)


def embed_metadata(encoded: Path, out: Path, suffix: str, meta: ImageMetadata) -> None:
    """Stream the file ``encoded`` (as OpenCV wrote it) into ``out`` with ``meta`` (already
    ``for_output``-adjusted) inserted where the format of ``suffix`` holds it (see the module's
    docstring); ``ValueError`` if ``encoded`` is not laid out as expected. A format that holds none
    (BMP) is copied as it is."""
    writer = {".png": _png, ".jpg": _jpeg, ".jpeg": _jpeg, ".webp": _webp, ".tif": _tiff, ".tiff": _tiff}.get(suffix.lower())
    with open(encoded, "rb") as src, open(out, "wb") as dst:
        tail = b"" if writer is None else writer(src, dst, meta)  # each writes its head, returns what follows the rest
        shutil.copyfileobj(src, dst, _BLOCK)
        dst.write(tail)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(src, dst, meta: ImageMetadata) -> bytes:
    head = src.read(33)
    if head[:16] != b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" or len(head) < 33:
        raise ValueError("not a PNG file starting with IHDR")
    dst.write(head)
    if meta.icc:
        dst.write(_png_chunk(b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(meta.icc, 9)))
    if meta.exif:
        dst.write(_png_chunk(b"eXIf", meta.exif))
    if meta.xmp:  # iTXt: keyword, then no compression, no language, no translated keyword
        dst.write(_png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + meta.xmp))
    return b""


def _jpeg(src, dst, meta: ImageMetadata) -> bytes:
    head = src.read(4)
    if head[:3] != b"\xff\xd8\xff" or len(head) < 4:
        raise ValueError("not a JPEG file")
    pending = head[2:]
    dst.write(head[:2])
    if head[3] == 0xE0:  # APP0 (JFIF) stays first
        size = src.read(2)
        app0 = size + src.read(max(struct.unpack(">H", size)[0] - 2, 0)) if len(size) == 2 else b""
        if len(app0) < 2 or len(app0) != struct.unpack(">H", app0[:2])[0]:
            raise ValueError("a cut APP0 segment")
        dst.write(pending + app0)
        pending = b""
    if meta.exif and len(meta.exif) <= 65_527:
        dst.write(b"\xff\xe1" + struct.pack(">H", len(meta.exif) + 8) + b"Exif\x00\x00" + meta.exif)
    if meta.xmp and len(meta.xmp) <= 65_504:
        dst.write(b"\xff\xe1" + struct.pack(">H", len(meta.xmp) + 31) + _XMP_NS + meta.xmp)
    parts = [meta.icc[i : i + 65_519] for i in range(0, len(meta.icc), 65_519)] if meta.icc else []
    if len(parts) <= 255:
        for k, part in enumerate(parts):
            dst.write(b"\xff\xe2" + struct.pack(">H", len(part) + 16) + b"ICC_PROFILE\x00" + bytes([k + 1, len(parts)]) + part)
    dst.write(pending)
    return b""


def _riff_chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack("<I", len(data)) + data + b"\x00" * (len(data) & 1)


def _webp(src, dst, meta: ImageMetadata) -> bytes:
    head, total = src.read(20), os.fstat(src.fileno()).st_size
    if len(head) < 20 or head[:4] != b"RIFF" or head[8:12] != b"WEBP" or struct.unpack("<I", head[4:8])[0] + 8 != total:
        raise ValueError("not a WebP file")
    kind, (size,) = head[12:16], struct.unpack("<I", head[16:20])
    if kind == b"VP8X":  # OpenCV's own (lossy with alpha): its flags and canvas kept
        vp8x, image = src.read(10), b""
        if size != 10 or len(vp8x) < 10:
            raise ValueError("a bad VP8X chunk")
        flags, canvas, rest = vp8x[0], vp8x[4:10], total - 30
    elif kind in (b"VP8L", b"VP8 "):
        image = head[12:] + src.read(min(size, 10))
        flags, width, height = _bitstream_size(kind, image[8:])
        canvas, rest = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little"), total - 12
    else:
        raise ValueError(f"an unexpected first chunk {kind!r}")
    flags |= (0x20 if meta.icc else 0) | (0x08 if meta.exif else 0) | (0x04 if meta.xmp else 0)
    iccp = _riff_chunk(b"ICCP", meta.icc) if meta.icc else b""
    vp8x = b"VP8X" + struct.pack("<I", 10) + bytes([flags, 0, 0, 0]) + canvas
    after = (_riff_chunk(b"EXIF", meta.exif) if meta.exif else b"") + (_riff_chunk(b"XMP ", meta.xmp) if meta.xmp else b"")
    riff = 4 + len(vp8x) + len(iccp) + rest + len(after)
    dst.write(b"RIFF" + struct.pack("<I", riff) + b"WEBP" + vp8x + iccp + image)
    return after


def _bitstream_size(kind: bytes, first: bytes) -> tuple[int, int, int]:
    """(VP8X alpha flag, width, height) from the first bytes of a VP8L or VP8 bitstream."""
    if kind == b"VP8L" and len(first) >= 5 and first[0] == 0x2F:
        bits = int.from_bytes(first[1:5], "little")
        return (0x10 if bits >> 28 & 1 else 0), (bits & 0x3FFF) + 1, (bits >> 14 & 0x3FFF) + 1
    if kind == b"VP8 " and len(first) >= 10 and first[3:6] == b"\x9d\x01\x2a":
        return 0, int.from_bytes(first[6:8], "little") & 0x3FFF, int.from_bytes(first[8:10], "little") & 0x3FFF
    raise ValueError("a WebP bitstream header that does not parse")


def _tiff(src, dst, meta: ImageMetadata) -> bytes:
    """The header, pointing at a new first IFD (OpenCV's fields and the metadata), returned to be
    appended after the file; the old IFD stays, unreferenced."""
    head, total = src.read(8), os.fstat(src.fileno()).st_size
    parsed = tiff_header(head)
    if parsed is None:
        raise ValueError("not a classic TIFF file")
    order, ifd0 = parsed
    get = _file_reader(src)
    count = get(ifd0, 2)
    entries = _read_ifd(get, ifd0, order, order)
    if len(count) < 2 or len(entries) != struct.unpack(order + "H", count)[0]:
        raise ValueError("an IFD entry that cannot be copied")
    ours = _tiff_fields(meta, order)
    entries = [e for e in entries if e[0] not in {f[0] for f in ours}] + ours
    base = total + (total & 1)
    ifd = _pack_ifd(entries, base, order)
    if base + len(ifd) >= 1 << 32:
        raise ValueError("no room for metadata in a classic TIFF file")
    src.seek(8)
    dst.write(head[:4] + struct.pack(order + "I", base))
    return b"\x00" * (total & 1) + ifd


def _file_reader(f) -> Callable[[int, int], bytes]:
    return lambda at, n: f.read(n) if f.seek(at) == at else b""


def _tiff_fields(meta: ImageMetadata, order: str) -> list:
    fields: list = []
    if meta.icc:
        fields.append((_ICC_TAG, 7, len(meta.icc), meta.icc))
    if meta.xmp:
        fields.append((_XMP_TAG, 1, len(meta.xmp), meta.xmp))
    head = tiff_header(meta.exif) if meta.exif else None
    for tag, typ, count, value in _read_ifd(lambda at, n: meta.exif[at : at + n], head[1], head[0], order) if head else []:
        if tag == _EXIF_IFD:
            value = [e for e in value if e[0] != _MAKER_NOTE]
        if (tag in _CAMERA_TAGS and typ == 2) or (tag in (_EXIF_IFD, _GPS_IFD) and value):
            fields.append((tag, typ, count, value))
    return fields
