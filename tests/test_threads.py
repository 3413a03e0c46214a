"""The daemon worker threads (colour bands, network calls) and the main thread's interruptible wait."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from drrn_tf.cli import process
from drrn_tf.inference.threads import DaemonPool


def test_a_pool_answers_each_call_and_hands_back_exceptions():
    pool = DaemonPool(2, "test-pool")
    futures = [pool.submit(pow, k, 2) for k in range(20)]
    assert [f.result(timeout=10) for f in futures] == [k * k for k in range(20)]
    assert all(t.daemon for t in pool.threads) and len(pool.threads) == 2
    with pytest.raises(ZeroDivisionError):
        pool.submit(divmod, 1, 0).result(timeout=10)


def test_a_closed_pool_says_whether_a_call_is_running_and_starts_no_more():
    pool = DaemonPool(1, "test-close")
    release, started = threading.Event(), threading.Event()
    running = pool.submit(lambda: (started.set(), release.wait(30)))
    queued = pool.submit(abs, -3)
    assert started.wait(10)
    assert pool.close() is True  # the first call is still running
    release.set()
    running.result(timeout=10)
    assert pool.close() is False and not queued.done()  # the queued call never starts


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_starts_its_own_workers():
    import time

    pool = DaemonPool(1, "test-fork")
    assert pool.submit(abs, -1).result(timeout=10) == 1
    pid = os.fork()
    if pid == 0:  # the child: its parent's worker is not here; without a new one this would wait forever
        try:
            os._exit(0 if pool.submit(abs, -2).result(timeout=10) == 2 else 1)
        except BaseException:
            os._exit(1)
    deadline = time.monotonic() + 30
    while (status := os.waitpid(pid, os.WNOHANG)) == (0, 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    if status == (0, 0):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert status[0] == pid and os.waitstatus_to_exitcode(status[1]) == 0


@pytest.fixture
def owned(monkeypatch):
    """As in the drrn program (``own_process``), undone after the test."""
    monkeypatch.setattr(process, "_OWNED", threading.Event())
    process.own_process()


def test_off_main_thread_runs_on_the_worker_only_in_the_drrn_program(monkeypatch):
    where = process.off_main_thread(lambda: threading.current_thread().name)
    monkeypatch.setattr(process, "_OWNED", threading.Event())
    assert where() == "MainThread"  # a library user's process (or main() called in it): as it is
    process.own_process()
    assert where().startswith("drrn-call")
    with pytest.raises(ValueError, match="bad"):
        process.off_main_thread(lambda: (_ for _ in ()).throw(ValueError("bad")))()
    box = []  # from another thread, as it is
    t = threading.Thread(target=lambda: box.append(where()), name="other")
    t.start()
    t.join(10)
    assert box == ["other"]


def test_an_interrupt_lands_during_a_long_call(owned, monkeypatch):
    """The main thread takes the signal while the worker is still in the call (here: waiting on an
    event, as it would in a native call that does not return for minutes); ``exit_process`` would
    then end the process at once."""
    monkeypatch.setattr(process, "_WORKER", DaemonPool(1, "drrn-call"))
    release, started = threading.Event(), threading.Event()

    def long_call():
        started.set()
        release.wait(30)

    def alarm(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(KeyboardInterrupt):
            process.off_main_thread(long_call)()
        assert started.is_set() and process._WORKER.running == 1  # still running when the interrupt landed
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        release.set()
