"""The export stage: quantized TFLite and ONNX artefacts that provably match the Keras model.

``drrn export`` (registered as a ``drrn`` sub-command through the ``drrn_tf.commands``
entry point, so that ``drrn_tf`` never imports this package) converts a model, checks
the artefact's Set5 PSNR against the Keras model's, and writes the artefact plus a
model card (``OUT.json``) only if the parity target is met (or ``--force``).
"""

from .card import model_card
from .convert import QUANT_MODES, convert_onnx, convert_tflite, representative_samples
from .parity import PARITY_TARGETS_DB, parity_report
from .runtime import LiteRTModel, OnnxModel

__all__ = [
    "QUANT_MODES",
    "PARITY_TARGETS_DB",
    "convert_tflite",
    "convert_onnx",
    "representative_samples",
    "parity_report",
    "model_card",
    "LiteRTModel",
    "OnnxModel",
]
