"""The wheel works outside the checkout: it installs ``drrn_tf`` and ``drrn_tf_export`` (never a
top-level ``export``), ships the trained weights, and its ``drrn`` runs ``info``, ``export`` and
``serve-demo --help`` from a folder that is not the checkout.

The wheel is installed with ``pip install --no-deps --target`` and put first on ``PYTHONPATH``, so
the dependencies (TensorFlow, LiteRT, ...) come from the test environment and nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _source_copy(dest: Path) -> Path:
    """The project's files (tracked, or new and not ignored) copied to ``dest``: building in the checkout
    would leave build/ there, whose stale files a later wheel would pick up."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], capture_output=True, text=True, cwd=ROOT)
    if listed.returncode != 0:
        pytest.skip("needs git to list the project's files")
    for name in listed.stdout.splitlines():
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    source = _source_copy(tmp / "src")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if build.returncode != 0 and "No module named" in build.stderr and "wheel" in build.stderr:
        pytest.skip(f"cannot build a wheel here: {build.stderr.strip().splitlines()[-1]}")
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = (tmp / "dist").glob("drrn_tf-*.whl")
    target = tmp / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)], capture_output=True, text=True, timeout=600
    )
    assert install.returncode == 0, install.stderr[-2000:]
    work = tmp / "elsewhere"  # not the checkout: nothing of it is importable from here
    work.mkdir()
    return wheel, target, work


def _run(installed, *code_or_args: str, module: bool = False) -> subprocess.CompletedProcess:
    _, target, work = installed
    env = {**os.environ, "PYTHONPATH": str(target)}
    argv = [sys.executable, "-c", code_or_args[0]] if not module else [sys.executable, "-m", "drrn_tf", *code_or_args]
    return subprocess.run(argv, capture_output=True, text=True, cwd=work, env=env, timeout=900)


def test_wheel_has_no_top_level_export_package(installed):
    wheel, target, _ = installed
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert "export" not in tops and {"drrn_tf", "drrn_tf_export"} <= tops
    assert not (target / "export").exists()
    names = zipfile.ZipFile(wheel).namelist()
    assert "drrn_tf/weights/drrn_b1u9.weights.h5" in names and "drrn_tf/weights/SHA256SUMS" in names


def test_installed_package_is_the_wheel_and_its_commands_run(installed):
    _, target, work = installed
    where = _run(installed, "import json, drrn_tf, drrn_tf_export; print(json.dumps([drrn_tf.__file__, drrn_tf_export.__file__]))")
    assert where.returncode == 0, where.stderr[-2000:]
    assert all(Path(p).is_relative_to(target) for p in json.loads(where.stdout))

    info = _run(installed, "info", "--json", module=True)
    assert info.returncode == 0, info.stderr[-2000:]
    st = json.loads(info.stdout)
    assert st["name"] == "drrn_b1u9" and st["params"] == 297_601 and st["architecture"]["units"] == 9

    out = work / "m.tflite"
    exp = _run(installed, "export", "drrn_b1u9_f32", "--quant", "fp16", "--parity-data", "none", "-o", str(out), module=True)
    assert exp.returncode == 0, exp.stderr[-2000:]
    card = json.loads(out.with_suffix(".json").read_text())
    assert out.stat().st_size > 10_000 and card["source_model"] == "drrn_b1u9_f32" and card["quantization"] == "fp16"

    serve = _run(installed, "serve-demo", "--help", module=True)
    assert serve.returncode == 0 and "usage: drrn serve-demo" in serve.stdout
    # the page is not in the wheel: serving says so in one line (and exports nothing first)
    no_page = _run(installed, "serve-demo", "--models-dir", str(work / "web_models"), module=True)
    assert no_page.returncode == 2 and "serve-demo serves the web_demo/ folder of a drrn-tf checkout" in no_page.stderr
    assert not (work / "web_models").exists()
