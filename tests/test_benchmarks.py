"""Benchmark scripts run (on tiny inputs); their speed is not a test."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def bench(script: str, *args, timeout: int = 600) -> subprocess.CompletedProcess:
    """``python benchmarks/SCRIPT ARGS``; fails the test with its stderr unless it exits 0."""
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *map(str, args)], capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, p.stderr[-2000:]
    return p


def test_imresize_benchmark_runs():
    p = bench("imresize_speed.py", "--size", "64", "--repeats", "2", "--no-write", timeout=300)
    assert "imresize 64x64 float64, 1/4 then x4: median" in p.stdout


@pytest.mark.slow
def test_pipeline_benchmark_runs(data_dir):
    p = bench("pipeline_speed.py", "--data", "set5", "--batches", "3", "--no-write", timeout=300)
    assert "random sampling:" in p.stdout and "patches/s" in p.stdout


@pytest.mark.slow
def test_train_throughput_benchmark_runs():
    p = bench(
        "train_throughput.py", "--filters", "8", "--precision", "fp32", "bf16", "--batch", "4", "--steps", "1", "--warmup", "1", "--no-write", timeout=300
    )
    assert "drrn_b1u9" in p.stdout and "bf16" in p.stdout


@pytest.mark.slow
def test_latency_benchmark_quick_mode(tmp_path, data_dir):
    bench("latency.py", "--quick", "--threads", "1", "--quants", "none", "int8", "--out", str(tmp_path))
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
    bench("latency.py", "--quick", "--models", "srcnn", "--threads", "2", "--quants", "none", "--formats", "litert", "--out", str(tmp_path))
    merged = json.loads((tmp_path / "latency.json").read_text())
    assert len(merged["rows"]) == len(rows) + 1 and len(merged["commands"]) == 2
    table = bench("latency.py", "--table", "64x64", "--out", str(tmp_path), timeout=300)
    assert "| drrn_b1u9_f32 | 19,105 |" in table.stdout and "litert int8 1t" in table.stdout


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/time").exists(), reason="GNU time (/usr/bin/time) is not installed; .ci/run installs it")
def test_upscale_speed_benchmark_quick_mode(tmp_path, data_dir):
    out = tmp_path / "upscale_speed.json"
    p = bench("upscale_speed.py", "--quick", "--out", str(out))
    import json

    rows = json.loads(out.read_text())["rows"]
    assert [(r["runtime"], r["input"]) for r in rows] == [("keras", "160x120"), ("litert", "160x120")]
    assert all(r["wall_s"] > 0 and r["compute_s"] > 0 and r["peak_rss_mib"] > 100 for r in rows)
    assert "| drrn_b1u9_f32 | litert | 160x120 |" in p.stdout


def test_results_table_prints_the_committed_evaluations():
    p = bench("results_table.py", timeout=120)
    assert "| paper: VDSR | 37.53 / .9587 |" in p.stdout and "| paper: DRCN | 31.85 / .8942 |" in p.stdout  # Set5 x2, BSD100 x2
    assert "| **drrn_b1u9 (default)** |" in p.stdout
    assert "drrn eval --model drrn_b1u9 --data set5 set14 --per-image --json benchmarks/results/drrn_b1u9_eval.json" in p.stdout


def test_each_results_command_is_the_drrn_eval_that_wrote_its_file():
    """The commands printed beside the results tables (as each file recorded itself; older files: rebuilt from what they hold)
    parse as drrn eval and ask for what their row declares and their file holds."""
    import importlib
    import json
    import shlex

    from drrn_tf.cli import build_parser

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    results_table = importlib.import_module("benchmarks.results_table")
    printed = bench("results_table.py", timeout=120).stdout
    checked = 0
    for row in results_table.rows():
        model, runtime, ensemble = results_table.STEMS[row.stem][3:]
        for (line, _, _), path in zip(row.commands, results_table.files(row.stem), strict=True):
            assert line in printed, line
            args = build_parser().parse_args(shlex.split(line)[1:])
            doc = json.loads(path.read_text())
            results = doc["results"]
            assert (ROOT / args.json) == path and args.per_image and args.ensemble == ensemble and args.tile == doc.get("tile"), line
            exported = args.model.endswith(".tflite")
            assert args.model == (f"benchmarks/results/export/{model}_int8.tflite" if exported else model), line
            assert args.runtime == ("litert" if runtime == "litert" and not exported else None), line
            assert set(args.data) == {r["dataset"].lower() for r in results} and set(args.scales or (2, 3, 4)) == {r["scale"] for r in results}, line
            checked += 1
    assert checked >= 30


def test_a_resumed_evaluation_names_each_cpu_it_ran_on():
    """The wall time beside a command says where it was spent: one CPU, or each of an interrupted and resumed run's."""
    import importlib

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    cpus = importlib.import_module("benchmarks.results_table")._cpus
    amd, intel = {"name": "AMD EPYC", "cores": 2}, {"name": "Intel(R) Xeon(R) Processor", "cores": 2}
    assert cpus({"cpu": amd}) == "AMD EPYC, 2 cores" and cpus({}) is None
    assert cpus({"cpu": amd, "runs": [{"cpu": amd}, {"cpu": amd}]}) == "AMD EPYC, 2 cores"
    mixed = [{"cpu": intel, "seconds": 700}, {"cpu": amd, "seconds": 50}, {"cpu": intel, "seconds": 500}]
    assert cpus({"cpu": amd, "runs": mixed}) == "Intel(R) Xeon(R) Processor (20 min) and an AMD EPYC (50 s), 2 cores each"
    assert (
        cpus({"runs": [{"cpu": amd, "seconds": 60}, {"cpu": {**intel, "cores": 4}, "seconds": 60}]})
        == "AMD EPYC (60 s) and an Intel(R) Xeon(R) Processor (60 s), 2 and 4 cores"
    )


