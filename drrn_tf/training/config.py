"""Training configuration: a YAML/JSON file, flag overrides, strict validation.

Unknown keys and wrong types are rejected with one line naming the file and the key.
Fields left ``null`` take their value from the chosen recipe (``paper`` or ``modern``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import reprlib
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from drrn_tf.constants import SCALES
from drrn_tf.errors import InputError, first_line

__all__ = ["TrainConfig", "RECIPES", "load_config", "config_from_dict", "parse_override"]

# Recipe defaults for fields left null.
RECIPES = {
    "paper": {
        "optimizer": "sgd",
        "loss": "euclidean",
        "schedule": "step",
        "lr": 0.1,
        "steps_per_epoch": 6536,
        "batch_size": 128,
        "epochs": 80,
        "sampling": "grid",
    },
    "modern": {
        "optimizer": "adam",
        "loss": "l1",
        "schedule": "cosine",
        "lr": 1e-3,
        "steps_per_epoch": 1000,
        "batch_size": 64,
        "epochs": 50,
        "sampling": "random",
    },
}

CHOICES = {
    "recipe": tuple(RECIPES),
    "optimizer": ("sgd", "adam"),
    "loss": ("euclidean", "mse", "l1"),
    "schedule": ("step", "cosine", "constant"),
    "sampling": ("grid", "random"),
    "data_source": ("folder", "tfds"),
    "strategy": ("default", "mirrored", "multiworker"),
    "mixed_precision": ("none", "bf16"),
    "out_init": ("he_normal", "zeros"),
    "teacher_runtime": ("keras", "litert"),
}


@dataclass
class TrainConfig:
    """Everything a training run depends on; saved as ``config.json`` in the run folder."""

    # Network (DRRN); name is used for the saved model.
    name: str = "drrn"
    blocks: int = 1
    units: int = 9
    filters: int = 128
    batch_norm: bool = False
    out_init: str = "he_normal"  # "zeros": start as bicubic (faster on short budgets)
    init_weights: str | None = None  # warm start: a trained preset name, or a .keras / .weights.h5 of the same network
    # Distillation: learn (1 - teacher_weight) * HR + teacher_weight * the teacher's output; the teacher
    # (a trained preset or a float32 .keras model, any size) runs once over the whole LR-up training
    # images before the first step (drrn_tf.training.distillation), its outputs kept in RUN/teacher.npy.
    teacher: str | None = None
    teacher_runtime: str = "keras"  # litert: its full-int8 LiteRT export, as --runtime litert makes it (~3x faster on a CPU)
    teacher_weight: float = 1.0
    # Data.
    train_data: str = "train291"  # dataset name, folder, or TFDS config with data_source: tfds
    data_source: str = "folder"
    val_data: str | None = "set5"
    val_scales: list = field(default_factory=lambda: list(SCALES))
    val_every: int = 1
    scales: list = field(default_factory=lambda: list(SCALES))
    patch: int = 31
    stride: int = 21
    max_images: int | None = None  # use only the first N training images (smoke tests)
    # Real-world degradations of the LR image before its upscale (drrn_tf.training.degrade), e.g.
    # {jpeg: {p: 0.7, range: [30, 95]}, noise: {p: 0.2, range: [1, 8]}, kernels: {bicubic: 3, box: 1}};
    # steps: blur, noise, poisson, jpeg (each {p, range}), kernels: weights of imresize methods.
    degradations: dict | None = None
    seed: int = 0
    # Recipe (null = recipe default).
    recipe: str = "paper"
    optimizer: str | None = None
    loss: str | None = None
    schedule: str | None = None
    lr: float | None = None
    steps_per_epoch: int | None = None
    batch_size: int | None = None
    epochs: int | None = None
    sampling: str | None = None
    momentum: float = 0.9
    weight_decay: float = 1e-4
    clip_theta: float = 0.01
    bias_lr_mult: float = 0.1
    lr_step_epochs: int = 10
    lr_decay: float = 0.5
    warmup_steps: int = 0  # cosine only: linear warm-up from 0 to lr over this many steps, then the decay
    cosine_alpha: float = 0.01  # cosine only: the lr decays to cosine_alpha * lr
    clip_norm: float | None = None  # adam only: clip the global norm of all gradients to this
    # Execution.
    strategy: str = "default"
    mixed_precision: str = "none"
    deterministic: bool = True
    tensorboard: bool = True

    def resolved(self) -> TrainConfig:
        """A copy with recipe defaults filled in."""
        values = dataclasses.asdict(self)
        for key, default in RECIPES[self.recipe].items():
            if values[key] is None:
                values[key] = default
        return TrainConfig(**values)

    def check(self, origin: str) -> TrainConfig:
        """Refuse combinations of keys that cannot work together (on the resolved config)."""
        if self.warmup_steps and self.schedule != "cosine":
            raise InputError(f"{origin}: 'warmup_steps' needs schedule cosine, got {self.schedule!r}")
        if self.teacher is not None and not self.teacher.strip():
            raise InputError(f"{origin}: 'teacher' must name a trained preset or a .keras file, got {self.teacher!r}")
        if self.teacher is None and (self.teacher_runtime != "keras" or self.teacher_weight != 1.0):
            raise InputError(f"{origin}: 'teacher_runtime' and 'teacher_weight' need a 'teacher'")
        if self.degradations and (self.sampling != "random" or self.teacher is not None):
            raise InputError(f"{origin}: 'degradations' need sampling random and no teacher")
        if self.clip_norm is not None and self.optimizer != "adam":
            raise InputError(f"{origin}: 'clip_norm' is for optimizer adam; sgd clips by 'clip_theta'")
        from drrn_tf.inference.cpu import total_memory_mb

        convs = 2 * self.blocks * self.units + 2
        # (bfloat16 halves it)
        need = self.batch_size * self.patch**2 * self.filters * convs * _STEP_BYTES_PER_VALUE / 2**20 / (2 if self.mixed_precision == "bf16" else 1)
        total = total_memory_mb()
        if total and need > total:
            raise InputError(
                f"{origin}: batch_size {self.batch_size} of {self.patch}x{self.patch} patches through {convs} convolutions of "
                f"{self.filters} filters needs about {need / 1024:,.0f} GiB per step, more than this computer's {total / 1024:,.0f} GiB"
            )
        return self

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2) + "\n"


# Smallest value of each integer key.
_INT_MIN = {
    **dict.fromkeys(
        ("blocks", "units", "filters", "patch", "stride", "val_every", "steps_per_epoch", "batch_size", "epochs", "max_images", "lr_step_epochs"), 1
    ),
    "warmup_steps": 0,
    "seed": 0,
}
# Largest value of each integer key: what a run can do (a seed fits numpy's 32 bits; a step count,
# TensorFlow's int64 counters many times over).
_INT_MAX = {
    "blocks": 64,
    "units": 256,
    "filters": 1024,
    "patch": 1024,
    "stride": 1024,
    "val_every": 10**6,
    "steps_per_epoch": 10**9,
    "batch_size": 65_536,
    "epochs": 10**6,
    "max_images": 10**9,
    "lr_step_epochs": 10**6,
    "warmup_steps": 10**12,
    "seed": 2**32 - 1,
}
# Bytes a training step keeps per activation value: float32, forward and backward, with headroom.
_STEP_BYTES_PER_VALUE = 12
# Text fields: what a saved model's file name and a path can hold.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_TEXT = 4096
# A config file: at most this large and this deeply nested (checked before the parser sees it).
MAX_CONFIG_BYTES = 1 * 2**20
MAX_NESTING = 32
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
# (low, high, low_open) of each float key; NaN and inf are always refused.
_FLOAT_RANGES = {
    "lr": (0.0, math.inf, True),
    "momentum": (0.0, 0.999, False),
    "weight_decay": (0.0, 1.0, False),
    "clip_theta": (0.0, math.inf, False),
    "bias_lr_mult": (0.0, 10.0, False),
    "lr_decay": (0.0, 1.0, True),
    "cosine_alpha": (0.0, 1.0, False),
    "clip_norm": (0.0, math.inf, True),
    "teacher_weight": (0.0, 1.0, True),
}

_FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}
_HINTS = typing.get_type_hints(TrainConfig)


_SHOW = reprlib.Repr()
_SHOW.maxlevel, _SHOW.maxlist, _SHOW.maxdict, _SHOW.maxstring, _SHOW.maxother = 2, 6, 6, 60, 60


def _show(value) -> str:
    """A value for a one-line message: short whatever it is (a YAML alias bomb, an integer of 5,000 digits)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of {value.bit_length():,} bits"
    return _SHOW.repr(value)


