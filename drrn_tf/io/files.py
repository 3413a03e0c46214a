"""Every file the package writes goes through here: checked first, then written atomically.

``check_output`` refuses, in one line naming the file and before any work is done, an output
path that is a folder, a device, a FIFO, a symbolic link, an input of the same run (compared by
inode, so a hard link or another spelling of the path is caught too), or an existing file when
replacing was not asked for. ``atomic_path`` then writes to a temporary file beside the target
and moves it into place: with ``replace=False`` by a hard link, which fails if the name exists --
so two runs writing the same name cannot both succeed, and there is no window between a check and
a rename. Temporary files carry the writer's host and process id (``.NAME.drrn-HOST-PID-XXXX.tmp.EXT``);
one left by a killed run on this host is removed by the first write of a later run into that folder
(another host's, or a live process's, never). A full disk, a read-only file
system or a permission error becomes one line naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import socket
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from drrn_tf.errors import InputError, first_line

__all__ = ["atomic_path", "write_bytes_atomic", "write_json_atomic", "check_output", "check_writable", "os_error", "file_ids", "temp_dir", "read_capped"]

_HOST = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:24] or "host"
_TMP = re.compile(r"^\..*\.drrn-([A-Za-z0-9]+)-(\d+)-[0-9a-f]{8}\.tmp(\.[^/]*)?$")
_SWEPT: set[str] = set()  # folders this process has swept (once each: a batch writes many files)
_REASONS = {
    errno.ENOSPC: "disk full: no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EFBIG: "file too large for this file system",
    errno.ENAMETOOLONG: "file name too long",
    errno.EIO: "input/output error",
}


def os_error(path: str | os.PathLike, e: OSError, doing: str = "cannot write") -> InputError:
    """The one line for an operating-system error on ``path``: "disk full", "read-only file system", ..."""
    reason = _REASONS.get(e.errno) or e.strerror or first_line(e)
    return InputError(f"{path}: {doing} ({reason})")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def sweep_stale(folder: str | os.PathLike) -> None:
    """Remove temporary files (and folders, ``temp_dir``) of this package's writers on this host
    that died in ``folder`` (once per folder and process)."""
    import shutil

    key = os.path.realpath(folder)
    if key in _SWEPT:
        return
    _SWEPT.add(key)
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            m = _TMP.match(entry.name)
            if m and m.group(1) == _HOST and int(m.group(2)) != os.getpid() and not _alive(int(m.group(2))):
                with contextlib.suppress(OSError):
                    if entry.is_dir(follow_symlinks=False):
                        shutil.rmtree(entry.path)
                    else:
                        os.unlink(entry.path)


def _tmp_name(target: Path) -> str:
    suffix = "".join(target.suffixes[-2:]) if target.name.endswith(".weights.h5") else target.suffix
    return f".{target.stem[:80]}.drrn-{_HOST}-{os.getpid()}-{secrets.token_hex(4)}.tmp{suffix}"


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, *, replace: bool = True):
    """Yield a temporary path in the target's folder; move it onto ``target`` on success.

    ``replace=False``: the move fails if ``target`` exists by then (written by another run
    meanwhile), with one line saying so; nothing is replaced. On any exception the temporary
    file is removed and ``target`` is left untouched. The temporary name keeps the target's
    suffix so that libraries choosing a format by extension (Keras, OpenCV) behave as they
    would for the real name. OS errors (a full disk, ...) become one line naming ``target``.
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    sweep_stale(folder)
    tmp = folder / _tmp_name(target)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # a plain open()'s permissions
        os.close(fd)
    except OSError as e:
        raise os_error(target, e) from e
    try:
        yield tmp
        if replace:
            os.replace(tmp, target)
        else:
            _link_into_place(tmp, target)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise os_error(target, e) from e
        if isinstance(e, InputError) and "could not encode" in str(e) and _disk_full(folder):  # an encoder that only says it failed
            raise os_error(target, OSError(errno.ENOSPC, "")) from e
        raise


def _disk_full(folder: Path) -> bool:
    """Whether the file system of ``folder`` has no space left (a library that failed to write says less)."""
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 64 * 1024


def _link_into_place(tmp: Path, target: Path) -> None:
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise InputError(f"{target}: already exists (written meanwhile by another run; pass --overwrite to replace it)") from None
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        # No hard links here (FAT, some network file systems): claim the name, then move onto it.
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            raise InputError(f"{target}: already exists (written meanwhile by another run; pass --overwrite to replace it)") from None
        try:
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(target)  # the empty placeholder: the name stays free
            raise
        return
    os.unlink(tmp)


