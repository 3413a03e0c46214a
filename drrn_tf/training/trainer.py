"""``drrn train``: DRRN with ``model.fit`` on the tf.data patch pipeline.

A run folder holds everything needed to continue or audit the run::

    RUN/config.json               the resolved configuration
    RUN/checkpoints/last.keras    model + optimizer state after the last finished epoch
    RUN/checkpoints/best.keras    best validation PSNR so far
    RUN/state.json                epoch, step, best validation PSNR
    RUN/log.csv                   one row per epoch (loss, lr, val_psnr, ...)
    RUN/tensorboard/              scalars and validation images
    RUN/model.keras               the final model, float32, ready for upscale/eval/export
    RUN/teacher.npy, teacher.json with a ``teacher``: its outputs on the training images, and what made them

``resume`` reloads ``last.keras`` (weights, optimizer slots, iteration count and so
the lr schedule) and restarts the data stream at the same batch, so the resumed run
ends with the weights an uninterrupted run would have (up to float non-associativity).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import keras
import keras.src.backend.tensorflow.trainer as keras_tf_trainer  # drrn_tf._compat.multiworker_fit patches it
import numpy as np
import tensorflow as tf

from drrn_tf._compat import multiworker_fit
from drrn_tf.errors import InputError, TrainingDiverged, WorkerLost, first_line
from drrn_tf.io.datasets import data_root, resolve_dataset
from drrn_tf.io.files import atomic_path, os_error, read_json_object, write_bytes_atomic
from drrn_tf.nn.models import DRRN, float32_policy
from drrn_tf.nn.presets import PRESETS
from drrn_tf.training.callbacks import AtomicCheckpoints, HideSkippedValidation, PaperValidation, read_state
from drrn_tf.training.config import TrainConfig, config_from_dict
from drrn_tf.training.data import PatchSource, load_luminance_folder, tfds_luminance
from drrn_tf.training.degrade import DegradedSource
from drrn_tf.training.distillation import teacher_files, teacher_targets
from drrn_tf.training.recipe import make_loss, make_optimizer, make_schedule

# What a run reports besides Keras' progress lines (the drrn command prints it; a library user's
# logging configuration decides).
_LOG = logging.getLogger(__name__)

__all__ = ["train", "make_strategy", "build_model"]


def make_strategy(kind: str) -> tf.distribute.Strategy:
    if kind == "default":
        return tf.distribute.get_strategy()
    if kind == "mirrored":
        gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
        devices = gpus or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=devices)
    if kind == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {kind!r}")


def build_model(cfg: TrainConfig) -> keras.Model:
    return DRRN(cfg.blocks, cfg.units, cfg.filters, cfg.batch_norm, name=cfg.name, out_init=cfg.out_init)


def _compile(model: keras.Model, cfg: TrainConfig) -> None:
    schedule = make_schedule(cfg.schedule, cfg.lr, cfg.steps_per_epoch, cfg.epochs, cfg.lr_step_epochs, cfg.lr_decay, cfg.warmup_steps, cfg.cosine_alpha)
    optimizer = make_optimizer(
        cfg.optimizer,
        schedule,
        momentum=cfg.momentum,
        l2=cfg.weight_decay,
        clip_theta=cfg.clip_theta,
        bias_lr_mult=cfg.bias_lr_mult,
        clip_norm=cfg.clip_norm,
    )
    model.compile(optimizer=optimizer, loss=make_loss(cfg.loss), jit_compile=False)


def _load_training_images(cfg: TrainConfig, progress) -> PatchSource | DegradedSource:
    if cfg.data_source == "tfds":
        root = data_root()
        if root is None:
            raise InputError("data_source tfds: no manual data folder found; set DRRN_DATA")
        ys, names = tfds_luminance(cfg.train_data, manual_dir=root)
    else:
        ys, names = load_luminance_folder(resolve_dataset(cfg.train_data)[1], progress)
    if cfg.max_images:
        ys, names = ys[: cfg.max_images], names[: cfg.max_images]
    if cfg.degradations:
        return DegradedSource(ys, cfg.degradations, cfg.scales, cfg.patch)
    return PatchSource(ys, cfg.scales, cfg.patch, names)


def _load_checkpoint(path: Path) -> keras.Model:
    if not path.is_file():
        raise InputError(f"{path}: no checkpoint to resume from, though state.json says an epoch finished")
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as e:
        raise InputError(f"{path}: corrupt or unreadable checkpoint ({first_line(e)})") from e


def _warm_start(model: keras.Model, spec: str) -> None:
    """Copy weights from a trained preset, a .keras model or a .weights.h5 file of the same architecture."""
    if spec in PRESETS:
        if not PRESETS[spec].trained:
            raise InputError(f"init_weights: preset '{spec}' ships no trained weights")
        path = PRESETS[spec].weights_path
    else:
        path = Path(spec)
    if not path.is_file():
        raise InputError(f"{path}: init_weights is neither a trained preset ({', '.join(n for n, p in PRESETS.items() if p.trained)}) nor a file")
    try:
        if path.name.endswith(".weights.h5"):
            model.load_weights(path)
        else:
            model.set_weights(keras.saving.load_model(path, safe_mode=True).get_weights())
    except Exception as e:
        raise InputError(f"{path}: cannot initialise {model.name} from it ({first_line(e)})") from e


def _inference_copy(model: keras.Model, cfg: TrainConfig) -> keras.Model:
    """The trained network rebuilt under the float32 policy, same weights."""
    with float32_policy():
        clean = build_model(cfg)
    clean.set_weights(model.get_weights())
    return clean


def train(
    cfg: TrainConfig,
    run_dir: str | Path,
    *,
    resume: bool = False,
    verbose: int | str = "auto",
    progress: Callable[[Iterable], Iterable] = lambda it: it,
) -> dict:
    """Train (or resume) a run; returns the final ``state.json`` content plus paths. The global
    Keras dtype policy the run sets (``mixed_precision``) is restored afterwards."""
    previous = keras.config.dtype_policy()
    run_dir = check_run_folder(Path(run_dir))
    try:
        return _train(cfg, run_dir, resume, verbose, progress)
    except OSError as e:  # a full disk or a folder gone read-only while writing the run
        raise os_error(getattr(e, "filename", None) or run_dir, e, "failed") from e
    finally:
        keras.config.set_dtype_policy(previous)


def check_run_folder(run_dir: Path) -> Path:
    """Refuse, before any data is loaded, a run folder that is a file, a device, a link to one, or
    that cannot be created (its nearest existing folder is not writable)."""
    if run_dir.exists() or run_dir.is_symlink():
        if not run_dir.is_dir():
            raise InputError(f"{run_dir}: not a folder (a file, a device or a broken link); give a folder for the run")
        if not os.access(run_dir, os.W_OK):
            raise InputError(f"{run_dir}: the run folder is not writable")
        return run_dir
    base = run_dir.parent
    while not base.exists() and base != base.parent:
        base = base.parent
    if not base.is_dir() or not os.access(base, os.W_OK):
        raise InputError(f"{run_dir}: cannot create the run folder ({base} is not a writable folder)")
    return run_dir


def _holds_run(run_dir: Path) -> bool:
    """Whether a run folder holds a run to keep: one that got as far as its first checkpoint. A run
    that failed before (its config.json alone) is started again in its place."""
    return (run_dir / "state.json").exists() or (run_dir / "checkpoints" / "last.keras").exists()


def _train(cfg: TrainConfig, run_dir: Path, resume: bool, verbose, progress) -> dict:
    cfg = _run_config(cfg, run_dir, resume)
    state = read_state(run_dir) if resume and (run_dir / "state.json").exists() else None  # checked before any work
    _check_run_inputs(cfg, run_dir)
    _set_process_state(cfg)

    strategy = make_strategy(cfg.strategy)
    with strategy.scope():
        model = _run_model(cfg, run_dir, resume)
    run_root, run_dir = run_dir, _own_folder(strategy, run_dir)  # where this process writes from here on
    source = _load_training_images(cfg, progress)
    val_images = []
    if cfg.val_data:
        _, val_folder = resolve_dataset(cfg.val_data)
        val_images, _ = load_luminance_folder(val_folder)
    # A teacher whose file does not load is refused here, still before anything is written.
    targets = teacher_targets(source, cfg.teacher, cfg.teacher_runtime, run_dir, progress) if cfg.teacher is not None else None
    if not resume:
        _write_config(cfg, run_dir)
    if targets is not None:
        targets.save(run_dir)
        source.distil(targets.outputs, cfg.teacher_weight)
        del targets  # a blend (teacher_weight < 1) leaves the teacher's own outputs unreferenced
    start_step = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    initial_epoch = start_step // cfg.steps_per_epoch
    _LOG.info(
        f"{'resuming' if resume else 'training'} {cfg.name}: {model.count_params():,} params, "
        f"{source.num_entries} image/scale pairs, {cfg.sampling} sampling "
        f"({source.patches_per_pass(cfg.stride):,} patches per grid pass), "
        f"epoch {initial_epoch + 1}/{cfg.epochs}, step {start_step}, {strategy.num_replicas_in_sync} replica(s)"
    )

    dataset = source.dataset(cfg.batch_size, seed=cfg.seed, mode=cfg.sampling, stride=cfg.stride, start_step=start_step)
    _fit(model, dataset, cfg, initial_epoch, _callbacks(cfg, run_dir, state, val_images), verbose)
    return _finish(model, cfg, run_dir, run_root)


def _fit(model: keras.Model, dataset, cfg: TrainConfig, initial_epoch: int, callbacks: list, verbose) -> None:
    """``model.fit``; in a multi-worker run, a worker lost midway is one ``WorkerLost`` line."""
    fit = functools.partial(
        model.fit,
        dataset,
        epochs=cfg.epochs,
        steps_per_epoch=cfg.steps_per_epoch,
        initial_epoch=initial_epoch,
        callbacks=callbacks,
        shuffle=False,  # the dataset is shuffled (and resumable) by construction
        verbose=verbose,
    )
    if cfg.strategy != "multiworker":
        fit()
        return
    try:
        with multiworker_fit(model, keras_tf_trainer):
            fit()
    except (tf.errors.UnavailableError, tf.errors.CancelledError, tf.errors.AbortedError, tf.errors.DeadlineExceededError) as e:
        if not os.environ.get("TF_CONFIG"):  # one process: no worker to lose
            raise
        raise WorkerLost(
            f"a worker of the multi-worker run stopped or cannot be reached ({first_line(e, 120)}); "
            "start every worker again with the same command and --resume: they go on from the chief's last checkpoint"
        ) from e


def _own_folder(strategy: tf.distribute.Strategy, run_dir: Path) -> Path:
    """Where this process writes: the run folder, or for a worker of a multi-worker run other than the
    chief its own RUN/worker-N. The chief's checkpoints are the run's, and every worker resumes from
    them, so a run stopped anywhere resumes at one step on all workers."""
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) or strategy.extended.should_checkpoint:
        return run_dir
    return run_dir / f"worker-{strategy.cluster_resolver.task_id}"


def _run_config(cfg: TrainConfig, run_dir: Path, resume: bool) -> TrainConfig:
    """The run's checked configuration: ``cfg``, or on resume the saved one with ``cfg``'s epochs."""
    if resume:
        cfg = _resumed_config(cfg, run_dir)
    elif _holds_run(run_dir):
        raise InputError(f"{run_dir}: already holds a run; use --resume or another --out")
    return cfg.resolved().check(str(run_dir / "config.json") if resume else "config")


def _resumed_config(cfg: TrainConfig, run_dir: Path) -> TrainConfig:
    """The configuration saved in ``run_dir``, its epochs extended to ``cfg.epochs`` where given."""
    if not (run_dir / "config.json").is_file():
        raise InputError(f"{run_dir}: not a run folder (no config.json) to resume")
    saved_path = run_dir / "config.json"
    saved = config_from_dict(read_json_object(saved_path, "unreadable"), str(saved_path))
    if cfg.epochs and cfg.epochs != saved.epochs and saved.schedule == "cosine":
        raise InputError(f"{run_dir}: a cosine schedule is fixed by its epochs ({saved.epochs}); it cannot be extended on resume")
    return TrainConfig(**{**saved.__dict__, "epochs": cfg.epochs or saved.epochs})


def _check_run_inputs(cfg: TrainConfig, run_dir: Path) -> None:
    """Refuse, before any work, data folders that are the run folder and a teacher that cannot be one."""
    for key in ("train_data", "val_data") if cfg.data_source == "folder" else ("val_data",):
        name = getattr(cfg, key)
        if name and os.path.realpath(resolve_dataset(name)[1]) == os.path.realpath(run_dir):
            raise InputError(f"{run_dir}: is the run's {key} folder; the run needs a folder of its own (another --out)")
    if cfg.teacher is not None:
        teacher_files(cfg.teacher, cfg.teacher_runtime)  # a teacher that cannot be one is refused first


def _set_process_state(cfg: TrainConfig) -> None:
    """Seed the random generators, and set op determinism and the dtype policy the run asks for."""
    keras.utils.set_random_seed(cfg.seed)
    if cfg.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.config.set_dtype_policy("mixed_bfloat16" if cfg.mixed_precision == "bf16" else "float32")


def _run_model(cfg: TrainConfig, run_dir: Path, resume: bool) -> keras.Model:
    """The compiled model to train: the last checkpoint on resume, else a new (or warm-started) one."""
    last = run_dir / "checkpoints" / "last.keras"
    if resume and (last.exists() or (run_dir / "state.json").exists()):
        return _load_checkpoint(last)
    # a new run, or one stopped before its first checkpoint: step 0 of its saved config
    if resume:
        _LOG.info(f"{run_dir}: no checkpoint yet (stopped during the first epoch): starting it again from step 0")
    model = build_model(cfg)
    if cfg.init_weights:
        _warm_start(model, cfg.init_weights)
    _compile(model, cfg)
    return model


def _write_config(cfg: TrainConfig, run_dir: Path) -> None:
    """Create the run folder and write its config.json (replacing that of a run stopped before its first checkpoint)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    if (run_dir / "config.json").exists():
        _LOG.info(f"{run_dir}: replacing a run that stopped before its first checkpoint")
    write_bytes_atomic(run_dir / "config.json", cfg.to_json().encode())


