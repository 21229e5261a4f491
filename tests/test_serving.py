"""TF Serving export, the Python gRPC server (official stubs as the client) and `brainresnet query`."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf
import yaml
from google.protobuf import text_format
from tensorflow_serving.apis import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_log_pb2,
    prediction_service_pb2_grpc,
)
from tensorflow_serving.config import model_server_config_pb2

from brainresnet_tf import cli
from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import one_hot_sequence
from brainresnet_tf.models import ResNetSpec, build_resnet
from brainresnet_tf.models.saving import ModelMeta, save_model
from brainresnet_tf.serve.export import export_serving, version_dirs
from brainresnet_tf.serve.server import Batcher, BatchingOptions, ServingServer

from .conftest import write_fasta

L, PROFILES = 120, ["iPSC_neuron_ATAC", "NPC_ATAC", "fetal_brain_ATAC"]
SERVING = Path(__file__).resolve().parents[1] / "serving"
TOL = 1e-5


def tiny_model(seed: int) -> tf.keras.Model:
    """A ~1.5k-parameter Brain-ResNet with non-trivial (random) head weights."""
    tf.keras.utils.set_random_seed(seed)
    return build_resnet(L, len(PROFILES), ResNetSpec(stem_filters=8, stage_filters=(8,), head_units=8))


def random_dna(n: int, seed: int, alphabet: str = "ACGT") -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list(alphabet), L)) for _ in range(n)]


def rc(seq: str) -> str:
    return seq.translate(str.maketrans("ACGTN", "TGCAN"))[::-1]


def onehot(seqs: list[str]) -> np.ndarray:
    return np.stack([one_hot_sequence(s) for s in seqs])


def keras_strand_avg(model, seqs: list[str]) -> np.ndarray:
    x = onehot(seqs)
    return (model(x).numpy() + model(x[:, ::-1, ::-1].copy()).numpy()) / 2


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(keras model, model.keras path, model base path with version 1)."""
    root = tmp_path_factory.mktemp("serving")
    model = tiny_model(0)
    path = root / "model.keras"
    save_model(model, path, ModelMeta(PROFILES, L, cell_types=["iPSC_neuron", "NPC", "fetal_brain"]))
    base = root / "models" / "tiny"
    export_serving(path, base)
    return model, path, base


@pytest.fixture(scope="module")
def server(exported):
    """Our server on a free loopback port (port 0 = the OS picks), batching on."""
    srv = ServingServer(
        exported[2],
        "tiny",
        host="127.0.0.1",
        port=0,
        batching=BatchingOptions(True, max_batch_size=16, batch_timeout_ms=20),
        poll_seconds=0.2,
    )
    srv.start()
    yield srv
    srv.stop(grace=0)


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


# -- export -----------------------------------------------------------------------------------
def test_export_layout_assets_and_warmup(exported, tmp_path):
    model, path, base = exported
    v1 = base / "1"
    assert sorted(version_dirs(base)) == [1]
    assert not [p for p in base.iterdir() if p.name.startswith(".tmp")]
    assert (v1 / "assets" / "profiles.txt").read_text().split() == PROFILES
    assert '"input_length": 120' in (v1 / "assets" / "model.json").read_text()
    records = [
        prediction_log_pb2.PredictionLog.FromString(r.numpy())
        for r in tf.data.TFRecordDataset(str(v1 / "assets.extra" / "tf_serving_warmup_requests"))
    ]
    assert {r.predict_log.request.model_spec.signature_name for r in records} == {
        "serving_default",
        "predict_dna",
        "variant_effect",
    }
    # next integer by default; an existing version is refused
    other = tmp_path / "m"
    assert export_serving(model, other).name == "1"
    assert export_serving(model, other).name == "2"
    assert export_serving(model, other, version=7).name == "7"
    with pytest.raises(InputError, match="already exists"):
        export_serving(model, other, version=2)


def test_signatures_equal_keras(exported):
    model, _, base = exported
    loaded = tf.saved_model.load(str(base / "1"))
    sigs = loaded.signatures
    assert set(sigs) >= {"serving_default", "predict_dna", "variant_effect", "metadata"}
    seqs = random_dna(6, 1, "ACGTN")
    seqs[0] = seqs[0].lower()  # soft-masked sequence encodes the same
    x = onehot([s.upper() for s in seqs])
    got = sigs["serving_default"](sequence=tf.constant(x))
    assert list(got) == ["probabilities"]
    np.testing.assert_allclose(got["probabilities"].numpy(), model(x).numpy(), atol=TOL)

    dna = sigs["predict_dna"](dna=tf.constant(seqs))["probabilities"].numpy()
    np.testing.assert_allclose(dna, keras_strand_avg(model, [s.upper() for s in seqs]), atol=TOL)
    rc_dna = sigs["predict_dna"](dna=tf.constant([rc(s.upper()) for s in seqs]))["probabilities"]
    np.testing.assert_allclose(rc_dna.numpy(), dna, atol=TOL)  # strand-symmetric

    ref, alt = random_dna(3, 2), random_dna(3, 3)
    eff = sigs["variant_effect"](ref=tf.constant(ref), alt=tf.constant(alt))
    np.testing.assert_allclose(eff["ref_probabilities"].numpy(), keras_strand_avg(model, ref), atol=TOL)
    np.testing.assert_allclose(eff["alt_probabilities"].numpy(), keras_strand_avg(model, alt), atol=TOL)
    np.testing.assert_allclose(
        eff["diff"].numpy(), keras_strand_avg(model, alt) - keras_strand_avg(model, ref), atol=TOL
    )
    meta = sigs["metadata"]()
    assert [p.decode() for p in meta["profiles"].numpy()] == PROFILES


