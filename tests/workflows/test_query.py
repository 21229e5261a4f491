"""``brainresnet export`` and ``brainresnet query`` (sequences, FASTA, BED) against our server."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
