"""How to run the network on tiles: one traced function with open H and W (what drrn_tf uses),
a fixed-shape traced function, four quarter tiles batched, and eager calls.

    python benchmarks/tile_runner_speed.py                        # drrn_b1u9_f32, 512x512
    python benchmarks/tile_runner_speed.py --model drrn_b1u9 --side 288

The four are timed interleaved (one call of each per round), so that a busy machine slows
them alike; min and median over the rounds, after two warm-up calls each.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="drrn_b1u9_f32")
    ap.add_argument("--side", type=int, default=512, help="tile side (even)")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)

    import tensorflow as tf

    import drrn_tf
    from drrn_tf.nn.predict import tile_runner

    model = drrn_tf.load_model(args.model)
    n, h = args.side, args.side // 2
    y = np.random.default_rng(0).random((n, n)).astype(np.float32)
    quarters = np.stack([y[:h, :h], y[:h, h:], y[h:, :h], y[h:, h:]])[..., None]
    fixed = tf.function(lambda x: model(x, training=False), input_signature=[tf.TensorSpec([1, n, n, 1])])
    batched = tf.function(lambda x: model(x, training=False), input_signature=[tf.TensorSpec([4, h, h, 1])])
    dynamic = tile_runner(model)
    calls = {
        "traced, open H and W (used)": lambda: dynamic(y),
        "traced, fixed shape": lambda: fixed(y[None, :, :, None]).numpy(),
        "traced, 4 quarter tiles batched": lambda: batched(quarters).numpy(),
        "eager": lambda: model(y[None, :, :, None], training=False).numpy(),
    }
    for call in calls.values():
        call()
        call()
    times = {k: [] for k in calls}
    for _ in range(args.rounds):
        for k, call in calls.items():
            t = time.perf_counter()
            call()
            times[k].append(time.perf_counter() - t)
    print(f"{args.model}, {n}x{n} output pixels per call, {args.rounds} interleaved rounds:")
    for k, v in times.items():
        print(f"  {k:<34} min {min(v):.3f} s, median {np.median(v):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
