"""Benchmark scripts run (on tiny inputs); their speed is not a test."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_imresize_benchmark_runs():
    p = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "imresize_speed.py"), "--size", "64", "--repeats", "2", "--no-write"],
        capture_output=True, text=True, timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert "imresize 64x64 float64, 1/4 then x4: median" in p.stdout
