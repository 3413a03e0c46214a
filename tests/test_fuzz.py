"""A seeded, bounded fuzz of the bad-input promise (tests/test_bad_input.py's docstring): 418 cases.

Every case runs one ``drrn`` command in this process (``main(argv)``, stderr through ``capsys``) on a
mutated input and expects either

* exit status 2, exactly one line on stderr, starting ``drrn: error:`` (no traceback, no warning, no
  progress-bar text, no second line), and the work folder unchanged (nothing created, modified or
  left behind, no temporary file) -- plus, this file's own reading of "one line", at most
  :data:`MAX_LINE` characters once the work folder's path is shortened; or
* for a mutation that happens to leave the input valid, exit status 0 and the expected output
  (``upscale``: the output image, decodable, each side even; with a folder, both images in it;
  ``eval --json``: the JSON file; ``info``/``eval``: nothing) and nothing else written; or
* for a case whose bad image follows a good one into an output folder, exit status 1: the bad image
  reported in one error line, the run's closing count, and the good image's output alone in the folder
  (a batch upscales what it can). A case marked ``invalid`` (an input that is not a valid image
  although a decoder accepts it) must exit 2.

Groups (ids ``<group>-<seed or command>-<mutation>-<n>``; counts in this draw):

* ``img`` (289): seeds of 24x16 pixels of every format read -- PNG (RGB, gray, RGBA, 16-bit gray and
  colour, palette, EXIF, APNG), JPEG (RGB, gray, progressive, EXIF), BMP (RGB, gray, RGBA), TIFF (RGB,
  gray, RGBA, 16-bit gray and colour, LZW, orientation tag, two pages), WebP (lossy, lossless RGBA,
  EXIF, animated), GIF (palette, gray, animated) -- truncated, byte-flipped, header-overwritten, with
  a chunk duplicated or deleted, two or three of those chained, width/height set to huge values (PNG's
  IHDR with and without a fixed CRC; JPEG's SOF; BMP's; TIFF's tags; WebP's VP8/VP8L/VP8X; GIF's
  screen and frame), another format's magic prepended, renamed to another format's suffix, empty, PNG
  chunks mutated with every CRC fixed, the EXIF orientation's value/type/count/IFD offset edited;
  through ``drrn upscale IN -s 2 -o OUT.png --model bicubic`` (some to .jpg/.tif/.webp/.bmp, some as
  the second input after a good one into an output folder, where the good one must still be upscaled).
* ``eval`` (21): a folder holding one such image, through ``drrn eval --model bicubic --data FOLDER
  --scales 2`` (half of them with ``--json OUT``).
* ``keras`` (30) / ``tflite`` (14) / ``onnx`` (14): a small valid model (``identity_drrn(units=1,
  filters=4)``; a float32 3x3 CONV_2D flatbuffer made with tests/hostile.py's ``_tflite``; an NHWC
  Transpose-Conv-Transpose ONNX graph) truncated, byte-flipped (also past the header), header-
  overwritten, chunk-duplicated or -deleted, or (.keras) with a zip member rewritten: config.json
  edited (a key deleted; a number made huge, negative, zero, fractional, a string or null; a wrong
  class_name), metadata.json edited, the weights file cut or flipped, a member dropped; through
  ``drrn info MODEL`` and ``drrn upscale small.png -s 2 -o out.png --model MODEL``.
* ``train`` (50): YAML/JSON configs of valid TrainConfig key/values plus wrong types, huge integers
  (2**63, 10**30, 10**400, 5001 digits, 4000 hex digits), negative numbers, NaN/inf, deep nesting,
  a small YAML alias bomb, unknown keys, plus ``--set`` and ``--epochs`` variants. Every case also
  carries an invalid ``epochs`` (in the file, a ``--set`` or ``--epochs``; nothing else may set it), so
  nothing can train -- and ``drrn_tf.training.trainer.train`` is replaced by a function that fails the case,
  in case the generator gets one wrong; through ``drrn train --config CFG --out RUN`` (RUN must not be
  created).

Cases are drawn from ``random.Random(SEED)`` at import time (descriptors only; each case makes its
bytes in the test from its own seed), so a failing id reproduces alone; :data:`FOUND` adds the cases
other draws found. Measured on 2 CPU cores: 418 cases in 12.5-13.5 s (pytest's whole run of this file
~15 s wall; ~25 s while another job shared the cores), ~5 s of it the module fixture (TensorFlow's
import, one .keras save, the image seeds); the slowest case ~3 s (a valid 60000-pixel-wide decode).
"""

from __future__ import annotations

import io
import json
import random
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import identity_drrn
from PIL import Image

from drrn_tf.cli import main

SEED = 20261202

# ------------------------------------------------------------------------------------------ seeds

