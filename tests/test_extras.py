"""Without the ``export`` extra, every command that needs it says so in one line, before any work.

The checks run in a real virtual environment that lacks the extra: a ``venv --without-pip`` of the
dev venv's base interpreter whose site-packages symlinks every entry of the dev venv's, except the
distributions the extra installs (nothing is installed, nothing is downloaded). The editable install
of drrn-tf (its ``__editable__`` .pth and finder, and its ``.dist-info`` with the entry points of the
export plugins) comes along, so the ``drrn_tf.commands`` / ``exported`` / ``runtimes`` entry points
stay registered while the packages they need are not importable: exactly a ``pip install drrn-tf``
whose plugins are entered without their dependencies.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
# The distributions of setup.cfg's [options.extras_require] export.
EXTRA_DISTS = ("tf2onnx", "onnx", "onnxruntime", "ai-edge-litert")
EXTRA_MODULES = ("tf2onnx", "onnx", "onnxruntime", "ai_edge_litert")
INSTALL_HINT = "drrn-tf[export]"
# A .pth file of the bare venv writes the names of the modules a process imported to the file this
# names, at exit: proof that a refusal came before TensorFlow was even imported.
MODULES_VAR = "EXTRAS_TEST_MODULES_OUT"
MODULES_PTH = (
    "import atexit, os, sys; _p = os.environ.get('EXTRAS_TEST_MODULES_OUT'); "
    "_p and atexit.register(lambda p=_p, m=sys.modules: open(p, 'w').write('\\n'.join(sorted(m))))\n"
)
# A command that checks its imports where it is entered is done in an interpreter start plus the
# CLI's imports; a conversion, a parity check or a LiteRT run takes longer than this on 2 cores.
FAST_S = 60.0


def _norm(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _top_level(dist: importlib.metadata.Distribution) -> set[str]:
    """The site-packages entries a distribution's RECORD owns (its packages, modules, .libs folders,
    .pth files and its .dist-info)."""
    names = set()
    for f in dist.files or ():
        parts = Path(str(f)).parts
        if parts and parts[0] not in ("..", "__pycache__"):
            names.add(parts[0])
    return names


def _extra_entries(site: Path) -> set[str]:
    """Entries of ``site`` that belong to the export extra's distributions and to no other."""
    ours, others = set(), set()
    for dist in importlib.metadata.distributions(path=[str(site)]):
        name = _norm(dist.metadata["Name"] or "")
        (ours if name in {_norm(d) for d in EXTRA_DISTS} else others).update(_top_level(dist))
    ours |= {p.name for p in site.iterdir() if p.name.endswith(".dist-info") and _norm(p.name.split("-")[0]) in {_norm(d) for d in EXTRA_DISTS}}
    ours |= {m for m in EXTRA_MODULES if (site / m).exists()}  # even if a RECORD is missing
    return ours - others


@pytest.fixture(scope="module")
def bare_venv(tmp_path_factory) -> Path:
    """The Python of a venv holding the dev venv's packages, less the export extra's."""
    if sys.prefix == sys.base_prefix:
        pytest.skip("tests are not running in a virtual environment, so there is no dev venv to mirror")
    site = Path(sysconfig.get_paths()["purelib"])
    plat = Path(sysconfig.get_paths()["platlib"])
    if not site.is_dir():
        pytest.skip(f"the dev venv's site-packages ({site}) is not a folder")
    if not any(site.glob("drrn_tf-*.dist-info")) or not any(site.glob("__editable__*drrn_tf*")):
        pytest.skip(f"drrn-tf is not installed editable in {site} (no drrn_tf-*.dist-info / __editable__ files)")
    base = Path(getattr(sys, "_base_executable", "") or sys.executable).resolve()
    root = tmp_path_factory.mktemp("bare-venv")
    venv = root / "venv"
    subprocess.run([str(base), "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True, timeout=120)
    python = venv / "bin" / "python"
    query = "import json, sysconfig; p = sysconfig.get_paths(); print(json.dumps([p['purelib'], p['platlib']]))"
    new_site, new_plat = (Path(p) for p in json.loads(subprocess.check_output([str(python), "-I", "-c", query], text=True)))
    for src, dest in dict.fromkeys([(site, new_site), (plat, new_plat)]):
        drop = _extra_entries(src)
        dest.mkdir(parents=True, exist_ok=True)
        for entry in src.iterdir():
            if entry.name not in drop and entry.name != "__pycache__" and not (dest / entry.name).exists():
                (dest / entry.name).symlink_to(entry)
    (new_site / "zz_extras_test_modules.pth").write_text(MODULES_PTH)
    probe = f"import importlib.util, drrn_tf; print(drrn_tf.__file__); print(*[m for m in {EXTRA_MODULES!r} if importlib.util.find_spec(m)])"
    served, found = subprocess.check_output([str(python), "-c", probe], text=True, cwd=root, env=_env(root)).splitlines()[-2:]
    if not Path(served).resolve().is_relative_to(REPO):
        pytest.skip(f"the dev venv's editable install serves {served}, not this checkout ({REPO})")
    assert not found.split(), f"the venv without the extra still finds {found}"
    return python


def _env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "DRRN_")) and k != "VIRTUAL_ENV"}
    tmp, cache, home = work / "tmp", work / "cache", work / "home"
    for d in (tmp, home):
        d.mkdir(exist_ok=True)
    env.update(
        PYTHONNOUSERSITE="1",
        PYTHONDONTWRITEBYTECODE="1",  # never write into the dev venv's folders through the symlinks
        TMPDIR=str(tmp),
        DRRN_CACHE=str(cache),
        XDG_CACHE_HOME=str(home / ".cache"),
        HOME=str(home),
        TF_CPP_MIN_LOG_LEVEL="2",
    )
    return env


