"""Named model presets, usable as ``drrn_tf.build_preset("drrn_b1u9")`` or ``--model drrn_b1u9``.

A preset is a folder of data inside the package, ``drrn_tf/presets/NAME/`` (as KerasHub's are):

* ``config.json`` -- ``{"builder": ..., "config": {...}}``: which network (a key of
  ``drrn_tf.nn.models.BUILDERS``) with which hyperparameters;
* ``metadata.json`` -- what it is and what to pick it for (``description``, ``use``), the
  ``figures`` ``drrn upscale --help`` shows (Set5 x4 PSNR, ms per 288x288 output and its CPU; measured by the
  benchmarks ``figures_measured_by`` names), its weights file and their sha256, ``int8_twin``
  (the preset fine-tuned for full int8 that stands in for it where an int8 export is made for it),
  the gated LiteRT ``exports`` that ship with it, and where its training is recorded (``provenance``);
* ``model.weights.h5`` -- where this project has trained it; the gated exports and their cards.

Presets without weights build a freshly initialised network: fine for ``drrn info``, training and
export benchmarks, but not for upscaling pictures (the CLI refuses that).
``build_preset(name, load_weights=False)`` builds any preset freshly initialised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

__all__ = ["Preset", "PRESETS", "DEFAULT_PRESET", "PRESETS_DIR", "build_preset", "choice_guide", "preset_key", "bundled_export"]

PRESETS_DIR = Path(__file__).resolve().parents[1] / "presets"

# What a command uses when --model is left out.
DEFAULT_PRESET = "drrn_b1u9"


@dataclass(frozen=True)
class Preset:
    name: str
    folder: Path
    builder: str
    architecture: dict  # the builder's keyword arguments
    metadata: dict = field(default_factory=dict)

    @classmethod
    def read(cls, folder: Path) -> Preset:
        config = json.loads((folder / "config.json").read_text())
        metadata = json.loads((folder / "metadata.json").read_text())
        return cls(folder.name, folder, config["builder"], dict(config["config"]), metadata)

    @property
    def description(self) -> str:
        return self.metadata["description"]

    @property
    def use(self) -> str | None:
        return self.metadata.get("use")

    @property
    def set5_x4_psnr(self) -> float | None:
        return self.metadata.get("figures", {}).get("set5_x4_psnr")

    @property
    def ms_288(self) -> float | None:
        return self.metadata.get("figures", {}).get("ms_288")

    @property
    def ms_288_cpu(self) -> str | None:
        """The CPU ``ms_288`` was measured on, as the help names it."""
        return self.metadata.get("figures", {}).get("ms_288_cpu")

    @property
    def int8_twin(self) -> str | None:
        return self.metadata.get("int8_twin")

    @property
    def graph(self) -> str:
        """The preset whose network this one's is (a fine-tune of another is timed as that one)."""
        return self.metadata.get("same_graph_as", self.name)

    @property
    def weights(self) -> str | None:
        """The weights file's name inside the folder, for a preset that ships weights."""
        return self.metadata.get("weights", {}).get("file")

    @property
    def weights_path(self) -> Path | None:
        return self.folder / self.weights if self.weights else None

    @property
    def trained(self) -> bool:
        return self.weights_path is not None and self.weights_path.is_file()


def _read_presets() -> dict[str, Preset]:
    """Every folder of ``drrn_tf/presets``: the default first, then by name."""
    folders = sorted((p for p in PRESETS_DIR.iterdir() if (p / "config.json").is_file()), key=lambda p: (p.name != DEFAULT_PRESET, p.name))
    return {p.name: Preset.read(p) for p in folders}


PRESETS: dict[str, Preset] = _read_presets()


def choice_guide() -> str:
    """One line per trained preset: what it is for, Set5 x4 PSNR and time per 288x288 output."""
    guided = [p for p in PRESETS.values() if p.use]
    lines = [
        f"  {p.name:<19} {p.use}{' (the default)' if p.name == DEFAULT_PRESET else ''}; Set5 x4 {p.set5_x4_psnr:.2f} dB, {p.ms_288 / 1000:.2f} s"
        for p in guided
    ]
    cpus = " / ".join(dict.fromkeys(str(p.ms_288_cpu) for p in guided))
    return (
        f"which model (s: per 288x288 output on 2 cores of an {cpus}, in Keras float32, a phone\n"
        "preset as its full-int8 export; drrn upscale picks a faster runtime where it can, and\n"
        "drrn bench times your own CPU):\n" + "\n".join(lines)
    )


def build_preset(name: str, load_weights: bool = True) -> keras.Model:
    """Build a preset by name, with its shipped weights if it has any."""
    try:
        preset = PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown preset '{name}' (known: {', '.join(PRESETS)})") from None
    from drrn_tf.nn.models import BUILDERS

    model = BUILDERS[preset.builder](name=preset.name, **preset.architecture)
    if load_weights and preset.weights:
        if not preset.trained:  # never fall back to a random network for a preset that ships weights
            from drrn_tf.errors import MissingPackageData

            raise MissingPackageData(f"{preset.weights_path}: the weights of preset '{name}' are missing (reinstall drrn-tf)")
        model.load_weights(preset.weights_path)
    return model


def preset_key(name: str, quant: str) -> str:
    """The key of a preset's export: a hash of its architecture and shipped weight files (and its int8
    twin's, which int8 is made from) and the quantisation -- not the TensorFlow version, so that a
    shipped export stays valid across it."""
    import hashlib

    h = hashlib.sha256()
    for p in [PRESETS[name]] + ([PRESETS[PRESETS[name].int8_twin]] if quant == "int8" and PRESETS[name].int8_twin else []):
        h.update(json.dumps([p.name, p.builder, p.architecture], sort_keys=True).encode())
        h.update(hashlib.sha256(p.weights_path.read_bytes()).digest() if p.trained else b"untrained")
    h.update(f"preset {quant}".encode())
    return h.hexdigest()[:20]


def export_path(name: str, quant: str = "int8") -> Path:
    """Where preset ``name``'s shipped LiteRT export lives (``presets/NAME/NAME.QUANT.tflite``, card beside it)."""
    return PRESETS[name].folder / f"{name}.{quant}.tflite"


def bundled_export(name: str, quant: str = "int8") -> Path | None:
    """The LiteRT export of preset ``name`` that ships in the package (made by
    ``python -m drrn_tf_export.bundle``), if there is one and its card's ``preset_key`` matches the
    preset's weights now."""
    if name not in PRESETS or not PRESETS[name].trained:
        return None
    path = export_path(name, quant)
    card = path.with_suffix(".json")
    if not (path.is_file() and card.is_file()):
        return None
    try:
        key = json.loads(card.read_text()).get("preset_key")
    except (ValueError, AttributeError):
        return None
    return path if key == preset_key(name, quant) else None
