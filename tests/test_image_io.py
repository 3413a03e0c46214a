"""Reading user images: formats, bit depths, orientation, and clear errors."""

import numpy as np
import pytest
from PIL import Image, ImageOps

from drrn_tf.errors import InputError
from drrn_tf.io.images import list_images, read_image, write_image


def _photo(rng, h=12, w=17):
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow(tmp_path, rng, orientation):
    path = tmp_path / f"o{orientation}.png"
    im = Image.fromarray(_photo(rng))
    exif = Image.Exif()
    exif[0x0112] = orientation
    im.save(path, exif=exif)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
    np.testing.assert_array_equal(read_image(path).pixels, expected)


def test_modes_are_preserved(tmp_path, rng):
    rgb = _photo(rng)
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    Image.fromarray(rgb[..., 0]).save(tmp_path / "gray.png")
    rgba = np.dstack([rgb, rng.integers(0, 256, rgb.shape[:2], dtype=np.uint8)])
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=16).save(tmp_path / "pal.png")
    g16 = rng.integers(0, 65536, (9, 11), dtype=np.uint16)
    Image.fromarray(g16).save(tmp_path / "g16.png")
    import cv2

    c16 = rng.integers(0, 65536, (9, 11, 3), dtype=np.uint16)
    cv2.imwrite(str(tmp_path / "c16.png"), c16[..., ::-1])

    np.testing.assert_array_equal(read_image(tmp_path / "rgb.png").pixels, rgb)
    np.testing.assert_array_equal(read_image(tmp_path / "gray.png").pixels, rgb[..., 0])
    np.testing.assert_array_equal(read_image(tmp_path / "rgba.png").pixels, rgba)
    pal = read_image(tmp_path / "pal.png").pixels
    assert pal.shape == rgb.shape and pal.dtype == np.uint8
    np.testing.assert_array_equal(pal, np.asarray(Image.open(tmp_path / "pal.png").convert("RGB")))
    got16 = read_image(tmp_path / "g16.png").pixels
    assert got16.dtype == np.uint16
    np.testing.assert_array_equal(got16, g16)
    np.testing.assert_array_equal(read_image(tmp_path / "c16.png").pixels, c16)


def test_write_round_trip_and_16bit(tmp_path, rng):
    rgba = np.dstack([_photo(rng), np.full((12, 17), 200, np.uint8)])
    write_image(tmp_path / "a.png", rgba)
    np.testing.assert_array_equal(read_image(tmp_path / "a.png").pixels, rgba)
    g16 = rng.integers(0, 65536, (5, 6), dtype=np.uint16)
    write_image(tmp_path / "b.png", g16)
    np.testing.assert_array_equal(read_image(tmp_path / "b.png").pixels, g16)
    write_image(tmp_path / "c.jpg", g16)  # JPEG has no 16-bit: reduced to 8
    assert read_image(tmp_path / "c.jpg").pixels.dtype == np.uint8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png", "c.jpg"]  # no temp files left


def test_bad_files_give_clear_errors(tmp_path, data_dir):
    (tmp_path / "notes.png").write_text("not a picture")
    good = (data_dir / "Set5" / "bird.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(good[: len(good) // 2])
    (tmp_path / "empty.png").write_bytes(b"")
    cases = {
        tmp_path / "missing.png": "no such file",
        tmp_path / "notes.png": "not an image",
        tmp_path / "cut.png": "truncated",
        tmp_path / "empty.png": "empty file",
        tmp_path: "is a folder",
    }
    for path, words in cases.items():
        with pytest.raises(InputError) as e:
            read_image(path)
        msg = str(e.value)
        assert words in msg and str(path) in msg and "\n" not in msg


def test_list_images(tmp_path):
    with pytest.raises(InputError, match="no images"):
        list_images(tmp_path)
    with pytest.raises(InputError, match="no such folder"):
        list_images(tmp_path / "nope")
    (tmp_path / "b.PNG").write_bytes(b"x")
    (tmp_path / "a.jpg").write_bytes(b"x")
    (tmp_path / "readme.txt").write_text("x")
    assert [p.name for p in list_images(tmp_path)] == ["a.jpg", "b.PNG"]


def test_float_images_keep_their_values(tmp_path):
    """A float TIFF (mode F, values in [0, 1]) and a PIL mode-F image are read as float, not as black."""
    import hostile

    from drrn_tf.upscale.image import upscale_image

    data, expected = hostile.tiff_float()
    (tmp_path / "f.tif").write_bytes(data)
    got = read_image(tmp_path / "f.tif").pixels
    assert got.dtype == np.float32 and np.array_equal(got, expected)
    out = upscale_image(Image.fromarray(expected, mode="F"), 2, model=None)
    assert out.mode == "F" and out.size == (2 * expected.shape[1], 2 * expected.shape[0])
    big = np.asarray(out)
    assert 0.2 < big.mean() < 0.8 and abs(big.mean() - expected.mean()) < 0.01
    (tmp_path / "bad.tif").write_bytes(data.replace(b"\x00\x00\x80\x3f", b"\x00\x00\x80\x7f", 1))  # its one 1.0 -> inf
    with pytest.raises(InputError, match="NaN or inf"):
        read_image(tmp_path / "bad.tif")


def test_a_tiff_whose_second_page_is_broken_reads_its_first(tmp_path):
    import hostile

    (tmp_path / "two.tif").write_bytes(hostile.tiff_second_ifd_without_width(8, 8))
    image = read_image(tmp_path / "two.tif")
    assert image.pixels.shape == (8, 8) and image.frames == 1


def test_the_format_is_decided_once_from_the_bytes(tmp_path):
    """A JPEG that Pillow's plugin walk would take for a 1x1 FLI animation is decoded as the JPEG it
    is, so the pixel limit sees its real size (or it is refused as a broken JPEG)."""
    import hostile

    (tmp_path / "poly.jpg").write_bytes(hostile.jpeg_with_fli_in_app1(tem=False))
    with pytest.raises(InputError, match="8000x6000 is 48,000,000 pixels, more than the limit of 1,000,000"):
        read_image(tmp_path / "poly.jpg", max_pixels=1_000_000)
    (tmp_path / "small.jpg").write_bytes(hostile.jpeg_with_fli_in_app1(64, 48, tem=False))
    assert read_image(tmp_path / "small.jpg").pixels.shape == (48, 64)
