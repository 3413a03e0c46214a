"""Training pairs with real-world degradations: the ``tf.data`` augmentation stage of the real presets.

Each HR image is shrunk once per scale s and downscaling kernel (MATLAB ``imresize`` with bicubic,
bilinear, box or lanczos3, antialiased), rounded to uint8 and kept, padded by mirroring, in memory.
Every training sample then draws, from stateless RNG ops seeded by ``(seed, step, sample)``:

1. a kernel (by the configured weights) and a patch position on the LR grid;
2. each degradation with its probability, its strength uniform in its range, applied in the order
   blur -> Gaussian noise -> Poisson noise -> JPEG, each rounding to uint8, to an LR crop with a
   margin (the definitions of ``drrn_tf.protocol.degrade``, which ``drrn eval --degrade`` uses);
3. MATLAB's bicubic upscale of the crop (the exact interpolation weights, as a matrix product) and
   the patch inside its margin, paired with the HR patch and one of the 8 flips/rotations.

Like ``PatchSource``, batch ``k`` is a pure function of the seed and ``k``, so a resumed run sees
the batches an uninterrupted one would have.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import tensorflow as tf

from drrn_tf.constants import SCALES
from drrn_tf.errors import InputError
from drrn_tf.protocol.degrade import BLUR_RADIUS
from drrn_tf.protocol.matlab import bicubic_taps, imresize, modcrop
from drrn_tf.training.data import dihedral_offsets, finish_dataset

__all__ = ["DegradedSource", "ORDER", "MARGIN"]

ORDER = ("blur", "noise", "poisson", "jpeg")
MARGIN = BLUR_RADIUS + 3  # LR pixels around a crop: the blur's and the bicubic upscale's reach, and one more


def _upscale_matrix(size: int, scale: int) -> np.ndarray:
    """(size * scale, size) float32: MATLAB's bicubic upscale along one axis as a matrix."""
    weights, indices = bicubic_taps(size, size * scale, float(scale))
    m = np.zeros((size * scale, size), np.float64)
    np.add.at(m, (np.repeat(np.arange(size * scale), weights.shape[1]), indices.ravel()), weights.ravel())
    return m.astype(np.float32)


