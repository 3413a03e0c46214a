"""The shipped, trained presets: checksums, provenance, published numbers, the default model."""

import hashlib
import importlib
import json
import re
import sys
from pathlib import Path

import pytest
from conftest import RECIPES
from PIL import Image

from drrn_tf.cli import main
from drrn_tf.io.images import read_image
from drrn_tf.nn.predict import predict_y
from drrn_tf.nn.presets import DEFAULT_PRESET, PRESETS, PRESETS_DIR, build_preset, choice_guide
from drrn_tf.nn.stats import model_stats
from drrn_tf.protocol.evaluation import bicubic_input, hr_luminance, score

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TRAINED = [name for name, p in PRESETS.items() if p.weights]


if str(ROOT) not in sys.path:  # benchmarks/ is a folder of the checkout, not an installed package
    sys.path.insert(0, str(ROOT))
results_table = importlib.import_module("benchmarks.results_table")


def _published(stem: str) -> dict:
    """A results row's cells with their per-image scores, as `drrn eval ... --per-image --json` wrote them."""
    return {(r["dataset"], r["scale"]): r for p in results_table.files(stem) for r in json.loads(p.read_text())["results"]}


def test_the_paper_model_is_the_default():
    import drrn_tf

    assert DEFAULT_PRESET == drrn_tf.DEFAULT_PRESET == "drrn_b1u9" and PRESETS[DEFAULT_PRESET].trained
    model = drrn_tf.load_model()  # the Python API's default, with its trained weights
    assert model.name == "drrn_b1u9"
    for a, b in zip(model.get_weights(), build_preset("drrn_b1u9").get_weights()):
        assert (a == b).all()


def test_presets_are_data_folders_whose_weights_match_their_checksums_and_provenance():
    assert sorted(p.name for p in PRESETS_DIR.iterdir() if p.is_dir()) == sorted(PRESETS)
    headings = " ".join(line for line in (RECIPES / "README.md").read_text().splitlines() if line.startswith("## "))
    documented = set(re.findall(r"drrn_\w+", headings))
    for name in TRAINED:
        meta = json.loads((PRESETS_DIR / name / "metadata.json").read_text())
        path = PRESETS[name].weights_path
        assert path == PRESETS_DIR / name / "model.weights.h5" and path.stat().st_size < 5 * 2**20, name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == meta["weights"]["sha256"], name
        assert name in documented and "recipes/README.md" in meta["provenance"], name
    for name in ("drrn_b1u9", "drrn_b1u25"):  # the GPU runs' own logs and reports, and the recipe for drrn train
        for suffix in (".train.log", ".report.json", ".yaml"):
            assert (RECIPES / f"{name}{suffix}").is_file(), name + suffix
    for suffix in (".yaml", "_stage2.yaml", ".log.csv", "_stage2.log.csv", "_qat.log.csv", "_qat.report.json"):
        assert (RECIPES / f"drrn_b1u9_f32{suffix}").is_file(), suffix


def test_no_figure_of_a_preset_is_written_in_the_librarys_code():
    """Quality and latency figures live in the presets' metadata only (and benchmarks/results/)."""
    figures = {f"{p.set5_x4_psnr:.2f}" for p in PRESETS.values() if p.use} | {f"{p.ms_288:.1f}" for p in PRESETS.values() if p.use}
    hits = [f"{path.relative_to(ROOT)}: {f}" for path in sorted((ROOT / "drrn_tf").rglob("*.py")) for f in figures if f in path.read_text()]
    assert not hits, hits


def test_compact_preset_is_compact():
    ours = model_stats(build_preset("drrn_b1u9_f32"))["macs_per_pixel"]
    b1u9 = model_stats(build_preset("drrn_b1u9", load_weights=False))["macs_per_pixel"]
    assert ours < b1u9 / 5


# One image of each test set (the smallest, or Set5's bird) at a scale, checked for every results row that has the set
# (at another scale where the row has not that one yet: its smallest).
IMAGES = {"Set5": ("bird.png", 3), "Set14": ("comic.png", 4), "BSD100": ("img_002.png", 4), "Urban100": ("img_011.png", 4)}
# The results tables' rows; reading them checks each file (one model and runtime a row, no cell twice, no file of no row).
ROWS = {row.stem: row for row in results_table.rows()}
CHECKED = [
    (stem, d, IMAGES[d][1] if (d, IMAGES[d][1]) in row.cells else min(s for c, s in row.cells if c == d))
    for stem, row in ROWS.items()
    for d in results_table.SETS
    if any(c[0] == d for c in row.cells)
]


