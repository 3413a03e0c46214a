"""Training data: aligned (LR-up, HR) luminance patches as a ``tf.data`` pipeline.

Each HR image becomes, once per scale s, the pair (bicubic LR-up, HR) of the paper's
recipe: Y (MATLAB ``rgb2ycbcr``, rounded) in [0, 1], modcrop(s), and
``imresize(imresize(HR, 1/s), s)`` with the MATLAB-exact bicubic. These pairs are
computed once, flattened into two float32 buffers, and kept in memory; patches are
then *indices* into those buffers.

The ``tf.data`` pipeline samples patch positions with stateless RNG ops (a pure
function of ``(seed, step)``), applies one of the 8 flip/rotation variants by permuting
the gather indices, and gathers a whole batch at once. Because every batch is a pure
function of the seed and its step number, a resumed run sees exactly the batches an
uninterrupted run would have seen.

Sampling modes:
  * ``grid``: the paper's stride-21 grid of 31x31 patches over every image and scale,
    times the 8 variants, reshuffled every pass (one pass = one "paper epoch").
  * ``random``: uniform over all valid patch positions and variants.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from drrn_tf.constants import SCALES
from drrn_tf.errors import InputError
from drrn_tf.io.images import list_images, read_image
from drrn_tf.protocol.evaluation import hr_luminance
from drrn_tf.protocol.matlab import imresize, modcrop

__all__ = ["PatchSource", "dihedral_offsets", "load_luminance_folder", "tfds_luminance", "finish_dataset"]


def dihedral_offsets(patch: int) -> tuple[np.ndarray, np.ndarray]:
    """(dy, dx), each (8, P, P): source offsets inside a patch for the 8 flip/rotation variants.

    Variant 0 is the identity; the 8 together are all combinations of transposing and
    flipping rows/columns (the dihedral group of the square).
    """
    i, j = np.meshgrid(np.arange(patch), np.arange(patch), indexing="ij")
    r = patch - 1
    variants = [(i, j), (i, r - j), (r - i, j), (r - i, r - j), (j, i), (j, r - i), (r - j, i), (r - j, r - i)]
    dy = np.stack([v[0] for v in variants]).astype(np.int64)
    dx = np.stack([v[1] for v in variants]).astype(np.int64)
    return dy, dx


def load_luminance_folder(folder: str | Path, progress: Callable[[Iterable], Iterable] = lambda it: it) -> tuple[list[np.ndarray], list[str]]:
    """uint8 Y of every image in a folder (the evaluation protocol's conversion)."""
    paths = list_images(folder)
    ys, names = [], []
    for p in progress(paths):
        ys.append(hr_luminance(read_image(p).pixels))
        names.append(p.name)
    return ys, names


def tfds_luminance(config: str, manual_dir, data_dir=None, split=None) -> tuple[list[np.ndarray], list[str]]:
    """uint8 Y of every image of an ``sr_image_sets`` TFDS config, in file-name order."""
    import tensorflow_datasets as tfds

    from drrn_tf.training.tfds import SrImageSets

    builder = SrImageSets(config=config, data_dir=data_dir)
    builder.download_and_prepare(download_config=tfds.download.DownloadConfig(manual_dir=str(manual_dir)))
    split = split or next(iter(builder.info.splits))
    ys, names = [], []
    for ex in tfds.as_numpy(builder.as_dataset(split=split)):
        img = ex["image"]
        ys.append(img[..., 0] if ex["grayscale"] else hr_luminance(img))
        names.append(ex["filename"].decode())
    order = np.argsort(names)  # TFDS order is not the file order; make it deterministic
    return [ys[i] for i in order], [names[i] for i in order]


def finish_dataset(ds: tf.data.Dataset) -> tf.data.Dataset:
    """A batch stream as training takes it: deterministic, sharded by data across workers, prefetched."""
    options = tf.data.Options()
    options.deterministic = True
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE)


@dataclass
class _Entry:
    name: str
    scale: int
    offset: int
    height: int
    width: int


