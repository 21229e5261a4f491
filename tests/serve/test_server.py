"""The Python gRPC server with the official TF Serving stubs as the client: predictions, batching,
metadata and status, bad requests, new versions picked up."""

from __future__ import annotations

import shutil
import threading
import time

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
)

from brainresnet_tf.models.saving import ModelMeta
from brainresnet_tf.serve.export import export_serving
from brainresnet_tf.serve.server import Batcher, BatchingOptions, Limits, ServingServer
from tests.toy_data import SERVING_LENGTH, onehot, random_dna
from tests.toy_models import SERVING_PROFILES, keras_strand_avg, serving_model

L, PROFILES = SERVING_LENGTH, SERVING_PROFILES
TOL = 1e-5


@pytest.fixture(scope="module")
def stubs(server):
    channel = grpc.insecure_channel(server.address)
    yield (
        prediction_service_pb2_grpc.PredictionServiceStub(channel),
        model_service_pb2_grpc.ModelServiceStub(channel),
    )
    channel.close()


def predict_request(inputs: dict, signature: str = "", name: str = "tiny") -> predict_pb2.PredictRequest:
    request = predict_pb2.PredictRequest(model_spec=model_pb2.ModelSpec(name=name, signature_name=signature))
    for key, value in inputs.items():
        request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
    return request


def test_predict_both_signatures(exported, stubs):
    model = exported[0]
    predictions, _ = stubs
    seqs = random_dna(5, 4)
    x = onehot(seqs)
    response = predictions.Predict(predict_request({"sequence": x}), timeout=30)
    assert response.model_spec.version.value == 1
    assert response.model_spec.signature_name == "serving_default"
    np.testing.assert_allclose(tf.make_ndarray(response.outputs["probabilities"]), model(x).numpy(), atol=TOL)
    response = predictions.Predict(
        predict_request({"dna": np.array(seqs, dtype=object)}, "predict_dna"), timeout=30
    )
    np.testing.assert_allclose(
        tf.make_ndarray(response.outputs["probabilities"]), keras_strand_avg(model, seqs), atol=TOL
    )
    response = predictions.Predict(
        predict_request(
            {"ref": np.array(seqs[:2], dtype=object), "alt": np.array(seqs[2:4], dtype=object)},
            "variant_effect",
        ),
        timeout=30,
    )
    np.testing.assert_allclose(
        tf.make_ndarray(response.outputs["diff"]),
        keras_strand_avg(model, seqs[2:4]) - keras_strand_avg(model, seqs[:2]),
        atol=TOL,
    )
    request = predict_request({"sequence": x[:1]})
    request.output_filter.append("probabilities")
    assert list(predictions.Predict(request, timeout=30).outputs) == ["probabilities"]


