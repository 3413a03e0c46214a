"""The user docs (README.md, docs/, CHANGELOG.md): generated tables up to date, short README, product
language only, and a strict MkDocs build."""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks/ is a folder of the checkout, not an installed package
    sys.path.insert(0, str(ROOT))
tables = importlib.import_module("benchmarks.tables")
USER_DOCS = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]
# Words about the project's own work, not the product: a reader's computer is another one.
FORBIDDEN = ["this machine", "issue #", "../shared", "session"]


def test_committed_tables_are_what_the_script_writes():
    assert tables.check() == []


def test_a_table_edited_by_hand_is_caught(tmp_path):
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    shutil.copytree(ROOT / "docs", tmp_path / "docs", symlinks=True)
    assert tables.check(tmp_path) == []
    text = (tmp_path / "README.md").read_text()
    block = re.search(r"<!-- table:results-x4 -->\n(.*?)<!-- /table:results-x4 -->", text, re.S)
    row = next(line for line in block[1].splitlines() if line.startswith("| **drrn_b1u9 (default)**"))
    edited = row.replace("31.38", "31.48")
    assert edited != row
    (tmp_path / "README.md").write_text(text.replace(row, edited))
    problems = tables.check(tmp_path)
    assert len(problems) == 1 and str(tmp_path / "README.md") in problems[0] and "'results-x4'" in problems[0], problems
    assert tables.main(["--check", "--root", str(tmp_path)]) == 1
    assert tables.main(["--root", str(tmp_path)]) == 0  # rewriting puts the number back
    assert (tmp_path / "README.md").read_text() == text


def test_broken_markers_are_caught(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text("<!-- table:results -->\n\n<!-- table:nonsense -->\n<!-- /table:nonsense -->\n")
    problems = tables.check(tmp_path)
    assert any("'nonsense'" in p and "unknown" in p for p in problems), problems
    assert any("'results'" in p and "unpaired" in p for p in problems), problems
    assert any("'refusals'" in p and "missing" in p for p in problems), problems


def test_readme_is_short():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 200, len(lines)


@pytest.mark.parametrize("path", USER_DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_user_docs_speak_of_the_product(path):
    text = path.read_text().lower()
    found = [word for word in FORBIDDEN if word in text]
    assert not found, f"{path.relative_to(ROOT)}: {found}"


@pytest.mark.slow  # .ci/run also builds the site strictly
def test_mkdocs_builds_strictly(tmp_path):
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("mkdocstrings") is None:
        pytest.skip("mkdocs and mkdocstrings are not installed (pip install -e '.[docs]')")
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert out.returncode == 0, out.stderr[-4000:]
    assert (tmp_path / "site" / "api" / "nn" / "index.html").is_file()
    assert (tmp_path / "site" / "img" / "before_after.png").stat().st_size > 1000  # the figures travel with the pages


def test_docstrings_use_no_sphinx_roles():
    """The API pages render docstrings as Markdown: a Sphinx role (``:func:`x` ``) would show as raw text."""
    role = re.compile(r":(func|class|data|mod|meth|attr|exc|obj):`")
    hits = [
        f"{p.relative_to(ROOT)}:{i}"
        for d in ("drrn_tf", "export")
        for p in sorted((ROOT / d).rglob("*.py"))
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if role.search(line)
    ]
    assert not hits, hits
