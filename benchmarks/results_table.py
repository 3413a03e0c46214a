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
import functools
import json
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SETS = ("Set5", "Set14", "BSD100", "Urban100")
CELLS = [(d, s) for d in SETS for s in (2, 3, 4)]
GROUPS = (("Set5", "Set14"), ("BSD100", "Urban100"))  # a table each
# The paper's table (Tai et al. 2017, Table 3); "-": the table gives no figure.
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
# Our rows: label, results stem, the paper's row to compare with (None: a model made for other inputs),
# and what the row runs: the model, the runtime (a preset's full-int8 export that ships with it is
# litert), whether as the x8 self-ensemble.
OURS = [
    ("bicubic (ours: the protocol's check)", "bicubic", "Bicubic", "bicubic", "bicubic", False),
    ("drrn_b1u9 (default)", "drrn_b1u9", "DRRN B1U9", "drrn_b1u9", "keras", False),
    ("drrn_b1u9, full int8", "drrn_b1u9_int8", "DRRN B1U9", "drrn_b1u9", "litert", False),
    ("drrn_b1u9+ (×8 self-ensemble)", "drrn_b1u9_ensemble", "DRRN B1U9", "drrn_b1u9", "keras", True),
    ("drrn_b1u25", "drrn_b1u25", "DRRN B1U25", "drrn_b1u25", "keras", False),
    ("drrn_b1u25, full int8", "drrn_b1u25_int8", "DRRN B1U25", "drrn_b1u25", "litert", False),
    ("drrn_b1u25+ (×8 self-ensemble)", "drrn_b1u25_ensemble", "DRRN B1U25", "drrn_b1u25", "keras", True),
    ("drrn_b1u9_f32 (fast)", "drrn_b1u9_f32", "SRCNN", "drrn_b1u9_f32", "keras", False),
    ("drrn_b1u9_f32_qat", "drrn_b1u9_f32_qat", "SRCNN", "drrn_b1u9_f32_qat", "keras", False),
    ("drrn_b1u9_f32_qat, full int8 (phone)", "drrn_b1u9_f32_qat_int8", "SRCNN", "drrn_b1u9_f32_qat", "litert", False),
    ("drrn_b1u9_real", "drrn_b1u9_real", None, "drrn_b1u9_real", "keras", False),
    ("drrn_b1u9_real, full int8", "drrn_b1u9_real_int8", None, "drrn_b1u9_real", "litert", False),
    ("drrn_b1u9_f32_real", "drrn_b1u9_f32_real", None, "drrn_b1u9_f32_real", "keras", False),
    ("drrn_b1u9_f32_real, full int8", "drrn_b1u9_f32_real_int8", None, "drrn_b1u9_f32_real", "litert", False),
]
STEMS = {o[1]: o for o in OURS}
# The self-ensemble rows and the rows they improve on.
ENSEMBLES = [("drrn_b1u9_ensemble", "drrn_b1u9"), ("drrn_b1u25_ensemble", "drrn_b1u25")]


def _runtime(doc: dict) -> str:
    """What ran: bicubic, keras, keras-bf16, litert, onnxruntime (older files recorded no runtime: from the name)."""
    if "runtime" in doc:
        return doc["runtime"].split()[0]
    if doc["model"] == "bicubic":
        return "bicubic"
    return "litert" if "(litert" in doc["model"] or doc["model_spec"].endswith(".tflite") else "keras"


def _exported(spec: str) -> bool:
    """Whether a file's model spec names an exported model (which runs in its own runtime)."""
    return Path(spec).suffix in (".tflite", ".onnx")


def _model(doc: dict) -> str:
    """The model a file scored: its spec, or for an exported file the preset it was exported from (``NAME_int8.tflite``)."""
    spec = doc["model_spec"]
    return Path(spec).stem.removesuffix("_int8") if _exported(spec) else spec


def _set_order(path: Path) -> int:
    """Where ``STEM.SET[.xS].json`` goes among SETS (a set of no column: last)."""
    named = path.name.split(".")[1]
    return next((i for i, name in enumerate(SETS) if name.lower() == named), len(SETS))


