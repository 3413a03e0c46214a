"""drrn train: real learning, exact resume, MirroredStrategy parity."""

import csv
import json
import os
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
from conftest import RECIPES, tiny_training

from drrn_tf.io.datasets import resolve_dataset
from drrn_tf.nn.predict import predict_y
from drrn_tf.protocol.evaluation import evaluate
from drrn_tf.training.config import load_config
from drrn_tf.training.trainer import train


def _tiny(data_dir, **overrides):
    return load_config(None, tiny_training(data_dir, **overrides))


def _log(run):
    with open(run / "log.csv") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_tiny_training_beats_bicubic_on_set5_x2(tmp_path, data_dir, capsys):
    cfg = _tiny(
        data_dir,
        recipe="modern",
        out_init="zeros",
        units=3,
        filters=16,
        batch_size=32,
        steps_per_epoch=100,
        epochs=3,
        max_images=10,
        lr=0.002,
        val_data="set5",
        val_scales=[2],
        val_every=3,
        tensorboard=True,
    )
    t = time.time()
    result = train(cfg, tmp_path / "run", verbose=2)
    assert time.time() - t < 180
    printed = capsys.readouterr().out  # one line per epoch: validation only where it ran, no "val_psnr: nan"
    assert "val_psnr" in printed and "nan" not in printed
    model = keras.saving.load_model(result["model"])
    sets = [resolve_dataset("set5")]
    (bicubic,) = evaluate(None, sets, [2])
    (trained,) = evaluate(lambda y: predict_y(model, y), sets, [2])
    print(f"Set5 x2: bicubic {bicubic.psnr:.2f} dB, trained {trained.psnr:.2f} dB")
    assert trained.psnr - bicubic.psnr >= 0.5
    # The run folder holds what the docs promise.
    run = tmp_path / "run"
    for name in ("config.json", "state.json", "log.csv", "model.keras", "checkpoints/last.keras", "checkpoints/best.keras"):
        assert (run / name).is_file(), name
    assert any((run / "tensorboard").rglob("events.out.tfevents*"))
    rows = _log(run)
    assert len(rows) == 3 and rows[0]["val_psnr"] == "nan" and float(rows[2]["val_psnr"]) == pytest.approx(trained.psnr, abs=0.02)
    assert json.loads((run / "state.json").read_text())["best_epoch"] == 3


@pytest.mark.slow
def test_resume_continues_exactly(tmp_path, data_dir):
    # Paper recipe (CaffeSGD, Euclidean loss) with the lr halved after every epoch.
    cfg = _tiny(data_dir, lr_step_epochs=1, epochs=3, lr=0.05)
    train(cfg, tmp_path / "straight", verbose=0)
    train(load_config(None, {**cfg.__dict__, "epochs": 1}), tmp_path / "split", verbose=0)
    first = keras.saving.load_model(tmp_path / "split" / "checkpoints" / "last.keras")
    assert int(first.optimizer.iterations) == 10
    train(load_config(None, {"epochs": 3}), tmp_path / "split", resume=True, verbose=0)
    a = keras.saving.load_model(tmp_path / "straight" / "model.keras").get_weights()
    b = keras.saving.load_model(tmp_path / "split" / "model.keras").get_weights()
    for wa, wb in zip(a, b):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)
    lr_straight = [float(r["lr"]) for r in _log(tmp_path / "straight")]
    lr_split = [float(r["lr"]) for r in _log(tmp_path / "split")]
    assert lr_split == pytest.approx(lr_straight) and lr_straight == pytest.approx([0.025, 0.0125, 0.00625])
    loss_straight = [float(r["loss"]) for r in _log(tmp_path / "straight")]
    loss_split = [float(r["loss"]) for r in _log(tmp_path / "split")]
    assert loss_split == pytest.approx(loss_straight, rel=1e-4)


