"""imresize, colour conversion and crops against hand-derived MATLAB semantics."""

import numpy as np
import pytest

from drrn_tf.protocol.matlab import im2uint8, imresize, matlab_round, modcrop, rgb2ycbcr, shave, ycbcr2rgb


def test_cubic_upscale_x2_matches_hand_derived_weights():
    # A 1x4 row upscaled x2. For output 1, u = 0.75: taps at source positions
    # -1, 0, 1, 2 (1-based) with cubic weights -3/128, 29/128, 111/128, -9/128;
    # positions -1 and 0 mirror to 2 and 1, so out1 = 35/32 a - 3/32 b.
    # Output 2 (u = 1.25): taps 0..3 with -9/128, 111/128, 29/128, -3/128 -> position 0 -> a.
    a, b, c, d = 0.3, 0.9, 0.1, 0.6
    row = np.array([[a, b, c, d]])
    out = imresize(row, 2)
    assert out.shape == (2, 8)
    np.testing.assert_allclose(out[0, 0], 35 / 32 * a - 3 / 32 * b, rtol=0, atol=1e-15)
    np.testing.assert_allclose(out[0, 1], 102 / 128 * a + 29 / 128 * b - 3 / 128 * c, rtol=0, atol=1e-15)
    # Rows of a single-row image all mirror to that row.
    np.testing.assert_allclose(out[0], out[1], rtol=0, atol=1e-15)


def test_antialiased_downscale_half_matches_hand_derived_weights():
    # Shrinking by 1/2: kernel h(x) = 0.5 * cubic(x / 2), width 8, 10 taps.
    # Output 1: u = 1.5; weights at positions -3..6 are
    # 0, -3/256, -9/256, 29/256, 111/256, 111/256, 29/256, -9/256, -3/256, 0
    # and positions -2, -1, 0 mirror to 3, 2, 1.
    x = np.arange(1, 9, dtype=np.float64) ** 1.5
    out = imresize(x[:, None], size=(4, 1))[:, 0]
    expected0 = (29 + 111) / 256 * x[0] + (111 - 9) / 256 * x[1] + (29 - 3) / 256 * x[2] - 9 / 256 * x[3] - 3 / 256 * x[4]
    np.testing.assert_allclose(out[0], expected0, rtol=0, atol=1e-13)
    # The same through the scale argument, on a 2-D image.
    img = np.tile(x[:, None], (1, 8))
    np.testing.assert_allclose(imresize(img, 0.5)[0, 0], expected0, rtol=0, atol=1e-13)


def test_constant_and_linear_signals_are_reproduced():
    const = np.full((9, 7), 0.37)
    for s in (2, 3, 4, 1 / 2, 1 / 3, 1 / 4):
        np.testing.assert_allclose(imresize(const, s), 0.37, atol=1e-14)
    # Keys' cubic (a = -0.5) reproduces linear functions away from the borders.
    ramp = np.tile(np.arange(20, dtype=np.float64), (20, 1))
    up = imresize(ramp, 3)
    u = (np.arange(1, 61) / 3 + 0.5 * (1 - 1 / 3)) - 1  # source coordinate, 0-based
    np.testing.assert_allclose(up[10, 6:-6], u[6:-6], atol=1e-12)


@pytest.mark.parametrize(
    "shape,scale,expected",
    [
        ((7, 5), 1 / 3, (3, 2)),
        ((9, 6), 1 / 3, (3, 2)),
        ((10, 11), 1 / 3, (4, 4)),
        ((7, 5), 1 / 2, (4, 3)),
        ((7, 5), 2, (14, 10)),
        ((7, 5), 3, (21, 15)),
        ((13, 17), 1 / 4, (4, 5)),
    ],
)
def test_matlab_output_size_rule(shape, scale, expected):
    assert imresize(np.zeros(shape), scale).shape == expected


