"""``brainresnet launch`` fails clearly: a worker's bad config, a port already taken."""

import os
import socket
import subprocess
import sys

import pytest


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    return {**env, "TF_CPP_MIN_LOG_LEVEL": "3", **extra}


@pytest.mark.subprocess
def test_launch_fails_clearly(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("training: {epochz: 3}\n")
    base = [sys.executable, "-m", "brainresnet_tf.cli", "launch", "--workers", "2", "--config", str(bad)]
    done = subprocess.run(base, capture_output=True, text=True, env=_env(), timeout=120)
    assert done.returncode == 2
    assert "failed (exit status 2)" in done.stderr
    assert "unknown config key 'training.epochz'" in done.stdout  # the worker's own message
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        done = subprocess.run(
            base + ["--port-base", str(port)], capture_output=True, text=True, env=_env(), timeout=60
        )
    assert done.returncode == 2 and f"port {port} on 127.0.0.1 is not free" in done.stderr
