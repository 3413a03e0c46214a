"""The drrn command line: upscale, eval, info, and bad input handling."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import identity_drrn, tiny_drrn
from PIL import Image

from drrn_tf.cli import main
from drrn_tf.io.images import read_image
from drrn_tf.protocol.matlab import imresize
from drrn_tf.upscale.image import upscale_pixels


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    tiny_drrn(units=2, filters=8).save(d / "tiny.keras")
    identity_drrn().save(d / "identity.keras")
    brighter = identity_drrn()
    brighter.get_layer("conv_out").bias.assign(np.full((1,), 0.02, "float32"))  # output = input + 0.02
    brighter.save(d / "brighter.keras")
    return d


@pytest.fixture
def photo(tmp_path):
    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[0:30, 0:41] / 30.0
    base = 0.5 + 0.3 * np.sin(6 * xx) * np.cos(4 * yy)
    rgb = np.dstack([base, base**2, 1 - base]) * 255 + rng.normal(0, 3, (30, 41, 3))
    path = tmp_path / "photo.png"
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(path)
    return path


def test_upscale_rgb_with_identity_network_equals_bicubic(capsys, tmp_path, photo, model_files):
    out = tmp_path / "out.png"
    code, stdout, _ = run(capsys, "upscale", photo, "-s", 3, "-o", out, "--model", model_files / "identity.keras")
    assert code == 0, stdout
    got = read_image(out).pixels
    assert got.shape == (90, 123, 3)
    np.testing.assert_array_equal(got, upscale_pixels(None, read_image(photo).pixels, 3))


def test_upscale_rgb_changes_only_luminance(capsys, tmp_path, photo, model_files):
    out = tmp_path / "out.png"
    assert run(capsys, "upscale", photo, "-s", 2, "-o", out, "--model", model_files / "brighter.keras")[0] == 0
    from drrn_tf.protocol.matlab import rgb2ycbcr

    got = rgb2ycbcr(read_image(out).pixels.astype(np.float64) / 255)
    bic = rgb2ycbcr(upscale_pixels(None, read_image(photo).pixels, 2).astype(np.float64) / 255)
    # The network's +0.02 lands on Y; Cb/Cr stay bicubic (up to 8-bit RGB rounding).
    np.testing.assert_allclose(got[..., 0] - bic[..., 0], 0.02, atol=1.5 / 255)
    assert np.abs(got[..., 1:] - bic[..., 1:]).max() < 1.5 / 255


def test_upscale_gray_rgba_palette_16bit(capsys, tmp_path, model_files):
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 256, (20, 24), dtype=np.uint8)
    Image.fromarray(gray).save(tmp_path / "gray.png")
    rgba = np.dstack([rng.integers(0, 256, (20, 24, 3), dtype=np.uint8), np.tile(np.linspace(0, 255, 24), (20, 1)).astype(np.uint8)])
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    Image.fromarray(rgba[..., :3]).convert("P", palette=Image.Palette.ADAPTIVE, colors=32).save(tmp_path / "pal.png")
    g16 = (np.tile(np.linspace(0, 65535, 24), (20, 1))).astype(np.uint16)
    Image.fromarray(g16).save(tmp_path / "g16.png")
    outdir = tmp_path / "out"
    inputs = [tmp_path / n for n in ("gray.png", "rgba.png", "pal.png", "g16.png")]
    code, stdout, _ = run(capsys, "upscale", *inputs, "-s", 2, "-o", outdir, "--model", model_files / "identity.keras")
    assert code == 0
    g = read_image(outdir / "gray_x2.png").pixels
    assert g.shape == (40, 48) and g.dtype == np.uint8
    np.testing.assert_array_equal(g, imresize(gray, 2))  # identity network: bicubic on the gray image
    a = read_image(outdir / "rgba_x2.png").pixels
    assert a.shape == (40, 48, 4)
    np.testing.assert_array_equal(a[..., 3], imresize(rgba[..., 3], 2))  # alpha: bicubic
    assert read_image(outdir / "pal_x2.png").pixels.shape == (40, 48, 3)
    s16 = read_image(outdir / "g16_x2.png").pixels
    assert s16.dtype == np.uint16 and s16.shape == (40, 48)
    np.testing.assert_array_equal(s16, imresize(g16, 2))
    assert stdout.count("->") == 4


def test_upscale_respects_exif_orientation(capsys, tmp_path, model_files):
    im = Image.fromarray(np.random.default_rng(1).integers(0, 256, (10, 16, 3), dtype=np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when shown
    im.save(tmp_path / "cam.jpg", exif=exif, quality=95)
    assert run(capsys, "upscale", tmp_path / "cam.jpg", "-s", 2, "-o", tmp_path / "o.png", "--model", model_files / "identity.keras")[0] == 0
    assert read_image(tmp_path / "o.png").pixels.shape == (32, 20, 3)


def test_upscale_refuses_to_overwrite_input(capsys, tmp_path, photo, model_files):
    before = photo.read_bytes()
    code, _, err = run(capsys, "upscale", photo, "-s", 2, "-o", photo, "--model", model_files / "identity.keras")
    assert code == 2 and "is an input of this run; refusing to overwrite it" in err
    assert photo.read_bytes() == before
    # Also through a folder whose generated name hits another input.
    (tmp_path / "photo_x2.png").write_bytes(before)
    code, _, err = run(capsys, "upscale", photo, tmp_path / "photo_x2.png", "-s", 2, "-o", tmp_path, "--model", model_files / "identity.keras")
    assert code == 2 and "overwrite" in err


def _bad_inputs(tmp_path, data_dir):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.png").write_text("hello")
    good = (data_dir / "Set5" / "bird.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(good[: len(good) // 3])
    (tmp_path / "fake.keras").write_bytes(b"PK\x03\x04 definitely not a zip")
    (tmp_path / "weights.txt").write_text("0 1 2")
    return good


@pytest.mark.slow
def test_real_process_prints_no_traceback(tmp_path, data_dir):
    _bad_inputs(tmp_path, data_dir)
    for argv in (
        ["upscale", str(tmp_path / "cut.png"), "-s", "2", "-o", str(tmp_path / "o.png"), "--model", str(tmp_path / "fake.keras")],
        ["eval", "--model", str(tmp_path / "fake.keras"), "--data", str(tmp_path / "empty")],
    ):
        p = subprocess.run([sys.executable, "-m", "drrn_tf", *argv], capture_output=True, text=True, timeout=300)
        assert p.returncode == 2
        assert "Traceback" not in p.stderr
        assert p.stderr.strip().count("\n") == 0 and p.stderr.startswith("drrn: error:"), p.stderr
    assert not (tmp_path / "o.png").exists()


def test_info_json(capsys, model_files):
    code, out, _ = run(capsys, "info", "drrn_b1u9", "--json")
    assert code == 0
    st = json.loads(out)
    assert st["name"] == "drrn_b1u9"
    assert st["params"] == 297_601
    # 1->128 entry conv, 18 shared 128->128 applications, 128->1 output conv.
    assert st["macs_per_pixel"] == 9 * 128 + 18 * 9 * 128 * 128 + 9 * 128
    assert st["depth"] == 20
    assert st["receptive_field"] == 41
    assert st["shared_params"] == 2 * (9 * 128 * 128 + 128)
    # The paper's compute figures are per 1280x720 image: DRRN B1U25 ~6,797 G, VDSR ~613 G mult-adds.
    b1u25 = json.loads(run(capsys, "info", "drrn_b1u25", "--json")[1])
    vdsr = json.loads(run(capsys, "info", "vdsr", "--json")[1])
    assert round(b1u25["macs_per_pixel"] * 1280 * 720 / 1e9) == 6797
    assert round(vdsr["macs_per_pixel"] * 1280 * 720 / 1e9) == 613
    assert b1u25["depth"] == 52 and vdsr["depth"] == 20
    code, out, _ = run(capsys, "info", model_files / "tiny.keras")
    assert code == 0 and "parameters" in out


def test_upscale_folders_overwrite_and_progress(capsys, tmp_path, photo, model_files):
    model = model_files / "tiny.keras"
    src = tmp_path / "in"
    src.mkdir()
    for name in ("b.png", "a.png"):
        (src / name).write_bytes(photo.read_bytes())
    code, out, err = run(capsys, "upscale", src, "-s", 2, "-o", tmp_path / "out", "--model", model)
    assert code == 0 and out.splitlines() == [f"{src / n} -> {tmp_path / 'out' / n.replace('.png', '_x2.png')} (82x60)" for n in ("a.png", "b.png")]
    assert "upscaling: 2/2 images" in err.splitlines()  # per-image progress (plain lines: stderr is no terminal here)
    written = (tmp_path / "out" / "a_x2.png").stat().st_mtime_ns
    code, _, err = run(capsys, "upscale", src, "-s", 2, "-o", tmp_path / "out", "--model", model)
    assert code == 2 and "a_x2.png: already exists (pass --overwrite" in err
    assert (tmp_path / "out" / "a_x2.png").stat().st_mtime_ns == written
    code, out, err = run(capsys, "upscale", src, "-s", 2, "-o", tmp_path / "out", "--model", model, "--overwrite", "--quiet")
    assert code == 0 and out == "" and err == ""
    # One image in several tiles: a per-tile progress bar.
    code, out, err = run(capsys, "upscale", photo, "-s", 2, "-o", tmp_path / "one.png", "--model", model, "--tile", 30)
    assert code == 0 and "tile" in err and out.startswith(f"{photo} -> ")


@pytest.mark.slow
def test_litert_runtime_caches_a_gated_int8_export(capsys, tmp_path, photo, model_files, data_dir, monkeypatch):
    """--runtime litert: the model's int8 export is made once (parity-checked), cached, and reused."""
    monkeypatch.setenv("DRRN_CACHE", str(tmp_path / "cache"))
    model = model_files / "brighter.keras"
    code, _, err = run(capsys, "upscale", photo, "-s", 2, "-o", tmp_path / "a.png", "--model", model, "--runtime", "litert")
    assert code == 0 and "making the LiteRT int8 export" in err and "parity: worst PSNR drop" in err
    cached = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert len(cached) == 2 and cached[0].endswith(".json") and cached[1].endswith(".tflite")
    code, _, err = run(capsys, "upscale", photo, "-s", 2, "-o", tmp_path / "b.png", "--model", model, "--runtime", "litert")
    assert code == 0 and "making" not in err  # reused
    keras_out = tmp_path / "k.png"
    assert run(capsys, "upscale", photo, "-s", 2, "-o", keras_out, "--model", model)[0] == 0
    a, k = read_image(tmp_path / "a.png").pixels.astype(int), read_image(keras_out).pixels.astype(int)
    assert (a == read_image(tmp_path / "b.png").pixels).all()
    assert 0 < np.abs(a - k).max() <= 3  # int8 is close to, not equal to, the float model


