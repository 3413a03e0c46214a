"""Tile plans (the rules the demos share) and seamless tiled inference."""

import numpy as np
import pytest
from conftest import tiny_drrn

from drrn_tf.inference.engines import TileEngine, keras_bytes_per_pixel, xnnpack_bytes_per_pixel
from drrn_tf.inference.tiling import axis_plan, balanced_window, tile_plan
from drrn_tf.nn.predict import model_engine, predict_y
from drrn_tf.nn.stats import receptive_radius


@pytest.mark.parametrize("n,window,halo", [(100, 40, 10), (41, 40, 10), (40, 40, 10), (7, 40, 10), (1000, 256, 20), (333, 100, 49)])
def test_axis_plan_rules(n, window, halo):
    spans = axis_plan(n, window, halo)
    # Owned ranges partition [0, n) in order.
    assert spans[0].own_start == 0 and spans[-1].own_stop == n
    for a, b in zip(spans, spans[1:]):
        assert a.own_stop == b.own_start
    for s in spans:
        assert s.own_start < s.own_stop
        assert s.stop - s.start == min(window, n)  # fixed-size windows when the image is larger
        assert 0 <= s.start and s.stop <= n
        # Every owned pixel is >= halo away from window edges that are not image edges.
        assert s.own_start - s.start >= (0 if s.start == 0 else halo)
        assert s.stop - s.own_stop >= (0 if s.stop == n else halo)


def test_axis_plan_exact_layout():
    # window 40, halo 10 -> step 20; starts 0, 20, 40, 60 (= 100 - 40).
    assert [tuple(s) for s in axis_plan(100, 40, 10)] == [
        (0, 40, 0, 30),
        (20, 60, 30, 50),
        (40, 80, 50, 70),
        (60, 100, 70, 100),
    ]
    with pytest.raises(ValueError):
        axis_plan(100, 20, 10)
    assert len(tile_plan(100, 7, 40, 10)) == 4


def test_tiled_equals_whole_image(rng):
    model = tiny_drrn(units=3, filters=8)
    halo = receptive_radius(model)
    assert halo == 1 + 2 * 3 + 1
    y = rng.random((150, 131)).astype("float32")
    whole = predict_y(model, y, window=10_000)
    tiled = predict_y(model, y, window=2 * halo + 9)
    assert len(tile_plan(150, 131, 2 * halo + 9, halo)) > 20
    assert np.abs(tiled - whole).max() <= 1e-5
    # The model really uses context: a too-small halo would show seams.
    assert np.abs(whole - y).max() > 1e-3


def test_tiled_batch_norm_model_in_inference_mode(rng):
    model = tiny_drrn(units=2, filters=8, batch_norm=True)
    y = rng.random((90, 70)).astype("float32")
    whole = predict_y(model, y, window=10_000)
    tiled = predict_y(model, y, window=40)
    assert np.abs(tiled - whole).max() <= 1e-5


def test_default_window_respects_memory_budget():
    model = tiny_drrn(units=2, filters=8)
    engine = model_engine(model)
    big = engine.window(memory_mb=1024)
    small = engine.window(memory_mb=1)
    assert big > small >= 2 * receptive_radius(model) + 32


def test_litert_window_leaves_room_for_xnnpack_indirection_buffers():
    # XNNPACK holds 9 pointers (72 bytes) per output pixel for each of the graph's 3x3 convolutions
    # (as many as the receptive radius): a LiteRT tile must be smaller than a Keras one.
    model = tiny_drrn(units=9, filters=32)
    halo = receptive_radius(model)
    keras_side = TileEngine("keras", None, halo, keras_bytes_per_pixel(32)).window(1024)
    litert_side = TileEngine("litert", None, halo, xnnpack_bytes_per_pixel(halo, 32)).window(1024)
    assert keras_side == model_engine(model).window(1024)
    assert litert_side < keras_side


@pytest.mark.parametrize("n,window,halo", [(720, 598, 20), (656, 598, 20), (8000, 1128, 20), (41, 40, 10), (333, 100, 49), (30, 40, 10)])
def test_balanced_window_covers_with_as_few_windows_and_less_work(n, window, halo):
    b = balanced_window(n, window, halo)
    fixed, balanced = axis_plan(n, window, halo), axis_plan(n, b, halo)
    assert 2 * halo < b <= window or n <= window
    assert len(balanced) == len(fixed)
    assert sum(s.stop - s.start for s in balanced) <= sum(s.stop - s.start for s in fixed)
    assert balanced[0].own_start == 0 and balanced[-1].own_stop == n
