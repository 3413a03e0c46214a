"""End-to-end `drrn upscale` against the model's own compute: wall time and peak memory.

    python benchmarks/upscale_speed.py            # the cases below, keras and litert (~15 min here)
    python benchmarks/upscale_speed.py --models drrn_b1u9_f32 --memory-mb 256 --runtimes keras --no-eval --out F
    python benchmarks/upscale_speed.py --models drrn_b1u9_f32 --no-eval --repeat 3 --out F   # medians of 3
    python benchmarks/upscale_speed.py --quick    # a small photo and model (CI: checks that it runs)

Cases (photos made from scikit-image's bundled `astronaut.png` by MATLAB-bicubic enlargement,
so nothing is downloaded): `drrn_b1u9_f32` on a 4000x3000 photo at x2, and the default model
on a 1500x1000 photo at x2. For each runtime (`keras`, `litert`) it runs `drrn upscale` in a
child process and records its wall time and peak RSS (`ru_maxrss` of the child), then times
the model alone in another child: the median of warm calls (at least 5, for at least 20 s) on a
fixed-shape tile of the side the engine itself uses at that --memory-mb, scaled to the output's
pixel count ("compute"). ``--repeat N`` runs both N times in turns and reports the medians (the
peak RSS: the largest): on a shared machine one run can land 20% off. With the benchmark sets around, `drrn eval --data set5 set14` (default
model, x2/x3/x4) is measured the same way against the model alone on its 57 LR-up images' pixels.
Results go to benchmarks/results/upscale_speed.json; a README table is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CASES = [("drrn_b1u9_f32", (3000, 4000)), ("drrn_b1u9", (1000, 1500))]
QUICK = [("drrn_b1u9_f32", (120, 160))]

# Timing the model alone, in a child process: warm calls of one fixed-shape tile -- by default the
# engine's own tile side at --memory-mb (what `drrn upscale` runs) -- at least 5 and for at least
# SECONDS after two warm-up calls; the median call, scaled to the pixel count, is "compute".
SECONDS = "20"
_COMPUTE = r"""
import json, os, statistics, sys, time
import numpy as np
name, runtime, side, memory_mb, pixels, cache, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), sys.argv[6], float(sys.argv[7])
os.environ["DRRN_CACHE"] = cache
from drrn_tf.nn.loading import load_engine
engine = load_engine(name, runtime)
side = side or engine.window(memory_mb)
tile = np.random.default_rng(0).random((side, side)).astype(np.float32)
engine.run(tile); engine.run(tile)
times, start = [], time.perf_counter()
while len(times) < 5 or (time.perf_counter() - start < seconds and len(times) < 50):
    t = time.perf_counter(); engine.run(tile); times.append(time.perf_counter() - t)
median = statistics.median(times)
print(json.dumps({"tile": side, "calls": len(times), "s_per_tile_median": median, "s_per_tile_min": min(times), "compute_s": median * pixels / side**2}))
"""


def make_photo(path: Path, size: tuple[int, int]) -> None:
    import skimage

    from drrn_tf.io.images import read_image, write_image
    from drrn_tf.protocol.matlab import imresize

    src = read_image(Path(skimage.__file__).parent / "data" / "astronaut.png").pixels
    write_image(path, imresize(src, size=size))


def child(argv: list[str], env: dict) -> tuple[float, float, str]:
    """(wall s, peak RSS MiB, stdout) of one child process.

    The peak RSS is measured by GNU time (`/usr/bin/time -f %M`), a small process between this
    one and the child: a child forked straight from this (large) process would report this
    process's resident size as its own peak (Linux keeps the high-water mark across exec)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "maxrss_kib=%M", *argv], stdout=out, stderr=err, text=True, env=env)
        wall = time.perf_counter() - t
        out.seek(0)
        err.seek(0)
        errors = err.read()
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{errors[-2000:]}")
        rss_kib = int(errors.rsplit("maxrss_kib=", 1)[1].split()[0])
        return wall, rss_kib / 1024, out.read()