class DegradedSource:
    """HR luminance and its padded uint8 LR images, for degraded (LR-up, HR) training patches."""

    def __init__(
        self,
        images: Sequence[np.ndarray],
        degradations: dict,
        scales: Sequence[int] = SCALES,
        patch: int = 31,
        progress: Callable[[Iterable], Iterable] = lambda it: it,
    ):
        self.patch, self.scales, self.spec = int(patch), [int(s) for s in scales], degradations
        kernels = degradations.get("kernels") or {"bicubic": 1.0}
        self.kernels = [k for k, w in kernels.items() if w > 0]
        self.kernel_logits = np.log(np.array([kernels[k] for k in self.kernels], np.float64))
        hr_parts, lr_parts, rows, offset, lr_offset = [], [], [], 0, 0
        for y in progress(list(images)):
            y = np.asarray(y).astype(np.float64) / 255.0
            for si, s in enumerate(self.scales):
                hr = modcrop(y, s)
                lr_h, lr_w = hr.shape[0] // s, hr.shape[1] // s
                if lr_h < self._crop(s) - 2 * MARGIN or lr_w < self._crop(s) - 2 * MARGIN:
                    continue
                hr_parts.append(hr.astype(np.float32).ravel())
                lr_offsets = []
                for k in self.kernels:
                    lr = np.clip(np.round(imresize(hr, 1.0 / s, method=k) * 255.0), 0, 255)
                    lr_parts.append(np.pad(lr, MARGIN, mode="symmetric").astype(np.uint8).ravel())
                    lr_offsets.append(lr_offset)
                    lr_offset += lr_parts[-1].size
                rows.append((si, offset, hr.shape[0], hr.shape[1], lr_h, lr_w, *lr_offsets))
                offset += hr.size
        if not rows:
            raise InputError(f"no training image is at least {self.patch}x{self.patch} pixels at scales {self.scales}")
        self.hr = np.concatenate(hr_parts)
        self.lr = np.concatenate(lr_parts)
        self.rows = np.array(rows, np.int64)

    def _crop(self, scale: int) -> int:
        """LR crop side: what covers a patch at this scale, plus the margin each side."""
        return math.ceil(self.patch / scale) + 2 * MARGIN

    @property
    def num_entries(self) -> int:
        return len(self.rows)

    def patches_per_pass(self, stride: int = 21) -> int:
        """Patch positions on the LR grid (times the 8 variants): the size of the space sampled from."""
        return int(8 * self._valid().sum())

    def _valid(self) -> np.ndarray:
        """Patch positions of each entry: LR-grid corners whose patch cover (a crop without margins) fits."""
        cover = np.array([self._crop(s) - 2 * MARGIN for s in self.scales], np.int64)[self.rows[:, 0]]
        return (self.rows[:, 4] - cover + 1) * (self.rows[:, 5] - cover + 1)

    # ------------------------------------------------------------------ tf.data
    def dataset(self, batch_size: int, seed: int = 0, mode: str = "random", stride: int = 21, start_step: int = 0) -> tf.data.Dataset:
        """Infinite dataset of degraded (lr_up, hr) batches, each (B, P, P, 1) float32, from batch ``start_step`` on."""
        if mode != "random":
            raise ValueError("degraded training samples patches at random (sampling: random)")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        rows = tf.constant(self.rows)
        logits = tf.constant(np.log(self._valid().astype(np.float64))[None, :], tf.float64)
        kernel_logits = tf.constant(self.kernel_logits[None, :], tf.float64)
        one = self._one_sample()

        def batch(step):
            s = tf.stack([tf.constant(seed, tf.int64), step])
            entry = tf.random.stateless_categorical(logits, batch_size, seed=s, dtype=tf.int64)[0]
            kernel = tf.random.stateless_categorical(kernel_logits, batch_size, seed=s + [0, 3 << 40], dtype=tf.int64)[0]
            sample = tf.stack([tf.fill([batch_size], step), tf.range(batch_size, dtype=tf.int64)], axis=1)
            return tf.gather(rows, entry), kernel, sample

        def per_sample(row, kernel, sample):
            return one(row, kernel, tf.stack([tf.constant(seed, tf.int64), sample[0] * 65_536 + sample[1] + (1 << 50)]))

        ds = tf.data.Dataset.counter(start=start_step).map(batch).unbatch().map(per_sample, num_parallel_calls=tf.data.AUTOTUNE)
        return finish_dataset(ds.batch(batch_size, drop_remainder=True))

    def _one_sample(self) -> Callable:
        """``one(row, kernel, seed)``: one degraded (lr_up, hr) pair, each (P, P, 1)."""
        p, spec = self.patch, self.spec
        hr_flat, lr_flat = tf.constant(self.hr), tf.constant(self.lr)
        dy_np, dx_np = dihedral_offsets(p)
        flips = tf.constant((dy_np * p + dx_np).reshape(8, -1))
        ups = [tf.constant(_upscale_matrix(self._crop(s), s)) for s in self.scales]

        def uniform(seed, k, low, high):
            return tf.random.stateless_uniform([], seed=seed + [0, k], minval=low, maxval=high, dtype=tf.float32)

        def degrade(x, seed):
            for k, name in enumerate(ORDER):
                step = spec.get(name)
                if not step or step["p"] <= 0:
                    continue
                low, high = (float(v) for v in step["range"])
                on = uniform(seed, 10 * k, 0.0, 1.0) < step["p"]
                value = uniform(seed, 10 * k + 1, low, high)
                x = tf.cond(on, lambda x=x, name=name, value=value, k=k: _apply(name, x, value, seed + [0, 10 * k + 2]), lambda x=x: x)
            return x

        def branch(si, row, kernel, seed):
            s, c = self.scales[si], self._crop(self.scales[si])

            def run():
                lr_w = row[5] + 2 * MARGIN
                cover = c - 2 * MARGIN
                ly = tf.random.stateless_uniform([], seed=seed + [0, 100], maxval=row[4] - cover + 1, dtype=tf.int64)
                lx = tf.random.stateless_uniform([], seed=seed + [0, 101], maxval=row[5] - cover + 1, dtype=tf.int64)
                start = tf.gather(row[6:], kernel) + ly * lr_w + lx  # padded coordinates: (ly, lx) is the crop's corner
                idx = start + tf.range(c, dtype=tf.int64)[:, None] * lr_w + tf.range(c, dtype=tf.int64)[None, :]
                x = degrade(tf.cast(tf.gather(lr_flat, idx), tf.float32), seed)
                up = tf.matmul(tf.matmul(ups[si], x / 255.0), ups[si], transpose_b=True)
                lr_up = up[s * MARGIN : s * MARGIN + p, s * MARGIN : s * MARGIN + p]
                hidx = row[1] + (s * ly + tf.range(p, dtype=tf.int64))[:, None] * row[3] + (s * lx + tf.range(p, dtype=tf.int64))[None, :]
                return lr_up, tf.gather(hr_flat, hidx)

            return run

        def one(row, kernel, seed):
            cases = [branch(si, row, kernel, seed) for si in range(len(self.scales))]
            lr_up, hr = tf.switch_case(tf.cast(row[0], tf.int32), cases)
            variant = tf.random.stateless_uniform([], seed=seed + [0, 102], maxval=8, dtype=tf.int64)
            order = tf.gather(flips, variant)
            lr_up = tf.reshape(tf.gather(tf.reshape(lr_up, [-1]), order), [p, p, 1])
            hr = tf.reshape(tf.gather(tf.reshape(hr, [-1]), order), [p, p, 1])
            return lr_up, hr

        return one