def _type_name(hint) -> str:
    base = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string", list: "a list", dict: "a mapping"}
    return names.get(base[0], str(base[0]))


def _check_value(key: str, value, origin: str):
    hint = _HINTS[key]
    optional = type(None) in typing.get_args(hint)
    base = [a for a in typing.get_args(hint) if a is not type(None)][0] if optional else hint
    if value is None:
        if optional:
            return None
        raise InputError(f"{origin}: '{key}' must be {_type_name(hint)}, got null")
    if base is float and isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        value = float(value)  # YAML 1.1 reads 1e-3 (no dot) as text; JSON and people write it so
    ok = {
        bool: isinstance(value, bool),
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, (int, float)) and not isinstance(value, bool),
        str: isinstance(value, str),
        dict: isinstance(value, dict),
        list: isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value),
    }[base]
    if not ok:
        what = "a list of integers" if base is list else _type_name(hint)
        raise InputError(f"{origin}: '{key}' must be {what}, got {_show(value)}")
    if base is float:
        try:
            value = float(value)
        except OverflowError:
            raise InputError(f"{origin}: '{key}' must be a finite number, got {_show(value)}") from None
    if key == "degradations":
        return _check_degradations(value, f"{origin}: 'degradations'")
    if key in CHOICES and value not in CHOICES[key]:
        raise InputError(f"{origin}: '{key}' must be one of {', '.join(CHOICES[key])}, got {_show(value)}")
    if key in ("scales", "val_scales") and (not value or any(s not in SCALES for s in value)):
        raise InputError(f"{origin}: '{key}' must list scales among 2, 3, 4, got {_show(value)}")
    if key in _INT_MIN and value < _INT_MIN[key]:
        raise InputError(f"{origin}: '{key}' must be >= {_INT_MIN[key]}, got {_show(value)}")
    if key in _INT_MAX and value > _INT_MAX[key]:
        raise InputError(f"{origin}: '{key}' must be <= {_INT_MAX[key]:,}, got {_show(value)}")
    if key == "name" and not _NAME.fullmatch(value):
        raise InputError(f"{origin}: 'name' must be 1 to 64 letters, digits, '_', '.' or '-' (it names files), got {value[:80]!r}")
    if base is str and len(value) > MAX_TEXT:
        raise InputError(f"{origin}: '{key}' is {len(value):,} characters long; at most {MAX_TEXT:,}")
    if key in _FLOAT_RANGES:
        low, high, low_open = _FLOAT_RANGES[key]
        inside = math.isfinite(value) and (value > low if low_open else value >= low) and value <= high
        if not inside:
            bound = f"{'>' if low_open else '>='} {low:g}" + ("" if math.isinf(high) else f" and <= {high:g}")
            raise InputError(f"{origin}: '{key}' must be a finite number {bound}, got {_show(value)}")
    return value


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_degradations(spec: dict, origin: str) -> dict:
    """A ``degradations`` mapping: steps {p, range} within their bounds, kernel weights >= 0."""
    from drrn_tf.protocol.degrade import DEGRADATIONS
    from drrn_tf.protocol.matlab import KERNELS

    out = {}
    for name, step in spec.items():
        where = f"{origin} {_show(name)}"
        if name == "kernels":
            if not isinstance(step, dict) or not step or any(k not in KERNELS or not _number(w) or w < 0 for k, w in step.items()):
                raise InputError(f"{where}: must map methods among {', '.join(KERNELS)} to weights >= 0, got {_show(step)}")
            if not sum(step.values()) > 0:
                raise InputError(f"{where}: the weights must not all be 0")
            out[name] = {k: float(w) for k, w in step.items()}
            continue
        if name not in DEGRADATIONS:
            raise InputError(f"{where}: unknown step (known: kernels, {', '.join(DEGRADATIONS)})")
        low, high = DEGRADATIONS[name][:2]
        if not isinstance(step, dict) or set(step) != {"p", "range"}:
            raise InputError(f"{where}: must be a mapping of 'p' (a probability) and 'range' ([low, high]), got {_show(step)}")
        p, bounds = step["p"], step["range"]
        if not _number(p) or not 0 <= p <= 1:
            raise InputError(f"{where}: 'p' must be a number from 0 to 1, got {_show(p)}")
        if not (isinstance(bounds, list) and len(bounds) == 2 and all(_number(b) for b in bounds) and low <= bounds[0] <= bounds[1] <= high):
            raise InputError(f"{where}: 'range' must be [low, high] with {low:g} <= low <= high <= {high:g}, got {_show(bounds)}")
        out[name] = {"p": float(p), "range": [float(b) for b in bounds]}
    return out


