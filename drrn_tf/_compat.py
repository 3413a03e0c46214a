"""Every private hook of another library the package relies on, in one place, each with a test
(``tests/test_compat.py``) that fails when an upgrade removes or changes it. Versions are pinned in
``setup.cfg`` to the ranges these tests ran on; a hook here means "no public API does this yet".

This module imports nothing at load time: each hook imports its library when called.
"""

from __future__ import annotations

__all__ = ["SummedGradientsHook", "disable_per_channel", "litert_ops", "pillow_opener", "untracked_attribute"]


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
