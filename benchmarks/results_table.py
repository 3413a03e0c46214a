"""README's results table: our models' Set5/Set14 PSNR/SSIM beside the paper's rows.

    python benchmarks/results_table.py

Reads the tables `drrn eval ... --json benchmarks/results/NAME_eval.json` wrote (the command of
each is printed under the table) and prints a markdown table with the paper's bicubic, SRCNN,
VDSR and DRRN rows, then each of our rows' PSNR gap to the paper's row of the same model (SRCNN for the compact one).
Times nothing and evaluates nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
CELLS = [("Set5", 2), ("Set5", 3), ("Set5", 4), ("Set14", 2), ("Set14", 3), ("Set14", 4)]
# The paper's table (Tai et al. 2017, Table 3): PSNR, SSIM per cell; None where it gives no figure.
PAPER = {
    "Bicubic": [(33.66, 0.9299), (30.39, 0.8682), (28.42, 0.8104), (30.24, 0.8688), (27.55, 0.7742), (26.00, 0.7027)],
    "SRCNN": [(36.66, 0.9542), (32.75, 0.9090), (30.48, 0.8628), (32.42, 0.9063), (29.28, 0.8209), (27.49, 0.7503)],
    "VDSR": [(37.53, 0.9587), (33.66, 0.9213), (31.35, 0.8838), (33.03, 0.9124), (29.77, 0.8314), (28.01, 0.7674)],
    "DRRN B1U9": [(37.66, 0.9589), (33.93, 0.9234), (31.58, 0.8864), None, None, None],
    "DRRN B1U25": [(37.74, 0.9591), (34.03, 0.9244), (31.68, 0.8888), (33.23, 0.9136), (29.96, 0.8349), (28.21, 0.7721)],
}
# Our rows: (label, results file stem, the paper's row to compare with).
OURS = [
    ("drrn_b1u9 (default)", "drrn_b1u9", "DRRN B1U9"),
    ("drrn_b1u9, full int8", "drrn_b1u9_int8", "DRRN B1U9"),
    ("drrn_b1u25", "drrn_b1u25", "DRRN B1U25"),
    ("drrn_b1u25, full int8", "drrn_b1u25_int8", "DRRN B1U25"),
    ("drrn_b1u9_f32 (fast)", "drrn_b1u9_f32", "SRCNN"),
    ("drrn_b1u9_f32_qat, full int8 (phone)", "drrn_b1u9_f32_qat_int8", "SRCNN"),
]


def load(stem: str) -> tuple[list[tuple[float, float]], str] | None:
    path = RESULTS / f"{stem}_eval.json"
    if not path.is_file():
        return None
    doc = json.loads(path.read_text())
    by = {(r["dataset"], r["scale"]): (r["psnr"], r["ssim"]) for r in doc["results"]}
    missing = [c for c in CELLS if c not in by]
    if missing:
        raise SystemExit(f"{path}: no result for {missing}")
    return [by[c] for c in CELLS], doc.get("model_spec", stem)


def cell(v) -> str:
    return "" if v is None else f"{v[0]:.2f} / {v[1]:.4f}".replace(" 0.", " .")


def gap(db: float) -> str:
    """A PSNR difference: 2 decimals, 3 when it would round to zero."""
    return f"{db:+.3f}" if abs(db) < 0.005 else f"{db:+.2f}"


def main(argv=None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    head = "| model | " + " | ".join(f"{d} ×{s}" for d, s in CELLS) + " |"
    lines = [head, "|" + "---|" * (len(CELLS) + 1)]
    lines += [f"| paper: {name} | " + " | ".join(cell(v) for v in rows) + " |" for name, rows in PAPER.items()]
    ours, commands = [], []
    for label, stem, ref in OURS:
        found = load(stem)
        if found is None:
            print(f"note: no benchmarks/results/{stem}_eval.json yet", file=sys.stderr)
            continue
        rows, spec = found
        ours.append((label, rows, ref))
        lines.append(f"| **{label}** | " + " | ".join(cell(v) for v in rows) + " |")
        commands.append(f"drrn eval --model {spec} --data set5 set14 --per-image --json benchmarks/results/{stem}_eval.json")
    print("\n".join(lines))
    print("\n```\n" + "\n".join(commands) + "\n```\n")
    print("PSNR minus the paper's (dB; DRRN B1U9 has no Set14 figure in the paper: B1U25's instead):\n")
    print("| ours | paper row | " + " | ".join(f"{d} ×{s}" for d, s in CELLS) + " |")
    print("|" + "---|" * (len(CELLS) + 2))
    for label, rows, ref in ours:
        paper = [p if p is not None else q for p, q in zip(PAPER[ref], PAPER["DRRN B1U25"])]
        gaps = [gap(o[0] - p[0]) + ("" if a is not None else "*") for o, p, a in zip(rows, paper, PAPER[ref])]
        print(f"| {label} | {ref} | " + " | ".join(gaps) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
