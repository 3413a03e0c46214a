"""The network as the paper defines it: sizes, weight sharing, residuals, serialisation."""

import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import tiny_drrn

import drrn_tf
from drrn_tf.nn.layers import PreActivation, RecursiveBlock
from drrn_tf.nn.models import DRRN, drrn, drrn_param_count, dtype_policy, srcnn, vdsr
from drrn_tf.nn.presets import PRESETS, build_preset


def test_paper_parameter_counts():
    assert build_preset("drrn_b1u9").count_params() == 297_601
    assert build_preset("drrn_b1u25").count_params() == 297_601
    assert drrn_param_count(1, 9) == drrn_param_count(1, 25) == 297_601
    assert vdsr().count_params() == 665_921  # paper: 665K
    assert srcnn().count_params() == 57_281  # paper: 57K
    # Paper's other configurations.
    assert round(drrn_param_count(3, 8) / 1e6, 2) == 1.18
    assert round(drrn_param_count(17, 1) / 1e6, 2) == 7.38


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_parameter_formula_for_random_configs(seed):
    r = np.random.default_rng(seed)
    blocks, units, filters = int(r.integers(1, 4)), int(r.integers(1, 6)), int(r.integers(2, 24))
    model = drrn(blocks, units, filters)
    assert model.count_params() == drrn_param_count(blocks, units, filters)


def test_depth_and_structure():
    model = drrn(blocks=2, units=3, filters=8)
    blocks = [layer for layer in model.layers if isinstance(layer, RecursiveBlock)]
    assert len(blocks) == 2
    from drrn_tf.nn.stats import model_stats

    assert model_stats(model)["depth"] == (1 + 2 * 3) * 2 + 1
    # No activation after the last conv; the output is input + residual.
    assert model.get_layer("conv_out").activation is keras.activations.linear
    assert isinstance(model.layers[-1], keras.layers.Add)
    assert model.input.shape[1:] == (None, None, 1)


def test_one_block_owns_exactly_two_unit_kernels():
    model = drrn(blocks=2, units=4, filters=8)
    for block in (layer for layer in model.layers if isinstance(layer, RecursiveBlock)):
        kernels = [w for w in block.weights if w.path.endswith("kernel")]
        names = sorted(w.path.split("/")[-2] for w in kernels)
        assert names == ["conv_a", "conv_b", "conv_in"]
    unit_kernels = [w for w in model.weights if w.path.endswith(("conv_a/kernel", "conv_b/kernel"))]
    assert len(unit_kernels) == 4  # two per block, two blocks
    assert len({id(w) for w in unit_kernels}) == 4


def test_changing_conv_a_changes_every_unit(rng):
    model = tiny_drrn(units=5, filters=8)
    block = model.get_layer("block_1")
    x = rng.random((1, 12, 12, 1)).astype("float32")
    before = [np.asarray(h) for h in block.unit_outputs(x)]
    k = block.conv_a.kernel
    k.assign(np.asarray(k) + rng.normal(0, 0.1, k.shape).astype("float32"))
    after = [np.asarray(h) for h in block.unit_outputs(x)]
    assert len(before) == 5
    for u, (b, a) in enumerate(zip(before, after)):
        assert np.abs(a - b).max() > 1e-4, f"unit {u + 1} did not change"


def test_units_follow_multipath_preactivation_formula(rng):
    model = tiny_drrn(units=3, filters=8)
    block = model.get_layer("block_1")
    x = rng.random((1, 10, 10, 1)).astype("float32")
    relu = lambda t: np.maximum(np.asarray(t), 0)  # noqa: E731
    h0 = np.asarray(block.conv_in(relu(x)))
    h = h0
    for out in block.unit_outputs(x):
        h = h0 + np.asarray(block.conv_b(relu(block.conv_a(relu(h)))))
        np.testing.assert_allclose(np.asarray(out), h, atol=1e-5)
    # Global residual: model output = input + conv_out(relu(H_U)).
    res = np.asarray(model.get_layer("conv_out")(relu(h)))
    np.testing.assert_allclose(np.asarray(model(x)), x + res, atol=1e-5)


def test_batch_norm_variant_has_one_bn_per_use_and_shared_convs():
    units = 3
    model = drrn(blocks=1, units=units, filters=8, batch_norm=True)
    bns = [w for w in model.weights if w.path.endswith("moving_mean")]
    # One before every conv application: entry conv, 2 per unit, the last conv.
    assert len(bns) == 1 + 2 * units + 1
    kernels = [w for w in model.weights if w.path.endswith("kernel")]
    assert len(kernels) == 4  # conv_in, conv_a, conv_b, conv_out
    x = np.random.default_rng(0).random((2, 9, 9, 1)).astype("float32")
    assert model(x, training=True).shape == (2, 9, 9, 1)


def test_he_normal_kernels_and_zero_biases():
    model = build_preset("drrn_b1u9", load_weights=False)  # fresh initialisation
    k = np.asarray(model.get_layer("block_1").conv_a.kernel)
    assert abs(k.std() - np.sqrt(2 / (9 * 128))) < 0.15 * np.sqrt(2 / (9 * 128))
    for w in model.weights:
        if w.path.endswith("bias"):
            assert not np.any(np.asarray(w))


