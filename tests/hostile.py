"""Small, deterministic generators of hostile input files for the bad-input tests (a helper, not a test file).

Each generator returns ``bytes`` (or writes into a given path and returns it) and is fast and light on
memory: the large images and archives are written header by header and chunk by chunk with
``struct``/``zlib`` (or a hand-made DEFLATE stream), never built as a big array. Decoding what they make
is the expensive part -- that is the point -- so a test should only decode them where it means to.

Finding behind :func:`jpeg_with_fli_in_app1`: Pillow's ``FliImagePlugin._accept`` looks at bytes 4-5
(little-endian magic 0xAF11/0xAF12) and 14-15 (flags 0 or 3) only, not at bytes 0-3. In a JPEG, bytes 4-5
are the big-endian length of the first segment, so a JPEG whose first segment after SOI is an APP1 of
length 0x11AF (4527) starts ``FF D8 FF E1 11 AF`` -- a JPEG *and* an FLI magic -- and the APP1 payload can
hold a complete 1x1 FLI (header, frame, BLACK chunk). Pillow gives it to FLI (1x1, mode P) whenever FLI is
tried before JPEG or JPEG's parser gives up: ``Image.init()`` in a fresh process registers the plugins in
alphabetical order (FLI before JPEG), and a parameterless TEM marker (``FF 01``) after the APP1, which
libjpeg skips, makes ``JpegImagePlugin`` raise ``SyntaxError("no marker found")`` so the registry walk goes
on to FLI in any order. OpenCV's ``imdecode`` picks its decoder by signature (``FF D8 FF`` -> JPEG) and
decodes the whole width x height image.
"""

from __future__ import annotations

import io
import json
import struct
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np

__all__ = [
    "jpeg_with_fli_in_app1",
    "jpeg_constant",
    "webp_header_only",
    "gif_large",
    "png_large",
    "png_one_row",
    "tiff_second_ifd_without_width",
    "tiff_float",
    "keras_huge_conv",
    "keras_config_bomb",
    "keras_asset_bomb",
    "onnx_constant_of_shape",
    "tflite_fixed_input",
    "tflite_int8",
    "tflite_int64_output",
    "keras_nan_weights",
    "keras_unbuilt_sequential",
    "keras_three_channel",
    "keras_rank3",
    "deflate_run",
]


# --------------------------------------------------------------------------------------------------
# Bits, CRCs and a hand-made DEFLATE stream


class _Bits:
    """An LSB-first bit writer (the bit order of DEFLATE and VP8L); ``zeros`` appends many zero bits fast."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.acc = 0
        self.n = 0

    def bits(self, value: int, count: int) -> None:
        """``count`` bits of ``value``, least significant first."""
        self.acc |= (value & ((1 << count) - 1)) << self.n
        self.n += count
        while self.n >= 8:
            self.out.append(self.acc & 0xFF)
            self.acc >>= 8
            self.n -= 8

    def code(self, code: int, length: int) -> None:
        """A Huffman code, most significant bit first (as DEFLATE packs them)."""
        for i in range(length - 1, -1, -1):
            self.bits((code >> i) & 1, 1)

    def zeros(self, count: int) -> None:
        """``count`` zero bits, the whole bytes of them as one ``bytes`` run."""
        head = min(count, (8 - self.n) % 8)
        self.bits(0, head)
        count -= head
        self.out += bytes(count // 8)
        self.bits(0, count % 8)

    def align(self) -> None:
        if self.n:
            self.bits(0, 8 - self.n)

    def getvalue(self) -> bytes:
        return bytes(self.out) + (bytes([self.acc]) if self.n else b"")


def _gf2_times(mat: list[int], vec: int) -> int:
    s, i = 0, 0
    while vec:
        if vec & 1:
            s ^= mat[i]
        vec >>= 1
        i += 1
    return s


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, mat[n]) for n in range(32)]


def _crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """zlib's ``crc32_combine``: the CRC-32 of A+B from crc(A), crc(B) and len(B)."""
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # the operator for one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four
    while True:
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def _crc32_repeat(byte: int, count: int) -> int:
    """CRC-32 of ``bytes([byte]) * count`` without building it (doubling with :func:`_crc32_combine`)."""
    crc, block, length = 0, zlib.crc32(bytes([byte])), 1
    while count:
        if count & 1:
            crc = _crc32_combine(crc, block, length)
        count >>= 1
        if count:
            block = _crc32_combine(block, block, length)
            length *= 2
    return crc


