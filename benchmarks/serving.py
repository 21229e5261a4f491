"""gRPC serving (our TF Serving-compatible server) vs the in-process model, in one run. Prints JSON.

A demo-sized Brain-ResNet (600 bp, 3 profiles; untrained: speed does not depend on the weights) is
exported, served by `brainresnet serve` in a subprocess (batching on, and a second server with
batching off), and queried with the official tensorflow-serving-api stubs:

- latency p50/p99 at batch 1 and batch 64 (serving_default, one-hot float32), gRPC vs calling the
  same SavedModel signature in this process; overhead = gRPC p50 - in-process p50;
- throughput (sequences/s) with 16 client threads each sending requests of 1, 8 and 32 rows in a
  loop, batching on and off, vs the in-process signature called with batches of 64; plus the
  server's CPU time per 1,000 sequences (from /proc) vs the in-process CPU time, a measure that
  other load on the machine disturbs less than throughput does;
- the same concurrent runs against servers without a model (benchmarks/serving_ceiling_server.py):
  a bare grpcio PredictionService (thread pool server, the issue's ceiling), the same on grpc.aio
  (the server API ours uses), and our server with the model call replaced by a constant. Each run
  reports ``vs_bare_grpc_ceiling`` and ``vs_bare_grpc_aio_ceiling`` (same rows per request, same run);
- the batching server's mean merged batch (rows per model call, from its /monitoring/prometheus/metrics);
- the same concurrent runs over REST (TF Serving's JSON API on the batching server, 16 threads with
  keep-alive http.client connections; the JSON body is encoded once per run, as a client that
  re-sends a prepared request would): one-hot ``instances`` to serving_default as over gRPC, and
  DNA strings to predict_dna; against a bare aiohttp server answering a constant
  (``vs_bare_rest_ceiling``) and against the bare gRPC ceiling.

Server and in-process TensorFlow use the same thread settings (--intra-op-threads, default 1:
on a small shared machine one thread per process wastes the least CPU on spinning).
The clients run in this process, so they take CPU from the server, as they would not in a
deployment where clients are elsewhere.

Usage: python benchmarks/serving.py [--seconds 6] [--clients 16] [--rows 1,8,32] [--rounds 1]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import grpc  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_service_pb2_grpc  # noqa: E402

from brainresnet_tf.models import ResNetSpec, build_resnet  # noqa: E402
from brainresnet_tf.models.saving import ModelMeta  # noqa: E402
from brainresnet_tf.serve.export import export_serving  # noqa: E402

LENGTH, PROFILES = 600, ["iPSC_neuron", "NPC", "fetal_brain"]


CEILING_SERVER = Path(__file__).with_name("serving_ceiling_server.py")


def start_server(
    base: Path, log: Path, extra: list[str], script: list[str] | None = None
) -> tuple[subprocess.Popen, str]:
    """`brainresnet serve` (or ``script``) on a free loopback port; returns (process, address)."""
    cmd = [
        sys.executable,
        *(script or ["-m", "brainresnet_tf.cli", "serve"]),
        "--model-base-path",
        str(base),
        "--model-name",
        "bench",
        "--port",
        "0",
        *extra,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        found = re.search(r"on 127\.0\.0\.1:(\d+)", log.read_text())
        if found:
            return proc, f"127.0.0.1:{found.group(1)}"
        if proc.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start within 180 s")


def free_port() -> int:
    """A loopback port free now (for --rest-port, where 0 means off)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def batch_counts(rest: str) -> tuple[int, int, int]:
    """(requests, model calls, rows) the server's batchers have run so far."""
    text = urllib.request.urlopen(f"{rest}/monitoring/prometheus/metrics", timeout=30).read().decode()
    totals = []
    for metric in (
        "brainresnet_batched_requests_total",
        "brainresnet_batches_total",
        "brainresnet_batched_rows_total",
    ):
        totals.append(sum(int(v) for v in re.findall(rf"^{metric}{{[^}}]*}} (\d+)$", text, re.MULTILINE)))
    return tuple(totals)


def with_batches(run, rest: str) -> dict:
    """``run()`` plus the mean rows per model call the batcher merged during it."""
    before = batch_counts(rest)
    result = run()
    after = batch_counts(rest)
    requests, calls, rows = (a - b for a, b in zip(after, before))
    result["batched_requests"] = requests
    result["mean_batch_rows"] = round(rows / calls, 2) if calls else None
    return result