IMAGE_SEEDS = {  # name: (suffix, format)
    "png_rgb": (".png", "PNG"),
    "png_gray": (".png", "PNG"),
    "png_rgba": (".png", "PNG"),
    "png_gray16": (".png", "PNG"),
    "png_rgb16": (".png", "PNG"),
    "png_palette": (".png", "PNG"),
    "jpeg_rgb": (".jpg", "JPEG"),
    "jpeg_gray": (".jpg", "JPEG"),
    "jpeg_progressive": (".jpg", "JPEG"),
    "bmp_rgb": (".bmp", "BMP"),
    "bmp_gray": (".bmp", "BMP"),
    "bmp_rgba": (".bmp", "BMP"),
    "tiff_rgb": (".tif", "TIFF"),
    "tiff_gray": (".tif", "TIFF"),
    "tiff_rgba": (".tif", "TIFF"),
    "tiff_gray16": (".tif", "TIFF"),
    "tiff_rgb16": (".tif", "TIFF"),
    "tiff_lzw": (".tif", "TIFF"),
    "webp_lossy": (".webp", "WEBP"),
    "webp_rgba": (".webp", "WEBP"),
    "gif_palette": (".gif", "GIF"),
    "gif_gray": (".gif", "GIF"),
    # metadata and frames: an EXIF orientation (applied by read_image), animations, pages
    "jpeg_exif": (".jpg", "JPEG"),
    "png_exif": (".png", "PNG"),
    "webp_exif": (".webp", "WEBP"),
    "tiff_orient": (".tif", "TIFF"),
    "gif_anim": (".gif", "GIF"),
    "png_apng": (".png", "PNG"),
    "tiff_pages": (".tif", "TIFF"),
    "webp_anim": (".webp", "WEBP"),
}
EXIF_SEEDS = ("jpeg_exif", "png_exif", "webp_exif", "tiff_orient")
MAGICS = {
    "PNG": b"\x89PNG\r\n\x1a\n",
    "JPEG": b"\xff\xd8\xff\xe0",
    "BMP": b"BM",
    "TIFF": b"II*\x00",
    "WEBP": b"RIFF\x10\x00\x00\x00WEBPVP8L",
    "GIF": b"GIF89a",
}
SUFFIXES = [".png", ".jpg", ".bmp", ".tif", ".webp", ".gif"]


def _image_seeds() -> dict[str, bytes]:
    import cv2

    r = np.random.default_rng(SEED)
    h, w = 16, 24
    rgb = r.integers(0, 256, (h, w, 3), dtype=np.uint8)
    gray = r.integers(0, 256, (h, w), dtype=np.uint8)
    rgba = np.dstack([rgb, r.integers(0, 256, (h, w), dtype=np.uint8)])
    gray16 = r.integers(0, 65536, (h, w), dtype=np.uint16)
    rgb16 = r.integers(0, 65536, (h, w, 3), dtype=np.uint16)

    def pil(a, fmt, mode=None, **kw) -> bytes:
        im = Image.fromarray(a) if mode is None else Image.fromarray(a).convert(mode)
        buf = io.BytesIO()
        im.save(buf, format=fmt, **kw)
        return buf.getvalue()

    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    exif[0x010F] = "fuzz"
    exif[0x0132] = "2026:12:02 00:00:00"

    def frames(arrays, fmt, **kw) -> bytes:
        ims = [Image.fromarray(a) for a in arrays]
        buf = io.BytesIO()
        ims[0].save(buf, format=fmt, save_all=True, append_images=ims[1:], **kw)
        return buf.getvalue()

    def cv(a, ext) -> bytes:
        ok, enc = cv2.imencode(ext, a)
        assert ok
        return enc.tobytes()

    return {
        "png_rgb": pil(rgb, "PNG"),
        "png_gray": pil(gray, "PNG"),
        "png_rgba": pil(rgba, "PNG"),
        "png_gray16": pil(gray16, "PNG"),
        "png_rgb16": cv(rgb16, ".png"),
        "png_palette": pil(rgb, "PNG", mode="P"),
        "jpeg_rgb": pil(rgb, "JPEG", quality=90),
        "jpeg_gray": pil(gray, "JPEG"),
        "jpeg_progressive": pil(rgb, "JPEG", progressive=True),
        "bmp_rgb": pil(rgb, "BMP"),
        "bmp_gray": pil(gray, "BMP"),
        "bmp_rgba": pil(rgba, "BMP"),
        "tiff_rgb": pil(rgb, "TIFF"),
        "tiff_gray": pil(gray, "TIFF"),
        "tiff_rgba": pil(rgba, "TIFF"),
        "tiff_gray16": pil(gray16, "TIFF"),
        "tiff_rgb16": cv(rgb16, ".tiff"),
        "tiff_lzw": pil(rgb, "TIFF", compression="tiff_lzw"),
        "webp_lossy": pil(rgb, "WEBP", quality=80),
        "webp_rgba": pil(rgba, "WEBP", lossless=True),
        "gif_palette": pil(rgb, "GIF", mode="P"),
        "gif_gray": pil(gray, "GIF"),
        "jpeg_exif": pil(rgb, "JPEG", exif=exif.tobytes()),
        "png_exif": pil(rgba, "PNG", exif=exif.tobytes()),
        "webp_exif": pil(rgb, "WEBP", exif=exif.tobytes(), lossless=True),
        "tiff_orient": pil(gray, "TIFF", tiffinfo={0x0112: 6}),
        "gif_anim": frames([rgb, rgb[::-1], rgb[:, ::-1]], "GIF", duration=50, loop=0),
        "png_apng": frames([rgba, rgba[::-1]], "PNG", duration=50),
        "tiff_pages": frames([gray, gray[::-1]], "TIFF"),
        "webp_anim": frames([rgb, rgb[::-1]], "WEBP", duration=50, lossless=True),
    }


