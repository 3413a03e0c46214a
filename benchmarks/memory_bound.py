"""`drrn upscale` on the largest pictures a hostile or careless user sends: peak memory against the budget.

    python benchmarks/memory_bound.py              # the four cases below, --model bicubic, x2
    python benchmarks/memory_bound.py --quick      # small versions of them (for a test)

Each case is a tiny file that decodes to a huge picture (tests/hostile.py makes them): a 14000x14000
RGB PNG (~570 KB), a 13000x13000 GIF (115 KB), a 16383x12000 WebP (32 bytes) and a 1x199,999,999
gray PNG (194 KB). Each runs as `drrn upscale FILE -s 2 -o OUT.tif --model bicubic` in a child
process under GNU time, at the default --memory-mb: printed and written to
benchmarks/results/memory_bound.json are the exit status, the one line a refusal prints, wall time
and peak RSS. Bicubic keeps the network's own memory out of it: what is measured is decoding,
the pixel buffers, the tiles and the encoder, which the budget bounds for any model.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "tests"))


def cases(quick: bool) -> list[tuple[str, str, object]]:
    import hostile

    if quick:
        return [
            ("png-rgb-1400x1400", "png", lambda: hostile.png_large(1400, 1400, rgb=True)),
            ("gif-1300x1300", "gif", lambda: hostile.gif_large(1300, 1300)),
            ("webp-1638x1200", "webp", lambda: hostile.webp_header_only(1638, 1200)),
            ("png-gray-1x2000000", "png", lambda: hostile.png_one_row(2_000_000, bit_depth=8)),
        ]
    return [
        ("png-rgb-14000x14000", "png", lambda: hostile.png_large(14000, 14000, rgb=True)),
        ("gif-13000x13000", "gif", lambda: hostile.gif_large(13000, 13000)),
        ("webp-16383x12000", "webp", lambda: hostile.webp_header_only(16383, 12000)),
        ("png-gray-1x199999999", "png", lambda: hostile.png_one_row(199_999_999, bit_depth=8)),
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small versions of the cases")
    ap.add_argument("--out", default=str(RESULTS / "memory_bound.json"))
    args = ap.parse_args(argv)
    gnu_time = shutil.which("time") or "/usr/bin/time"
    command = " ".join(["python benchmarks/memory_bound.py", *(sys.argv[1:] if argv is None else argv)])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, ext, make in cases(args.quick):
            src = tmp / f"{name}.{ext}"
            src.write_bytes(make())
            out = tmp / f"{name}_x2.tif"
            argv_ = [gnu_time, "-f", "%M", sys.executable, "-m", "drrn_tf", "upscale", str(src), "-s", "2", "-o", str(out), "--model", "bicubic", "--quiet"]
            t = time.perf_counter()
            done = subprocess.run(argv_, capture_output=True, text=True)
            wall = time.perf_counter() - t
            lines = done.stderr.strip().splitlines()
            rss_mib = int(lines[-1]) / 1024
            said = [line for line in lines[:-1] if line.startswith("drrn: ")]
            row = {
                "case": name,
                "file_bytes": src.stat().st_size,
                "exit_status": done.returncode,
                "message": said[0] if said else None,
                "output_written": out.is_file(),
                "wall_s": round(wall, 1),
                "peak_rss_mib": round(rss_mib),
            }
            out.unlink(missing_ok=True)
            rows.append(row)
            print(
                f"{name}: {row['file_bytes']:,} B, exit {row['exit_status']}, {wall:.1f} s, peak RSS {rss_mib:,.0f} MiB"
                + (f" -- {row['message']}" if said else ""),
                flush=True,
            )
    from drrn_tf.inference.cpu import cpu_info
    from drrn_tf.inference.engines import DEFAULT_MEMORY_MB
    from drrn_tf.io.files import write_json_atomic

    doc = {"command": command, "cpu": cpu_info().name, "memory_mb": DEFAULT_MEMORY_MB, "rows": rows}
    write_json_atomic(args.out, doc)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
