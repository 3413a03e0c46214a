"""Named model presets, usable as ``drrn_tf.build_preset("drrn_b1u9")`` or ``--model drrn_b1u9``.

A preset is an architecture plus, where this project has trained one, a weights file
shipped inside the package (``drrn_tf/weights/``, beside the config and log of the run
that produced it). Presets without shipped weights build a freshly initialised
network: fine for ``drrn info``, training and export benchmarks, but not for
upscaling pictures (the CLI refuses that). ``build_preset(name, load_weights=False)``
builds any preset freshly initialised (for timing the untrained graph).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

__all__ = ["Preset", "PRESETS", "DEFAULT_PRESET", "build_preset", "choice_guide", "preset_key", "bundled_export"]

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"

# The keys of a DRRN training config that say what network it trains.
ARCHITECTURE_KEYS = ("blocks", "units", "filters", "batch_norm")


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    builder: str  # a model function of drrn_tf.nn.models (imported on build: this module needs no TensorFlow)
    kwargs: dict = field(default_factory=dict)  # the architecture of a preset that has no training config
    # The training config (drrn_tf/weights/) that made a trained preset: its architecture is declared
    # there, once, and read from it (``architecture``).
    config: str | None = None
    weights: str | None = None  # file name inside drrn_tf/weights/
    # What to pick it for, with two figures measured here (tests/test_presets.py checks them against
    # benchmarks/results/): Set5 x4 PSNR in the paper's protocol, and ms per 288x288 output on 2 CPU
    # threads (Keras fp32; for the phone preset: its full-int8 export in LiteRT).
    use: str | None = None
    set5_x4_psnr: float | None = None
    ms_288: float | None = None
    # A preset fine-tuned for full int8 (drrn qat) that stands in for this one where an int8 export
    # is made for it (``--runtime litert``): its int8 loses less than the preset's own post-training
    # int8 (Set5 x4: 30.39 against 30.16 dB).
    int8_twin: str | None = None

    @property
    def architecture(self) -> dict:
        """The builder's keyword arguments: the ``config``'s architecture keys, else ``kwargs``."""
        if self.config is None:
            return dict(self.kwargs)
        import yaml

        cfg = yaml.safe_load((WEIGHTS_DIR / self.config).read_text())
        return {k: cfg[k] for k in ARCHITECTURE_KEYS if k in cfg}

    @property
    def weights_path(self) -> Path | None:
        return WEIGHTS_DIR / self.weights if self.weights else None

    @property
    def trained(self) -> bool:
        return self.weights_path is not None and self.weights_path.is_file()


def _trained_drrn(name: str, description: str, use: str, set5_x4_psnr: float, ms_288: float, config: str | None = None, **more) -> Preset:
    """A DRRN preset with shipped weights: ``NAME.weights.h5``, its architecture in ``NAME.yaml``
    (the training config that made it) unless ``config`` names another."""
    return Preset(
        name, description, "drrn", config=config or f"{name}.yaml", weights=f"{name}.weights.h5", use=use, set5_x4_psnr=set5_x4_psnr, ms_288=ms_288, **more
    )


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        _trained_drrn("drrn_b1u9", "DRRN B1U9, d=20, 128 filters (paper), GPU-trained on train291 (x2/x3/x4); the default model", "quality", 31.38, 2248.9),
        _trained_drrn(
            "drrn_b1u25",
            "DRRN B1U25, d=52, 128 filters (paper), warm-started from drrn_b1u9: best quality, 2.8x its compute",
            "best quality",
            31.54,
            5945.2,
        ),
        Preset("vdsr", "VDSR baseline: 20 convs, 64 filters, global residual", "vdsr"),
        Preset("srcnn", "SRCNN baseline: 9-5-5, 64/32 filters", "srcnn"),
        _trained_drrn(
            "drrn_b1u9_f32",
            "DRRN B1U9 with 32 filters, trained by this project on train291 (x2/x3/x4): the fast preset",
            "speed",
            30.50,
            157.3,
            int8_twin="drrn_b1u9_f32_qat",
        ),
        _trained_drrn(
            "drrn_b1u9_f32_qat",
            "drrn_b1u9_f32 fine-tuned through int8 fake quantisation (drrn qat): the one to export as full int8",
            "phones, exported as full int8 (drrn export drrn_b1u9_f32_qat --quant int8)",
            30.39,
            60.1,
            config="drrn_b1u9_f32.yaml",  # drrn qat keeps the architecture of the preset it tunes
        ),
    ]
}

# What a command uses when --model is left out.
DEFAULT_PRESET = "drrn_b1u9"


def choice_guide() -> str:
    """One line per trained preset: what it is for, Set5 x4 PSNR and time per 288x288 output."""
    lines = []
    for p in PRESETS.values():
        if p.use:
            default = ", the default" if p.name == DEFAULT_PRESET else ""
            lines.append(f"  {p.name:<18} {p.use}{default}: Set5 x4 {p.set5_x4_psnr:.2f} dB, {p.ms_288 / 1000:.2f} s per 288x288 output")
    return "which model (2 CPU threads):\n" + "\n".join(lines)


def build_preset(name: str, load_weights: bool = True) -> keras.Model:
    """Build a preset by name, with its shipped weights if it has any."""
    try:
        preset = PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown preset '{name}' (known: {', '.join(PRESETS)})") from None
    from drrn_tf.nn import models

    model = getattr(models, preset.builder)(name=preset.name, **preset.architecture)
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
    import json

    h = hashlib.sha256()
    for p in [PRESETS[name]] + ([PRESETS[PRESETS[name].int8_twin]] if quant == "int8" and PRESETS[name].int8_twin else []):
        h.update(json.dumps([p.name, p.builder, p.architecture], sort_keys=True).encode())
        h.update(hashlib.sha256(p.weights_path.read_bytes()).digest() if p.trained else b"untrained")
    h.update(f"preset {quant}".encode())
    return h.hexdigest()[:20]


def bundled_export(name: str, quant: str = "int8") -> Path | None:
    """The LiteRT export of preset ``name`` that ships in the package (``weights/NAME.QUANT.tflite`` and
    its card, made by ``python -m drrn_tf_export.bundle``), if there is one and its card's
    ``preset_key`` matches the preset's weights now."""
    import json

    if name not in PRESETS or not PRESETS[name].trained:
        return None
    path = WEIGHTS_DIR / f"{name}.{quant}.tflite"
    card = path.with_suffix(".json")
    if not (path.is_file() and card.is_file()):
        return None
    try:
        key = json.loads(card.read_text()).get("preset_key")
    except (ValueError, AttributeError):
        return None
    return path if key == preset_key(name, quant) else None
