"""Any scale or size: the streaming upscale is MATLAB's imresize at real factors and target sizes,
and the evaluation protocol takes real scales."""

import numpy as np
import pytest

from drrn_tf.protocol.evaluation import bicubic_input, protocol_crop, scale_fraction, shave_border
from drrn_tf.protocol.matlab import imresize
from drrn_tf.upscale.image import output_plan, upscale_pixels


@pytest.mark.parametrize("scale", [1.5, 2.5, 3.5, 8, 1.0, 2.37])
def test_real_scales_are_imresize_exactly(scale, rng):
    x = (rng.random((37, 29, 3)) * 255).astype(np.uint8)
    gray = x[..., 0].astype(np.float64) / 255
    out = upscale_pixels(None, gray, scale, window=40)  # several tiles
    ref = np.clip(imresize(gray, scale), 0, 1)  # an image: clipped to its range
    assert out.shape == ref.shape == (int(np.ceil(37 * scale)), int(np.ceil(29 * scale)))
    np.testing.assert_allclose(out, ref, atol=1e-6)  # float32 out
    # 8-bit colour goes through [0, 1] and YCbCr and back: a level apart where a value is a half
    diff = np.abs(upscale_pixels(None, x, scale, window=40).astype(int) - imresize(x, scale))
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3


def test_target_sizes_are_imresize_exactly(rng):
    gray = (rng.random((40, 30)) * 65535).astype(np.uint16)
    out = upscale_pixels(None, gray, size=(100, 61), window=33)
    assert np.abs(out.astype(int) - imresize(gray, size=(100, 61))).max() <= 1
    rgba = (rng.random((20, 25, 4)) * 255).astype(np.uint8)
    assert upscale_pixels(None, rgba, size=(60, 75)).shape == (60, 75, 4)


def test_a_network_runs_at_any_scale(rng):
    from conftest import identity_drrn

    x = (rng.random((21, 17)) * 255).astype(np.uint8)
    x = x / 255.0
    np.testing.assert_allclose(upscale_pixels(identity_drrn(), x, 2.5), np.clip(imresize(x, 2.5), 0, 1), atol=1e-5)  # the identity network is bicubic


@pytest.mark.parametrize(
    "scale, size, says",
    [
        (0.5, None, "from 1 to 16"),
        (17, None, "from 1 to 16"),
        (None, None, "either a scale or a size"),
        (2, (40, 40), "either"),
        (None, (10, 80), "from 1 to 16 times"),
    ],
)
def test_bad_scales_and_sizes(scale, size, says):
    with pytest.raises(ValueError, match=says):
        output_plan(20, 20, scale, size)


def test_protocol_at_real_scales(rng):
    y = (rng.random((53, 47)) * 255).astype(np.uint8)
    assert scale_fraction(2.5).numerator == 5 and shave_border(2.5) == 3
    hr, up = bicubic_input(y, 2.5)
    assert hr.shape == (50, 45) == up.shape and protocol_crop(y, 2.5).shape == (50, 45)
    np.testing.assert_array_equal(up, imresize(imresize(hr, size=(20, 18)), size=(50, 45)))
    hr2, up2 = bicubic_input(y, 2)  # an integer scale: the paper's modcrop and imresize calls, unchanged
    np.testing.assert_array_equal(up2, imresize(imresize(hr2, 0.5), 2))
    with pytest.raises(ValueError, match="fraction"):
        scale_fraction(2.37)
