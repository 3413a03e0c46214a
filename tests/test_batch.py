"""drrn upscale on batches: bad files reported and skipped, --skip-existing, output control
(--format, --quality, --suffix, --strip-metadata), and progress as plain lines off a terminal.

Runs use the bicubic model (no network, no TensorFlow) on small images made here; the ones that
look at stderr as a pipe run the real command in a subprocess."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from drrn_tf.cli import main
from drrn_tf.errors import InputError

# The IJG (libjpeg) standard luminance quantization table, which quality Q scales.
IJG_LUMA = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
]  # fmt: skip


def jpeg_quality(path: Path) -> int:
    """The IJG quality whose scaled luminance table is the file's (compared as sorted values, so that
    the table's storage order does not matter); 0 if none is."""
    with Image.open(path) as im:
        assert im.format == "JPEG"
        table = sorted(im.quantization[0])
    for q in range(100, 0, -1):
        scale = 5000 // q if q < 50 else 200 - 2 * q
        if sorted(min(255, max(1, (v * scale + 50) // 100)) for v in IJG_LUMA) == table:
            return q
    return 0


def magic(path: Path) -> str:
    head = path.read_bytes()[:12]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    return "?"


def picture(h: int = 20, w: int = 24, seed: int = 0, channels: int = 3, dtype=np.uint8) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = 0.5 + 0.4 * np.sin(xx / 3.0 + seed) * np.cos(yy / 4.0)
    planes = [base, base**2, 1 - base, np.linspace(0, 1, w)[None].repeat(h, 0)][:channels]
    peak = np.iinfo(dtype).max
    a = np.clip(np.dstack(planes) * peak + rng.normal(0, peak / 100, (h, w, channels)), 0, peak).astype(dtype)
    return a[..., 0] if channels == 1 else a


def drrn(*argv, **kw) -> subprocess.CompletedProcess:
    """The real command in a subprocess, stdout and stderr pipes (not a terminal)."""
    return subprocess.run([sys.executable, "-m", "drrn_tf", *map(str, argv)], capture_output=True, text=True, timeout=300, **kw)


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder): (p.is_dir(), p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


@pytest.fixture
def folder(tmp_path) -> Path:
    """3 images (PNG, PNG, JPEG at quality 80), a readme.txt, a corrupt .jpg and a hidden file."""
    d = tmp_path / "in"
    d.mkdir()
    Image.fromarray(picture(seed=1)).save(d / "a.png")
    Image.fromarray(picture(seed=2)).save(d / "b.png")
    Image.fromarray(picture(seed=3)).save(d / "c.jpg", quality=80)
    (d / "readme.txt").write_text("photos of the trip\n")
    buf = io.BytesIO()
    Image.fromarray(picture(seed=4)).save(buf, "JPEG", quality=90)
    (d / "broken.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 3])
    (d / ".DS_Store").write_bytes(b"\0\1\2")
    return d


def test_a_folder_with_bad_files_upscales_the_rest_and_resumes(folder, tmp_path):
    out = tmp_path / "out"
    done = drrn("upscale", folder, "-s", 2, "-o", out, "--model", "bicubic")
    errors = [ln for ln in done.stderr.splitlines() if ln.startswith("drrn: error:")]
    assert done.returncode == 1, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a_x2.png", "b_x2.png", "c_x2.jpg"]
    assert len(errors) == 2, done.stderr
    assert errors[0].startswith(f"drrn: error: {folder / 'broken.jpg'}: corrupt or truncated JPEG image"), errors
    assert errors[1].startswith(f"drrn: error: {folder / 'readme.txt'}: not an image file"), errors
    assert done.stderr.splitlines()[-1] == "upscaled 3 of 5 images; 2 failed (listed above)"
    assert "upscaling: 3/3 images" in done.stderr.splitlines()  # plain progress off a terminal
    assert "DS_Store" not in done.stderr + done.stdout  # hidden files are left out
    assert done.stdout.count(" -> ") == 3
    for p in out.iterdir():
        with Image.open(p) as im:
            assert im.size == (48, 40)

    # Again with --skip-existing: the three outputs are left alone, the two bad files reported again.
    before = snapshot(out)
    again = drrn("upscale", folder, "-s", 2, "-o", out, "--model", "bicubic", "--skip-existing")
    assert again.returncode == 1 and snapshot(out) == before, again.stderr
    assert again.stderr.splitlines()[-1] == "upscaled 0 of 5 images; 3 skipped (their outputs exist); 2 failed (listed above)"

    # Without the bad files every output exists: nothing to do, in one line.
    (folder / "readme.txt").unlink()
    (folder / "broken.jpg").unlink()
    again = drrn("upscale", folder, "-s", 2, "-o", out, "--model", "bicubic", "--skip-existing")
    assert again.returncode == 0 and snapshot(out) == before
    assert again.stderr.strip() == "nothing to do: all 3 outputs exist (--skip-existing)" and again.stdout == ""

    # One output gone: only that one is made again.
    (out / "b_x2.png").unlink()
    again = drrn("upscale", folder, "-s", 2, "-o", out, "--model", "bicubic", "--skip-existing")
    after = snapshot(out)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"{folder / 'b.png'} -> {out / 'b_x2.png'} (48x40)"
    assert {k: v for k, v in after.items() if k.name != "b_x2.png"} == {k: v for k, v in before.items() if k.name != "b_x2.png"}
    assert Path("b_x2.png") in after and again.stderr.splitlines()[-1] == "upscaled 1 of 3 images; 2 skipped (their outputs exist)"

    # Without --skip-existing or --overwrite an existing output refuses the whole run.
    refused = drrn("upscale", folder, "-s", 2, "-o", out, "--model", "bicubic")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "a_x2.png: already exists (pass --overwrite" in refused.stderr
    assert snapshot(out) == after


def test_quiet_prints_nothing_and_a_lone_bad_folder_is_exit_2(folder, tmp_path):
    out = tmp_path / "out"
    done = drrn("upscale", folder, "-s", 2, "-o", out, "--model", "bicubic", "--quiet")
    lines = done.stderr.splitlines()
    assert done.returncode == 1 and done.stdout == "" and not [ln for ln in lines if "upscaling" in ln], done.stderr
    assert len(lines) == 3 and lines[-1].startswith("upscaled 3 of 5"), lines  # the failures, and the line that counts them
    for name in ("a.png", "b.png", "c.jpg"):
        (folder / name).unlink()
    done = drrn("upscale", folder, "-s", 2, "-o", tmp_path / "none", "--model", "bicubic")
    assert done.returncode == 2 and not (tmp_path / "none").exists()
    assert done.stderr.splitlines()[-1] == "upscaled 0 of 2 images; 2 failed (listed above)", done.stderr
    (folder / "broken.jpg").unlink()
    done = drrn("upscale", folder, "-s", 2, "-o", tmp_path / "none", "--model", "bicubic")
    assert done.returncode == 2 and done.stderr == f"drrn: error: {folder}: holds no images (1 file, none of them PNG, JPEG, TIFF, WebP, BMP or GIF)\n"
    assert not (tmp_path / "none").exists()


def test_progress_of_one_image_in_tiles_off_a_terminal(tmp_path):
    Image.fromarray(picture(64, 80)).save(tmp_path / "photo.png")
    done = drrn("upscale", tmp_path / "photo.png", "-s", 2, "-o", tmp_path / "big.png", "--model", "bicubic", "--tile", 64)
    assert done.returncode == 0, done.stderr
    assert "upscaling photo.png: 100% (6/6 tiles)" in done.stderr.splitlines(), done.stderr
    assert "\r" not in done.stderr  # no bar drawn into a pipe
    quiet = drrn("upscale", tmp_path / "photo.png", "-s", 2, "-o", tmp_path / "q.png", "--model", "bicubic", "--tile", 64, "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == ""


def test_plain_progress_lines_are_spaced(monkeypatch, capsys):
    from drrn_tf.cli import options

    now = [0.0]
    bar = options.progress(range(130), desc="upscaling photo.jpg", unit="tile")
    assert isinstance(bar, options.Lines)  # capsys: stderr is no terminal
    bar.clock = lambda: now[0]
    bar.start = bar.last = 0.0
    for _ in bar:
        now[0] += 0.5  # a tile every half second: 65 s in all
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1] == "upscaling photo.jpg: 100% (130/130 tiles)"
    assert 8 <= len(lines) <= 12, lines  # about one a tenth
    assert lines[0] == "upscaling photo.jpg: 10% (13/130 tiles)"
    fast = options.Lines(None, total=1000, desc="upscaling", unit="img")
    fast.clock = lambda: now[0]
    fast.start = fast.last = now[0]
    for _ in range(1000):
        now[0] += 0.01  # 100 images a second: a line every 3 s at most, and the last
        fast.update(1)
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1] == "upscaling: 1000/1000 images" and len(lines) <= 5, lines
    slow = options.Lines(None, total=1000, desc="images", unit="img")
    slow.clock = lambda: now[0]
    slow.start = slow.last = now[0]
    for _ in range(3):
        now[0] += 11  # under a tenth, but 10 s since the last line
        slow.update(1)
    assert capsys.readouterr().err.splitlines() == ["images: 1/1000", "images: 2/1000", "images: 3/1000"]
    long = options.Lines(None, total=40, desc="evaluating", unit="img")  # an evaluation of hours: how long is left
    long.clock = lambda: now[0]
    long.start = long.last = now[0]
    for _ in range(40):
        now[0] += 100
        long.update(1)
    lines = capsys.readouterr().err.splitlines()
    assert lines[:2] == ["evaluating: 1/40 images, about 65 min left", "evaluating: 2/40 images, about 63 min left"]
    assert lines[-1] == "evaluating: 40/40 images" and len(lines) == 40
    assert [options.duration(t) for t in (0.2, 40, 700, 3 * 3600 + 5 * 60)] == ["1 s", "40 s", "12 min", "3 h 05 min"]


def test_format_quality_and_suffix(folder, tmp_path):
    (folder / "readme.txt").unlink()
    (folder / "broken.jpg").unlink()
    default = drrn("upscale", folder, "-s", 2, "-o", tmp_path / "d", "--model", "bicubic")
    assert default.returncode == 0, default.stderr
    assert {p.name: magic(p) for p in (tmp_path / "d").iterdir()} == {"a_x2.png": "PNG", "b_x2.png": "PNG", "c_x2.jpg": "JPEG"}
    assert jpeg_quality(tmp_path / "d" / "c_x2.jpg") == 80  # the input's own
    notes = [ln for ln in default.stderr.splitlines() if ln.startswith("drrn: note:")]
    assert notes == ["drrn: note: JPEG inputs are written as .jpg at quality 80 (their own estimated quality); --format png keeps every pixel"]

    for fmt, ext, kind in (("webp", ".webp", "WEBP"), ("tiff", ".tif", "TIFF"), ("png", ".png", "PNG"), ("jpg", ".jpg", "JPEG")):
        out = tmp_path / fmt
        done = drrn("upscale", folder, "-s", 3, "-o", out, "--model", "bicubic", "--format", fmt, "--suffix=-big{s}", "--quiet")
        assert done.returncode == 0 and done.stderr == "", done.stderr  # a chosen format: no note
        assert {p.name: magic(p) for p in out.iterdir()} == {f"{n}-big3{ext}": kind for n in "abc"}
    assert jpeg_quality(tmp_path / "jpg" / "a-big3.jpg") == 95  # from a PNG: the default
    assert jpeg_quality(tmp_path / "jpg" / "c-big3.jpg") == 80  # from a JPEG: its own

    done = drrn("upscale", folder, "-s", 2, "-o", tmp_path / "q", "--model", "bicubic", "--format", "jpg", "--quality", 60, "--suffix=")
    assert done.returncode == 0 and sorted(p.name for p in (tmp_path / "q").iterdir()) == ["a.jpg", "b.jpg", "c.jpg"]
    assert {jpeg_quality(p) for p in (tmp_path / "q").iterdir()} == {60}
    one = drrn("upscale", folder / "c.jpg", "-s", 2, "-o", tmp_path / "one.jpg", "--model", "bicubic", "--quality", 70)
    assert one.returncode == 0 and jpeg_quality(tmp_path / "one.jpg") == 70
    one = drrn("upscale", folder / "c.jpg", "-s", 2, "-o", tmp_path / "own.jpg", "--model", "bicubic")
    assert one.returncode == 0 and jpeg_quality(tmp_path / "own.jpg") == 80 and "note" not in one.stderr  # -o named the format


@pytest.mark.parametrize(
    "extra,fragment",
    [
        (["--format", "png", "--quality", "80"], "--quality is for lossy outputs (jpg, webp)"),
        (["--quality", "80", "-o", "{t}/o.png"], "--quality 80: the outputs here are lossless (.png)"),
        (["--format", "jpg", "-o", "{t}/o.png"], "--format jpg asks for a .jpg file"),
        (["--suffix", "x/y"], "--suffix 'x/y': must be plain text"),
        (["--suffix=", "-o", "{t}/in"], "--suffix '': "),
        (["--suffix", "_s", "-o", "{t}/o.png"], "--suffix names the outputs written into a folder"),
        (["--skip-existing", "--overwrite"], "--skip-existing keeps the outputs that exist and --overwrite replaces them"),
        (["--quality", "101"], "argument --quality: must be from 1 to 100"),
        (["--format", "gif"], "argument --format: invalid choice"),
        (["-o", "{t}/a.png/deeper"], "cannot create output folder"),
        (["--model", "{t}/nothing.keras"], "nothing.keras"),
    ],
)
def test_whole_run_problems_refuse_before_any_work(capsys, tmp_path, extra, fragment):
    d = tmp_path / "in"
    d.mkdir()
    Image.fromarray(picture()).save(d / "a.png")
    Image.fromarray(picture(seed=2)).save(d / "b.png")
    Image.fromarray(picture()).save(tmp_path / "a.png")
    extra = [a.replace("{t}", str(tmp_path)) for a in extra]
    inputs = [d / "a.png"] if "{t}/o.png" in " ".join(extra).replace(str(tmp_path), "{t}") else [d]
    argv = ["upscale", *inputs, "-s", "2", "--model", "bicubic", *extra]
    if "-o" not in extra:
        argv += ["-o", tmp_path / "out"]
    refused(capsys, tmp_path, argv, fragment)


def refused(capsys, tmp_path, argv, fragment):
    """``drrn ARGV`` refuses in one line holding ``fragment``, exits 2 and changes nothing under tmp_path."""
    before = snapshot(tmp_path)
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("drrn: error: ") and fragment in err, err
    assert snapshot(tmp_path) == before


def test_two_inputs_one_name_refuse_the_run(capsys, tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    Image.fromarray(picture()).save(d / "scan.png")
    Image.fromarray(picture()).save(d / "scan.bmp")  # both become scan_x2.png
    before = snapshot(tmp_path)
    assert main(["upscale", str(d), "-s", "2", "-o", str(tmp_path / "out"), "--model", "bicubic"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "would both be written to" in err and "scan_x2.png" in err
    assert snapshot(tmp_path) == before


def test_a_single_bad_input_is_one_line_and_nothing_written(capsys, tmp_path):
    (tmp_path / "notes.png").write_text("hello")
    buf = io.BytesIO()
    Image.fromarray(picture()).save(buf, "JPEG")
    (tmp_path / "cut.jpg").write_bytes(buf.getvalue()[:200])
    Image.fromarray(picture(channels=4)).save(tmp_path / "rgba.png")
    cases = [
        (["notes.png", "-o", "o.png"], "notes.png: not an image file"),
        (["cut.jpg", "-o", "out"], "cut.jpg: corrupt or truncated JPEG image"),
        (["rgba.png", "-o", "o.jpg"], "o.jpg: the input has transparency, which JPEG cannot store; use .png"),
    ]
    for args, fragment in cases:
        refused(capsys, tmp_path, ["upscale", tmp_path / args[0], "-s", "2", "--model", "bicubic", args[1], tmp_path / args[2]], fragment)


def test_formats_by_input(capsys, tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    Image.fromarray(picture(channels=4)).save(d / "alpha.png")
    Image.fromarray(picture(channels=4)).save(d / "lossless.webp", lossless=True)
    Image.fromarray(picture()).save(d / "lossy.webp", quality=70)
    Image.fromarray(picture()).save(d / "pic.bmp")
    Image.fromarray(picture()).save(d / "scan.tif")
    Image.fromarray(picture(channels=1, dtype=np.uint16)).save(d / "deep.png")
    Image.new("RGB", (12, 10), (200, 0, 0)).save(d / "anim.gif", save_all=True, append_images=[Image.new("RGB", (12, 10), (0, 0, 200))])
    assert main(["upscale", str(d), "-s", "2", "-o", str(tmp_path / "o"), "--model", "bicubic"]) == 0
    err = capsys.readouterr().err
    got = {p.name: magic(p) for p in (tmp_path / "o").iterdir()}
    names = ("alpha", "lossless", "pic", "scan", "deep", "anim")
    assert got == {"lossy_x2.webp": "WEBP", **{f"{n}_x2.png": "PNG" for n in names}}, got
    from drrn_tf.io.images import read_image

    assert read_image(tmp_path / "o" / "deep_x2.png").pixels.dtype == np.uint16  # 16 bits kept
    assert read_image(tmp_path / "o" / "alpha_x2.png").pixels.shape == (40, 48, 4)  # and transparency
    assert "drrn: note: lossy WebP inputs are written as .webp at quality 95; --format png keeps every pixel" in err.splitlines()
    assert "animated (2 frames); only the first frame is upscaled" in err

    # As JPEG: the transparent ones fail (named by their input), 16-bit is written as 8-bit with a note.
    assert main(["upscale", str(d), "-s", "2", "-o", str(tmp_path / "j"), "--model", "bicubic", "--format", "jpg"]) == 1
    err = capsys.readouterr().err
    errors = [ln for ln in err.splitlines() if ln.startswith("drrn: error:")]
    assert errors == [f"drrn: error: {d / n}: has transparency, which JPEG cannot store; use --format png (or webp)" for n in ("alpha.png", "lossless.webp")]
    assert f"drrn: note: {d / 'deep.png'}: 16-bit, written as 8-bit .jpg (.jpg holds 8 bits a channel); --format png or tiff keeps 16 bits" in err
    assert sorted(p.name for p in (tmp_path / "j").iterdir()) == [f"{n}_x2.jpg" for n in ("anim", "deep", "lossy", "pic", "scan")]
    assert err.splitlines()[-1] == "upscaled 5 of 7 images; 2 failed (listed above)"


def test_metadata_is_kept_unless_stripped(capsys, tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"  # Make
    Image.fromarray(picture()).save(tmp_path / "cam.jpg", exif=exif, quality=90)
    for flags, kept in (([], True), (["--strip-metadata"], False)):
        out = tmp_path / f"out{len(flags)}.jpg"
        assert main(["upscale", str(tmp_path / "cam.jpg"), "-s", "2", "-o", str(out), "--model", "bicubic", "--quiet", *flags]) == 0
        with Image.open(out) as im:
            assert (im.getexif().get(0x010F) == "Camera Maker") is kept, flags


def test_failures_while_running(capsys, tmp_path, monkeypatch):
    import drrn_tf.upscale.jobs as jobs

    d = tmp_path / "in"
    d.mkdir()
    for i, n in enumerate("abcd"):
        Image.fromarray(picture(seed=i)).save(d / f"{n}.png")
    real_read, real_write = jobs.read_image, jobs.write_image

    def read(path, *args, **kwargs):  # b.png decodes while planning, and no more when it runs
        if Path(path).name == "b.png" and "check" not in kwargs:
            raise InputError(f"{path}: corrupt or truncated PNG image (changed meanwhile)")
        return real_read(path, *args, **kwargs)

    monkeypatch.setattr(jobs, "read_image", read)
    assert main(["upscale", str(d), "-s", "2", "-o", str(tmp_path / "o"), "--model", "bicubic"]) == 1
    err = capsys.readouterr().err
    assert [ln for ln in err.splitlines() if ln.startswith("drrn: error:")] == [
        f"drrn: error: {d / 'b.png'}: corrupt or truncated PNG image (changed meanwhile)"
    ]
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["a_x2.png", "c_x2.png", "d_x2.png"]

    def write(path, *args, **kwargs):  # the disk is full from the second output on
        if Path(path).name != "a_x2.png":
            from drrn_tf.io.files import os_error

            raise os_error(path, OSError(errno.ENOSPC, "No space left on device"))
        return real_write(path, *args, **kwargs)

    monkeypatch.setattr(jobs, "read_image", real_read)
    monkeypatch.setattr(jobs, "write_image", write)
    assert main(["upscale", str(d), "-s", "2", "-o", str(tmp_path / "full"), "--model", "bicubic"]) == 1
    err = capsys.readouterr().err
    errors = [ln for ln in err.splitlines() if ln.startswith("drrn: error:")]
    assert errors == [f"drrn: error: {tmp_path / 'full' / 'b_x2.png'}: cannot write (disk full: no space left on device)"]  # and no more tries
    assert err.splitlines()[-1] == "upscaled 1 of 4 images; 1 failed (listed above); stopped at that write error, 2 not tried"
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["a_x2.png"]

    def read_none(path, *args, **kwargs):  # every input decodes while planning, and none when it runs
        if "check" not in kwargs:
            raise InputError(f"{path}: corrupt or truncated PNG image (changed meanwhile)")
        return real_read(path, *args, **kwargs)

    monkeypatch.setattr(jobs, "write_image", real_write)
    monkeypatch.setattr(jobs, "read_image", read_none)
    assert main(["upscale", str(d), "-s", "2", "-o", str(tmp_path / "none"), "--model", "bicubic"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == "upscaled 0 of 4 images; 4 failed (listed above)"
    assert not (tmp_path / "none").exists()  # the folder made for the run is gone with it: nothing was written


def test_the_command_line_and_the_planner_agree_on_formats():
    from drrn_tf.cli import upscale
    from drrn_tf.upscale import jobs

    assert tuple(jobs.FORMATS) == upscale.FORMATS
    help_text = upscale.DESCRIPTION
    for words in ("_x{s}", "photo_x2.jpg", "exit status: 0", "1 some", "2 nothing could be done", "--skip-existing"):
        assert words in help_text, words


def test_a_pipe_and_a_terminal_of_no_size_get_lines(monkeypatch):
    from drrn_tf.cli import options

    r, w = os.pipe()
    with os.fdopen(w, "w") as pipe:
        assert not options._draws_bars(pipe)
    os.close(r)

    class NoSize:
        def isatty(self):
            return True

        def fileno(self):
            raise OSError("no size")

    assert not options._draws_bars(NoSize())
