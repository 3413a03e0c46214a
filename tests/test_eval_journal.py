"""``drrn eval --json OUT``: an interrupted evaluation goes on from what it kept in ``OUT.partial``."""

import json

import numpy as np
import pytest
from PIL import Image

import drrn_tf.protocol.evaluation as evaluation
from drrn_tf.cli import main


@pytest.fixture
def images(tmp_path):
    """A set of five small photos-like images (smooth, with edges)."""
    folder = tmp_path / "set"
    folder.mkdir()
    r = np.random.default_rng(7)
    yy, xx = np.mgrid[0:60, 0:72]
    for i in range(5):
        rgb = np.stack([128 + 100 * np.sin(xx / (3 + i) + c) * np.cos(yy / (4 + c)) for c in range(3)], axis=-1) + r.normal(0, 8, (60, 72, 3))
        Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(folder / f"img_{i}.png")
    return folder


def _count_measure(monkeypatch, stop_at=None):
    """Count the images ``measure`` scores; at call ``stop_at``, stop as Ctrl-C does."""
    calls, real = [], evaluation.measure

    def measure(*args, **kwargs):
        calls.append(1)
        if len(calls) == stop_at:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluation, "measure", measure)
    return calls


def _run(model, images, out, *extra):
    return main(["eval", "--model", model, "--data", str(images), "--scales", "2", "3", "--per-image", "--json", str(out), *extra])


def test_an_interrupted_evaluation_goes_on_where_it_stopped(tmp_path, images, monkeypatch, capsys):
    _run("bicubic", images, tmp_path / "whole.json")
    whole = json.loads((tmp_path / "whole.json").read_text())
    out, partial = tmp_path / "out.json", tmp_path / "out.json.partial"
    _count_measure(monkeypatch, stop_at=7)
    assert _run("bicubic", images, out) == 130  # stopped while scoring the 7th of 10
    assert not out.exists()
    kept = [json.loads(line) for line in partial.read_text().splitlines()]
    assert kept[0]["kind"] == "drrn eval journal" and "run" in kept[1] and len(kept) == 2 + 6
    capsys.readouterr()
    calls = _count_measure(monkeypatch)
    assert _run("bicubic", images, out) == 0
    assert "6 image/scale pairs scored by an earlier run" in capsys.readouterr().out
    assert len(calls) == 4 and not partial.exists()  # only what was left, and the journal is gone
    doc = json.loads(out.read_text())
    assert doc["results"] == whole["results"]  # the same scores, image for image
    assert [run["images"] for run in doc["runs"]] == [6, 4] and doc["seconds"] >= sum(run["seconds"] for run in doc["runs"]) - 0.2


def test_a_cut_off_last_line_is_dropped(tmp_path, images, monkeypatch):
    out, partial = tmp_path / "out.json", tmp_path / "out.json.partial"
    _count_measure(monkeypatch, stop_at=4)
    assert _run("bicubic", images, out) == 130
    with open(partial, "a") as f:
        f.write('{"score": {"set": 0, "sca')  # killed in the middle of a write
    calls = _count_measure(monkeypatch)
    assert _run("bicubic", images, out) == 0
    assert len(calls) == 7 and json.loads(out.read_text())["runs"][0]["images"] == 3


