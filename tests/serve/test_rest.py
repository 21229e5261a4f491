"""TF Serving's REST API on our server, queried with a plain HTTP client (urllib): predict in row
and columnar format, strings and {"b64"}, status, metadata, error bodies and HTTP codes, batching."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest

from brainresnet_tf.serve.server import BatchingOptions, Limits, ServingServer
from tests.toy_data import SERVING_LENGTH, onehot, random_dna
from tests.toy_models import SERVING_PROFILES, keras_strand_avg

L, PROFILES = SERVING_LENGTH, SERVING_PROFILES
TOL = 1e-5


def call(url: str, body=None, method: str | None = None) -> tuple[int, dict]:
    """(HTTP status, parsed JSON body) of a request; ``body`` is JSON-encoded unless bytes."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method or ("POST" if data is not None else "GET"))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.headers["Content-Type"].startswith("application/json")
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        assert err.headers["Content-Type"].startswith("application/json")
        return err.code, json.loads(err.read())


@pytest.fixture(scope="module")
def rest(server):
    return server.rest_url + "/v1/models/tiny"


def test_predict_row_and_columnar(exported, rest):
    model = exported[0]
    seqs = random_dna(3, 11)
    x = onehot(seqs)
    status, body = call(rest + ":predict", {"instances": x.tolist()})
    assert status == 200 and list(body) == ["predictions"]
    np.testing.assert_allclose(body["predictions"], model(x).numpy(), atol=TOL)
    # the same version named in the path; columnar input, one named output -> "outputs" is the value
    status, body = call(
        rest + "/versions/1:predict", {"signature_name": "predict_dna", "inputs": {"dna": seqs}}
    )
    assert status == 200 and list(body) == ["outputs"]
    np.testing.assert_allclose(body["outputs"], keras_strand_avg(model, seqs), atol=TOL)
    # row format of a two-input signature: one object per row in, one object per row out
    b64 = {"b64": base64.b64encode(seqs[1].encode()).decode()}
    status, body = call(
        rest + ":predict",
        {
            "signature_name": "variant_effect",
            "instances": [{"ref": seqs[0], "alt": b64}, {"ref": seqs[1], "alt": seqs[2]}],
        },
    )
    assert status == 200
    diff = keras_strand_avg(model, seqs[1:3]) - keras_strand_avg(model, seqs[:2])
    assert set(body["predictions"][0]) == {"diff", "ref_probabilities", "alt_probabilities"}
    np.testing.assert_allclose([row["diff"] for row in body["predictions"]], diff, atol=TOL)
    # columnar, several outputs -> an object of outputs
    status, body = call(
        rest + ":predict", {"signature_name": "variant_effect", "inputs": {"ref": seqs[:2], "alt": seqs[1:3]}}
    )
    assert status == 200
    np.testing.assert_allclose(body["outputs"]["diff"], diff, atol=TOL)
    # a signature without inputs, strings out
    status, body = call(rest + ":predict", {"signature_name": "metadata", "inputs": {}})
    assert status == 200 and body["outputs"]["profiles"] == PROFILES
    assert json.loads(body["outputs"]["model_json"])["profiles"] == PROFILES


def test_status_and_metadata(rest):
    status, body = call(rest)
    assert status == 200
    assert body == {
        "model_version_status": [
            {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}
        ]
    }
    assert call(rest + "/versions/1") == (200, body)
    status, body = call(rest + "/metadata")
    assert status == 200
    assert body["model_spec"] == {"name": "tiny", "signature_name": "", "version": "1"}
    defs = body["metadata"]["signature_def"]["signature_def"]
    assert set(defs) == {"serving_default", "predict_dna", "variant_effect", "metadata"}
    sequence = defs["serving_default"]["inputs"]["sequence"]
    assert sequence["dtype"] == "DT_FLOAT"
    assert [d["size"] for d in sequence["tensor_shape"]["dim"]] == ["-1", str(L), "4"]


