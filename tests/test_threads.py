"""The daemon worker threads (colour bands, network calls) and the main thread's interruptible wait."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from drrn_tf.cli import process
from drrn_tf.inference.threads import DaemonPool


def test_a_pool_answers_in_order_and_hands_back_exceptions():
    pool = DaemonPool(2, "test-pool")
    futures = [pool.submit(pow, k, 2) for k in range(20)]
    assert [f.result(timeout=10) for f in futures] == [k * k for k in range(20)]
    assert all(t.daemon for t in pool.threads) and len(pool.threads) == 2
    with pytest.raises(ZeroDivisionError):
        pool.submit(divmod, 1, 0).result(timeout=10)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_starts_its_own_workers():
    pool = DaemonPool(1, "test-fork")
    assert pool.submit(abs, -1).result(timeout=10) == 1
    pid = os.fork()
    if pid == 0:  # the child: its parent's worker is not here; without a new one this would wait forever
        try:
            os._exit(0 if pool.submit(abs, -2).result(timeout=10) == 2 else 1)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_off_main_thread_runs_on_the_worker_and_passes_results_and_errors():
    where = process.off_main_thread(lambda: threading.current_thread().name)
    assert where().startswith("drrn-call")
    with pytest.raises(ValueError, match="bad"):
        process.off_main_thread(lambda: (_ for _ in ()).throw(ValueError("bad")))()
    box = []  # from another thread, as it is
    t = threading.Thread(target=lambda: box.append(where()), name="other")
    t.start()
    t.join(10)
    assert box == ["other"]


def test_an_interrupt_lands_during_a_long_call_and_marks_it_abandoned(monkeypatch):
    """The main thread takes the signal while the worker is still in the call (here: waiting on an
    event, as it would in a native call that does not return for minutes)."""
    monkeypatch.setattr(process, "_ABANDONED", threading.Event())
    release, started = threading.Event(), threading.Event()

    def long_call():
        started.set()
        release.wait(30)
        return "late"

    def alarm(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(KeyboardInterrupt):
            process.off_main_thread(long_call)()
        assert started.is_set() and process._ABANDONED.is_set()  # still running when the interrupt landed
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        release.set()
    assert process.off_main_thread(lambda: "next")() == "next"  # the worker goes on once the call returns
