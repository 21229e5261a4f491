"""``brainresnet export`` and ``brainresnet query`` (sequences, FASTA, BED) against our server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from brainresnet_tf import cli
from tests.toy_data import SERVING_LENGTH, onehot, random_dna, write_fasta
from tests.toy_models import SERVING_PROFILES, keras_strand_avg

L, PROFILES = SERVING_LENGTH, SERVING_PROFILES


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


@pytest.mark.subprocess
def test_query_does_not_import_tensorflow(server, tmp_path):
    """`brainresnet query` loads TF Serving's protos without TensorFlow's runtime (seconds saved)."""
    seq = random_dna(1, 8)[0]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    cmd = [
        sys.executable,
        "-X",
        "importtime",
        "-m",
        "brainresnet_tf.cli",
        "query",
        "--server",
        server.address,
    ]
    done = subprocess.run(
        [*cmd, "--model", "tiny", "--sequences", seq], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[0].split("\t") == ["name", *PROFILES]
    imported = {
        line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time")
    }
    assert "tensorflow_serving.apis.predict_pb2" in imported
    assert not any(m == "tensorflow.python" or m.startswith("tensorflow.python.") for m in imported)


@pytest.mark.subprocess
def test_tensorflow_imports_normally_after_the_protos(tmp_path):
    """After serve.protos loaded the messages without TensorFlow, `import tensorflow` still works and
    shares the same message classes."""
    code = (
        "import sys\n"
        "from brainresnet_tf.serve.protos import predict_pb2, tensor_pb2\n"
        "assert 'tensorflow.python' not in sys.modules\n"
        "import tensorflow as tf\n"
        "from tensorflow.core.framework import tensor_pb2 as again\n"
        "proto = tf.make_tensor_proto([1.5, 2.5])\n"
        "assert type(proto) is tensor_pb2.TensorProto is again.TensorProto\n"
        "request = predict_pb2.PredictRequest()\n"
        "request.inputs['x'].CopyFrom(proto)\n"
        "assert tf.make_ndarray(request.inputs['x']).tolist() == [1.5, 2.5]\n"
        "print('ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