def rest_throughput(
    port: int, server_pid: int, clients: int, batch: int, seconds: float, rng: np.random.Generator, dna: bool
) -> dict:
    """Sequences/s over REST with ``clients`` threads each posting ``batch``-row requests in a loop."""
    if dna:
        seqs = ["".join(rng.choice(list("ACGT"), LENGTH)) for _ in range(batch)]
        body = json.dumps({"signature_name": "predict_dna", "instances": seqs}).encode()
    else:
        body = json.dumps({"instances": rng.random((batch, LENGTH, 4), dtype=np.float32).tolist()}).encode()
    headers = {"Content-Type": "application/json"}
    counts, times = [0] * clients, [[] for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]
    errors: list[str] = []

    def post(conn):
        conn.request("POST", "/v1/models/bench:predict", body, headers)
        response = conn.getresponse()
        data = response.read()
        if response.status != 200:
            errors.append(data.decode()[:200])
        return data

    def client(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        post(conn)
        start.wait()
        while time.perf_counter() < stop_at[0]:
            t = time.perf_counter()
            post(conn)
            times[i].append(time.perf_counter() - t)
            counts[i] += batch
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # let every client open its connection and warm up
    stop_at[0] = time.perf_counter() + seconds
    cpu0, client0 = process_cpu(server_pid), time.process_time()
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    server_cpu, client_cpu = process_cpu(server_pid) - cpu0, time.process_time() - client0
    if errors:
        raise RuntimeError(f"REST errors: {errors[:3]}")
    n = sum(counts)
    return {
        "clients": clients,
        "rows_per_request": batch,
        "signature": "predict_dna" if dna else "serving_default",
        "request_bytes": len(body),
        "seqs_per_s": round(n / elapsed, 1),
        "server_cpu_ms_per_1k_seqs": round(1e6 * server_cpu / n, 1),
        "client_cpu_ms_per_1k_seqs": round(1e6 * client_cpu / n, 1),
        "request_latency": percentiles([v for ts in times for v in ts]),
    }


def request(x: np.ndarray) -> predict_pb2.PredictRequest:
    """A PredictRequest built the way a typical client builds it (tf.make_tensor_proto)."""
    req = predict_pb2.PredictRequest(
        model_spec=model_pb2.ModelSpec(name="bench", signature_name="serving_default")
    )
    req.inputs["sequence"].CopyFrom(tf.make_tensor_proto(x))
    return req


def percentiles(times: list[float]) -> dict:
    ms = np.array(times) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "n": len(ms),
    }