def _round8(x):
    return tf.clip_by_value(tf.round(x), 0.0, 255.0)


def _apply(name: str, x, value, seed):
    """One degradation of an LR crop ``x`` (float32, uint8 values), rounded back to uint8 values."""
    if name == "blur":
        t = tf.range(-BLUR_RADIUS, BLUR_RADIUS + 1, dtype=tf.float32)
        k = tf.exp(-0.5 * tf.square(t / value))
        k = k / tf.reduce_sum(k)
        img = x[None, :, :, None]
        img = tf.nn.conv2d(img, tf.reshape(k, [-1, 1, 1, 1]), 1, "SAME")
        img = tf.nn.conv2d(img, tf.reshape(k, [1, -1, 1, 1]), 1, "SAME")
        return _round8(img[0, :, :, 0])
    if name == "noise":
        return _round8(x + value * tf.random.stateless_normal(tf.shape(x), seed=seed))
    if name == "poisson":
        lam = tf.clip_by_value(x, 0.0, 255.0) / 255.0 * value
        return _round8(tf.random.stateless_poisson(tf.shape(x), seed=seed, lam=lam, dtype=tf.float32) / value * 255.0)
    # jpeg: of the full-range luma, as a colour JPEG holds it (drrn_tf.protocol.degrade.to_jfif)
    luma = tf.cast(_round8((x - 16.0) * (255.0 / 219.0)), tf.uint8)[:, :, None]
    quality = tf.cast(tf.round(value), tf.int32)
    encoded = tf.raw_ops.EncodeJpegVariableQuality(images=luma, quality=quality)
    decoded = tf.io.decode_jpeg(encoded, channels=1, dct_method="INTEGER_ACCURATE")  # as libjpeg (and Pillow) by default
    return _round8(tf.cast(decoded[:, :, 0], tf.float32) * (219.0 / 255.0) + 16.0)