def _callbacks(cfg: TrainConfig, run_dir: Path, state: dict | None, val_images: list) -> list[keras.callbacks.Callback]:
    """Validation, checkpoints, the CSV log, the NaN guard and, if asked, TensorBoard, in that order."""
    callbacks = [
        PaperValidation(val_images, cfg.val_scales, cfg.val_every, run_dir / "tensorboard" / "images" if cfg.tensorboard else None),
        AtomicCheckpoints(run_dir, state),
        keras.callbacks.CSVLogger(str(run_dir / "log.csv"), append=True),
        keras.callbacks.TerminateOnNaN(),
        HideSkippedValidation(),  # after the CSV log, before TensorBoard and the progress bar
    ]
    if cfg.tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(str(run_dir / "tensorboard"), write_graph=False, update_freq="epoch"))
    return callbacks


def _finish(model: keras.Model, cfg: TrainConfig, run_dir: Path, run_root: Path) -> dict:
    """Refuse a run that stopped early; save the float32 inference model; the final state plus paths.
    ``run_root``: the run's folder, whose state is this process's where it wrote none of its own."""
    # The optimizer's step, not this folder's state.json: a worker other than the chief resumed with
    # nothing left to train writes none (the chief's is then the run's).
    # Keras' TerminateOnNaN (the one callback that stops a fit) sets stop_training; each fit clears it as it starts.
    steps, total = int(keras.ops.convert_to_numpy(model.optimizer.iterations)), cfg.epochs * cfg.steps_per_epoch
    if model.stop_training or steps < total:
        raise TrainingDiverged(f"training stopped early at step {steps:,} of {total:,}: the loss became NaN or inf")
    if not all(np.isfinite(w).all() for w in model.get_weights()):
        raise TrainingDiverged("the weights became NaN or inf in the last step: nothing was saved")
    final = read_state(run_dir if (run_dir / "state.json").is_file() else run_root)
    with atomic_path(run_dir / "model.keras") as tmp:
        _inference_copy(model, cfg).save(tmp)
    return {**final, "run_dir": str(run_dir), "model": str(run_dir / "model.keras")}