class Row:
    """One of OURS: its cells (PSNR, SSIM) from every file it has, and the command and wall time of each file."""

    def __init__(self, stem: str):
        self.label, self.stem, self.ref, model, runtime, ensemble = STEMS[stem]
        self.cells: dict[tuple[str, int], tuple[float, float]] = {}
        self.commands: list[tuple[str, float | None, str | None]] = []  # (command, seconds, cpu)
        for path in files(stem):
            doc = json.loads(path.read_text())
            if doc.get("degrade", "clean") != "clean" or any("per_image" not in r for r in doc["results"]):
                raise SystemExit(f"{path}: not a clean --per-image evaluation")
            if (_model(doc), _runtime(doc), doc.get("ensemble", False)) != (model, runtime, ensemble):
                raise SystemExit(
                    f"{path}: scores {_model(doc)} in {_runtime(doc)}, ensemble {doc.get('ensemble', False)}; its row is {model} in {runtime}, ensemble {ensemble}"
                )
            for r in doc["results"]:
                key = (r["dataset"], r["scale"])
                if key in self.cells:
                    raise SystemExit(f"{path}: {key[0]} x{key[1]} is in another file of {stem} too")
                self.cells[key] = (r["psnr"], r["ssim"])
            self.commands.append((command(path, doc), doc.get("seconds"), _cpus(doc)))


def _cpus(doc: dict) -> str | None:
    """The CPU an evaluation ran on (those of each run, for one that was interrupted and resumed)."""
    runs = [(run["cpu"], run.get("seconds")) for run in doc.get("runs", [])] or ([(doc["cpu"], None)] if doc.get("cpu") else [])
    seconds: dict[str, float] = {}  # each CPU's share of the wall time, in the order the runs were on them
    for cpu, sec in runs:
        seconds[cpu["name"]] = seconds.get(cpu["name"], 0.0) + (sec or 0.0)
    cores = " and ".join(dict.fromkeys(str(cpu["cores"]) for cpu, _ in runs))
    if len(seconds) < 2:
        return f"{runs[0][0]['name']}, {cores} cores" if runs else None
    shares = " and an ".join(f"{name} ({_duration(sec)})" for name, sec in seconds.items())
    return f"{shares}, {cores} cores" + ("" if " and " in cores else " each")


def files(stem: str) -> list[Path]:
    """The committed evaluations of a row: the Set5/Set14 table, then one per set in SETS order."""
    old = RESULTS / f"{stem}_eval.json"
    return ([old] if old.is_file() else []) + sorted((RESULTS / "eval").glob(f"{stem}.*.json"), key=lambda p: (_set_order(p), p.name))


def command(path: Path, doc: dict) -> str:
    """The ``drrn eval`` that wrote ``path``: as it recorded itself, or (older files) rebuilt from what it recorded."""
    if doc.get("command"):
        return doc["command"]
    spec, runtime = doc["model_spec"], _runtime(doc)
    argv = ["drrn", "eval", "--model", spec]
    if runtime not in ("bicubic", "keras") and not _exported(spec):
        argv += ["--runtime", runtime]
    argv += ["--tile", str(doc["tile"])] if doc.get("tile") else []
    argv += ["--ensemble"] * bool(doc.get("ensemble")) + ["--data", *dict.fromkeys(r["dataset"].lower() for r in doc["results"])]
    scales = sorted({r["scale"] for r in doc["results"]})
    argv += [] if scales == [2, 3, 4] else ["--scales", *map(str, scales)]
    return shlex.join([*argv, "--per-image", "--json", str(path.relative_to(ROOT))])


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 600 else f"{seconds / 60:.0f} min"


@functools.cache
def rows() -> tuple[Row, ...]:
    """Each of OURS with at least one committed file (read once); a file in eval/ of no row is refused."""
    strays = {p.name.split(".")[0] for p in (RESULTS / "eval").glob("*.json")} - set(STEMS)
    if strays:
        raise SystemExit(f"benchmarks/results/eval/: files of no results row: {', '.join(sorted(strays))} (add the row to OURS)")
    return tuple(row for row in (Row(stem) for stem in STEMS) if row.cells)


def row(stem: str) -> Row | None:
    return next((r for r in rows() if r.stem == stem), None)