@pytest.mark.parametrize("batch_norm", [False, True])
def test_keras_round_trip_is_bit_identical(tmp_path, rng, batch_norm):
    model = tiny_drrn(units=3, filters=8, batch_norm=batch_norm)
    x = rng.random((1, 17, 13, 1)).astype("float32")
    ref = np.asarray(model(x))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(np.asarray(loaded(x)), ref)
    weights = tmp_path / "m.weights.h5"
    model.save_weights(weights)
    fresh = drrn(1, 3, 8, batch_norm=batch_norm)
    fresh.load_weights(weights)
    np.testing.assert_array_equal(np.asarray(fresh(x)), ref)


@pytest.mark.slow
def test_keras_file_loads_in_a_fresh_process_after_register_keras_objects(tmp_path):
    model = tiny_drrn(units=2, filters=4)
    path = tmp_path / "m.keras"
    model.save(path)
    x = np.linspace(0, 1, 81, dtype="float32").reshape(1, 9, 9, 1)
    np.save(tmp_path / "ref.npy", np.asarray(model(x)))
    code = (
        "import numpy as np, keras, drrn_tf\n"
        "drrn_tf.register_keras_objects()\n"
        f"m = keras.saving.load_model(r'{path}', safe_mode=True)\n"
        "x = np.linspace(0, 1, 81, dtype='float32').reshape(1, 9, 9, 1)\n"
        f"assert np.array_equal(np.asarray(m(x)), np.load(r'{tmp_path / 'ref.npy'}'))\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "ok" in out.stdout


def test_drrn_is_a_model_class_whose_config_is_its_hyperparameters(tmp_path, rng):
    model = DRRN(blocks=2, units=3, filters=8, batch_norm=True, name="mine")
    assert model.get_config() == {
        "name": "mine",
        "trainable": True,
        "blocks": 2,
        "units": 3,
        "filters": 8,
        "batch_norm": True,
        "out_init": "he_normal",
        "dtype": "float32",
    }
    twin = DRRN.from_config(model.get_config())
    assert [w.shape for w in twin.weights] == [w.shape for w in model.weights] and twin.name == "mine"
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    x = rng.random((1, 11, 9, 1)).astype("float32")
    assert isinstance(loaded, DRRN) and loaded.architecture == model.architecture
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))


def test_a_drrn_built_in_mixed_precision_reloads_in_it(tmp_path):
    with dtype_policy("mixed_bfloat16"):
        model = DRRN(1, 2, 8)
    model.save(tmp_path / "bf16.keras")
    loaded = keras.saving.load_model(tmp_path / "bf16.keras")  # under the global float32 policy
    assert loaded.get_config()["dtype"] == "mixed_bfloat16"
    assert loaded.get_layer("block_1").dtype_policy.name == "mixed_bfloat16" and loaded.get_layer("conv_out").dtype_policy.name == "float32"
    assert DRRN.from_functional(keras.Model(model.inputs, model.outputs)).get_layer("block_1").dtype_policy.name == "mixed_bfloat16"


def test_from_preset_builds_the_trained_preset():
    model = DRRN.from_preset("drrn_b1u9_f32")
    assert model.architecture == {"blocks": 1, "units": 9, "filters": 32, "batch_norm": False}
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), build_preset("drrn_b1u9_f32").get_weights()))
    with pytest.raises(ValueError, match="not a DRRN"):
        DRRN.from_preset("vdsr")


def test_a_functional_drrn_becomes_the_class_with_its_weights_and_nothing_else_does(rng):
    old = DRRN(1, 2, 8)
    functional = keras.Model(old.inputs, old.outputs, name="old")  # what a file saved before the class holds
    x = rng.random((1, 9, 9, 1)).astype("float32")
    converted = DRRN.from_functional(functional)
    assert isinstance(converted, DRRN) and converted.name == "old"
    np.testing.assert_array_equal(np.asarray(converted(x)), np.asarray(functional(x)))
    assert DRRN.from_functional(vdsr(depth=3, filters=4)) is None
    assert DRRN.from_functional(old) is None  # already the class
    # DRRN's layer names and weight shapes, but another head: not converted (it would change the output)
    inp = keras.Input((None, None, 1), name="lr_up_y")
    x = PreActivation(False, name="act_out")(RecursiveBlock(units=2, filters=8, name="block_1")(inp))
    head = keras.layers.Conv2D(1, 3, padding="same", activation="tanh", name="conv_out", dtype="float32")(x)
    lookalike = keras.Model(inp, keras.layers.Add(name="global_residual", dtype="float32")([inp, head]))
    assert DRRN.from_functional(lookalike) is None
    assert drrn_tf.model_stats(lookalike)["architecture"] == {"blocks": 1, "units": 2, "filters": 8, "batch_norm": False}


def test_drrn_takes_its_arguments_in_the_order_of_the_former_builder():
    assert drrn(1, 2, 8, False, "mine").name == "mine"


def test_a_mixed_precision_checkpoint_runs_in_float32_when_loaded_to_run(tmp_path, rng):
    import drrn_tf

    with dtype_policy("mixed_bfloat16"):
        DRRN(1, 2, 8).save(tmp_path / "ckpt.keras")
    loaded = drrn_tf.load_model(str(tmp_path / "ckpt.keras"))
    assert loaded.policy_name == "float32" and loaded.get_layer("block_1").conv_a.compute_dtype == "float32"


def test_presets_are_registered():
    assert {"drrn_b1u9", "drrn_b1u25", "vdsr", "srcnn"} <= set(PRESETS)
    with pytest.raises(KeyError):
        build_preset("nope")
