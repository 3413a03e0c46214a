"""drrn-tf: DRRN super-resolution (Tai et al., CVPR 2017) in TensorFlow/Keras.

``import drrn_tf`` is cheap and changes nothing in the host process: it imports no TensorFlow
(the API below is imported on first use, PEP 562) and sets no environment variable, file
descriptor or library-wide setting. The numpy-only modules (``matlab``, ``metrics``,
``tiling``) never import TensorFlow. The package's Keras layers are registered when
``drrn_tf.layers`` is first imported -- by anything that builds or loads a model
(``drrn_tf.load_model``, ``drrn_tf.build_preset``, ``drrn_tf.drrn``); to load a ``.keras`` file
with plain ``keras.saving.load_model``, ``import drrn_tf.layers`` first.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Public name -> module that defines it (imported lazily, PEP 562).
_EXPORTS = {
    "imresize": "matlab",
    "rgb2ycbcr": "matlab",
    "ycbcr2rgb": "matlab",
    "modcrop": "matlab",
    "shave": "matlab",
    "im2uint8": "matlab",
    "psnr": "metrics",
    "ssim": "metrics",
    "axis_plan": "tiling",
    "tile_plan": "tiling",
    "InputError": "errors",
    "DrrnError": "errors",
    "InputValueError": "errors",
    "TrainingDiverged": "errors",
    "ParityError": "errors",
    "MissingDependency": "errors",
    "MissingPackageData": "errors",
    "RecursiveBlock": "layers",
    "PreActivation": "layers",
    "drrn": "models",
    "vdsr": "models",
    "srcnn": "models",
    "drrn_param_count": "models",
    "PRESETS": "presets",
    "DEFAULT_PRESET": "presets",
    "build_preset": "presets",
    "load_model": "loading",
    "load_engine": "loading",
    "resolve_model": "loading",
    "cpu_info": "cpu",
    "model_stats": "stats",
    "receptive_radius": "stats",
    "predict_y": "inference",
    "upscale_image": "upscale",
    "upscale_pixels": "upscale",
    "evaluate": "evaluation",
    "read_image": "image_io",
    "write_image": "image_io",
    "resolve_dataset": "datasets",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'drrn_tf' has no attribute '{name}'")


def __dir__():
    return __all__
