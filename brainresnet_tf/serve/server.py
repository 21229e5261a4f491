"""A Python gRPC server speaking TF Serving's API over a versioned SavedModel directory.

It implements ``PredictionService.Predict`` and ``GetModelMetadata`` and
``ModelService.GetModelStatus`` with the official ``tensorflow_serving.apis`` messages, so clients
written for ``tensorflow_model_server`` work unchanged. Like TF Serving's default policy it serves
the newest version under ``<model_base_path>/<version>/``, polls for new ones and switches without
a restart (requests in flight finish on the old version), and replays the version's
``assets.extra/tf_serving_warmup_requests`` before switching. Concurrent requests to the same
signature are merged into one batch (up to ``max_batch_size`` rows, waiting at most
``batch_timeout_ms`` after the first one) and the outputs are split back.

Differences from TF Serving: an unknown signature returns INVALID_ARGUMENT (TF Serving:
FAILED_PRECONDITION); DNA string inputs of our exports are checked before batching, so one bad
request never fails a merged batch; a request larger than ``max_batch_size`` runs on its own
instead of being rejected; one model per server; no REST API.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections import deque
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import grpc
import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_log_pb2,
    prediction_service_pb2_grpc,
    status_pb2,
)

from brainresnet_tf.errors import InputError
from brainresnet_tf.serve.export import (
    DEFAULT_SIGNATURE,
    VARIANT_SIGNATURE,
    VARIANT_WINDOW_HINT,
    WARMUP_FILE,
    version_dirs,
)
from brainresnet_tf.serve.tensors import dtype_name, from_proto, shape_of, to_proto

log = logging.getLogger("brainresnet.serving")

State = get_model_status_pb2.ModelVersionStatus.State
_VALID_DNA = np.zeros(256, dtype=bool)
_VALID_DNA[np.frombuffer(b"ACGTNacgtn", dtype=np.uint8)] = True


@dataclass(frozen=True)
class BatchingOptions:
    """Server-side batching of concurrent requests (like TF Serving's batching.config)."""

    enabled: bool = True
    max_batch_size: int = 64  # rows per merged batch
    batch_timeout_ms: float = 1.0  # longest wait for more requests after the first one
    num_batch_threads: int = 2  # batches of one signature that may run at the same time


class ServingError(Exception):
    """A request error carrying its gRPC status code."""

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _invalid(message: str) -> ServingError:
    return ServingError(grpc.StatusCode.INVALID_ARGUMENT, message)


def _tf_error(err: tf.errors.OpError) -> ServingError:
    """A ServingError from a TF runtime error, keeping only the useful line."""
    message = err.message or str(err)
    found = re.search(r"assertion failed: ([^\n]*)", message)
    if found:
        message = found.group(1).replace("\\'", "'")
        message = re.sub(r"^\[(.*?)\]", r"\1", message)
    else:
        lines = [ln for ln in message.splitlines() if ln.strip() and "Graph execution" not in ln]
        message = lines[0] if lines else type(err).__name__
    code = {
        tf.errors.InvalidArgumentError: grpc.StatusCode.INVALID_ARGUMENT,
        tf.errors.ResourceExhaustedError: grpc.StatusCode.RESOURCE_EXHAUSTED,
    }.get(type(err), grpc.StatusCode.INTERNAL)
    return ServingError(code, message)


def _shape_text(shape) -> str:
    dims = shape if isinstance(shape, (tuple, list)) else shape.as_list()
    return (
        "("
        + ", ".join(
            "batch" if (d is None and i == 0) else str(d if d is not None else "any")
            for i, d in enumerate(dims)
        )
        + ")"
    )


@dataclass
class Signature:
    """One signature of a loaded SavedModel."""

    name: str
    fn: object  # the ConcreteFunction
    inputs: dict[str, tf.TensorSpec]
    outputs: list[str]
    batchable: bool  # every input has a free leading dimension, the rest fixed


class _Task:
    __slots__ = ("arrays", "rows", "arrived", "done", "result", "error")

    def __init__(self, arrays: dict[str, np.ndarray], rows: int):
        self.arrays, self.rows, self.arrived = arrays, rows, time.monotonic()
        self.done = threading.Event()
        self.result: dict[str, np.ndarray] | None = None
        self.error: BaseException | None = None


class _Closed(Exception):
    pass


class Batcher:
    """Merges concurrent calls of one signature into batches run by ``num_batch_threads`` workers.

    A batch closes when it holds ``max_batch_size`` rows or ``batch_timeout_ms`` after its first
    request arrived. The wait applies only while traffic is concurrent (the previous batch merged
    several requests, or other requests are running now), so a lone sequential client is not
    delayed by the timeout.
    """

    def __init__(self, run, options: BatchingOptions, name: str):
        self._run = run
        self._max = max(1, options.max_batch_size)
        self._timeout = max(0.0, options.batch_timeout_ms) / 1000.0
        self._queue: deque[_Task] = deque()
        self._cond = threading.Condition()
        self._collecting = threading.Lock()
        self._closed = False
        self.batches_run = self.requests_run = 0  # counters, for tests and monitoring
        self._concurrent = False  # did the last batch merge several requests?
        self._pending = 0  # submitted and not yet answered
        for i in range(max(1, options.num_batch_threads)):
            threading.Thread(target=self._loop, name=f"batcher-{name}-{i}", daemon=True).start()

    def submit(self, arrays: dict[str, np.ndarray], rows: int) -> dict[str, np.ndarray]:
        """Run ``arrays`` as part of a batch; block until its own outputs are ready."""
        task = _Task(arrays, rows)
        with self._cond:
            if self._closed:
                raise _Closed
            self._queue.append(task)
            self._pending += 1
            self._cond.notify()
        task.done.wait()
        if task.error is not None:
            raise task.error
        return task.result

    def close(self) -> None:
        """Finish what is queued, then stop the workers."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self._collecting:  # one worker forms a batch at a time; others may be running
                batch = self._next_batch()
            if batch is None:
                return
            self._execute(batch)

    def _next_batch(self) -> list[_Task] | None:
        with self._cond:
            while not self._queue and not self._closed:
                self._cond.wait()
            if not self._queue:
                return None
            batch = [self._queue.popleft()]
            rows = batch[0].rows
            deadline = batch[0].arrived + self._timeout
            while rows < self._max:
                if self._queue:
                    if rows + self._queue[0].rows > self._max:
                        break
                    task = self._queue.popleft()
                    batch.append(task)
                    rows += task.rows
                    continue
                remaining = deadline - time.monotonic()
                running_elsewhere = self._pending > len(batch)  # the queue is empty here
                if remaining <= 0 or self._closed or not (self._concurrent or running_elsewhere):
                    break
                self._cond.wait(remaining)
            self._concurrent = len(batch) > 1
            return batch

    def _execute(self, batch: list[_Task]) -> None:
        with self._cond:
            self.batches_run += 1
            self.requests_run += len(batch)
        try:
            if len(batch) == 1:
                batch[0].result = self._run(batch[0].arrays)
            else:
                merged = {k: np.concatenate([t.arrays[k] for t in batch]) for k in batch[0].arrays}
                total = sum(t.rows for t in batch)
                out = self._run(merged)
                offsets = np.cumsum([0] + [t.rows for t in batch])
                for i, task in enumerate(batch):
                    task.result = {
                        k: (v[offsets[i] : offsets[i + 1]] if v.ndim and v.shape[0] == total else v)
                        for k, v in out.items()
                    }
        except BaseException as err:  # noqa: BLE001  (handed to the waiting request threads)
            if len(batch) > 1:  # isolate the bad request: run each on its own
                for task in batch:
                    self._execute([task])
                return
            batch[0].error = err
        with self._cond:
            self._pending -= len(batch)
        for task in batch:
            task.done.set()


class Servable:
    """One loaded version of a model: its signatures, metadata, validation and batchers."""

    def __init__(self, model_name: str, version: int, path: Path, batching: BatchingOptions):
        self.model_name, self.version, self.path = model_name, version, Path(path)
        self.batching = batching
        self._loaded = tf.saved_model.load(str(self.path))
        graph = saved_model_pb2.SavedModel.FromString((self.path / "saved_model.pb").read_bytes())
        self.signature_defs = get_model_metadata_pb2.SignatureDefMap()
        for key, sdef in graph.meta_graphs[0].signature_def.items():
            if not key.startswith("__"):  # skip internal entries such as __saved_model_init_op
                self.signature_defs.signature_def[key].CopyFrom(sdef)
        self.signatures: dict[str, Signature] = {}
        for key, fn in self._loaded.signatures.items():
            inputs = dict(fn.structured_input_signature[1])
            batchable = bool(inputs) and all(
                s.shape.rank is not None
                and s.shape.rank >= 1
                and s.shape[0] is None
                and all(d is not None for d in s.shape.as_list()[1:])
                for s in inputs.values()
            )
            self.signatures[key] = Signature(key, fn, inputs, sorted(fn.structured_outputs), batchable)
        meta_file = self.path / "assets" / "model.json"
        self.meta = json.loads(meta_file.read_text()) if meta_file.exists() else None
        self.dna_length = int(self.meta["input_length"]) if self.meta else None
        self._batchers: dict[str, Batcher] = {}
        self._lock = threading.Lock()

    # -- requests --------------------------------------------------------------------------
    def parse_inputs(self, signature_name: str, inputs) -> tuple[Signature, dict[str, np.ndarray], int]:
        """Validate a request's input TensorProtos against a signature; return numpy arrays."""
        sig = self.signatures.get(signature_name)
        if sig is None:
            raise _invalid(
                f'Serving signature key "{signature_name}" not found; model '
                f"{self.model_name} version {self.version} has: "
                f"{', '.join(sorted(self.signatures))}"
            )
        sent, wanted = set(inputs.keys()), set(sig.inputs)
        if sent != wanted:
            raise _invalid(
                f"signature {sig.name} takes inputs {{{', '.join(sorted(wanted))}}}, "
                f"got {{{', '.join(sorted(sent))}}} (sent extra: "
                f"{sorted(sent - wanted)}, missing: {sorted(wanted - sent)})"
            )
        arrays, rows = {}, None
        for key, spec in sig.inputs.items():
            proto = inputs[key]
            if proto.dtype != spec.dtype.as_datatype_enum:
                raise _invalid(
                    f"input {key} of signature {sig.name} must be "
                    f"{dtype_name(spec.dtype.as_datatype_enum)}, got "
                    f"{dtype_name(proto.dtype)}"
                )
            shape = shape_of(proto)
            if shape is None or not spec.shape.is_compatible_with(shape):
                raise _invalid(
                    f"input {key} of signature {sig.name} has shape "
                    f"{list(shape) if shape is not None else 'unknown'}; expected "
                    f"{_shape_text(spec.shape)}"
                )
            try:
                array = from_proto(proto)
            except ValueError as err:
                raise _invalid(f"input {key}: malformed tensor ({err})") from None
            if spec.shape.rank and spec.shape[0] is None:
                if array.shape[0] == 0:
                    raise _invalid(f"empty batch: input {key} of signature {sig.name} has no rows")
                if rows is not None and array.shape[0] != rows:
                    raise _invalid(
                        f"inputs of signature {sig.name} must have the same number "
                        f"of rows; {key} has {array.shape[0]}, another has {rows}"
                    )
                rows = array.shape[0]
            if spec.dtype == tf.string and self.dna_length:
                self._check_dna(key, array, sig.name == VARIANT_SIGNATURE)
            arrays[key] = array
        return sig, arrays, rows or 1

    def _check_dna(self, key: str, array: np.ndarray, variant: bool = False) -> None:
        flat = array.ravel()
        length = self.dna_length
        for i, seq in enumerate(flat):
            if len(seq) != length:
                hint = f" ({VARIANT_WINDOW_HINT.format(L=length, c=length // 2)})" if variant else ""
                raise _invalid(
                    f"input {key}, sequence {i}: {len(seq)} bp; the model takes exactly {length} bp{hint}"
                )
        codes = np.frombuffer(b"".join(flat), dtype=np.uint8)
        bad = np.flatnonzero(~_VALID_DNA[codes])
        if bad.size:
            pos = int(bad[0])
            char = bytes([codes[pos]]).decode("latin-1")
            raise _invalid(
                f"input {key}, sequence {pos // length}: non-ACGTN character {char!r} "
                f"at position {pos % length} (expected only A, C, G, T, N)"
            )

    def run(self, sig: Signature, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Call the signature directly (no batching)."""
        try:
            out = sig.fn(**{k: tf.convert_to_tensor(v) for k, v in arrays.items()})
        except tf.errors.OpError as err:
            raise _tf_error(err) from None
        return {k: v.numpy() for k, v in out.items()}

    def predict(self, sig: Signature, arrays: dict[str, np.ndarray], rows: int) -> dict[str, np.ndarray]:
        """Run through the signature's batcher (when batching applies) or directly."""
        if not (self.batching.enabled and sig.batchable and rows < self.batching.max_batch_size):
            return self.run(sig, arrays)
        with self._lock:
            batcher = self._batchers.get(sig.name)
            if batcher is None:
                batcher = Batcher(
                    lambda a, s=sig: self.run(s, a),
                    self.batching,
                    f"{self.model_name}-{self.version}-{sig.name}",
                )
                self._batchers[sig.name] = batcher
        try:
            return batcher.submit(arrays, rows)
        except _Closed:  # the version was swapped out after this request picked it
            return self.run(sig, arrays)

    # -- life cycle ------------------------------------------------------------------------
    def warm_up(self) -> int:
        """Replay ``assets.extra/tf_serving_warmup_requests``; return how many ran."""
        path = self.path / "assets.extra" / WARMUP_FILE
        if not path.exists():
            return 0
        n = 0
        for record in tf.data.TFRecordDataset(str(path)):
            entry = prediction_log_pb2.PredictionLog.FromString(record.numpy())
            if entry.WhichOneof("log_type") != "predict_log":
                continue
            request = entry.predict_log.request
            sig, arrays, _ = self.parse_inputs(
                request.model_spec.signature_name or DEFAULT_SIGNATURE, request.inputs
            )
            self.run(sig, arrays)
            n += 1
        return n

    def close(self) -> None:
        """Stop the batchers once their queued requests are done."""
        with self._lock:
            for batcher in self._batchers.values():
                batcher.close()
            self._batchers.clear()


class ModelManager:
    """Serves the newest version under ``base_path`` and polls for new ones."""

    def __init__(
        self, name: str, base_path: str | os.PathLike, batching: BatchingOptions, poll_seconds: float = 1.0
    ):
        self.name, self.base_path = name, Path(base_path)
        self.batching, self.poll_seconds = batching, poll_seconds
        self.states: dict[int, tuple[int, str]] = {}  # version -> (State, error message)
        self._current: Servable | None = None
        self._failed: dict[int, float] = {}  # version -> mtime when it failed
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def current(self) -> Servable | None:
        """The servable now answering requests (None before the first version loads)."""
        return self._current

    def refresh(self) -> None:
        """Load the newest complete version when it differs from the one being served."""
        versions = version_dirs(self.base_path)
        current = self._current
        if not versions:
            if current is not None and not current.path.exists():
                log.warning(
                    "%s: version %d was removed and none is left; unloading", self.name, current.version
                )
                self._swap(None)
            return
        newest = max(versions)
        if current is not None and current.version == newest:
            return
        path = versions[newest]
        mtime = path.stat().st_mtime
        if self._failed.get(newest) == mtime:
            return
        self._set_state(newest, State.LOADING)
        started = time.monotonic()
        try:
            servable = Servable(self.name, newest, path, self.batching)
            warmed = servable.warm_up()
        except Exception as err:  # noqa: BLE001  (a broken export must not stop the server)
            self._failed[newest] = mtime
            message = err.message if isinstance(err, ServingError) else f"{type(err).__name__}: {err}"
            self._set_state(newest, State.END, f"failed to load: {message}")
            log.error("%s: version %d at %s failed to load: %s", self.name, newest, path, message)
            return
        self._swap(servable)
        log.info(
            "%s: serving version %d from %s (loaded in %.1f s, %d warm-up requests)",
            self.name,
            newest,
            path,
            time.monotonic() - started,
            warmed,
        )

    def _set_state(self, version: int, state: int, error: str = "") -> None:
        with self._lock:
            self.states[version] = (state, error)

    def version_states(self) -> dict[int, tuple[int, str]]:
        """version -> (ModelVersionStatus.State, error message) of every version seen."""
        with self._lock:
            return dict(self.states)

    def _swap(self, servable: Servable | None) -> None:
        with self._lock:
            old, self._current = self._current, servable
            if servable is not None:
                self.states[servable.version] = (State.AVAILABLE, "")
            if old is not None:
                self.states[old.version] = (State.END, "")
        if old is not None:
            old.close()

    def servable(self, version: int | None) -> Servable:
        """The servable for a request, or NOT_FOUND."""
        current = self._current
        if current is None:
            raise ServingError(
                grpc.StatusCode.NOT_FOUND,
                f"Servable not found for request: model {self.name} has no loaded "
                f"version yet (looking for version folders under {self.base_path})",
            )
        if version is not None and version != current.version:
            raise ServingError(
                grpc.StatusCode.NOT_FOUND,
                f"Servable not found for request: Specific({self.name}, {version}); "
                f"serving version {current.version}",
            )
        return current

    def start_polling(self) -> None:
        """Poll ``base_path`` every ``poll_seconds`` in a daemon thread."""

        def loop():
            while not self._stop.wait(self.poll_seconds):
                try:
                    self.refresh()
                except Exception:  # noqa: BLE001
                    log.exception("%s: polling %s failed", self.name, self.base_path)

        self._thread = threading.Thread(target=loop, name=f"poll-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling and the batchers."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._current is not None:
            self._current.close()


def _model_spec_version(spec) -> int | None:
    if spec.WhichOneof("version_choice") == "version_label":
        raise _invalid(
            f"version labels are not supported (got label {spec.version_label!r}); "
            "ask for a version number or none"
        )
    return spec.version.value if spec.HasField("version") else None


class _Base:
    def __init__(self, models: dict[str, ModelManager]):
        self.models = models

    def _manager(self, name: str) -> ModelManager:
        manager = self.models.get(name)
        if manager is None:
            raise ServingError(
                grpc.StatusCode.NOT_FOUND,
                f"Servable not found for request: model {name!r} is not served "
                f"here (serving: {', '.join(sorted(self.models))})",
            )
        return manager

    @staticmethod
    def _guard(context, call):
        try:
            return call()
        except ServingError as err:
            context.abort(err.code, err.message)
        except Exception as err:  # noqa: BLE001
            log.exception("internal error")
            context.abort(grpc.StatusCode.INTERNAL, f"{type(err).__name__}: {err}")


class PredictionServicer(_Base, prediction_service_pb2_grpc.PredictionServiceServicer):
    """``tensorflow.serving.PredictionService``: Predict and GetModelMetadata."""

    def Predict(self, request, context):  # noqa: N802  (gRPC method name)
        return self._guard(context, lambda: self._predict(request))

    def _predict(self, request):
        spec = request.model_spec
        servable = self._manager(spec.name).servable(_model_spec_version(spec))
        sig, arrays, rows = servable.parse_inputs(spec.signature_name or DEFAULT_SIGNATURE, request.inputs)
        wanted = list(request.output_filter) or sig.outputs
        unknown = [k for k in wanted if k not in sig.outputs]
        if unknown or len(set(wanted)) != len(wanted):
            raise _invalid(
                f"output_filter {list(request.output_filter)}: outputs of signature "
                f"{sig.name} are {{{', '.join(sig.outputs)}}}, each at most once"
            )
        result = servable.predict(sig, arrays, rows)
        response = predict_pb2.PredictResponse()
        response.model_spec.name = spec.name
        response.model_spec.version.value = servable.version
        response.model_spec.signature_name = sig.name
        for key in wanted:
            response.outputs[key].CopyFrom(to_proto(result[key]))
        return response

    def GetModelMetadata(self, request, context):  # noqa: N802
        return self._guard(context, lambda: self._metadata(request))

    def _metadata(self, request):
        spec = request.model_spec
        servable = self._manager(spec.name).servable(_model_spec_version(spec))
        fields = list(request.metadata_field)
        if not fields:
            raise _invalid(
                "GetModelMetadataRequest must specify at least one metadata_field (supported: signature_def)"
            )
        for field in fields:
            if field != "signature_def":
                raise _invalid(f"Metadata field {field} is not supported (supported: signature_def)")
        response = get_model_metadata_pb2.GetModelMetadataResponse()
        response.model_spec.name = spec.name
        response.model_spec.version.value = servable.version
        response.metadata["signature_def"].Pack(servable.signature_defs)
        return response


class ModelServicer(_Base, model_service_pb2_grpc.ModelServiceServicer):
    """``tensorflow.serving.ModelService``: GetModelStatus."""

    def GetModelStatus(self, request, context):  # noqa: N802
        return self._guard(context, lambda: self._status(request))

    def _status(self, request):
        manager = self._manager(request.model_spec.name)
        version = _model_spec_version(request.model_spec)
        states = manager.version_states()
        if version is not None:
            if version not in states:
                raise ServingError(
                    grpc.StatusCode.NOT_FOUND, f"Could not find version {version} of model {manager.name}"
                )
            states = {version: states[version]}
        response = get_model_status_pb2.GetModelStatusResponse()
        for v in sorted(states, reverse=True):
            state, error = states[v]
            status = status_pb2.StatusProto(error_code=13 if error else 0, error_message=error)
            response.model_version_status.add(version=v, state=state, status=status)
        return response


class ServingServer:
    """gRPC server for one model directory; ``start()`` returns the bound port."""

    def __init__(
        self,
        model_base_path: str | os.PathLike,
        model_name: str | None = None,
        host: str = "127.0.0.1",
        port: int = 8500,
        batching: BatchingOptions = BatchingOptions(),
        poll_seconds: float = 1.0,
        max_workers: int | None = None,
    ):
        base = Path(model_base_path)
        if not base.is_dir():
            raise InputError(
                f"{base}: model base path not found (expected <base>/<version>/"
                "saved_model.pb, as written by `brainresnet export`)"
            )
        self.model_name = model_name or base.resolve().name
        self.manager = ModelManager(self.model_name, base, batching, poll_seconds)
        self.host, self.port = host, port
        # a request thread blocks while its batch runs: allow enough of them to fill a batch
        self.max_workers = max_workers or max(16, min(256, batching.max_batch_size + 16))
        self._server: grpc.Server | None = None

    @property
    def address(self) -> str:
        """``host:port`` clients connect to."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def start(self) -> int:
        """Load the newest version, start polling and serving; return the bound port."""
        self.manager.refresh()
        if self.manager.current is None:
            log.warning(
                "%s: no version under %s yet; waiting for one", self.model_name, self.manager.base_path
            )
        self.manager.start_polling()
        options = [
            ("grpc.max_receive_message_length", 512 << 20),
            ("grpc.max_send_message_length", 512 << 20),
        ]
        server = grpc.server(
            futures.ThreadPoolExecutor(self.max_workers, thread_name_prefix="grpc"), options=options
        )
        models = {self.model_name: self.manager}
        prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
            PredictionServicer(models), server
        )
        model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelServicer(models), server)
        host = f"[{self.host}]" if ":" in self.host else self.host
        try:
            self.port = server.add_insecure_port(f"{host}:{self.port}")
        except RuntimeError as err:
            self.manager.stop()
            raise InputError(f"cannot bind {host}:{self.port} ({err})") from err
        server.start()
        self._server = server
        return self.port

    def stop(self, grace: float = 1.0) -> None:
        """Stop serving (in-flight requests get ``grace`` seconds) and polling."""
        if self._server is not None:
            self._server.stop(grace).wait()
            self._server = None
        self.manager.stop()

    def wait(self) -> None:
        """Block until the server stops."""
        if self._server is not None:
            self._server.wait_for_termination()