def write_bytes_atomic(target: str | os.PathLike, data: bytes, *, replace: bool = True) -> None:
    with atomic_path(target, replace=replace) as tmp:
        Path(tmp).write_bytes(data)


def write_json_atomic(target: str | os.PathLike, doc, *, indent: int = 2, replace: bool = True) -> None:
    """``doc`` as JSON text (one trailing newline), written atomically."""
    import json

    write_bytes_atomic(target, (json.dumps(doc, indent=indent) + "\n").encode(), replace=replace)


def read_json_object(path: str | os.PathLike, problem: str = "not a valid JSON file", limit: int = 2**20) -> dict:
    """The JSON object (a mapping) in ``path``, read with a cap of ``limit`` bytes; one ``InputError``
    line ``PATH: PROBLEM (why)`` when the file cannot be read, is not JSON or holds something else."""
    import json

    try:
        doc = json.loads(read_capped(path, limit, "file"))
    except (ValueError, RecursionError) as e:
        raise InputError(f"{path}: {problem} (not JSON: {first_line(e)})") from e
    if not isinstance(doc, dict):
        raise InputError(f"{path}: {problem} (expected a mapping, got {type(doc).__name__})")
    return doc


def file_ids(paths: Iterable[str | os.PathLike]) -> frozenset[tuple[int, int]]:
    """(device, inode) of each existing path: what ``check_output`` compares an output with."""
    ids = set()
    for p in paths:
        with contextlib.suppress(OSError, ValueError):
            st = os.stat(p)
            ids.add((st.st_dev, st.st_ino))
    return frozenset(ids)


def check_writable(path: str | os.PathLike) -> Path:
    """Refuse (with one line) an output path that is a folder or whose folder is missing or read-only."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder")
    parent = path.parent if str(path.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise InputError(f"{path}: {parent} is a file, not a folder")
    if not parent.is_dir():
        raise InputError(f"{path}: output folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError(f"{path}: output folder {parent} is not writable")
    return path


def check_output(
    path: str | os.PathLike, *, inputs: frozenset | Iterable[str | os.PathLike] = (), overwrite: bool = False, option: str = "--overwrite"
) -> Path:
    """Refuse an output path that is not a place for a new regular file of this run (see the module
    docstring); ``inputs``: the run's input files (paths, or their ``file_ids``). Returns the path."""
    path = Path(path)
    ids = inputs if isinstance(inputs, frozenset) else file_ids(inputs)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise os_error(path, e, "cannot use as output") from e
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise InputError(f"{path}: is a symbolic link; refusing to write through it (give the real path)")
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{path}: is a folder")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{path}: not a regular file (a device, FIFO or socket); refusing to write there")
        if (st.st_dev, st.st_ino) in ids:
            raise InputError(f"{path}: is an input of this run; refusing to overwrite it")
        if not overwrite:
            raise InputError(f"{path}: already exists (pass {option} to replace it)")
    return check_writable(path)


@contextlib.contextmanager
def temp_dir(near: str | os.PathLike | None = None):
    """A temporary folder (in ``near``'s folder, else the system's) named so that one left by a killed
    run is removed by the next ``atomic_path`` or ``temp_dir`` there."""
    import shutil

    base = Path(near).parent if near is not None else Path(tempfile.gettempdir())
    sweep_stale(base)
    path = base / f".tmpdir.drrn-{_HOST}-{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        path.mkdir()
    except OSError as e:
        raise os_error(base, e, "cannot create a temporary folder") from e
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def read_capped(path: str | os.PathLike, limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; one line naming it otherwise (a device,
    a FIFO, a folder, a symlink loop, a file too large for what it claims to be)."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise InputError(f"{path}: a loop of symbolic links") from e
        raise os_error(path, e, "cannot read") from e
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: is a folder, not {'an' if what[0] in 'aeiou' else 'a'} {what}")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path}: not a regular file (a device, FIFO or socket); give {'an' if what[0] in 'aeiou' else 'a'} {what} file")
    if st.st_size > limit:
        raise InputError(f"{path}: {st.st_size:,} bytes, more than any {what} within the limits can take ({limit:,})")
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise os_error(path, e, "cannot read") from e
    if len(data) > limit:
        raise InputError(f"{path}: grew while being read, past {limit:,} bytes")
    return data
