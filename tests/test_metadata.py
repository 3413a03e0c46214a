"""Photos keep their colour profile and metadata: ICC, EXIF and XMP read from PNG, JPEG, WebP and TIFF
and written into each output format, the EXIF orientation applied exactly once, every output still
decoded by both Pillow and OpenCV, and no metadata meaning OpenCV's own bytes."""

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps, PngImagePlugin, TiffImagePlugin, features

from drrn_tf.io.images import read_image, write_image
from drrn_tf.io.metadata import ImageMetadata, embed_metadata

H, W = 40, 64  # the photo as stored: wide; with Orientation 6 (rotate 90 degrees clockwise) it is shown 40 wide, 64 tall
MODEL, TAKEN = "Pixel 9", "2024:05:01 12:34:56"


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _display_p3() -> bytes:
    """A genuine ICC v4 matrix/TRC display profile with Display P3's primaries (D65 white, adapted to
    D50 as ICC requires) and the sRGB tone curve: the structure of Apple's own Display P3 profile."""

    def mluc(text: str) -> bytes:
        s = text.encode("utf-16-be")
        return b"mluc" + bytes(4) + struct.pack(">II", 1, 12) + b"enUS" + struct.pack(">II", len(s), 28) + s

    def xyz(*v: float) -> bytes:
        return b"XYZ " + bytes(4) + b"".join(map(_s15, v))

    para = b"para" + bytes(4) + struct.pack(">HH", 3, 0) + b"".join(_s15(v) for v in (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045))
    chad = b"sf32" + bytes(4) + b"".join(_s15(v) for v in (1.047882, 0.022919, -0.050201, 0.029587, 0.990479, -0.017059, -0.009232, 0.015076, 0.751678))
    tags = [
        (b"desc", mluc("Display P3")),
        (b"cprt", mluc("Public domain test profile")),
        (b"wtpt", xyz(0.964203, 1.0, 0.824905)),
        (b"rXYZ", xyz(0.515121, 0.241196, -0.001053)),
        (b"gXYZ", xyz(0.291977, 0.692245, 0.041885)),
        (b"bXYZ", xyz(0.157104, 0.066574, 0.784073)),
        (b"rTRC", para),
        (b"gTRC", para),
        (b"bTRC", para),
        (b"chad", chad),
    ]
    start = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        table += sig + struct.pack(">II", start + len(body), len(data))
        body += data + bytes(-len(data) % 4)
    header = (
        struct.pack(">I", start + len(body))
        + b"lcms"
        + bytes([4, 0x30, 0, 0])
        + b"mntrRGB XYZ "
        + struct.pack(">6H", 2024, 5, 1, 12, 0, 0)
        + b"acspAPPL"
        + bytes(24)  # flags, manufacturer, model, attributes, rendering intent
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + b"lcms"
        + bytes(44)  # profile ID (not computed), reserved
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


P3 = _display_p3()
XMP = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about=""'
    b' xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
    b' tiff:Orientation="6" exif:PixelXDimension="64" exif:PixelYDimension="40">'
    b"<dc:creator><rdf:Seq><rdf:li>drrn test</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"
    b'<?xpacket end="w"?>'
)
XMP_OUT = (
    XMP.replace(b'Orientation="6"', b'Orientation="1"')
    .replace(b'PixelXDimension="64"', b'PixelXDimension="40"')
    .replace(b'PixelYDimension="40"', b'PixelYDimension="64"')
)


def test_the_profile_is_a_real_display_p3_profile():
    if not features.check("littlecms2"):
        pytest.skip("Pillow built without LittleCMS")
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(io.BytesIO(P3))
    assert ImageCms.getProfileDescription(profile).strip() == "Display P3"
    to_srgb = ImageCms.buildTransform(profile, ImageCms.createProfile("sRGB"), "RGB", "RGB")
    got = np.asarray(ImageCms.applyTransform(Image.fromarray(np.array([[[128, 128, 128], [255, 0, 0], [0, 255, 0]]], np.uint8)), to_srgb))
    assert np.abs(got[0, 0].astype(int) - 128).max() <= 2  # same white and tone curve as sRGB: grey stays grey
    assert got[0, 1, 0] == 255 and got[0, 1, 1:].max() <= 5  # P3 red lies outside sRGB: clipped to sRGB red
    assert got[0, 2, 1] == 255 and got[0, 2, 0] <= 5


