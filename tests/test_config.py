"""Training configs: strict validation with one-line errors."""

import json

import pytest
from conftest import RECIPES

from drrn_tf.errors import InputError
from drrn_tf.training.config import TrainConfig, load_config, parse_override


def test_defaults_are_the_paper_recipe():
    cfg = TrainConfig().resolved()
    assert (cfg.optimizer, cfg.loss, cfg.schedule, cfg.lr) == ("sgd", "euclidean", "step", 0.1)
    assert (cfg.batch_size, cfg.steps_per_epoch, cfg.lr_step_epochs, cfg.lr_decay) == (128, 6536, 10, 0.5)
    assert (cfg.momentum, cfg.weight_decay, cfg.clip_theta, cfg.bias_lr_mult) == (0.9, 1e-4, 0.01, 0.1)
    assert (cfg.patch, cfg.stride, cfg.scales) == (31, 21, [2, 3, 4])
    modern = TrainConfig(recipe="modern", lr=5e-4).resolved()
    assert (modern.optimizer, modern.loss, modern.lr) == ("adam", "l1", 5e-4)


def test_yaml_json_and_overrides(tmp_path):
    (tmp_path / "a.yaml").write_text("filters: 32\nscales: [2, 4]\nlr: 1\n")
    cfg = load_config(tmp_path / "a.yaml", {"epochs": 3})
    assert (cfg.filters, cfg.scales, cfg.lr, cfg.epochs) == (32, [2, 4], 1.0, 3)
    (tmp_path / "b.json").write_text(json.dumps({"units": 4, "val_data": None}))
    cfg = load_config(tmp_path / "b.json")
    assert cfg.units == 4 and cfg.val_data is None
    assert parse_override("scales=[2,3]") == ("scales", [2, 3])
    assert parse_override("val_data=null") == ("val_data", None)
    assert parse_override("name=abc") == ("name", "abc")


@pytest.mark.parametrize(
    "text,words",
    [
        ("filtres: 32\n", "unknown key 'filtres'"),
        ("filters: many\n", "'filters' must be an integer"),
        ("filters: 3.5\n", "'filters' must be an integer"),
        ("batch_norm: 1\n", "'batch_norm' must be true or false"),
        ("lr: fast\n", "'lr' must be a number"),
        ("scales: [2, 5]\n", "'scales' must list scales among 2, 3, 4"),
        ("optimizer: rmsprop\n", "'optimizer' must be one of sgd, adam"),
        ("epochs: 0\n", "'epochs' must be >= 1"),
        ("- just\n- a list\n", "expected a mapping"),
        ("a: [unclosed\n", "not valid YAML/JSON"),
        ("lr: .nan\n", "'lr' must be a finite number > 0, got nan"),
        ("lr: .inf\n", "'lr' must be a finite number > 0"),
        ("weight_decay: -5\n", "'weight_decay' must be a finite number >= 0"),
        ("momentum: 7\n", "'momentum' must be a finite number >= 0 and <= 0.999"),
        ("lr_decay: -2\n", "'lr_decay' must be a finite number > 0 and <= 1"),
        ("clip_theta: -1\n", "'clip_theta' must be a finite number >= 0"),
        ("warmup_steps: -1\n", "'warmup_steps' must be >= 0"),
        ("cosine_alpha: 1.5\n", "'cosine_alpha' must be a finite number >= 0 and <= 1"),
        ("recipe: modern\nclip_norm: 0\n", "'clip_norm' must be a finite number > 0"),
        ("recipe: modern\nclip_norm: .nan\n", "'clip_norm' must be a finite number > 0"),
        ("recipe: modern\nschedule: step\nwarmup_steps: 10\n", "'warmup_steps' needs schedule cosine"),
        ("clip_norm: 1.0\n", "'clip_norm' is for optimizer adam"),
        ("seed: -3\n", "'seed' must be >= 0"),
        ("teacher: drrn_b1u9\nteacher_weight: 0\n", "'teacher_weight' must be a finite number > 0 and <= 1"),
        ("teacher: drrn_b1u9\nteacher_weight: 1.5\n", "'teacher_weight' must be a finite number > 0 and <= 1"),
        ("teacher: drrn_b1u9\nteacher_runtime: onnx\n", "'teacher_runtime' must be one of keras, litert"),
        ("teacher_weight: 0.5\n", "'teacher_runtime' and 'teacher_weight' need a 'teacher'"),
        ("teacher: 7\n", "'teacher' must be a string"),
    ],
)
def test_bad_configs_name_the_file_and_key(tmp_path, text, words):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as e:
        load_config(path)
    assert words in str(e.value) and str(path) in str(e.value) and "\n" not in str(e.value)


def test_shipped_recipes_state_the_gpu_runs():
    """recipes/drrn_b1u9.yaml and drrn_b1u25.yaml: the recipe of the shipped GPU-trained weights."""
    b1u9 = load_config(RECIPES / "drrn_b1u9.yaml").resolved()
    b1u25 = load_config(RECIPES / "drrn_b1u25.yaml").resolved()
    for cfg, lr, steps in ((b1u9, 3e-4, 72_414), (b1u25, 1e-4, 13_835)):
        assert (cfg.blocks, cfg.filters, cfg.optimizer, cfg.loss, cfg.schedule) == (1, 128, "adam", "l1", "cosine")
        assert (cfg.batch_size, cfg.patch, cfg.sampling, cfg.mixed_precision) == (64, 48, "random", "bf16")
        assert (cfg.lr, cfg.warmup_steps, cfg.cosine_alpha, cfg.clip_norm) == (lr, 500, 0.0, 1.0)
        assert cfg.epochs * cfg.steps_per_epoch == steps
    assert (b1u9.units, b1u9.out_init, b1u9.init_weights) == (9, "zeros", None)
    assert (b1u25.units, b1u25.init_weights) == (25, "drrn_b1u9")


def test_numbers_as_people_write_them(tmp_path):
    """YAML 1.1 reads 1e-3 (no dot) as text; the config reads it as the number it is."""
    from drrn_tf.training.config import load_config, parse_override

    assert load_config(overrides=dict([parse_override("lr=1e-3")])).lr == 1e-3
    (tmp_path / "c.yaml").write_text("lr: 1e-3\nweight_decay: 5E-5\n")
    cfg = load_config(tmp_path / "c.yaml")
    assert (cfg.lr, cfg.weight_decay) == (1e-3, 5e-5)
