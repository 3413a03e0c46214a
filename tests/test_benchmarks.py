"""Benchmark scripts run (on tiny inputs); their speed is not a test."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_imresize_benchmark_runs():
    p = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "imresize_speed.py"), "--size", "64", "--repeats", "2", "--no-write"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert "imresize 64x64 float64, 1/4 then x4: median" in p.stdout


def test_pipeline_benchmark_runs(data_dir):
    p = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "pipeline_speed.py"), "--data", "set5", "--batches", "3", "--no-write"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert "random sampling:" in p.stdout and "patches/s" in p.stdout


def test_train_throughput_benchmark_runs():
    p = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "train_throughput.py"),
            "--filters",
            "8",
            "--precision",
            "fp32",
            "bf16",
            "--batch",
            "4",
            "--steps",
            "1",
            "--warmup",
            "1",
            "--no-write",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert "drrn_b1u9" in p.stdout and "bf16" in p.stdout


def test_latency_benchmark_quick_mode(tmp_path, data_dir):
    p = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "latency.py"), "--quick", "--threads", "1", "--quants", "none", "int8", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    import csv
    import json

    with open(tmp_path / "latency.csv") as f:
        rows = list(csv.DictReader(f))
    formats = {(r["model"], r["format"], r["quant"]) for r in rows}
    assert ("drrn_b1u9_f32", "litert", "int8") in formats and ("srcnn", "onnxruntime", "fp32") in formats
    assert all(float(r["median_ms"]) > 0 for r in rows if r["format"] != "opencv")
    doc = json.loads((tmp_path / "latency.json").read_text())
    assert doc["commands"] == [doc["rows"][0]["command"]] and doc["commands"][0].startswith("python benchmarks/latency.py --quick")
    assert all(int(r["runs"]) == 3 for r in rows)
    assert (tmp_path / "latency_vs_params.png").stat().st_size > 1000 and (tmp_path / "psnr_vs_latency.png").stat().st_size > 1000
    # a second run merges into the same files instead of replacing them
    p = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "latency.py"),
            "--quick",
            "--models",
            "srcnn",
            "--threads",
            "2",
            "--quants",
            "none",
            "--formats",
            "litert",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    merged = json.loads((tmp_path / "latency.json").read_text())
    assert len(merged["rows"]) == len(rows) + 1 and len(merged["commands"]) == 2
    table = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "latency.py"), "--table", "64x64", "--out", str(tmp_path)], capture_output=True, text=True, timeout=300
    )
    assert table.returncode == 0 and "| drrn_b1u9_f32 | 19,105 |" in table.stdout and "litert int8 1t" in table.stdout


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/time").exists(), reason="GNU time (/usr/bin/time) is not installed; .ci/run installs it")
def test_upscale_speed_benchmark_quick_mode(tmp_path, data_dir):
    out = tmp_path / "upscale_speed.json"
    p = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "upscale_speed.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    import json

    rows = json.loads(out.read_text())["rows"]
    assert [(r["runtime"], r["input"]) for r in rows] == [("keras", "160x120"), ("litert", "160x120")]
    assert all(r["wall_s"] > 0 and r["compute_s"] > 0 and r["peak_rss_mib"] > 100 for r in rows)
    assert "| drrn_b1u9_f32 | litert | 160x120 |" in p.stdout


def test_results_table_prints_the_committed_evaluations():
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "results_table.py")], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "| paper: VDSR | 37.53 / .9587 |" in p.stdout and "| **drrn_b1u9 (default)** |" in p.stdout
    assert "drrn eval --model drrn_b1u9 --data set5 set14 --per-image --json benchmarks/results/drrn_b1u9_eval.json" in p.stdout


def test_before_after_figure_is_made_by_its_command(tmp_path):
    out = tmp_path / "ba.png"
    p = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "before_after.py"), "--model", "drrn_b1u9_f32", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    from PIL import Image

    im = Image.open(out)
    assert im.size[0] > 3 * im.size[1]  # four panels side by side
    bicubic, model = (float(x) for x in re.findall(r"([\d.]+) dB", p.stdout)[:2])
    assert model > bicubic + 1.0  # the network visibly beats interpolation on the photo
