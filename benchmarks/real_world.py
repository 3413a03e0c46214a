"""Real-world inputs: bicubic, the clean presets and the real presets on LR images degraded as
pictures people have are (JPEG, noise), in the paper's protocol otherwise.

    python -m benchmarks.real_world            # every missing cell (the Keras runtime; BSD100 takes most of it)
    python -m benchmarks.real_world --table    # print the tables from the committed results only

Each cell file is one ``drrn eval --model M --runtime keras --data set5 set14 bsd100 --scales 2 3
--degrade D -o benchmarks/results/real_world/M.D.json`` (printed as it runs; files already there are
kept, so a stopped run continues): HR -> MATLAB bicubic 1/s -> uint8 -> the degradation (seeded)
-> bicubic up -> the model -> Y PSNR against HR. Needs the benchmark sets ($DRRN_DATA).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "real_world"
MODELS = ["bicubic", "drrn_b1u9_f32", "drrn_b1u9_f32_real", "drrn_b1u9", "drrn_b1u9_real"]
DEGRADE = ["clean", "jpeg:75"]
SETS = ["set5", "set14", "bsd100"]
SCALES = ["2", "3"]


def cell(model: str, degrade: str) -> Path:
    return RESULTS / f"{model}.{degrade.replace(':', '')}.json"


def command(model: str, degrade: str) -> list[str]:
    runtime = [] if model == "bicubic" else ["--runtime", "keras"]
    out = cell(model, degrade).relative_to(RESULTS.parent.parent.parent)  # as run from the repository's root
    return ["drrn", "eval", "--model", model, *runtime, "--data", *SETS, "--scales", *SCALES, "--degrade", degrade, "-o", str(out)]


def run(models: list[str], degrades: list[str]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    for degrade in degrades:
        for model in models:
            if cell(model, degrade).exists():
                continue
            cmd = command(model, degrade)
            print(" ".join(cmd), flush=True)
            subprocess.run(
                [sys.executable, "-m", "drrn_tf", *cmd[1:]], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=RESULTS.parent.parent.parent
            )


def load(results: Path = RESULTS) -> dict:
    """{(model, degrade, dataset, scale): psnr} of every committed cell."""
    found = {}
    for path in sorted(results.glob("*.json")):
        doc = json.loads(path.read_text())
        for r in doc["results"]:
            found[(doc["model_spec"], doc["degrade"], r["dataset"], r["scale"])] = r["psnr"]
    return found


def tables(found: dict) -> str:
    """One markdown table per data set: a row per model, PSNR (dB) per input and scale, the best in bold."""
    out = []
    sets = list(dict.fromkeys(k[2] for k in found))
    models = [m for m in MODELS if any(k[0] == m for k in found)]
    for name in sets:
        inputs = DEGRADE + sorted({k[1] for k in found} - set(DEGRADE))  # cells made with --degrade too
        columns = [(d, int(s)) for s in SCALES for d in inputs if any((m, d, name, int(s)) in found for m in models)]
        out.append(f"| {name}, Y PSNR (dB) | " + " | ".join(f"{d} ×{s}" for d, s in columns) + " |")
        out.append("|---|" + "---|" * len(columns))
        best = {c: max(found.get((m, *c[:1], name, c[1]), -1) for m in models) for c in columns}
        for m in models:
            cells = []
            for c in columns:
                v = found.get((m, c[0], name, c[1]))
                cells.append("" if v is None else (f"**{v:.2f}**" if v == best[c] else f"{v:.2f}"))
            out.append(f"| {m} | " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=MODELS, help=f"rows (default: {' '.join(MODELS)})")
    ap.add_argument("--degrade", nargs="+", default=DEGRADE, help=f"inputs (default: {' '.join(DEGRADE)})")
    ap.add_argument("--table", action="store_true", help="print the tables of the committed results; evaluate nothing")
    args = ap.parse_args(argv)
    if not args.table:
        run(args.models, args.degrade)
    print(tables(load()), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