def latency(call, x: np.ndarray, n: int) -> dict:
    for _ in range(5):
        call(x)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        call(x)
        times.append(time.perf_counter() - t)
    return percentiles(times)


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def concurrent_throughput(
    address: str, server_pid: int, clients: int, batch: int, seconds: float, rng: np.random.Generator
) -> dict:
    """Sequences/s with ``clients`` threads each sending ``batch``-row requests in a loop."""
    channel = grpc.insecure_channel(address, options=[("grpc.max_receive_message_length", 1 << 28)])
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    x = rng.random((batch, LENGTH, 4), dtype=np.float32)
    counts, times = [0] * clients, [[] for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(i):
        start.wait()
        while time.perf_counter() < stop_at[0]:
            t = time.perf_counter()
            stub.Predict(request(x), timeout=60)
            times[i].append(time.perf_counter() - t)
            counts[i] += batch

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for _ in range(3):  # warm the connection and the server's batcher
        stub.Predict(request(x), timeout=60)
    stop_at[0] = time.perf_counter() + seconds
    cpu0, client0 = process_cpu(server_pid), time.process_time()
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    server_cpu, client_cpu = process_cpu(server_pid) - cpu0, time.process_time() - client0
    channel.close()
    n = sum(counts)
    return {
        "clients": clients,
        "rows_per_request": batch,
        "seqs_per_s": round(n / elapsed, 1),
        "server_cpu_ms_per_1k_seqs": round(1e6 * server_cpu / n, 1),
        "client_cpu_ms_per_1k_seqs": round(1e6 * client_cpu / n, 1),
        "request_latency": percentiles([v for ts in times for v in ts]),
    }


def inprocess_throughput(fn, batch: int, seconds: float, rng: np.random.Generator) -> dict:
    x = tf.constant(rng.random((batch, LENGTH, 4), dtype=np.float32))
    fn(sequence=x)
    n, t0, cpu0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds:
        fn(sequence=x)["probabilities"].numpy()
        n += batch
    return {
        "batch": batch,
        "seqs_per_s": round(n / (time.perf_counter() - t0), 1),
        "cpu_ms_per_1k_seqs": round(1e6 * (time.process_time() - cpu0) / n, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=6.0, help="length of each throughput run")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--max-batch-size", type=int, default=64)
    ap.add_argument("--batch-timeout-ms", type=float, default=1.0)
    ap.add_argument("--n1", type=int, default=300, help="latency samples at batch 1")
    ap.add_argument("--n64", type=int, default=40, help="latency samples at batch 64")
    ap.add_argument("--rows", default="1,8,32", help="rows per request in the concurrent runs")
    ap.add_argument("--rounds", type=int, default=1, help="repeat every throughput run; report the median")
    ap.add_argument("--intra-op-threads", type=int, default=1, help="0: TensorFlow's default")
    ap.add_argument(
        "--num-batch-threads",
        type=int,
        default=0,
        help="server batch threads (0: the server's default, half the cores, 1 to 4)",
    )
    args = ap.parse_args()
    rows_list = [int(r) for r in args.rows.split(",")]
    threads = [
        "--intra-op-threads",
        str(args.intra_op_threads),
        "--inter-op-threads",
        str(args.intra_op_threads),
    ]
    if args.intra_op_threads:  # before TensorFlow starts its runtime
        tf.config.threading.set_intra_op_parallelism_threads(args.intra_op_threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.intra_op_threads)
    rng = np.random.default_rng(0)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tf.keras.utils.set_random_seed(0)
        model = build_resnet(
            LENGTH, len(PROFILES), ResNetSpec(stem_filters=32, stage_filters=(32, 48, 64), head_units=64)
        )
        base = export_serving(model, tmp / "bench", meta=ModelMeta(PROFILES, LENGTH)).parent
        rest_port = free_port()
        rest = f"http://127.0.0.1:{rest_port}"
        on, on_addr = start_server(
            base,
            tmp / "on.log",
            [
                "--rest-port",
                str(rest_port),
                "--max-batch-size",
                str(args.max_batch_size),
                "--batch-timeout-ms",
                str(args.batch_timeout_ms),
                *(["--num-batch-threads", str(args.num_batch_threads)] if args.num_batch_threads else []),
                *threads,
            ],
        )
        off, off_addr = start_server(base, tmp / "off.log", ["--no-batching", "--rest-port", "0", *threads])
        ceilings: dict[str, tuple[subprocess.Popen, str]] = {}
        try:
            for mode in ("bare", "bare-aio", "no-model"):
                ceilings[f"ceiling_{mode.replace('-', '_')}"] = start_server(
                    base, tmp / f"{mode}.log", ["--mode", mode], [str(CEILING_SERVER)]
                )
            bare_rest_port = free_port()
            bare_rest, _ = start_server(
                base,
                tmp / "bare-rest.log",
                ["--mode", "bare-rest", "--port", str(bare_rest_port)],
                [str(CEILING_SERVER)],
            )
            ceilings["ceiling_bare_rest"] = (bare_rest, f"127.0.0.1:{bare_rest_port}")
            fn = tf.saved_model.load(str(base / "1")).signatures["serving_default"]
            result = {
                "model": {
                    "input_length": LENGTH,
                    "profiles": len(PROFILES),
                    "params": int(model.count_params()),
                },
                "cpu_cores": os.cpu_count(),
                "load_average_at_start": os.getloadavg(),
                "server": {
                    "max_batch_size": args.max_batch_size,
                    "batch_timeout_ms": args.batch_timeout_ms,
                    "num_batch_threads": args.num_batch_threads or "server default",
                    "tf_intra_op_threads": args.intra_op_threads or "default",
                },
                "latency": {},
            }
            channels = {
                name: grpc.insecure_channel(addr, options=[("grpc.max_receive_message_length", 1 << 28)])
                for name, addr in (("grpc_batching_on", on_addr), ("grpc_batching_off", off_addr))
            }
            for batch, n in ((1, args.n1), (64, args.n64)):
                x = rng.random((batch, LENGTH, 4), dtype=np.float32)
                row = {
                    "in_process": latency(
                        lambda a: fn(sequence=tf.constant(a))["probabilities"].numpy(), x, n
                    )
                }
                for name, channel in channels.items():
                    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
                    row[name] = latency(
                        lambda a, s=stub: tf.make_ndarray(
                            s.Predict(request(a), timeout=60).outputs["probabilities"]
                        ),
                        x,
                        n,
                    )
                    row[name]["overhead_p50_ms"] = round(row[name]["p50_ms"] - row["in_process"]["p50_ms"], 3)
                result["latency"][f"batch_{batch}"] = row
            for channel in channels.values():
                channel.close()

            inproc = inprocess_throughput(fn, 64, args.seconds, rng)
            thr = {"in_process_batched": inproc}

            def grpc_run(proc, addr, rows):
                return lambda: concurrent_throughput(addr, proc.pid, args.clients, rows, args.seconds, rng)

            def rest_run(proc, port, rows, dna=False):
                return lambda: rest_throughput(port, proc.pid, args.clients, rows, args.seconds, rng, dna)

            runs = {}
            for rows in rows_list:
                runs[f"grpc_batching_on_rows{rows}"] = lambda rows=rows: with_batches(
                    grpc_run(on, on_addr, rows), rest
                )
                runs[f"grpc_batching_off_rows{rows}"] = grpc_run(off, off_addr, rows)
                runs[f"rest_batching_on_rows{rows}"] = lambda rows=rows: with_batches(
                    rest_run(on, rest_port, rows), rest
                )
            runs["rest_dna_batching_on_rows1"] = lambda: with_batches(
                rest_run(on, rest_port, 1, dna=True), rest
            )
            # the same clients against servers without a model: what the gRPC (HTTP) stack alone allows
            for name, (proc, addr) in ceilings.items():
                for rows in rows_list:
                    if name == "ceiling_bare_rest":
                        runs[f"{name}_rows{rows}"] = rest_run(proc, bare_rest_port, rows)
                    else:
                        runs[f"{name}_rows{rows}"] = grpc_run(proc, addr, rows)
            # every configuration once per round, rounds one after another: slow phases of other load
            # on the machine hit all of them; each key reports the round with its median throughput
            rounds: dict[str, list[dict]] = {key: [] for key in runs}
            for _ in range(args.rounds):
                for key, run in runs.items():
                    rounds[key].append(run())
            for key, results in rounds.items():
                results.sort(key=lambda r: r["seqs_per_s"])
                r = results[(len(results) - 1) // 2]
                r["seqs_per_s_all_rounds"] = [x["seqs_per_s"] for x in results]
                r["vs_in_process"] = round(r["seqs_per_s"] / inproc["seqs_per_s"], 3)
                thr[key] = r
            for key, r in thr.items():
                rows = r.get("rows_per_request")
                if rows is None or key.startswith(("ceiling_bare_rows", "ceiling_bare_rest")):
                    continue
                r["vs_bare_grpc_ceiling"] = round(
                    r["seqs_per_s"] / thr[f"ceiling_bare_rows{rows}"]["seqs_per_s"], 3
                )
                if key.startswith("ceiling_bare_aio"):
                    continue
                r["vs_bare_grpc_aio_ceiling"] = round(
                    r["seqs_per_s"] / thr[f"ceiling_bare_aio_rows{rows}"]["seqs_per_s"], 3
                )
                if key.startswith("rest"):
                    r["vs_bare_rest_ceiling"] = round(
                        r["seqs_per_s"] / thr[f"ceiling_bare_rest_rows{rows}"]["seqs_per_s"], 3
                    )
            result["throughput"] = thr
            result["targets"] = {
                "batch1_overhead_p50_ms_under_3": result["latency"]["batch_1"]["grpc_batching_on"][
                    "overhead_p50_ms"
                ]
                < 3.0,
                "concurrent_batching_on_at_least_70pct_of_in_process": {
                    f"rows{r}": thr[f"grpc_batching_on_rows{r}"]["vs_in_process"] >= 0.7 for r in rows_list
                },
                "single_row_grpc_at_least_80pct_of_bare_grpc_ceiling": (
                    thr["grpc_batching_on_rows1"]["vs_bare_grpc_ceiling"] >= 0.8 if 1 in rows_list else None
                ),
            }
            result["load_average_at_end"] = os.getloadavg()
        finally:
            procs = [on, off, *(proc for proc, _ in ceilings.values())]
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