def deflate_run(byte: int, count: int, suffix: bytes = b"") -> tuple[bytes, int, int]:
    """A raw DEFLATE stream of ``count`` copies of ``byte`` then ``suffix``, 2 bits per 258 bytes; (data, crc32, size).

    One dynamic-Huffman block whose codes are: length 258 (symbol 285) ``0``, distance 1 ``0``, the literal
    ``10`` and end-of-block ``11`` -- so the body is all zero bytes -- then a final stored block with ``suffix``.
    """
    if count < 1 or len(suffix) > 0xFFFF:
        raise ValueError("count must be >= 1 and suffix at most 65535 bytes")
    w = _Bits()
    w.bits(0, 1)  # BFINAL = 0
    w.bits(2, 2)  # BTYPE = dynamic
    w.bits(286 - 257, 5)  # HLIT: lit/len codes 0..285
    w.bits(0, 5)  # HDIST: one distance code
    order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
    cl_lengths = {18: 1, 1: 2, 2: 2}  # canonical codes: 18 -> 0, 1 -> 10, 2 -> 11
    cl_codes = {18: (0b0, 1), 1: (0b10, 2), 2: (0b11, 2)}
    hclen = max(order.index(s) for s in cl_lengths) + 1
    w.bits(hclen - 4, 4)
    for s in order[:hclen]:
        w.bits(cl_lengths.get(s, 0), 3)

    def zero_run(n: int) -> None:
        while n:
            k = min(n, 138)
            w.code(*cl_codes[18])
            w.bits(k - 11, 7)
            n -= k

    lit_len = [0] * 286
    lit_len[byte], lit_len[256], lit_len[285] = 2, 2, 1
    lengths = lit_len + [1]  # and the one distance code, length 1
    run = 0
    for ln in lengths:
        if ln == 0:
            run += 1
            continue
        zero_run(run)
        run = 0
        w.code(*cl_codes[ln])
    # canonical lit/len codes: 285 -> 0 (1 bit); then the two 2-bit codes in symbol order
    lit_code, eob_code = (0b10, 2), (0b11, 2)
    w.code(*lit_code)  # the first copy is a literal
    pairs, rest = divmod(count - 1, 258)
    w.zeros(2 * pairs)  # each (length 258, distance 1) pair is the two 1-bit codes 0 0
    for _ in range(rest):
        w.code(*lit_code)
    w.code(*eob_code)
    w.bits(1, 1)  # BFINAL = 1
    w.bits(0, 2)  # BTYPE = stored
    w.align()
    w.bits(len(suffix), 16)
    w.bits(len(suffix) ^ 0xFFFF, 16)
    data = w.getvalue() + suffix
    crc = _crc32_combine(_crc32_repeat(byte, count), zlib.crc32(suffix), len(suffix))
    return data, crc, count + len(suffix)


def _write_zip(path: Path, members: list[tuple[str, bytes | tuple[bytes, int, int]]]) -> Path:
    """A zip written by hand: a ``bytes`` member is stored (as keras stores them); a (raw deflate, crc, size) one is deflated."""
    out, central = bytearray(), bytearray()
    for name, content in members:
        if isinstance(content, bytes):
            method, data, crc, size = 0, content, zlib.crc32(content), len(content)
        else:
            method, (data, crc, size) = 8, content
        if size >= 1 << 32 or len(out) + len(data) >= 1 << 32:
            raise ValueError("zip64 is not written here")
        fname = name.encode()
        head = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data), size, len(fname), 0)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(data), size, len(fname), 0, 0, 0, 0, 0, len(out))
        central += fname
        out += head + fname + data
    n = len(members)
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(central), len(out), 0)
    path = Path(path)
    path.write_bytes(out)
    return path


