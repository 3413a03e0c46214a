"""``--runtime litert`` for ``drrn upscale`` and ``drrn eval``: the model as a quantised LiteRT export,
made once per model and quantisation, parity-gated when it is made, and cached.

Registered as the ``litert`` entry of the ``drrn_tf.runtimes`` entry-point group, so ``drrn_tf``
never imports this package. The cache key is a hash of the model's architecture (its Keras
config), its weights, the quantisation and the TensorFlow version: retraining or upgrading makes
a new export. Calibration uses train291 when the benchmark data is found (``$DRRN_DATA`` or
``../shared/data``), else the photos scikit-image ships; the parity gate (:mod:`drrn_tf_export.parity`)
likewise uses Set5, else those photos. An export that fails its gate is not cached and not used.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import keras
import numpy as np

from drrn_tf.errors import InputError

from .modes import RUN_MODES

__all__ = ["cache_dir", "model_key", "cached_export", "litert_tile_runner"]

# Photos of scikit-image's wheel used when the benchmark sets are not around (none is a Set5 image).
FALLBACK_PHOTOS = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png", "camera.png"]


def cache_dir() -> Path:
    """``$DRRN_CACHE``, else ``$XDG_CACHE_HOME/drrn-tf``, else ``~/.cache/drrn-tf``."""
    if os.environ.get("DRRN_CACHE"):
        return Path(os.environ["DRRN_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "drrn-tf"


def model_key(model: keras.Model, quant: str) -> str:
    import tensorflow as tf

    h = hashlib.sha256()
    h.update(json.dumps(model.get_config(), sort_keys=True, default=str).encode())
    for w in model.get_weights():
        h.update(np.ascontiguousarray(w).tobytes())
    h.update(f"{quant} {tf.__version__}".encode())
    return h.hexdigest()[:20]


def _data_folder(name: str, tmp: Path) -> Path:
    """A benchmark set if it is around, else scikit-image's photos copied into ``tmp``."""
    from drrn_tf.datasets import resolve_dataset

    try:
        return resolve_dataset(name)[1]
    except InputError:
        from .demo import _skimage_photos

        return _skimage_photos(FALLBACK_PHOTOS, tmp / "photos")


def _export_source(model: keras.Model, quant: str) -> keras.Model:
    """What to convert: the model itself, or for int8 of an unchanged preset that has one, its
    int8-tuned twin (``Preset.int8_twin``, made by ``drrn qat``); the gate still compares with ``model``."""
    from drrn_tf.presets import PRESETS, build_preset

    preset = PRESETS.get(model.name)
    if quant != "int8" or preset is None or not preset.int8_twin or not preset.trained:
        return model
    shipped = build_preset(model.name).get_weights()
    ours = model.get_weights()
    if len(ours) != len(shipped) or not all(np.array_equal(a, b) for a, b in zip(ours, shipped)):
        return model
    return build_preset(preset.int8_twin)


def cached_export(model: keras.Model, quant: str = "int8", threads: int = 2, log=lambda m: print(m, file=sys.stderr)) -> Path:
    """The path of the cached LiteRT export of ``model`` (dynamic H and W), making it first if needed."""
    from drrn_tf.inference import predict_y
    from drrn_tf.stats import receptive_radius

    from .card import model_card
    from .commands import write_artefact
    from .convert import convert_tflite, representative_samples
    from .parity import parity_report
    from .runtime import LiteRTModel

    if quant not in RUN_MODES:
        raise InputError(f"--runtime litert: quantisation {quant!r} is not offered ({', '.join(RUN_MODES)})")
    folder = cache_dir()
    path = folder / f"{model.name}-{quant}-{model_key(model, quant)}.tflite"
    if path.is_file() and path.with_suffix(".json").is_file():
        return path
    source = _export_source(model, quant)
    via = "" if source is model else f" through its int8-tuned twin {source.name}"
    log(f"making the LiteRT {quant} export of {model.name}{via} (once; cached in {folder})")
    with tempfile.TemporaryDirectory() as tmp:
        representative = None
        if quant == "int8":
            representative = representative_samples(_data_folder("train291", Path(tmp)), n=120, size=(96, 96))
        artefact = convert_tflite(source, quant, None, representative)
        runner = LiteRTModel(artefact, threads=threads, halo=receptive_radius(model))
        parity = parity_report(lambda y: predict_y(model, y), runner.predict_y, quant, data=str(_data_folder("set5", Path(tmp))))
    worst = parity["worst_drop_db"]
    log(f"parity: worst PSNR drop {worst:+.3f} dB on {parity['dataset']} (target <= {parity['target_db']} dB)")
    if not parity["passed"]:
        raise InputError(
            f"--runtime litert: the {quant} export of {model.name} loses {worst:.3f} dB (> {parity['target_db']} dB); "
            "use --runtime keras, or a model made for it (drrn qat)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    card = model_card(artefact, "tflite", quant, source, path.name, parity)
    card["parity_reference"] = model.name  # the gate compared the export with this model
    write_artefact(path, artefact, path.with_suffix(".json"), card)
    return path


def litert_tile_runner(model: keras.Model, quant: str = "int8", threads: int = 2):
    """``run(y)`` on one (h, w) luminance tile through the cached LiteRT export; its path."""
    from .runtime import LiteRTModel

    path = cached_export(model, quant, threads)
    runner = LiteRTModel(path, threads=threads)
    return runner.predict_y, path
