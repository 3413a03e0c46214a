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
    first call, and again in a forked child, which has none of its parent's threads; ``close`` says
    whether a call is still running, and lets none start after it."""

    def __init__(self, workers: int, name: str):
        self.workers, self.name = workers, name
        self.threads: list[threading.Thread] = []
        self.pid, self.running, self.closed = -1, 0, False
        self.lock = threading.Lock()

    def _start(self) -> queue.SimpleQueue:
        if self.pid not in (-1, os.getpid()):  # a forked child: a lock a parent's thread held then stays held
            self.lock = threading.Lock()
        with self.lock:
            if self.pid != os.getpid():
                self.tasks: queue.SimpleQueue = queue.SimpleQueue()
                self.threads = [threading.Thread(target=self._serve, args=(self.tasks,), name=f"{self.name}-{k}", daemon=True) for k in range(self.workers)]
                for thread in self.threads:
                    thread.start()
                self.pid, self.running, self.closed = os.getpid(), 0, False
        return self.tasks

    def _serve(self, tasks: queue.SimpleQueue) -> None:
        while True:
            future, fn, args = tasks.get()
            with self.lock:
                if self.closed or not future.set_running_or_notify_cancel():
                    continue
                self.running += 1
            try:
                future.set_result(fn(*args))
            except BaseException as e:  # handed to the caller
                future.set_exception(e)
            finally:
                with self.lock:
                    self.running -= 1

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        (self.tasks if self.pid == os.getpid() else self._start()).put((future, fn, args))
        return future

    def close(self) -> bool:
        """Start no more calls; whether one is still running (in this process)."""
        with self.lock:
            self.closed = True
            return self.pid == os.getpid() and self.running > 0
