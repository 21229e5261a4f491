"""``brainresnet launch``: N local worker processes for multi-worker training on one machine.

Each worker is ``brainresnet train`` (or ``pretrain``) with its own ``TF_CONFIG`` naming every
worker on a loopback port (worker 0 is the chief). Their output is streamed with a
``[worker i]`` prefix. When one worker fails, the others are stopped and the launch fails with
that worker's exit status; with ``--restarts N`` the whole group is started again with
``--resume`` (continuing from the last checkpoint), up to N times. No TensorFlow is imported here.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from brainresnet_tf.errors import InputError

HOST = "127.0.0.1"

try:  # looked up here, not in the forked child
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None
except (OSError, AttributeError):
    _PRCTL = None


def free_ports(n: int, host: str = HOST) -> list[int]:
    """``n`` distinct ports that are free on ``host`` now (the OS picks them)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def check_ports(ports: list[int], host: str = HOST) -> None:
    """Fail clearly when one of ``ports`` is taken."""
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError as err:
                raise InputError(
                    f"--port-base: port {port} on {host} is not free ({err.strerror}); "
                    "pick another base or leave --port-base out"
                ) from None


def tf_config(addresses: list[str], index: int) -> str:
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of ``addresses`` (worker 0 is chief)."""
    return json.dumps({"cluster": {"worker": list(addresses)}, "task": {"type": "worker", "index": index}})


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the worker gets SIGKILL when the launcher dies, so no worker is left behind."""
    if _PRCTL is not None:
        _PRCTL(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG


def _pump(stream, prefix: str, lock: threading.Lock, log: Callable[[str], None]) -> None:
    for line in iter(stream.readline, ""):
        with lock:
            log(f"{prefix}{line.rstrip(chr(10))}")
    stream.close()


def _stop(procs: list[subprocess.Popen], grace: float = 2.0) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    deadline = time.time() + grace
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def run_group(
    n_workers: int,
    worker_args: list[str],
    ports: list[int],
    host: str = HOST,
    env: dict[str, str] | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> tuple[int, int | None]:
    """Start the workers, relay their output lines to ``log`` (prefixed ``[worker i]``), wait.

    Returns (exit status, failed worker or None).
    """
    addresses = [f"{host}:{p}" for p in ports]
    lock = threading.Lock()
    procs, pumps = [], []
    base_env = {**(env if env is not None else os.environ), "PYTHONUNBUFFERED": "1"}
    try:
        for i in range(n_workers):
            cmd = [sys.executable, "-m", "brainresnet_tf.cli", *worker_args]
            worker_env = {**base_env, "TF_CONFIG": tf_config(addresses, i)}
            proc = subprocess.Popen(
                cmd,
                env=worker_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
                preexec_fn=_die_with_parent if _PRCTL is not None else None,
            )
            procs.append(proc)
            with lock:
                log(f"[launch] worker {i} pid {proc.pid} on {addresses[i]}{' (chief)' if i == 0 else ''}")
            t = threading.Thread(target=_pump, args=(proc.stdout, f"[worker {i}] ", lock, log), daemon=True)
            t.start()
            pumps.append(t)
        while True:
            codes = [p.poll() for p in procs]
            failed = next((i for i, c in enumerate(codes) if c not in (None, 0)), None)
            if failed is not None:
                _stop(procs)
                return codes[failed], failed
            if all(c == 0 for c in codes):
                return 0, None
            time.sleep(0.1)
    finally:
        _stop(procs)
        for t in pumps:
            t.join(timeout=5)


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def launch(
    n_workers: int,
    worker_args: list[str],
    port_base: int | None = None,
    restarts: int = 0,
    resume: bool = False,
    host: str = HOST,
    log: Callable[[str], None] = lambda message: None,
    warn: Callable[[str], None] | None = None,
) -> int:
    """Run ``n_workers`` local workers of ``brainresnet <worker_args>``; restart on failure.

    ``log`` receives one line per event (start, finish, restart) and the workers' output;
    ``warn`` (default: ``log``) the failure lines.
    """
    warn = warn or log
    if n_workers < 1:
        raise InputError(f"--workers must be at least 1, got {n_workers}")
    attempt = 0
    while True:
        if port_base is not None:
            ports = list(range(port_base, port_base + n_workers))
            check_ports(ports, host)
        else:
            ports = free_ports(n_workers, host)
        args = worker_args + (
            ["--resume"] if (resume or attempt > 0) and "--resume" not in worker_args else []
        )
        log(f"[launch] {n_workers} workers on {host} ports {ports}: brainresnet {' '.join(args)}")
        code, failed = run_group(n_workers, args, ports, host, log=log)
        if failed is None:
            log(f"[launch] all {n_workers} workers finished")
            return 0
        warn(f"[launch] worker {failed} failed ({describe_exit(code)}); stopped the others")
        if attempt >= restarts:
            warn("[launch] giving up; re-run with --resume to continue from the last checkpoint")
            return code if code > 0 else 1
        attempt += 1
        log(f"[launch] restart {attempt}/{restarts}: all workers again with --resume")
