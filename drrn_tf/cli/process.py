"""What the ``drrn`` command does to its own process while a command runs: SIGTERM as an interrupt,
long native calls off the main thread so that an interrupt lands at once, native libraries' stderr
quietened, the packages' log lines printed, a test hook for logical CPUs."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import threading
from typing import NoReturn

from drrn_tf.inference.threads import DaemonPool


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every temporary file is removed on the way out."""


def on_sigterm(signum, frame):
    raise Terminated()


_WORKER = DaemonPool(1, "drrn-call")
_OWNED = threading.Event()  # set by the drrn program (``drrn_tf.cli.run``), which owns its process


def own_process() -> None:
    """Say that this process is the ``drrn`` program's: ``off_main_thread`` takes effect, and
    ``exit_process`` may end the process at once."""
    _OWNED.set()


def off_main_thread(fn):
    """``fn``, called from the main thread of the ``drrn`` program (``own_process``), run by a daemon
    worker while the main thread waits for it.

    Python runs a signal handler only between its own steps, so a Ctrl-C or SIGTERM that lands
    during one long native call (a tile through B1U25 can take minutes) would wait for it; waiting
    on a worker instead, the main thread takes the signal at once and cleans up on its way out,
    and ``exit_process`` ends the process without waiting for the call left running. Anywhere
    else (another thread, the worker itself, a library user's process) ``fn`` runs as it is."""

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if not _OWNED.is_set() or threading.current_thread() is not threading.main_thread():
            return fn(*args, **kwargs)
        future = _WORKER.submit(functools.partial(fn, *args, **kwargs))
        try:
            return future.result()
        except BaseException:
            future.cancel()  # not started yet: it never will
            raise

    return call


def interruptible(engine):
    """``engine`` (a ``TileEngine`` or ``RgbEngine``; ``None`` for bicubic) with its ``run`` off the main thread."""
    return None if engine is None else engine._replace(run=off_main_thread(engine.run))


def exit_process(code: int) -> NoReturn:
    """Exit with ``code``: at once (output flushed) if an interrupt left a call of ``off_main_thread``
    running, whose native threads a normal exit would tear down under it (a crash, seen with
    TensorFlow); else as ``sys.exit``."""
    if _WORKER.close():
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream: nothing more can be said
                stream.flush()
        os._exit(code)
    sys.exit(code)


class NativeStderrSilenced:
    """While a command runs, native libraries' writes to file descriptor 2 go to /dev/null and Python's
    ``sys.stderr`` (errors, warnings, progress bars) to the real stderr, through a duplicate of it.

    TensorFlow prints oneDNN/CUDA notices at import and at the first op, before its logging is set up
    (so ``TF_CPP_MIN_LOG_LEVEL`` cannot silence them); the TFLite converter prints its settings
    (``fully_quantize: 0, ...``) and LiteRT announces its XNNPACK delegate -- all from C++, straight to
    fd 2. Only the ``drrn`` command does this (it owns its process), only when ``sys.stderr`` is the
    process's own, and not with ``DRRN_VERBOSE_TF=1`` or ``--debug``."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr is sys.__stderr__ and sys.__stderr__ is not None

    def __enter__(self):
        if self.enabled:
            import faulthandler

            sys.stderr.flush()
            self.saved = os.dup(2)
            ours = os.fdopen(os.dup(self.saved), "w", buffering=1, encoding=sys.__stderr__.encoding, errors="backslashreplace")
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 2)
            finally:
                os.close(devnull)
            sys.stderr = ours
            self.faulthandler = not faulthandler.is_enabled()
            if self.faulthandler:
                faulthandler.enable(file=ours)  # a native crash still shows Python's traceback
        return self

    def __exit__(self, *exc):
        if self.enabled:
            import faulthandler

            # The duplicate stays open (closed when collected): a progress bar being torn down
            # after the command may still hold it and write to it.
            sys.stderr.flush()
            os.dup2(self.saved, 2)
            os.close(self.saved)
            sys.stderr = sys.__stderr__
            if self.faulthandler:
                faulthandler.disable()
        return False


class Say(logging.Handler):
    """The library's log records (``drrn_tf``, ``drrn_tf_export``) as plain lines on the current ``sys.stderr``."""

    def emit(self, record):
        print(self.format(record), file=sys.stderr, flush=True)


class LibraryLogToStderr:
    """While a command runs, the packages' INFO messages (an export being made, a run resuming) are
    printed as lines; a library user's own logging configuration is left alone otherwise."""

    NAMES = ("drrn_tf", "drrn_tf_export")

    def __enter__(self):
        self.handler = Say()
        self.saved = []
        for name in self.NAMES:
            log = logging.getLogger(name)
            self.saved.append((log, log.level, log.propagate))
            log.addHandler(self.handler)
            log.setLevel(logging.INFO)
            log.propagate = False
        return self

    def __exit__(self, *exc):
        for log, level, propagate in self.saved:
            log.removeHandler(self.handler)
            log.setLevel(level)
            log.propagate = propagate
        return False


def split_cpu_for_tests() -> None:
    """``DRRN_CPU_DEVICES=N`` (a test hook of ``drrn train``) splits the CPU into N logical devices before
    TensorFlow's runtime starts, so that ``tf.distribute.MirroredStrategy`` can be exercised without GPUs."""
    n = int(os.environ.get("DRRN_CPU_DEVICES", "0") or 0)
    if n > 1:
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)