def _tflite_conv() -> bytes:
    """A float32 luminance TFLite model, open shape [1, -1, -1, 1]: one 3x3 identity CONV_2D."""
    from hostile import _tflite

    t = {"shape": [1, 16, 16, 1], "signature": [1, -1, -1, 1], "type": "FLOAT32"}
    kernel = np.zeros((1, 3, 3, 1), np.float32)
    kernel[0, 1, 1, 0] = 1
    w = {"name": "kernel", "shape": [1, 3, 3, 1], "type": "FLOAT32", "data": kernel}
    b = {"name": "bias", "shape": [1], "type": "FLOAT32", "data": np.zeros(1, np.float32)}
    return _tflite([{"name": "x", **t}, w, b, {"name": "y", **t}], [("CONV_2D", [0, 1, 2], [3])], [0], [3])


def _onnx_conv() -> bytes:
    """A float32 NHWC luminance ONNX model, open height and width: Transpose, 3x3 identity Conv, Transpose."""
    import onnx
    from onnx import TensorProto, helper

    k = np.zeros((1, 1, 3, 3), np.float32)
    k[0, 0, 1, 1] = 1
    nodes = [
        helper.make_node("Transpose", ["x"], ["xc"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["xc", "k", "b"], ["yc"], pads=[1, 1, 1, 1]),
        helper.make_node("Transpose", ["yc"], ["y"], perm=[0, 2, 3, 1]),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "h", "w", 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, "h", "w", 1])],
        initializer=[onnx.numpy_helper.from_array(k, "k"), onnx.numpy_helper.from_array(np.zeros(1, np.float32), "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="fuzz")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("fuzz_seeds")
    identity_drrn(units=1, filters=4).save(d / "m.keras")
    small = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (16, 24, 3), dtype=np.uint8)).save(small, format="PNG")
    return {
        "images": _image_seeds(),
        "models": {"keras": (d / "m.keras").read_bytes(), "tflite": _tflite_conv(), "onnx": _onnx_conv()},
        "small": small.getvalue(),
    }


# ------------------------------------------------------------------------------------------ mutations


def _flip(data: bytes, r: random.Random, lo: int = 0) -> bytes:
    b = bytearray(data)
    for _ in range(r.randint(1, 8)):
        i = r.randrange(min(lo, len(b) - 1), len(b))
        b[i] ^= 1 << r.randrange(8) if r.random() < 0.5 else r.randrange(1, 256)
    return bytes(b)


def _header(data: bytes, r: random.Random) -> bytes:
    start = r.randrange(0, min(48, len(data) - 1))
    n = r.randint(1, 8)
    return data[:start] + bytes(r.randrange(256) for _ in range(n)) + data[start + n :]


