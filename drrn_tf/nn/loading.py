"""The one resolver of a ``--model`` argument, for every command and the Python API.

A model spec is ``bicubic``, a preset name, or a file: a ``.keras`` model, or an export that
``drrn export`` writes (``.tflite`` of any quantisation, fixed or open shape, luminance or end-to-end
RGB; ``.onnx``). ``resolve_model`` says which, checking only names and the first bytes (no
TensorFlow); ``load_model`` and ``load_engine`` load it.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from drrn_tf.errors import InputError, MissingDependency, first_line
from drrn_tf.nn.presets import DEFAULT_PRESET, PRESETS, build_preset

if TYPE_CHECKING:
    import keras

    from drrn_tf.inference.engines import RgbEngine, TileEngine

__all__ = ["BICUBIC", "ModelRef", "resolve_model", "load_model", "load_keras_model", "load_engine", "describe_model_spec", "open_exported"]

BICUBIC = "bicubic"


def describe_model_spec() -> str:
    """What ``--model`` takes, for the commands' help: the trained presets, then those that are architectures only."""
    trained = [n for n, p in PRESETS.items() if p.trained]
    bare = [n for n, p in PRESETS.items() if not p.trained]
    return f"'{BICUBIC}', a preset ({', '.join(trained)}; untrained architectures: {', '.join(bare)}), or a .keras, .tflite or .onnx file"


@dataclass(frozen=True)
class ModelRef:
    """What a model spec names: ``kind`` is ``bicubic``, ``preset``, ``keras``, ``tflite`` or ``onnx``."""

    spec: str
    kind: str
    path: Path | None = None

    @property
    def exported(self) -> bool:
        return self.kind in ("tflite", "onnx")


def resolve_model(spec: str | os.PathLike) -> ModelRef:
    """Decide what ``spec`` is, from its name and its first bytes; one-line ``InputError`` if it
    is none of the things a model can be."""
    spec = os.fspath(spec)
    if spec == BICUBIC:
        return ModelRef(spec, "bicubic")
    if spec in PRESETS:
        return ModelRef(spec, "preset")
    path = Path(spec)
    if not path.exists():
        raise InputError(f"{spec}: not a preset ({', '.join(PRESETS)}) and no such file")
    if not path.is_file():
        raise InputError(f"{spec}: not a regular file (expected {describe_model_spec()})")
    kind = {".keras": "keras", ".tflite": "tflite", ".onnx": "onnx"}.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"{spec}: not a model file (expected {describe_model_spec()})")
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as e:
        raise InputError(f"{spec}: cannot read ({e.strerror or first_line(e)})") from e
    if kind == "keras" and not zipfile.is_zipfile(path):  # refused before TensorFlow is imported
        raise InputError(f"{spec}: not a valid Keras model file (a .keras file is a zip archive; this one is not)")
    if kind == "tflite" and head[4:8] != b"TFL3":
        raise InputError(f"{spec}: not a valid TFLite model file (no TFL3 flatbuffer identifier)")
    if kind == "onnx" and not head:
        raise InputError(f"{spec}: not a valid ONNX model file (empty)")
    return ModelRef(spec, kind, path)


# What a .keras file may hold before it is opened: its config; its weights (float32 of the most
# parameters a config may declare, below); everything else (metadata, assets) together.
MAX_CONFIG_BYTES = 16 * 2**20
MAX_WEIGHTS_BYTES = 1024 * 2**20 + 2**20
MAX_OTHER_BYTES = 64 * 2**20
MAX_LAYER_CHANNELS = 4096
MAX_DECLARED_PARAMS = 256 * 2**20  # 1 GiB of float32


