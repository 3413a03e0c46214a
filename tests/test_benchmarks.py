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


def test_pipeline_benchmark_runs(data_dir):
    p = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "pipeline_speed.py"), "--data", "set5", "--batches", "3", "--no-write"],
        capture_output=True, text=True, timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert "random sampling:" in p.stdout and "patches/s" in p.stdout


def test_train_throughput_benchmark_runs():
    p = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "train_throughput.py"), "--filters", "8", "--precision", "fp32", "bf16", "--batch", "4", "--steps", "1", "--warmup", "1", "--no-write"],
        capture_output=True, text=True, timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert "drrn_b1u9" in p.stdout and "bf16" in p.stdout
