"""Distillation targets for ``drrn train``: a trained teacher's outputs on the training images.

The teacher runs once over every LR-up image of a ``PatchSource`` (whole
images, tiled like ``drrn upscale``), always in float32. Its outputs are kept in the run folder as
``teacher.npy`` beside ``teacher.json``, a manifest of what made them (the teacher, its runtime,
the sha256 of its weights, every image/scale pair's name and size); a resumed run reuses them only
if the manifest still matches, and computes them again otherwise.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from drrn_tf.errors import InputError, first_line
from drrn_tf.io.files import atomic_path, write_json_atomic
from drrn_tf.nn.loading import load_model
from drrn_tf.nn.models import float32_policy
from drrn_tf.nn.predict import model_engine, plugin_engine, predict_y
from drrn_tf.nn.presets import PRESETS
from drrn_tf.training.data import PatchSource

_LOG = logging.getLogger(__name__)

__all__ = ["TeacherTargets", "teacher_files", "teacher_targets"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def teacher_files(spec: str, runtime: str) -> list[Path]:
    """The files a teacher's outputs depend on; refuses (one line) a teacher that cannot be one."""
    if spec in PRESETS:
        preset = PRESETS[spec]
        if not preset.trained:
            raise InputError(f"teacher: preset '{spec}' ships no trained weights")
        files = [preset.weights_path]
        if runtime == "litert" and preset.int8_twin:  # its int8 export is made from the twin
            files.append(PRESETS[preset.int8_twin].weights_path)
        return files
    path = Path(spec)
    if not path.is_file() or path.suffix != ".keras":
        raise InputError(f"teacher: {spec}: neither a trained preset ({', '.join(n for n, p in PRESETS.items() if p.trained)}) nor a .keras file")
    return [path]


def _engine(spec: str, runtime: str):
    """The teacher's tile engine, its network built in float32 whatever the global policy says;
    every refusal is one line that starts with ``teacher:``."""
    try:
        with float32_policy():
            if runtime != "keras" and spec in PRESETS:
                return plugin_engine(spec, runtime)
            model = load_model(spec, require_trained=True)
            if model is None:
                raise InputError(f"'{spec}' is not a network")
            mixed = sorted({layer.dtype_policy.name for layer in model.layers if layer.dtype_policy.compute_dtype != "float32"})
            if mixed:
                raise InputError(f"{spec}: saved with a {mixed[0]} policy; use a float32 model (a run's model.keras, not its checkpoints)")
            return model_engine(model, runtime)
    except InputError as e:
        raise InputError(f"teacher: {e}") from e


class TeacherTargets:
    """A teacher's outputs on a source's LR-up images, and where to keep them."""

    def __init__(self, outputs: np.ndarray, manifest: dict, fresh: bool):
        self.outputs, self.manifest, self.fresh = outputs, manifest, fresh

    def save(self, run_dir: Path) -> None:
        """Write ``teacher.npy`` and ``teacher.json`` into the run folder (atomically), if newly computed."""
        if not self.fresh:
            return
        with atomic_path(run_dir / "teacher.npy") as tmp, open(tmp, "wb") as f:
            np.save(f, self.outputs, allow_pickle=False)
        write_json_atomic(run_dir / "teacher.json", self.manifest, indent=1)


def _cached(run_dir: Path, manifest: dict) -> np.ndarray | None:
    outputs_path, manifest_path = run_dir / "teacher.npy", run_dir / "teacher.json"
    if not outputs_path.is_file():
        return None
    try:
        same = json.loads(manifest_path.read_text()) == manifest
        outputs = np.load(outputs_path, allow_pickle=False) if same else None
    except (OSError, ValueError) as e:
        _LOG.warning(f"{outputs_path}: unreadable ({first_line(e)}); computing the teacher's outputs again")
        return None
    if outputs is None or outputs.shape != (manifest["pixels"],) or outputs.dtype != np.float32:
        _LOG.warning(f"{outputs_path}: made by another teacher or from other images; computing the teacher's outputs again")
        return None
    return outputs


def teacher_targets(
    source: PatchSource,
    spec: str,
    runtime: str,
    run_dir: Path,
    progress: Callable[[Iterable], Iterable] = lambda it: it,
) -> TeacherTargets:
    """The teacher's outputs on every LR-up image of ``source`` (clipped to [0, 1]): read back from
    ``run_dir`` when its manifest matches, else computed (nothing is written: call ``save``)."""
    files = teacher_files(spec, runtime)
    manifest = {
        "teacher": spec,
        "runtime": runtime,
        "teacher_sha256": [_sha256(p) for p in files],
        "pixels": int(source.lr.size),
        "pairs": [[e.name, e.scale, e.height, e.width] for e in source.entries],
    }
    outputs = _cached(run_dir, manifest)
    if outputs is not None:
        return TeacherTargets(outputs, manifest, fresh=False)
    engine = _engine(spec, runtime)
    _LOG.info(f"running the teacher {spec} ({runtime}) over {source.num_entries} image/scale pairs")
    start = time.perf_counter()
    outputs = source.teach(lambda y: predict_y(engine, y), progress)
    _LOG.info(f"teacher {spec} ({runtime}): {source.lr.size:,} pixels in {time.perf_counter() - start:.0f} s")
    return TeacherTargets(outputs, manifest, fresh=True)