def _exif(byte_order: str = ">") -> Image.Exif:
    exif = Image.Exif()
    exif.endian = byte_order
    exif[0x010F], exif[0x0110], exif[0x0112], exif[0x0131], exif[0x0132] = "Google", MODEL, 6, "HDR+ 1.0", TAKEN
    sub = exif.get_ifd(0x8769)
    sub[0x9003], sub[0xA002], sub[0xA003], sub[0x829A] = TAKEN, W, H, TiffImagePlugin.IFDRational(1, 120)
    gps = exif.get_ifd(0x8825)
    gps[0], gps[1], gps[2], gps[3], gps[4] = b"\x02\x02\x00\x00", "N", (37.0, 25.0, 19.2), "W", (122.0, 5.0, 2.4)
    return exif


def _stored() -> np.ndarray:
    y, x = np.mgrid[0:H, 0:W]
    a = np.dstack([x * 2 + 40, y * 3 + 40, np.full((H, W), 90)]).astype(np.uint8)
    a[:12, :12] = (255, 0, 0)  # a red mark at the stored top-left: shown at the top-right
    return a


def _photo(tmp_path, byte_order=">"):
    path = tmp_path / "phone.jpg"
    Image.fromarray(_stored()).save(path, quality=92, exif=_exif(byte_order).tobytes(), icc_profile=P3, xmp=XMP)
    return path


# ------------------------------------------------------------------------------------------ file structure


def _png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    kinds, pos = [], 8
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos : pos + 8])
        assert struct.unpack(">I", data[pos + 8 + n : pos + 12 + n])[0] == zlib.crc32(data[pos + 4 : pos + 8 + n]), kind
        kinds.append(kind)
        pos += 12 + n
    assert pos == len(data) and kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    return kinds


def _riff_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP" and struct.unpack("<I", data[4:8])[0] + 8 == len(data)
    chunks, pos = [], 12
    while pos < len(data):
        kind, n = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        chunks.append((kind, data[pos + 8 : pos + 8 + n]))
        pos += 8 + n + (n & 1)
    assert pos == len(data)
    return chunks


def _jpeg_segments(data: bytes) -> list[bytes]:
    assert data[:2] == b"\xff\xd8"
    out, pos = [], 2
    while data[pos + 1] != 0xDA:  # up to the scan
        n = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        out.append(data[pos + 1 : pos + 2] + data[pos + 4 : pos + 4 + min(n - 2, 29)])
        pos += 2 + n
    return out


def _check_layout(path, icc=True, exif=True, xmp=True):
    data = path.read_bytes()
    suffix = path.suffix
    if suffix == ".png":
        kinds = _png_chunks(data)
        want = [k for k, on in ((b"iCCP", icc), (b"eXIf", exif), (b"iTXt", xmp)) if on]
        assert kinds[1 : 1 + len(want)] == want and kinds.index(b"IDAT") > len(want)
    elif suffix == ".webp":
        chunks = _riff_chunks(data)
        kinds = [k for k, _ in chunks]
        assert kinds[0] == b"VP8X" and len(chunks[0][1]) == 10
        flags, width, height = chunks[0][1][0], int.from_bytes(chunks[0][1][4:7], "little") + 1, int.from_bytes(chunks[0][1][7:10], "little") + 1
        with Image.open(path) as im:
            assert (width, height) == im.size
            assert bool(flags & 0x10) == (im.mode == "RGBA")
        assert bool(flags & 0x20) == icc and bool(flags & 0x08) == exif and bool(flags & 0x04) == xmp
        image = [i for i, k in enumerate(kinds) if k in (b"VP8 ", b"VP8L")]
        assert len(image) == 1
        assert (b"ICCP" in kinds[1 : image[0]]) == icc
        assert kinds[image[0] + 1 :] == [k for k, on in ((b"EXIF", exif), (b"XMP ", xmp)) if on]
    elif suffix == ".jpg":
        segments = _jpeg_segments(data)
        assert segments[0][:1] == b"\xe0"  # JFIF first, then ours
        ours = [s for s in segments[1:4] if s[:1] in (b"\xe1", b"\xe2")]
        assert [s[:5] for s in ours] == [m for m, on in ((b"\xe1Exif", exif), (b"\xe1http", xmp), (b"\xe2ICC_", icc)) if on]


