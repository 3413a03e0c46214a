"""Tile engines: what runs a network on one luminance tile, for the streaming upscaler and ``predict_y``.

An engine is the tile function plus the two facts tiling needs: the halo (the network's receptive
radius) and the working memory per tile pixel in that runtime, from which the tile size follows.
``drrn_tf.nn.predict.model_engine`` makes one for a Keras model; the export stage makes LiteRT ones
(``--runtime litert``) -- for a preset with a cached export, without importing TensorFlow at all.
No TensorFlow here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from drrn_tf.errors import InputValueError
from drrn_tf.inference.stream import ENGINE_BYTES_PER_PIXEL

__all__ = [
    "TileEngine",
    "RgbEngine",
    "check_memory_mb",
    "tile_memory_mb",
    "upscale_pixel_bytes",
    "MemoryBudgetError",
    "DEFAULT_MEMORY_MB",
    "keras_bytes_per_pixel",
    "xnnpack_bytes_per_pixel",
]

# Bytes per pixel of a tile besides the network's own working memory: its float32 input and
# output, and the streaming upscaler's float64 temporaries.
OVERHEAD_BYTES_PER_PIXEL = 2 * 4 + ENGINE_BYTES_PER_PIXEL


def _default_memory_mb() -> float:
    from drrn_tf.inference.cpu import total_memory_mb

    total = total_memory_mb()
    return 3072.0 if not total else float(min(3072, int(0.75 * total)))


# The memory of an upscale, in MiB: its input and output pixels and the working memory of its tiles
# (``--memory-mb``; by default 3072, or three quarters of a smaller computer's memory). Tiles get what
# the pixels leave, at most TILE_MB (larger ones are no faster), at least MIN_TILE_MB (or the image
# is refused, before anything is decoded).
DEFAULT_MEMORY_MB = _default_memory_mb()
TILE_MB = 1024.0
MIN_TILE_MB = 32.0
# Kept aside from the budget for what no formula counts: the allocator's per-thread arenas holding
# freed tiles, the encoder's buffers (measured: 35-45 MiB beyond pixels and tiles).
SLACK_MB = 64.0


class MemoryBudgetError(InputValueError):
    """An image whose pixels do not fit in the memory budget (one line in the CLI; a ValueError in the API)."""


def check_memory_mb(memory_mb: float) -> float:
    """``memory_mb`` as a float, or ``ValueError`` if it is not a finite number > 0 that this
    machine's memory can hold."""
    from drrn_tf.inference.cpu import total_memory_mb

    if isinstance(memory_mb, bool):
        raise InputValueError(f"memory_mb must be a number, got {memory_mb!r}")
    try:
        value = float(memory_mb)
    except (TypeError, ValueError, OverflowError):
        raise InputValueError(f"memory_mb must be a number, got {memory_mb!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise InputValueError(f"memory_mb must be a finite number > 0, got {memory_mb!r}")
    total = total_memory_mb()
    if total and value > total:
        raise InputValueError(f"memory_mb {value:,.0f} is more than the {total:,.0f} MiB of memory this computer has")
    return value


def tile_memory_mb(memory_mb: float, pixel_bytes: int, what: str = "the image") -> float:
    """The working memory (MiB) left for tiles once ``pixel_bytes`` of pixels (input and output, or a decoder's peak) are held
    within ``memory_mb``; ``MemoryBudgetError`` if less than ``MIN_TILE_MB`` is left."""
    memory_mb = check_memory_mb(memory_mb)
    pixels_mb = pixel_bytes / 2**20
    left = memory_mb - pixels_mb - SLACK_MB
    if left < MIN_TILE_MB:
        raise MemoryBudgetError(
            f"{what} needs {pixels_mb + MIN_TILE_MB + SLACK_MB:,.0f} MiB ({pixels_mb:,.0f} for its pixels, "
            f"{MIN_TILE_MB + SLACK_MB:.0f} for tiles and buffers), more than the memory budget of {memory_mb:,.0f} MiB (raise it with --memory-mb)"
        )
    return min(left, TILE_MB)


def upscale_pixel_bytes(height: int, width: int, channels: int, itemsize: int, scale: int) -> int:
    """Bytes of an upscale's input and output pixel buffers (a float input gives float32 output)."""
    return height * width * channels * (itemsize + min(itemsize, 4) * scale * scale)


def keras_bytes_per_pixel(channels: int) -> int:
    """TensorFlow: about six float32 feature maps of the widest layer are alive at once."""
    return 4 * 6 * channels


def xnnpack_bytes_per_pixel(halo: int, channels: int) -> int:
    """LiteRT (XNNPACK): for every 3x3 convolution of the graph (as many as the receptive radius) an
    indirection buffer of nine 8-byte pointers per output pixel -- 72 bytes per pixel per convolution,
    more than the int8 feature maps. Measured: ~1.6 KB per pixel for ``drrn_b1u9_f32`` (radius 20,
    32 channels; estimate 1.63 KB) and ~2.0 KB for ``drrn_b1u9`` (128 channels; estimate 2.2 KB),
    whose Keras graphs need ~0.6 and ~3.3 KB. Written for DRRN's 3x3 convolutions: a graph with
    larger kernels (SRCNN's 9x9, 5x5) keeps more pointers per unit of radius than this counts."""
    return 72 * max(halo, 1) + 6 * channels


class TileEngine(NamedTuple):
    """A luminance network: LR-up Y in, restored Y out, at any size (``fixed=None``) or at one."""

    name: str
    run: Callable[[np.ndarray], np.ndarray]  # (h, w) float32 Y tile in [0, 1] -> the restored tile
    halo: int  # receptive radius: the overlap each tile needs
    bytes_per_pixel: int  # the network's working memory per tile pixel in this runtime
    # (h, w) of a fixed-shape model: tiles are cut at exactly that size (``run`` pads a smaller
    # image by mirroring, as the web and Android demos do); None: any size.
    fixed: tuple[int, int] | None = None
    runtime: str = "keras"  # what runs it, for the line a command prints: "keras", "litert int8", "onnxruntime fp32", ...
    why: str = ""  # why this runtime (drrn_tf.load_engine says)

    def window(self, memory_mb: float = 1024.0) -> int | tuple[int, int]:
        """Largest square tile (output pixels) whose working memory fits in about ``memory_mb`` MiB;
        a fixed-shape model's own (h, w)."""
        if self.fixed is not None:
            return self.fixed
        side = int(math.sqrt(check_memory_mb(memory_mb) * 2**20 / (self.bytes_per_pixel + OVERHEAD_BYTES_PER_PIXEL)))
        return max(side, 2 * self.halo + 32)


class RgbEngine(NamedTuple):
    """An end-to-end model (``drrn export --e2e-scale``): a fixed-size LR RGB uint8 tile in, the tile
    ``scale`` times larger out, colour conversion and bicubic inside the graph."""

    name: str
    run: Callable[[np.ndarray], np.ndarray]  # (h, w, 3) uint8 -> (scale*h, scale*w, 3) uint8
    lr_shape: tuple[int, int]  # the model's input (h, w)
    scale: int
    halo_lr: int  # LR pixels of overlap each tile needs
    runtime: str = "litert"
    why: str = ""