@pytest.mark.parametrize(
    "dna, message",
    [
        (["ACGTX" + "A" * (L - 5)], "only A, C, G, T, N"),
        (["A" * (L - 1)], f"exactly {L} bp"),
        ([], "empty batch"),
    ],
)
def test_in_graph_checks(exported, dna, message):
    """What the official server would answer (INVALID_ARGUMENT) comes from the graph itself."""
    sig = tf.saved_model.load(str(exported[2] / "1")).signatures["predict_dna"]
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        sig(dna=tf.constant(dna, dtype=tf.string))


# -- server -----------------------------------------------------------------------------------
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
    "output filter": (
        lambda: _with_filter(predict_request({"sequence": np.zeros((1, L, 4), np.float32)}), "output_0"),
        "INVALID_ARGUMENT",
        "outputs of signature serving_default are {probabilities}",
    ),
}


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
            newer = tiny_model(1)
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


# -- command line -------------------------------------------------------------------------------
def test_cli_export_and_query(exported, server, tmp_path, tiny_genome):
    model, path, _ = exported
    assert cli.main(["export", "--model", str(path), "--serving-dir", str(tmp_path / "m")]) == 0
    assert (tmp_path / "m" / "1" / "saved_model.pb").exists()

    seqs = random_dna(3, 7)
    out = tmp_path / "q.tsv"
    assert (
        cli.main(
            ["query", "--server", server.address, "--model", "tiny", "--sequences", *seqs, "--out", str(out)]
        )
        == 0
    )
    table = pd.read_csv(out, sep="\t")
    assert list(table.columns) == ["name", *PROFILES]
    np.testing.assert_allclose(table[PROFILES].to_numpy(), keras_strand_avg(model, seqs), atol=1e-5)

    fasta = write_fasta(tmp_path / "q.fa", {"a": seqs[0], "b": seqs[1]})
    assert (
        cli.main(
            [
                "query",
                "--server",
                server.address,
                "--model",
                "tiny",
                "--fasta",
                str(fasta),
                "--signature",
                "serving_default",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    table = pd.read_csv(out, sep="\t")
    assert table["name"].tolist() == ["a", "b"]
    np.testing.assert_allclose(table[PROFILES].to_numpy(), model(onehot(seqs[:2])).numpy(), atol=1e-5)

    fa, genome = tiny_genome
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t2000\t2100\tr1\nchr2\t500\t560\tr2\n")
    assert (
        cli.main(
            [
                "query",
                "--server",
                server.address,
                "--model",
                "tiny",
                "--bed",
                str(bed),
                "--genome",
                str(fa),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    table = pd.read_csv(out, sep="\t")
    windows = [genome["chr1"][2050 - L // 2 : 2050 + L // 2], genome["chr2"][530 - L // 2 : 530 + L // 2]]
    assert table["name"].tolist() == ["r1", "r2"]
    np.testing.assert_allclose(
        table[PROFILES].to_numpy(), keras_strand_avg(model, [w.upper() for w in windows]), atol=1e-5
    )


def test_cli_query_errors_are_one_line(server, capsys):
    assert cli.main(["query", "--server", server.address, "--model", "tiny", "--sequences", "ACGT"]) == 2
    assert f"model tiny takes exactly {L} bp" in capsys.readouterr().err
    assert cli.main(["query", "--server", server.address, "--model", "nope", "--sequences", "A" * L]) == 2
    assert "NOT_FOUND" in capsys.readouterr().err


def test_serve_command_in_a_subprocess(exported, tmp_path):
    """`brainresnet serve` (the installed console script) answers, then exits on SIGTERM."""
    exe = shutil.which("brainresnet")
    cmd = [exe] if exe else [sys.executable, "-m", "brainresnet_tf.cli"]
    log = tmp_path / "serve.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [
                *cmd,
                "serve",
                "--model-base-path",
                str(exported[2]),
                "--port",
                "0",
                "--model-name",
                "tiny",
                "--max-batch-size",
                "8",
            ],
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 45
        while not (found := re.search(r"on 127\.0\.0\.1:(\d+)", log.read_text())):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.1)
        with grpc.insecure_channel(f"127.0.0.1:{found.group(1)}") as channel:
            status = model_service_pb2_grpc.ModelServiceStub(channel).GetModelStatus(
                get_model_status_pb2.GetModelStatusRequest(model_spec=model_pb2.ModelSpec(name="tiny")),
                timeout=30,
            )
        assert status.model_version_status[0].state == get_model_status_pb2.ModelVersionStatus.AVAILABLE
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_shipped_configs_parse():
    config = text_format.Parse(
        (SERVING / "models.config").read_text(), model_server_config_pb2.ModelServerConfig()
    )
    names = [m.name for m in config.model_config_list.config]
    assert {"iPSC_neuron", "NPC", "fetal_brain"} <= set(names)
    assert all(m.model_platform == "tensorflow" for m in config.model_config_list.config)
    compose = yaml.safe_load((SERVING / "docker-compose.yml").read_text())
    (service,) = compose["services"].values()
    assert service["image"].startswith("tensorflow/serving")
    assert "max_batch_size" in (SERVING / "batching.config").read_text()
