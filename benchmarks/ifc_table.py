"""The paper's IFC table, for bicubic and the shipped models on Set5 (x2, x3, x4).

    python benchmarks/ifc_table.py                  # runs the four evaluations (~5 min here), prints the table
    python benchmarks/ifc_table.py --models bicubic drrn_b1u9_f32 --data set5 -o /tmp/ifc

Each row is one ``drrn eval --model M --data SET --scales 2 3 4 --metrics psnr ssim ifc -o
DIR/M.json`` (printed as it runs; IFC as the reference ``ifcvec.m`` computes it, see
``drrn_tf/protocol/ifc.py``), then a markdown table of IFC (PSNR beside it) per scale. Needs the
benchmark sets (``$DRRN_DATA`` or ``../shared/data``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
MODELS = ["bicubic", "drrn_b1u9_f32", "drrn_b1u9", "drrn_b1u25"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=MODELS, help=f"rows (default: {' '.join(MODELS)})")
    ap.add_argument("--data", default="set5", help="one set (default set5)")
    ap.add_argument("-o", "--output", default=str(RESULTS / "ifc"), help="folder for each model's eval JSON (default benchmarks/results/ifc)")
    args = ap.parse_args(argv)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for model in args.models:
        path = out / f"{Path(model).stem}.json"
        cmd = ["drrn", "eval", "--model", model, "--data", args.data, "--scales", "2", "3", "4", "--metrics", "psnr", "ssim", "ifc", "-o", str(path)]
        print(" ".join(cmd), flush=True)
        subprocess.run([sys.executable, "-m", "drrn_tf", *cmd[1:]], check=True, stdout=subprocess.DEVNULL)
        results = json.loads(path.read_text())["results"]
        rows.append((model, {r["scale"]: r for r in results}, results[0]["dataset"]))
    scales = sorted(rows[0][1])
    print(f"\n| {rows[0][2]}: IFC (PSNR dB) | " + " | ".join(f"×{s}" for s in scales) + " |")
    print("|---|" + "---|" * len(scales))
    for model, by, _ in rows:
        print(f"| {model} | " + " | ".join(f"{by[s]['ifc']:.3f} ({by[s]['psnr']:.2f})" for s in scales) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