@pytest.mark.parametrize(
    "tail, why",
    [
        (["--scales", "2"], "its scales is [2, 3], this run's [2]"),
        (["--scales", "2", "3", "--metrics", "psnr"], 'its metrics is ["psnr", "ssim"], this run\'s ["psnr"]'),
        (["--scales", "2", "3", "--degrade", "jpeg:75"], 'its degrade is "clean", this run\'s "jpeg:75"'),
    ],
)
def test_a_journal_of_other_settings_is_refused_and_kept(tmp_path, images, monkeypatch, capsys, tail, why):
    out, partial = tmp_path / "out.json", tmp_path / "out.json.partial"
    _count_measure(monkeypatch, stop_at=3)
    assert _run("bicubic", images, out) == 130
    before = partial.read_bytes()
    capsys.readouterr()
    assert main(["eval", "--model", "bicubic", "--data", str(images), "--json", str(out), *tail]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(partial) in err and why in err, err
    assert partial.read_bytes() == before and not out.exists()


def test_another_model_under_the_same_name_is_refused(tmp_path, images, monkeypatch, capsys):
    from conftest import identity_drrn, tiny_drrn

    model, out, partial = tmp_path / "m.keras", tmp_path / "out.json", tmp_path / "out.json.partial"
    tiny_drrn().save(model)
    _count_measure(monkeypatch, stop_at=3)
    assert _run(str(model), images, out) == 130
    identity_drrn().save(model)  # retrained, say, into the same file
    capsys.readouterr()
    assert _run(str(model), images, out) == 2
    assert "its model's outputs differ" in capsys.readouterr().err and partial.exists() and not out.exists()
    tiny_drrn().save(model)  # the same network again: its scores are kept
    calls = _count_measure(monkeypatch)
    assert _run(str(model), images, out) == 0 and len(calls) == 8


def test_what_is_not_a_journal_is_never_replaced(tmp_path, images, capsys):
    out, partial = tmp_path / "out.json", tmp_path / "out.json.partial"
    partial.write_text("my notes\n")
    assert _run("bicubic", images, out) == 2
    err = capsys.readouterr().err
    assert "not a drrn eval journal" in err and err.count("\n") == 1
    assert partial.read_text() == "my notes\n" and not out.exists()
    partial.unlink()
    partial.symlink_to(tmp_path / "elsewhere")
    assert _run("bicubic", images, out) == 2 and "symbolic link" in capsys.readouterr().err
    assert not (tmp_path / "elsewhere").exists()


def test_without_json_nothing_is_kept(tmp_path, images, monkeypatch):
    _count_measure(monkeypatch, stop_at=3)
    assert main(["eval", "--model", "bicubic", "--data", str(images), "--scales", "2"]) == 130
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]


def test_bad_input_leaves_no_journal(tmp_path, images, capsys):
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(images / "tiny.png")  # too small to score at x3
    assert _run("bicubic", images, tmp_path / "out.json") == 2
    assert "tiny.png" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]


def test_the_probe_runs_an_end_to_end_model_at_its_own_scale():
    from drrn_tf.inference.engines import RgbEngine
    from drrn_tf.protocol.journal import PROBE_SIDE, probe
    from drrn_tf.upscale.image import upscale_pixels

    nearest = RgbEngine("e2e", lambda x: np.repeat(np.repeat(x, 3, 0), 3, 1), (16, 16), 3, 2)  # a x3 model, whole tiles of 16x16
    values = probe(None, lambda lr, s: upscale_pixels(nearest, lr, s), scale=3)
    assert len(values) == (3 * PROBE_SIDE) ** 2 * 3 and 0 <= min(values) < max(values) <= 1
    assert probe(None) is None and len(probe(lambda y: y)) == PROBE_SIDE**2


def test_two_sets_of_one_name_are_kept_apart(tmp_path, images, monkeypatch):
    """``--data a/set b/set``: one row of both sets' images, as ever; scores kept by the set's position."""
    for part, keep in (("a", (0, 1)), ("b", (2, 3))):
        (tmp_path / part / "set").mkdir(parents=True)
        for n, i in enumerate(keep):  # the same file names in both
            (tmp_path / part / "set" / f"img_{n}.png").write_bytes((images / f"img_{i}.png").read_bytes())
    argv = ["eval", "--model", "bicubic", "--data", str(tmp_path / "a" / "set"), str(tmp_path / "b" / "set"), "--scales", "2"]
    alone = []
    for part in "ab":
        assert main(["eval", "--model", "bicubic", "--data", str(tmp_path / part / "set"), "--scales", "2", "--json", str(tmp_path / f"{part}.json")]) == 0
        alone.append(json.loads((tmp_path / f"{part}.json").read_text())["results"][0]["psnr"])
    _count_measure(monkeypatch, stop_at=3)
    assert main([*argv, "--json", str(tmp_path / "both.json")]) == 130
    _count_measure(monkeypatch)
    assert main([*argv, "--json", str(tmp_path / "both.json")]) == 0
    (row,) = json.loads((tmp_path / "both.json").read_text())["results"]
    assert row["images"] == 4 and row["psnr"] == pytest.approx(np.mean(alone), abs=1e-9)


