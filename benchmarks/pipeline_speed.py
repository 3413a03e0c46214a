"""Speed of the tf.data patch pipeline alone (no model): 31x31 (LR-up, HR) patches per second.

    python benchmarks/pipeline_speed.py                       # train291, x2/x3/x4, batch 64
    python benchmarks/pipeline_speed.py --data set5 --batches 20 --no-write

Measures after the cache (the per-image, per-scale bicubic pairs) is built; reports the
cache build time separately. Target (issue #3): >= 5,000 patches/s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from drrn_tf.constants import SCALES
from drrn_tf.io.datasets import resolve_dataset
from drrn_tf.io.files import write_json_atomic
from drrn_tf.training.data import PatchSource

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="train291", help="dataset name or folder (default train291)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--batches", type=int, default=500, help="timed batches per mode")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)

    _, folder = resolve_dataset(args.data)
    t = time.perf_counter()
    source = PatchSource.from_folder(folder, scales=SCALES)
    build = time.perf_counter() - t
    print(f"cache: {source.num_entries} image/scale pairs, {(source.hr.nbytes + source.lr.nbytes) / 2**20:.0f} MiB, built in {build:.1f} s")
    rows = []
    for mode in ("grid", "random"):
        it = iter(source.dataset(args.batch, seed=0, mode=mode))
        for _ in range(5):
            next(it)  # warm-up (tracing, prefetch start)
        t = time.perf_counter()
        for _ in range(args.batches):
            lr, hr = next(it)
        rate = args.batch * args.batches / (time.perf_counter() - t)
        rows.append({"mode": mode, "patches_per_s": rate})
        print(f"{mode:>6} sampling: {rate:,.0f} patches/s (batch {args.batch}, {args.batches} batches)")
    if not args.no_write:
        doc = {
            "command": " ".join(["python benchmarks/pipeline_speed.py", *(sys.argv[1:] if argv is None else argv)]),
            "data": args.data,
            "cache_build_s": build,
            "cpus": os.cpu_count(),
            "results": rows,
        }
        (ROOT / "benchmarks" / "results").mkdir(parents=True, exist_ok=True)
        write_json_atomic(ROOT / "benchmarks" / "results" / "pipeline_speed.json", doc)
        print("wrote benchmarks/results/pipeline_speed.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