class PatchSource:
    """(LR-up, HR) pairs of some images at some scales, computed once, held in memory."""

    def __init__(
        self,
        images: Sequence[np.ndarray],
        scales: Sequence[int] = SCALES,
        patch: int = 31,
        names: Sequence[str] | None = None,
        progress: Callable[[Iterable], Iterable] = lambda it: it,
    ):
        if patch < 3:
            raise ValueError(f"patch must be >= 3, got {patch}")
        self.patch = int(patch)
        self.scales = [int(s) for s in scales]
        names = list(names) if names is not None else [f"image_{i}" for i in range(len(images))]
        hr_parts, lr_parts, self.entries = [], [], []
        skipped = []
        offset = 0
        for name, y in progress(list(zip(names, images))):
            y = np.asarray(y)
            y = y.astype(np.float64) / 255.0 if y.dtype == np.uint8 else y.astype(np.float64)
            for s in self.scales:
                hr = modcrop(y, s)
                if min(hr.shape) < self.patch:
                    skipped.append(f"{name} (x{s})")
                    continue
                lr = imresize(imresize(hr, 1.0 / s), s)
                hr_parts.append(hr.astype(np.float32).ravel())
                lr_parts.append(lr.astype(np.float32).ravel())
                self.entries.append(_Entry(name, s, offset, hr.shape[0], hr.shape[1]))
                offset += hr.size
        if skipped:
            warnings.warn(
                f"skipped {len(skipped)} image/scale pairs smaller than a {self.patch}x{self.patch} patch: "
                + ", ".join(skipped[:10])
                + (" ..." if len(skipped) > 10 else ""),
                stacklevel=2,
            )
        if not self.entries:
            raise InputError(f"no training image is at least {self.patch}x{self.patch} pixels at scales {self.scales}")
        self.hr = np.concatenate(hr_parts)
        self.lr = np.concatenate(lr_parts)
        self.target = self.hr  # what the network learns to output: HR, or a blend with a teacher's output

    @classmethod
    def from_folder(cls, folder, scales=SCALES, patch=31, progress=lambda it: it) -> PatchSource:
        ys, names = load_luminance_folder(folder, progress)
        return cls(ys, scales, patch, names, progress)

    @classmethod
    def from_tfds(cls, config: str, manual_dir, data_dir=None, split=None, scales=SCALES, patch=31) -> PatchSource:
        """Images of an ``sr_image_sets`` TFDS config (see ``drrn_tf.training.tfds``)."""
        ys, names = tfds_luminance(config, manual_dir, data_dir, split)
        return cls(ys, scales, patch, names)

    def teach(self, teacher: Callable[[np.ndarray], np.ndarray], progress: Callable[[Iterable], Iterable] = lambda it: it) -> np.ndarray:
        """A teacher's outputs on every LR-up image, flat like ``lr``, clipped to [0, 1] as images are.

        ``teacher`` maps an (h, w) float32 LR-up luminance image to its restored (h, w) image.
        """
        out = np.empty_like(self.lr)
        for e in progress(self.entries):
            part = slice(e.offset, e.offset + e.height * e.width)
            restored = np.asarray(teacher(self.lr[part].reshape(e.height, e.width)), np.float32)
            if restored.shape != (e.height, e.width):
                raise ValueError(f"the teacher returned shape {restored.shape} for a {e.height}x{e.width} image ({e.name} x{e.scale})")
            out[part] = np.clip(restored, 0.0, 1.0).ravel()
        return out

    def distil(self, teacher_outputs: np.ndarray, weight: float = 1.0) -> None:
        """Learn ``(1 - weight) * HR + weight * teacher`` instead of HR (``teacher_outputs`` from ``teach``)."""
        teacher_outputs = np.asarray(teacher_outputs, np.float32)
        if teacher_outputs.shape != self.lr.shape:
            raise ValueError(f"teacher outputs hold {teacher_outputs.size} pixels, the training images {self.lr.size}")
        if not 0.0 < weight <= 1.0:
            raise ValueError(f"weight must be > 0 and <= 1, got {weight!r}")
        if weight == 1.0:
            self.target = teacher_outputs
        else:  # one new buffer: HR + weight * (teacher - HR)
            blend = teacher_outputs - self.hr
            blend *= np.float32(weight)
            blend += self.hr
            self.target = blend

    # ------------------------------------------------------------------ indexing
    @property
    def num_entries(self) -> int:
        return len(self.entries)

    def _meta(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        off = np.array([e.offset for e in self.entries], np.int64)
        h = np.array([e.height for e in self.entries], np.int64)
        w = np.array([e.width for e in self.entries], np.int64)
        return off, h, w

    def grid(self, stride: int = 21) -> np.ndarray:
        """(N, 3) int64 rows (entry, y, x) of the paper's patch grid."""
        rows = []
        for k, e in enumerate(self.entries):
            ys = np.arange(0, e.height - self.patch + 1, stride)
            xs = np.arange(0, e.width - self.patch + 1, stride)
            yy, xx = np.meshgrid(ys, xs, indexing="ij")
            rows.append(np.stack([np.full(yy.size, k), yy.ravel(), xx.ravel()], axis=1))
        return np.concatenate(rows).astype(np.int64)

    def patches_per_pass(self, stride: int = 21) -> int:
        """Patches in one pass over the grid, all 8 variants included."""
        return 8 * len(self.grid(stride))

    def extract(self, entry, y, x, variant) -> tuple[np.ndarray, np.ndarray]:
        """numpy reference for one patch (used by tests): (lr, target), each (P, P)."""
        e = self.entries[int(entry)]
        dy, dx = dihedral_offsets(self.patch)
        idx = e.offset + (y + dy[variant]) * e.width + (x + dx[variant])
        return self.lr[idx], self.target[idx]

    # ------------------------------------------------------------------ tf.data
    def dataset(
        self,
        batch_size: int,
        seed: int = 0,
        mode: str = "grid",
        stride: int = 21,
        start_step: int = 0,
    ) -> tf.data.Dataset:
        """Infinite dataset of (lr_up, target) batches, each (B, P, P, 1) float32; the target is HR
        unless ``distil`` blended in a teacher.

        Batch ``k`` (counting from 0 over the whole run) depends only on ``seed`` and
        ``k``; ``start_step`` starts the stream at batch ``start_step`` (for resuming).
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        gather = self._batch_gather()
        if mode == "random":
            ds = self._random_batches(gather, batch_size, seed, start_step)
        elif mode == "grid":
            ds = self._grid_batches(gather, batch_size, seed, stride, start_step)
        else:
            raise ValueError(f"mode must be 'grid' or 'random', got {mode!r}")
        return finish_dataset(ds)

    def _batch_gather(self) -> Callable:
        """``gather(entry, y, x, variant)``: the (lr_up, target) patches at those (B,) positions, each (B, P, P, 1)."""
        off_np, _, w_np = self._meta()
        off, widths = tf.constant(off_np), tf.constant(w_np)
        dy_np, dx_np = dihedral_offsets(self.patch)
        dy, dx = tf.constant(dy_np), tf.constant(dx_np)
        target_flat, lr_flat = tf.constant(self.target), tf.constant(self.lr)

        def gather(entry, y, x, variant):
            base = tf.gather(off, entry)[:, None, None]
            w = tf.gather(widths, entry)[:, None, None]
            rows = y[:, None, None] + tf.gather(dy, variant)
            cols = x[:, None, None] + tf.gather(dx, variant)
            idx = base + rows * w + cols
            return tf.gather(lr_flat, idx)[..., None], tf.gather(target_flat, idx)[..., None]

        return gather

    def _random_batches(self, gather: Callable, batch_size: int, seed: int, start_step: int) -> tf.data.Dataset:
        """Batches of patches uniform over every valid position and variant, from batch ``start_step`` on."""
        _, h_np, w_np = self._meta()
        heights, widths = tf.constant(h_np), tf.constant(w_np)
        p = self.patch
        valid = (h_np - p + 1) * (w_np - p + 1)
        logits = tf.constant(np.log(valid.astype(np.float64))[None, :], tf.float64)

        def sample(step):
            s = tf.stack([tf.constant(seed, tf.int64), step])
            entry = tf.random.stateless_categorical(logits, batch_size, seed=s, dtype=tf.int64)[0]
            u = tf.random.stateless_uniform([2, batch_size], seed=s + [0, 1 << 40], dtype=tf.float64)
            ny = tf.cast(tf.gather(heights, entry) - p + 1, tf.float64)
            nx = tf.cast(tf.gather(widths, entry) - p + 1, tf.float64)
            y = tf.cast(tf.floor(u[0] * ny), tf.int64)
            x = tf.cast(tf.floor(u[1] * nx), tf.int64)
            variant = tf.random.stateless_uniform([batch_size], seed=s + [0, 2 << 40], maxval=8, dtype=tf.int64)
            return gather(entry, y, x, variant)

        return tf.data.Dataset.counter(start=start_step).map(sample, num_parallel_calls=tf.data.AUTOTUNE)

    def _grid_batches(self, gather: Callable, batch_size: int, seed: int, stride: int, start_step: int) -> tf.data.Dataset:
        """Batches of the grid's patches times the 8 variants, reshuffled every pass, from batch ``start_step`` on."""
        grid = tf.constant(self.grid(stride))
        n = 8 * int(grid.shape[0])
        first = start_step * batch_size
        start_pass, skip = divmod(first, n)

        def one_pass(k):
            order = tf.argsort(tf.random.stateless_uniform([n], seed=tf.stack([tf.constant(seed, tf.int64), k])))
            return tf.data.Dataset.from_tensor_slices(tf.cast(order, tf.int64))

        def decode(ids):
            rows = tf.gather(grid, ids // 8)
            return gather(rows[:, 0], rows[:, 1], rows[:, 2], ids % 8)

        return (
            tf.data.Dataset.counter(start=start_pass)
            .flat_map(one_pass)
            .skip(skip)
            .batch(batch_size, drop_remainder=True)
            .map(decode, num_parallel_calls=tf.data.AUTOTUNE)
        )
