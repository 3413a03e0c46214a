"""The streaming upscaler: tile by tile from input pixels to output pixels, the whole-image numbers."""

import numpy as np
import pytest
from conftest import tiny_drrn

from drrn_tf.inference.stream import upscale_stream
from drrn_tf.nn.predict import predict_y
from drrn_tf.nn.stats import receptive_radius
from drrn_tf.protocol.matlab import imresize, matlab_round, rgb2ycbcr, ycbcr2rgb
from drrn_tf.upscale.image import upscale_pixels


def whole_image_upscale(model, pixels, scale, window=None):
    """The whole-image path, written out: every channel upscaled at once in float64."""
    peak = float(np.iinfo(pixels.dtype).max)
    x = pixels.astype(np.float64) / peak

    def restore(y):
        return y if model is None else predict_y(model, y, window=window).astype(np.float64)

    if x.ndim == 2:
        out = restore(imresize(x, scale))
    else:
        ycc = imresize(rgb2ycbcr(x[..., :3]), scale)
        ycc[..., 0] = restore(ycc[..., 0])
        out = ycbcr2rgb(ycc)
        if x.shape[2] == 4:
            out = np.concatenate([out, imresize(x[..., 3:], scale)], axis=2)
    return np.clip(matlab_round(out * peak), 0, peak).astype(pixels.dtype)


CASES = [((37, 53), np.uint8), ((40, 61, 3), np.uint8), ((33, 29, 4), np.uint16), ((50, 47, 3), np.uint16)]


@pytest.mark.parametrize("shape,dtype", CASES)
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_bicubic_stream_is_bit_identical_to_whole_image(rng, shape, dtype, scale):
    pixels = rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)
    ref = whole_image_upscale(None, pixels, scale)
    for window in (16, 37, 10_000):
        assert (upscale_stream(pixels, scale, None, window=window, halo=0) == ref).all(), window


@pytest.mark.parametrize("shape,dtype", CASES)
def test_network_stream_equals_whole_image(rng, shape, dtype):
    """Tiles of the streamed path are bit-identical to the whole-image path tiled the same way,
    and within one grey level of an untiled whole-image pass."""
    model = tiny_drrn(units=3, filters=8)
    pixels = rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)
    window = 2 * receptive_radius(model) + 11
    streamed = upscale_pixels(model, pixels, 3, window=window)
    assert (streamed == whole_image_upscale(model, pixels, 3, window=window)).all()
    untiled = whole_image_upscale(model, pixels, 3, window=10_000)
    assert np.abs(streamed.astype(np.int64) - untiled).max() <= 1
    assert np.abs(streamed.astype(np.int64) - whole_image_upscale(None, pixels, 3)).max() > 0  # the network did something


def test_memory_budget_is_validated():
    model = tiny_drrn(units=1, filters=4)
    pixels = np.zeros((8, 8), np.uint8)
    for bad in (-1, 0, float("nan"), float("inf"), "lots"):
        with pytest.raises(ValueError, match="memory_mb"):
            upscale_pixels(model, pixels, 2, memory_mb=bad)


def test_float_images_in_unit_range(rng):
    """Float input in [0, 1] gives float32 output, the uint16 path's numbers without rounding."""
    rgb16 = rng.integers(0, 65535, (20, 24, 3), endpoint=True).astype(np.uint16)
    as_float = upscale_pixels(None, rgb16 / 65535.0, 2)
    assert as_float.dtype == np.float32 and as_float.shape == (40, 48, 3)
    assert np.abs(as_float * 65535 - upscale_pixels(None, rgb16, 2)).max() <= 0.51


def test_upscale_image_takes_a_path_a_pil_image_or_an_array(tmp_path):
    from PIL import Image

    from drrn_tf.io.images import write_image
    from drrn_tf.upscale.image import upscale_image

    model = tiny_drrn(units=2, filters=4)
    rgba = np.random.default_rng(3).integers(0, 256, (13, 17, 4), dtype=np.uint8)
    write_image(tmp_path / "in.png", rgba)
    from_array = upscale_image(rgba, 2, model)
    from_path = upscale_image(tmp_path / "in.png", 2, model)
    from_pil = upscale_image(Image.fromarray(rgba), 2, model)
    assert isinstance(from_pil, Image.Image) and from_pil.mode == "RGBA"
    assert from_array.shape == (26, 34, 4) and np.array_equal(from_path, from_array) and np.array_equal(np.asarray(from_pil), from_array)
    assert np.array_equal(from_array, upscale_pixels(model, rgba, 2))
    assert np.array_equal(upscale_image(rgba, 3, None), upscale_pixels(None, rgba, 3))  # None: bicubic
    with pytest.raises(TypeError, match="a path, a PIL image or a numpy array"):
        upscale_image([[1, 2]], 2, model)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_row_bands_in_threads_compute_the_same_numbers(monkeypatch, workers):
    import drrn_tf.inference.stream as stream

    model = tiny_drrn(units=2, filters=4)
    rgba = np.random.default_rng(7).integers(0, 65536, (70, 90, 4), dtype=np.uint16)
    monkeypatch.setattr(stream, "band_workers", lambda: 1)
    reference = upscale_pixels(model, rgba, 3, window=120)
    monkeypatch.setattr(stream, "band_workers", lambda: workers)
    assert np.array_equal(upscale_pixels(model, rgba, 3, window=120), reference)
