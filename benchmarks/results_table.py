"""The results tables: our models' PSNR/SSIM on Set5, Set14, BSD100 and Urban100 beside the paper's rows.

    python benchmarks/results_table.py

Reads what ``drrn eval ... --per-image --json`` wrote for each row: ``benchmarks/results/STEM_eval.json``
(Set5 and Set14) and ``benchmarks/results/eval/STEM.*.json`` (one set, or one set at one scale, a file),
and prints, for each pair of sets, a markdown table with the paper's rows (Table 3: bicubic, SRCNN,
VDSR, DRCN, DRRN) and ours; then each row's PSNR gap to the paper's row of the same model (SRCNN for
the compact ones) and the self-ensemble's gain. Each file's command is printed, with its wall time
where the file records one. Times nothing and evaluates nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SETS = ("Set5", "Set14", "BSD100", "Urban100")
CELLS = [(d, s) for d in SETS for s in (2, 3, 4)]
GROUPS = (("Set5", "Set14"), ("BSD100", "Urban100"))  # a table each
# The paper's table (Tai et al. 2017, Table 3) as the paper's page in shared docs gives it; "-": no figure.
_PAPER_COLUMNS = ("Bicubic", "SRCNN", "VDSR", "DRCN", "DRRN B1U9", "DRRN B1U25")
_PAPER_TABLE = """
Set5 2     33.66/.9299 36.66/.9542 37.53/.9587 37.63/.9588 37.66/.9589 37.74/.9591
Set5 3     30.39/.8682 32.75/.9090 33.66/.9213 33.82/.9226 33.93/.9234 34.03/.9244
Set5 4     28.42/.8104 30.48/.8628 31.35/.8838 31.53/.8854 31.58/.8864 31.68/.8888
Set14 2    30.24/.8688 32.42/.9063 33.03/.9124 33.04/.9118 -           33.23/.9136
Set14 3    27.55/.7742 29.28/.8209 29.77/.8314 -           -           29.96/.8349
Set14 4    26.00/.7027 27.49/.7503 28.01/.7674 28.02/.7670 -           28.21/.7721
BSD100 2   29.56/.8431 31.36/.8879 31.90/.8960 31.85/.8942 -           32.05/.8973
BSD100 3   27.21/.7385 28.41/.7863 28.82/.7976 -           -           28.95/.8004
BSD100 4   25.96/.6675 26.90/.7101 27.29/.7251 27.23/.7233 -           27.38/.7284
Urban100 2 26.88/.8403 29.50/.8946 30.76/.9140 30.75/.9133 -           31.23/.9188
Urban100 3 24.46/.7349 26.24/.7989 27.14/.8279 -           -           27.53/.8378
Urban100 4 23.14/.6577 24.52/.7221 25.18/.7524 25.14/.7510 -           25.44/.7638
"""


def _paper() -> dict[str, dict[tuple[str, int], tuple[float, float]]]:
    rows: dict = {name: {} for name in _PAPER_COLUMNS}
    for line in _PAPER_TABLE.strip().splitlines():
        dataset, scale, *values = line.split()
        for name, value in zip(_PAPER_COLUMNS, values, strict=True):
            if value != "-":
                psnr, ssim = value.split("/")
                rows[name][(dataset, int(scale))] = (float(psnr), float(ssim))
    return rows


PAPER = _paper()
# Our rows: (label, results stem, the paper's row to compare with; None: a model made for other inputs).
OURS = [
    ("bicubic (ours: the protocol's check)", "bicubic", "Bicubic"),
    ("drrn_b1u9 (default)", "drrn_b1u9", "DRRN B1U9"),
    ("drrn_b1u9, full int8", "drrn_b1u9_int8", "DRRN B1U9"),
    ("drrn_b1u9+ (×8 self-ensemble)", "drrn_b1u9_ensemble", "DRRN B1U9"),
    ("drrn_b1u25", "drrn_b1u25", "DRRN B1U25"),
    ("drrn_b1u25, full int8", "drrn_b1u25_int8", "DRRN B1U25"),
    ("drrn_b1u25+ (×8 self-ensemble)", "drrn_b1u25_ensemble", "DRRN B1U25"),
    ("drrn_b1u9_f32 (fast)", "drrn_b1u9_f32", "SRCNN"),
    ("drrn_b1u9_f32_qat", "drrn_b1u9_f32_qat", "SRCNN"),
    ("drrn_b1u9_f32_qat, full int8 (phone)", "drrn_b1u9_f32_qat_int8", "SRCNN"),
    ("drrn_b1u9_real", "drrn_b1u9_real", None),
    ("drrn_b1u9_real, full int8", "drrn_b1u9_real_int8", None),
    ("drrn_b1u9_f32_real", "drrn_b1u9_f32_real", None),
    ("drrn_b1u9_f32_real, full int8", "drrn_b1u9_f32_real_int8", None),
]
# The self-ensemble rows and the rows they improve on.
ENSEMBLES = [("drrn_b1u9_ensemble", "drrn_b1u9"), ("drrn_b1u25_ensemble", "drrn_b1u25")]


class Row:
    """One of our rows: its cells (PSNR, SSIM) from every file it has, and the command of each file."""

    def __init__(self, stem: str):
        self.stem = stem
        self.cells: dict[tuple[str, int], tuple[float, float]] = {}
        self.per_image: dict[tuple[str, int], list[dict]] = {}
        self.commands: list[str] = []
        for path in files(stem):
            doc = json.loads(path.read_text())
            if doc.get("degrade", "clean") != "clean" or any("per_image" not in r for r in doc["results"]):
                raise SystemExit(f"{path}: not a clean --per-image evaluation")
            for r in doc["results"]:
                key = (r["dataset"], r["scale"])
                if key in self.cells:
                    raise SystemExit(f"{path}: {key[0]} x{key[1]} is in another file of {stem} too")
                self.cells[key], self.per_image[key] = (r["psnr"], r["ssim"]), r["per_image"]
            self.commands.append(command(path, doc))


def files(stem: str) -> list[Path]:
    """The committed evaluations of a row: the Set5/Set14 table, then the per-set ones."""
    old = RESULTS / f"{stem}_eval.json"
    return ([old] if old.is_file() else []) + sorted((RESULTS / "eval").glob(f"{stem}.*.json"))


def command(path: Path, doc: dict) -> str:
    """The ``drrn eval`` that wrote ``path`` (from what it recorded), with its wall time where it has one."""
    spec = doc["model_spec"]
    runtime = " --runtime litert" if "(litert" in doc["model"] else ""  # a preset's shipped int8 export
    ensemble = " --ensemble" if doc.get("ensemble") else ""
    sets = " ".join(dict.fromkeys(r["dataset"].lower() for r in doc["results"]))
    scales = sorted({r["scale"] for r in doc["results"]})
    scales_flag = "" if scales == [2, 3, 4] else " --scales " + " ".join(map(str, scales))
    line = f"drrn eval --model {spec}{runtime}{ensemble} --data {sets}{scales_flag} --per-image --json {path.relative_to(ROOT)}"
    return line + (f"  # {_duration(doc['seconds'])}" if "seconds" in doc else "")


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 600 else f"{seconds / 60:.0f} min"


def rows() -> list[tuple[str, Row, str | None]]:
    """(label, row, the paper's row) of each of OURS with at least one committed file."""
    found = [(label, Row(stem), ref) for label, stem, ref in OURS]
    return [r for r in found if r[1].cells]


def load(stem: str) -> tuple[list, str] | None:
    """A row's cells in CELLS order (None where not evaluated) and its model spec; None without files."""
    row = Row(stem)
    if not row.cells:
        return None
    spec = json.loads(files(stem)[0].read_text()).get("model_spec", stem)
    return [row.cells.get(c) for c in CELLS], spec


def cell(v) -> str:
    return "—" if v is None else f"{v[0]:.2f} / {v[1]:.4f}".replace(" 0.", " .")


def gap(db: float) -> str:
    """A PSNR difference: 2 decimals, 3 when it would round to zero."""
    return f"{db:+.3f}" if abs(db) < 0.005 else f"{db:+.2f}"


def _head(cells: list, first: list[str]) -> list[str]:
    return ["| " + " | ".join(first + [f"{d} ×{s}" for d, s in cells]) + " |", "|" + "---|" * (len(cells) + len(first))]


def _cpu() -> str:
    """The CPU the timed files name (the first that records one)."""
    for _, row, _ in rows():
        for path in files(row.stem):
            cpu = json.loads(path.read_text()).get("cpu")
            if cpu:
                return f"{cpu['name']}, {cpu['cores']} cores"
    return "the CPU of the run"


def table(cells: list[tuple[str, int]], ours: list[tuple[str, Row, str]]) -> str:
    """The paper's rows and ours in ``cells``."""
    lines = _head(cells, ["model"])
    lines += [f"| paper: {name} | " + " | ".join(cell(p.get(c)) for c in cells) + " |" for name, p in PAPER.items() if set(cells) & set(p)]
    lines += [f"| **{label}** | " + " | ".join(cell(row.cells.get(c)) for c in cells) + " |" for label, row, _ in ours]
    return "\n".join(lines)


def commands(ours: list[tuple[str, Row, str]]) -> str:
    """Every file's command in a code block, each with its wall time where its file records one."""
    lines = [c for _, row, _ in ours for c in row.commands]
    return f"The commands (after a #, the wall time on an {_cpu()}):\n\n```\n" + "\n".join(lines) + "\n```"


def tables() -> str:
    """The commands, then the PSNR / SSIM tables of each pair of sets."""
    ours = rows()
    groups = [table([c for c in CELLS if c[0] in group], ours) for group in GROUPS]
    return "\n\n".join([commands(ours), *groups, "—: not evaluated."])


def x4() -> str:
    """The four sets at x4 (the README's table)."""
    return table([c for c in CELLS if c[1] == 4], rows()) + "\n\n—: not evaluated."


def gaps() -> str:
    """Each row's PSNR minus the paper's row of the same model; the paper's B1U25 where it has no B1U9 figure (marked *)."""
    lines = ["PSNR minus the paper's (dB; where the paper has no DRRN B1U9 figure, its B1U25 one, marked *):", ""]
    for group in GROUPS:
        cells = [c for c in CELLS if c[0] in group]
        lines += _head(cells, ["ours", "paper row"])
        for label, row, ref in [r for r in rows() if r[2] is not None]:
            out = []
            for c in cells:
                theirs = PAPER[ref].get(c) or PAPER["DRRN B1U25"][c]
                ours = row.cells.get(c)
                out.append("—" if ours is None else gap(ours[0] - theirs[0]) + ("" if c in PAPER[ref] else "*"))
            lines.append(f"| {label} | {ref} | " + " | ".join(out) + " |")
        lines.append("")
    return "\n".join(lines).rstrip()


def ensemble_gains() -> str:
    """The ×8 self-ensemble's PSNR / SSIM gain over the same model run once, in every cell both have."""
    pairs = [(Row(stem), Row(base)) for stem, base in ENSEMBLES]
    cells = [c for c in CELLS if any(c in plus.cells for plus, _ in pairs)]
    lines = _head(cells, ["PSNR / SSIM gain"])
    for plus, once in pairs:
        both = [c in plus.cells and c in once.cells for c in cells]
        out = [f"{gap(plus.cells[c][0] - once.cells[c][0])} / {plus.cells[c][1] - once.cells[c][1]:+.4f}" if b else "—" for c, b in zip(cells, both)]
        if any(both):
            lines.append(f"| {once.stem}+ − {once.stem} | " + " | ".join(out) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    print(tables() + "\n\n" + gaps() + "\n\n" + ensemble_gains())
    return 0


if __name__ == "__main__":
    sys.exit(main())
