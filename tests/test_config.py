"""Training configs: strict validation with one-line errors."""

import json

import pytest

from drrn_tf.cli import main
from drrn_tf.config import TrainConfig, load_config, parse_override
from drrn_tf.errors import InputError


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
    ],
)
def test_bad_configs_name_the_file_and_key(tmp_path, text, words):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as e:
        load_config(path)
    assert words in str(e.value) and str(path) in str(e.value) and "\n" not in str(e.value)


def test_train_cli_bad_input(capsys, tmp_path, data_dir):
    (tmp_path / "bad.yaml").write_text("unknown_key: 1\n")
    (tmp_path / "empty").mkdir()
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    (tmp_path / "run" / "config.json").write_text(TrainConfig().to_json())
    (tmp_path / "run" / "checkpoints" / "last.keras").write_bytes(b"PK\x03\x04 broken")
    (tmp_path / "run2").mkdir()
    (tmp_path / "run2" / "config.json").write_text(TrainConfig().to_json())
    cases = [
        (["--config", tmp_path / "bad.yaml", "--out", tmp_path / "o"], "unknown key 'unknown_key'"),
        (["--config", tmp_path / "missing.yaml", "--out", tmp_path / "o"], "no such config file"),
        (["--set", "train_data=" + str(tmp_path / "empty"), "--out", tmp_path / "o"], "no images found"),
        (["--set", "filters=lots", "--out", tmp_path / "o"], "'filters' must be an integer"),
        (["--out", tmp_path / "run", "--resume"], "corrupt or unreadable checkpoint"),
        (["--out", tmp_path / "run2", "--resume"], "no checkpoint to resume from"),
        (["--out", tmp_path / "nothing", "--resume"], "not a run folder"),
        (["--out", tmp_path / "run2"], "already holds a run"),
    ]
    for argv, words in cases:
        code = main(["train", *[str(a) for a in argv]])
        err = capsys.readouterr().err
        assert code == 2, argv
        lines = err.strip().splitlines()
        assert lines[-1].startswith("drrn: error:") and words in lines[-1], (argv, err)
    assert not (tmp_path / "o").exists()
