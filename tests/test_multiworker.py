"""Multi-worker training (``--strategy multiworker``), proven with two worker processes on 127.0.0.1:
they end with the same weights as each other and as one process with two replicas, and a run whose
worker is killed midway resumes (every worker again, ``--resume``) to those same weights."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
from conftest import tiny_training

import drrn_tf

pytestmark = pytest.mark.slow
TIMEOUT_S = 300


def _config(tmp_path, data_dir):
    cfg = tiny_training(data_dir, batch_size=16, steps_per_epoch=5, epochs=8)
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(cfg))
    return path


def _free_ports(n=2):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _env(**extra):
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **extra}


def _workers(run, *args):
    """Start the two workers of a cluster on free local ports: ``drrn train -o RUN ARGS``."""
    cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports()]}
    procs = []
    for index in range(2):
        tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
        cmd = [sys.executable, "-m", "drrn_tf", "train", "-o", str(run), *args]
        procs.append(subprocess.Popen(cmd, env=_env(TF_CONFIG=tf_config), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    return procs


def _finish(procs, timeout=TIMEOUT_S):
    errs = []
    for p in procs:
        try:
            errs.append(p.communicate(timeout=timeout)[1])
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            pytest.fail("a worker did not finish in time")
    return [p.returncode for p in procs], errs


def _weights(path):
    drrn_tf.register_keras_objects()
    return keras.saving.load_model(path).get_weights()


def _assert_same(a, b):
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def two_replicas(tmp_path_factory, data_dir):
    """The reference: one process, the CPU split into two devices, MirroredStrategy."""
    tmp = tmp_path_factory.mktemp("mirrored")
    cmd = [sys.executable, "-m", "drrn_tf", "train", "--config", str(_config(tmp, data_dir)), "-o", str(tmp / "run"), "--strategy", "mirrored"]
    p = subprocess.run(cmd, env=_env(DRRN_CPU_DEVICES="2"), capture_output=True, text=True, timeout=TIMEOUT_S)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "2 replica(s)" in p.stderr
    return _weights(tmp / "run" / "model.keras")


def test_two_workers_train_as_one_process_with_two_replicas(tmp_path, data_dir, two_replicas):
    run = tmp_path / "run"
    codes, errs = _finish(_workers(run, "--config", str(_config(tmp_path, data_dir)), "--strategy", "multiworker"))
    assert codes == [0, 0], [e[-2000:] for e in errs]
    assert all("2 replica(s)" in e for e in errs)
    chief, other = _weights(run / "model.keras"), _weights(run / "worker-1" / "model.keras")  # the chief writes the run's files
    _assert_same(chief, other)
    _assert_same(chief, two_replicas)


def test_a_run_whose_worker_dies_resumes_to_the_same_weights(tmp_path, data_dir, two_replicas):
    run = tmp_path / "run"
    procs = _workers(run, "--config", str(_config(tmp_path, data_dir)), "--strategy", "multiworker")
    deadline = time.monotonic() + TIMEOUT_S
    state = run / "state.json"
    while not (state.is_file() and json.loads(state.read_text())["epoch"] >= 3):
        assert time.monotonic() < deadline and procs[0].poll() is None, "the run did not reach epoch 3"
        time.sleep(0.05)
    procs[1].kill()  # the second worker dies midway
    codes, errs = _finish(procs, timeout=120)  # the chief notices and stops with one line
    saved = json.loads(state.read_text())["epoch"]
    assert codes[0] == 2 and "drrn: error: a worker of the multi-worker run stopped" in errs[0], errs[0][-2000:]
    assert 3 <= saved < 8
    codes, errs = _finish(_workers(run, "--resume"))  # every worker again, the same command
    assert codes == [0, 0], [e[-2000:] for e in errs]
    assert all("resuming drrn: 1,321 params" in e and f"epoch {saved + 1}/8" in e for e in errs)
    _assert_same(_weights(run / "model.keras"), two_replicas)
    _assert_same(_weights(run / "worker-1" / "model.keras"), two_replicas)
    # Once more on the finished run, the second worker's folder gone: nothing left to train, no false alarm.
    shutil.rmtree(run / "worker-1")
    codes, errs = _finish(_workers(run, "--resume"))
    assert codes == [0, 0], [e[-2000:] for e in errs]
    _assert_same(_weights(run / "worker-1" / "model.keras"), two_replicas)