def test_bad_input_found_while_scoring_drops_only_that_runs_scores(tmp_path, monkeypatch, capsys):
    folder, out = tmp_path / "set", tmp_path / "out.json"
    folder.mkdir()
    r = np.random.default_rng(3)
    for name in ("a", "b"):
        Image.fromarray(r.integers(0, 256, (100, 100, 3), dtype=np.uint8)).save(folder / f"{name}.png")
    Image.fromarray(np.full((100, 100, 3), 90, np.uint8)).save(folder / "z.png")  # flat: IFC is undefined, found only when scored
    argv = ["eval", "--model", "bicubic", "--data", str(folder), "--scales", "2", "--metrics", "psnr", "ifc", "--json", str(out)]
    assert main(argv) == 2 and "z.png" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]  # nothing written
    _count_measure(monkeypatch, stop_at=2)
    assert main(argv) == 130  # a.png kept
    before = (tmp_path / "out.json.partial").read_bytes()
    _count_measure(monkeypatch)
    assert main(argv) == 2  # b.png scored, then z.png refused: the journal is as it was
    assert (tmp_path / "out.json.partial").read_bytes() == before and not out.exists()


def test_a_full_disk_is_one_line_and_keeps_the_journal(tmp_path, images, monkeypatch, capsys):
    import builtins

    import drrn_tf.protocol.journal as journal

    monkeypatch.setattr(journal, "open", lambda *a, **k: builtins.open("/dev/full", "a"), raising=False)  # noqa: SIM115 -- appends fail
    out = tmp_path / "out.json"
    assert _run("bicubic", images, out) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "out.json.partial" in err and "no space left" in err, err
    assert len((tmp_path / "out.json.partial").read_text().splitlines()) == 3 and not out.exists()  # header, run, the first image


@pytest.mark.parametrize(
    "header",
    [
        {"kind": "drrn eval journal", "version": 1, "settings": [], "probe": None},
        {"kind": "drrn eval journal", "version": 1, "settings": {}, "probe": 5},
        {"kind": "drrn eval journal", "version": 2, "settings": {}, "probe": None},
        {"kind": "drrn eval journal", "version": 1, "settings": {"sets": [["set"]]}, "probe": None},
        {"kind": "drrn eval journal", "version": 1, "settings": {"sets": 5}, "probe": None},
    ],
)
def test_a_malformed_journal_is_refused_in_one_line(tmp_path, images, capsys, header):
    partial = tmp_path / "out.json.partial"
    partial.write_text(json.dumps(header) + "\n")
    assert _run("bicubic", images, tmp_path / "out.json") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a drrn eval journal" in err
    partial.write_text(json.dumps({**header, "version": 1, "settings": {}, "probe": None}) + '\n{"run": {"cores": 2}}\n')
    assert _run("bicubic", images, tmp_path / "out.json") == 2 and "line 2 is neither a run" in capsys.readouterr().err


def test_overwrite_starts_over_and_a_finished_journal_still_counts_its_runs(tmp_path, images, monkeypatch, capsys):
    import drrn_tf.io.files as files

    out, partial = tmp_path / "out.json", tmp_path / "out.json.partial"
    _count_measure(monkeypatch, stop_at=3)
    assert main(["eval", "--model", "bicubic", "--data", str(images), "--scales", "4", "--json", str(out)]) == 130
    calls = _count_measure(monkeypatch)
    real = files.write_json_atomic

    def stop(*args, **kwargs):
        raise KeyboardInterrupt  # stopped after the last image, before the results were written

    monkeypatch.setattr(files, "write_json_atomic", stop)
    assert _run("bicubic", images, out, "--overwrite") == 130  # the other settings' journal replaced
    assert len(calls) == 10 and not out.exists() and len(partial.read_text().splitlines()) == 12
    monkeypatch.setattr(files, "write_json_atomic", real)
    capsys.readouterr()
    assert _run("bicubic", images, out) == 0 and len(calls) == 10  # nothing left to score
    assert "10 image/scale pairs scored by an earlier run" in capsys.readouterr().out
    assert [run["images"] for run in json.loads(out.read_text())["runs"]] == [10] and not partial.exists()
