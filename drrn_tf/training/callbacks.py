"""Keras callbacks for training runs: paper-protocol validation and atomic checkpoints."""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from drrn_tf.errors import InputError
from drrn_tf.io.files import atomic_path, write_json_atomic
from drrn_tf.nn.predict import predict_y
from drrn_tf.protocol.evaluation import bicubic_input, score

__all__ = ["PaperValidation", "AtomicCheckpoints", "read_state"]


class PaperValidation(keras.callbacks.Callback):
    """PSNR/SSIM on whole validation images in the paper's protocol, every ``every`` epochs.

    Adds ``val_psnr`` / ``val_ssim`` (mean over scales) and ``val_psnr_x{s}`` to the
    epoch logs, plus ``lr``; must come before callbacks that read them (checkpoints,
    CSV, TensorBoard). With ``image_dir`` it also writes a TensorBoard image per
    validation: bicubic | network | ground truth of the first image at the first scale.
    """

    def __init__(self, images: list[np.ndarray], scales, every: int = 1, image_dir: str | Path | None = None):
        super().__init__()
        self.scales = list(scales)
        self.every = int(every)
        self.pairs = {s: [bicubic_input(y, s) for y in images] for s in self.scales} if images else {}
        self.writer = tf.summary.create_file_writer(str(image_dir)) if image_dir else None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        opt = self.model.optimizer
        logs["lr"] = float(keras.ops.convert_to_numpy(opt.learning_rate))
        if not self.pairs or (epoch + 1) % self.every:
            # Same keys every epoch (CSVLogger fixes its columns at the first one).
            for key in ["val_psnr", "val_ssim"] + [f"val_psnr_x{s}" for s in self.scales]:
                logs[key] = float("nan")
            return
        psnrs, ssims = [], []
        sample = None
        for s in self.scales:
            ps, ss = [], []
            for hr, up in self.pairs[s]:
                out = predict_y(self.model, up)
                p, q = score(out, hr, s)
                ps.append(p)
                ss.append(q)
                if sample is None:
                    sample = np.concatenate([up, np.clip(out, 0, 1), hr], axis=1)
            logs[f"val_psnr_x{s}"] = float(np.mean(ps))
            psnrs.append(np.mean(ps))
            ssims.append(np.mean(ss))
        logs["val_psnr"] = float(np.mean(psnrs))
        logs["val_ssim"] = float(np.mean(ssims))
        if self.writer is not None and sample is not None:
            with self.writer.as_default():
                tf.summary.image("bicubic | network | HR", sample[None, :, :, None].astype(np.float32), step=epoch + 1)
            self.writer.flush()


class HideSkippedValidation(keras.callbacks.Callback):
    """Drops the NaN placeholders ``PaperValidation`` writes on epochs it skips, once the CSV log
    (which needs the same columns every epoch) has them, so the progress line shows no ``val_psnr: nan``."""

    def on_epoch_end(self, epoch, logs=None):
        for key in [k for k, v in (logs or {}).items() if k.startswith("val_") and isinstance(v, float) and math.isnan(v)]:
            del logs[key]


def read_state(run_dir: Path) -> dict:
    """A run's ``state.json``, every field checked; one line naming the file if it is not what
    ``AtomicCheckpoints`` writes."""
    from drrn_tf.io.files import read_json_object

    path = Path(run_dir) / "state.json"
    state = read_json_object(path, "corrupt")
    kinds = {"epoch": int, "step": int, "best_epoch": (int, type(None)), "best_val_psnr": (int, float, type(None)), "loss": (int, float)}
    for key, kind in kinds.items():
        value = state.get(key, 0 if key == "epoch" else None)
        if key not in state and key != "epoch":
            continue
        if isinstance(value, bool) or not isinstance(value, kind) or (isinstance(value, int) and not 0 <= value < 2**53):
            raise InputError(f"{path}: corrupt ('{key}' is {value!r})")
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"{path}: corrupt ('{key}' is {value!r})")
    return state


class AtomicCheckpoints(keras.callbacks.Callback):
    """Every epoch: ``checkpoints/last.keras`` (model + optimizer) and ``state.json``;
    ``checkpoints/best.keras`` when ``val_psnr`` improves. Each file is written to a
    temporary name and renamed, so a crash never leaves a half-written checkpoint.
    Epochs whose loss is not finite are not saved."""

    def __init__(self, run_dir: Path, state: dict | None = None):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.ckpt_dir = self.run_dir / "checkpoints"
        self.ckpt_dir.mkdir(parents=True, exist_ok=True)
        self.state = dict(state or {"epoch": 0, "best_val_psnr": None, "best_epoch": None})

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        loss = logs.get("loss")
        if loss is None or not math.isfinite(loss):
            return
        with atomic_path(self.ckpt_dir / "last.keras") as tmp:
            self.model.save(tmp)
        val = logs.get("val_psnr")
        best = self.state.get("best_val_psnr")
        if val is not None and math.isfinite(val) and (best is None or val > best):
            with atomic_path(self.ckpt_dir / "best.keras") as tmp:
                self.model.save(tmp)
            self.state.update(best_val_psnr=val, best_epoch=epoch + 1)
        self.state.update(
            epoch=epoch + 1,
            step=int(keras.ops.convert_to_numpy(self.model.optimizer.iterations)),
            loss=float(loss),
        )
        write_json_atomic(self.run_dir / "state.json", self.state)
