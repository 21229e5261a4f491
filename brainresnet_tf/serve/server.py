"""A Python server speaking TF Serving's gRPC and REST APIs over a versioned SavedModel directory.

It implements ``PredictionService.Predict`` and ``GetModelMetadata`` and
``ModelService.GetModelStatus`` with the official ``tensorflow_serving.apis`` messages, so clients
written for ``tensorflow_model_server`` work unchanged, and the same calls over REST
(serve/rest.py). Like TF Serving's default policy it serves the newest version under
``<model_base_path>/<version>/``, polls for new ones and switches without a restart (requests in
flight finish on the old version), and replays the version's
``assets.extra/tf_serving_warmup_requests`` before switching. A version that fails to load is
retried when its folder changes (file names, sizes or times), e.g. once a copy completes.
Concurrent requests to the same signature are merged into one batch (up to ``max_batch_size``
rows, waiting at most ``batch_timeout_ms`` after the first one) and the outputs are split back.

Both front ends share one path: ``Servable.signature`` -> checks (serve/validation.py) ->
``Servable.predict`` (batcher) -> outputs.

Differences from TF Serving: an unknown signature returns INVALID_ARGUMENT (TF Serving:
FAILED_PRECONDITION); DNA string inputs of our exports are checked before batching, so one bad
request never fails a merged batch; a request larger than ``max_batch_size`` runs on its own
instead of being rejected; values must fill a tensor's declared shape (TF Serving pads them);
one model per server.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from pathlib import Path

import grpc

from brainresnet_tf.errors import InputError
from brainresnet_tf.serve.batching import Batcher, BatchingOptions
from brainresnet_tf.serve.protos import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)
from brainresnet_tf.serve.servables import (
    ModelManager,
    Servable,
    Signature,
    check_metadata_fields,
    find_manager,
    spec_version,
)
from brainresnet_tf.serve.tensors import fill_proto
from brainresnet_tf.serve.validation import (
    Limits,
    ServingError,
    invalid,
)

__all__ = [
    "Batcher",
    "BatchingOptions",
    "Limits",
    "ModelManager",
    "Servable",
    "ServingError",
    "ServingServer",
]

log = logging.getLogger("brainresnet.serving")


class PredictionServicer(prediction_service_pb2_grpc.PredictionServiceServicer):
    """``tensorflow.serving.PredictionService``: Predict and GetModelMetadata (grpc.aio handlers).

    ``prepare`` and ``response`` are the synchronous halves of Predict (checks, response building);
    the model call in between is awaited, so one event-loop thread serves every request.
    """

    def __init__(self, models: dict[str, ModelManager]):
        self.models = models

    def prepare(self, request):
        """(servable, signature, arrays, rows, outputs wanted) of a PredictRequest; ServingError if bad."""
        spec = request.model_spec
        servable = find_manager(self.models, spec.name).servable(spec_version(spec))
        sig = servable.signature(spec.signature_name)
        wanted = list(request.output_filter) or sig.outputs
        if wanted is not sig.outputs and (
            any(k not in sig.outputs for k in wanted) or len(set(wanted)) != len(wanted)
        ):
            raise invalid(
                f"output_filter {list(request.output_filter)}: outputs of signature "
                f"{sig.name} are {{{', '.join(sig.outputs)}}}, each at most once"
            )
        arrays, rows = servable.decode_protos(sig, request.inputs)
        return servable, sig, arrays, rows, wanted

    @staticmethod
    def response(request, servable: Servable, sig: Signature, wanted, outputs) -> predict_pb2.PredictResponse:
        """The PredictResponse holding the wanted outputs."""
        response = predict_pb2.PredictResponse()
        response.model_spec.name = request.model_spec.name
        response.model_spec.version.value = servable.version
        response.model_spec.signature_name = sig.name
        for key in wanted:
            fill_proto(response.outputs[key], outputs[key])
        return response

    def predict(self, request) -> predict_pb2.PredictResponse:
        """Predict, blocking (for callers without an event loop)."""
        servable, sig, arrays, rows, wanted = self.prepare(request)
        return self.response(request, servable, sig, wanted, servable.predict(sig, arrays, rows))

    async def Predict(self, request, context):  # noqa: N802  (gRPC method name)
        try:
            servable, sig, arrays, rows, wanted = self.prepare(request)
            outputs = await servable.predict_async(sig, arrays, rows)
            return self.response(request, servable, sig, wanted, outputs)
        except ServingError as err:
            error = err
        except Exception as err:  # noqa: BLE001
            log.exception("internal error")
            error = ServingError(grpc.StatusCode.INTERNAL, f"{type(err).__name__}: {err}")
        await context.abort(error.code, error.message)

    def metadata(self, request) -> get_model_metadata_pb2.GetModelMetadataResponse:
        """GetModelMetadataResponse (signature_def only); ServingError if bad."""
        spec = request.model_spec
        servable = find_manager(self.models, spec.name).servable(spec_version(spec))
        check_metadata_fields(list(request.metadata_field))
        response = get_model_metadata_pb2.GetModelMetadataResponse()
        response.model_spec.name = spec.name
        response.model_spec.version.value = servable.version
        response.metadata["signature_def"].Pack(servable.signature_defs)
        return response

    async def GetModelMetadata(self, request, context):  # noqa: N802
        return await _answer(context, self.metadata, request)


class ModelServicer(model_service_pb2_grpc.ModelServiceServicer):
    """``tensorflow.serving.ModelService``: GetModelStatus."""

    def __init__(self, models: dict[str, ModelManager]):
        self.models = models

    def status(self, request) -> get_model_status_pb2.GetModelStatusResponse:
        """GetModelStatusResponse; ServingError if bad."""
        return find_manager(self.models, request.model_spec.name).status(spec_version(request.model_spec))

    async def GetModelStatus(self, request, context):  # noqa: N802
        return await _answer(context, self.status, request)


async def _answer(context, call, request):
    try:
        return call(request)
    except ServingError as err:
        error = err
    except Exception as err:  # noqa: BLE001
        log.exception("internal error")
        error = ServingError(grpc.StatusCode.INTERNAL, f"{type(err).__name__}: {err}")
    await context.abort(error.code, error.message)


class ServingServer:
    """gRPC server (and optionally REST) for one model directory; ``start()`` returns the gRPC port.

    Both APIs run on one asyncio event loop in a daemon thread (grpc.aio and aiohttp): requests
    waiting for a batch hold no thread, and a batch wakes its requests with one call into the loop.
    Model calls run on batch threads (or the loop's executor when not batched), outside the loop.
    ``rest_port``: None serves no REST API; 0 lets the OS pick a free port (see ``rest_port`` after
    ``start()``).
    """

    def __init__(
        self,
        model_base_path: str | os.PathLike,
        model_name: str | None = None,
        host: str = "127.0.0.1",
        port: int = 8500,
        batching: BatchingOptions = BatchingOptions(),
        poll_seconds: float = 1.0,
        max_workers: int | None = None,
        rest_port: int | None = None,
        limits: Limits = Limits(),
    ):
        base = Path(model_base_path)
        if not base.is_dir():
            raise InputError(
                f"{base}: model base path not found (expected <base>/<version>/"
                "saved_model.pb, as written by `brainresnet export`)"
            )
        self.model_name = model_name or base.resolve().name
        self.limits = limits
        self.manager = ModelManager(self.model_name, base, batching, poll_seconds, limits)
        self.host, self.port, self.rest_port = host, port, rest_port
        # threads for model calls that are not batched (the batchers have their own)
        self.max_workers = max_workers or min(32, (os.cpu_count() or 1) + 4)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._grpc = None
        self._rest = None

    @property
    def models(self) -> dict[str, ModelManager]:
        """Model name -> manager (one model per server)."""
        return {self.model_name: self.manager}

    def _host(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def address(self) -> str:
        """``host:port`` gRPC clients connect to."""
        return f"{self._host()}:{self.port}"

    @property
    def rest_url(self) -> str | None:
        """``http://host:port`` of the REST API (None when it is off)."""
        return None if self._rest is None else f"http://{self._host()}:{self.rest_port}"

    def start(self) -> int:
        """Load the newest version, start polling and serving; return the bound gRPC port."""
        self.manager.refresh()
        if self.manager.current is None:
            log.warning(
                "%s: no version under %s yet; waiting for one", self.model_name, self.manager.base_path
            )
        self.manager.start_polling()
        ready, failure = threading.Event(), []

        def main():
            from concurrent.futures import ThreadPoolExecutor

            loop = self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            loop.set_default_executor(ThreadPoolExecutor(self.max_workers, thread_name_prefix="model"))
            try:
                loop.run_until_complete(self._start())
            except BaseException as err:  # noqa: BLE001  (raised again by start())
                failure.append(err)
            ready.set()
            if not failure:
                loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=main, name="serving-loop", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self.manager.stop()
            self._thread.join(5)
            raise failure[0]
        return self.port

    async def _start(self) -> None:
        options = [
            ("grpc.max_receive_message_length", self.limits.max_message_bytes),
            ("grpc.max_send_message_length", 512 << 20),
        ]
        server = grpc.aio.server(options=options)
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
            PredictionServicer(self.models), server
        )
        model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelServicer(self.models), server)
        try:
            self.port = server.add_insecure_port(f"{self._host()}:{self.port}")
        except RuntimeError as err:
            raise InputError(f"cannot bind {self._host()}:{self.port} ({err})") from err
        if self.rest_port is not None:
            from brainresnet_tf.serve.rest import RestApp

            rest = RestApp(self.models, self.limits)
            try:
                self.rest_port = await rest.start(self.host, self.rest_port)
            except OSError as err:
                raise InputError(f"cannot bind {self._host()}:{self.rest_port} for REST ({err})") from err
            self._rest = rest
        await server.start()
        self._grpc = server

    async def _stop(self, grace: float) -> None:
        if self._rest is not None:
            await self._rest.stop()
        if self._grpc is not None:
            await self._grpc.stop(grace)

    def stop(self, grace: float = 1.0) -> None:
        """Stop serving (in-flight requests get ``grace`` seconds) and polling."""
        if self._loop is not None and self._loop.is_running():
            done = asyncio.run_coroutine_threadsafe(self._stop(grace), self._loop)
            try:
                done.result(timeout=grace + 10)
            except Exception:  # noqa: BLE001
                log.warning("the server did not stop cleanly")
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._rest = self._grpc = None
        self.manager.stop()

    def wait(self) -> None:
        """Block until the server stops."""
        if self._thread is not None:
            self._thread.join()