# ------------------------------------------------------------------------------------------ the photo


def _check_photo(out, shown, lossy):
    """``out`` decodes in Pillow and OpenCV as ``shown`` (no second rotation) with the photo's metadata."""
    with Image.open(out) as im:
        im.load()
        assert im.size == (H, W)  # the shown size: rotated once
        assert im.info.get("icc_profile") == P3
        exif = im.getexif()
        assert exif.get(0x0112, 1) == 1
        assert exif[0x0110] == MODEL and exif[0x010F] == "Google"
        sub = exif.get_ifd(0x8769)
        assert sub[0x9003] == TAKEN and (sub[0xA002], sub[0xA003]) == (H, W)
        gps = exif.get_ifd(0x8825)
        assert gps[1] == "N" and [float(v) for v in gps[2]] == pytest.approx([37, 25, 19.2])
        assert gps[3] == "W" and [float(v) for v in gps[4]] == pytest.approx([122, 5, 2.4])
        assert im.info.get("xmp") == XMP_OUT
        assert ImageOps.exif_transpose(im).size == (H, W)  # a viewer does not rotate again
        pil = np.asarray(im.convert("RGB"))
    bgr = cv2.imread(str(out), cv2.IMREAD_COLOR)  # OpenCV applies the EXIF orientation too
    assert bgr is not None and bgr.shape == (W, H, 3)
    for got in (pil, bgr[..., ::-1]):
        if lossy:
            assert np.abs(got.astype(int) - shown).mean() < 4
        else:
            np.testing.assert_array_equal(got, shown)
        mark, other = got[2:10, -10:-2].mean(axis=(0, 1)), got[2:10, 2:10].mean(axis=(0, 1))
        assert mark[0] > 200 and mark[1:].max() < 60 and other[0] < 200  # the red corner is at the top-right


@pytest.mark.parametrize("byte_order", [">", "<"])
@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp", ".tif"])
def test_a_display_p3_phone_photo_keeps_its_profile_exif_and_xmp(tmp_path, suffix, byte_order):
    src = _photo(tmp_path, byte_order)
    image = read_image(src)
    meta = image.metadata
    assert meta.format == "JPEG" and meta.icc == P3 and meta.xmp == XMP and meta.jpeg_quality == 92
    assert meta.exif == Image.open(src).info["exif"][6:]  # the block as stored
    with Image.open(src) as im:
        np.testing.assert_array_equal(image.pixels, np.rot90(np.asarray(im), -1))  # rotated once, on reading
    out = write_image(tmp_path / f"out{suffix}", image.pixels, metadata=meta)
    _check_layout(out)
    _check_photo(out, image.pixels, lossy=suffix in (".jpg", ".webp"))
    again = read_image(out)  # and it reads back with the same metadata, nothing rotated
    assert again.pixels.shape == image.pixels.shape and again.metadata.icc == P3 and again.metadata.xmp == XMP_OUT
    exif = Image.Exif()
    exif.load(b"Exif\x00\x00" + again.metadata.exif)
    assert exif[0x0110] == MODEL and exif.get(0x0112, 1) == 1 and exif.get_ifd(0x8769)[0x9003] == TAKEN
    assert [float(v) for v in exif.get_ifd(0x8825)[2]] == pytest.approx([37, 25, 19.2])


