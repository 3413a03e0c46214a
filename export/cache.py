"""``--runtime litert`` for ``drrn upscale`` and ``drrn eval``: the model as a quantised LiteRT export,
made once per model and quantisation, parity-gated when it is made, and cached.

Registered as the ``litert`` entry of the ``drrn_tf.runtimes`` entry-point group, so ``drrn_tf``
never imports this package. The trained presets ship their gated int8 exports inside the package
(``drrn_tf/presets/NAME/NAME.int8.tflite`` and card, made by ``python -m drrn_tf_export.bundle``), so
nothing is made for them. Other exports are cached under a key that hashes what the export is made
from and how: for an unchanged preset, its name, architecture and shipped weight files (its own and
its int8 twin's) and the quantisation; for any other model, its Keras config and weights, the
quantisation and the TensorFlow version. Retraining makes a new export. A preset whose export is
shipped or cached runs without TensorFlow being imported at all (no Keras model is built just to
find the file). Calibration uses
train291 when the benchmark data is found (``$DRRN_DATA``), else the photos
scikit-image ships; the parity gate (``drrn_tf_export.parity``) likewise uses Set5, else those photos. An export that fails its gate is not cached and not used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from drrn_tf.errors import InputError, ParityError
from drrn_tf.inference.engines import TileEngine, xnnpack_bytes_per_pixel
from drrn_tf.io.files import temp_dir
from drrn_tf.nn.presets import bundled_export, preset_key

from .extra import LITERT, require
from .modes import RUN_MODES

if TYPE_CHECKING:
    import keras

_LOG = logging.getLogger(__name__)  # what making an export reports (the drrn command prints it)

__all__ = ["cache_dir", "model_key", "gated_export", "cached_export", "cached_preset_export", "litert_engine"]

# Photos of scikit-image's wheel used when the benchmark sets are not around (none is a Set5 image).
FALLBACK_PHOTOS = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png", "camera.png"]


def cache_dir() -> Path:
    """``$DRRN_CACHE``, else ``$XDG_CACHE_HOME/drrn-tf``, else ``~/.cache/drrn-tf``."""
    if os.environ.get("DRRN_CACHE"):
        return Path(os.environ["DRRN_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "drrn-tf"


def _tf_version() -> str:
    from importlib.metadata import version

    return version("tensorflow")  # the converter's version, read without importing TensorFlow


def _is_shipped_preset(model: keras.Model) -> bool:
    """Whether ``model`` is a trained preset with exactly its shipped weights."""
    from drrn_tf.nn.presets import PRESETS, build_preset

    preset = PRESETS.get(model.name)
    if preset is None or not preset.trained:
        return False
    shipped = build_preset(model.name).get_weights()
    ours = model.get_weights()
    return len(ours) == len(shipped) and all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(ours, shipped))


def model_key(model: keras.Model, quant: str, shipped: bool | None = None) -> str:
    """``preset_key`` for an unchanged preset (so that the preset name and the loaded model find
    the same export), else a hash of the model's Keras config and weights. ``shipped``: whether
    ``model`` is an unchanged preset, when the caller already knows (``_is_shipped_preset``)."""
    if _is_shipped_preset(model) if shipped is None else shipped:
        return preset_key(model.name, quant)
    h = hashlib.sha256()
    h.update(json.dumps(model.get_config(), sort_keys=True, default=str).encode())
    for w in model.get_weights():
        h.update(np.ascontiguousarray(w).tobytes())
    h.update(f"{quant} {_tf_version()}".encode())
    return h.hexdigest()[:20]


def _data_folder(name: str, tmp: Path) -> Path:
    """A benchmark set if it is around, else scikit-image's photos copied into ``tmp``."""
    from drrn_tf.io.datasets import resolve_dataset

    try:
        return resolve_dataset(name)[1]
    except InputError:
        from drrn_tf.io.datasets import skimage_photos

        return skimage_photos(FALLBACK_PHOTOS, tmp / "photos")


def _export_source(model: keras.Model, quant: str, shipped: bool) -> keras.Model:
    """What to convert: the model itself, or for int8 of an unchanged (``shipped``) preset that has one,
    its int8-tuned twin (``Preset.int8_twin``, made by ``drrn qat``); the gate still compares with ``model``."""
    from drrn_tf.nn.presets import PRESETS, build_preset

    twin = PRESETS[model.name].int8_twin if shipped else None
    return build_preset(twin) if quant == "int8" and twin else model


