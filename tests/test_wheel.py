"""The wheel works outside the checkout: it installs ``drrn_tf`` and ``drrn_tf_export`` (never a
top-level ``export``), ships the trained weights, and its ``drrn`` runs ``info``, ``export`` and
``serve-demo --help`` from a folder that is not the checkout.

``.ci/run`` builds the wheel from the checkout and installs it with ``pip install --no-deps --target``
(``DRRN_WHEEL_SITE``); the tests put that folder first on ``PYTHONPATH``, so the dependencies
(TensorFlow, LiteRT, ...) come from the test environment. Without it they skip, saying so.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(wheel, site folder it is installed in, a work folder outside the checkout). Built and installed by
    ``.ci/run`` (tests install nothing), which points ``DRRN_WHEEL_SITE`` at the ``--target`` folder."""
    site = os.environ.get("DRRN_WHEEL_SITE")
    if not site or not Path(site).is_dir():
        pytest.skip("no installed wheel: .ci/run builds one and sets DRRN_WHEEL_SITE (pip wheel . ; pip install --no-deps --target)")
    target = Path(site)
    wheels = sorted(target.parent.glob("drrn_tf-*.whl"))
    assert len(wheels) == 1, f"expected the one wheel beside {target}, found {wheels}"
    wheel = wheels[0]
    tmp = tmp_path_factory.mktemp("wheel")
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
    preset = "drrn_tf/presets/drrn_b1u9/"
    assert {preset + f for f in ("config.json", "metadata.json", "model.weights.h5")} <= set(names)
    assert {preset + "drrn_b1u9.int8.tflite", preset + "drrn_b1u9.int8.json"} <= set(names)  # the default runtime ships
    assert not [n for n in names if n.endswith((".yaml", ".log", ".csv"))]  # training records stay in the repository


def test_the_docs_give_the_wheels_size(installed):
    wheel, _, _ = installed
    size_mb = wheel.stat().st_size / 1e6
    for page in ("README.md", "docs/index.md"):
        stated = re.findall(r"trained weights\s+included, is (\d+(?:\.\d+)?) MB", (ROOT / page).read_text())
        assert stated, f"{page} no longer states the wheel's size"
        assert all(abs(float(mb) - size_mb) <= 0.15 for mb in stated), f"{page} says {stated} MB, the wheel is {size_mb:.2f} MB"


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