# --------------------------------------------------------------------------------------------------
# Images


def _fli_1x1() -> bytes:
    """The 128-byte FLI header of a one-frame 1x1 animation, then that frame (one BLACK chunk)."""
    head = bytearray(128)
    struct.pack_into("<IHHHHHHI", head, 0, 0, 0xAF11, 1, 1, 1, 8, 0, 5)  # size, magic, frames, w, h, depth, flags, speed
    chunk = struct.pack("<IH", 16, 13) + bytes(10)  # BLACK, padded to 16 bytes
    frame = struct.pack("<IHH", 16 + len(chunk), 0xF1FA, 1) + bytes(8) + chunk
    return bytes(head) + frame


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", marker, len(payload) + 2) + payload


def jpeg_constant(width: int = 8000, height: int = 6000, extra: bytes = b"") -> bytes:
    """A genuine baseline gray JPEG of width x height, one colour (128), 2 bits per 8x8 block; ``extra`` goes right after SOI."""
    blocks = -(-width // 8) * -(-height // 8)
    bits = 2 * blocks  # DC difference 0 (code 0) and end-of-block (code 0) per block
    scan = bytes(bits // 8) + (bytes([0xFF >> (bits % 8)]) if bits % 8 else b"")  # pad with 1-bits
    one_code = bytes([1] + [0] * 15)  # one Huffman code, of length 1
    return b"".join(
        [
            b"\xff\xd8",
            extra,
            _jpeg_segment(0xFFDB, b"\x00" + bytes([1] * 64)),
            _jpeg_segment(0xFFC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"),
            _jpeg_segment(0xFFC4, b"\x00" + one_code + b"\x00"),  # DC table 0: category 0
            _jpeg_segment(0xFFC4, b"\x10" + one_code + b"\x00"),  # AC table 0: EOB
            _jpeg_segment(0xFFDA, b"\x01\x01\x00\x00\x3f\x00"),
            scan,
            b"\xff\xd9",
        ]
    )


def jpeg_with_fli_in_app1(width: int = 8000, height: int = 6000, tem: bool = True) -> bytes:
    """A JPEG (width x height, ~190 KB) that Pillow opens as a 1x1 FLI: FLI header in an APP1 of length 0xAF11 (see module doc)."""
    fli = _fli_1x1()
    app1 = b"\xff\xe1" + b"\x11\xaf" + fli[6:] + bytes(0x11AF - 2 - (len(fli) - 6))  # bytes 0-5 are FF D8 FF E1 11 AF
    return jpeg_constant(width, height, extra=app1 + (b"\xff\x01" if tem else b""))


def webp_header_only(width: int = 16383, height: int = 12000, rgba: tuple[int, int, int, int] = (128, 128, 128, 255)) -> bytes:
    """A genuine lossless WebP of width x height in ~40 bytes: VP8L with five one-symbol prefix codes (0 bits per pixel)."""
    if not (1 <= width <= 16384 and 1 <= height <= 16384):
        raise ValueError("VP8L holds 1..16384 per side")
    w = _Bits()
    w.bits(0x2F, 8)
    w.bits(width - 1, 14)
    w.bits(height - 1, 14)
    w.bits(0, 1)  # alpha_is_used (a hint)
    w.bits(0, 3)  # version
    w.bits(0, 1)  # no transform
    w.bits(0, 1)  # no colour cache
    w.bits(0, 1)  # no meta prefix codes
    r, g, b, a = rgba
    for symbol in (g, r, b, a, 0):  # green, red, blue, alpha, distance
        w.bits(1, 1)  # simple code
        w.bits(0, 1)  # one symbol
        if symbol < 2:
            w.bits(0, 1)
            w.bits(symbol, 1)
        else:
            w.bits(1, 1)
            w.bits(symbol, 8)
    data = w.getvalue()
    chunk = b"VP8L" + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def gif_large(width: int = 13000, height: int = 13000) -> bytes:
    """A genuine GIF89a of width x height, one colour: LZW runs of 1, 2, 3, ... pixels with a clear code every 4087 codes."""
    w = _Bits()
    clear, eoi = 4, 5  # minimum code size 2

    def width_for(next_code: int) -> int:
        return min(12, max(3, next_code.bit_length()))

    left, last = width * height, 0
    while left:
        w.bits(clear, width_for(5 + last) if last else 3)  # at the width the decoder reads its next code with
        j = 0  # codes written since the clear; the decoder's next free code is then 5 + j (6 before the first)
        while left and j < 4087:
            run = min(j + 1, left)
            w.bits(0 if run == 1 else 4 + run, width_for(5 + j if j else 6))
            left -= run
            j += 1
        last = j
    w.bits(eoi, width_for(5 + last))
    lzw = w.getvalue()
    blocks = b"".join(bytes([len(lzw[i : i + 255])]) + lzw[i : i + 255] for i in range(0, len(lzw), 255))
    palette = bytes([128, 128, 128, 0, 0, 0, 255, 255, 255, 255, 0, 0])
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", width, height, 0xF1, 0, 0)  # global table of 4 colours
        + palette
        + b"\x2c"
        + struct.pack("<HHHHB", 0, 0, width, height, 0)
        + b"\x02"
        + blocks
        + b"\x00\x3b"
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, bit_depth: int, colour: int, idat: bytes) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + idat + _png_chunk(b"IEND", b"")


def _png_zero_rows(width: int, height: int, bit_depth: int, channels: int) -> bytes:
    """IDAT chunks of ``height`` all-zero rows, deflated a few MB at a time."""
    row = 1 + -(-width * channels * bit_depth // 8)
    co = zlib.compressobj(9)
    chunks: list[bytes] = []
    per = max(1, (4 << 20) // row)
    block = bytes(row * per)
    done = 0
    while done < height:
        n = min(per, height - done)
        chunks.append(co.compress(block if n == per else bytes(row * n)))
        done += n
    chunks.append(co.flush())
    data = b"".join(chunks)
    return b"".join(_png_chunk(b"IDAT", data[i : i + (1 << 20)]) for i in range(0, len(data), 1 << 20))


def png_large(width: int = 14000, height: int = 14000, rgb: bool = False) -> bytes:
    """A genuine black PNG of width x height (8-bit gray, ~190 KB; RGB ~570 KB), deflated block by block."""
    return _png(width, height, 8, 2 if rgb else 0, _png_zero_rows(width, height, 8, 3 if rgb else 1))


def png_one_row(width: int = 199_999_999, bit_depth: int = 1, real: bool = True) -> bytes:
    """A 1 x width gray PNG: real (1-bit ~24 KB, 8-bit ~190 KB), or with ``real=False`` a ~70-byte header with a cut IDAT."""
    if real:
        return _png(width, 1, bit_depth, 0, _png_zero_rows(width, 1, bit_depth, 1))
    co = zlib.compressobj(9)
    return _png(width, 1, bit_depth, 0, _png_chunk(b"IDAT", co.compress(b"\0") + co.flush(zlib.Z_SYNC_FLUSH)))


def _tiff_ifd(entries: list[tuple[int, int, int, int]], next_offset: int) -> bytes:
    """A little-endian IFD of (tag, type, count, value) entries, values inline."""
    out = struct.pack("<H", len(entries))
    for tag, typ, count, value in sorted(entries):
        out += struct.pack("<HHI", tag, typ, count) + (struct.pack("<HH", value, 0) if typ == 3 else struct.pack("<I", value))
    return out + struct.pack("<I", next_offset)


def tiff_second_ifd_without_width(width: int = 8, height: int = 8) -> bytes:
    """A 2-page gray TIFF: page 0 a valid width x height image, page 1's IFD without ImageWidth (tag 256)."""
    pixels = bytes((x * 255 // max(1, width - 1)) for _ in range(height) for x in range(width))
    data_at = 8
    ifd0_at = data_at + len(pixels) + (len(pixels) % 2)
    common = [(257, 3, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1), (273, 4, 1, data_at), (277, 3, 1, 1), (278, 3, 1, height)]
    common.append((279, 4, 1, len(pixels)))
    ifd0_len = 2 + 12 * (len(common) + 1) + 4
    ifd1_at = ifd0_at + ifd0_len
    ifd0 = _tiff_ifd([(256, 3, 1, width), *common], ifd1_at)
    ifd1 = _tiff_ifd(common, 0)
    return b"II*\x00" + struct.pack("<I", ifd0_at) + pixels + bytes(len(pixels) % 2) + ifd0 + ifd1


def tiff_float(height: int = 16, width: int = 24) -> tuple[bytes, np.ndarray]:
    """A float32 one-channel TIFF (Pillow mode 'F'), a gradient in [0, 1]; (file bytes, the float32 array)."""
    from PIL import Image

    y, x = np.mgrid[0:height, 0:width]
    a = ((x + y) / max(1, width + height - 2)).astype(np.float32)
    buf = io.BytesIO()
    Image.fromarray(a, mode="F").save(buf, format="TIFF")
    return buf.getvalue(), a


# --------------------------------------------------------------------------------------------------
# Keras archives


def _keras_members(model) -> dict[str, bytes]:
    """The members of ``model`` saved as a .keras archive (saved to memory)."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "m.keras"
        model.save(p)
        with zipfile.ZipFile(p) as zf:
            return {n: zf.read(n) for n in zf.namelist()}


def _small_conv(channels: int = 1, filters: int = 4):
    import keras

    keras.utils.set_random_seed(0)
    x = keras.Input((None, None, channels))
    return keras.Model(x, keras.layers.Conv2D(filters, 3, padding="same", name="conv")(x), name="small")


def keras_huge_conv(path: str | Path, channels: int = 12000, filters: int = 12000) -> Path:
    """A ~14 KB .keras whose config declares Conv2D channels -> filters (3x3; 12000x12000 is 5.2 GB of float32 kernel); its weights are a 1->4 conv's."""
    members = _keras_members(_small_conv())
    config = json.loads(members["config.json"])

    def patch(node):
        if isinstance(node, dict):
            if node.get("class_name") == "Conv2D":
                node["config"]["filters"] = filters
            for key in ("batch_shape", "batch_input_shape", "input_shape", "shape"):
                v = node.get(key)
                if isinstance(v, list) and v and v[-1] == 1:
                    node[key] = [*v[:-1], channels]
            for v in node.values():
                patch(v)
        elif isinstance(node, list):
            for v in node:
                patch(v)

    patch(config)
    members["config.json"] = json.dumps(config).encode()
    return _write_zip(Path(path), list(members.items()))


def keras_config_bomb(path: str | Path, size: int = 7 << 29) -> Path:
    """A ~3.6 MB .keras whose config.json inflates to ``size`` bytes (3.5 GiB: spaces, then a real config), under keras's 4 GiB guard."""
    members = _keras_members(_small_conv())
    config = members.pop("config.json")
    bomb = deflate_run(0x20, size - len(config), config)
    return _write_zip(Path(path), [("metadata.json", members.pop("metadata.json")), ("config.json", bomb), *members.items()])


def keras_asset_bomb(path: str | Path, size: int = 2_000_000_000) -> Path:
    """A ~2 MB valid small .keras plus an ``assets/blob.bin`` member that inflates to ``size`` zero bytes (2 GB)."""
    members = _keras_members(_small_conv())
    return _write_zip(Path(path), [*members.items(), ("assets/blob.bin", deflate_run(0, size))])


def _conftest():
    mod = sys.modules.get("conftest")
    if mod is None or not hasattr(mod, "identity_drrn"):
        import importlib.util

        spec = importlib.util.spec_from_file_location("_hostile_conftest", Path(__file__).with_name("conftest.py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    return mod


def keras_nan_weights(path: str | Path) -> Path:
    """A small valid DRRN (tests' ``identity_drrn``) saved as .keras with one weight (conv_in's first kernel value) set to NaN."""
    model = _conftest().identity_drrn()
    w = next(v for v in model.weights if v.path.endswith("kernel"))
    k = np.array(w.numpy())
    k.flat[0] = np.nan
    w.assign(k)
    model.save(Path(path))
    return Path(path)


def keras_unbuilt_sequential(path: str | Path) -> Path:
    """A .keras of an unbuilt ``keras.Sequential([Conv2D(1, 3)])`` (no input shape, no weights)."""
    import warnings

    import keras

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "saving a model that has not yet been built": the point
        keras.Sequential([keras.layers.Conv2D(1, 3)]).save(Path(path))
    return Path(path)


def keras_three_channel(path: str | Path) -> Path:
    """A small .keras taking (None, None, 3) RGB: a 3x3 Conv2D 3 -> 3."""
    _small_conv(channels=3, filters=3).save(Path(path))
    return Path(path)


def keras_rank3(path: str | Path) -> Path:
    """A .keras whose input is rank 3, (batch, H, W) with no channel axis: one ReLU."""
    import keras

    x = keras.Input((None, None))
    keras.Model(x, keras.layers.ReLU()(x), name="rank3").save(Path(path))
    return Path(path)


# --------------------------------------------------------------------------------------------------
# ONNX and TFLite


def onnx_constant_of_shape(n: int = 40000) -> bytes:
    """A ~170-byte ONNX model: an (unused) NHWC image input, output = ConstantOfShape([1, n, n, 1]) (n=40000: 6.4 GB float32)."""
    import onnx
    from onnx import TensorProto, helper

    shape = helper.make_tensor("shape", TensorProto.INT64, [4], [1, n, n, 1])
    node = helper.make_node("ConstantOfShape", ["shape"], ["y"], value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0.0]))
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "h", "w", 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, n, n, 1])],
        initializer=[shape],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="hostile")
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _tflite(tensors: list[dict], ops: list[tuple[str, list[int], list[int]]], inputs: list[int], outputs: list[int]) -> bytes:
    """A TFLite flatbuffer from the schema's object API: one subgraph, no constant buffers."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as s

    model = s.ModelT()
    model.version = 3
    model.description = "hostile"
    model.buffers = [s.BufferT()]
    buffer_of = {}
    for i, spec in enumerate(tensors):  # constant tensors get a buffer of their own
        if "data" in spec:
            buf = s.BufferT()
            buf.data = list(np.asarray(spec["data"]).tobytes())
            buffer_of[i] = len(model.buffers)
            model.buffers.append(buf)
    names = [op[0] for op in ops]
    codes = []
    for n in dict.fromkeys(names):
        oc = s.OperatorCodeT()
        oc.builtinCode = oc.deprecatedBuiltinCode = getattr(s.BuiltinOperator, n)
        oc.version = 1
        codes.append(oc)
    model.operatorCodes = codes
    g = s.SubGraphT()
    g.name = "main"
    g.tensors = []
    for i, spec in enumerate(tensors):
        t = s.TensorT()
        t.name = spec["name"]
        t.shape = list(spec["shape"])
        t.shapeSignature = list(spec.get("signature", spec["shape"]))
        t.type = getattr(s.TensorType, spec["type"])
        t.buffer = buffer_of.get(i, 0)
        if "quant" in spec:
            q = s.QuantizationParametersT()
            q.scale, q.zeroPoint = [spec["quant"][0]], [spec["quant"][1]]
            q.quantizedDimension = 0
            t.quantization = q
        g.tensors.append(t)
    g.operators = []
    for n, ins, outs in ops:
        op = s.OperatorT()
        op.opcodeIndex = list(dict.fromkeys(names)).index(n)
        op.inputs, op.outputs = ins, outs
        if n == "ADD":
            op.builtinOptionsType = s.BuiltinOptions.AddOptions
            op.builtinOptions = s.AddOptionsT()
        elif n == "CONV_2D":
            op.builtinOptionsType = s.BuiltinOptions.Conv2DOptions
            opts = op.builtinOptions = s.Conv2DOptionsT()
            opts.padding, opts.strideH, opts.strideW = s.Padding.SAME, 1, 1
            opts.dilationHFactor = opts.dilationWFactor = 1
        elif n == "CAST":
            op.builtinOptionsType = s.BuiltinOptions.CastOptions
            op.builtinOptions = s.CastOptionsT()
            op.builtinOptions.inDataType = g.tensors[ins[0]].type
            op.builtinOptions.outDataType = g.tensors[outs[0]].type
        g.operators.append(op)
    g.inputs, g.outputs = inputs, outputs
    model.subgraphs = [g]
    sig = s.SignatureDefT()
    sig.signatureKey = "serving_default"
    sig.subgraphIndex = 0
    sig.inputs, sig.outputs = [], []
    for idx, into in ((inputs[0], sig.inputs), (outputs[0], sig.outputs)):
        tm = s.TensorMapT()
        tm.name, tm.tensorIndex = g.tensors[idx].name, idx
        into.append(tm)
    model.signatureDefs = [sig]
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def tflite_fixed_input(side: int = 16000) -> bytes:
    """A ~520-byte TFLite model, y = x + x, whose one input is fixed at [1, side, side, 1] float32 (16000: 1 GB a tensor)."""
    shape = [1, side, side, 1]
    return _tflite(
        [{"name": "x", "shape": shape, "type": "FLOAT32"}, {"name": "y", "shape": shape, "type": "FLOAT32"}],
        [("ADD", [0, 0], [1])],
        [0],
        [1],
    )


def tflite_int8(side: int = 16) -> bytes:
    """A full-int8 TFLite luminance model, open shape [1, -1, -1, 1]: int8 in and out (scale 1/255, zero point -128), one 3x3 identity CONV_2D."""
    q = (1 / 255, -128)
    t = {"shape": [1, side, side, 1], "signature": [1, -1, -1, 1], "type": "INT8", "quant": q}
    kernel = np.zeros((1, 3, 3, 1), np.int8)
    kernel[0, 1, 1, 0] = 127
    w = {"name": "kernel", "shape": [1, 3, 3, 1], "type": "INT8", "quant": (1 / 127, 0), "data": kernel}
    b = {"name": "bias", "shape": [1], "type": "INT32", "quant": (1 / 255 / 127, 0), "data": np.zeros(1, np.int32)}
    return _tflite([{"name": "x", **t}, w, b, {"name": "y", **t}], [("CONV_2D", [0, 1, 2], [3])], [0], [3])


def tflite_int64_output(side: int = 16) -> bytes:
    """A TFLite model, float32 [1, -1, -1, 1] in, CAST to int64 out."""
    t = {"shape": [1, side, side, 1], "signature": [1, -1, -1, 1]}
    return _tflite([{"name": "x", "type": "FLOAT32", **t}, {"name": "y", "type": "INT64", **t}], [("CAST", [0], [1])], [0], [1])
