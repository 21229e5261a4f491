"""TF Serving's REST API (``tensorflow_model_server --rest_api_port``) beside our gRPC server.

    POST /v1/models/{name}[/versions/{v}]:predict   {"signature_name"?, "instances" | "inputs"}
    GET  /v1/models/{name}[/versions/{v}]            GetModelStatusResponse as JSON
    GET  /v1/models/{name}[/versions/{v}]/metadata   GetModelMetadataResponse as JSON
    GET  /monitoring/prometheus/metrics              batching counters (Prometheus text)

Request and response JSON, ``{"b64": ...}`` strings and ``{"error": "..."}`` bodies with TF
Serving's HTTP codes follow its REST API documentation (api_rest.md). The request is checked and
run by the same code as gRPC (Servable.signature, Servable.check_arrays, Servable.batcher).

aiohttp rather than a WSGI server (Werkzeug, waitress): its HTTP parser is in C, and it runs on
the same asyncio loop as the grpc.aio server, so one thread serves every connection and a request
waiting for its batch holds no thread (a batch wakes its requests with one call into the loop).
A bare aiohttp endpoint answered single-row requests at 1.4x a bare sync grpcio server's rate on
this machine, at 2/3 of its CPU per request (benchmarks/serving.py, ceiling_bare_rest).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re

import grpc
import numpy as np
import orjson
from aiohttp import web
from google.protobuf import json_format

from brainresnet_tf.serve.servables import (
    ModelManager,
    Servable,
    ServingError,
    check_metadata_fields,
    find_manager,
)
from brainresnet_tf.serve.validation import Limits, check_keys, invalid

log = logging.getLogger("brainresnet.serving")

# tensorflow_serving/model_servers/http_server.cc: ToHTTPStatusCode
HTTP_STATUS = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
    grpc.StatusCode.UNAUTHENTICATED: 401,
}

_PREDICT = re.compile(r"/v1/models/([^/:]+)(?:/versions/(\d+))?:(classify|regress|predict)", re.IGNORECASE)
_STATUS = re.compile(r"/v1/models(?:/([^/:]+))?(?:/versions/(\d+))?(/metadata)?", re.IGNORECASE)


def error_response(status: int, message: str) -> web.Response:
    """``{"error": message}`` with an HTTP status."""
    return web.Response(status=status, body=orjson.dumps({"error": message}), content_type="application/json")


def _json_response(payload) -> web.Response:
    try:
        body = orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
    except TypeError:  # NaN/Infinity: orjson writes null; TF Serving writes the tokens, as json does
        body = json.dumps(payload, default=lambda a: a.tolist()).encode()
    return web.Response(body=body, content_type="application/json")


# -- JSON <-> numpy ---------------------------------------------------------------------------
def _is_b64(value) -> bool:
    return isinstance(value, dict) and len(value) == 1 and "b64" in value


def _strings(value, key: str):
    """Nested lists of JSON strings or {"b64": ...} objects -> the same nesting of bytes."""
    if isinstance(value, list):
        return [_strings(v, key) for v in value]
    if isinstance(value, str):
        return value.encode()
    if _is_b64(value) and isinstance(value["b64"], str):
        try:
            return base64.b64decode(value["b64"], validate=True)
        except (binascii.Error, ValueError):
            raise invalid(f"input {key}: invalid base64 in {{'b64': ...}}") from None
    raise invalid(f'input {key} takes strings (or {{"b64": ...}} objects); got {type(value).__name__}')


def json_to_array(value, spec, key: str) -> np.ndarray:
    """A JSON value (nested lists) as a numpy array of the input's dtype; INVALID_ARGUMENT if it cannot be."""
    dtype = spec.dtype
    try:
        if dtype == np.dtype(object):
            array = np.array(_strings(value, key), dtype=object)
            if array.dtype != object or any(not isinstance(x, bytes) for x in array.ravel()):
                raise ValueError("nested lists of unequal lengths")
            return array
        array = np.array(value)
    except (ValueError, TypeError, RecursionError) as err:
        raise invalid(f"input {key}: not a regular (rectangular) tensor ({err})") from None
    kind = array.dtype.kind
    if kind not in "biuf" or (dtype.kind in "iu" and kind == "f") or (dtype.kind == "b" and kind != "b"):
        what = {"b": "true/false", "i": "integers", "u": "integers", "f": "numbers"}[dtype.kind]
        raise invalid(
            f"input {key} takes {what} ({dtype.name}); "
            f"got {array.dtype.name if kind != 'O' else 'mixed values'}"
        )
    if dtype.kind in "iu" and array.size:
        info = np.iinfo(dtype)
        if array.min() < info.min or array.max() > info.max:
            raise invalid(f"input {key}: values out of range for {dtype.name}")
    with np.errstate(over="ignore"):  # beyond float32's range: inf, as TensorFlow's cast gives
        return array.astype(dtype, copy=False)


