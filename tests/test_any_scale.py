"""Any scale or size: the streaming upscale is MATLAB's imresize at real factors and target sizes,
and the evaluation protocol takes real scales."""

import numpy as np
import pytest

from drrn_tf.protocol.evaluation import bicubic_input, network_scale, protocol_crop, scale_fraction, shave_border
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


@pytest.mark.parametrize("scale, trained", [(1.5, 2), (2.5, 3), (3.5, 4), (8, 4), (3, 3)])
def test_a_network_runs_at_its_trained_scale_then_resamples(rng, scale, trained):
    """At x2, x3 or x4 the network runs on the bicubic upscale; at any other scale on the next trained
    scale's (at most x4), and its output is resampled to the size asked."""
    from conftest import identity_drrn

    assert network_scale(scale) == trained
    x = (rng.random((21, 17)) * 255).astype(np.uint8) / 255.0
    out = upscale_pixels(identity_drrn(), x, scale)  # the identity network: bicubic at the trained scale
    h, w = int(np.ceil(21 * scale)), int(np.ceil(17 * scale))
    want = imresize(x, trained) if scale == trained else imresize(np.clip(imresize(x, trained), 0, 1), size=(h, w))
    assert out.shape == (h, w) and out.dtype == np.float32
    np.testing.assert_allclose(out, np.clip(want, 0, 1), atol=1e-5)
    u8 = upscale_pixels(identity_drrn(), np.round(x * 255).astype(np.uint8), scale)  # 8-bit: through 16 bits, rounded once more
    assert u8.dtype == np.uint8 and np.abs(u8.astype(int) - np.round(np.clip(want, 0, 1) * 255)).max() <= 1


def test_eval_scores_what_upscale_makes(rng):
    """drrn eval at a real scale runs the network as drrn upscale does (evaluation.restore)."""
    from drrn_tf.protocol.evaluation import restore

    lr = rng.random((20, 18))
    sharpen = lambda y: np.clip(1.5 * y - 0.25, 0, 1)  # noqa: E731
    np.testing.assert_allclose(restore(sharpen, lr, 1.5, (30, 27)), np.clip(imresize(sharpen(imresize(lr, 2)), size=(30, 27)), 0, 1))
    np.testing.assert_array_equal(restore(sharpen, lr, 3, (60, 54)), sharpen(imresize(lr, 3)))


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


def _photo(path, w=30, h=20, orientation=None):
    from PIL import Image

    yy, xx = np.mgrid[0:h, 0:w]
    a = (np.dstack([xx * 8 % 256, yy * 12 % 256, (xx + yy) * 5 % 256])).astype(np.uint8)
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    Image.fromarray(a).save(path, quality=90, exif=exif.tobytes())
    return path


@pytest.mark.parametrize(
    "how, size",
    [
        (["-s", "2.5"], (75, 50)),
        (["-s", "8"], (240, 160)),
        (["--width", "3000"], (3000, 1995)),  # 133 * 3000 / 200
        (["--height", "45"], (68, 45)),
        (["--size", "40x60"], (40, 60)),
    ],
)
def test_upscale_command_takes_any_scale_or_size(tmp_path, how, size):
    from PIL import Image

    from drrn_tf.cli import main

    out = tmp_path / "out.png"
    assert (
        main(
            [
                "upscale",
                str(_photo(tmp_path / "p.jpg", w=30 if how[0] != "--width" else 200, h=20 if how[0] != "--width" else 133)),
                *how,
                "-o",
                str(out),
                "--model",
                "bicubic",
                "--quiet",
            ]
        )
        == 0
    )
    with Image.open(out) as im:
        assert im.size == size


def test_a_width_is_of_the_picture_as_shown(tmp_path):
    """A portrait photo stored landscape (EXIF orientation 6): --width is its shown width."""
    from PIL import Image

    from drrn_tf.cli import main

    out = tmp_path / "out.png"
    assert main(["upscale", str(_photo(tmp_path / "p.jpg", w=30, h=20, orientation=6)), "--width", "25", "-o", str(out), "--model", "bicubic", "--quiet"]) == 0
    with Image.open(out) as im:
        assert im.size == (25, 38)  # shown 20x30: 25 wide, 37.5 -> 38 high


def test_a_folder_is_named_by_the_size_asked(tmp_path):
    from drrn_tf.cli import main

    d = tmp_path / "in"
    d.mkdir()
    _photo(d / "a.jpg")
    _photo(d / "b.jpg", w=24, h=24)
    assert main(["upscale", str(d), "--width", "48", "-o", str(tmp_path / "o"), "--model", "bicubic", "--quiet"]) == 0
    assert main(["upscale", str(d), "-s", "1.5", "-o", str(tmp_path / "o"), "--model", "bicubic", "--quiet"]) == 0
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["a_w48.jpg", "a_x1.5.jpg", "b_w48.jpg", "b_x1.5.jpg"]


@pytest.mark.parametrize(
    "how, says",
    [
        (["--width", "10"], "p.jpg: size 10x7 must be from 1 to 16 times the input's 30x20 on each axis"),
        (["-s", "0.5"], "argument -s/--scale: must be from 1 to 16, got '0.5'"),
        (["-s", "two"], "expected a number from 1 to 16, got 'two'"),
        (["--size", "40"], "expected WIDTHxHEIGHT in pixels"),
        (["-s", "2", "--width", "40"], "not allowed with argument"),
    ],
)
def test_sizes_it_cannot_give_are_refused_in_one_line(tmp_path, capsys, how, says):
    from drrn_tf.cli import main

    photo = _photo(tmp_path / "p.jpg")
    try:
        code = main(["upscale", str(photo), *how, "-o", str(tmp_path / "o.png"), "--model", "bicubic"])
    except SystemExit as e:  # argparse's refusals
        code = e.code
    err = capsys.readouterr().err
    assert code == 2 and says in err and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.jpg"]


def test_the_other_side_is_rounded_half_up_and_the_turn_is_known_before_decoding():
    from drrn_tf.upscale.image import Target

    assert Target(width=6).size(3, 4) == (5, 6) and Target(width=10).size(3, 4) == (8, 10)  # 4.5 -> 5, 7.5 -> 8
    assert Target(height=5).size(2, 3) == (5, 8)  # 7.5 -> 8
    t = Target(width=16000)
    assert t.bound(6000, 8000, False)[:2] == (12000, 16000)  # as stored
    assert t.bound(6000, 8000, True)[:2] == (21333, 16000)  # shown turned: 6000 wide, 8000 high
    assert t.bound(6000, 8000, None)[:2] == (21333, 16000)  # not known (PNG): the larger of the two
    with pytest.raises(ValueError, match="from 1 to 16 times"):
        Target(width=100).bound(6000, 8000, False)


def test_an_output_folder_may_be_named_like_its_outputs(tmp_path):
    from drrn_tf.cli import main

    d = tmp_path / "in"
    d.mkdir()
    _photo(d / "a.jpg")
    _photo(d / "b.jpg")
    assert main(["upscale", str(d), "-s", "2.5", "-o", str(tmp_path / "in_x2.5"), "--model", "bicubic", "--quiet"]) == 0
    assert main(["upscale", str(d / "a.jpg"), "-s", "2.5", "-o", f"{tmp_path / 'one_x2.5'}/", "--model", "bicubic", "--quiet"]) == 0
    assert sorted(p.name for p in (tmp_path / "in_x2.5").iterdir()) == ["a_x2.5.jpg", "b_x2.5.jpg"]
    assert [p.name for p in (tmp_path / "one_x2.5").iterdir()] == ["a_x2.5.jpg"]