@pytest.mark.slow
def test_mirrored_strategy_matches_single_device(tmp_path, data_dir):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({**_tiny(data_dir, steps_per_epoch=1, epochs=6, batch_size=16).__dict__}))
    runs = {}
    for strategy in ("default", "mirrored"):
        env = {**os.environ, "DRRN_CPU_DEVICES": "2"}
        out = tmp_path / strategy
        p = subprocess.run(
            [sys.executable, "-m", "drrn_tf", "train", "--config", str(cfg), "--out", str(out), "--strategy", strategy],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert p.returncode == 0, p.stderr[-3000:]
        replicas = 2 if strategy == "mirrored" else 1
        assert f"{replicas} replica(s)" in p.stderr
        runs[strategy] = out
    loss_1 = [float(r["loss"]) for r in _log(runs["default"])]
    loss_2 = [float(r["loss"]) for r in _log(runs["mirrored"])]
    assert loss_2 == pytest.approx(loss_1, rel=1e-3)
    w1 = keras.saving.load_model(runs["default"] / "model.keras").get_weights()
    w2 = keras.saving.load_model(runs["mirrored"] / "model.keras").get_weights()
    for a, b in zip(w1, w2):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("case", ["finished", "stopped", "nan weights", "steps left"])
def test_a_fit_that_did_not_finish_cleanly_is_not_saved(case, tmp_path, data_dir):
    """What ends a run: every step taken, no stop asked for, finite weights (whatever state.json says); else nothing is saved."""
    from drrn_tf.errors import TrainingDiverged
    from drrn_tf.nn.models import DRRN
    from drrn_tf.training.config import config_from_dict
    from drrn_tf.training.trainer import _finish

    cfg = config_from_dict(tiny_training(data_dir), "test")
    (tmp_path / "state.json").write_text(
        json.dumps({"epoch": cfg.epochs, "step": cfg.epochs * cfg.steps_per_epoch, "best_epoch": None, "best_val_psnr": None, "loss": 0.1})
    )
    model = DRRN(units=2, filters=8)
    model.build((None, None, None, 1))
    model.compile(optimizer=keras.optimizers.Adam(), loss="mse")
    model.optimizer.build(model.trainable_variables)
    model.optimizer.iterations.assign(cfg.epochs * cfg.steps_per_epoch - (case == "steps left"))
    model.stop_training = case == "stopped"
    if case == "nan weights":
        model.trainable_variables[0].assign(np.full(model.trainable_variables[0].shape, np.nan, np.float32))
    if case == "finished":
        assert _finish(model, cfg, tmp_path, tmp_path)["epoch"] == cfg.epochs and (tmp_path / "model.keras").is_file()
        return
    message = "the weights became NaN or inf in the last step" if case == "nan weights" else "training stopped early at step"
    with pytest.raises(TrainingDiverged, match=message):
        _finish(model, cfg, tmp_path, tmp_path)
    assert not (tmp_path / "model.keras").exists()


def test_nan_loss_stops_training_without_saving_it(tmp_path, data_dir):
    from drrn_tf.errors import TrainingDiverged

    cfg = _tiny(data_dir, clip_theta=0.0, lr=1e8, epochs=3)
    with pytest.raises(TrainingDiverged, match="NaN"):
        train(cfg, tmp_path / "run", verbose=0)
    # No checkpoint holds non-finite weights.
    last = tmp_path / "run" / "checkpoints" / "last.keras"
    if last.exists():
        assert all(np.isfinite(w).all() for w in keras.saving.load_model(last).get_weights())
    assert not (tmp_path / "run" / "model.keras").exists()


@pytest.mark.slow
def test_warm_start_from_a_previous_run(tmp_path, data_dir):
    from drrn_tf.errors import InputError

    first = train(_tiny(data_dir, epochs=1), tmp_path / "a", verbose=0)
    cfg = _tiny(data_dir, epochs=1, lr=1e-12, init_weights=first["model"])  # lr ~0: weights stay put
    second = train(cfg, tmp_path / "b", verbose=0)
    a = keras.saving.load_model(first["model"]).get_weights()
    b = keras.saving.load_model(second["model"]).get_weights()
    for wa, wb in zip(a, b):
        np.testing.assert_allclose(wa, wb, atol=1e-6)
    with pytest.raises(InputError, match="cannot initialise"):
        train(_tiny(data_dir, filters=4, init_weights=first["model"]), tmp_path / "c", verbose=0)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["drrn_b1u9", "drrn_b1u25"])
def test_shipped_recipe_configs_train(name, tmp_path, data_dir):
    """The configs that state the GPU recipe train as they are (128 filters, 48x48 patches, bf16,
    warm-up, clipping, warm start from a preset), here for 3 steps of 2 patches on 3 images."""
    from drrn_tf.nn.presets import build_preset

    small = {
        "train_data": str(data_dir / "train291"),
        "max_images": 3,
        "batch_size": 2,
        "steps_per_epoch": 3,
        "epochs": 1,
        "val_data": None,
        "tensorboard": False,
    }
    cfg = load_config(RECIPES / f"{name}.yaml", small)
    result = train(cfg, tmp_path / "run", verbose=0)
    (row,) = _log(tmp_path / "run")
    assert np.isfinite(float(row["loss"]))
    assert float(row["lr"]) == pytest.approx(cfg.lr * 3 / cfg.warmup_steps, rel=1e-4)  # 3 steps into the linear warm-up
    last = keras.saving.load_model(tmp_path / "run" / "checkpoints" / "last.keras")
    assert last.optimizer.global_clipnorm == 1.0 and last.get_layer("block_1").dtype_policy.name == "mixed_bfloat16"
    trained = keras.saving.load_model(result["model"])
    assert trained.count_params() == 297_601 and trained.get_layer("block_1").dtype_policy.name == "float32"
    if cfg.init_weights:  # warm start: the preset's weights, moved a little by 3 small steps
        start = build_preset(cfg.init_weights).get_weights()
        moved = [np.abs(a - b).max() for a, b in zip(start, trained.get_weights())]
        assert 0 < max(moved) < 1e-3


