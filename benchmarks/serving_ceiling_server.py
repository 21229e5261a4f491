"""Servers without a model, for benchmarks/serving.py: the ceiling of the gRPC (and HTTP) stack itself.

    python benchmarks/serving_ceiling_server.py --mode bare|no-model|bare-rest --model-base-path B --port 0

Both answer Predict with a constant (rows, n_profiles) float32 output, so what they cost per
request is the cost of serving before any model runs:

* ``bare``: a minimal grpcio PredictionService (thread pool server, the request tensor read with
  numpy, a constant response): what Python gRPC costs, with no code of ours;
* ``bare-aio``: the same minimal PredictionService on grpc.aio (the server API ``brainresnet serve``
  uses): what Python gRPC costs with one event-loop thread instead of a thread per request;
* ``no-model``: our server (``brainresnet serve`` code: model manager, validation, response
  building) with only the SavedModel call replaced by a constant, batching off;
* ``bare-rest``: a minimal aiohttp server (the library our REST API uses) that reads the JSON body
  with orjson and answers ``{"predictions": <constant>}``: what Python HTTP costs.

Prints ``on 127.0.0.1:PORT`` once listening (the line benchmarks/serving.py waits for).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from concurrent import futures

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import grpc  # noqa: E402
import numpy as np  # noqa: E402
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc  # noqa: E402

from brainresnet_tf.serve import server as serving_server  # noqa: E402
from brainresnet_tf.serve.tensors import from_proto, to_proto  # noqa: E402


class _BarePrediction(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, n_outputs: int):
        self.n_outputs = n_outputs

    def Predict(self, request, context):  # noqa: N802  (gRPC method name)
        rows = from_proto(request.inputs["sequence"]).shape[0]
        response = predict_pb2.PredictResponse()
        response.model_spec.name = request.model_spec.name
        response.outputs["probabilities"].CopyFrom(to_proto(np.zeros((rows, self.n_outputs), np.float32)))
        return response


def _bare_rest(port: int, n_outputs: int):
    """A minimal aiohttp predict endpoint on a daemon thread; returns (port, stop)."""
    import asyncio

    import orjson
    from aiohttp import web

    async def predict(request):
        body = orjson.loads(await request.read())
        rows = len(body.get("instances") or next(iter(body["inputs"].values())))
        return web.Response(
            body=orjson.dumps({"predictions": [[0.0] * n_outputs] * rows}), content_type="application/json"
        )

    loop = asyncio.new_event_loop()
    bound, ready = [], threading.Event()

    async def start():
        app = web.Application(client_max_size=512 << 20)
        app.router.add_post("/{tail:.*}", predict)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
        bound.extend([runner.addresses[0][1], runner])

    def main():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        ready.set()
        loop.run_forever()

    threading.Thread(target=main, daemon=True).start()
    ready.wait()
    return bound[0], lambda _grace: loop.call_soon_threadsafe(loop.stop)


def _constant_predict(n_outputs: int):
    async def predict_async(self, sig, arrays, rows):  # replaces Servable.predict_async: all but the model
        return {k: np.zeros((rows, n_outputs), np.float32) for k in sig.outputs}

    return predict_async


class _BareAioPrediction(prediction_service_pb2_grpc.PredictionServiceServicer):
    def __init__(self, n_outputs: int):
        self.n_outputs = n_outputs

    async def Predict(self, request, context):  # noqa: N802  (gRPC method name)
        return _BarePrediction.Predict(self, request, context)


def _bare_aio(port: int, n_outputs: int):
    """A minimal grpc.aio PredictionService on a daemon thread; returns (port, stop)."""
    import asyncio

    loop = asyncio.new_event_loop()
    bound, ready = [], threading.Event()

    async def start():
        server = grpc.aio.server(options=[("grpc.max_receive_message_length", 512 << 20)])
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
            _BareAioPrediction(n_outputs), server
        )
        bound.append(server.add_insecure_port(f"127.0.0.1:{port}"))
        await server.start()
        bound.append(server)  # a grpc.aio server that is garbage-collected stops

    def main():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        ready.set()
        loop.run_forever()

    threading.Thread(target=main, daemon=True).start()
    ready.wait()
    return bound[0], lambda _grace: loop.call_soon_threadsafe(loop.stop)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", choices=("bare", "bare-aio", "no-model", "bare-rest"), required=True)
    ap.add_argument("--model-base-path", required=True)
    ap.add_argument("--model-name", default="bench")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--outputs", type=int, default=3, help="profiles in the constant output")
    args = ap.parse_args()
    if args.mode == "bare-rest":
        port, stop = _bare_rest(args.port, args.outputs)
    elif args.mode == "bare-aio":
        port, stop = _bare_aio(args.port, args.outputs)
    elif args.mode == "bare":
        options = [("grpc.max_receive_message_length", 512 << 20)]
        server = grpc.server(futures.ThreadPoolExecutor(80), options=options)  # as ours: 64 + 16
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
            _BarePrediction(args.outputs), server
        )
        port = server.add_insecure_port(f"127.0.0.1:{args.port}")
        server.start()
        stop = server.stop
    else:
        serving_server.Servable.predict_async = _constant_predict(args.outputs)
        ours = serving_server.ServingServer(
            args.model_base_path,
            args.model_name,
            port=args.port,
            batching=serving_server.BatchingOptions(enabled=False),
        )
        port = ours.start()
        stop = ours.stop
    print(f"ceiling server ({args.mode}) on 127.0.0.1:{port}", file=sys.stderr, flush=True)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    stop(0)


if __name__ == "__main__":
    main()
