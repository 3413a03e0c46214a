import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pathlib import Path

import numpy as np
import pytest

from drrn_tf.io.datasets import data_root

# The training configs and logs of the shipped presets (in the repository, not the package).
RECIPES = Path(__file__).resolve().parents[1] / "recipes"


def tiny_training(data_dir, **overrides) -> dict:
    """The keys of a training config small enough for a test: six train291 images at x2, a 1,321-parameter DRRN."""
    base = {
        "train_data": str(data_dir / "train291"),
        "max_images": 6,
        "scales": [2],
        "val_data": None,
        "tensorboard": False,
        "units": 2,
        "filters": 8,
        "batch_size": 8,
        "steps_per_epoch": 10,
        "epochs": 2,
    }
    return {**base, **overrides}


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared data folder ($DRRN_DATA or ../shared/data); present in CI."""
    root = data_root()
    if root is None or not (root / "Set5").is_dir():
        pytest.skip("shared data folder not found (set DRRN_DATA or provide ../shared/data)")
    return root


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def tiny_drrn(units=2, filters=8, batch_norm=False, seed=0):
    """A small DRRN with non-trivial (random, non-zero bias) weights."""
    import keras

    from drrn_tf.nn.models import drrn

    keras.utils.set_random_seed(seed)
    model = drrn(blocks=1, units=units, filters=filters, batch_norm=batch_norm, name="tiny")
    r = np.random.default_rng(seed)
    for w in model.weights:
        if w.path.endswith("bias"):
            w.assign(r.normal(0, 0.05, w.shape).astype("float32"))
    return model


def identity_drrn(units=1, filters=4):
    """A DRRN whose residual branch is zero: output == input exactly."""
    model = tiny_drrn(units=units, filters=filters)
    conv_out = model.get_layer("conv_out")
    conv_out.kernel.assign(np.zeros(conv_out.kernel.shape, "float32"))
    conv_out.bias.assign(np.zeros(conv_out.bias.shape, "float32"))
    return model
