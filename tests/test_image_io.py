"""Reading user images: formats, bit depths, orientation, and clear errors."""

import numpy as np
import pytest
from PIL import Image, ImageOps

from drrn_tf.errors import InputError
from drrn_tf.image_io import list_images, read_image, write_image


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
