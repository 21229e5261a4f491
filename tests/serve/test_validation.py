"""Property tests of request validation: any PredictRequest or REST body gets an answer or a
client error (INVALID_ARGUMENT, NOT_FOUND, ...), never INTERNAL / HTTP 500 or another exception.

The requests go straight to the servicer's and the REST handler's request code (no network), on
the session server's model; requests that pass the checks really run the model."""

from __future__ import annotations

import json

import grpc
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from brainresnet_tf.serve.protos import model_pb2, predict_pb2, tensor_pb2, types_pb2
from brainresnet_tf.serve.rest import HTTP_STATUS, parse_predict, render_predict
from brainresnet_tf.serve.server import PredictionServicer, ServingError
from brainresnet_tf.serve.tensors import fill_proto
from tests.toy_data import SERVING_LENGTH

L = SERVING_LENGTH
CLIENT_ERRORS = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.UNIMPLEMENTED,
}
SIGNATURES = ["", "serving_default", "predict_dna", "variant_effect", "metadata", "nope"]
KEYS = ["sequence", "dna", "ref", "alt", "x"]
DTYPES = [0, types_pb2.DT_FLOAT, types_pb2.DT_STRING, types_pb2.DT_INT32, types_pb2.DT_INT64,
          types_pb2.DT_DOUBLE, types_pb2.DT_HALF, types_pb2.DT_BOOL, types_pb2.DT_BFLOAT16, 99]  # fmt: skip
PROPERTY = settings(
    max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

dims = st.one_of(st.integers(-3, 5), st.sampled_from([L, 4, 2**31, 2**62, -(2**40)]))
dna = st.one_of(
    st.text(alphabet="ACGTN", min_size=L, max_size=L),
    st.text(alphabet="ACGTNU x", max_size=L + 2),
).map(str.encode)


@st.composite
def tensors(draw):
    """A TensorProto: any declared dtype and shape, values in any of the encodings (or none)."""
    proto = tensor_pb2.TensorProto(dtype=draw(st.sampled_from(DTYPES)))
    if draw(st.integers(0, 9)) == 0:
        proto.tensor_shape.unknown_rank = True
    for n in draw(st.lists(dims, max_size=4)):
        proto.tensor_shape.dim.add(size=n)
    kind = draw(st.sampled_from(["content", "float", "string", "int", "half", "none"]))
    if kind == "content":
        proto.tensor_content = draw(st.binary(max_size=2 * L * 4 * 4 + 8))
    elif kind == "float":
        proto.float_val.extend(draw(st.lists(st.floats(width=32), max_size=2 * L * 4 + 2)))
    elif kind == "string":
        proto.string_val.extend(draw(st.lists(dna, max_size=4)))
    elif kind == "int":
        proto.int_val.extend(draw(st.lists(st.integers(-(2**31), 2**31 - 1), max_size=8)))
    elif kind == "half":
        proto.half_val.extend(draw(st.lists(st.integers(0, 2**16 - 1), max_size=8)))
    return proto


@st.composite
def valid_inputs(draw):
    """(signature, inputs) that pass the checks, so the model runs."""
    rows = draw(st.integers(1, 3))
    signature = draw(st.sampled_from(["serving_default", "predict_dna", "variant_effect", "metadata"]))
    texts = st.lists(st.text("ACGTN", min_size=L, max_size=L), min_size=rows, max_size=rows)

    def seqs():
        return draw(texts)

    if signature == "serving_default":
        return signature, {
            "sequence": draw(st.sampled_from([0.0, 0.25, 1.0])) * np.ones((rows, L, 4), np.float32)
        }
    if signature == "predict_dna":
        return signature, {"dna": np.array([s.encode() for s in seqs()], dtype=object)}
    if signature == "variant_effect":
        return signature, {k: np.array([s.encode() for s in seqs()], dtype=object) for k in ("ref", "alt")}
    return signature, {}


@st.composite
def requests(draw):
    request = predict_pb2.PredictRequest(
        model_spec=model_pb2.ModelSpec(
            name=draw(st.sampled_from(["tiny"] * 7 + ["other"])),
            signature_name=draw(st.sampled_from(SIGNATURES)),
        )
    )
    choice = draw(st.integers(0, 19))
    if choice == 0:
        request.model_spec.version_label = draw(st.text(max_size=5))
    elif choice == 1:
        request.model_spec.version.value = draw(st.integers(-(2**63), 2**63 - 1))
    elif choice == 2:
        request.model_spec.version.value = 1
    mutate = True
    if draw(st.booleans()):  # well-formed inputs, mutated half of the time
        signature, arrays = draw(valid_inputs())
        request.model_spec.signature_name = signature
        for key, value in arrays.items():
            fill_proto(request.inputs[key], value)
        mutate = draw(st.booleans())
    for key in draw(st.lists(st.sampled_from(KEYS), max_size=2 if mutate else 0, unique=True)):
        request.inputs[key].CopyFrom(draw(tensors()))
    filters = st.sampled_from(["probabilities", "diff", "profiles", "zz"])
    request.output_filter.extend(draw(st.lists(filters, max_size=2 if mutate else 0)))
    return request


@PROPERTY
@given(request=requests())
def test_any_predict_request_gets_an_answer_or_a_client_error(server, request):
    servicer = PredictionServicer(server.models)
    try:
        response = servicer.predict(request)
    except ServingError as err:
        assert err.code in CLIENT_ERRORS, (err.code, err.message)
        assert err.message
        event(err.code.name)
        return
    event("answered")
    assert response.outputs
    for out in response.outputs.values():
        assert out.dtype in (types_pb2.DT_FLOAT, types_pb2.DT_STRING)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(alphabet="ACGTNb64 {}", max_size=6),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["b64", *KEYS]), inner, max_size=3)
    ),
    max_leaves=12,
)