@pytest.mark.slow
@pytest.mark.parametrize("command, signum, status, line", [("upscale", "SIGTERM", 143, "drrn: terminated"), ("eval", "SIGINT", 130, "drrn: interrupted")])
def test_a_signal_stops_a_tile_at_once_and_leaves_nothing_behind(tmp_path, data_dir, command, signum, status, line):
    """SIGTERM is handled like Ctrl-C: at once, even in the middle of a tile through the network (one
    1024-pixel tile of B1U25 in Keras takes tens of seconds on two cores); one line, exit 143 or 130, no
    output, journal or temporary file left."""
    import signal
    import time

    (tmp_path / "in").mkdir()
    big = tmp_path / "in" / "big.png"
    Image.open(data_dir / "Set14" / "barbara.png").save(big)
    out = tmp_path / ("out" if command == "upscale" else "out.json")  # upscale: a folder it makes
    what = (
        ["upscale", str(big), "-s", "4", "-o", str(out)] if command == "upscale" else ["eval", "--data", str(big.parent), "--scales", "4", "--json", str(out)]
    )
    p = subprocess.Popen(
        [sys.executable, "-m", "drrn_tf", *what, "--model", "drrn_b1u25", "--runtime", "keras", "--tile", "1024"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    err = b""
    deadline = time.time() + 120
    while b"drrn: runtime" not in err and p.poll() is None and time.time() < deadline:  # said just before the first tile
        err += p.stderr.read1(4096)
    time.sleep(8)  # past the first tile's colour work and the network's tracing, into its run
    p.send_signal(getattr(signal, signum))
    sent = time.monotonic()
    err += p.communicate(timeout=120)[1]
    waited = time.monotonic() - sent
    text = err.decode()
    assert p.returncode == status, text
    assert text.strip().splitlines()[-1] == line
    assert waited < 5, f"{waited:.1f} s from the signal to the exit"  # the tile alone takes far longer
    assert [f.name for f in tmp_path.iterdir()] == ["in"] and [f.name for f in big.parent.iterdir()] == ["big.png"]


def test_animated_input_says_only_its_first_frame_is_upscaled(capsys, tmp_path, model_files):
    frames = [Image.new("RGB", (12, 10), (40 * i, 90, 200 - 40 * i)) for i in range(3)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    code, out, err = run(capsys, "upscale", tmp_path / "anim.gif", "-s", 2, "-o", tmp_path / "a.png", "--model", model_files / "identity.keras")
    assert code == 0 and "drrn: note: " in err and "animated (3 frames); only the first frame is upscaled" in err
    assert read_image(tmp_path / "a.png").pixels.shape[:2] == (20, 24)


def test_version_and_bare_usage(capsys):
    import drrn_tf

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"drrn-tf {drrn_tf.__version__}"
    assert main([]) == 2
    out, err = capsys.readouterr()
    assert out.startswith("usage: drrn") and err.strip().startswith("drrn: error: choose a command")


# Sub-commands that write files (or folders of them): their output option is -o/--output.
WRITERS = {"upscale", "eval", "train", "export", "qat", "demo", "serve-demo", "bench"}


def _subparsers():
    import argparse

    from drrn_tf.cli import build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sub.choices


def test_every_subcommand_documents_every_option_and_ends_with_examples():
    subs = _subparsers()
    assert {"upscale", "eval", "train", "info", "export", "qat", "demo", "serve-demo"} <= set(subs)
    for name, sp in subs.items():
        undocumented = [a.option_strings or a.dest for a in sp._actions if not a.help and a.dest != "help"]
        assert not undocumented, f"drrn {name}: options without help: {undocumented}"
        examples = sp.epilog.split("examples:\n", 1)[1].splitlines()
        assert 2 <= len(examples) <= 3 and all(e.strip().startswith("drrn ") for e in examples), (name, examples)
        assert any(e.strip().startswith(f"drrn {name}") for e in examples), name


def test_every_subcommand_that_writes_takes_o_output():
    for name, sp in _subparsers().items():
        options = {s for a in sp._actions for s in a.option_strings}
        if name in WRITERS:
            assert {"-o", "--output"} <= options, f"drrn {name} writes files but has no -o/--output"
        else:
            assert "-o" not in options, name


def test_a_long_library_message_is_cut_visibly_and_the_chain_is_kept():
    from drrn_tf.errors import InputError, first_line

    cause = ValueError("x" * 500 + "\nsecond line")
    short = first_line(cause)
    assert short.startswith("x" * 200) and short.endswith("... (--debug shows all)") and "second" not in short
    assert first_line(ValueError("short")) == "short" and first_line(ValueError("")) == "ValueError"
    try:
        try:
            raise cause
        except ValueError as e:
            raise InputError(f"m.keras: not a valid Keras model file ({first_line(e)})") from e
    except InputError as err:
        assert err.__cause__ is cause  # what drrn --debug prints in full


@pytest.mark.slow
def test_upscale_defaults_run_the_shipped_int8_export_without_tensorflow(tmp_path, photo):
    """All defaults, an empty cache: drrn upscale runs the default preset's shipped, gated int8 LiteRT
    export -- no export is made, TensorFlow is never imported, the first line says which runtime and
    why -- and its output is the Keras model's within int8 noise (luminance PSNR between the two)."""
    from drrn_tf.protocol.evaluation import hr_luminance
    from drrn_tf.protocol.metrics import psnr

    cache = tmp_path / "cache"
    env = {**os.environ, "DRRN_CACHE": str(cache)}
    code = (
        "import sys, json\n"
        "from drrn_tf.cli import main\n"
        f"rc = main(['upscale', {str(photo)!r}, '-s', '3', '-o', {str(tmp_path / 'auto.png')!r}])\n"
        "print(json.dumps([rc, sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)]))"
    )
    auto = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert auto.returncode == 0, auto.stderr[-2000:]
    assert json.loads(auto.stdout.splitlines()[-1]) == [0, []]
    first = auto.stderr.splitlines()[0]
    assert first.startswith("drrn: runtime litert int8") and "shipped full-int8 export of drrn_b1u9" in first and "--runtime keras" in first, first
    assert not cache.exists() or not any(cache.iterdir())  # nothing was exported
    keras_run = subprocess.run(
        [sys.executable, "-m", "drrn_tf", "upscale", str(photo), "-s", "3", "-o", str(tmp_path / "keras.png"), "--runtime", "keras"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert keras_run.returncode == 0 and "drrn: runtime keras" in keras_run.stderr, keras_run.stderr[-2000:]
    y_auto, y_keras = (hr_luminance(read_image(tmp_path / f).pixels) for f in ("auto.png", "keras.png"))
    assert not np.array_equal(y_auto, y_keras)  # two runtimes really ran
    print(f"luminance PSNR, litert int8 against keras: {psnr(y_auto, y_keras):.2f} dB")
    assert psnr(y_auto, y_keras) > 38, psnr(y_auto, y_keras)


def test_two_runs_writing_one_output_exactly_one_wins(tmp_path, data_dir):
    """Without --overwrite, two `drrn upscale -o same.png` started together: one writes it, the other says why."""
    import subprocess
    import sys

    argv = [
        sys.executable,
        "-m",
        "drrn_tf",
        "upscale",
        str(data_dir / "Set14" / "barbara.png"),
        "-s",
        "3",
        "-o",
        str(tmp_path / "same.png"),
        "--model",
        "bicubic",
        "--quiet",
    ]
    runs = [subprocess.Popen(argv, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = sorted((p.wait(timeout=300), p.stderr.read()) for p in runs)
    assert [code for code, _ in results] == [0, 2], results
    assert "same.png: already exists" in results[1][1] and len(results[1][1].strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.png"]  # no temporary left


_PEAK = """
import resource, sys
import numpy as np
from drrn_tf.cli import main
from drrn_tf.upscale.image import upscale_pixels
import cv2, PIL.Image  # noqa: F401 - imported before the baseline
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
{call}
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024)
"""


def _peak_mb(call: str) -> float:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _PEAK.format(call=call)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return float(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_memory_stays_within_the_budget(tmp_path):
    """A large allowed image, and one a pixel high and 3 million wide (whose bicubic tables were once
    sized by its long side): the upscale's memory beyond the imported libraries stays within --memory-mb."""
    import hostile

    (tmp_path / "big.png").write_bytes(hostile.png_large(3000, 3000, rgb=True))
    argv = ["upscale", str(tmp_path / "big.png"), "-s", "2", "-o", str(tmp_path / "big_x2.tif"), "--model", "bicubic", "--memory-mb", "300", "--quiet"]
    peak = _peak_mb(f"assert main({argv!r}) == 0")
    assert peak < 300, peak
    peak = _peak_mb("upscale_pixels(None, np.zeros((1, 3_000_000), np.uint8), 2, memory_mb=160)")  # its old tables: ~600 MB
    assert peak < 160, peak


def test_what_is_refused_is_said_in_one_place(capsys):
    """`drrn --help` ends with the list of refusals, and the README and the upscaling page quote it as it is."""
    from drrn_tf.cli import REFUSALS

    with pytest.raises(SystemExit):
        main(["--help"])
    assert capsys.readouterr().out.rstrip().endswith(REFUSALS)
    for page in ("README.md", "docs/upscaling.md"):
        assert REFUSALS in (Path(__file__).parents[1] / page).read_text(), page
    # the sizes it names are the ones the output check enforces
    from drrn_tf.io.images import _MAX_SIDE

    said = re.search(r"JPEG ([\d,]+) pixels a side, WebP ([\d,]+), PNG ([\d,]+)", REFUSALS)
    assert said and [int(n.replace(",", "")) for n in said.groups()] == [_MAX_SIDE[s] for s in (".jpg", ".webp", ".png")]


def test_library_warnings_are_not_the_commands_lines(capsys, tmp_path, monkeypatch):
    """A warning raised inside a command (Pillow, numpy and Keras have their own) is not printed; --debug shows it."""
    import warnings

    import drrn_tf.upscale.jobs

    original = drrn_tf.upscale.jobs.read_image
    calls = []

    def noisy(*args, **kwargs):
        calls.append(1)  # a new text each time: Python shows a warning once per text and place
        warnings.warn(f"a library's own remark {len(calls)}, site-packages/lib.py:12", UserWarning, stacklevel=1)
        return original(*args, **kwargs)

    monkeypatch.setattr(drrn_tf.upscale.jobs, "read_image", noisy)
    Image.new("RGB", (16, 16)).save(tmp_path / "a.png")
    argv = ["upscale", str(tmp_path / "a.png"), "-s", "2", "--model", "bicubic", "--quiet", "-o"]
    assert main([*argv, str(tmp_path / "b.png")]) == 0
    assert "remark" not in capsys.readouterr().err
    with pytest.warns(UserWarning, match="remark 2"):  # under --debug it is left to the warnings machinery
        assert main(["--debug", *argv, str(tmp_path / "c.png")]) == 0


@pytest.mark.slow
def test_a_killed_runs_temporary_file_is_removed_by_the_next_run(tmp_path):
    """SIGKILL while the output is being encoded leaves its temporary file (nothing can run then);
    the next write into that folder removes it, and the output name was never taken."""
    import signal
    import time

    import hostile

    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "in" / "big.png").write_bytes(hostile.png_large(2500, 2500, rgb=True))
    argv = [sys.executable, "-m", "drrn_tf", "upscale", str(tmp_path / "in" / "big.png"), "-s", "2", "--model", "bicubic", "--quiet", "-o"]
    p = subprocess.Popen([*argv, str(tmp_path / "out" / "big.png")], stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not list((tmp_path / "out").glob(".big.drrn-*.tmp.png")) and p.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=60)
    left = [f.name for f in (tmp_path / "out").iterdir()]
    assert len(left) == 1 and left[0].startswith(".big.drrn-") and f"-{p.pid}-" in left[0], left  # killed mid-write: only its temporary
    Image.new("RGB", (8, 8)).save(tmp_path / "in" / "small.png")
    done = subprocess.run([*argv[:4], str(tmp_path / "in" / "small.png"), *argv[5:], str(tmp_path / "out" / "small.png")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert [f.name for f in (tmp_path / "out").iterdir()] == ["small.png"]


def test_a_missing_export_stage_is_named_with_its_install_command(capsys, tmp_path, monkeypatch):
    """Where no package registers the exported-model runtimes (the export extra not installed), an
    exported file and --runtime litert each get one line naming the extra, before any work."""
    import importlib.metadata

    import hostile

    from drrn_tf.errors import MissingDependency

    real = importlib.metadata.entry_points
    monkeypatch.setattr(
        importlib.metadata, "entry_points", lambda group=None, **kw: [] if group in ("drrn_tf.exported", "drrn_tf.runtimes") else real(group=group, **kw)
    )
    (tmp_path / "m.tflite").write_bytes(hostile.tflite_int8())
    assert main(["info", str(tmp_path / "m.tflite")]) == 2
    assert (
        capsys.readouterr().err.strip()
        == f"drrn: error: {tmp_path / 'm.tflite'}: running exported models needs the export stage (pip install 'drrn-tf[export]')"
    )
    from drrn_tf.nn.predict import plugin_engine

    with pytest.raises(MissingDependency, match=r"--runtime litert needs the export stage \(pip install 'drrn-tf\[export\]'\)"):
        plugin_engine("drrn_b1u9_f32", "litert")


def test_a_linked_output_folder_is_a_folder(tmp_path):
    """-o naming a symbolic link to a folder writes into the folder (only a link in a file's place is refused)."""
    (tmp_path / "real").mkdir()
    (tmp_path / "results").symlink_to(tmp_path / "real")
    Image.new("RGB", (8, 8)).save(tmp_path / "a.png")
    Image.new("RGB", (8, 8)).save(tmp_path / "b.png")
    argv = ["upscale", str(tmp_path / "a.png"), str(tmp_path / "b.png"), "-s", "2", "-o", str(tmp_path / "results"), "--model", "bicubic", "--quiet"]
    assert main(argv) == 0
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["a_x2.png", "b_x2.png"]


def test_the_default_budget_fits_a_small_computer(monkeypatch):
    import drrn_tf.inference.cpu
    from drrn_tf.inference.engines import _default_memory_mb

    monkeypatch.setattr(drrn_tf.inference.cpu, "total_memory_mb", lambda: 1900.0)
    assert _default_memory_mb() == 1425.0
    monkeypatch.setattr(drrn_tf.inference.cpu, "total_memory_mb", lambda: 24000.0)
    assert _default_memory_mb() == 3072.0