def test_bare_venv_lacks_the_extra_but_runs_drrn_tf(bare_venv, tmp_path):
    """The venv the other tests use is what they claim: no export extra, drrn_tf and TensorFlow work,
    the export plugins stay registered, and drrn_tf is this checkout's."""
    code = (
        "import importlib, importlib.metadata as md, json\n"
        "out = {}\n"
        f"for m in {EXTRA_MODULES!r}:\n"
        "    try:\n"
        "        importlib.import_module(m)\n"
        "        out[m] = 'imported'\n"
        "    except ImportError as e:\n"
        "        out[m] = 'ImportError'\n"
        "import drrn_tf, drrn_tf_export, tensorflow\n"
        "out['drrn_tf'] = drrn_tf.__file__\n"
        "out['groups'] = {g: sorted(ep.name for ep in md.entry_points(group=g)) for g in ('drrn_tf.commands', 'drrn_tf.exported', 'drrn_tf.runtimes')}\n"
        "print(json.dumps(out))\n"
    )
    env = _env(tmp_path)
    env[MODULES_VAR] = str(tmp_path / "modules.txt")
    done = subprocess.run([str(bare_venv), "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "tensorflow" in (tmp_path / "modules.txt").read_text().split(), "the venv's record of imported modules does not work"
    out = json.loads(done.stdout.strip().splitlines()[-1])
    for m in EXTRA_MODULES:
        assert out[m] == "ImportError", f"{m} is importable in the venv without the extra"
    assert Path(out["drrn_tf"]).resolve().is_relative_to(REPO), out["drrn_tf"]
    assert "export" in out["groups"]["drrn_tf.commands"]
    assert "tflite" in out["groups"]["drrn_tf.exported"]
    assert "litert" in out["groups"]["drrn_tf.runtimes"]


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> Path:
    from PIL import Image

    path = tmp_path_factory.mktemp("photo") / "photo.png"
    rgb = np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    Image.fromarray(rgb, "RGB").save(path)
    return path


@pytest.fixture(scope="module")
def shipped_tflite() -> Path:
    files = sorted((REPO / "drrn_tf" / "presets").glob("*/*.tflite"), key=lambda p: (p.stat().st_size, p.name))
    if not files:
        pytest.skip("no .tflite ships in drrn_tf/presets")
    return files[0]


# {photo}: a 40x40 RGB PNG; {tflite}: a .tflite that ships in the package; {out}: an empty folder.
COMMANDS = {
    "upscale-runtime-litert": "upscale {photo} -s 2 --model drrn_b1u9_f32 --runtime litert -o {out}/up.png",
    "export-int8": "export drrn_b1u9_f32 --quant int8 -o {out}/m.tflite",
    "upscale-tflite-model": "upscale {photo} -s 2 --model {tflite} -o {out}/up.png",
    "info-tflite": "info {tflite}",
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_command_needing_the_extra_says_so_in_one_line(command, bare_venv, photo, shipped_tflite, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    env = _env(tmp_path)
    record = tmp_path / "modules.txt"
    env[MODULES_VAR] = str(record)
    before = sorted(p.name for p in photo.parent.iterdir())
    args = [a.format(photo=photo, tflite=shipped_tflite, out=out) for a in COMMANDS[command].split()]
    start = time.monotonic()
    done = subprocess.run([str(bare_venv), "-m", "drrn_tf", *args], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
    took = time.monotonic() - start
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    modules = set(record.read_text().split()) if record.is_file() else None

    def left(folder: Path) -> list[str]:
        return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []

    problems = []
    if done.returncode != 2:
        problems.append(f"exit status {done.returncode}, not 2")
    if len(lines) != 1:
        problems.append(f"{len(lines)} lines on stderr, not 1")
    if not (lines and lines[-1].startswith("drrn: error: ") and INSTALL_HINT in lines[-1]):
        problems.append(f"the last stderr line does not name {INSTALL_HINT!r}")
    if "Traceback" in done.stderr + done.stdout:
        problems.append("a traceback")
    if took >= FAST_S:
        problems.append(f"took {took:.1f} s (>= {FAST_S:.0f} s)")
    if modules is None:
        problems.append("no record of the modules the command imported (did it exit through os._exit?)")
    elif "tensorflow" in modules:
        problems.append("imported TensorFlow before refusing (the check is not where the command is entered)")
    for name, folder in (("the output folder", out), ("TMPDIR", Path(env["TMPDIR"])), ("DRRN_CACHE", Path(env["DRRN_CACHE"]))):
        if left(folder):
            problems.append(f"left in {name}: {left(folder)}")
    if sorted(p.name for p in photo.parent.iterdir()) != before:
        problems.append(f"changed the input folder: {sorted(p.name for p in photo.parent.iterdir())}")
    assert not problems, (
        f"drrn {' '.join(args)}\n  " + "\n  ".join(problems) + f"\nexit {done.returncode} after {took:.1f} s"
        f"\nstdout tail: {done.stdout[-1500:]!r}\nstderr tail: {done.stderr[-3000:]!r}"
    )