def test_concurrent_requests_are_batched(exported, server, stubs):
    model = exported[0]
    predictions, _ = stubs
    seqs = random_dna(8, 5)
    results, barrier = {}, threading.Barrier(len(seqs))

    def call(i):
        barrier.wait()
        r = predictions.Predict(
            predict_request({"dna": np.array([seqs[i]], dtype=object)}, "predict_dna"), timeout=30
        )
        results[i] = tf.make_ndarray(r.outputs["probabilities"])[0]

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(seqs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    got = np.stack([results[i] for i in range(len(seqs))])
    np.testing.assert_allclose(got, keras_strand_avg(model, seqs), atol=TOL)
    batcher = server.manager.current._batchers["predict_dna"]
    assert batcher.batches_run < batcher.requests_run  # some requests shared a batch


def test_batcher_merges_splits_and_isolates_failures():
    """Concurrent submits share batches; each gets its own rows; a bad one fails alone."""
    sizes = []

    def run(arrays):
        x = arrays["x"]
        if (x < 0).any():
            raise ValueError("negative input")
        sizes.append(len(x))
        time.sleep(0.02)
        return {"y": x * 2, "const": np.array(7)}

    batcher = Batcher(
        run, BatchingOptions(True, max_batch_size=6, batch_timeout_ms=50, num_batch_threads=2), "test"
    )
    results, errors = {}, {}
    barrier = threading.Barrier(9)

    def call(i):
        barrier.wait()
        x = np.full((1 if i % 2 else 2, 3), -1.0 if i == 5 else float(i))
        try:
            results[i] = batcher.submit({"x": x}, len(x))
        except ValueError as err:
            errors[i] = str(err)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    batcher.close()
    assert errors == {5: "negative input"}
    for i, out in results.items():
        np.testing.assert_array_equal(out["y"], np.full((1 if i % 2 else 2, 3), 2.0 * i))
        assert out["const"] == 7
    assert max(sizes) > 2 and max(sizes) <= 6  # merged, never past max_batch_size


def test_metadata_and_status(stubs):
    predictions, models = stubs
    request = get_model_metadata_pb2.GetModelMetadataRequest(
        model_spec=model_pb2.ModelSpec(name="tiny"), metadata_field=["signature_def"]
    )
    response = predictions.GetModelMetadata(request, timeout=30)
    defs = get_model_metadata_pb2.SignatureDefMap()
    response.metadata["signature_def"].Unpack(defs)
    assert set(defs.signature_def) == {"serving_default", "predict_dna", "variant_effect", "metadata"}
    sdef = defs.signature_def["serving_default"]
    assert [d.size for d in sdef.inputs["sequence"].tensor_shape.dim] == [-1, L, 4]
    assert list(sdef.outputs) == ["probabilities"]
    status = models.GetModelStatus(
        get_model_status_pb2.GetModelStatusRequest(model_spec=model_pb2.ModelSpec(name="tiny")), timeout=30
    )
    (only,) = status.model_version_status
    assert only.version == 1 and only.state == get_model_status_pb2.ModelVersionStatus.AVAILABLE
    assert only.status.error_code == 0


BAD = {
    "wrong shape": (
        lambda: predict_request({"sequence": np.zeros((1, L - 1, 4), np.float32)}),
        "INVALID_ARGUMENT",
        "has shape [1, 119, 4]; expected (batch, 120, 4)",
    ),
    "wrong dtype": (
        lambda: predict_request({"sequence": np.zeros((1, L, 4), np.int32)}),
        "INVALID_ARGUMENT",
        "must be DT_FLOAT",
    ),
    "wrong input name": (
        lambda: predict_request({"x": np.zeros((1, L, 4), np.float32)}),
        "INVALID_ARGUMENT",
        "takes inputs {sequence}",
    ),
    "unknown signature": (
        lambda: predict_request({"dna": np.array([b"A" * L])}, "nope"),
        "INVALID_ARGUMENT",
        'signature key "nope" not found',
    ),
    "unknown model": (
        lambda: predict_request({"sequence": np.zeros((1, L, 4), np.float32)}, name="other"),
        "NOT_FOUND",
        "'other' is not served",
    ),
    "unknown version": (
        lambda: _with_version(predict_request({"sequence": np.zeros((1, L, 4), np.float32)}), 9),
        "NOT_FOUND",
        "Specific(tiny, 9)",
    ),
    "empty batch": (
        lambda: predict_request({"sequence": np.zeros((0, L, 4), np.float32)}),
        "INVALID_ARGUMENT",
        "empty batch",
    ),
    "empty dna batch": (
        lambda: predict_request({"dna": np.zeros((0,), object)}, "predict_dna"),
        "INVALID_ARGUMENT",
        "empty batch",
    ),
    "non-ACGTN": (
        lambda: predict_request({"dna": np.array([b"A" * L, b"ACGU" + b"A" * (L - 4)])}, "predict_dna"),
        "INVALID_ARGUMENT",
        "sequence 1: non-ACGTN character 'U' at position 3",
    ),
    "short dna": (
        lambda: predict_request({"dna": np.array([b"ACGT"])}, "predict_dna"),
        "INVALID_ARGUMENT",
        f"4 bp; the model takes exactly {L} bp",
    ),
    "ref/alt rows": (
        lambda: predict_request(
            {"ref": np.array([b"A" * L]), "alt": np.array([b"C" * L] * 2)}, "variant_effect"
        ),
        "INVALID_ARGUMENT",
        "same number of rows",
    ),
    "declared shape, no values": (
        lambda: _shape_only(predict_request({"sequence": np.zeros((1, L, 4), np.float32)}), [3000, L, 4]),
        "INVALID_ARGUMENT",
        "0 values in float_val for shape [3000, 120, 4]",
    ),
    "too few values": (
        lambda: _shape_only(predict_request({"sequence": np.zeros((1, L, 4), np.float32)}), [2, L, 4], 5),
        "INVALID_ARGUMENT",
        "5 values in float_val for shape [2, 120, 4] (960 values)",
    ),
    "short tensor_content": (
        lambda: _truncate_content(predict_request({"sequence": np.zeros((2, L, 4), np.float32)})),
        "INVALID_ARGUMENT",
        "bytes of tensor_content for shape [2, 120, 4]",
    ),
    "too many rows": (
        lambda: _shape_only(predict_request({"sequence": np.zeros((1, L, 4), np.float32)}), [50000, L, 4]),
        "INVALID_ARGUMENT",
        "50000 rows; this server takes at most 4096 per request",
    ),
    "negative dimension": (
        lambda: _shape_only(predict_request({"sequence": np.zeros((1, L, 4), np.float32)}), [-5, L, 4]),
        "INVALID_ARGUMENT",
        "negative dimension",
    ),
    "strings do not fill": (
        lambda: _shape_only(predict_request({"dna": np.array([b"A" * L])}, "predict_dna"), [3000], 1),
        "INVALID_ARGUMENT",
        "1 strings for shape [3000]",
    ),
    "indel alleles, not windows": (
        lambda: predict_request(
            {"ref": np.array([b"A" * L]), "alt": np.array([b"A" * (L - 3)])}, "variant_effect"
        ),
        "INVALID_ARGUMENT",
        f"{L - 3} bp; the model takes exactly {L} bp (variant_effect takes a ref and an alt window",
    ),
    "output filter": (
        lambda: _with_filter(predict_request({"sequence": np.zeros((1, L, 4), np.float32)}), "output_0"),
        "INVALID_ARGUMENT",
        "outputs of signature serving_default are {probabilities}",
    ),
}


def _shape_only(request, shape, n_values=0):
    """The request's first input redeclared with ``shape`` and only ``n_values`` values."""
    tensor = next(iter(request.inputs.values()))
    del tensor.tensor_shape.dim[:]
    for n in shape:
        tensor.tensor_shape.dim.add(size=n)
    if tensor.string_val:
        del tensor.string_val[n_values:]
    else:
        tensor.tensor_content = b""
        tensor.float_val.extend([0.5] * n_values)
    return request


def _truncate_content(request):
    tensor = request.inputs["sequence"]
    tensor.tensor_content = tensor.tensor_content[:-4]
    return request


def _with_version(request, version):
    request.model_spec.version.value = version
    return request


def _with_filter(request, name):
    request.output_filter.append(name)
    return request


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_requests_then_keeps_serving(stubs, case):
    predictions, _ = stubs
    make, code, message = BAD[case]
    with pytest.raises(grpc.RpcError) as info:
        predictions.Predict(make(), timeout=30)
    assert info.value.code().name == code
    assert message in info.value.details()
    ok = predictions.Predict(predict_request({"sequence": np.zeros((1, L, 4), np.float32)}), timeout=30)
    assert tf.make_ndarray(ok.outputs["probabilities"]).shape == (1, len(PROFILES))


def test_bad_metadata_and_status_requests(stubs):
    predictions, models = stubs
    with pytest.raises(grpc.RpcError) as info:
        predictions.GetModelMetadata(
            get_model_metadata_pb2.GetModelMetadataRequest(
                model_spec=model_pb2.ModelSpec(name="tiny"), metadata_field=["bogus"]
            ),
            timeout=30,
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as info:
        models.GetModelStatus(
            get_model_status_pb2.GetModelStatusRequest(model_spec=model_pb2.ModelSpec(name="nope")),
            timeout=30,
        )
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_new_version_is_picked_up(exported, tmp_path):
    base = tmp_path / "tiny"
    shutil.copytree(exported[2], base)
    srv = ServingServer(base, "tiny", port=0, poll_seconds=0.1)
    srv.start()
    try:
        with grpc.insecure_channel(srv.address) as channel:
            predictions = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            models = model_service_pb2_grpc.ModelServiceStub(channel)
            x = onehot(random_dna(3, 6))
            first = predictions.Predict(predict_request({"sequence": x}), timeout=30)
            assert first.model_spec.version.value == 1
            newer = serving_model(1)
            export_serving(newer, base, meta=ModelMeta(PROFILES, L))
            deadline = time.monotonic() + 30
            while srv.manager.current.version != 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            response = predictions.Predict(predict_request({"sequence": x}), timeout=30)
            assert response.model_spec.version.value == 2
            np.testing.assert_allclose(
                tf.make_ndarray(response.outputs["probabilities"]), newer(x).numpy(), atol=TOL
            )
            status = models.GetModelStatus(
                get_model_status_pb2.GetModelStatusRequest(model_spec=model_pb2.ModelSpec(name="tiny")),
                timeout=30,
            )
            states = {s.version: s.state for s in status.model_version_status}
            assert states == {
                2: get_model_status_pb2.ModelVersionStatus.AVAILABLE,
                1: get_model_status_pb2.ModelVersionStatus.END,
            }
            # a broken newer version is reported and skipped; version 2 keeps serving
            (base / "3").mkdir()
            (base / "3" / "saved_model.pb").write_bytes(b"not a SavedModel")
            deadline = time.monotonic() + 30
            while (
                srv.manager.version_states().get(3, (0,))[0] != get_model_status_pb2.ModelVersionStatus.END
                and time.monotonic() < deadline
            ):
                time.sleep(0.05)
            status = models.GetModelStatus(
                get_model_status_pb2.GetModelStatusRequest(
                    model_spec=model_pb2.ModelSpec(name="tiny", version={"value": 3})
                ),
                timeout=30,
            )
            (broken,) = status.model_version_status
            assert broken.state == get_model_status_pb2.ModelVersionStatus.END
            assert "failed to load" in broken.status.error_message
            response = predictions.Predict(predict_request({"sequence": x}), timeout=30)
            assert response.model_spec.version.value == 2
    finally:
        srv.stop(grace=0)


def test_message_size_limit(exported):
    """A message over --max-message-mb is refused by gRPC itself (RESOURCE_EXHAUSTED)."""
    srv = ServingServer(exported[2], "tiny", port=0, limits=Limits(max_rows=8, max_message_bytes=32 << 10))
    srv.start()
    try:
        with grpc.insecure_channel(srv.address) as channel:
            predictions = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            ok = predict_request({"sequence": np.zeros((8, L, 4), np.float32)})  # 15 kB
            assert predictions.Predict(ok, timeout=30).outputs["probabilities"].tensor_shape.dim[0].size == 8
            for request, code in (
                (predict_request({"sequence": np.zeros((9, L, 4), np.float32)}), "INVALID_ARGUMENT"),
                (predict_request({"dna": np.array([b"A" * 40_000])}, "predict_dna"), "RESOURCE_EXHAUSTED"),
            ):
                with pytest.raises(grpc.RpcError) as info:
                    predictions.Predict(request, timeout=30)
                assert info.value.code().name == code
    finally:
        srv.stop(grace=0)


def test_failed_version_is_retried_when_its_files_change(exported, tmp_path):
    """A version whose copy was incomplete at the first load deploys once the copy completes."""
    base = tmp_path / "tiny"
    shutil.copytree(exported[2], base)
    srv = ServingServer(base, "tiny", port=0, poll_seconds=0.1)
    srv.start()
    try:
        partial = base / "2"
        shutil.copytree(exported[2] / "1", partial)  # the copy is still writing the weights:
        (data,) = (exported[2] / "1" / "variables").glob("variables.data-*")
        (partial / "variables" / data.name).write_bytes(data.read_bytes()[: data.stat().st_size // 2])

        def state(version):
            return srv.manager.version_states().get(version, (None, ""))

        deadline = time.monotonic() + 30
        while state(2)[0] != get_model_status_pb2.ModelVersionStatus.END and time.monotonic() < deadline:
            time.sleep(0.05)
        assert state(2)[0] == get_model_status_pb2.ModelVersionStatus.END and "failed to load" in state(2)[1]
        assert srv.manager.current.version == 1
        time.sleep(0.5)  # several polls: an unchanged broken version is not reloaded
        assert state(2)[0] == get_model_status_pb2.ModelVersionStatus.END
        # the copy completes: only a file inside variables/ changes (the version folder's own
        # mtime does not), as when a copy tool fills files in place
        (partial / "variables" / data.name).write_bytes(data.read_bytes())
        deadline = time.monotonic() + 30
        while srv.manager.current.version != 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert srv.manager.current.version == 2
        assert state(2) == (get_model_status_pb2.ModelVersionStatus.AVAILABLE, "")
        with grpc.insecure_channel(srv.address) as channel:
            response = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(
                predict_request({"sequence": np.zeros((1, L, 4), np.float32)}), timeout=30
            )
        assert response.model_spec.version.value == 2
    finally:
        srv.stop(grace=0)
