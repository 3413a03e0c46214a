"""Every private hook of another library the package relies on, in one place, each with a test
(``tests/test_compat.py``) that fails when an upgrade removes or changes it. Versions are pinned in
``setup.cfg`` to the ranges these tests ran on; a hook here means "no public API does this yet".

This module imports nothing at load time: each hook imports its library when called.
"""

from __future__ import annotations

import contextlib

__all__ = ["SummedGradientsHook", "disable_per_channel", "litert_ops", "multiworker_fit", "pillow_opener", "untracked_attribute"]


class SummedGradientsHook:
    """Mixin for a Keras optimiser (TensorFlow backend) that transforms the gradients once they have
    been summed across replicas and before any variable changes: the subclass defines
    ``transform_summed(grads, variables) -> grads``. Keras has no public hook at that point
    (``Optimizer.apply`` runs before the cross-replica sum under a ``tf.distribute`` strategy);
    the TensorFlow optimiser's ``_all_reduce_sum_gradients`` is where the sum happens."""

    def transform_summed(self, grads, variables):
        raise NotImplementedError

    def _all_reduce_sum_gradients(self, grads_and_vars):
        reduced = super()._all_reduce_sum_gradients(grads_and_vars)
        pairs = [(g, v) for g, v in reduced if g is not None]
        new = self.transform_summed([g for g, _ in pairs], [v for _, v in pairs])
        return [(g, v) for g, (_, v) in zip(new, pairs)]


def disable_per_channel(converter) -> None:
    """Per-tensor weight quantisation for a ``tf.lite.TFLiteConverter`` (public API: per-channel only)."""
    if not hasattr(converter, "_experimental_disable_per_channel"):
        raise RuntimeError("this TensorFlow's TFLite converter has no per-tensor switch (_experimental_disable_per_channel)")
    converter._experimental_disable_per_channel = True


def litert_ops(interpreter) -> list[dict]:
    """The ops of a LiteRT ``Interpreter`` in execution order, each ``{"op_name", "inputs", "outputs", ...}``
    (tensor indices): ai-edge-litert documents no public way to list them."""
    return interpreter._get_ops_details()


def pillow_opener(fmt: str):
    """Pillow's decoder factory for format ``fmt`` (``"PNG"``, ``"JPEG"``, ...) alone, without
    ``Image.open``'s walk over every plugin: Pillow's registry ``Image.OPEN``."""
    from PIL import Image

    Image.init()
    factory, _ = Image.OPEN[fmt]
    return factory


def untracked_attribute(obj, name: str, value):
    """Set ``obj.name = value`` on a Keras object without Keras tracking it (a cache that lives and dies
    with the model, not a weight or a layer): ``object.__setattr__`` bypasses Keras' ``__setattr__``."""
    object.__setattr__(obj, name, value)
    return value


@contextlib.contextmanager
def multiworker_fit(model, trainer):
    """While in it, ``model.fit`` works under ``tf.distribute.MultiWorkerMirroredStrategy``, which
    Keras 3 breaks in two places (keras-team/keras#20585), both in its TensorFlow trainer:

    * ``_maybe_symbolic_build`` reduces the whole (x, y) batch structure in one ``strategy.reduce``,
      which the collective strategy cannot take: the model is built from the first local replica's
      batch instead (only its shapes and dtypes matter);
    * ``reduce_per_replica`` reduces the step's scalar logs (loss, metrics) along axis 0, which a
      scalar has not: scalars are averaged across the workers without an axis.

    Both are undone on leaving, so nothing outside the fit changes. ``trainer``: that module,
    ``keras.src.backend.tensorflow.trainer`` (the caller imports it: this module imports no TensorFlow)."""
    tf, tree = trainer.tf, trainer.tree

    def local(x):
        return x.values[0] if isinstance(x, tf.distribute.DistributedValues) else x

    def symbolic_build(iterator=None, data_batch=None):
        if iterator is not None and data_batch is None:
            for _, _, it in iterator:
                data_batch = tree.map_structure(local, next(it))
                break
        with model.distribute_strategy.scope():
            model._symbolic_build(data_batch=data_batch)

    original = trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        if not (trainer._collective_all_reduce_multi_worker(strategy) and reduction in ("auto", "mean")):
            return original(values, strategy, reduction)
        return tree.map_structure(lambda v: strategy.reduce("MEAN", v, axis=0 if local(v).shape.rank else None), values)

    untracked_attribute(model, "_maybe_symbolic_build", symbolic_build)
    trainer.reduce_per_replica = reduce_per_replica
    try:
        yield model
    finally:
        trainer.reduce_per_replica = original
        object.__delattr__(model, "_maybe_symbolic_build")
