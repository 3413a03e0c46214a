import os
import re
from pathlib import Path

import pytest

from drrn_tf.io.files import atomic_path, write_bytes_atomic


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "ckpt.keras"
    write_bytes_atomic(target, b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half-")
        raise RuntimeError("crash while writing")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.keras"]  # no temporary left behind
    with atomic_path(target) as tmp:
        assert tmp.name.endswith(".keras") and tmp.parent == tmp_path
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"


def test_atomic_write_uses_normal_permissions(tmp_path):
    import os

    target = tmp_path / "a.json"
    write_bytes_atomic(target, b"{}")
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_without_replace_exactly_one_writer_wins(tmp_path):
    """Two writers of one name: the second finds the name taken when its file is complete."""
    from drrn_tf.errors import InputError

    target = tmp_path / "same.png"
    taken = pytest.raises(InputError, match="already exists .written meanwhile by another run")
    with taken, atomic_path(target, replace=False) as first:
        first.write_bytes(b"first")
        with atomic_path(target, replace=False) as second:
            second.write_bytes(b"second")
        # the second writer finished first and took the name
    assert target.read_bytes() == b"second"
    with pytest.raises(InputError, match="already exists .written meanwhile by another run"):
        write_bytes_atomic(target, b"third", replace=False)
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.png"]


def test_stale_temporaries_of_a_dead_writer_are_removed(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    from drrn_tf.io.files import _HOST

    stale = tmp_path / f".out.drrn-{_HOST}-{dead}-0123abcd.tmp.png"
    stale.write_bytes(b"half an image")
    stale_dir = tmp_path / f".tmpdir.drrn-{_HOST}-{dead}-89abcdef.tmp"
    (stale_dir / "sm").mkdir(parents=True)
    mine = tmp_path / f".other.drrn-{_HOST}-{os.getpid()}-00000000.tmp.png"  # a live writer's (this process)
    mine.write_bytes(b"being written")
    elsewhere = tmp_path / f".shared.drrn-otherhost{_HOST}-{dead}-00000000.tmp.png"  # another host's: its pids are not ours
    elsewhere.write_bytes(b"being written on another computer")
    write_bytes_atomic(tmp_path / "next.json", b"{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["next.json", mine.name, elsewhere.name])


def test_check_output_refuses_what_is_not_a_new_regular_file(tmp_path):
    from drrn_tf.errors import InputError
    from drrn_tf.io.files import check_output

    image = tmp_path / "bird.png"
    image.write_bytes(b"pixels")
    os.link(image, tmp_path / "hardlink.png")
    (tmp_path / "link.json").symlink_to("/proc/self/fd/1")
    os.mkfifo(tmp_path / "fifo.json")
    (tmp_path / "existing.png").write_bytes(b"an earlier result")
    cases = {
        tmp_path / "existing.png": "already exists (pass --overwrite",
        image: "is an input of this run",
        tmp_path / "hardlink.png": "is an input of this run",
        tmp_path / "link.json": "is a symbolic link",
        tmp_path / "fifo.json": "not a regular file",
        Path("/dev/null"): "not a regular file",
        tmp_path: "is a folder",
        tmp_path / "missing" / "r.json": "does not exist",
    }
    for path, fragment in cases.items():
        with pytest.raises(InputError, match=re.escape(fragment)):
            check_output(path, inputs=[image], overwrite=path.name != "existing.png")
    assert check_output(tmp_path / "new.json", inputs=[image]) == tmp_path / "new.json"


def test_a_full_disk_is_one_line_naming_the_file(tmp_path, monkeypatch):
    import errno

    from drrn_tf.errors import InputError

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(InputError, match=r"r\.json: cannot write \(disk full: no space left"):
        write_bytes_atomic(tmp_path / "r.json", b"{}")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_without_hard_links_a_failed_move_leaves_the_name_free(tmp_path, monkeypatch):
    """On a file system without hard links the name is claimed, then the file moved onto it; if the
    move fails, the empty claim goes too (no 0-byte output that blocks the next run)."""
    import errno

    def no_links(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    def failing_replace(src, dst):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "link", no_links)
    write_bytes_atomic(tmp_path / "a.json", b"{}", replace=False)  # the fallback itself works
    assert (tmp_path / "a.json").read_bytes() == b"{}"
    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(Exception, match="input/output error"):
        write_bytes_atomic(tmp_path / "b.json", b"{}", replace=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_an_export_and_its_card_are_written_both_or_neither(tmp_path):
    from drrn_tf_export.card import write_artefact

    (tmp_path / "m.json").mkdir()  # the card cannot be moved into place
    with pytest.raises(Exception, match="m.json"):
        write_artefact(tmp_path / "m.tflite", b"TFL3 bytes", tmp_path / "m.json", {"card": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]  # no artefact without its card, no temporary
    write_artefact(tmp_path / "n.tflite", b"TFL3 bytes", tmp_path / "n.json", {"card": 1}, overwrite=False)
    assert (tmp_path / "n.tflite").read_bytes() == b"TFL3 bytes" and (tmp_path / "n.json").is_file()