def test_every_input_format_gives_its_metadata(tmp_path):
    px = _stored()
    exif = _exif().tobytes()
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    Image.fromarray(px).save(tmp_path / "a.png", exif=exif, icc_profile=P3, pnginfo=info)
    Image.fromarray(px).save(tmp_path / "a.webp", exif=exif, icc_profile=P3, xmp=XMP, lossless=True)
    tiff_exif = _exif()
    tiff_exif[700] = XMP  # a TIFF's XMP is a tag of its first IFD (Pillow's tiffinfo would replace the EXIF)
    Image.fromarray(px).save(tmp_path / "a.tif", exif=tiff_exif, icc_profile=P3)
    for name in ("a.png", "a.webp", "a.tif"):
        image = read_image(tmp_path / name)
        meta = image.metadata
        assert image.pixels.shape == (W, H, 3), name
        assert meta.format == {"a.png": "PNG", "a.webp": "WEBP", "a.tif": "TIFF"}[name] and meta.jpeg_quality is None
        assert meta.icc == P3 and meta.xmp == XMP, name
        exif_read = Image.Exif()
        exif_read.load(b"Exif\x00\x00" + meta.exif)
        assert exif_read[0x0110] == MODEL and exif_read[0x0132] == TAKEN, name
        if name != "a.tif":  # Pillow writes no Exif or GPS IFD into a TIFF (a TIFF's own are read in the photo test)
            assert exif_read.get_ifd(0x8769)[0x9003] == TAKEN and exif_read.get_ifd(0x8825)[1] == "N", name
    Image.fromarray(px).save(tmp_path / "a.bmp")
    assert read_image(tmp_path / "a.bmp").metadata == ImageMetadata("BMP")


def test_16bit_png_and_tiff_keep_a_profile(tmp_path, rng):
    px = rng.integers(0, 65536, (9, 13, 3), dtype=np.uint16)
    for suffix in (".png", ".tif"):
        out = write_image(tmp_path / f"deep{suffix}", px, metadata=ImageMetadata("PNG", icc=P3))
        _check_layout(out, exif=False, xmp=False)
        with Image.open(out) as im:
            assert im.info["icc_profile"] == P3
        cv = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
        assert cv.dtype == np.uint16
        np.testing.assert_array_equal(cv[..., ::-1], px)
        back = read_image(out)
        np.testing.assert_array_equal(back.pixels, px)
        assert back.metadata.icc == P3


@pytest.mark.parametrize("suffix", [".png", ".webp", ".tif"])
def test_rgba_keeps_a_profile_and_its_alpha(tmp_path, rng, suffix):
    px = np.dstack([_stored(), np.tile(np.linspace(0, 255, W, dtype=np.uint8), (H, 1))])
    out = write_image(tmp_path / f"rgba{suffix}", px, metadata=ImageMetadata("PNG", icc=P3, exif=_exif().tobytes()[6:], xmp=XMP))
    _check_layout(out)
    with Image.open(out) as im:
        assert im.mode == "RGBA" and im.info["icc_profile"] == P3 and im.getexif()[0x0110] == MODEL
        pil = np.asarray(im)
    cv = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert cv.shape == (H, W, 4)
    for got in (pil, cv[..., [2, 1, 0, 3]]):
        assert np.abs(got.astype(int) - px).mean() < (4 if suffix == ".webp" else 1e-9)


