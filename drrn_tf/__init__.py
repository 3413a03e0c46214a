"""drrn-tf: DRRN super-resolution (Tai et al., CVPR 2017) in TensorFlow/Keras.

``import drrn_tf`` is cheap and changes nothing in the host process: it imports no TensorFlow
(the API below is imported on first use, PEP 562) and sets no environment variable, file
descriptor or library-wide setting. The subpackages ``drrn_tf.io``, ``drrn_tf.protocol``
and ``drrn_tf.inference`` never import TensorFlow. The package's Keras objects are registered by
anything that builds or loads a model (``drrn_tf.load_model``, ``drrn_tf.build_preset``,
``drrn_tf.drrn``); to load a ``.keras`` file with plain ``keras.saving.load_model``, call
``drrn_tf.register_keras_objects()`` first.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Public name -> module that defines it (imported lazily, PEP 562).
_EXPORTS = {
    "imresize": "protocol.matlab",
    "rgb2ycbcr": "protocol.matlab",
    "ycbcr2rgb": "protocol.matlab",
    "modcrop": "protocol.matlab",
    "shave": "protocol.matlab",
    "im2uint8": "protocol.matlab",
    "psnr": "protocol.metrics",
    "ssim": "protocol.metrics",
    "axis_plan": "inference.tiling",
    "tile_plan": "inference.tiling",
    "InputError": "errors",
    "DrrnError": "errors",
    "InputValueError": "errors",
    "TrainingDiverged": "errors",
    "WorkerLost": "errors",
    "ParityError": "errors",
    "MissingDependency": "errors",
    "MissingPackageData": "errors",
    "RecursiveBlock": "nn.layers",
    "PreActivation": "nn.layers",
    "DRRN": "nn.models",
    "drrn": "nn.models",
    "vdsr": "nn.models",
    "srcnn": "nn.models",
    "drrn_param_count": "nn.models",
    "PRESETS": "nn.presets",
    "DEFAULT_PRESET": "nn.presets",
    "build_preset": "nn.presets",
    "load_model": "nn.loading",
    "load_engine": "nn.loading",
    "resolve_model": "nn.loading",
    "cpu_info": "inference.cpu",
    "self_ensemble": "inference.ensemble",
    "model_stats": "nn.stats",
    "receptive_radius": "nn.stats",
    "predict_y": "nn.predict",
    "upscale_image": "upscale.image",
    "upscale_pixels": "upscale.image",
    "evaluate": "protocol.evaluation",
    "read_image": "io.images",
    "write_image": "io.images",
    "resolve_dataset": "io.datasets",
}

__all__ = sorted(_EXPORTS) + ["__version__", "register_keras_objects"]


def register_keras_objects() -> None:
    """Register the package's Keras serializables (its layers, the DRRN model class, the paper's loss
    and optimiser), so that plain ``keras.saving.load_model`` reads drrn-tf files in safe mode.
    Anything that builds or loads a model through this package does it already."""
    for module in ("nn.models", "training.recipe"):
        importlib.import_module(f".{module}", __name__)


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'drrn_tf' has no attribute '{name}'")


def __dir__():
    return __all__
