"""Training throughput of DRRN B1U9: patches/s, MACs and achieved GFLOP/s.

    python benchmarks/train_throughput.py                         # 128/64/32 filters x fp32/bf16
    python benchmarks/train_throughput.py --filters 32 --precision fp32 --steps 2 --no-write

One model.fit-style step = forward + backward + update on a batch of 31x31 patches;
training costs ~3x the forward MACs (forward, grad wrt activations, grad wrt weights),
so GFLOP/s = 2 * 3 * MACs/pixel * 31*31 * patches/s / 1e9. Each configuration runs in
a fresh process so the dtype policy and thread pools do not leak between them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def measure(filters: int, units: int, precision: str, batch: int, steps: int, warmup: int) -> dict:
    import keras
    import numpy as np

    import drrn_tf  # noqa: F401
    from drrn_tf.nn.models import drrn
    from drrn_tf.nn.stats import model_stats
    from drrn_tf.training.recipe import CaffeSGD, EuclideanLoss

    keras.config.set_dtype_policy("mixed_bfloat16" if precision == "bf16" else "float32")
    model = drrn(1, units, filters)
    model.compile(CaffeSGD(0.1), EuclideanLoss(), jit_compile=False)
    rng = np.random.default_rng(0)
    x = rng.random((batch, 31, 31, 1), dtype=np.float32)
    y = x + 0.01 * rng.standard_normal(x.shape, dtype=np.float32)
    for _ in range(warmup):
        model.train_on_batch(x, y)
    t = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    dt = time.perf_counter() - t
    macs = model_stats(model)["macs_per_pixel"]
    rate = batch * steps / dt
    return {
        "model": f"drrn_b1u{units}",
        "filters": filters,
        "precision": precision,
        "batch": batch,
        "patches_per_s": rate,
        "macs_per_pixel": macs,
        "gflops": 2 * 3 * macs * 31 * 31 * rate / 1e9,
        "steps": steps,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--filters", type=int, nargs="+", default=[128, 64, 32])
    ap.add_argument("--precision", nargs="+", choices=("fp32", "bf16"), default=["fp32", "bf16"])
    ap.add_argument("--units", type=int, default=9)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=5, help="timed steps per configuration")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        f, p = args.child.split(":")
        print(json.dumps(measure(int(f), args.units, p, args.batch, args.steps, args.warmup)))
        return 0
    rows = []
    print(f"{'model':<11} {'filters':>7} {'prec':>5} {'patches/s':>10} {'MACs/px':>10} {'GFLOP/s':>8}")
    for f in args.filters:
        for p in args.precision:
            cmd = [
                sys.executable,
                __file__,
                "--child",
                f"{f}:{p}",
                "--units",
                str(args.units),
                "--batch",
                str(args.batch),
                "--steps",
                str(args.steps),
                "--warmup",
                str(args.warmup),
            ]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(r)
            print(f"{r['model']:<11} {f:>7} {p:>5} {r['patches_per_s']:>10.1f} {r['macs_per_pixel']:>10,} {r['gflops']:>8.1f}", flush=True)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        doc = {
            "command": " ".join(["python benchmarks/train_throughput.py", *(sys.argv[1:] if argv is None else argv)]),
            "cpus": os.cpu_count(),
            "results": rows,
        }
        from drrn_tf.io.files import write_json_atomic

        write_json_atomic(RESULTS / "train_throughput.json", doc)
        print(f"wrote {RESULTS / 'train_throughput.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