def request_arrays(servable: Servable, body: dict):
    """(signature, arrays, rows, row_format) of a predict request body; INVALID_ARGUMENT if malformed."""
    name = body.get("signature_name", "")
    if not isinstance(name, str):
        raise invalid("'signature_name' key must be a string value.")
    has_rows, has_columns = "instances" in body, "inputs" in body
    if has_rows == has_columns:
        raise invalid(
            "Missing 'inputs' or 'instances' key"
            if not has_rows
            else "Not formatted correctly expecting only one of 'inputs' or 'instances' keys exists"
        )
    sig = servable.signature(name)
    keys = sig.keys
    if has_rows:
        instances = body["instances"]
        if not isinstance(instances, list):
            raise invalid("'instances' must be a list, one item per row")
        if not instances:
            raise invalid("empty batch: 'instances' is an empty list")
        named = all(isinstance(x, dict) and not _is_b64(x) for x in instances)
        if len(keys) == 1 and not named:
            columns = {keys[0]: instances}
        elif named:
            for i, item in enumerate(instances):
                if set(item) != set(keys):
                    raise invalid(
                        f"instance {i} has inputs {sorted(item)}; signature {sig.name} takes {sorted(keys)}"
                    )
            columns = {k: [item[k] for item in instances] for k in keys}
        else:
            raise invalid(
                f"signature {sig.name} takes inputs {sorted(keys)}: "
                "each instance must be an object naming them"
            )
    else:
        inputs = body["inputs"]
        if isinstance(inputs, dict) and not _is_b64(inputs):
            columns = inputs
        elif len(keys) == 1:
            columns = {keys[0]: inputs}
        else:
            raise invalid(
                f"signature {sig.name} takes inputs {sorted(keys)}: 'inputs' must be an object naming them"
            )
    check_keys(sig.name, keys, columns)  # the same message as gRPC
    arrays = {k: json_to_array(columns[k], sig.inputs[k], k) for k in keys}
    rows = servable.check_arrays(sig, arrays)
    return sig, arrays, rows, has_rows


def _json_value(array: np.ndarray, name: str):
    """An output as JSON-ready values: strings decoded (``{"b64"}`` for *_bytes outputs or non-UTF-8)."""
    if array.dtype != np.dtype(object) and array.dtype.kind not in "SU":
        return array

    def text(x: bytes):
        if not name.endswith("_bytes"):
            try:
                return x.decode()
            except UnicodeDecodeError:
                pass
        return {"b64": base64.b64encode(x).decode()}

    flat = [text(x if isinstance(x, bytes) else str(x).encode()) for x in array.ravel()]
    if array.ndim == 0:
        return flat[0]
    return np.array(flat, dtype=object).reshape(array.shape).tolist()


def response_body(outputs: dict[str, np.ndarray], rows: int, row_format: bool) -> dict:
    """``{"predictions": ...}`` (row format) or ``{"outputs": ...}`` (columnar) as TF Serving writes them."""
    if not row_format:
        if len(outputs) == 1:
            ((name, value),) = outputs.items()
            return {"outputs": _json_value(value, name)}
        return {"outputs": {k: _json_value(v, k) for k, v in outputs.items()}}
    for name, value in outputs.items():
        if value.ndim == 0 or value.shape[0] != rows:
            raise invalid(
                f"output {name} has shape {list(value.shape)}, not one row per instance; "
                "send the request in columnar format ('inputs') instead of 'instances'"
            )
    if len(outputs) == 1:
        ((name, value),) = outputs.items()
        return {"predictions": _json_value(value, name)}
    columns = {k: _json_value(v, k) for k, v in outputs.items()}
    columns = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in columns.items()}
    return {"predictions": [{k: columns[k][i] for k in columns} for i in range(rows)]}


def _load_json(body: bytes):
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:  # NaN, Infinity and -Infinity are allowed (api_rest.md, "JSON conformance")
        return json.loads(body)
    except (ValueError, RecursionError) as err:
        raise invalid(f"JSON Parse error: {err}") from None


def _finite(outputs: dict[str, np.ndarray]) -> bool:
    return all(v.dtype.kind != "f" or bool(np.isfinite(v).all()) for v in outputs.values())


