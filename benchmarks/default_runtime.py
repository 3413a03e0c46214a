"""`drrn upscale` with every default against `--runtime keras`, from an empty cache, end to end.

    python benchmarks/default_runtime.py                       # Urban100 img_002 (1024x768), x3
    python benchmarks/default_runtime.py --photo my.jpg --scale 2

Each run is the `drrn` command in a child process, timed from start to exit (model loading, TensorFlow
start-up where there is one, decoding and writing included), with a fresh empty `DRRN_CACHE`: the
default run must make no export (the cache stays empty) and say which runtime it chose. Printed and
written to benchmarks/results/default_runtime.json: both times, their ratio, the runtime line, and
the luminance PSNR of the default output against the Keras output (how far int8 moves the pixels).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _upscale(photo: Path, scale: int, out: Path, cache: Path, *extra: str) -> tuple[float, str]:
    env = {**os.environ, "DRRN_CACHE": str(cache)}
    argv = [sys.executable, "-m", "drrn_tf", "upscale", str(photo), "-s", str(scale), "-o", str(out), *extra]
    t = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"drrn upscale failed: {done.stderr.strip()[-500:]}")
    return seconds, next(line for line in done.stderr.splitlines() if line.startswith("drrn: runtime "))


def main(argv=None) -> int:
    from drrn_tf.io.datasets import data_root
    from drrn_tf.io.images import read_image
    from drrn_tf.protocol.evaluation import hr_luminance
    from drrn_tf.protocol.metrics import psnr

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photo", help="the picture to upscale (default: Urban100 img_002.png, 1024x768)")
    ap.add_argument("--scale", type=int, default=3, choices=(2, 3, 4))
    ap.add_argument("--out", default=str(RESULTS / "default_runtime.json"))
    args = ap.parse_args(argv)
    root = data_root()
    photo = Path(args.photo) if args.photo else (root / "Urban100" / "img_002.png" if root else None)
    if photo is None or not photo.is_file():
        raise SystemExit("no photo: pass --photo, or provide the benchmark sets ($DRRN_DATA)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cache = tmp / "cache"
        auto_s, auto_line = _upscale(photo, args.scale, tmp / "auto.png", cache)
        made = sorted(p.name for p in cache.rglob("*")) if cache.exists() else []
        keras_s, keras_line = _upscale(photo, args.scale, tmp / "keras.png", tmp / "cache_keras", "--runtime", "keras")
        y_auto, y_keras = (hr_luminance(read_image(tmp / f).pixels) for f in ("auto.png", "keras.png"))
        h, w = read_image(photo).pixels.shape[:2]
        doc = {
            "command": " ".join(["python benchmarks/default_runtime.py", *(sys.argv[1:] if argv is None else argv)]),
            "photo": photo.name,
            "input": f"{w}x{h}",
            "scale": args.scale,
            "default_s": round(auto_s, 1),
            "keras_s": round(keras_s, 1),
            "speedup": round(keras_s / auto_s, 2),
            "default_runtime_line": auto_line,
            "keras_runtime_line": keras_line,
            "files_made_in_cache": made,
            "y_psnr_default_vs_keras_db": round(psnr(y_auto, y_keras), 2),
        }
    from drrn_tf.io.files import write_json_atomic

    write_json_atomic(args.out, doc)
    print(f"{photo.name} {w}x{h} x{args.scale}: defaults {auto_s:.1f} s, --runtime keras {keras_s:.1f} s ({keras_s / auto_s:.2f}x)")
    print(f"  {auto_line}")
    print(f"  files made in the empty cache: {len(made)}; luminance PSNR of the default output against Keras: {doc['y_psnr_default_vs_keras_db']:.2f} dB")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
