"""Files saved by an earlier release keep loading and give the same output: the ``.keras`` files in
``tests/fixtures`` were written by drrn-tf 0.1.0 (``tests/fixtures/make_legacy.py``), with the output
each gave on ``legacy-input.npy``. The same output means within ``ATOL``: the kernels TensorFlow picks
differ between CPUs (AVX-512 or not, AMD or Intel) in the last bits of a float32, while a weight
loaded wrongly moves the output by far more."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ATOL = 1e-5  # outputs of order 1; 4e-6 apart between the CPUs of two machines of the same kind


@pytest.mark.parametrize("tag", ["plain", "bn"])
def test_a_keras_file_of_the_previous_release_loads_and_gives_the_same_output(tag):
    import drrn_tf

    model = drrn_tf.load_model(str(FIXTURES / f"legacy-0.1.0-{tag}.keras"))
    x = np.load(FIXTURES / "legacy-input.npy")
    np.testing.assert_allclose(model.predict(x, verbose=0), np.load(FIXTURES / f"legacy-0.1.0-{tag}.out.npy"), rtol=0, atol=ATOL)
    assert isinstance(model, drrn_tf.DRRN)  # the functional graph of then, as the class of now
    assert drrn_tf.model_stats(model)["architecture"] == {"blocks": 2, "units": 2, "filters": 8, "batch_norm": tag == "bn"}


def test_plain_keras_loads_it_in_safe_mode_once_the_layers_are_registered():
    import keras

    import drrn_tf

    drrn_tf.register_keras_objects()
    model = keras.saving.load_model(FIXTURES / "legacy-0.1.0-plain.keras", safe_mode=True)
    out = model.predict(np.load(FIXTURES / "legacy-input.npy"), verbose=0)
    np.testing.assert_allclose(out, np.load(FIXTURES / "legacy-0.1.0-plain.out.npy"), rtol=0, atol=ATOL)


@pytest.mark.slow
def test_a_fresh_drrn_command_reads_a_file_of_the_drrn_class(tmp_path):
    """What ``drrn train`` saves now (the DRRN class) loads in a new process that imported nothing first."""
    import json
    import subprocess
    import sys

    import drrn_tf

    drrn_tf.DRRN(1, 2, 8, name="mine").save(tmp_path / "mine.keras")
    out = subprocess.run([sys.executable, "-m", "drrn_tf", "info", str(tmp_path / "mine.keras"), "--json"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout)["architecture"] == {"blocks": 1, "units": 2, "filters": 8, "batch_norm": False}