def gated_export(model: keras.Model, quant: str = "int8", threads: int = 2, shipped: bool | None = None) -> tuple[bytes, dict]:
    """``(artefact, card)``: the LiteRT export of ``model`` (dynamic H and W) in ``quant``, made from its
    int8-tuned twin where a shipped preset has one, and parity-gated against ``model`` on Set5.
    ``shipped``: whether ``model`` is an unchanged preset, when the caller already knows
    (``_is_shipped_preset``). Raises ``InputError`` if it fails its gate."""
    from drrn_tf.nn.predict import predict_y
    from drrn_tf.nn.stats import receptive_radius

    from .card import model_card
    from .convert import convert_tflite, representative_samples
    from .parity import parity_report
    from .runtime import LiteRTModel

    if quant not in RUN_MODES:
        raise InputError(f"--runtime litert: quantisation {quant!r} is not offered ({', '.join(RUN_MODES)})")
    if shipped is None:
        shipped = _is_shipped_preset(model)  # builds the preset to compare weights
    source = _export_source(model, quant, shipped)
    via = "" if source is model else f" through its int8-tuned twin {source.name}"
    _LOG.info(f"making the LiteRT {quant} export of {model.name}{via} (once; cached in {cache_dir()}); 3 steps, a few minutes")
    with temp_dir() as tmp:
        representative = None
        if quant == "int8":
            folder = _data_folder("train291", Path(tmp))
            _LOG.info(f"[1/3] calibrating on 120 LR-up Y crops of 96x96 from {folder}")
            representative = representative_samples(folder, n=120, size=(96, 96))
        _LOG.info(f"[2/3] converting {source.name} to a {quant} .tflite")
        artefact = convert_tflite(source, quant, None, representative)
        runner = LiteRTModel(artefact, threads=threads, halo=receptive_radius(model))
        set5 = _data_folder("set5", Path(tmp))
        # both models tiled within the default memory budget (predict_y), whatever the image size
        _LOG.info(f"[3/3] parity gate: the export's PSNR against the Keras model's on {set5} at x2, x3, x4")
        parity = parity_report(lambda y: predict_y(model, y), runner.predict_y, quant, data=str(set5))
    worst = parity["worst_drop_db"]
    _LOG.info(f"parity: worst PSNR drop {worst:+.3f} dB on {parity['dataset']} (target <= {parity['target_db']} dB)")
    if not parity["passed"]:
        raise ParityError(
            f"--runtime litert: the {quant} export of {model.name} loses {worst:.3f} dB (> {parity['target_db']} dB); "
            "use --runtime keras, or a model made for it (drrn qat)"
        )
    card = model_card(artefact, "tflite", quant, source, "", parity)
    card["parity_reference"] = model.name  # the gate compared the export with this model
    if shipped:
        card["preset_key"] = preset_key(model.name, quant)
    return artefact, card


def cached_export(model: keras.Model, quant: str = "int8", threads: int = 2) -> Path:
    """The path of the LiteRT export of ``model`` (dynamic H and W): the one the package ships for an
    unchanged preset, else the cached one, made first (``gated_export``) if needed."""
    from .card import write_artefact

    shipped = _is_shipped_preset(model)
    if shipped and (bundled := bundled_export(model.name, quant)) is not None:
        return bundled
    folder = cache_dir()
    path = folder / f"{model.name}-{quant}-{model_key(model, quant, shipped)}.tflite"
    if path.is_file() and path.with_suffix(".json").is_file():
        return path
    artefact, card = gated_export(model, quant, threads, shipped)
    card["file"] = path.name
    folder.mkdir(parents=True, exist_ok=True)
    write_artefact(path, artefact, path.with_suffix(".json"), card)
    return path


def cached_preset_export(name: str, quant: str = "int8", threads: int = 2) -> Path:
    """The export of preset ``name``: the one the package ships, else the cached one, found by
    ``preset_key`` without building the model; made (through ``cached_export``, which finds
    the same key) if it is not there yet."""
    if (bundled := bundled_export(name, quant)) is not None:
        return bundled
    path = cache_dir() / f"{name}-{quant}-{preset_key(name, quant)}.tflite"
    if path.is_file() and path.with_suffix(".json").is_file():
        return path
    from drrn_tf.nn.presets import build_preset

    return cached_export(build_preset(name), quant, threads)


def litert_engine(model: keras.Model | str, quant: str = "int8", threads: int | None = None) -> TileEngine:
    """The ``TileEngine`` of a Keras model, or of a preset given by name, through
    its LiteRT export: the one a trained preset ships, else the cached one (made and parity-checked
    on first use). Its halo is the receptive field
    its card records; its memory per pixel follows XNNPACK's indirection buffers
    (``drrn_tf.inference.engines.xnnpack_bytes_per_pixel``) for the widest tensor of the graph."""
    require("--runtime litert", LITERT)
    from drrn_tf.inference.cpu import usable_cores

    from .runtime import LiteRTModel

    threads = threads or usable_cores()
    path = cached_preset_export(model, quant, threads) if isinstance(model, str) else cached_export(model, quant, threads)
    name = model if isinstance(model, str) else model.name
    card = json.loads(path.with_suffix(".json").read_text())
    halo = (int(card["receptive_field"]) - 1) // 2
    runner = LiteRTModel(path, threads=threads)
    channels = max((int(t["shape_signature"][-1]) for t in runner.interpreter.get_tensor_details() if len(t["shape_signature"]) == 4), default=1)
    return TileEngine(name, runner.predict_y, halo, xnnpack_bytes_per_pixel(halo, channels), runtime=f"litert {quant}")