def eval_case(runtimes, env, tmp: Path, command: str) -> list[dict]:
    """`drrn eval --data set5 set14` (default model) end to end against the model alone on the same pixels."""
    from drrn_tf.constants import SCALES
    from drrn_tf.io.datasets import resolve_dataset
    from drrn_tf.io.images import list_images, read_image
    from drrn_tf.nn.presets import DEFAULT_PRESET

    try:
        folders = [resolve_dataset(n)[1] for n in ("set5", "set14")]
    except Exception:
        print("note: Set5/Set14 not found; skipping the eval case", file=sys.stderr)
        return []
    shapes = [read_image(p).pixels.shape[:2] for f in folders for p in list_images(f)]
    pixels = sum((h - h % s) * (w - w % s) for h, w in shapes for s in SCALES)
    rows = []
    for runtime in runtimes:
        wall, rss, _ = child(
            [sys.executable, "-m", "drrn_tf", "eval", "--data", "set5", "set14", "--runtime", runtime, "--json", str(tmp / f"eval_{runtime}.json")], env
        )
        # eval's images (at most 768x512) each run as one tile of their own size: time a 512x512 one
        compute = json.loads(child([sys.executable, "-c", _COMPUTE, DEFAULT_PRESET, runtime, "512", "1024", str(pixels), str(tmp / "cache"), SECONDS], env)[2])
        rows.append(
            {
                "model": DEFAULT_PRESET,
                "runtime": runtime,
                "input": "drrn eval --data set5 set14",
                "scale": "2,3,4",
                "memory_mb": 1024.0,
                "wall_s": round(wall, 2),
                "compute_s": round(compute["compute_s"], 2),
                "compute_tile": compute["tile"],
                "ratio": round(wall / compute["compute_s"], 2),
                "peak_rss_mib": round(rss),
                "pixel_buffers_mib": 0,
                "command": command,
            }
        )
        print(
            f"eval {runtime}: {wall:.1f} s end to end, model alone {compute['compute_s']:.1f} s ({rows[-1]['ratio']:.2f}x), peak RSS {rss:,.0f} MiB",
            file=sys.stderr,
            flush=True,
        )
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one small case (for CI)")
    ap.add_argument("--runtimes", nargs="+", default=["keras", "litert"], choices=["keras", "litert"])
    ap.add_argument("--memory-mb", type=float, nargs="+", default=[1024.0], help="--memory-mb values to run (default 1024)")
    ap.add_argument("--models", nargs="+", choices=[c[0] for c in CASES], help="only these photo cases (default: both)")
    ap.add_argument("--no-eval", action="store_true", help="skip the drrn eval case")
    ap.add_argument("--no-compute", action="store_true", help="time only drrn upscale (wall, peak RSS), not the model alone")
    ap.add_argument("--repeat", type=int, default=1, help="photo cases: run each N times (upscale and model alone in turns) and report medians")
    ap.add_argument("--out", default=str(RESULTS / "upscale_speed.json"))
    args = ap.parse_args(argv)
    command = " ".join(["python benchmarks/upscale_speed.py", *(sys.argv[1:] if argv is None else argv)])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "DRRN_CACHE": str(tmp / "cache")}
        for name, (h, w) in QUICK if args.quick else [c for c in CASES if not args.models or c[0] in args.models]:
            photo = tmp / f"photo_{w}x{h}.png"
            make_photo(photo, (h, w))
            out_pixels = 4 * h * w
            for runtime in args.runtimes:
                if runtime == "litert":  # make the cached export first: its one-off cost is not upscaling
                    child([sys.executable, "-c", _COMPUTE, name, runtime, "64", "1024", "1", str(tmp / "cache"), "0"], env)
                for mb in args.memory_mb:
                    upscale = [sys.executable, "-m", "drrn_tf", "upscale", str(photo), "-s", "2", "-o", str(tmp / f"out_{runtime}.png")]
                    upscale += ["--model", name, "--runtime", runtime, "--memory-mb", str(mb), "--quiet", "--overwrite"]
                    side = 128 if args.quick else 0  # 0: the engine's own tile at --memory-mb
                    timing = [sys.executable, "-c", _COMPUTE, name, runtime, str(side), str(mb), str(out_pixels), str(tmp / "cache")]
                    walls, rsss, computes = [], [], []
                    for _ in range(args.repeat):  # end to end, then the model alone, in turns
                        wall, rss, _ = child(upscale, env)
                        walls.append(wall)
                        rsss.append(rss)
                        if not args.no_compute:
                            computes.append(json.loads(child([*timing, "0" if args.quick else SECONDS], env)[2]))
                    wall, rss = statistics.median(walls), max(rsss)
                    compute = (
                        {"compute_s": statistics.median(c["compute_s"] for c in computes), "tile": computes[0]["tile"]}
                        if computes
                        else {"compute_s": float("nan"), "tile": None}
                    )
                    buffers = (h * w * 3 + out_pixels * 3) / 2**20
                    row = {
                        "model": name,
                        "runtime": runtime,
                        "input": f"{w}x{h}",
                        "scale": 2,
                        "memory_mb": mb,
                        "wall_s": round(wall, 2),
                        "compute_s": round(compute["compute_s"], 2),
                        "compute_tile": compute["tile"],
                        "ratio": round(wall / compute["compute_s"], 2),
                        "peak_rss_mib": round(rss),
                        "pixel_buffers_mib": round(buffers),
                        "runs": args.repeat,
                        "wall_s_each": [round(x, 2) for x in walls],
                        "compute_s_each": [round(c["compute_s"], 2) for c in computes],
                        "command": command,
                    }
                    rows.append(row)
                    print(
                        f"{name} {runtime} {w}x{h} x2 --memory-mb {mb:g}: {wall:.1f} s end to end, model alone {compute['compute_s']:.1f} s "
                        f"({row['ratio']:.2f}x), peak RSS {rss:,.0f} MiB (pixel buffers {buffers:,.0f} MiB)",
                        file=sys.stderr,
                        flush=True,
                    )
        if not args.quick and not args.no_eval:
            rows += eval_case(args.runtimes, env, tmp, command)
    from drrn_tf.io.files import write_json_atomic

    write_json_atomic(args.out, {"command": command, "rows": rows}, indent=1)
    print("| model | runtime | input (x2) | --memory-mb | end to end (s) | model alone (s) | ratio | peak RSS (MiB) | pixel buffers (MiB) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['model']} | {r['runtime']} | {r['input']} | {r['memory_mb']:g} | {r['wall_s']} | {r['compute_s']} | {r['ratio']} | {r['peak_rss_mib']:,} | {r['pixel_buffers_mib']:,} |"
        )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
