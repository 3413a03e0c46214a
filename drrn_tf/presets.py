"""Named model presets, usable as ``drrn_tf.build_preset("drrn_b1u9")`` or ``--model drrn_b1u9``.

A preset is an architecture plus, where this project has trained one, a weights file
shipped inside the package (``drrn_tf/weights/``, beside the config and log of the run
that produced it). Presets without shipped weights build a freshly initialised
network: fine for ``drrn info``, training and export benchmarks, but not for
upscaling pictures (the CLI refuses that).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import keras

from . import models

__all__ = ["Preset", "PRESETS", "DEFAULT_PRESET", "build_preset", "preset_names"]

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    builder: Callable[..., keras.Model]
    kwargs: dict = field(default_factory=dict)
    weights: str | None = None  # file name inside drrn_tf/weights/

    @property
    def weights_path(self) -> Path | None:
        return WEIGHTS_DIR / self.weights if self.weights else None

    @property
    def trained(self) -> bool:
        return self.weights_path is not None and self.weights_path.is_file()


# The compact architecture both shipped weight files are for (drrn_b1u9_f32 and its int8-tuned twin).
_B1U9_F32 = {"blocks": 1, "units": 9, "filters": 32}

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset("drrn_b1u9", "DRRN B1U9, d=20, 128 filters (paper)", models.drrn, {"blocks": 1, "units": 9}),
        Preset("drrn_b1u25", "DRRN B1U25, d=52, 128 filters (paper)", models.drrn, {"blocks": 1, "units": 25}),
        Preset("vdsr", "VDSR baseline: 20 convs, 64 filters, global residual", models.vdsr),
        Preset("srcnn", "SRCNN baseline: 9-5-5, 64/32 filters", models.srcnn),
        Preset(
            "drrn_b1u9_f32",
            "DRRN B1U9 with 32 filters, trained by this project on train291 (x2/x3/x4); the default model",
            models.drrn,
            _B1U9_F32,
            weights="drrn_b1u9_f32.weights.h5",
        ),
        Preset(
            "drrn_b1u9_f32_qat",
            "drrn_b1u9_f32 fine-tuned through int8 fake quantisation (drrn qat): the one to export as full int8",
            models.drrn,
            _B1U9_F32,
            weights="drrn_b1u9_f32_qat.weights.h5",
        ),
    ]
}

# What a command uses when --model is left out.
DEFAULT_PRESET = "drrn_b1u9_f32"


def preset_names() -> list[str]:
    return list(PRESETS)


def build_preset(name: str, load_weights: bool = True) -> keras.Model:
    """Build a preset by name, with its shipped weights if it has any."""
    try:
        preset = PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown preset '{name}' (known: {', '.join(PRESETS)})") from None
    model = preset.builder(name=preset.name, **preset.kwargs)
    if load_weights and preset.trained:
        model.load_weights(preset.weights_path)
    return model