@pytest.mark.parametrize("alpha", [False, True])
def test_a_lossless_webp_gets_the_extended_header(tmp_path, alpha):
    # OpenCV writes lossless WebP only above quality 100: the simple VP8L layout, made by Pillow here
    px = _stored() if not alpha else np.dstack([_stored(), np.full((H, W), 77, np.uint8)])
    Image.fromarray(px).save(tmp_path / "plain.webp", lossless=True)
    assert _riff_chunks((tmp_path / "plain.webp").read_bytes())[0][0] == b"VP8L"
    embed_metadata(tmp_path / "plain.webp", tmp_path / "out.webp", ".webp", ImageMetadata("WEBP", icc=P3, exif=_exif().tobytes()[6:], xmp=XMP))
    _check_layout(tmp_path / "out.webp")
    with Image.open(tmp_path / "out.webp") as im:
        np.testing.assert_array_equal(np.asarray(im), px)
        assert im.info["icc_profile"] == P3 and im.info["xmp"] == XMP
    cv = cv2.imread(str(tmp_path / "out.webp"), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(cv[..., [2, 1, 0, 3][: px.shape[2]]], px)


def test_a_profile_of_the_wrong_colour_space_is_left_out(tmp_path):
    out = write_image(tmp_path / "gray.png", _stored()[..., 0], metadata=ImageMetadata("JPEG", icc=P3, xmp=XMP))
    _check_layout(out, icc=False, exif=False)
    with Image.open(out) as im:
        assert "icc_profile" not in im.info and im.info["xmp"] == XMP.replace(b'Orientation="6"', b'Orientation="1"')  # stored size: 64 x 40


# ------------------------------------------------------------------------------------------ for_output


def test_for_output_sets_the_orientation_once_and_the_size():
    meta = ImageMetadata("JPEG", icc=P3, exif=_exif().tobytes()[6:], xmp=XMP, jpeg_quality=90)
    out = meta.for_output(128, 80, 3)
    assert out.for_output(128, 80, 3) == out  # idempotent
    assert out.icc == P3 and out.jpeg_quality == 90 and len(out.exif) == len(meta.exif)
    exif = Image.Exif()
    exif.load(b"Exif\x00\x00" + out.exif)
    assert exif[0x0112] == 1 and exif[0x0110] == MODEL and exif[0x0132] == TAKEN
    assert (exif.get_ifd(0x8769)[0xA002], exif.get_ifd(0x8769)[0xA003]) == (128, 80)
    assert exif.get_ifd(0x8825)[1] == "N"
    assert b'tiff:Orientation="1"' in out.xmp and b'exif:PixelXDimension="128"' in out.xmp and b'exif:PixelYDimension="80"' in out.xmp
    assert ImageMetadata("PNG", exif=b"II*\x00\xff\xff\x00\x00").for_output(4, 4).exif is None  # unparseable: dropped, never stale
    assert ImageMetadata("PNG", icc=P3).for_output(4, 4, 1).icc is None


def test_a_stale_orientation_is_never_written(tmp_path):
    # metadata passed as read (Orientation 6), not adjusted by the caller: write_image adjusts it
    meta = ImageMetadata("JPEG", exif=_exif().tobytes()[6:])
    for suffix in (".jpg", ".png", ".webp", ".tif"):
        out = write_image(tmp_path / f"o{suffix}", _stored(), metadata=meta)
        with Image.open(out) as im:
            assert im.getexif().get(0x0112, 1) == 1 and im.size == (W, H)
        assert cv2.imread(str(out)).shape == (H, W, 3)


# ------------------------------------------------------------------------------------------ quality, bytes, bad input


@pytest.mark.parametrize("quality", [50, 75, 90, 95])
def test_jpeg_quality_is_read_back(tmp_path, quality):
    Image.fromarray(_stored()).save(tmp_path / "q.jpg", quality=quality)
    assert abs(read_image(tmp_path / "q.jpg").metadata.jpeg_quality - quality) <= 1
    write_image(tmp_path / "cv.jpg", _stored(), quality=quality)
    assert abs(read_image(tmp_path / "cv.jpg").metadata.jpeg_quality - quality) <= 1
    Image.fromarray(_stored()).save(tmp_path / "q.png")
    assert read_image(tmp_path / "q.png").metadata.jpeg_quality is None


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".tif", ".bmp"])
def test_no_metadata_writes_opencvs_own_bytes(tmp_path, rng, suffix):
    px = rng.integers(0, 256, (21, 34, 3), dtype=np.uint8)
    params = {".jpg": [cv2.IMWRITE_JPEG_QUALITY, 95], ".webp": [cv2.IMWRITE_WEBP_QUALITY, 95]}.get(suffix, [])
    assert cv2.imwrite(str(tmp_path / f"ref{suffix}"), np.ascontiguousarray(px[..., ::-1]), params)
    ref = (tmp_path / f"ref{suffix}").read_bytes()
    assert write_image(tmp_path / f"none{suffix}", px).read_bytes() == ref
    assert write_image(tmp_path / f"empty{suffix}", px, metadata=ImageMetadata("PNG")).read_bytes() == ref
    if suffix == ".bmp":  # BMP holds none: the same bytes with metadata given
        assert write_image(tmp_path / "full.bmp", px, metadata=ImageMetadata("JPEG", icc=P3, exif=_exif().tobytes()[6:], xmp=XMP)).read_bytes() == ref
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary file left


def _jpeg_with_app1(payload: bytes) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(_stored()).save(buf, "JPEG", quality=90, icc_profile=P3)
    data = buf.getvalue()
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]