def parse_predict(models: dict[str, ModelManager], name: str, version: int | None, raw: bytes):
    """(servable, signature, arrays, rows, row_format) of a predict call; ServingError if it is bad."""
    servable = find_manager(models, name).servable(version)
    body = _load_json(raw)
    if not isinstance(body, dict):
        raise invalid("request body must be a JSON object with 'instances' or 'inputs'")
    sig, arrays, rows, row_format = request_arrays(servable, body)
    return servable, sig, arrays, rows, row_format


def render_predict(outputs: dict[str, np.ndarray], rows: int, row_format: bool) -> bytes:
    """The JSON body answering a predict call (NaN and Infinity written as TF Serving writes them)."""
    payload = response_body(outputs, rows, row_format)
    if _finite(outputs):
        try:
            return orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
        except TypeError:
            pass
    return json.dumps(payload, default=lambda a: a.tolist()).encode()


class RestApp:
    """The REST API as an aiohttp application; ``start``/``stop`` run on the serving event loop."""

    def __init__(self, models: dict[str, ModelManager], limits: Limits = Limits()):
        self.models, self.limits = models, limits
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (0: a free port); return the bound port. OSError if it cannot."""
        app = web.Application(client_max_size=self.limits.max_message_bytes)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, host, port, backlog=1024).start()
        except OSError:
            await self._runner.cleanup()
            raise
        return self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Close the listening socket and the connections."""
        if self._runner is not None:
            await self._runner.cleanup()

    # -- handlers --------------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path, method = request.path, request.method
        try:
            if path == "/monitoring/prometheus/metrics" and method == "GET":
                return web.Response(text=self.metrics(), content_type="text/plain")
            if not path.lower().startswith("/v1/"):
                return error_response(404, f"Not found: {method} {path}")
            found = _PREDICT.fullmatch(path)
            if method == "POST" and found:
                name, version, verb = found.groups()
                if verb.lower() != "predict":
                    raise ServingError(
                        grpc.StatusCode.UNIMPLEMENTED, f"{verb} is not supported by this server; use :predict"
                    )
                return await self._predict(request, name, int(version) if version else None)
            found = _STATUS.fullmatch(path)
            if method == "GET" and found:
                name, version, metadata = found.groups()
                if not name:
                    raise invalid("Missing model name in request.")
                version = int(version) if version else None
                return self._metadata(name, version) if metadata else self._status(name, version)
            raise invalid(f"Malformed request: {method} {path}")
        except ServingError as err:
            return error_response(HTTP_STATUS.get(err.code, 500), err.message)
        except web.HTTPRequestEntityTooLarge:
            return error_response(
                413,
                f"request body larger than {self.limits.max_message_bytes / (1 << 20):g} MB "
                "(--max-message-mb); split the request",
            )
        except Exception as err:  # noqa: BLE001
            log.exception("internal error (REST)")
            return error_response(500, f"{type(err).__name__}: {err}")

    async def _predict(self, request: web.Request, name: str, version: int | None) -> web.Response:
        raw = await request.read()
        servable, sig, arrays, rows, row_format = parse_predict(self.models, name, version, raw)
        outputs = await servable.predict_async(sig, arrays, rows)
        return web.Response(body=render_predict(outputs, rows, row_format), content_type="application/json")

    def _status(self, name: str, version: int | None) -> web.Response:
        response = find_manager(self.models, name).status(version)
        payload = json_format.MessageToDict(
            response, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
        return _json_response(payload)

    def _metadata(self, name: str, version: int | None) -> web.Response:
        servable = find_manager(self.models, name).servable(version)
        check_metadata_fields(["signature_def"])
        payload = {
            "model_spec": {"name": name, "signature_name": "", "version": str(servable.version)},
            "metadata": {
                "signature_def": json_format.MessageToDict(
                    servable.signature_defs, preserving_proto_field_name=True
                )
            },
        }
        return _json_response(payload)

    def metrics(self) -> str:
        """Batching counters in Prometheus' text format."""
        lines = []
        for metric, field, help_text in (
            ("brainresnet_batched_requests_total", "requests", "requests answered through the batcher"),
            ("brainresnet_batches_total", "batches", "model calls made by the batcher"),
            ("brainresnet_batched_rows_total", "rows", "rows in those model calls"),
        ):
            lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} counter"]
            for model, manager in self.models.items():
                current = manager.current
                if current is None:
                    continue
                for sig, stats in current.batch_stats().items():
                    labels = f'model="{model}",version="{current.version}",signature="{sig}"'
                    lines.append(f"{metric}{{{labels}}} {getattr(stats, field)}")
        return "\n".join(lines) + "\n"


__all__ = [
    "HTTP_STATUS",
    "RestApp",
    "json_to_array",
    "parse_predict",
    "render_predict",
    "request_arrays",
    "response_body",
]