def _apply(values: dict, origin: str, config: TrainConfig) -> TrainConfig:
    current = dataclasses.asdict(config)
    for key, value in values.items():
        if key not in _FIELDS:
            raise InputError(f"{origin}: unknown key '{key}' (known: {', '.join(_FIELDS)})")
        current[key] = _check_value(key, value, origin)
    return TrainConfig(**current)


def config_from_dict(values: dict, origin: str) -> TrainConfig:
    """A config from a mapping of keys (a saved ``config.json``), every value validated."""
    return _apply(values, origin, TrainConfig())


def parse_override(text: str) -> tuple[str, object]:
    """'key=value' with a YAML value (so numbers, booleans, lists and null work)."""
    if "=" not in text:
        raise InputError(f"--set {text}: expected KEY=VALUE")
    key, raw = text.split("=", 1)
    _check_text(raw, f"--set {key.strip()[:60]}")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    except (ValueError, RecursionError) as e:  # an integer of more digits than Python converts
        raise InputError(f"--set {key.strip()[:60]}: {first_line(e)}") from None
    return key.strip(), value


def _check_text(text: str, origin: str) -> None:
    """Refuse config text nested deeper than ``MAX_NESTING`` before a parser recurses into it."""
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
    if deepest > MAX_NESTING:
        raise InputError(f"{origin}: nested {deepest:,} brackets deep; a config is at most {MAX_NESTING} deep")


def load_config(path: str | Path | None = None, overrides: dict | None = None) -> TrainConfig:
    """Defaults, then the file (YAML or JSON), then overrides; every value validated."""
    config = TrainConfig()
    if path is not None:
        path = Path(path)
        if not path.exists():
            raise InputError(f"{path}: no such config file")
        from drrn_tf.io.files import read_capped

        try:
            text = read_capped(path, MAX_CONFIG_BYTES, "config").decode()
        except UnicodeDecodeError as e:
            raise InputError(f"{path}: not valid YAML/JSON (not UTF-8 text)") from e
        _check_text(text, str(path))
        try:
            doc = yaml.safe_load(text)
        except (yaml.YAMLError, UnicodeDecodeError, RecursionError, ValueError) as e:
            raise InputError(f"{path}: not valid YAML/JSON ({first_line(e, limit=None)})") from e
        if doc is None:
            doc = {}
        if not isinstance(doc, dict):
            raise InputError(f"{path}: expected a mapping of keys to values at the top level")
        config = _apply(doc, str(path), config)
    if overrides:
        config = _apply(overrides, "command line", config)
    config.resolved().check(str(path) if path is not None and not overrides else "config")
    return config