@st.composite
def rest_bodies(draw):
    """Raw bytes, arbitrary JSON, or a TF Serving-shaped body with arbitrary or well-formed values."""
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(st.binary(max_size=64))
    if kind == 1:
        return json.dumps(draw(json_values)).encode()
    body = {}
    if draw(st.integers(0, 4)):
        body["signature_name"] = draw(st.one_of(st.sampled_from(SIGNATURES), json_values))
    key = draw(st.sampled_from(["instances", "inputs", "both", "neither"]))
    if kind >= 4:  # well-formed values
        signature, arrays = draw(valid_inputs())
        body["signature_name"] = signature
        if key == "instances" and arrays:
            rows = len(next(iter(arrays.values())))
            if len(arrays) == 1:
                ((name, value),) = arrays.items()
                body["instances"] = [_jsonable(v) for v in value]
            else:
                body["instances"] = [{k: _jsonable(v[i]) for k, v in arrays.items()} for i in range(rows)]
        else:
            body["inputs"] = {k: _jsonable(v) for k, v in arrays.items()}
    else:
        if key in ("instances", "both"):
            body["instances"] = draw(json_values)
        if key in ("inputs", "both"):
            body["inputs"] = draw(json_values)
    return json.dumps(body).encode()


def _jsonable(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value] if value.dtype == object else value.tolist()
    return value


@PROPERTY
@given(
    raw=rest_bodies(),
    name=st.sampled_from(["tiny"] * 7 + ["other"]),
    version=st.sampled_from([None] * 5 + [1, 3]),
)
def test_any_rest_body_gets_an_answer_or_a_4xx(server, raw, name, version):
    try:
        servable, sig, arrays, rows, row_format = parse_predict(server.models, name, version, raw)
        outputs = servable.predict(sig, arrays, rows)
        body = render_predict(outputs, rows, row_format)
    except ServingError as err:
        assert 400 <= HTTP_STATUS[err.code] < 500 or err.code == grpc.StatusCode.UNIMPLEMENTED, err.message
        event(f"HTTP {HTTP_STATUS[err.code]}")
        return
    event("HTTP 200")
    answer = json.loads(body)
    assert list(answer) == ["predictions" if row_format else "outputs"]


@pytest.mark.parametrize("shape", [[50000, L, 4], [-1, L, 4], [2**62, L, 4]])
def test_a_tiny_message_cannot_declare_a_huge_tensor(server, shape):
    """The issue's case: ~60 bytes declaring [50000, 400, 4] with no values is refused at once."""
    request = predict_pb2.PredictRequest(model_spec=model_pb2.ModelSpec(name="tiny"))
    tensor = request.inputs["sequence"]
    tensor.dtype = types_pb2.DT_FLOAT
    for n in shape:
        tensor.tensor_shape.dim.add(size=n)
    assert len(request.SerializeToString()) < 80
    with pytest.raises(ServingError) as info:
        PredictionServicer(server.models).predict(request)
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