def _slow(stem: str, dataset: str) -> bool:
    """The fast subset: Set5, bicubic and the compact nets; B1U25, the other sets with a 128-filter net and any self-ensemble are slow."""
    return "b1u25" in stem or "ensemble" in stem or (dataset != "Set5" and "f32" not in stem and stem != "bicubic")


def test_every_committed_results_row_is_checked():
    """Every row of the results tables (every preset, its int8 export, the self-ensembles, bicubic) on every set it has."""
    assert {(stem, dataset) for stem, dataset, _ in CHECKED} == {(row.stem, c[0]) for row in ROWS.values() for c in row.cells}
    assert set(TRAINED) | {"bicubic", "drrn_b1u9_int8", "drrn_b1u25_int8", "drrn_b1u9_f32_qat_int8", "drrn_b1u9_ensemble"} <= set(ROWS)


@pytest.mark.parametrize("stem, dataset, scale", [pytest.param(*c, marks=pytest.mark.slow) if _slow(*c[:2]) else c for c in CHECKED])
def test_every_results_row_reproduces_its_published_numbers(stem, dataset, scale, data_dir):
    """One image per set through the row's model (bicubic, Keras, the int8 export that ships, or the x8 self-ensemble) gives the PSNR/SSIM its committed table holds."""
    from drrn_tf.inference.ensemble import self_ensemble
    from drrn_tf.nn.loading import load_engine

    name, runtime, ensemble = results_table.STEMS[stem][3:]
    if runtime == "litert":
        pytest.importorskip("ai_edge_litert", reason="the export extra (ai-edge-litert) is not installed")
    image = IMAGES[dataset][0]
    row = next(r for r in _published(stem)[(dataset, scale)]["per_image"] if r["image"] == image)
    engine = load_engine(name, runtime) if runtime != "bicubic" else None
    hr, up = bicubic_input(hr_luminance(read_image(data_dir / dataset / image).pixels), scale)
    p, s = score(up if engine is None else predict_y(self_ensemble(engine) if ensemble else engine, up), hr, scale)
    assert p == pytest.approx(row["psnr"], abs=0.01) and s == pytest.approx(row["ssim"], abs=1e-4)


def test_published_tables_stand_where_the_readme_says():
    """The committed tables (the results tables) against the paper's rows, as the docs read them."""
    b1u9, b1u25, compact = (ROWS[s].cells for s in ("drrn_b1u9", "drrn_b1u25", "drrn_b1u9_f32"))
    vdsr, srcnn = results_table.PAPER["VDSR"], results_table.PAPER["SRCNN"]
    for cell, (psnr, _) in vdsr.items():
        if cell in b1u9:  # the default model is VDSR-class: above it on Set5, Set14 and Urban100, level (0.02 dB) on BSD100
            assert b1u9[cell][0] >= psnr - (0.02 if cell[0] == "BSD100" else 0), cell
    for cell in b1u9.keys() & b1u25.keys():
        assert b1u25[cell][0] >= b1u9[cell][0], cell  # deeper is better
    for cell, (psnr, ssim) in srcnn.items():
        if cell in compact:  # the fast preset: above SRCNN's SSIM on every cell, its PSNR too but on Urban100 (within 0.06 dB there)
            assert compact[cell][0] > psnr - (0.06 if cell[0] == "Urban100" else 0) and compact[cell][1] > ssim, cell
    assert {c[0] for c in b1u9.keys() & b1u25.keys() & compact.keys()} >= {"Set5", "Set14", "BSD100"}
    # the x8 self-ensemble's gain on every cell it has, to two decimals, in the range the models doc states
    for plus, plain, (low, high) in (("drrn_b1u9_ensemble", "drrn_b1u9", (0.07, 0.11)), ("drrn_b1u25_ensemble", "drrn_b1u25", (0.07, 0.13))):
        gains = {cell: round(psnr - ROWS[plain].cells[cell][0], 2) for cell, (psnr, _) in ROWS[plus].cells.items()}
        assert min(gains.values()) == low and max(gains.values()) == high, (plus, gains)


