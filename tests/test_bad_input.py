"""Every promise about bad input, as a table: one row per case.

A command row runs ``drrn ...`` in this process and expects exit status 2, exactly one line
on stderr (``drrn: error: ...`` holding the fragment), and the work folder unchanged: no file
written, created, touched or half-written (no temporary file either). An API row expects the
exception type and fragment. Signals are in tests/test_cli.py::test_sigterm_leaves_nothing_behind.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import hostile
import keras
import numpy as np
import pytest
from conftest import identity_drrn
from PIL import Image

from drrn_tf.cli import main
from drrn_tf.training.config import TrainConfig


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height and whose data is a few bytes: a decompression bomb's shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def work(tmp_path_factory, data_dir) -> Path:
    w = tmp_path_factory.mktemp("bad_input")
    good = (data_dir / "Set5" / "bird.png").read_bytes()
    (w / "good.png").write_bytes(good)
    (w / "cut.png").write_bytes(good[: len(good) // 3])
    (w / "notes.png").write_text("hello")
    (w / "three.bmp").write_bytes(b"BM\x00")  # shorter than any format's header
    (w / "weights.txt").write_text("0 1 2")
    (w / "fake.keras").write_bytes(b"PK\x03\x04 definitely not a zip")
    (w / "header.tflite").write_bytes(b"\x1c\x00\x00\x00TFL3 but nothing a model needs")
    (w / "bomb.png").write_bytes(png_header_only(17_000, 17_000))
    (w / "afile").write_text("a file, not a folder")
    Image.new("P", (8, 8)).save(w / "anim.gif")
    Image.new("RGBA", (40, 40)).save(w / "rgba.png")
    (w / "existing_x2.png").write_bytes(good)
    for name, files in {
        "empty": {},
        "mixed": {"a.png": good, "notes.txt": b"not a picture"},
        "noimages": {"notes.txt": b"not a picture"},
        "tiny1": None,
        "tiny16": None,
        "small": None,
    }.items():
        (w / name).mkdir()
        for fname, data in (files or {}).items():
            (w / name / fname).write_bytes(data)
    Image.new("RGB", (1, 1)).save(w / "tiny1" / "a.png")
    Image.new("RGB", (16, 16)).save(w / "tiny16" / "a.png")
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(w / "small" / "a.png")
    identity_drrn(units=1, filters=4).save(w / "identity.keras")
    # A model with a layer the tiler cannot describe (a strided convolution).
    x = keras.Input((None, None, 1))
    keras.Model(x, keras.layers.Conv2D(1, 3, strides=2, padding="same")(x)).save(w / "strided.keras")
    (w / "card" / "m.json").mkdir(parents=True)  # where an export's card would go
    runs = {"corrupt": TrainConfig(), "stateonly": TrainConfig(), "tampered": TrainConfig(momentum=7.0), "held": TrainConfig()}
    for name, cfg in runs.items():
        (w / "runs" / name / "checkpoints").mkdir(parents=True)
        (w / "runs" / name / "config.json").write_text(cfg.to_json())
    (w / "runs" / "corrupt" / "checkpoints" / "last.keras").write_bytes(b"PK\x03\x04 broken")
    (w / "runs" / "corrupt" / "state.json").write_text('{"epoch": 1}')
    (w / "runs" / "stateonly" / "state.json").write_text('{"epoch": 1}')
    (w / "runs" / "held" / "state.json").write_text('{"epoch": 1}')
    (w / "bad.yaml").write_text("unknown_key: 1\n")
    (w / "nested.yaml").write_text("filters: " + "[" * 200_000 + "]" * 200_000 + "\n")
    for name, text in {"notjson": "{not json", "wrongtype": '{"epoch": "three"}', "alist": "[1, 2]"}.items():
        (w / "runs" / name / "checkpoints").mkdir(parents=True)
        (w / "runs" / name / "config.json").write_text(TrainConfig().to_json())
        (w / "runs" / name / "state.json").write_text(text)
    # Hostile files (tests/hostile.py says what each is).
    (w / "poly.jpg").write_bytes(hostile.jpeg_with_fli_in_app1())
    (w / "poly_notem.jpg").write_bytes(hostile.jpeg_with_fli_in_app1(tem=False))
    (w / "huge.webp").write_bytes(hostile.webp_header_only())
    Image.fromarray(np.full((16, 16), 3.0, np.float32), mode="F").save(w / "hdr.tif")
    (w / "row.png").write_bytes(hostile.png_one_row(width=3_000_000, bit_depth=8))
    buf = io.BytesIO()
    Image.open(data_dir / "Set5" / "bird.png").save(buf, "JPEG", quality=90)
    (w / "cut.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 3])
    (w / "loop.png").symlink_to(w / "loop.png")
    os.mkfifo(w / "fifo.png")
    os.mkfifo(w / "fifo.json")
    os.mkfifo(w / "fifo.tflite")
    (w / "stdout.json").symlink_to("/proc/self/fd/1")
    (w / "null.tflite").symlink_to("/dev/null")
    (w / "existing.json").write_text("{}")
    os.link(w / "identity.keras", w / "identity_link.tflite")
    (w / "new\nline.png").write_bytes(good[:100])
    hostile.keras_huge_conv(w / "hugeconv.keras")
    hostile.keras_config_bomb(w / "configbomb.keras")
    hostile.keras_asset_bomb(w / "assetbomb.keras")
    hostile.keras_nan_weights(w / "nan.keras")
    hostile.keras_unbuilt_sequential(w / "unbuilt.keras")
    hostile.keras_three_channel(w / "rgb_in.keras")
    hostile.keras_rank3(w / "rank3.keras")
    (w / "bomb.onnx").write_bytes(hostile.onnx_constant_of_shape())
    (w / "fixed16k.tflite").write_bytes(hostile.tflite_fixed_input())
    (w / "int8io.tflite").write_bytes(hostile.tflite_int8())
    (w / "int64out.tflite").write_bytes(hostile.tflite_int64_output())
    return w


UP = ["upscale"]
MODEL = ["--model", "{w}/identity.keras"]
# (id, argv with {w} for the work folder, fragment of the one-line error)
COMMANDS = [
    ("upscale-missing-input", UP + ["{w}/nothing.png", "-s", "2", "-o", "{w}/o.png"], "no such file"),
    ("upscale-empty-folder", UP + ["{w}/empty", "-s", "2", "-o", "{w}/out"], "empty folder"),
    ("upscale-not-an-image", UP + ["{w}/notes.png", "-s", "2", "-o", "{w}/out"] + MODEL, "not an image file"),
    ("upscale-three-byte-file", UP + ["{w}/three.bmp", "-s", "2", "-o", "{w}/out"] + MODEL, "not an image file"),
    # (several inputs with a bad one among them: the others are upscaled, exit 1 -- tests/test_batch.py)
    ("upscale-truncated", UP + ["{w}/cut.png", "-s", "2", "-o", "{w}/out"] + MODEL, "truncated"),
    ("upscale-folder-of-no-images", UP + ["{w}/noimages", "-s", "2", "-o", "{w}/out"] + MODEL, "noimages: holds no images (1 file"),
    ("upscale-decompression-bomb", UP + ["{w}/bomb.png", "-s", "2", "-o", "{w}/out"] + MODEL, "more than the limit of 200,000,000"),
    ("upscale-max-pixels-0", UP + ["{w}/good.png", "-s", "2", "-o", "{w}/o.png", "--max-pixels", "0"], "must be a finite number > 0"),
    ("upscale-scale-17", UP + ["{w}/good.png", "-s", "17", "-o", "{w}/o.png"], "must be from 1 to 16, got '17'"),
    ("upscale-width-shrinks", UP + ["{w}/good.png", "--width", "8", "-o", "{w}/o.png"] + MODEL, "must be from 1 to 16 times the input"),
    ("upscale-gif-output", UP + ["{w}/good.png", "-s", "2", "-o", "{w}/x.gif"] + MODEL, "unsupported output format '.gif'"),
    ("upscale-gif-among-inputs", UP + ["{w}/good.png", "{w}/anim.gif", "-s", "2", "-o", "{w}/mix", "--format", "gif"] + MODEL, "invalid choice: 'gif'"),
    ("upscale-rgba-to-jpeg", UP + ["{w}/rgba.png", "-s", "2", "-o", "{w}/o.jpg"] + MODEL, "JPEG cannot store"),
    ("upscale-memory-negative", UP + ["{w}/good.png", "-s", "2", "-o", "{w}/out", "--memory-mb", "-1"] + MODEL, "must be a finite number > 0"),
    ("upscale-memory-nan", UP + ["{w}/good.png", "-s", "2", "-o", "{w}/out", "--memory-mb", "nan"] + MODEL, "must be a finite number > 0"),
    ("upscale-memory-zero", UP + ["{w}/good.png", "-s", "2", "-o", "{w}/out", "--memory-mb", "0"] + MODEL, "must be a finite number > 0"),
    ("upscale-tile-too-small", UP + ["{w}/good.png", "-s", "2", "-o", "{w}/out", "--tile", "3"] + MODEL, "too small"),
    ("upscale-existing-output", UP + ["{w}/good.png", "-s", "2", "-o", "{w}/existing_x2.png"] + MODEL, "already exists (pass --overwrite"),
    (
        "upscale-onto-its-input",
        UP + ["{w}/good.png", "-s", "2", "-o", "{w}/good.png", "--overwrite"] + MODEL,
        "is an input of this run; refusing to overwrite it",
    ),
    ("upscale-two-inputs-one-output", UP + ["{w}/good.png", "{w}/mixed/a.png", "{w}/good.png", "-s", "2", "-o", "{w}/out"] + MODEL, "would both be written"),
    ("upscale-output-under-a-file", UP + ["{w}/good.png", "-s", "2", "-o", "{w}/afile/x.png"] + MODEL, "afile is a file, not a folder"),
    ("upscale-corrupt-keras", UP + ["{w}/good.png", "-s", "2", "-o", "{w}/o.png", "--model", "{w}/fake.keras"], "a .keras file is a zip archive"),
    ("upscale-not-a-model-file", UP + ["{w}/good.png", "-s", "2", "-o", "{w}/o.png", "--model", "{w}/weights.txt"], "not a model file"),
    ("upscale-untrained-preset", UP + ["{w}/good.png", "-s", "2", "-o", "{w}/o.png", "--model", "vdsr"], "no trained weights"),
    (
        "upscale-unsupported-layer",
        UP + ["{w}/good.png", "-s", "2", "-o", "{w}/o.png", "--model", "{w}/strided.keras"],
        "strided.keras: layer 'conv2d' is not a stride-1",
    ),
    ("eval-missing-folder", ["eval", "--model", "bicubic", "--data", "{w}/missing"], "no such folder"),
    ("eval-empty-folder", ["eval", "--model", "bicubic", "--data", "{w}/empty"], "no images"),
    ("eval-scale-2.37", ["eval", "--model", "bicubic", "--data", "set5", "--scales", "2.37"], "a fraction p/q with q <= 8"),
    ("eval-1x1-image", ["eval", "--model", "bicubic", "--data", "{w}/tiny1"], "1x1 is too small to score at x2"),
    ("eval-16x16-at-x4", ["eval", "--model", "bicubic", "--data", "{w}/tiny16", "--scales", "4"], "16x16 is too small to score at x4"),
    ("eval-corrupt-keras", ["eval", "--model", "{w}/fake.keras", "--data", "set5"], "not a valid Keras model"),
    ("eval-memory-inf", ["eval", "--model", "bicubic", "--data", "set5", "--memory-mb", "inf"], "must be a finite number > 0"),
    ("eval-json-in-missing-folder", ["eval", "--model", "bicubic", "--data", "set5", "--json", "{w}/nowhere/r.json"], "does not exist"),
    ("eval-missing-export", ["eval", "--model", "{w}/nothing.tflite", "--data", "set5"], "no such file"),
    ("info-missing-file", ["info", "{w}/nothing.keras"], "no such file"),
    ("info-bicubic", ["info", "bicubic"], "nothing to describe"),
    ("export-corrupt-keras", ["export", "{w}/fake.keras", "-o", "{w}/a.tflite"], "not a valid Keras model"),
    (
        "export-tiny-representative",
        ["export", "{w}/identity.keras", "--quant", "int8", "--representative", "{w}/small", "--shape", "64x64", "-o", "{w}/a.tflite"],
        "no usable representative images",
    ),
    (
        "export-missing-representative",
        ["export", "{w}/identity.keras", "--quant", "int8", "--representative", "{w}/none", "-o", "{w}/a.tflite"],
        "no such folder",
    ),
    ("export-bad-shape", ["export", "{w}/identity.keras", "--shape", "64by64", "-o", "{w}/a.tflite"], "expected HxW"),
    ("export-huge-shape", ["export", "{w}/identity.keras", "--shape", "99999x99999", "-o", "{w}/a.tflite"], "at most 16,777,216 pixels"),
    ("export-suffix-mismatch", ["export", "{w}/identity.keras", "-o", "{w}/a.onnx"], "must end in .tflite"),
    ("export-missing-out-folder", ["export", "{w}/identity.keras", "-o", "{w}/missing/a.tflite"], "does not exist"),
    ("export-card-is-a-folder", ["export", "{w}/identity.keras", "-o", "{w}/card/m.tflite"], "m.json: is a folder"),
    ("export-threads-0", ["export", "{w}/identity.keras", "--threads", "0", "-o", "{w}/a.tflite"], "must be a finite number > 0"),
    (
        "export-calibration-0",
        ["export", "{w}/identity.keras", "--quant", "int8", "--calibration-samples", "0", "-o", "{w}/a.tflite"],
        "must be a finite number > 0",
    ),
    ("export-bicubic", ["export", "bicubic", "-o", "{w}/a.tflite"], "nothing to export"),
    ("export-an-export", ["export", "{w}/header.tflite", "-o", "{w}/a.tflite"], "needs the Keras model it was made from"),
    ("qat-an-export", ["qat", "{w}/header.tflite", "-o", "{w}/q"], "needs the Keras model it was made from"),
    ("upscale-broken-tflite", ["upscale", "{w}/good.png", "-s", "2", "-o", "{w}/out.png", "--model", "{w}/header.tflite"], "not a loadable tflite model"),
    ("info-broken-tflite", ["info", "{w}/header.tflite"], "not a loadable tflite model"),
    (
        "upscale-keras-runtime-for-an-export",
        ["upscale", "{w}/good.png", "-s", "2", "-o", "{w}/out.png", "--model", "{w}/header.tflite", "--runtime", "keras"],
        "runs in its own runtime",
    ),
    ("train-unknown-key", ["train", "--config", "{w}/bad.yaml", "--out", "{w}/o"], "unknown key 'unknown_key'"),
    ("train-missing-config", ["train", "--config", "{w}/missing.yaml", "--out", "{w}/o"], "no such config file"),
    ("train-empty-data", ["train", "--set", "train_data={w}/empty", "--out", "{w}/o"], "no images found"),
    ("train-wrong-type", ["train", "--set", "filters=lots", "--out", "{w}/o"], "'filters' must be an integer"),
    ("train-lr-nan", ["train", "--set", "lr=.nan", "--out", "{w}/o"], "'lr' must be a finite number > 0"),
    ("train-weight-decay-negative", ["train", "--set", "weight_decay=-5", "--out", "{w}/o"], "'weight_decay' must be a finite number >= 0"),
    ("train-momentum-7", ["train", "--set", "momentum=7", "--out", "{w}/o"], "'momentum' must be a finite number >= 0 and <= 0.999"),
    ("train-lr-decay-negative", ["train", "--set", "lr_decay=-2", "--out", "{w}/o"], "'lr_decay' must be a finite number > 0"),
    ("train-clip-theta-negative", ["train", "--set", "clip_theta=-1", "--out", "{w}/o"], "'clip_theta' must be a finite number >= 0"),
    ("train-warmup-without-cosine", ["train", "--set", "warmup_steps=10", "--out", "{w}/o"], "'warmup_steps' needs schedule cosine"),
    ("train-init-from-untrained", ["train", "--set", "init_weights=srcnn", "--out", "{w}/o"], "ships no trained weights"),
    ("train-init-wrong-architecture", ["train", "--set", "init_weights=drrn_b1u25", "--set", "filters=32", "--out", "{w}/o"], "cannot initialise"),
    ("train-teacher-untrained", ["train", "--set", "teacher=srcnn", "--out", "{w}/o"], "teacher: preset 'srcnn' ships no trained weights"),
    ("train-teacher-missing", ["train", "--set", "teacher={w}/missing.keras", "--out", "{w}/o"], "missing.keras: neither a trained preset"),
    ("train-teacher-empty", ["train", "--set", 'teacher=""', "--out", "{w}/o"], "'teacher' must name a trained preset or a .keras file"),
    ("train-corrupt-checkpoint", ["train", "--out", "{w}/runs/corrupt", "--resume"], "corrupt or unreadable checkpoint"),
    ("train-state-without-checkpoint", ["train", "--out", "{w}/runs/stateonly", "--resume"], "no checkpoint to resume from"),
    ("train-tampered-stored-config", ["train", "--out", "{w}/runs/tampered", "--resume"], "'momentum' must be a finite number"),
    ("train-resume-nothing", ["train", "--out", "{w}/nothing", "--resume"], "not a run folder"),
    ("train-folder-holds-a-run", ["train", "--out", "{w}/runs/held"], "already holds a run"),
    # What a wider red team tried: an input is never lost or replaced, the limits cannot be bypassed.
    ("eval-json-onto-a-scored-image", ["eval", "--model", "bicubic", "--data", "{w}/small", "--json", "{w}/small/a.png"], "is an input of this run"),
    (
        "eval-json-onto-the-model",
        ["eval", "--model", "{w}/identity.keras", "--data", "{w}/small", "--json", "{w}/identity.keras", "--overwrite"],
        "is an input",
    ),
    ("eval-json-dev-null", ["eval", "--model", "bicubic", "--data", "{w}/small", "--json", "/dev/null"], "not a regular file"),
    ("eval-json-fifo", ["eval", "--model", "bicubic", "--data", "{w}/small", "--json", "{w}/fifo.json"], "not a regular file"),
    ("eval-json-link-to-stdout", ["eval", "--model", "bicubic", "--data", "{w}/small", "--json", "{w}/stdout.json"], "is a symbolic link"),
    ("eval-json-existing", ["eval", "--model", "bicubic", "--data", "{w}/small", "--json", "{w}/existing.json"], "already exists (pass --overwrite"),
    ("export-onto-a-link-to-dev-null", ["export", "{w}/identity.keras", "-o", "{w}/null.tflite"], "is a symbolic link"),
    ("export-onto-its-model", ["export", "{w}/identity.keras", "-o", "{w}/identity_link.tflite", "--overwrite"], "is an input of this run"),
    ("bench-json-dev-null", ["bench", "{w}/identity.keras", "--json", "/dev/null"], "not a regular file"),
    ("bench-json-onto-its-model", ["bench", "{w}/identity.keras", "--json", "{w}/identity_link.tflite", "--overwrite"], "is an input of this run"),
    ("bench-json-existing", ["bench", "{w}/identity.keras", "--json", "{w}/existing.json"], "already exists (pass --overwrite"),
    ("export-shape-too-small", ["export", "{w}/identity.keras", "--shape", "2x2", "-o", "{w}/a.tflite"], "pixels (twice the model's receptive radius of"),
    ("export-existing", ["export", "{w}/identity.keras", "-o", "{w}/header.tflite"], "already exists (pass --overwrite"),
    ("train-out-its-data", ["train", "--set", "train_data={w}/small", "--out", "{w}/small"], "is the run's train_data folder"),
    ("train-out-a-fifo", ["train", "--out", "{w}/fifo.json"], "not a folder"),
    ("export-onto-a-fifo", ["export", "{w}/identity.keras", "-o", "{w}/fifo.tflite"], "not a regular file"),
    ("train-out-a-file", ["train", "--out", "{w}/afile"], "not a folder"),
    ("train-out-dev-null", ["train", "--out", "/dev/null"], "not a folder"),
    ("train-out-link-to-dev-null", ["train", "--out", "{w}/null.tflite"], "not a folder"),
    ("upscale-o-dev-full", UP + ["{w}/good.png", "-s", "2", "-o", "/dev/full", "--model", "bicubic"], "not a regular file"),
    ("upscale-o-link-to-stdout", UP + ["{w}/good.png", "-s", "2", "-o", "{w}/stdout.json", "--model", "bicubic"], "is a symbolic link"),
    ("upscale-input-dev-zero", UP + ["/dev/zero", "-s", "2", "-o", "{w}/o.png", "--model", "bicubic"], "not a regular file"),
    ("upscale-input-fifo", UP + ["{w}/fifo.png", "-s", "2", "-o", "{w}/o.png", "--model", "bicubic"], "not a regular file"),
    ("upscale-input-symlink-loop", UP + ["{w}/loop.png", "-s", "2", "-o", "{w}/o.png", "--model", "bicubic"], "loop of symbolic links"),
    ("upscale-polyglot-jpeg-fli", UP + ["{w}/poly.jpg", "-s", "2", "-o", "{w}/o.png", "--model", "bicubic", "--max-pixels", "1000000"], "not a valid JPEG"),
    (
        "upscale-polyglot-jpeg-fli-no-tem",
        UP + ["{w}/poly_notem.jpg", "-s", "2", "-o", "{w}/o.png", "--model", "bicubic", "--max-pixels", "1000000"],
        "8000x6000 is 48,000,000 pixels, more than the limit of 1,000,000",
    ),
    ("upscale-webp-over-the-memory-budget", UP + ["{w}/huge.webp", "-s", "2", "-o", "{w}/o.png", "--model", "bicubic"], "more than the memory budget"),
    ("upscale-wider-than-png-holds", UP + ["{w}/row.png", "-s", "2", "-o", "{w}/o.png", "--model", "bicubic"], "larger than .png can hold"),
    ("upscale-float-beyond-1", UP + ["{w}/hdr.tif", "-s", "2", "-o", "{w}/o.png", "--model", "bicubic"], "reads float images as values in [0, 1]"),
    ("upscale-truncated-jpeg", UP + ["{w}/cut.jpg", "-s", "2", "-o", "{w}/o.png", "--model", "bicubic"], "corrupt or truncated JPEG image"),
    ("upscale-newline-in-name", UP + ["{w}/new\nline.png", "-s", "2", "-o", "{w}/o.png", "--model", "bicubic"], "new\\nline.png"),
    ("upscale-memory-1e308", UP + ["{w}/good.png", "-s", "2", "-o", "{w}/o.png", "--memory-mb", "1e308"], "more than the"),
    ("upscale-keras-huge-conv", UP + ["{w}/good.png", "-s", "2", "-o", "{w}/o.png", "--model", "{w}/hugeconv.keras"], "declares 12000 channels"),
    ("upscale-keras-config-bomb", UP + ["{w}/good.png", "-s", "2", "-o", "{w}/o.png", "--model", "{w}/configbomb.keras"], "its config unpacks to"),
    (
        "upscale-keras-asset-bomb",
        UP + ["{w}/good.png", "-s", "2", "-o", "{w}/o.png", "--model", "{w}/assetbomb.keras"],
        "its metadata and assets unpack to 2,00",
    ),
    ("upscale-keras-nan-weights", UP + ["{w}/good.png", "-s", "2", "-o", "{w}/o.png", "--model", "{w}/nan.keras"], "holds NaN or inf"),
    ("export-keras-nan-weights", ["export", "{w}/nan.keras", "-o", "{w}/nan.tflite"], "holds NaN or inf"),
    ("upscale-keras-unbuilt", UP + ["{w}/good.png", "-s", "2", "-o", "{w}/o.png", "--model", "{w}/unbuilt.keras"], "no input shape"),
    ("eval-keras-three-channel", ["eval", "--model", "{w}/rgb_in.keras", "--data", "{w}/small"], "expected input shape (None, H, W, 1)"),
    ("eval-keras-rank3", ["eval", "--model", "{w}/rank3.keras", "--data", "{w}/small"], "expected input shape (None, H, W, 1)"),
    ("info-onnx-constant-bomb", ["info", "{w}/bomb.onnx"], "GiB of constant tensors"),
    ("upscale-tflite-fixed-16000", UP + ["{w}/good.png", "-s", "2", "-o", "{w}/o.png", "--model", "{w}/fixed16k.tflite"], "fixed input 16000x16000 is larger"),
    ("eval-tflite-int8-io", ["eval", "--model", "{w}/int8io.tflite", "--data", "{w}/small"], "its input is int8"),
    ("eval-tflite-int64-output", ["eval", "--model", "{w}/int64out.tflite", "--data", "{w}/small"], "its output is int64"),
    ("train-config-nested-200k", ["train", "--config", "{w}/nested.yaml", "--out", "{w}/o"], "nested 200,000 brackets deep"),
    ("train-name-with-a-slash", ["train", "--set", "name=a/b", "--out", "{w}/o"], "'name' must be 1 to 64 letters"),
    ("train-seed-2-40", ["train", "--set", f"seed={2**40}", "--out", "{w}/o"], "'seed' must be <= 4,294,967,295"),
    ("train-epochs-1e31", ["train", "--set", "epochs=1e31", "--out", "{w}/o"], "'epochs' must be an integer"),
    ("train-epochs-10-31", ["train", "--set", f"epochs={10**31}", "--out", "{w}/o"], "'epochs' must be <= 1,000,000"),
    ("train-steps-2-63", ["train", "--set", f"steps_per_epoch={2**63}", "--out", "{w}/o"], "'steps_per_epoch' must be <="),
    ("train-filters-30000", ["train", "--set", "filters=30000", "--out", "{w}/o"], "'filters' must be <= 1,024"),
    ("train-batch-10-9", ["train", "--set", f"batch_size={10**9}", "--out", "{w}/o"], "'batch_size' must be <= 65,536"),
    ("train-batch-beyond-memory", ["train", "--set", "batch_size=65536", "--set", "patch=128", "--out", "{w}/o"], "GiB per step, more than"),
    ("train-resume-state-not-json", ["train", "--out", "{w}/runs/notjson", "--resume"], "state.json: corrupt (not JSON"),
    ("train-resume-state-wrong-type", ["train", "--out", "{w}/runs/wrongtype", "--resume"], "state.json: corrupt ('epoch' is 'three')"),
    ("train-resume-state-a-list", ["train", "--out", "{w}/runs/alist", "--resume"], "state.json: corrupt (expected a mapping"),
]


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder): (p.is_dir(), p.lstat().st_size, p.lstat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("argv,fragment", [c[1:] for c in COMMANDS], ids=[c[0] for c in COMMANDS])
def test_bad_input_command(capsys, work, argv, fragment):
    before = snapshot(work)
    code = main([a.replace("{w}", str(work)) for a in argv])
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2, (out, err)
    assert len(lines) == 1 and lines[0].startswith("drrn: error:") and fragment in lines[0], err
    assert snapshot(work) == before  # nothing written, created or touched


def _missing_weights_preset(monkeypatch):
    import dataclasses

    import drrn_tf.nn.presets as presets

    real = presets.PRESETS["drrn_b1u9_f32"]
    meta = {**real.metadata, "weights": {"file": "gone.weights.h5", "sha256": "0" * 64}}
    monkeypatch.setitem(presets.PRESETS, "broken", dataclasses.replace(real, name="broken", metadata=meta))
    return presets.build_preset("broken")


def _api_cases():
    from drrn_tf.inference.engines import TileEngine
    from drrn_tf.io.images import read_image, write_image
    from drrn_tf.nn.predict import predict_y
    from drrn_tf.protocol.matlab import modcrop
    from drrn_tf.upscale.image import upscale_pixels

    gray = np.zeros((8, 8), np.uint8)
    return [
        ("upscale_pixels-int32", lambda w, m: upscale_pixels(None, gray.astype(np.int32), 2), TypeError, "uint8, uint16 or float"),
        ("upscale_pixels-5-channels", lambda w, m: upscale_pixels(None, np.zeros((8, 8, 5), np.uint8), 2), ValueError, "got shape (8, 8, 5)"),
        ("upscale_pixels-scale-17", lambda w, m: upscale_pixels(None, gray, 17), ValueError, "scale must be a number from 1 to 16"),
        ("upscale_pixels-nan", lambda w, m: upscale_pixels(None, np.full((8, 8), np.nan, np.float32), 2), ValueError, "NaN"),
        ("upscale_pixels-float-out-of-range", lambda w, m: upscale_pixels(None, np.full((8, 8), 2.0), 2), ValueError, "in [0, 1]"),
        ("upscale_pixels-memory", lambda w, m: upscale_pixels(None, gray, 2, memory_mb=-1), ValueError, "memory_mb"),
        ("write_image-int32", lambda w, m: write_image(w / "api.png", gray.astype(np.int32)), TypeError, "uint8, uint16 or float"),
        ("write_image-float-out-of-range", lambda w, m: write_image(w / "api.png", np.full((8, 8), 3.0)), ValueError, "[0, 1]"),
        ("modcrop-0", lambda w, m: modcrop(gray, 0), ValueError, "scale must be an integer >= 1"),
        ("predict_y-memory", lambda w, m: predict_y(identity_drrn(units=1, filters=4), gray / 255.0, memory_mb=-1), ValueError, "memory_mb"),
        ("upscale_pixels-scale-0.5", lambda w, m: upscale_pixels(None, gray, 0.5), ValueError, "from 1 to 16, got 0.5"),
        ("upscale_pixels-model-5", lambda w, m: upscale_pixels(5, gray, 2), TypeError, "model must be a Keras model"),
        ("upscale_pixels-window-0", lambda w, m: upscale_pixels(None, gray, 2, window=0), ValueError, "window must be a whole number"),
        ("upscale_pixels-window-10.5", lambda w, m: upscale_pixels(None, gray, 2, window=10.5), ValueError, "window must be a whole number"),
        ("upscale_pixels-over-budget", lambda w, m: upscale_pixels(None, gray, 2, memory_mb=1), ValueError, "more than the memory budget of 1 MiB"),
        ("upscale_pixels-model-gives-nan", lambda w, m: upscale_pixels(TileEngine("nan", lambda y: y * np.nan, 0, 8), gray, 2), ValueError, "NaN or inf"),
        ("read_image-max-pixels-nan", lambda w, m: read_image(w / "good.png", max_pixels=float("nan")), ValueError, "max_pixels must be a whole number"),
        ("preset-with-missing-weights", lambda w, m: _missing_weights_preset(m), Exception, "weights of preset 'broken' are missing"),
    ]


@pytest.mark.parametrize("case", range(len(_api_cases())), ids=[c[0] for c in _api_cases()])
def test_bad_input_api(work, monkeypatch, case):
    _, call, kind, fragment = _api_cases()[case]
    before = snapshot(work)
    with pytest.raises(kind) as e:
        call(work, monkeypatch)
    assert fragment in str(e.value)
    assert snapshot(work) == before


@pytest.mark.parametrize("command", ["eval", "export"])
def test_a_full_disk_is_one_line_naming_the_file(capsys, work, monkeypatch, command):
    import errno

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    argv = {
        "eval": ["eval", "--model", "bicubic", "--data", f"{work}/tiny16", "--scales", "2", "--json", f"{work}/r.json"],
        "export": ["export", f"{work}/identity.keras", "--parity-data", "none", "-o", f"{work}/r.tflite"],
    }[command]
    before = snapshot(work)
    monkeypatch.setattr(Path, "write_bytes", full)
    code = main(argv)
    monkeypatch.undo()
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip() and not line.startswith("evaluating:")]  # its progress bar
    assert code == 2 and len(lines) == 1 and "r." in lines[0] and "cannot write (disk full: no space left on device)" in lines[0], lines
    assert snapshot(work) == before