def check_keras_archive(path: Path, spec: str) -> None:
    """Refuse, before Keras reads it, a ``.keras`` zip that unpacks to more than a model needs (a
    config bomb, assets that would fill the disk) or whose config declares layers larger than any
    network this package runs (memory Keras would allocate before reading a single weight)."""
    import json

    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            weights = sum(i.file_size for i in infos if i.filename == "model.weights.h5")
            other = sum(i.file_size for i in infos if i.filename not in ("model.weights.h5", "config.json"))
            config = next((i for i in infos if i.filename == "config.json"), None)
            if config is None:
                raise InputError(f"{spec}: not a valid Keras model file (no config.json inside)")
            if config.file_size > MAX_CONFIG_BYTES:
                raise InputError(f"{spec}: its config unpacks to {config.file_size:,} bytes, more than any model's ({MAX_CONFIG_BYTES:,})")
            if weights > MAX_WEIGHTS_BYTES:
                raise InputError(f"{spec}: its weights unpack to {weights:,} bytes, more than a network this package runs ({MAX_WEIGHTS_BYTES:,})")
            if other > MAX_OTHER_BYTES:
                raise InputError(f"{spec}: its metadata and assets unpack to {other:,} bytes; a model needs at most {MAX_OTHER_BYTES:,}")
            text = z.read(config)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as e:
        raise InputError(f"{spec}: not a valid Keras model file ({first_line(e)})") from e
    try:
        cfg = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise InputError(f"{spec}: not a valid Keras model file (its config.json is not JSON: {first_line(e)})") from e
    declared, previous = 0, 4
    for layer in _layer_configs(cfg):
        conf = layer.get("config") if isinstance(layer.get("config"), dict) else {}
        width = conf.get("filters", conf.get("units"))
        if width is None:
            continue
        if not isinstance(width, int) or isinstance(width, bool) or not 1 <= width <= MAX_LAYER_CHANNELS:
            raise InputError(
                f"{spec}: layer {str(conf.get('name', '?'))[:60]!r} declares {width!r} channels; a network this package runs has 1 to {MAX_LAYER_CHANNELS:,}"
            )
        kernel = conf.get("kernel_size", 1)
        kernel = kernel if isinstance(kernel, list) else [kernel]
        if not all(isinstance(k, int) and 1 <= k <= 64 for k in kernel):
            raise InputError(f"{spec}: layer {str(conf.get('name', '?'))[:60]!r} declares a kernel of {kernel!r}; at most 64 a side")
        area = 1
        for k in kernel:
            area *= k
        declared += width * area * previous  # inputs: the layer before's outputs (not known before building)
        previous = width
    if declared > MAX_DECLARED_PARAMS:
        raise InputError(f"{spec}: its config declares about {declared:,} parameters, more than a network this package runs ({MAX_DECLARED_PARAMS:,})")


