"""``brainresnet serve`` in a child process: answers gRPC and REST, exits on SIGTERM."""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import grpc
import pytest
from tensorflow_serving.apis import (
    get_model_status_pb2,
    model_pb2,
    model_service_pb2_grpc,
)


@pytest.mark.subprocess
def test_serve_command_in_a_subprocess(exported, tmp_path):
    """`brainresnet serve` (the installed console script) answers gRPC and REST, then exits on SIGTERM."""
    with socket.socket() as sock:  # a free port for REST (--rest-port 0 means no REST)
        sock.bind(("127.0.0.1", 0))
        rest_port = sock.getsockname()[1]
    exe = shutil.which("brainresnet")
    cmd = [exe] if exe else [sys.executable, "-m", "brainresnet_tf.cli"]
    log = tmp_path / "serve.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [
                *cmd,
                "serve",
                "--model-base-path",
                str(exported[2]),
                "--port",
                "0",
                "--model-name",
                "tiny",
                "--max-batch-size",
                "8",
                "--rest-port",
                str(rest_port),
            ],
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 45
        while not (found := re.search(r"on 127\.0\.0\.1:(\d+)", log.read_text())):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.1)
        with grpc.insecure_channel(f"127.0.0.1:{found.group(1)}") as channel:
            status = model_service_pb2_grpc.ModelServiceStub(channel).GetModelStatus(
                get_model_status_pb2.GetModelStatusRequest(model_spec=model_pb2.ModelSpec(name="tiny")),
                timeout=30,
            )
        assert status.model_version_status[0].state == get_model_status_pb2.ModelVersionStatus.AVAILABLE
        assert f"REST (TF Serving API) on http://127.0.0.1:{rest_port}" in log.read_text()
        with urllib.request.urlopen(f"http://127.0.0.1:{rest_port}/v1/models/tiny", timeout=30) as response:
            assert json.loads(response.read())["model_version_status"][0]["state"] == "AVAILABLE"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
