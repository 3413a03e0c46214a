"""The library stays readable: no module over 400 lines, no function over 60 (``drrn_tf`` and the
export stage), and presets are data (``drrn_tf/presets/NAME/``), not code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = sorted([*(ROOT / "drrn_tf").rglob("*.py"), *(ROOT / "export").rglob("*.py")])
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _functions(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node.lineno, node.end_lineno - node.lineno + 1


def test_no_module_is_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in LIBRARY if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not long, long


def test_no_function_is_over_60_lines():
    long = [f"{p.relative_to(ROOT)}:{line} {name} ({n} lines)" for p in LIBRARY for name, line, n in _functions(p) if n > MAX_FUNCTION_LINES]
    assert not long, long


@pytest.mark.parametrize("lines,too_long", [(60, False), (61, True)])
def test_the_function_count_sees_every_line_of_a_function(tmp_path, lines, too_long):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n" + "    x = 1\n" * (lines - 1))
    ((name, _, n),) = list(_functions(probe))
    assert name == "f" and n == lines and (n > MAX_FUNCTION_LINES) is too_long


def test_presets_are_data_not_code():
    presets = ROOT / "drrn_tf" / "presets"
    assert not list(presets.rglob("*.py")), "a preset is config.json, metadata.json and its files"
    assert all((d / "config.json").is_file() and (d / "metadata.json").is_file() for d in presets.iterdir() if d.is_dir())
