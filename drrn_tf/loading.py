"""Turn a ``--model`` argument (``bicubic``, a preset name, or a file) into a model."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError, first_line
from .presets import DEFAULT_PRESET, PRESETS, build_preset

if TYPE_CHECKING:
    import keras

__all__ = ["BICUBIC", "load_model", "load_engine", "describe_model_spec", "open_exported"]

# Suffixes of exported models that installed packages can run (entry point group drrn_tf.exported).
EXPORTED_SUFFIXES = (".tflite", ".onnx")

BICUBIC = "bicubic"


def describe_model_spec() -> str:
    return f"'{BICUBIC}', a preset ({', '.join(PRESETS)}) or a .keras file"


def load_model(spec: str | os.PathLike = DEFAULT_PRESET, *, require_trained: bool = False) -> keras.Model | None:
    """Resolve a model spec (default: the default preset, DRRN B1U9 with its trained weights).
    ``bicubic`` gives ``None`` (no network).

    ``require_trained`` refuses presets that ship no weights (their output would be
    that of a random network).
    """
    spec = str(spec)
    if spec == BICUBIC:
        return None
    if spec in PRESETS:
        preset = PRESETS[spec]
        if require_trained and not preset.trained:
            raise InputError(f"preset '{spec}' has no trained weights in this package; pass a trained .keras file with --model")
        return build_preset(spec)
    path = Path(spec)
    if not path.exists():
        raise InputError(f"{spec}: not a preset ({', '.join(PRESETS)}) and no such file")
    if path.is_dir() or path.suffix != ".keras":
        raise InputError(f"{spec}: not a model file (expected a .keras file, {describe_model_spec()})")
    import zipfile

    if not zipfile.is_zipfile(path):  # refused before TensorFlow is imported
        raise InputError(f"{spec}: not a valid Keras model file (a .keras file is a zip archive; this one is not)")
    import keras

    from . import layers as _layers  # noqa: F401 - registers the serializables the file refers to

    try:
        model = keras.saving.load_model(path, safe_mode=True)
    except Exception as e:
        raise InputError(f"{spec}: not a valid Keras model file ({first_line(e)})") from e
    if not isinstance(model, keras.Model) or len(model.inputs) != 1:
        raise InputError(f"{spec}: expected a model with one image input")
    shape = tuple(model.inputs[0].shape)
    if len(shape) != 4 or shape[-1] != 1:
        raise InputError(f"{spec}: expected input shape (None, H, W, 1), the model has {shape}")
    return model


def load_engine(spec: str | os.PathLike = DEFAULT_PRESET, runtime: str = "keras", *, require_trained: bool = False):
    """The :class:`~drrn_tf.engine.TileEngine` of a model spec in ``runtime`` (``None`` for ``bicubic``).

    ``litert`` with a preset name goes straight to the runtime plugin, which for a cached export
    needs neither the Keras model nor TensorFlow (it loads them only to make the export).
    """
    from .inference import model_engine, plugin_engine

    spec = str(spec)
    if runtime != "keras" and spec in PRESETS and PRESETS[spec].trained:
        return plugin_engine(spec, runtime)
    model = load_model(spec, require_trained=require_trained)
    return None if model is None else model_engine(model, runtime)


def open_exported(spec: str | os.PathLike, threads: int = 2):
    """``(predict_y, name)`` for an exported model file (``.tflite``, ``.onnx``), run by the runtime
    an installed package registers for its suffix (the export stage does); ``None`` if ``spec`` is
    not such a file name."""
    from importlib.metadata import entry_points

    path = Path(spec)
    if path.suffix not in EXPORTED_SUFFIXES:
        return None
    if not path.is_file():
        raise InputError(f"{spec}: no such file")
    opener = next((ep for ep in entry_points(group="drrn_tf.exported") if ep.name == path.suffix[1:]), None)
    if opener is None:
        raise InputError(f"{spec}: running exported models needs the export stage (pip install 'drrn-tf[export]')")
    return opener.load()(path, threads=threads)