@pytest.mark.parametrize(
    "payload,kept",
    [
        (b"Exif\x00\x00garbage, not a TIFF header", False),
        (b"Exif\x00\x00II*\x00\xff\xff\xff\x7f", False),  # IFD0 past the end
        (b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x01", False),  # a cut IFD
        (b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x02\x00\x02\x00\x00\x00\x36\x00\x00\x00\x00\x00\x00\x00", True),  # Orientation "6" as text
        (b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\xff\xff\xff\xff\x08\x00\x00\x00\x00\x00\x00\x00", True),  # count 2**32 - 1
        (b"http://ns.adobe.com/xap/1.0/\x00\xff\xfe not UTF-8 <x:xmpmeta", False),
    ],
)
def test_malformed_metadata_does_not_make_reading_fail(tmp_path, payload, kept):
    path = tmp_path / "bad.jpg"
    path.write_bytes(_jpeg_with_app1(payload))
    image = read_image(path)
    with Image.open(io.BytesIO(_jpeg_with_app1(b"XXXX"))) as im:
        np.testing.assert_array_equal(image.pixels, np.asarray(im))  # no orientation applied
    assert image.metadata.icc == P3 and image.metadata.xmp is None and image.metadata.jpeg_quality == 90
    assert (image.metadata.exif is not None) == kept
    for suffix in (".png", ".jpg", ".webp", ".tif"):  # and it writes, the orientation written 1
        out = write_image(tmp_path / f"out{suffix}", image.pixels, metadata=image.metadata)
        with Image.open(out) as im:
            assert im.size == (W, H) and im.getexif().get(0x0112, 1) == 1


def test_a_profile_over_one_jpeg_segment_is_split_and_joined(tmp_path):
    big = bytearray(P3 + bytes(150_000))  # a private tag's worth of padding: three APP2 segments
    big[:4] = struct.pack(">I", len(big))
    big = bytes(big)
    out = write_image(tmp_path / "big.jpg", _stored(), metadata=ImageMetadata("JPEG", icc=big))
    assert [s[:1] + s[13:15] for s in _jpeg_segments(out.read_bytes()) if s[:1] == b"\xe2"] == [b"\xe2\x01\x03", b"\xe2\x02\x03", b"\xe2\x03\x03"]
    with Image.open(out) as im:
        assert im.info["icc_profile"] == big
    assert cv2.imread(str(out)).shape == (H, W, 3)
    assert read_image(out).metadata.icc == big


def test_a_malformed_png_profile_and_exif_chunk_are_left_out(tmp_path):
    buf = io.BytesIO()
    Image.fromarray(_stored()).save(buf, "PNG")
    data = buf.getvalue()

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    bad = chunk(b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(b"not a profile" * 20)) + chunk(b"eXIf", b"MM\x00*\x7f\xff\xff\xff")
    (tmp_path / "bad.png").write_bytes(data[:33] + bad + data[33:])
    image = read_image(tmp_path / "bad.png")
    np.testing.assert_array_equal(image.pixels, _stored())
    assert image.metadata == ImageMetadata("PNG")


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("orientation,where", [(6, "tag"), (3, "tag"), (8, "xmp")])
def test_a_tiffs_orientation_is_applied_once(tmp_path, dtype, orientation, where):
    # Pillow's TIFF decoder applies the orientation itself; OpenCV (16-bit colour) does not
    tifffile = pytest.importorskip("tifffile")  # writes the tag (and XMP-only) orientations Pillow would not
    stored = _stored().astype(dtype) * (257 if dtype == np.uint16 else 1)
    path = tmp_path / "cam.tif"
    tag = (274, 3, 1, orientation, True) if where == "tag" else (700, 1, len(XMP), XMP.replace(b'"6"', f'"{orientation}"'.encode()), True)
    tifffile.imwrite(path, stored, photometric="rgb", extratags=[tag])
    with Image.open(path) as im:
        shown = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    k = {3: 2, 6: -1, 8: 1}[orientation]
    np.testing.assert_array_equal(shown, np.rot90(_stored(), k))  # what a viewer shows
    image = read_image(path)
    assert image.pixels.dtype == dtype
    np.testing.assert_array_equal(image.pixels, np.rot90(stored, k))
