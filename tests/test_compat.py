"""One test per private hook in ``drrn_tf._compat``: each fails when an upgrade of the library it reaches
into removes or changes what the hook relies on."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from drrn_tf import _compat


@pytest.mark.parametrize("fmt,save", [("PNG", "PNG"), ("JPEG", "JPEG"), ("TIFF", "TIFF"), ("GIF", "GIF"), ("BMP", "BMP"), ("WEBP", "WEBP")])
def test_pillow_opener_decodes_its_format_alone(fmt, save):
    buf = io.BytesIO()
    Image.fromarray(np.full((5, 7, 3), 200, np.uint8)).save(buf, save)
    im = _compat.pillow_opener(fmt)(io.BytesIO(buf.getvalue()), None)
    assert im.format == fmt and im.size == (7, 5)
    with pytest.raises(SyntaxError):  # another format's bytes: this decoder alone refuses them
        _compat.pillow_opener("BMP" if fmt != "BMP" else "PNG")(io.BytesIO(buf.getvalue()), None)


def test_the_summed_gradients_hook_runs_between_the_sum_and_the_update():
    import keras

    class Halve(_compat.SummedGradientsHook, keras.optimizers.SGD):
        def transform_summed(self, grads, variables):
            return [g * 0.5 for g in grads]

    v = keras.Variable(np.ones(3, np.float32))
    Halve(learning_rate=1.0).apply([keras.ops.ones(3)], [v])
    np.testing.assert_allclose(np.asarray(v), 0.5)  # 1 - 1.0 * (0.5 * 1): the hook ran, once


def test_disable_per_channel_switches_the_converter_to_per_tensor():
    import keras
    import tensorflow as tf

    inp = keras.Input((4, 4, 1))
    model = keras.Model(inp, keras.layers.Conv2D(3, 1)(inp))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    _compat.disable_per_channel(converter)
    assert converter._experimental_disable_per_channel is True


def test_litert_ops_lists_the_ops_with_their_tensors():
    pytest.importorskip("ai_edge_litert", reason="the export extra (ai-edge-litert) is not installed")
    from ai_edge_litert.interpreter import Interpreter

    from drrn_tf.nn.presets import bundled_export

    it = Interpreter(model_path=str(bundled_export("drrn_b1u9_f32")))
    ops = _compat.litert_ops(it)
    assert ops and {"op_name", "inputs", "outputs"} <= set(ops[0])
    assert ops[0]["inputs"][0] == it.get_input_details()[0]["index"]
    assert any(o["op_name"] == "CONV_2D" for o in ops)


def test_an_untracked_attribute_is_neither_a_weight_nor_saved(tmp_path):
    import keras

    inp = keras.Input((None, None, 1))
    model = keras.Model(inp, keras.layers.Conv2D(1, 3, padding="same")(inp))
    before = len(model.weights)
    cache = _compat.untracked_attribute(model, "_drrn_engines", {"k": keras.layers.Dense(2)})
    assert model._drrn_engines is cache and len(model.weights) == before
    model.save(tmp_path / "m.keras")
    assert not hasattr(keras.saving.load_model(tmp_path / "m.keras"), "_drrn_engines")


def test_multiworker_fit_patches_keras_only_while_in_it():
    """The hooks it replaces exist, and leaving it undoes both (the fit itself: tests/test_multiworker.py)."""
    import inspect

    import keras
    import keras.src.backend.tensorflow.trainer as trainer

    assert callable(trainer._collective_all_reduce_multi_worker) and callable(trainer.TensorFlowTrainer._symbolic_build)
    assert trainer.tf.distribute.DistributedValues and callable(trainer.tree.map_structure)  # what it takes from the module
    assert "_maybe_symbolic_build" in vars(trainer.TensorFlowTrainer)  # the method it shadows on the model
    assert "reduce_per_replica(" in inspect.getsource(trainer.TensorFlowTrainer._make_function)  # looked up by name
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    before = trainer.reduce_per_replica
    with _compat.multiworker_fit(model, trainer):
        assert trainer.reduce_per_replica is not before and "_maybe_symbolic_build" in vars(model)
    assert trainer.reduce_per_replica is before and "_maybe_symbolic_build" not in vars(model)
