import pytest

from drrn_tf.fileio import atomic_path, write_bytes_atomic


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
