"""The paper's B/U study (Figure 5) at 32 filters: how depth through blocks B and units U pays.

    python benchmarks/bu_study.py            # 7 networks, ~20 min of training here; results/bu_study.{json,png}
    python benchmarks/bu_study.py --quick -o /tmp/bu.json   # two tiny runs (CI: checks that it runs)

Every network -- B1U1..B1U4 (U grows, B = 1) and B1U3..B4U3 (B grows, U = 3) -- trains with the
same recipe and step budget (benchmarks/bu_study.yaml: 32 filters, Adam + L1, 2,000 steps of 32
random 31x31 patches, mixed bfloat16) via ``drrn train`` in its own run folder under --runs
(a finished run is reused, an interrupted one resumed), then is scored on Set5 x3 in the paper's
protocol. Depth d = (1 + 2U) B + 1 convolutions, as in the paper. Writes a JSON of the rows, each
run's training log beside it (results/bu_study/), and a plot of PSNR against depth with the two
families marked. Needs the benchmark sets (``$DRRN_DATA`` or ``../shared/data``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CONFIG = HERE / "bu_study.yaml"
NETS = [(1, 1), (1, 2), (1, 3), (1, 4), (2, 3), (3, 3), (4, 3)]  # (B, U)
QUICK = ["--set", "steps_per_epoch=3", "--set", "epochs=1", "--set", "max_images=4", "--set", "batch_size=4"]


def depth(blocks: int, units: int) -> int:
    return (1 + 2 * units) * blocks + 1


def train(blocks: int, units: int, run: Path, extra: list[str]) -> float:
    """Train (or resume, or reuse) one network; returns the wall seconds this call spent."""
    if (run / "model.keras").is_file():
        return 0.0
    resume = (run / "state.json").is_file()
    cmd = [sys.executable, "-m", "drrn_tf", "train", "-o", str(run)]
    cmd += (
        ["--resume"]
        if resume
        else ["--config", str(CONFIG), "--set", f"blocks={blocks}", "--set", f"units={units}", "--set", f"name=drrn_b{blocks}u{units}", *extra]
    )
    started = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - started


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from drrn_tf.io.files import write_bytes_atomic

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    families = [("U = 1..4, B = 1", lambda r: r["blocks"] == 1, "o-"), ("B = 1..4, U = 3", lambda r: r["units"] == 3, "s--")]
    for label, keep, style in families:
        pts = sorted((r["depth"], r["psnr"], f"B{r['blocks']}U{r['units']}") for r in rows if keep(r))
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=label)
            for d, p, name in pts:
                ax.annotate(name, (d, p), textcoords="offset points", xytext=(4, -11), fontsize=8)
    ax.set_xlabel("depth d = (1 + 2U) B + 1 (convolutions)")
    ax.set_ylabel("Set5 x3 PSNR (dB)")
    ax.set_title(f"DRRN B/U study, {rows[0]['filters']} filters, {rows[0]['steps']:,} steps each")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    write_bytes_atomic(path, buf.getvalue())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nets", nargs="+", metavar="BxU", help="networks as B,U pairs like 1,3 (default: the 7 of the study)")
    ap.add_argument("--runs", help="run folders go here (default runs/bu_study; --quick: a temporary folder)")
    ap.add_argument("--quick", action="store_true", help="two tiny runs of a few steps (checks that it runs)")
    ap.add_argument("-o", "--output", default=str(RESULTS / "bu_study.json"), help="JSON of the rows; the plot and logs go beside it")
    args = ap.parse_args(argv)
    nets = [tuple(map(int, n.split(","))) for n in args.nets] if args.nets else (NETS[:2] if args.quick else NETS)
    command = " ".join(["python benchmarks/bu_study.py", *(sys.argv[1:] if argv is None else argv)])

    from drrn_tf.io.datasets import resolve_dataset
    from drrn_tf.io.files import write_json_atomic
    from drrn_tf.nn.loading import load_model
    from drrn_tf.nn.predict import predict_y
    from drrn_tf.protocol.evaluation import evaluate

    set5 = resolve_dataset("set5")
    runs = Path(args.runs or (tempfile.mkdtemp(prefix="bu_quick_") if args.quick else "runs/bu_study"))
    out = Path(args.output)
    logs = out.parent / out.stem
    logs.mkdir(parents=True, exist_ok=True)
    rows = []
    for blocks, units in nets:
        run = runs / f"B{blocks}U{units}"
        seconds = train(blocks, units, run, QUICK if args.quick else [])
        model = load_model(run / "model.keras")
        (result,) = evaluate(lambda y, m=model: predict_y(m, y), [set5], [3])
        config = json.loads((run / "config.json").read_text())
        shutil.copyfile(run / "log.csv", logs / f"B{blocks}U{units}.log.csv")
        rows.append(
            {
                "blocks": blocks,
                "units": units,
                "depth": depth(blocks, units),
                "params": model.count_params(),
                "filters": config["filters"],
                "steps": config["steps_per_epoch"] * config["epochs"],
                "psnr": round(result.psnr, 3),
                "ssim": round(result.ssim, 4),
                "train_seconds": round(seconds) if seconds else None,  # this call's; None: a finished run reused
            }
        )
        print(f"B{blocks}U{units}: depth {rows[-1]['depth']}, {rows[-1]['params']:,} params, Set5 x3 {result.psnr:.3f} dB", flush=True)
    write_json_atomic(out, {"command": command, "config": str(CONFIG.relative_to(HERE.parent)), "rows": rows}, indent=1)
    plot(rows, out.with_suffix(".png"))
    print("| network | depth | params | Set5 x3 PSNR (dB) | SSIM |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| B{r['blocks']}U{r['units']} | {r['depth']} | {r['params']:,} | {r['psnr']:.2f} | {r['ssim']:.4f} |")
    print(f"wrote {out}, {out.with_suffix('.png')} and {logs}/")
    if args.quick and not args.runs:
        shutil.rmtree(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
