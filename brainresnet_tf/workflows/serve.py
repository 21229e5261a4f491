"""``brainresnet serve``: TF Serving's gRPC and REST APIs over an exported model folder."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from dataclasses import dataclass

from brainresnet_tf.workflows.common import positive_int

NAME = "serve"


@dataclass(frozen=True)
class ServeOptions:
    """What ``brainresnet serve`` runs: the folder, the address, batching and thread pools."""

    model_base_path: str
    model_name: str | None = None
    host: str = "127.0.0.1"
    port: int = 8500
    batching: bool = True
    max_batch_size: int = 64
    batch_timeout_ms: float = 1.0
    num_batch_threads: int | None = None  # default: half the cores, 1 to 4
    poll_seconds: float = 1.0
    intra_op_threads: int = 0  # 0: TensorFlow's default (all cores)
    inter_op_threads: int = 0
    rest_port: int = 8501  # 0: no REST API
    max_request_rows: int = 4096
    max_message_mb: float = 64.0


def add_parser(sub) -> argparse.ArgumentParser:
    """The ``serve`` subcommand's arguments."""
    p = sub.add_parser(NAME, help="gRPC and REST server with TF Serving's API over an exported model")
    p.add_argument("--model-base-path", required=True, help="folder of version folders")
    p.add_argument("--model-name", help="name clients ask for (default: the folder's name)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback only)")
    p.add_argument("--port", type=int, default=8500, help="gRPC port (0: the OS picks a free one)")
    p.add_argument(
        "--rest-port", type=int, default=8501, help="REST API port, on the same --host (0: no REST)"
    )
    p.add_argument(
        "--max-request-rows",
        type=positive_int,
        default=4096,
        help="rows one request may hold; more is INVALID_ARGUMENT (HTTP 400)",
    )
    p.add_argument(
        "--max-message-mb",
        type=float,
        default=64.0,
        help="largest gRPC message or HTTP body in MB (gRPC RESOURCE_EXHAUSTED, HTTP 413)",
    )
    p.add_argument("--max-batch-size", type=positive_int, default=64, help="rows per merged batch")
    p.add_argument(
        "--batch-timeout-ms",
        type=float,
        default=1.0,
        help="longest wait for more requests before running a batch",
    )
    p.add_argument("--no-batching", action="store_true", help="run each request on its own")
    p.add_argument(
        "--num-batch-threads",
        type=positive_int,
        help="batches that may run at once (default: half the cores, 1 to 4)",
    )
    p.add_argument("--poll-seconds", type=float, default=1.0, help="how often to look for a new version")
    p.add_argument(
        "--intra-op-threads",
        type=int,
        default=0,
        help="TensorFlow intra-op threads (0: TF's default, all cores)",
    )
    p.add_argument(
        "--inter-op-threads", type=int, default=0, help="TensorFlow inter-op threads (0: TF's default)"
    )
    return p


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT / SIGTERM."""
    serve(
        ServeOptions(
            args.model_base_path,
            args.model_name,
            args.host,
            args.port,
            not args.no_batching,
            args.max_batch_size,
            args.batch_timeout_ms,
            args.num_batch_threads,
            args.poll_seconds,
            args.intra_op_threads,
            args.inter_op_threads,
            args.rest_port,
            args.max_request_rows,
            args.max_message_mb,
        )
    )
    return 0


def serve(options: ServeOptions) -> None:
    """Run the server in the foreground until SIGINT/SIGTERM.

    ``intra_op_threads``/``inter_op_threads`` set TensorFlow's thread pools (0: TF's default, all
    cores), like tensorflow_model_server's ``--tensorflow_intra_op_parallelism``.
    """
    from brainresnet_tf.errors import InputError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if options.max_batch_size < 1:
        raise InputError(f"--max-batch-size must be at least 1 (got {options.max_batch_size})")
    if options.max_request_rows < 1:
        raise InputError(f"--max-request-rows must be at least 1 (got {options.max_request_rows})")
    if not options.max_message_mb > 0:
        raise InputError(f"--max-message-mb must be positive (got {options.max_message_mb})")
    if not 0 <= options.rest_port <= 65535:
        raise InputError(f"--rest-port must be 0 (off) or a port number (got {options.rest_port})")
    import tensorflow as tf

    from brainresnet_tf.serve.server import BatchingOptions, Limits, ServingServer

    if options.intra_op_threads:
        tf.config.threading.set_intra_op_parallelism_threads(options.intra_op_threads)
    if options.inter_op_threads:
        tf.config.threading.set_inter_op_parallelism_threads(options.inter_op_threads)
    # half the cores, at most 4: each batch runs TensorFlow on its intra-op threads while the
    # other cores parse requests (Python gRPC/REST); on 2 cores one batch thread merged larger
    # batches (mean 9.4 vs 7.1 rows) at less server CPU per request (benchmarks/serving.py)
    threads = options.num_batch_threads or min(4, max(1, (os.cpu_count() or 1) // 2))
    batching = BatchingOptions(options.batching, options.max_batch_size, options.batch_timeout_ms, threads)
    server = ServingServer(
        options.model_base_path,
        options.model_name,
        options.host,
        options.port,
        batching,
        options.poll_seconds,
        rest_port=options.rest_port or None,
        limits=Limits(options.max_request_rows, int(options.max_message_mb * (1 << 20))),
    )
    port = server.start()
    log = logging.getLogger("brainresnet.serving")
    log.info(
        "model %s: gRPC (TF Serving API) on %s:%d; batching %s",
        server.model_name,
        options.host,
        port,
        f"on (max {options.max_batch_size} rows, {options.batch_timeout_ms:g} ms, {threads} batch threads)"
        if options.batching
        else "off",
    )
    if server.rest_url:
        log.info(
            "model %s: REST (TF Serving API) on http://%s:%d",
            server.model_name,
            options.host,
            server.rest_port,
        )
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    log.info("shutting down")
    server.stop()