def _dup(data: bytes, r: random.Random) -> bytes:
    i = r.randrange(len(data))
    n = r.randint(1, max(1, len(data) // 4))
    return data[: i + n] + data[i : i + n] + data[i + n :]


def _delete(data: bytes, r: random.Random) -> bytes:
    i = r.randrange(len(data))
    n = r.randint(1, max(1, len(data) // 4))
    return data[:i] + data[i + n :]


def _truncate(data: bytes, r: random.Random) -> bytes:
    return data[: r.randrange(1, len(data))]


def _huge_png(data: bytes, r: random.Random) -> bytes:
    b = bytearray(data)
    values = [0, 1, 2**31 - 1, 2**31, 2**32 - 1, 100_000, 65_535, 1 << 20]
    which = r.choice(["w", "h", "both"])
    if which in ("w", "both"):
        struct.pack_into(">I", b, 16, r.choice(values))
    if which in ("h", "both"):
        struct.pack_into(">I", b, 20, r.choice(values))
    if r.random() < 0.6:  # a fixed CRC gets past the chunk check
        struct.pack_into(">I", b, 29, zlib.crc32(bytes(b[12:29])))
    return bytes(b)


def _huge_jpeg(data: bytes, r: random.Random) -> bytes:
    b = bytearray(data)
    i = next(i for i in range(2, len(b) - 1) if b[i] == 0xFF and b[i + 1] in (0xC0, 0xC1, 0xC2))
    values = [0, 1, 65_535, 60_000, 30_000]
    which = r.choice(["w", "h", "both"])
    if which in ("h", "both"):
        struct.pack_into(">H", b, i + 5, r.choice(values))
    if which in ("w", "both"):
        struct.pack_into(">H", b, i + 7, r.choice(values))
    return bytes(b)


def _huge_bmp(data: bytes, r: random.Random) -> bytes:
    b = bytearray(data)
    values = [0, -1, -16, 2**31 - 1, -(2**31), 100_000, 1 << 20]
    which = r.choice(["w", "h", "both"])
    if which in ("w", "both"):
        struct.pack_into("<i", b, 18, r.choice(values))
    if which in ("h", "both"):
        struct.pack_into("<i", b, 22, r.choice(values))
    return bytes(b)


def _huge_tiff(data: bytes, r: random.Random) -> bytes:
    b = bytearray(data)
    e = "<" if b[:2] == b"II" else ">"
    (ifd,) = struct.unpack_from(e + "I", b, 4)
    (count,) = struct.unpack_from(e + "H", b, ifd)
    tags = [r.choice([256, 257])] if r.random() < 0.7 else [256, 257]
    for k in range(count):
        at = ifd + 2 + 12 * k
        tag, typ = struct.unpack_from(e + "HH", b, at)
        if tag in tags:
            if typ == 3 and r.random() < 0.5:
                struct.pack_into(e + "H", b, at + 8, r.choice([0, 65_535, 40_000]))
            else:  # as a LONG
                struct.pack_into(e + "HII", b, at + 2, 4, 1, r.choice([0, 2**32 - 1, 2**31, 100_000, 1 << 24]))
    return bytes(b)


def _huge_webp(data: bytes, r: random.Random) -> bytes:
    b = bytearray(data)
    i = 12
    while i + 8 <= len(b):
        kind = bytes(b[i : i + 4])
        (size,) = struct.unpack_from("<I", b, i + 4)
        at = i + 8
        if kind == b"VP8X":
            struct.pack_into("<I", b, at + 4, r.choice([0xFFFFFF, 0x00FFFF, 0]) | (b[at + 7] << 24))
            b[at + 7 : at + 10] = r.choice([b"\xff\xff\xff", b"\x00\x00\x00", b"\x0f\x00\x00"])
        elif kind == b"VP8 ":
            struct.pack_into("<HH", b, at + 6, r.choice([0x3FFF, 0, 0xFFFF]), r.choice([0x3FFF, 0, 0xFFFF]))
        elif kind == b"VP8L":
            bits = struct.unpack_from("<I", b, at + 1)[0]
            bits = (bits & ~((1 << 28) - 1)) | r.choice([(1 << 28) - 1, 0x3FFF, 0x3FFF << 14])
            struct.pack_into("<I", b, at + 1, bits)
        i = at + size + (size & 1)
    return bytes(b)


def _huge_gif(data: bytes, r: random.Random) -> bytes:
    b = bytearray(data)
    values = [0, 65_535, 40_000]
    if r.random() < 0.7:  # the logical screen
        struct.pack_into("<HH", b, 6, r.choice(values), r.choice(values))
    i = 13 + (3 << ((b[10] & 7) + 1) if b[10] & 0x80 else 0)
    while i < len(b) and b[i] == 0x21:  # skip extensions to the first image descriptor
        i += 2
        while i < len(b) and b[i]:
            i += b[i] + 1
        i += 1
    if i + 9 < len(b) and b[i] == 0x2C and r.random() < 0.7:
        struct.pack_into("<HH", b, i + 5, r.choice(values), r.choice(values))
    return bytes(b)


def fix_png_crcs(data: bytes) -> bytes:
    """``data`` with every PNG chunk's CRC recomputed (as far as the chunk lengths walk), so a mutation
    gets past the CRC check to the decoder."""
    b = bytearray(data)
    i = 8
    while i + 12 <= len(b):
        (n,) = struct.unpack_from(">I", b, i)
        if i + 12 + n > len(b):
            break
        struct.pack_into(">I", b, i + 8 + n, zlib.crc32(bytes(b[i + 4 : i + 8 + n])))
        i += 12 + n
    return bytes(b)


def _exif(data: bytes, fmt: str, r: random.Random) -> bytes:
    """An edit of the EXIF block (a TIFF structure: the whole file for TIFF): the orientation's value,
    type or count, or a few flipped bytes inside it."""
    b = bytearray(data)
    at = 0 if fmt == "TIFF" else next(i for i in range(4, len(b) - 4) if b[i : i + 4] in (b"II*\x00", b"MM\x00*"))
    e = "<" if b[at : at + 2] == b"II" else ">"
    (ifd,) = struct.unpack_from(e + "I", b, at + 4)
    (count,) = struct.unpack_from(e + "H", b, at + ifd)
    entry = next(at + ifd + 2 + 12 * k for k in range(count) if struct.unpack_from(e + "H", b, at + ifd + 2 + 12 * k)[0] == 0x0112)
    how = r.choice(["value", "value", "type", "count", "flip", "ifd_offset"])
    if how == "value":
        struct.pack_into(e + "H", b, entry + 8, r.choice([0, 2, 3, 4, 5, 7, 8, 9, 255, 65_535]))
    elif how == "type":
        struct.pack_into(e + "H", b, entry + 2, r.choice([0, 2, 4, 5, 7, 12, 13, 99]))
    elif how == "count":
        struct.pack_into(e + "I", b, entry + 4, r.choice([0, 2, 1000, 2**31, 2**32 - 1]))
    elif how == "ifd_offset":
        struct.pack_into(e + "I", b, at + 4, r.choice([0, 1, 7, len(b), 2**31, 2**32 - 1]))
    else:
        for _ in range(r.randint(1, 4)):
            b[r.randrange(at, min(len(b), at + ifd + 2 + 12 * count + 4))] ^= r.randrange(1, 256)
    return fix_png_crcs(bytes(b)) if fmt == "PNG" else bytes(b)


HUGE = {"PNG": _huge_png, "JPEG": _huge_jpeg, "BMP": _huge_bmp, "TIFF": _huge_tiff, "WEBP": _huge_webp, "GIF": _huge_gif}
BYTE_MUTATIONS = {"truncate": _truncate, "flip": _flip, "header": _header, "dup": _dup, "delete": _delete}


def mutate_image(data: bytes, fmt: str, suffix: str, mutation: str, r: random.Random) -> tuple[bytes, str]:
    """(mutated bytes, file suffix)."""
    if mutation == "empty":
        return b"", suffix
    if mutation == "rename":  # valid bytes under another format's suffix
        return data, r.choice([s for s in SUFFIXES if s != suffix])
    if mutation == "magic":
        other = r.choice([f for f in MAGICS if f != fmt])
        return MAGICS[other] + data, suffix
    if mutation == "huge":
        return HUGE[fmt](data, r), suffix
    if mutation == "taller" and fmt == "PNG":  # the header claims more rows than the data holds; CRC fixed
        b = bytearray(data)
        struct.pack_into(">I", b, 20, struct.unpack_from(">I", b, 20)[0] * r.choice([2, 5, 100]))
        return fix_png_crcs(bytes(b)), suffix
    if mutation == "exif":
        return _exif(data, fmt, r), suffix
    if mutation == "crc" and fmt == "PNG":  # a byte mutation past the header, every CRC then fixed
        return fix_png_crcs(data[:8] + r.choice([_flip, _dup, _delete, _header])(data[8:], r)), suffix
    if mutation == "chain":  # two to three of the byte mutations one after another
        for name in r.sample(sorted(BYTE_MUTATIONS), r.randint(2, 3)):
            data = BYTE_MUTATIONS[name](data, r) if len(data) > 2 else data
        return data, suffix
    return BYTE_MUTATIONS[mutation](data, r), suffix


def _json_slots(node, path=()):
    """(path, value) of every dict entry inside a JSON document."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*path, k), v
            yield from _json_slots(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _json_slots(v, (*path, i))


def _edit_json(doc, r: random.Random, prefer: tuple[str, ...] = ()) -> tuple[object, str]:
    """``doc`` with one random edit, and what the edit was."""
    slots = list(_json_slots(doc))
    preferred = [s for s in slots if s[0][-1] in prefer]
    path, value = r.choice(preferred if preferred and r.random() < 0.6 else slots)
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    key = path[-1]
    if isinstance(value, bool) or value is None:
        ops = ["delete", "string", "number"]
    elif isinstance(value, (int, float)):
        ops = ["delete", "huge", "negative", "zero", "fraction", "string", "null"]
    elif isinstance(value, str):
        ops = ["delete", "class_name" if key == "class_name" else "string", "number", "long", "null"]
    else:
        ops = ["delete", "string", "number", "empty", "null"]
    op = r.choice(ops)
    if op == "delete":
        del parent[key]
    else:
        parent[key] = {
            "huge": r.choice([2**63, 10**30, 2**31, 10**400, 1e308]),
            "negative": -abs(value) - 1 if isinstance(value, (int, float)) else -1,
            "zero": 0,
            "fraction": 0.5,
            "string": r.choice(["x", "", "nan", "1e9", "../../etc/passwd"]),
            "number": r.choice([7, -3, 2**40]),
            "null": None,
            "empty": type(value)(),
            "long": "A" * 10_000,
            "class_name": r.choice(["Lambda", "NoSuchLayer", "Functional", "Conv2D", "__import__", "Sequential"]),
        }[op]
    return doc, f"{op}:{'/'.join(map(str, path))}"


def mutate_keras(data: bytes, mutation: str, r: random.Random) -> bytes:
    if mutation in BYTE_MUTATIONS:
        return BYTE_MUTATIONS[mutation](data, r)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {i.filename: (i, z.read(i)) for i in z.infolist()}
    if mutation == "config":
        doc, _ = _edit_json(json.loads(members["config.json"][1]), r, prefer=("class_name", "filters", "kernel_size", "batch_shape", "units", "module"))
        members["config.json"] = (members["config.json"][0], json.dumps(doc).encode())
    elif mutation == "metadata":
        doc, _ = _edit_json(json.loads(members["metadata.json"][1]), r)
        members["metadata.json"] = (members["metadata.json"][0], json.dumps(doc).encode())
    elif mutation == "weights":
        name = next(n for n in members if n.endswith(".h5"))
        info, content = members[name]
        members[name] = (info, r.choice([_truncate, _flip, _delete])(content, r))
    elif mutation == "drop":
        del members[r.choice(sorted(members))]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, (info, content) in members.items():
            z.writestr(name, content, compress_type=info.compress_type)
    return buf.getvalue()


def mutate_export(data: bytes, mutation: str, r: random.Random) -> bytes:
    if mutation == "flip_body":  # past the header and root table: offsets, shapes and weights
        return _flip(data, r, lo=16)
    return BYTE_MUTATIONS[mutation](data, r)


# ------------------------------------------------------------------------------------------ configs

VALID = {
    "name": ["drrn", "tiny_1"],
    "blocks": [1, 2],
    "units": [1, 9],
    "filters": [8, 32],
    "batch_norm": [False, True],
    "train_data": ["train291"],
    "val_data": ["set5", None],
    "val_scales": [[2], [2, 3, 4]],
    "scales": [[2, 3], [4]],
    "patch": [31],
    "stride": [21],
    "max_images": [4, None],
    "seed": [0, 7],
    "recipe": ["paper", "modern"],
    "lr": [0.1, 0.001],
    "batch_size": [16, 128],
    "momentum": [0.9],
    "weight_decay": [1e-4],
    "clip_theta": [0.01],
    "lr_decay": [0.5],
    "cosine_alpha": [0.01],
    "strategy": ["default"],
    "deterministic": [True],
    "tensorboard": [False],
}
INT_KEYS = [
    "blocks",
    "units",
    "filters",
    "patch",
    "stride",
    "val_every",
    "steps_per_epoch",
    "batch_size",
    "max_images",
    "seed",
    "lr_step_epochs",
    "warmup_steps",
]
FLOAT_KEYS = ["lr", "momentum", "weight_decay", "clip_theta", "bias_lr_mult", "lr_decay", "cosine_alpha", "clip_norm", "teacher_weight"]
HUGE_INTS = [2**63, 2**64, 10**30, 10**400, -(2**63)]


class Raw(str):
    """A value written into the YAML text (and a --set value) verbatim: what json.dumps cannot write."""


RAW = [
    Raw("1" + "0" * 5000),  # past Python's 4300-digit int/str conversion limit
    Raw("0x" + "f" * 4000),  # a hex int (no digit limit to parse) whose decimal form is past it
    Raw("1e400"),
    Raw("-.inf"),
    Raw("!!float 1e400"),
]


def _alias_bomb(levels: int = 4) -> Raw:
    """A YAML flow sequence of 10**(levels+1) ones in ~40 bytes a level (anchors and aliases)."""
    cur = "&x0 [1,1,1,1,1,1,1,1,1,1]"
    for i in range(1, levels + 1):
        cur = f"&x{i} [{cur}," + ",".join([f"*x{i - 1}"] * 9) + "]"
    return Raw(cur)


BAD_EPOCHS = [0, -1, "x", 1e31, 2**63, 10**7, True, 2.5, "5", [5], {"n": 5}, 10**400]


def _deep(depth: int, kind: str):
    v: object = 1
    for _ in range(depth):
        v = [v] if kind == "list" else {"k": v}
    return v


def _bad_value(key: str, r: random.Random):
    kind = r.choice(["type", "huge", "negative", "nan", "deep", "float_for_int", "raw"])
    if kind == "raw":
        return r.choice(RAW + [_alias_bomb()])
    if kind == "huge":
        return r.choice(HUGE_INTS) if r.random() < 0.8 else r.choice([1e308, -1e308])
    if kind == "negative":
        return r.choice([-1, -0.5, -(10**9)])
    if kind == "nan":
        return r.choice([float("nan"), float("inf"), float("-inf"), "nan", ".nan", "NaN", "inf", "-.inf"])
    if kind == "deep":
        return _deep(r.choice([5, 31, 33, 60]), r.choice(["list", "dict"]))
    if kind == "float_for_int" and key in INT_KEYS:
        return r.choice([1.5, 1e3, 3.0])
    return r.choice(["lots", "", [1, 2], {"a": 1}, True, None, "1,5", b"bytes".decode()])


def _yaml_scalar(v) -> str:
    """A YAML rendering of ``v`` (json.dumps is YAML, except NaN/inf; ints stay exact)."""
    if isinstance(v, Raw):
        return str(v)
    if isinstance(v, float) and v != v:
        return ".nan"
    if isinstance(v, float) and v in (float("inf"), float("-inf")):
        return ".inf" if v > 0 else "-.inf"
    return json.dumps(v)


def make_config(r: random.Random) -> tuple[str, str, list[str]]:
    """(file suffix, file text, extra argv): a config with at least one definitely invalid value (``epochs``)."""
    import yaml

    doc = {k: r.choice(v) for k, v in r.sample(sorted(VALID.items()), r.randint(2, 8))}
    keys = [k for k in train_config_fields() if k != "epochs"]  # epochs stays invalid: a random value could be a valid one (null)
    for _ in range(r.randint(0, 3)):
        k = r.choice(keys + ["unknown_key", "Epochs", "lr "])
        doc[k] = _bad_value(k, r)
    extra: list[str] = []
    where = r.choice(["file", "file", "set", "flag"])
    bad = r.choice(BAD_EPOCHS)
    if where == "file":
        items = list(doc.items())
        items.insert(r.randrange(len(items) + 1), ("epochs", bad))
        doc = dict(items)
    elif where == "set":
        extra += ["--set", f"epochs={_yaml_scalar(bad) if not isinstance(bad, (list, dict)) else json.dumps(bad)}"]
    else:
        extra += ["--epochs", r.choice(["0", "-1", "x", "1e31", str(2**63), "", "5x", "-0"])]
    for _ in range(r.randint(0, 2)):  # other --set forms
        k = r.choice(keys)
        value = _yaml_scalar(_bad_value(k, r)) if r.random() < 0.8 else json.dumps(_deep(r.choice([20, 40]), "list"))
        extra += ["--set", f"{k}={value}" if r.random() < 0.85 else r.choice([k, f"={k}", f"{k}==1", f" {k} = 1"])]
    style = r.choice(["yaml", "json", "json", "yaml_flow"])
    if style == "json" and not any(isinstance(v, Raw) for v in doc.values()):
        try:
            text = json.dumps(doc, allow_nan=True)
        except (ValueError, TypeError):
            text = yaml.safe_dump(doc)
        return ".json", text, extra
    if style == "yaml_flow" and not any(isinstance(v, Raw) for v in doc.values()):
        return ".yml", yaml.safe_dump(doc, default_flow_style=True), extra
    return ".yaml", "".join(f"{k}: {_yaml_scalar(v)}\n" for k, v in doc.items()), extra


def train_config_fields() -> list[str]:
    import dataclasses

    from drrn_tf.training.config import TrainConfig

    return [f.name for f in dataclasses.fields(TrainConfig)]


# ------------------------------------------------------------------------------------------ cases


def _cases(seed: int = SEED) -> list[tuple[str, str, dict]]:
    rng = random.Random(seed)
    cases: list[tuple[str, str, dict]] = []

    def add(group: str, label: str, **params):
        params["seed"] = rng.getrandbits(32)
        cases.append((f"{group}-{label}-{len(cases):03d}", group, params))

    image_mutations = ["truncate", "flip", "header", "dup", "delete", "huge", "magic", "chain"]

    def img(name: str, m: str):  # mostly one input to OUT.png; some to another format, or with a good image into a folder
        layout = rng.choices(["single", "other_format", "folder"], [6, 2, 2])[0]
        out = rng.choice([".jpg", ".tif", ".webp", ".bmp"]) if layout == "other_format" else ".png"
        add("img", f"{name}-{m}", image=name, mutation=m, folder=layout == "folder", out=out)

    for name, (_, fmt) in IMAGE_SEEDS.items():
        for m in image_mutations + (["crc", "crc"] if fmt == "PNG" else []) + (["exif"] * 3 if name in EXIF_SEEDS else []):
            img(name, m)
    for fmt in MAGICS:
        name = next(n for n, (_, f) in IMAGE_SEEDS.items() if f == fmt)
        img(name, "empty")
        img(name, "rename")
        img(name, "huge")  # a second draw of the size fields
    for _ in range(20):
        name = rng.choice(sorted(IMAGE_SEEDS))
        m = rng.choice(image_mutations + ["rename", "empty"])
        add("eval", f"{name}-{m}", image=name, mutation=m, json=rng.random() < 0.5)
    keras_mutations = ["truncate", "flip", "header", "dup", "delete", "config", "config", "config", "config", "metadata", "weights", "drop"]
    for cmd in ("info", "upscale"):
        for m in keras_mutations:
            add("keras", f"{cmd}-{m}", command=cmd, mutation=m)
        for fmt in ("tflite", "onnx"):
            for m in ["truncate", "flip", "flip_body", "flip_body", "header", "dup", "delete"]:
                add(fmt, f"{cmd}-{m}", command=cmd, mutation=m)
    for _ in range(6):  # more config edits: the richest mutation
        cmd = rng.choice(["info", "upscale"])
        add("keras", f"{cmd}-config", command=cmd, mutation="config")
    for _ in range(45):
        add("train", "config")
    return cases


# Cases other draws of the generator found (same seeds of images, other case seeds), kept here so that
# this draw covers them too: (id, group, params).
FOUND = [
    ("img-tiff_orient-flip-found1", "img", {"image": "tiff_orient", "mutation": "flip", "folder": False, "out": ".png", "seed": 284897571}),
    ("eval-tiff_orient-dup-found2", "eval", {"image": "tiff_orient", "mutation": "dup", "json": False, "seed": 2136394191}),
    # a float key given an integer too large for a float (OverflowError in float())
    ("train-float-key-10e400-found3", "train", {"config": (".yaml", f"lr: 1{'0' * 400}\nepochs: 0\n", []), "seed": 0}),
    ("train-json-float-key-10e400-found4", "train", {"config": (".json", f'{{"momentum": 1{"0" * 400}, "epochs": 0}}', []), "seed": 0}),
    # past Python's 4300-digit int/str limit: parsing a decimal one, and printing a hex one back
    ("train-5001-digit-int-found5", "train", {"config": (".yaml", f"epochs: 1{'0' * 5000}\n", []), "seed": 0}),
    ("train-set-5001-digit-int-found6", "train", {"config": (".yaml", "epochs: 0\n", ["--set", f"seed=1{'0' * 5000}"]), "seed": 0}),
    ("train-4000-hex-digit-int-found7", "train", {"config": (".yaml", f"epochs: 0x{'f' * 4000}\n", []), "seed": 0}),
    # A PNG whose IHDR claims more rows than its IDAT holds (CRC fixed): not a valid image, so exit 0 is not accepted.
    ("img-png_gray-taller-found8", "img", {"image": "png_gray", "mutation": "taller", "folder": False, "out": ".png", "seed": 1, "invalid": True}),
    ("img-png_rgb-taller-found9", "img", {"image": "png_rgb", "mutation": "taller", "folder": False, "out": ".png", "seed": 2, "invalid": True}),
]
CASES = _cases() + FOUND
NCASES = 418  # the count in the module docstring


# ------------------------------------------------------------------------------------------ the test


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder): (p.is_dir(), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def _setup(group: str, p: dict, r: random.Random, seeds: dict, w: Path) -> tuple[list[str], list[Path]]:
    """(argv, files a success may write)."""
    if group in ("img", "eval"):
        suffix, fmt = IMAGE_SEEDS[p["image"]]
        data, suffix = mutate_image(seeds["images"][p["image"]], fmt, suffix, p["mutation"], r)
        if group == "img":
            src = w / f"in{suffix}"
            src.write_bytes(data)
            if p["folder"]:  # a good image first: a bad second one must still leave nothing behind
                (w / "good.png").write_bytes(seeds["small"])
                return ["upscale", w / "good.png", src, "-s", "2", "-o", w / "outdir", "--model", "bicubic"], [w / "outdir"]
            out = w / f"out{p['out']}"
            return ["upscale", src, "-s", "2", "-o", out, "--model", "bicubic"], [out]
        (w / "data").mkdir()
        (w / "data" / f"a{suffix}").write_bytes(data)
        argv = ["eval", "--model", "bicubic", "--data", w / "data", "--scales", "2"]
        return (argv + ["--json", w / "r.json"], [w / "r.json"]) if p["json"] else (argv, [])
    if group in ("keras", "tflite", "onnx"):
        data = seeds["models"][group]
        data = mutate_keras(data, p["mutation"], r) if group == "keras" else mutate_export(data, p["mutation"], r)
        model = w / f"m.{group}"
        model.write_bytes(data)
        if p["command"] == "info":
            return ["info", model], []
        (w / "small.png").write_bytes(seeds["small"])
        return ["upscale", w / "small.png", "-s", "2", "-o", w / "out.png", "--model", model], [w / "out.png"]
    suffix, text, extra = p["config"] if "config" in p else make_config(r)
    cfg = w / f"cfg{suffix}"
    cfg.write_text(text)
    return ["train", "--config", cfg, "--out", w / "run", *extra], []


# This file's own reading of "one line": one a person can read. The longest real messages (an unknown
# key with the list of known ones, a 400-digit number echoed back) are under 1,000 characters.
MAX_LINE = 1000


def _no_training(*args, **kwargs):
    raise AssertionError("training started: every fuzzed config must be refused before it")


@pytest.mark.parametrize("group,params", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_fuzz(capsys, monkeypatch, tmp_path, seeds, group, params):
    if group == "train":  # a config the generator got wrong must not train in the fast suite
        import drrn_tf.training.trainer

        monkeypatch.setattr(drrn_tf.training.trainer, "train", _no_training)
    r = random.Random(params["seed"])
    w = tmp_path / "w"
    w.mkdir()
    argv, outputs = _setup(group, params, r, seeds, w)
    argv = [str(a) for a in argv]
    before = snapshot(w)
    try:
        code = main(argv)
    except (Exception, SystemExit) as e:  # main must turn every bad input into exit 2
        pytest.fail(f"main({argv}) raised {type(e).__name__}: {str(e)[:300]}")
    out, err = capsys.readouterr()
    after = snapshot(w)
    if code == 0 and not params.get("invalid"):  # the mutation left a valid input: the output is there, nothing else changed
        for o in outputs:
            assert o.exists(), f"exit 0 but {o.name} not written\n{err}"
            for f in sorted(o.iterdir()) if o.is_dir() else [o]:
                if f.suffix in (".png", ".jpg", ".tif", ".webp", ".bmp"):
                    with Image.open(f) as im:
                        im.load()
                        assert im.width % 2 == 0 and im.height % 2 == 0, (f.name, im.size)
            if o.is_dir():
                assert len(list(o.iterdir())) == 2, sorted(o.iterdir())
        written = {k for k in after if any(w / k == o or o in (w / k).parents for o in outputs)}
        assert {k: v for k, v in after.items() if k not in written} == before, "exit 0 wrote something else"
        return
    lines = [ln for ln in err.replace("\r", "\n").splitlines() if ln.strip()]
    if group == "img" and params["folder"] and code == 1:  # the bad input reported and skipped, the good one upscaled
        _check_batch(w, lines, before, after)
        return
    assert code == 2, f"exit {code}{' for an input that is not valid' if params.get('invalid') else ''}\n{err[-2000:]}"
    assert len(lines) == 1 and lines[0].startswith("drrn: error:"), f"{len(lines)} stderr lines:\n{err[-2000:]}"
    line = lines[0].replace(str(w), "W")
    assert len(line) <= MAX_LINE, f"a {len(line):,}-character error line: {line[:300]}"
    assert after == before, f"work folder changed: {set(after) ^ set(before)}"


def _check_batch(w: Path, lines: list[str], before: dict, after: dict) -> None:
    """A folder case whose mutated input failed: one error line naming it, the closing count, perhaps
    the progress line; the output folder holds the good image's output alone (no temporary file)."""
    errors = [ln for ln in lines if ln.startswith("drrn: error:")]
    assert len(errors) == 1 and errors[0].startswith(f"drrn: error: {w}/in."), lines
    assert lines[-1] == "upscaled 1 of 2 images; 1 failed (listed above)", lines
    assert set(lines) - {errors[0], lines[-1]} <= {"upscaling: 1/1 images"}, lines
    assert len(errors[0].replace(str(w), "W")) <= MAX_LINE
    assert [p.name for p in (w / "outdir").iterdir()] == ["good_x2.png"]
    with Image.open(w / "outdir" / "good_x2.png") as im:
        im.load()
    assert {k: v for k, v in after.items() if k.parts[0] != "outdir"} == before, "the batch wrote something else"


def test_case_count():
    """The module docstring's count (and enough cases of each group)."""
    groups = {g for _, g, _ in CASES}
    assert groups == {"img", "eval", "keras", "tflite", "onnx", "train"}
    assert len(CASES) == NCASES and len({c[0] for c in CASES}) == NCASES
