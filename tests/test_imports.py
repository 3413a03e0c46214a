"""The package behaves like a library: importing it changes nothing in the host process, the
numpy modules and ``drrn --help`` need no TensorFlow, and the layers import one way only
(``drrn_tf`` never imports ``export`` or ``benchmarks``; ``export`` never imports ``benchmarks``)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The library's layers, lowest first: a module imports only from its own layer or a lower one.
LAYERS = [
    {"constants", "errors", "_compat"},  # vocabularies, exceptions, the private hooks of other libraries: no imports at load time
    {"io", "protocol", "inference"},  # files and images, the MATLAB-exact protocol, tiles and engines: numpy only
    {"nn"},  # Keras: layers, the model, presets, stats, loading, the Keras engine
    {"upscale"},  # pictures in, pictures out
    {"training"},  # config, data, recipe, callbacks, the trainer
    {"cli", "__init__", "__main__"},  # the drrn command and the lazy public API
]
# Paths that never import TensorFlow or Keras, even inside a function (numpy, Pillow, OpenCV, scipy).
NUMPY_PATHS = ["drrn_tf/constants.py", "drrn_tf/errors.py", "drrn_tf/_compat.py", "drrn_tf/io", "drrn_tf/protocol", "drrn_tf/inference"]
HEAVY = ("tensorflow", "keras", "tf_keras")


def _python(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _imports(path: Path, root: Path = ROOT) -> set[str]:
    """Every module an ``import`` statement in the file names (relative imports resolved)."""
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                names.add(f"{base}.{node.module}" if node.module else base)
            else:
                names.update(f"{node.module}.{a.name}" for a in node.names) if node.module == "drrn_tf" else names.add(node.module)
    return names


def _top(name: str) -> str:
    return name.split(".")[0]


def _layer(part: str) -> int:
    """The layer of ``drrn_tf.PART`` (``PART`` a subpackage or a top-level module)."""
    return next(i for i, names in enumerate(LAYERS) if part in names)


def _library() -> list[Path]:
    return sorted((ROOT / "drrn_tf").rglob("*.py"))


@pytest.mark.parametrize("package,forbidden", [("drrn_tf", {"export", "drrn_tf_export", "benchmarks"}), ("export", {"benchmarks"})])
def test_imports_go_one_way(package, forbidden):
    bad = {f"{p.relative_to(ROOT)}: {n}" for p in (ROOT / package).rglob("*.py") for n in _imports(p) if _top(n) in forbidden}
    assert not bad, f"{package} must not import {sorted(forbidden)}: {sorted(bad)}"


def test_every_library_module_belongs_to_a_layer():
    parts = {p.relative_to(ROOT / "drrn_tf").parts[0].removesuffix(".py") for p in _library()}
    assert parts == set().union(*LAYERS)


def test_subpackages_import_only_their_own_layer_or_lower():
    bad = []
    for path in _library():
        own = _layer(path.relative_to(ROOT / "drrn_tf").parts[0].removesuffix(".py"))
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "drrn_tf" and len(parts) > 1 and parts[1] != "__version__" and _layer(parts[1]) > own:
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, bad


@pytest.mark.parametrize("where", NUMPY_PATHS)
def test_numpy_paths_name_no_tensorflow(where):
    paths = [ROOT / where] if where.endswith(".py") else sorted((ROOT / where).rglob("*.py"))
    heavy = sorted(f"{p.relative_to(ROOT)}: {n}" for p in paths for n in _imports(p) if _top(n) in HEAVY)
    assert not heavy, heavy


def test_the_contract_walker_sees_imports_inside_functions(tmp_path):
    bad = tmp_path / "drrn_tf" / "nn" / "probe.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("def f():\n    from export import convert\n    import tensorflow as tf\n    from ..training import config\n    from drrn_tf import cli\n")
    assert _imports(bad, tmp_path) == {"export", "tensorflow", "drrn_tf.training", "drrn_tf.cli"}
    assert _layer("training") > _layer("nn") and _layer("cli") > _layer("nn")


def test_numpy_paths_import_without_tensorflow():
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for where in NUMPY_PATHS
        for p in ([ROOT / where] if where.endswith(".py") else (ROOT / where).rglob("*.py"))
    )
    got = _python(f"import sys, json\nimport {', '.join(modules)}\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    assert got == []


def test_help_needs_no_tensorflow():
    got = _python(
        "import sys, json, io, contextlib\n"
        "from drrn_tf.cli import main\n"
        "helps = {}\n"
        "for argv in ([], ['upscale'], ['eval'], ['train'], ['info'], ['export'], ['qat'], ['demo'], ['serve-demo']):\n"
        "    buf = io.StringIO()\n"
        "    with contextlib.redirect_stdout(buf):\n"
        "        try:\n"
        "            main([*argv, '--help'])\n"
        "        except SystemExit:\n"
        "            pass\n"
        "    helps[' '.join(argv) or 'drrn'] = 'usage:' in buf.getvalue()\n"
        f"print(json.dumps({{'helps': helps, 'heavy': sorted(m for m in {HEAVY!r} if m in sys.modules)}}))"
    )
    assert all(got["helps"].values()), got["helps"]
    assert got["heavy"] == []


def test_import_leaves_the_host_process_as_it_was(tmp_path):
    png = tmp_path / "x.png"
    got = _python(
        "import os, sys, json, numpy as np\n"
        "import PIL.Image\n"
        "PIL.Image.MAX_IMAGE_PIXELS = 12345678  # a host's own setting\n"
        "env, fd2, limit = dict(os.environ), os.fstat(2), PIL.Image.MAX_IMAGE_PIXELS\n"
        "import drrn_tf\n"
        "from drrn_tf.io.images import read_image, write_image\n"
        f"write_image({str(png)!r}, np.zeros((8, 8, 3), np.uint8)); read_image({str(png)!r})\n"
        "after = os.fstat(2)\n"
        "print(json.dumps({'env': dict(os.environ) == env, 'fd2': (after.st_dev, after.st_ino) == (fd2.st_dev, fd2.st_ino),\n"
        "                  'limit': PIL.Image.MAX_IMAGE_PIXELS == limit,\n"
        f"                  'heavy': sorted(m for m in {HEAVY!r} if m in sys.modules)}}))"
    )
    assert got == {"env": True, "fd2": True, "limit": True, "heavy": []}


def test_an_image_over_pillows_own_limit_is_read_when_max_pixels_allows(tmp_path):
    # Pillow's guard (Image.MAX_IMAGE_PIXELS, set low by the host here) is not what decides: max_pixels is.
    # TIFF's decoder checks Pillow's limit itself: then one clear InputError, not a traceback.
    png, tif = tmp_path / "wide.png", tmp_path / "wide.tif"
    got = _python(
        "import json, numpy as np, PIL.Image\n"
        "from drrn_tf.errors import InputError\n"
        "from drrn_tf.io.images import read_image, write_image\n"
        f"write_image({str(png)!r}, np.zeros((100, 300), np.uint8)); write_image({str(tif)!r}, np.zeros((100, 300), np.uint8))\n"
        "PIL.Image.MAX_IMAGE_PIXELS = 1000  # Pillow alone would refuse 30,000 pixels\n"
        f"shape = list(read_image({str(png)!r}).pixels.shape)\n"
        "try:\n"
        f"    read_image({str(tif)!r}); tiff = 'read'\n"
        "except InputError as e:\n"
        "    tiff = str(e)\n"
        "print(json.dumps([shape, tiff]))"
    )
    assert got[0] == [100, 300]
    assert got[1] == "read" or "larger than Pillow's own limit in this process" in got[1]
