"""Daemon worker threads: the streaming engine's colour work, and the ``drrn`` command's network calls.

Not ``concurrent.futures.ThreadPoolExecutor``: its workers are not daemons, and a Ctrl-C or SIGTERM
landing while it starts one can leave that worker unregistered, so that the interpreter waits for it
forever at exit (seen with ``drrn upscale`` + SIGTERM).
"""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import Future

__all__ = ["DaemonPool"]


class DaemonPool:
    """``workers`` daemon threads serving ``submit(fn, *args)`` in order of submission. Started on the
    first call, and again in a forked child, which has none of its parent's threads."""

    def __init__(self, workers: int, name: str):
        self.workers, self.name = workers, name
        self.threads: list[threading.Thread] = []
        self.pid = -1
        self.lock = threading.Lock()

    def _start(self) -> queue.SimpleQueue:
        with self.lock:
            if self.pid != os.getpid():
                self.tasks: queue.SimpleQueue = queue.SimpleQueue()
                self.threads = [threading.Thread(target=self._serve, args=(self.tasks,), name=f"{self.name}-{k}", daemon=True) for k in range(self.workers)]
                for thread in self.threads:
                    thread.start()
                self.pid = os.getpid()
        return self.tasks

    @staticmethod
    def _serve(tasks: queue.SimpleQueue) -> None:
        while True:
            future, fn, args = tasks.get()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as e:  # handed to the caller
                    future.set_exception(e)

    def owns(self, thread: threading.Thread) -> bool:
        """Whether ``thread`` is one of this pool's workers."""
        return thread in self.threads

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        (self.tasks if self.pid == os.getpid() else self._start()).put((future, fn, args))
        return future