@pytest.mark.slow
def test_the_compact_presets_distillation_stage_trains(tmp_path, data_dir):
    """drrn_b1u9_f32_stage5.yaml as committed (teacher drrn_b1u9, 96x96 patches, bf16), on one image for
    3 steps; from the shipped preset instead of stage 4's run, with the teacher in Keras (the litert
    teacher needs the export stage and a few minutes of calibration)."""
    small = {"train_data": str(data_dir / "train291"), "max_images": 1, "batch_size": 2, "steps_per_epoch": 3, "epochs": 1}
    small |= {"val_data": None, "tensorboard": False, "init_weights": "drrn_b1u9_f32", "teacher_runtime": "keras"}
    cfg = load_config(RECIPES / "drrn_b1u9_f32_stage5.yaml", small)
    assert (cfg.teacher, cfg.patch, cfg.mixed_precision) == ("drrn_b1u9", 96, "bf16")
    train(cfg, tmp_path / "run", verbose=0)
    (row,) = _log(tmp_path / "run")
    assert np.isfinite(float(row["loss"])) and (tmp_path / "run" / "teacher.npy").is_file()


@pytest.mark.slow
def test_distillation_learns_the_float32_teachers_outputs_and_resumes_from_them(tmp_path, data_dir, monkeypatch):
    """A bf16 student with a teacher: the targets are the teacher's float32 outputs on the LR-up
    images (clipped), computed once; a resumed run trains on the kept ones unless their manifest
    no longer matches; a teacher saved in bfloat16 is refused before anything is written."""
    import json

    from drrn_tf.nn.predict import predict_y
    from drrn_tf.nn.presets import build_preset
    from drrn_tf.protocol.evaluation import bicubic_input
    from drrn_tf.training.data import PatchSource, load_luminance_folder

    run = tmp_path / "run"
    train(_tiny(data_dir, max_images=2, epochs=1, teacher="drrn_b1u9_f32", mixed_precision="bf16"), run, verbose=0)
    outputs = np.load(run / "teacher.npy")
    ys, _ = load_luminance_folder(data_dir / "train291")
    _, up = bicubic_input(ys[0], 2)
    expected = np.clip(predict_y(build_preset("drrn_b1u9_f32"), up), 0, 1).ravel()
    np.testing.assert_allclose(outputs[: expected.size], expected, atol=1e-5)  # float32, not bfloat16
    assert np.abs(expected - up.ravel()).max() > 0.01  # the teacher did something

    learned, original_distil, original_teach = [], PatchSource.distil, PatchSource.teach

    def distil(self, teacher_outputs, weight=1.0):
        learned.append(np.array(teacher_outputs))
        return original_distil(self, teacher_outputs, weight)

    def refuse(self, *args, **kwargs):
        raise AssertionError("the teacher ran again")

    monkeypatch.setattr(PatchSource, "distil", distil)
    monkeypatch.setattr(PatchSource, "teach", refuse)
    train(load_config(None, {"epochs": 2}), run, resume=True, verbose=0)
    assert len(learned) == 1 and np.array_equal(learned[0], outputs) and len(_log(run)) == 2

    manifest = json.loads((run / "teacher.json").read_text())
    manifest["pairs"][0][0] = "another.png"  # as if the training images had changed
    (run / "teacher.json").write_text(json.dumps(manifest))
    monkeypatch.setattr(PatchSource, "teach", original_teach)
    train(load_config(None, {"epochs": 3}), run, resume=True, verbose=0)
    assert json.loads((run / "teacher.json").read_text())["pairs"][0][0] != "another.png"  # computed and kept again
    np.testing.assert_array_equal(learned[-1], outputs)

    # a checkpoint of the bf16 run, as a teacher: loaded in float32, like every model drrn loads to run it
    from drrn_tf.nn.loading import load_model

    teacher = load_model(str(run / "checkpoints" / "last.keras"))
    assert {layer.dtype_policy.name for layer in teacher.layers} == {"float32"} and teacher.get_layer("block_1").conv_a.compute_dtype == "float32"


@pytest.mark.slow
def test_run_stopped_before_its_first_checkpoint_resumes_from_step_0(tmp_path, data_dir):
    """A run killed (or failed) during its first epoch has a config.json and no checkpoint: --resume
    starts it again from step 0 with the saved config, and a fresh start may take the folder over
    (a failed attempt does not block the next one)."""
    import json

    cfg = _tiny(data_dir, epochs=1)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text(cfg.resolved().to_json())
    (tmp_path / "failed").mkdir()
    (tmp_path / "failed" / "config.json").write_text(_tiny(data_dir, filters=4).resolved().to_json())
    train(cfg, tmp_path / "failed", verbose=0)
    assert json.loads((tmp_path / "failed" / "config.json").read_text())["filters"] == cfg.filters
    result = train(load_config(None, {}), tmp_path / "run", resume=True, verbose=0)
    assert result["epoch"] == 1 and result["step"] == 10
    straight = train(cfg, tmp_path / "straight", verbose=0)
    a = keras.saving.load_model(result["model"]).get_weights()
    b = keras.saving.load_model(straight["model"]).get_weights()
    for wa, wb in zip(a, b):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


def test_training_restores_the_global_dtype_policy(tmp_path, data_dir):
    before = keras.config.dtype_policy().name
    train(_tiny(data_dir, epochs=1, steps_per_epoch=2, mixed_precision="bf16"), tmp_path / "run", verbose=0)
    assert keras.config.dtype_policy().name == before