def _layer_configs(node, depth: int = 0):
    """Every dict with a ``class_name`` inside a Keras config (nested models included)."""
    if depth > 64:
        return
    if isinstance(node, dict):
        if "class_name" in node:
            yield node
        for value in node.values():
            yield from _layer_configs(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _layer_configs(value, depth + 1)


def _load_keras(ref: ModelRef) -> keras.Model:
    check_keras_archive(ref.path, ref.spec)
    import keras
    import numpy as np

    from drrn_tf.nn import models as _models  # noqa: F401 - registers the serializables the file refers to (DRRN, its layers)

    try:
        model = keras.saving.load_model(ref.path, safe_mode=True)
    except Exception as e:
        raise InputError(f"{ref.spec}: not a valid Keras model file ({first_line(e)})") from e
    try:
        inputs = model.inputs if isinstance(model, keras.Model) else None
    except (AttributeError, ValueError):  # a Sequential saved before it was built has none
        inputs = None
    if not inputs:
        raise InputError(f"{ref.spec}: the model has no input shape (saved before it was built); build it on an input first")
    if len(inputs) != 1:
        raise InputError(f"{ref.spec}: expected a model with one image input")
    bad = next((w.path for w in model.weights if not np.isfinite(np.asarray(w)).all()), None)
    if bad is not None:
        raise InputError(f"{ref.spec}: weight {bad} holds NaN or inf; the model's output would be meaningless")
    shape = tuple(model.inputs[0].shape)
    if len(shape) != 4 or shape[-1] != 1:
        raise InputError(f"{ref.spec}: expected input shape (None, H, W, 1), the luminance of the LR-up image; the model has {shape}")
    from drrn_tf.nn.models import DRRN

    model = DRRN.from_functional(model) or model
    if isinstance(model, DRRN) and model.policy_name != "float32":  # a mixed-precision checkpoint: run it in float32
        weights = model.get_weights()
        model = DRRN.from_config({**model.get_config(), "dtype": "float32"})
        model.set_weights(weights)
    return model


def load_model(spec: str | os.PathLike = DEFAULT_PRESET, *, require_trained: bool = False) -> keras.Model | TileEngine | RgbEngine | None:
    """Load a model spec (default: the default preset, DRRN B1U9 with its trained weights): a Keras model
    for a preset or a ``.keras`` file, the engine (``load_engine``) for an exported ``.tflite`` /
    ``.onnx`` file, ``None`` for ``bicubic`` (no network).

    ``require_trained`` refuses presets that ship no weights (their output would be
    that of a random network).
    """
    ref = resolve_model(spec)
    if ref.kind == "bicubic":
        return None
    if ref.exported:
        return open_exported(ref).engine
    if ref.kind == "preset":
        if require_trained and not PRESETS[ref.spec].trained:
            raise InputError(f"preset '{ref.spec}' has no trained weights in this package; pass a trained .keras file with --model")
        return build_preset(ref.spec)
    return _load_keras(ref)


def load_keras_model(spec: str | os.PathLike, *, require_trained: bool = False, purpose: str = "drrn export", action: str = "export") -> keras.Model:
    """``load_model`` for what needs the Keras model itself (exporting, fine-tuning): an exported
    file or ``bicubic`` is refused in one line saying so."""
    ref = resolve_model(spec)
    if ref.kind == "bicubic":
        raise InputError(f"bicubic is interpolation, not a network: nothing to {action}")
    if ref.exported:
        raise InputError(f"{ref.spec}: an exported {ref.kind} model; {purpose} needs the Keras model it was made from (a preset or a .keras file)")
    return load_model(ref.spec, require_trained=require_trained)


def load_engine(
    spec: str | os.PathLike = DEFAULT_PRESET, runtime: str = "auto", *, require_trained: bool = False, threads: int | None = None
) -> TileEngine | RgbEngine | None:
    """The engine that runs a model spec (``None`` for ``bicubic``): what ``drrn upscale`` runs.

    ``runtime``: ``auto`` (default) picks the fastest runtime whose quality passes the parity gate
    (``drrn_tf.nn.runtimes.choose_runtime``; the engine's ``runtime`` and ``why`` say which and why); ``keras`` is TensorFlow in
    float32, the paper-exact reference; ``litert`` the model's full-int8 LiteRT export (shipped with
    the trained presets; for another Keras model made, parity-checked and cached on first use). An
    exported file runs in its own runtime (``threads``: its thread count, default all cores).
    """
    from drrn_tf.constants import RUNTIMES
    from drrn_tf.nn.predict import model_engine, plugin_engine
    from drrn_tf.nn.runtimes import choose_runtime, litert_available

    if runtime not in RUNTIMES:
        raise InputError(f"--runtime {runtime}: expected one of {', '.join(RUNTIMES)}")
    ref = resolve_model(spec)
    if ref.kind == "bicubic":
        return None
    if ref.exported:
        if runtime in ("keras", "keras-bf16") or (runtime == "litert" and ref.kind != "tflite"):
            raise InputError(f"{ref.spec}: an exported {ref.kind} model runs in its own runtime; leave --runtime out (or --runtime auto)")
        return open_exported(ref, threads).engine._replace(why=f"{ref.path.name}, the model file given")
    if ref.kind == "preset" and require_trained and not PRESETS[ref.spec].trained:
        raise InputError(f"preset '{ref.spec}' has no trained weights in this package; pass a trained .keras file with --model")
    choice = choose_runtime(ref, runtime)
    if choice.runtime == "litert" and not litert_available():  # before a .keras file is loaded to convert it
        raise MissingDependency("--runtime litert needs the export stage and ai_edge_litert (pip install 'drrn-tf[export]')")
    if choice.runtime == "litert" and ref.kind == "preset":
        engine = plugin_engine(ref.spec, choice.runtime)  # a shipped export: no Keras model is built
    else:
        engine = model_engine(load_model(ref.spec, require_trained=require_trained), choice.runtime)
    return engine._replace(why=choice.reason)


def open_exported(spec: str | os.PathLike | ModelRef, threads: int | None = None):
    """An exported model file (``.tflite``, ``.onnx``) opened by the runtime an installed package
    registers for its suffix (the export stage does): an object with ``engine`` (a
    ``TileEngine``, or an ``RgbEngine`` for an end-to-end
    model), ``name`` and ``info`` (what ``drrn info`` prints). ``None`` if ``spec`` names no such file."""
    from importlib.metadata import entry_points

    from drrn_tf.inference.cpu import usable_cores

    ref = spec if isinstance(spec, ModelRef) else resolve_model(spec)
    if not ref.exported:
        return None
    opener = next((ep for ep in entry_points(group="drrn_tf.exported") if ep.name == ref.kind), None)
    if opener is None:
        raise MissingDependency(f"{ref.spec}: running exported models needs the export stage (pip install 'drrn-tf[export]')")
    return opener.load()(ref.path, threads=threads or usable_cores())
