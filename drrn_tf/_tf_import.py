"""Import TensorFlow without its native start-up chatter: for the ``drrn`` command, which owns its process
(``drrn_tf.cli.main`` calls it once the arguments are parsed; ``import drrn_tf`` never does).

TensorFlow 2.21 writes oneDNN/CUDA notices to file descriptor 2 at import and at the
first op, before absl logging is set up, so ``TF_CPP_MIN_LOG_LEVEL`` cannot silence
them. They are sent to /dev/null unless ``DRRN_VERBOSE_TF=1``; an import error is
still raised normally (the Python traceback is printed after fd 2 is restored).

``DRRN_CPU_DEVICES=N`` splits the CPU into N logical devices before the runtime starts,
so that ``tf.distribute.MirroredStrategy`` can be exercised on a machine without GPUs.
"""

from __future__ import annotations

import os
import sys


def import_tensorflow_quietly() -> None:
    if "tensorflow" in sys.modules or os.environ.get("DRRN_VERBOSE_TF"):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow as tf

        n = int(os.environ.get("DRRN_CPU_DEVICES", "0") or 0)
        if n > 1:
            cpu = tf.config.list_physical_devices("CPU")[0]
            tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)
        tf.constant(0.0) + 1.0  # the first op initialises the runtime (more notices)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