@pytest.mark.slow
def test_before_after_figure_is_made_by_its_command(tmp_path):
    out = tmp_path / "ba.png"
    p = bench("before_after.py", "--models", "drrn_b1u9_f32", "-o", str(out), timeout=300)
    from PIL import Image

    im = Image.open(out)
    assert im.size[0] > 3 * im.size[1]  # four panels side by side
    bicubic, model = (float(x) for x in re.findall(r"([\d.]+) dB", p.stdout)[:2])
    assert model > bicubic + 1.0  # the network visibly beats interpolation on the photo


@pytest.mark.slow
def test_qualitative_grid_picks_its_crop_by_rule(tmp_path, data_dir):
    out = tmp_path / "q.png"
    p = bench("qualitative.py", "--models", "drrn_b1u9_f32", "--cases", "Set5/butterfly.png:4", "-o", out, timeout=300)
    from PIL import Image

    assert Image.open(out).size[0] > 2 * Image.open(out).size[1]  # HR | bicubic | model
    bicubic, model = (float(x) for x in re.findall(r"([\d.]+) dB", p.stdout)[:2])
    assert model > bicubic  # the crop is where the model gains: the rule, checked on its output
    assert re.search(r"crop at \(\d+, \d+\)", p.stdout)


@pytest.mark.slow
def test_bu_study_quick_mode(tmp_path, data_dir):
    import json

    out = tmp_path / "bu.json"
    p = bench("bu_study.py", "--quick", "-o", out, timeout=600)
    rows = json.loads(out.read_text())["rows"]
    assert [(r["blocks"], r["units"], r["depth"]) for r in rows] == [(1, 1, 4), (1, 2, 6)]  # d = (1 + 2U)B + 1
    assert all(r["steps"] == 3 and 25 < r["psnr"] < 40 for r in rows)
    assert (tmp_path / "bu.png").stat().st_size > 0 and (tmp_path / "bu" / "B1U2.log.csv").is_file()
    assert "| B1U2 | 6 |" in p.stdout


@pytest.mark.slow
def test_ifc_table_runs(tmp_path, data_dir):
    p = bench("ifc_table.py", "--models", "bicubic", "-o", tmp_path, timeout=300)
    assert "| bicubic | 6.083 (33.66) | 3.579 (30.39) | 2.329 (28.42) |" in p.stdout  # Set5, the protocol's bicubic
    assert (tmp_path / "bicubic.json").is_file()


@pytest.mark.slow
def test_memory_bound_benchmark_runs(tmp_path):
    import json

    p = bench("memory_bound.py", "--quick", "--out", tmp_path / "m.json")
    rows = json.loads((tmp_path / "m.json").read_text())["rows"]
    assert [r["exit_status"] for r in rows] == [0, 0, 0, 0] and all(r["output_written"] and r["peak_rss_mib"] > 0 for r in rows), p.stdout


def test_real_world_table_is_the_committed_cells():
    """python -m benchmarks.real_world --table evaluates nothing; the real preset's row is its cells' numbers."""
    import json

    p = bench("real_world.py", "--table", timeout=120)
    cells = ROOT / "benchmarks" / "results" / "real_world"
    for name in ("Set5", "Set14", "BSD100"):
        assert f"| {name}, Y PSNR (dB) | clean ×2 | jpeg:75 ×2 | clean ×3 | jpeg:75 ×3 |" in p.stdout
    doc = {d: json.loads((cells / f"drrn_b1u9_real.{d}.json").read_text()) for d in ("clean", "jpeg75")}
    assert doc["jpeg75"]["degrade"] == "jpeg:75" and doc["clean"]["degrade"] == "clean"
    psnr = {(d, r["dataset"], r["scale"]): r["psnr"] for d, v in doc.items() for r in v["results"]}
    row = next(ln for ln in p.stdout.split("| BSD100")[1].splitlines() if ln.startswith("| drrn_b1u9_real |"))
    assert [float(c.strip("* ")) for c in row.split("|")[2:-1]] == [round(psnr[(d, "BSD100", s)], 2) for s in (2, 3) for d in ("clean", "jpeg75")]


def test_every_model_beats_bicubic_between_and_beyond_its_scales():
    """The committed any-scale results (python -m benchmarks.any_scale): the default way is above
    bicubic at every scale for every model, above one pass at x1.5 and x8, and within 0.15 dB of
    passes of trained scales at x8, which run the network on five times the pixels (the most they
    gain, measured: 0.11 dB, drrn_b1u9_real on Set5)."""
    import json

    doc = json.loads((ROOT / "benchmarks" / "results" / "any_scale.json").read_text())
    base = doc["cells"].pop("bicubic")
    assert set(doc["cells"]) >= {"drrn_b1u9_f32", "drrn_b1u9", "drrn_b1u25", "drrn_b1u9_real", "drrn_b1u9_f32_real"}
    for model, row in doc["cells"].items():
        assert all(row[c] > base[c] for c in base), (model, {c: round(row[c] - base[c], 2) for c in base})
    for model, ways in doc["ways"].items():
        for way, cells in ways.items():
            slack = 0.0 if way == "one pass" else 0.15
            assert all(doc["cells"][model][c] >= v - slack for c, v in cells.items()), (model, way)
