"""The export stage: quantized TFLite and ONNX artefacts that provably match the Keras model.

``drrn export`` (registered as a ``drrn`` sub-command through the ``drrn_tf.commands``
entry point, so that ``drrn_tf`` never imports this package) converts a model, checks
the artefact's Set5 PSNR against the Keras model's, and writes the artefact plus a
model card (``OUT.json``) only if the parity target is met (or ``--force``).
Importing this package imports no TensorFlow; the names below load on first use.
"""

from __future__ import annotations

import importlib

from .modes import QUANT_MODES

# Public name -> module that defines it (imported lazily, PEP 562).
_EXPORTS = {
    "convert_tflite": "convert",
    "convert_onnx": "convert",
    "representative_samples": "convert",
    "parity_report": "parity",
    "PARITY_TARGETS_DB": "parity",
    "model_card": "card",
    "LiteRTModel": "runtime",
    "OnnxModel": "runtime",
}

__all__ = ["QUANT_MODES", *sorted(_EXPORTS)]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