def _bad(server):
    rest = server.rest_url + "/v1/models/tiny"
    one = onehot(random_dna(1, 3)).tolist()
    return {
        "unknown model": (
            server.rest_url + "/v1/models/nope:predict",
            {"instances": one},
            404,
            "'nope' is not served",
        ),
        "unknown version": (rest + "/versions/7:predict", {"instances": one}, 404, "Specific(tiny, 7)"),
        "malformed JSON": (rest + ":predict", b"{instances: [", 400, "JSON Parse error"),
        "not an object": (rest + ":predict", [1, 2], 400, "JSON object"),
        "no inputs": (
            rest + ":predict",
            {"signature_name": "serving_default"},
            400,
            "Missing 'inputs' or 'instances'",
        ),
        "both": (
            rest + ":predict",
            {"instances": one, "inputs": one},
            400,
            "only one of 'inputs' or 'instances'",
        ),
        "wrong shape": (
            rest + ":predict",
            {"instances": [[[0.0] * 4] * (L - 1)]},
            400,
            "expected (batch, 120, 4)",
        ),
        "ragged": (
            rest + ":predict",
            {"instances": [[[0.0] * 4] * L, [[0.0] * 3] * L]},
            400,
            "not a regular",
        ),
        "strings for floats": (rest + ":predict", {"instances": ["ACGT"]}, 400, "takes numbers"),
        "unknown signature": (
            rest + ":predict",
            {"signature_name": "x", "instances": one},
            400,
            '"x" not found',
        ),
        "wrong input name": (rest + ":predict", {"inputs": {"seq": one}}, 400, "takes inputs {sequence}"),
        "bad DNA": (
            rest + ":predict",
            {"signature_name": "predict_dna", "instances": ["ACGU" + "A" * (L - 4)]},
            400,
            "non-ACGTN character 'U' at position 3",
        ),
        "bad b64": (
            rest + ":predict",
            {"signature_name": "predict_dna", "instances": [{"b64": "%%%"}]},
            400,
            "invalid base64",
        ),
        "empty": (rest + ":predict", {"instances": []}, 400, "empty batch"),
        "classify": (rest + ":classify", {"examples": []}, 501, "use :predict"),
        "unknown path": (server.rest_url + "/v1/foo", None, 400, "Malformed request: GET /v1/foo"),
        "not v1": (server.rest_url + "/v2/models/tiny", None, 404, "Not found"),
    }


def test_errors_are_json_with_tf_serving_codes(server, rest):
    for case, (url, body, code, message) in _bad(server).items():
        status, answer = call(url, body)
        assert (status, list(answer)) == (code, ["error"]), case
        assert message in answer["error"], (case, answer)
    assert call(rest)[0] == 200  # still serving


def test_concurrent_rest_requests_are_batched(exported, server, rest):
    model = exported[0]
    seqs = random_dna(8, 13)
    results, barrier = {}, threading.Barrier(len(seqs))
    before = (
        server.manager.current.batch_stats()["predict_dna"].batches
        if "predict_dna" in server.manager.current.batch_stats()
        else 0
    )

    def one(i):
        barrier.wait()
        results[i] = call(rest + ":predict", {"signature_name": "predict_dna", "instances": [seqs[i]]})

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(seqs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    got = np.array([results[i][1]["predictions"][0] for i in range(len(seqs))])
    np.testing.assert_allclose(got, keras_strand_avg(model, seqs), atol=TOL)
    stats = server.manager.current.batch_stats()["predict_dna"]
    assert stats.batches - before < len(seqs)  # some requests shared a model call
    with urllib.request.urlopen(server.rest_url + "/monitoring/prometheus/metrics", timeout=30) as response:
        text = response.read().decode()
    assert (
        f'brainresnet_batches_total{{model="tiny",version="1",signature="predict_dna"}} {stats.batches}'
        in text
    )


@pytest.fixture(scope="module")
def small_server(exported):
    """A server with tight limits: 4 rows per request, 64 kB messages."""
    srv = ServingServer(
        exported[2],
        "tiny",
        port=0,
        rest_port=0,
        batching=BatchingOptions(enabled=False),
        limits=Limits(max_rows=4, max_message_bytes=64 << 10),
    )
    srv.start()
    yield srv
    srv.stop(grace=0)


def test_rest_limits(small_server):
    rest = small_server.rest_url + "/v1/models/tiny:predict"
    seqs = random_dna(5, 2)
    status, body = call(rest, {"signature_name": "predict_dna", "instances": seqs})
    assert status == 400 and "5 rows; this server takes at most 4 per request" in body["error"]
    assert call(rest, {"signature_name": "predict_dna", "instances": seqs[:4]})[0] == 200
    status, body = call(rest, {"signature_name": "predict_dna", "instances": ["A" * 70_000]})
    assert status == 413 and "--max-message-mb" in body["error"]


@pytest.mark.subprocess
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_readme_curl_line(exported, server):
    """The README's curl line, run as it is written there (with this server's port)."""
    seq = random_dna(1, 17)[0]
    line = (
        f'curl -s -d \'{{"signature_name": "predict_dna", "instances": ["{seq}"]}}\' '
        f"{server.rest_url}/v1/models/tiny:predict"
    )
    out = subprocess.run(line, shell=True, capture_output=True, text=True, timeout=60, check=True).stdout
    np.testing.assert_allclose(json.loads(out)["predictions"], keras_strand_avg(exported[0], [seq]), atol=TOL)
