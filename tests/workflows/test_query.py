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


def test_query_bed_skips_regions_off_a_partial_genome(exported, server, tiny_genome, tmp_path, capsys):
    from tests.toy_data import write_partial_genome_regions

    model = exported[0]
    seq = tiny_genome[1]["chr1"]
    on = [("chr1", s, s + 100) for s in (1500, 2000, 3000, 4000)]
    fasta, mixed, off = write_partial_genome_regions(tmp_path / "partial", seq, on)
    out = tmp_path / "q.tsv"
    common = ["query", "--server", server.address, "--model", "tiny", "--genome", str(fasta)]
    assert cli.main([*common, "--bed", str(mixed), "--out", str(out)]) == 0
    table = pd.read_csv(out, sep="\t")
    assert table[["chrom", "start", "end"]].values.tolist() == [list(r) for r in on]
    windows = [seq[s + 50 - L // 2 : s + 50 + L // 2].upper() for _, s, _ in on]
    np.testing.assert_allclose(table[PROFILES].to_numpy(), keras_strand_avg(model, windows), atol=1e-5)
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if line.startswith("[query]")] == [
        "[query] mixed.bed: skipped 6 of 10 peaks on 3 chromosomes not in the genome "
        "(chr2 3, chrEBV 2, chrUn_x 1)",
        f"[query] 4 of 10 regions (6 skipped) -> {out}",
    ]

    # --strict: today's error; a BED with no region on the genome: one line naming it
    assert cli.main([*common, "--bed", str(mixed), "--strict"]) == 2
    captured = capsys.readouterr()
    assert [line for line in captured.err.splitlines() if line.startswith("brainresnet:")] == [
        f"brainresnet: error: {mixed}:4: chromosome 'chr2' is not in genome chr1.fa (closest: chr1)"
    ]
    assert captured.out == ""  # no table
    assert cli.main([*common, "--bed", str(off)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("brainresnet:")]
    assert len(errors) == 1
    assert errors[0].startswith(f"brainresnet: error: {off}: none of its 6 peaks lies on genome chr1.fa")
