"""Time the MATLAB-exact bicubic imresize: an NxN float image down by 1/s and back up.

    python benchmarks/imresize_speed.py                  # 1024x1024, s=4, writes results/
    python benchmarks/imresize_speed.py --size 64 --no-write

Target (issue #2): <= 0.3 s for 1024x1024 at s=4 on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from drrn_tf.io.files import write_json_atomic
from drrn_tf.protocol.matlab import imresize

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1024, help="image side (default 1024)")
    ap.add_argument("--scale", type=int, default=4, help="shrink/enlarge factor (default 4)")
    ap.add_argument("--repeats", type=int, default=7, help="timed runs after one warm-up (default 7)")
    ap.add_argument("--no-write", action="store_true", help="print only; do not write benchmarks/results/")
    args = ap.parse_args(argv)

    img = np.random.default_rng(0).random((args.size, args.size))
    imresize(imresize(img, 1 / args.scale), args.scale)  # warm-up
    times = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        out = imresize(imresize(img, 1 / args.scale), args.scale)
        times.append(time.perf_counter() - t)
    assert out.shape == img.shape
    result = {
        "command": " ".join(["python benchmarks/imresize_speed.py", *(sys.argv[1:] if argv is None else argv)]),
        "size": args.size,
        "scale": args.scale,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "repeats": args.repeats,
        "cpus": os.cpu_count(),
        "numpy": np.__version__,
        "machine": platform.machine(),
    }
    print(
        f"imresize {args.size}x{args.size} float64, 1/{args.scale} then x{args.scale}: "
        f"median {result['median_s']:.3f} s, min {result['min_s']:.3f} s over {args.repeats} runs"
    )
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        out_path = RESULTS / "imresize_speed.json"
        write_json_atomic(out_path, result)
        print(f"wrote {out_path.relative_to(Path.cwd()) if out_path.is_relative_to(Path.cwd()) else out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
