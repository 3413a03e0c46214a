"""Upscale a user's picture: Y through the network, colour and alpha by bicubic.

Gray images go through the network directly; RGB is converted to YCbCr (BT.601,
float, unrounded), all three channels are bicubic-upscaled with the MATLAB-exact
kernel, Y is restored by the network, and the result goes back to RGB. An alpha
channel is upscaled bicubically. 8-bit in gives 8-bit out, 16-bit in gives 16-bit out.
The work streams tile by tile from input to output pixels (``drrn_tf.inference.stream``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from drrn_tf.inference.engines import DEFAULT_MEMORY_MB, OVERHEAD_BYTES_PER_PIXEL, RgbEngine, TileEngine, tile_memory_mb, upscale_pixel_bytes
from drrn_tf.inference.ensemble import self_ensemble
from drrn_tf.inference.stream import ENGINE_BYTES_PER_PIXEL, upscale_stream
from drrn_tf.io.images import check_pixels
from drrn_tf.nn.presets import DEFAULT_PRESET
from drrn_tf.protocol.evaluation import network_scale, resampled
from drrn_tf.protocol.matlab import resize_plan

if TYPE_CHECKING:
    import keras

__all__ = ["upscale_image", "upscale_pixels", "check_scale", "output_plan", "pixel_bytes", "Target", "MAX_SCALE"]


def upscale_pixels(
    model: keras.Model | TileEngine | RgbEngine | str | None,
    pixels: np.ndarray,
    scale: float | None = None,
    *,
    size: tuple[int, int] | None = None,
    window: int | None = None,
    memory_mb: float = DEFAULT_MEMORY_MB,
    runtime: str = "auto",
    ensemble: bool = False,
    progress: Callable[[Iterable], Iterable] = lambda it: it,
) -> np.ndarray:
    """Upscale pixels (gray (H, W) or (H, W, 1), RGB or RGBA; uint8, uint16, or float in [0, 1])
    by ``scale`` or to ``size``; the result has the input's dtype (float: float32, not rounded).

    ``scale``: any real factor from 1 to 16; the output is ceil(scale * side) pixels on each axis, as
    MATLAB's imresize. ``size``: (height, width) of the output instead (each axis upscaled by its own
    factor; none below 1). The network was trained at 2, 3 and 4: at another scale or a size it runs
    at the next of those up (at most 4), and its output is resampled to the size asked by MATLAB's
    bicubic (``drrn_tf.protocol.evaluation.network_scale`` says why).

    ``model``: a Keras model, an engine (``drrn_tf.load_engine``), a model spec as
    ``drrn_tf.load_engine`` takes (a preset name, a ``.keras``, ``.tflite`` or ``.onnx`` file),
    or ``None`` for plain bicubic interpolation. ``memory_mb``: the memory of the whole upscale in MiB:
    input and output pixels, 64 MiB of slack, and tiles with what is left (at most 1024); pixels that
    leave less than 32 MiB for tiles raise ``MemoryBudgetError`` (a
    ``ValueError``). ``window`` is the tile side in output pixels (default: the largest whose working
    memory fits; a fixed-shape model's own size); ``runtime``, for a Keras model or a spec: as
    ``drrn_tf.load_engine`` takes it (a Keras model runs in Keras unless told otherwise);
    ``ensemble``: run the network as the x8 self-ensemble (``drrn_tf.self_ensemble``: 8x the time,
    a little more quality); ``progress`` wraps the list of tiles.
    """
    pixels = check_pixels(pixels)
    h, w = pixels.shape[:2]
    (out_h, out_w), (sh, sw) = output_plan(h, w, scale, size)
    if window is not None and (isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1):
        raise ValueError(f"window must be a whole number of pixels >= 1, got {window!r}")
    model = _engine(model, runtime)
    if ensemble:
        model = self_ensemble(model)
    growth = max(sh, sw)
    away = isinstance(model, TileEngine) and resampled(sh, sw)
    need = pixel_bytes(h, w, 1 if pixels.ndim == 2 else pixels.shape[2], pixels.dtype.itemsize, growth, away)
    if isinstance(model, RgbEngine):  # its 8-bit RGB copies of the input and the output too
        need += upscale_pixel_bytes(h, w, 3, 1, growth)
    tile_mb = tile_memory_mb(memory_mb, need, "the image")
    stream = functools.partial(upscale_stream, pixels, scale, size=size, progress=progress)
    if model is None:
        side = window or _bicubic_side(tile_mb)
        return stream(None, window=_thin((out_h, out_w), side, window, ENGINE_BYTES_PER_PIXEL), halo=0)
    if isinstance(model, RgbEngine):
        if size is not None or scale != model.scale:
            raise ValueError(f"{model.name} is an end-to-end x{model.scale} model; it cannot upscale {'to a size' if size else f'x{scale:g}'}")
        return _upscale_rgb(model, pixels, model.scale, memory_mb, progress)
    if not away:
        return _network_pass(model, stream, (out_h, out_w), window, tile_mb)
    return _resampled(model, pixels, network_scale(growth), (out_h, out_w), window, tile_mb, progress)


def _bicubic_side(tile_mb: float) -> int:
    """The tile side of a bicubic pass whose working memory fits ``tile_mb``."""
    return max(64, int((tile_mb * 2**20 / ENGINE_BYTES_PER_PIXEL) ** 0.5))


def _resampled(model: TileEngine, pixels: np.ndarray, t: int, out: tuple[int, int], window, tile_mb: float, progress) -> np.ndarray:
    """Another scale or a size: the network at the trained scale ``t``, then resampled to ``out``
    (``network_scale`` says why), through an intermediate with headroom (uint16, or float32)."""
    wide = np.multiply(pixels, np.uint16(257), dtype=np.uint16) if pixels.dtype == np.uint8 else pixels
    mid_size, _ = resize_plan(pixels.shape[:2], t, None)
    mid = _network_pass(model, functools.partial(upscale_stream, wide, t, progress=progress), mid_size, window, tile_mb)
    del wide
    result = upscale_stream(mid, None, None, size=out, window=_thin(out, _bicubic_side(tile_mb), None, ENGINE_BYTES_PER_PIXEL), halo=0)
    del mid
    if pixels.dtype != np.uint8:
        return result
    out8 = np.empty(result.shape, np.uint8)
    for r in range(0, result.shape[0], 256):  # round(v / 257), the 8-bit value, in bands (no image-sized temporaries)
        band = result[r : r + 256].astype(np.uint32)
        band += 128
        band //= 257
        out8[r : r + 256] = band
    return out8


def pixel_bytes(height: int, width: int, channels: int, itemsize: int, growth: float, away: bool) -> int:
    """Bytes of an upscale's pixel buffers: input and output (``growth``: the larger axis factor),
    and for a network run at another scale than asked (``away``: ``resampled``) its output at that
    scale, and for an 8-bit input its 16-bit copy and 16-bit result."""
    need = upscale_pixel_bytes(height, width, channels, itemsize, growth)
    if away:
        wide, t = max(itemsize, 2), network_scale(growth)
        need += height * width * channels * wide * (t * t + (itemsize == 1) * (1 + growth * growth))
    return int(need)


def _network_pass(model: TileEngine, stream, out: tuple[int, int], window: int | None, tile_mb: float) -> np.ndarray:
    """``stream`` (``upscale_stream`` with its pixels and scale bound) through ``model``, in its tiles."""
    if model.fixed is not None:
        return stream(model.run, window=model.fixed, halo=model.halo, balanced=False)
    side = window or model.window(tile_mb)
    bpp = model.bytes_per_pixel + OVERHEAD_BYTES_PER_PIXEL
    return stream(model.run, window=_thin(out, side, window, bpp), halo=model.halo)


def _engine(model, runtime: str) -> TileEngine | RgbEngine | None:
    """The engine that runs ``model`` (a spec, a Keras model, an engine or None)."""
    if isinstance(model, (str, os.PathLike)):
        from drrn_tf.nn.loading import load_engine

        return load_engine(model, runtime, require_trained=True)
    if model is None or isinstance(model, (TileEngine, RgbEngine)):
        return model
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a Keras model, an engine, a model spec (str) or None, got {type(model).__name__}")
    from drrn_tf.nn.predict import model_engine

    return model_engine(model, runtime)


MAX_SCALE = 16


def check_scale(scale) -> float:
    """``scale`` if it is a real number from 1 to ``MAX_SCALE``, else ``ValueError``."""
    if isinstance(scale, bool) or not isinstance(scale, (int, float, np.integer, np.floating)) or not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be a number from 1 to {MAX_SCALE}, got {scale!r}")
    return scale


def output_plan(height: int, width: int, scale: float | None, size: tuple[int, int] | None) -> tuple[tuple[int, int], tuple[float, float]]:
    """((out_h, out_w), (scale_h, scale_w)) of an upscale by ``scale`` or to ``size`` (exactly one given)."""
    if (scale is None) == (size is None):
        raise ValueError("give either a scale or a size")
    if size is not None:
        if len(size) != 2 or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) for n in size):
            raise ValueError(f"size must be (height, width) in whole pixels, got {size!r}")
        if size[0] < height or size[1] < width or max(size[0] / height, size[1] / width) > MAX_SCALE:
            raise ValueError(f"size {size[1]}x{size[0]} must be from 1 to {MAX_SCALE} times the input's {width}x{height} on each axis")
        return resize_plan((height, width), None, size)
    return resize_plan((height, width), check_scale(scale), None)


@dataclass(frozen=True)
class Target:
    """What a run of upscales asks of each picture: a ``scale`` (any real factor from 1 to 16; the
    output is ceil(scale * side) on each axis), or an output ``width`` and/or ``height`` in pixels
    (one alone: the other axis in proportion, rounded; both: exactly that size)."""

    scale: float | None = None
    width: int | None = None
    height: int | None = None

    def __post_init__(self):
        if (self.scale is None) == (self.width is None and self.height is None):
            raise ValueError("give either a scale or a width and/or height")
        if self.scale is not None:
            check_scale(self.scale)

    def size(self, height: int, width: int) -> tuple[int, int] | None:
        """(out_h, out_w) asked of a ``height`` x ``width`` picture; None for a scale."""
        if self.scale is not None:
            return None
        # the other side in proportion, rounded half up (in integers: no float ties)
        out_h = self.height if self.height is not None else (2 * height * self.width + width) // (2 * width)
        out_w = self.width if self.width is not None else (2 * width * self.height + height) // (2 * height)
        return max(out_h, 1), max(out_w, 1)

    def plan(self, height: int, width: int) -> tuple[tuple[int, int], tuple[float, float]]:
        """``output_plan`` of a ``height`` x ``width`` picture (``ValueError`` for a size it cannot give)."""
        return output_plan(height, width, self.scale, self.size(height, width))

    def bound(self, height: int, width: int, turned: bool | None = False) -> tuple[int, int, tuple[float, float]]:
        """(out_h, out_w, (scale_h, scale_w)) of a picture stored ``height`` x ``width``, before it
        is decoded: ``turned`` (``ImageHeader.turned``) says whether it is shown turned by 90
        degrees; where that is not known (None) a size is tried both ways, and the larger output of
        those that can be made is given (``ValueError`` if neither can)."""
        shown = [(height, width)] if turned is False else [(width, height)] if turned else [(height, width), (width, height)]
        found, error = [], None
        for h, w in shown:
            try:
                (out_h, out_w), scales = self.plan(h, w)
                found.append((out_h * out_w, out_h, out_w, scales))
            except ValueError as e:
                error = error or e
        if not found:
            raise error
        return max(found)[1:]

    def kwargs(self, height: int, width: int) -> dict:
        """``upscale_pixels``' ``scale=`` or ``size=`` for a ``height`` x ``width`` picture."""
        return {"scale": self.scale} if self.scale is not None else {"size": self.size(height, width)}

    @property
    def label(self) -> str:
        """The scale as written (2, 2.5), or the size asked: w3000, h2000, 3840x2160."""
        if self.scale is not None:
            return f"{float(self.scale):g}"
        if self.width is not None and self.height is not None:
            return f"{self.width}x{self.height}"
        return f"w{self.width}" if self.width is not None else f"h{self.height}"


# Bytes per row or column of a tile for its bicubic tables (weights, indices and their temporaries):
# nothing for a square tile, most of the memory of a strip a few pixels high.
TAP_BYTES_PER_LINE = 512


def _thin(out: tuple[int, int], side: int, asked: int | None, bytes_per_pixel: int) -> int | tuple[int, int]:
    """A square window of ``side``, or for an image thinner than that a strip of the same memory (a
    1-pixel-high panorama is cut into a few long tiles, not millions of short ones); ``asked``
    (the caller's ``window``) is kept as given."""
    if asked is not None:
        return side
    out_h, out_w = out
    thin = min(out_h, out_w)
    if thin >= side:
        return side
    length = max(side, side * side * bytes_per_pixel // (thin * bytes_per_pixel + TAP_BYTES_PER_LINE))
    return (out_h, length) if out_h == thin else (length, out_w)


def _upscale_rgb(engine: RgbEngine, pixels: np.ndarray, scale: int, memory_mb: float, progress) -> np.ndarray:
    """An end-to-end model on the picture's RGB (gray given as three equal channels), in tiles of its
    own input size; alpha by bicubic as always. Its pixels are 8-bit: 16-bit and float inputs are
    rounded to 8 bits for it, and the result is given back in the input's dtype."""
    from drrn_tf.inference.tiling import run_tiled
    from drrn_tf.protocol.matlab import im2uint8

    if scale != engine.scale:
        raise ValueError(f"{engine.name} is an end-to-end x{engine.scale} model; it cannot upscale x{scale}")
    gray = pixels.ndim == 2
    rgb = np.repeat(pixels[..., None], 3, axis=2) if gray else pixels[..., :3]
    if rgb.dtype == np.uint16:
        rgb8 = ((rgb.astype(np.uint32) + 128) // 257).astype(np.uint8)  # nearest 8-bit value
    else:
        rgb8 = im2uint8(rgb)
    out = run_tiled(rgb8, engine.run, engine.lr_shape, engine.halo_lr, scale=scale, fixed=True, dtype=np.uint8)
    out = out[..., 0] if gray else out
    if pixels.dtype == np.uint16:
        out = out.astype(np.uint16) * 257
    elif pixels.dtype.kind == "f":
        out = out.astype(np.float32) / 255
    if pixels.ndim == 3 and pixels.shape[2] == 4:
        alpha = upscale_pixels(None, pixels[..., 3], scale, memory_mb=memory_mb, progress=progress)
        out = np.concatenate([out, alpha[..., None]], axis=2)
    return out


def upscale_image(
    image,
    scale: float | None = None,
    model: keras.Model | TileEngine | RgbEngine | str | os.PathLike | None = DEFAULT_PRESET,
    *,
    size: tuple[int, int] | None = None,
    memory_mb: float = DEFAULT_MEMORY_MB,
    runtime: str = "auto",
    ensemble: bool = False,
    progress: Callable[[Iterable], Iterable] = lambda it: it,
):
    """Upscale a picture by ``scale`` or to ``size`` (as ``upscale_pixels`` takes them): ``image``
    is a file path, a PIL image or an array (as ``upscale_pixels`` takes). A PIL image gives a PIL
    image back; a path or an array gives the pixels (numpy, the input's dtype; a file's EXIF
    orientation applied).

    ``model``: a loaded model or engine (pass one when upscaling many pictures), a model spec as
    ``drrn_tf.load_engine`` takes (default: the default preset; a ``.tflite`` or ``.onnx`` file
    too), or ``None`` for bicubic. ``runtime``: as ``drrn_tf.load_engine`` takes it (default
    ``auto``: the fastest runtime whose quality passes the parity gate, for a spec); ``ensemble``:
    the x8 self-ensemble, as ``upscale_pixels``. ``progress`` wraps the list of tiles (``tqdm.tqdm``, for example).
    """
    from drrn_tf.io.images import pil_to_array, read_image
    from drrn_tf.nn.loading import load_engine

    if isinstance(model, (str, os.PathLike)):
        model = load_engine(model, runtime, require_trained=True)
    run = functools.partial(upscale_pixels, model, scale=scale, size=size, memory_mb=memory_mb, runtime=runtime, ensemble=ensemble, progress=progress)
    if isinstance(image, (str, os.PathLike)):
        return run(read_image(image).pixels)
    if isinstance(image, np.ndarray):
        return run(image)
    from PIL import Image

    if isinstance(image, Image.Image):
        return Image.fromarray(run(pil_to_array(image)))
    raise TypeError(f"image must be a path, a PIL image or a numpy array, got {type(image).__name__}")