def test_help_figures_are_the_committed_measurements():
    """The figures `drrn upscale --help` shows for each trained preset come from benchmarks/results/."""
    bench = json.loads((RESULTS / "bench_presets.json").read_text())
    rows, cpu = bench["rows"], bench["cpu"]
    measured_on = cpu["name"].replace("(R)", "").replace(" Processor", "") + (" with AMX" if "AMX-INT8" in cpu["features"] else "")
    assert cpu["cores"] == 2 and f"on 2 cores of an {measured_on}," in choice_guide()
    ms = {(r["model"], r["runtime"], r["quant"]): r["median_ms"] for r in rows if r["size"] == "288x288" and r["threads"] == 2}
    guided = [p for p in PRESETS.values() if p.use]
    assert {p.name for p in guided} == set(TRAINED)
    for p in guided:
        if p.name.endswith("_qat"):  # the phone preset: its full-int8 export
            card = json.loads((RESULTS / "export" / f"{p.name}_int8.json").read_text())
            psnr = next(r["export_psnr"] for r in card["parity"]["scales"] if r["scale"] == 4)
            latency = ms[(p.name, "litert", "int8")]
        else:  # a preset of the same network as another (a fine-tune) times as that one
            psnr, latency = _published(p.name)[("Set5", 4)]["psnr"], ms[(p.graph, "keras", "fp32")]
        assert (p.set5_x4_psnr, p.ms_288, p.ms_288_cpu) == (round(psnr, 2), round(latency, 1), measured_on), p.name


@pytest.mark.slow
def test_upscale_without_model_uses_the_default_preset(capsys, tmp_path, data_dir):
    photo = tmp_path / "photo.png"
    Image.open(data_dir / "Set5" / "butterfly.png").crop((0, 0, 96, 80)).save(photo)
    out = tmp_path / "out.png"
    assert main(["upscale", str(photo), "-s", "3", "-o", str(out)]) == 0
    assert read_image(out).pixels.shape == (240, 288, 3)
    explicit = tmp_path / "explicit.png"
    assert main(["upscale", str(photo), "-s", "3", "-o", str(explicit), "--model", "drrn_b1u9"]) == 0
    assert (read_image(out).pixels == read_image(explicit).pixels).all()


@pytest.mark.slow
def test_compact_table_is_reproduced(capsys, data_dir):
    """The fast preset's whole Set5/Set14 table, evaluated again, gives the committed numbers."""
    published = _published("drrn_b1u9_f32")
    assert main(["eval", "--model", "drrn_b1u9_f32", "--data", "set5", "set14", "--scales", "2", "3", "4"]) == 0
    table = capsys.readouterr().out
    small = {key: r for key, r in published.items() if key[0] in ("Set5", "Set14")}
    assert len(small) == 6
    for (name, scale), r in small.items():
        assert f"| {name} | x{scale} | {r['psnr']:.2f} | {r['ssim']:.4f} |" in table


@pytest.mark.slow
def test_int8_export_of_the_qat_preset_meets_parity(tmp_path, capsys, data_dir):
    """Full-int8 export of the compact preset keeps Set5 PSNR within 0.3 dB of Keras (the
    quantisation-aware fine-tuned drrn_b1u9_f32_qat), and the model card shows it."""
    assert PRESETS["drrn_b1u9_f32_qat"].trained
    out = tmp_path / "qat_int8.tflite"
    assert main(["export", "drrn_b1u9_f32_qat", "--quant", "int8", "-o", str(out)]) == 0
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["quantization"] == "int8" and card["parity"]["passed"] is True
    assert card["parity"]["worst_drop_db"] <= 0.3 and [r["scale"] for r in card["parity"]["scales"]] == [2, 3, 4]
    assert card["inputs"][0]["internal"]["dtype"] == "int8"  # really integer inside


def test_each_preset_declares_its_network_once_and_its_training_configs_train_that_network():
    import yaml

    from drrn_tf.nn.models import BUILDERS
    from drrn_tf.nn.stats import architecture

    for p in PRESETS.values():
        assert p.builder in BUILDERS, p.name
        if p.builder == "drrn":
            built = architecture(build_preset(p.name, load_weights=False))
            assert {k: built[k] for k in p.architecture} == p.architecture and {"blocks", "units", "filters"} <= set(p.architecture), p.name
    # every stage of a preset's training trains the network its config.json declares
    for path in sorted(RECIPES.glob("*.yaml")):
        cfg = yaml.safe_load(path.read_text())
        preset = PRESETS.get(cfg["name"]) or PRESETS[cfg["init_weights"]]  # a run tried and not shipped: the network it fine-tuned
        assert {k: cfg[k] for k in ("blocks", "units", "filters", "batch_norm") if k in cfg} == preset.architecture, path.name
