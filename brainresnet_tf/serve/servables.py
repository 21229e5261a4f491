"""The models a server serves: a versioned SavedModel folder watched for new versions
(:class:`ModelManager`), each loaded version's signatures, checks and batchers (:class:`Servable`),
shared by the gRPC (serve/server.py) and REST (serve/rest.py) front ends."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import grpc
import numpy as np
import tensorflow as tf

from brainresnet_tf.io.identity import file_identity
from brainresnet_tf.serve.batching import Batcher, BatchingOptions, BatchStats, Closed
from brainresnet_tf.serve.export import (
    DEFAULT_SIGNATURE,
    VARIANT_SIGNATURE,
    VARIANT_WINDOW_HINT,
    WARMUP_FILE,
    version_dirs,
)
from brainresnet_tf.serve.protos import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    prediction_log_pb2,
    status_pb2,
)
from brainresnet_tf.serve.tensors import from_proto, numpy_dtype, shape_of
from brainresnet_tf.serve.validation import (
    InputSpec,
    Limits,
    ServingError,
    check_declared,
    check_dna,
    check_keys,
    check_rows,
    invalid,
)

log = logging.getLogger("brainresnet.serving")

State = get_model_status_pb2.ModelVersionStatus.State


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


@dataclass
class Signature:
    """One signature of a loaded SavedModel."""

    name: str
    fn: object  # the signature's ConcreteFunction (keyword arguments)
    call: object  # the same, called with positional tensors in ``keys`` order (less overhead)
    keys: list[str]
    inputs: dict[str, InputSpec]
    outputs: list[str]
    batchable: bool  # every input has a free leading dimension, the rest fixed


def _spec(tensor_spec: tf.TensorSpec) -> InputSpec:
    shape = None if tensor_spec.shape.rank is None else tuple(tensor_spec.shape.as_list())
    enum = tensor_spec.dtype.as_datatype_enum
    return InputSpec(enum, numpy_dtype(enum), shape)


def _numpy(tensor) -> np.ndarray:
    value = tensor.numpy()  # a scalar string comes back as bytes
    return value if isinstance(value, np.ndarray) else np.array(value, dtype=object)


def _positional(fn, keys: list[str], specs: list[tf.TensorSpec]):
    """A ConcreteFunction calling ``fn`` with positional tensors: skips keyword binding per call."""
    if not keys:
        return lambda: fn()
    wrapped = tf.function(lambda *args: fn(**dict(zip(keys, args))), input_signature=specs)
    return wrapped.get_concrete_function()


class Servable:
    """One loaded version of a model: its signatures, metadata, validation and batchers."""

    def __init__(
        self,
        model_name: str,
        version: int,
        path: Path,
        batching: BatchingOptions,
        limits: Limits = Limits(),
    ):
        self.model_name, self.version, self.path = model_name, version, Path(path)
        self.batching, self.limits = batching, limits
        self._loaded = tf.saved_model.load(str(self.path))
        from tensorflow.core.protobuf import saved_model_pb2

        graph = saved_model_pb2.SavedModel.FromString((self.path / "saved_model.pb").read_bytes())
        self.signature_defs = get_model_metadata_pb2.SignatureDefMap()
        for key, sdef in graph.meta_graphs[0].signature_def.items():
            if not key.startswith("__"):  # skip internal entries such as __saved_model_init_op
                self.signature_defs.signature_def[key].CopyFrom(sdef)
        self.signatures: dict[str, Signature] = {}
        for key, fn in self._loaded.signatures.items():
            tensor_specs = dict(fn.structured_input_signature[1])
            keys = sorted(tensor_specs)
            inputs = {k: _spec(tensor_specs[k]) for k in keys}
            batchable = bool(inputs) and all(
                s.batched and all(d is not None for d in s.shape[1:]) for s in inputs.values()
            )
            call = _positional(fn, keys, [tensor_specs[k] for k in keys])
            self.signatures[key] = Signature(
                key, fn, call, keys, inputs, sorted(fn.structured_outputs), batchable
            )
        meta_file = self.path / "assets" / "model.json"
        self.meta = json.loads(meta_file.read_text()) if meta_file.exists() else None
        self.dna_length = int(self.meta["input_length"]) if self.meta else None
        self._batchers: dict[str, Batcher] = {}
        self._lock = threading.Lock()
        self._closed_stats = BatchStats()

    # -- requests (shared by gRPC and REST) ------------------------------------------------
    def signature(self, name: str) -> Signature:
        """The named signature, or INVALID_ARGUMENT naming the ones there are."""
        sig = self.signatures.get(name or DEFAULT_SIGNATURE)
        if sig is None:
            raise invalid(
                f'Serving signature key "{name}" not found; model '
                f"{self.model_name} version {self.version} has: "
                f"{', '.join(sorted(self.signatures))}"
            )
        return sig

    def decode_protos(self, sig: Signature, inputs) -> tuple[dict[str, np.ndarray], int]:
        """Check a request's input TensorProtos against ``sig``; numpy arrays and rows."""
        check_keys(sig.name, sig.inputs, inputs.keys())
        arrays = {}
        for key in sig.keys:
            proto = inputs[key]
            check_declared(sig.name, key, sig.inputs[key], proto.dtype, shape_of(proto), self.limits)
            try:
                arrays[key] = from_proto(proto)
            except ValueError as err:
                raise invalid(f"input {key} of signature {sig.name}: malformed tensor ({err})") from None
        return arrays, self._check_values(sig, arrays)

    def check_arrays(self, sig: Signature, arrays: dict[str, np.ndarray]) -> int:
        """Check numpy inputs (already of the signature's dtypes) against ``sig``; their rows."""
        check_keys(sig.name, sig.inputs, arrays.keys())
        for key in sig.keys:
            spec = sig.inputs[key]
            check_declared(sig.name, key, spec, spec.enum, arrays[key].shape, self.limits)
        return self._check_values(sig, arrays)

    def _check_values(self, sig: Signature, arrays: dict[str, np.ndarray]) -> int:
        rows = check_rows(sig.name, sig.inputs, arrays)
        if self.dna_length:
            length = self.dna_length
            hint = (
                VARIANT_WINDOW_HINT.format(L=length, c=length // 2) if sig.name == VARIANT_SIGNATURE else ""
            )
            for key, spec in sig.inputs.items():
                if spec.dtype == np.dtype(object):
                    check_dna(key, arrays[key], length, hint)
        return rows

    def run(self, sig: Signature, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Call the signature directly (no batching)."""
        try:
            out = sig.call(*(tf.constant(arrays[k]) for k in sig.keys))
        except tf.errors.OpError as err:
            raise _tf_error(err) from None
        return {k: _numpy(v) for k, v in out.items()}

    def batcher(self, sig: Signature, rows: int) -> Batcher | None:
        """The signature's batcher when batching applies to a request of ``rows`` rows."""
        if not (self.batching.enabled and sig.batchable and rows < self.batching.max_batch_size):
            return None
        with self._lock:
            batcher = self._batchers.get(sig.name)
            if batcher is None:
                batcher = Batcher(
                    lambda a, s=sig: self.run(s, a),
                    self.batching,
                    f"{self.model_name}-{self.version}-{sig.name}",
                )
                self._batchers[sig.name] = batcher
        return batcher

    def predict(self, sig: Signature, arrays: dict[str, np.ndarray], rows: int) -> dict[str, np.ndarray]:
        """Run through the signature's batcher (when batching applies) or directly."""
        batcher = self.batcher(sig, rows)
        if batcher is None:
            return self.run(sig, arrays)
        try:
            return batcher.submit(arrays, rows)
        except Closed:  # the version was swapped out after this request picked it
            return self.run(sig, arrays)

    async def predict_async(
        self, sig: Signature, arrays: dict[str, np.ndarray], rows: int
    ) -> dict[str, np.ndarray]:
        """``predict`` for the event loop: awaits the batch, or runs on the loop's executor."""
        batcher = self.batcher(sig, rows)
        if batcher is not None:
            try:
                return await batcher.submit_async(arrays, rows)
            except Closed:
                pass
        return await asyncio.get_running_loop().run_in_executor(None, self.run, sig, arrays)

    def batch_stats(self) -> dict[str, BatchStats]:
        """Batching counters per signature."""
        with self._lock:
            return {name: b.stats for name, b in self._batchers.items()}

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
            sig = self.signature(request.model_spec.signature_name)
            arrays, _ = self.decode_protos(sig, request.inputs)
            self.run(sig, arrays)
            n += 1
        return n

    def close(self) -> None:
        """Stop the batchers once their queued requests are done."""
        with self._lock:
            for batcher in self._batchers.values():
                batcher.close()
            self._batchers.clear()


def folder_fingerprint(path: Path) -> tuple:
    """The identity (size, modification time) of every file under ``path``, by relative name:
    changes while a copy into the folder progresses."""
    files = sorted(f for f in path.rglob("*") if f.is_file())
    return tuple((str(f.relative_to(path)), tuple(sorted(file_identity(f).items()))) for f in files)


class ModelManager:
    """Serves the newest version under ``base_path`` and polls for new ones."""

    def __init__(
        self,
        name: str,
        base_path: str | os.PathLike,
        batching: BatchingOptions,
        poll_seconds: float = 1.0,
        limits: Limits = Limits(),
    ):
        self.name, self.base_path = name, Path(base_path)
        self.batching, self.poll_seconds, self.limits = batching, poll_seconds, limits
        self.states: dict[int, tuple[int, str]] = {}  # version -> (State, error message)
        self._current: Servable | None = None
        self._failed: dict[int, tuple] = {}  # version -> folder fingerprint when it failed
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def current(self) -> Servable | None:
        """The servable now answering requests (None before the first version loads)."""
        return self._current

    def refresh(self) -> None:
        """Load the newest complete version when it differs from the one being served.

        A version that failed to load is tried again once its folder's files change.
        """
        with self._refreshing:
            self._refresh()

    def _refresh(self) -> None:
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
        fingerprint = folder_fingerprint(path)
        if self._failed.get(newest) == fingerprint:
            return
        retry = newest in self._failed
        self._set_state(newest, State.LOADING)
        started = time.monotonic()
        try:
            servable = Servable(self.name, newest, path, self.batching, self.limits)
            warmed = servable.warm_up()
        except Exception as err:  # noqa: BLE001  (a broken export must not stop the server)
            self._failed[newest] = fingerprint
            message = err.message if isinstance(err, ServingError) else f"{type(err).__name__}: {err}"
            self._set_state(newest, State.END, f"failed to load: {message}")
            log.error(
                "%s: version %d at %s failed to load (tried again when its files change): %s",
                self.name,
                newest,
                path,
                message,
            )
            return
        self._failed.pop(newest, None)
        self._swap(servable)
        log.info(
            "%s: serving version %d from %s (%sloaded in %.1f s, %d warm-up requests)",
            self.name,
            newest,
            path,
            "re" if retry else "",
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

    def status(self, version: int | None) -> get_model_status_pb2.GetModelStatusResponse:
        """GetModelStatusResponse for every version seen, or for ``version`` (else NOT_FOUND)."""
        states = self.version_states()
        if version is not None:
            if version not in states:
                raise ServingError(
                    grpc.StatusCode.NOT_FOUND, f"Could not find version {version} of model {self.name}"
                )
            states = {version: states[version]}
        response = get_model_status_pb2.GetModelStatusResponse()
        for v in sorted(states, reverse=True):
            state, error = states[v]
            status = status_pb2.StatusProto(error_code=13 if error else 0, error_message=error)
            response.model_version_status.add(version=v, state=state, status=status)
        return response

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


def spec_version(spec) -> int | None:
    """The version a ModelSpec asks for (None: the newest); labels are INVALID_ARGUMENT."""
    if spec.WhichOneof("version_choice") == "version_label":
        raise invalid(
            f"version labels are not supported (got label {spec.version_label!r}); "
            "ask for a version number or none"
        )
    return spec.version.value if spec.HasField("version") else None


def find_manager(models: dict[str, ModelManager], name: str) -> ModelManager:
    """The manager serving model ``name``, or NOT_FOUND."""
    manager = models.get(name)
    if manager is None:
        raise ServingError(
            grpc.StatusCode.NOT_FOUND,
            f"Servable not found for request: model {name!r} is not served here "
            f"(serving: {', '.join(sorted(models))})",
        )
    return manager


def check_metadata_fields(fields) -> None:
    """GetModelMetadata supports exactly the ``signature_def`` field."""
    if not fields:
        raise invalid(
            "GetModelMetadataRequest must specify at least one metadata_field (supported: signature_def)"
        )
    for field in fields:
        if field != "signature_def":
            raise invalid(f"Metadata field {field} is not supported (supported: signature_def)")