def test_output_size_argument_and_channels():
    img = np.random.default_rng(0).random((12, 10, 3))
    out = imresize(img, size=(5, 7))
    assert out.shape == (5, 7, 3)
    # Channels are resized independently.
    np.testing.assert_allclose(out[..., 1], imresize(img[..., 1], size=(5, 7)), atol=1e-15)


def test_round_trips_keep_shape_and_smooth_content():
    yy, xx = np.mgrid[0:96, 0:96] / 96.0
    smooth = 0.5 + 0.25 * np.sin(2 * np.pi * xx) * np.cos(2 * np.pi * yy)
    for s in (2, 3, 4):
        hr = modcrop(smooth, s)
        back = imresize(imresize(hr, 1 / s), s)
        assert back.shape == hr.shape
        assert np.abs(shave(back - hr, s)).max() < 0.01
    # Upscaling then shrinking by the same factor nearly inverts.
    up_down = imresize(imresize(smooth, 2), 1 / 2)
    assert up_down.shape == smooth.shape
    assert np.abs(up_down - smooth)[4:-4, 4:-4].max() < 1e-3


def test_dtype_behaviour():
    f32 = np.random.default_rng(1).random((8, 8)).astype(np.float32)
    assert imresize(f32, 2).dtype == np.float32
    u8 = (f32 * 255).astype(np.uint8)
    out = imresize(u8, 2)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, np.clip(matlab_round(imresize(u8.astype(np.float64), 2)), 0, 255))
    with pytest.raises(ValueError):
        imresize(np.zeros((4,)), 2)
    with pytest.raises(ValueError):
        imresize(np.zeros((4, 4)), 0)


def test_rgb2ycbcr_known_values():
    rgb = np.array([[[255, 255, 255], [0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]]], dtype=np.uint8)
    ycc = rgb2ycbcr(rgb)
    assert ycc.dtype == np.uint8
    expected = [[235, 128, 128], [16, 128, 128], [81, 90, 240], [145, 54, 34], [41, 240, 110]]
    np.testing.assert_array_equal(ycc[0], expected)
    # Float: exact MATLAB values (red = [81.481, 90.203, 240] / 255).
    red = rgb2ycbcr(np.array([[[1.0, 0.0, 0.0]]]))[0, 0] * 255
    np.testing.assert_allclose(red, [81.481, 128 - 37.797, 240.0], atol=1e-9)


def test_ycbcr_round_trip_and_rounding():
    x = np.random.default_rng(2).random((6, 5, 3))
    np.testing.assert_allclose(ycbcr2rgb(rgb2ycbcr(x)), x, atol=1e-12)
    assert matlab_round(np.array([0.5, 1.5, 2.5, -0.5]))[2] == 3.0  # half away from zero
    np.testing.assert_array_equal(im2uint8(np.array([-0.1, 0.5 / 255, 1.2])), [0, 1, 255])


def test_modcrop_and_shave():
    img = np.arange(7 * 10).reshape(7, 10)
    assert modcrop(img, 3).shape == (6, 9)
    assert modcrop(img, 2).shape == (6, 10)
    np.testing.assert_array_equal(shave(img, 2), img[2:-2, 2:-2])
    assert shave(img, 0) is img


def test_im2uint8_is_matlabs_for_each_dtype():
    from drrn_tf.protocol.matlab import im2uint8

    u8 = np.array([0, 7, 255], np.uint8)
    assert im2uint8(u8) is u8 or np.array_equal(im2uint8(u8), u8)
    assert im2uint8(np.array([0, 128, 129, 385, 65535], np.uint16)).tolist() == [0, 0, 1, 1, 255]  # round(x / 257)
    assert im2uint8(np.array([-0.1, 0.5 / 255, 1.5 / 255, 0.999, 1.2])).tolist() == [0, 1, 2, 255, 255]  # halves away from zero
    with pytest.raises(TypeError, match="uint8, uint16 or float"):
        im2uint8(np.array([1, 2], np.int32))