def cell(v, missing: str = "—") -> str:
    return missing if v is None else f"{v[0]:.2f} / {v[1]:.4f}".replace(" 0.", " .")


def gap(db: float) -> str:
    """A PSNR difference: 2 decimals, 3 when it would round to zero."""
    return f"{db:+.3f}" if abs(db) < 0.005 else f"{db:+.2f}"


def _head(cells: list, first: list[str]) -> list[str]:
    return ["| " + " | ".join(first + [f"{d} ×{s}" for d, s in cells]) + " |", "|" + "---|" * (len(cells) + len(first))]


def table(cells: list[tuple[str, int]]) -> str:
    """The paper's rows and ours in ``cells`` (a row with none of them left out)."""
    lines = _head(cells, ["model"])
    lines += [f"| paper: {name} | " + " | ".join(cell(p.get(c), "") for c in cells) + " |" for name, p in PAPER.items() if set(cells) & set(p)]
    lines += [f"| **{r.label}** | " + " | ".join(cell(r.cells.get(c)) for c in cells) + " |" for r in rows() if set(cells) & set(r.cells)]
    return "\n".join(lines)


LEGEND = "—: not evaluated yet; a blank paper cell: the paper gives no figure."


def commands() -> str:
    """Every file's command in a code block, each with its wall time where its file records one."""
    timed = [c for r in rows() for c in r.commands]
    cpus = {cpu for _, _, cpu in timed if cpu}
    where = f" on an {next(iter(cpus))}" if len(cpus) == 1 else ""
    lines = [line + (f"  # {_duration(sec)}" + ("" if where or not cpu else f" on an {cpu}") if sec is not None else "") for line, sec, cpu in timed]
    return f"The commands (after a #, the wall time{where}):\n\n```\n" + "\n".join(lines) + "\n```"


def tables() -> str:
    """The commands, then the PSNR / SSIM tables of each pair of sets."""
    groups = [table([c for c in CELLS if c[0] in group]) for group in GROUPS]
    return "\n\n".join([commands(), *groups, LEGEND])


def x4() -> str:
    """The four sets at x4 (the README's table)."""
    return table([c for c in CELLS if c[1] == 4]) + "\n\n" + LEGEND


def gaps() -> str:
    """Each row's PSNR minus the paper's row of the same model; the paper's B1U25 where it has no B1U9 figure (marked *)."""
    lines = ["PSNR minus the paper's (dB; where the paper has no DRRN B1U9 figure, its B1U25 one, marked *):", ""]
    for group in GROUPS:
        cells = [c for c in CELLS if c[0] in group]
        lines += _head(cells, ["ours", "paper row"])
        for r in rows():
            if r.ref is None or not set(cells) & set(r.cells):
                continue
            out = []
            for c in cells:
                theirs = PAPER[r.ref].get(c) or PAPER["DRRN B1U25"][c]
                ours = r.cells.get(c)
                out.append("—" if ours is None else gap(ours[0] - theirs[0]) + ("" if c in PAPER[r.ref] else "*"))
            lines.append(f"| {r.label} | {r.ref} | " + " | ".join(out) + " |")
        lines.append("")
    return "\n".join(lines).rstrip()


def ensemble_gains() -> str:
    """The ×8 self-ensemble's PSNR / SSIM gain over the same model run once, in every cell both have."""
    pairs = [(row(stem), row(base)) for stem, base in ENSEMBLES]
    pairs = [(plus, once) for plus, once in pairs if plus is not None and once is not None]
    cells = [c for c in CELLS if any(c in plus.cells and c in once.cells for plus, once in pairs)]
    lines = _head(cells, ["PSNR / SSIM gain"])
    for plus, once in pairs:
        out = [
            f"{gap(plus.cells[c][0] - once.cells[c][0])} / {plus.cells[c][1] - once.cells[c][1]:+.4f}" if c in plus.cells and c in once.cells else "—"
            for c in cells
        ]
        lines.append(f"| {once.stem}+ − {once.stem} | " + " | ".join(out) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    print(tables() + "\n\n" + gaps() + "\n\n" + ensemble_gains())
    return 0


if __name__ == "__main__":
    sys.exit(main())
