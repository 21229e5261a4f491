"""Prediction for regions: windows centred on them, both strands averaged, TSV and Parquet."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from brainresnet_tf.io.genome import Genome, one_hot_sequence
from brainresnet_tf.models.saving import load_model
from brainresnet_tf.workflows.predict import run_predict


def test_predict_regions_centres_windows_and_averages_strands(trained, tmp_path):
    config, _ = trained
    model_path = Path(config.out_dir) / "model.keras"
    regions = tmp_path / "regions.bed"
    regions.write_text("chr1\t1000\t1200\tr1\n2\t50\t60\tr2\n")  # "2" resolves to chr2; r2 runs off the start
    out = tmp_path / "pred.tsv"
    assert run_predict(model_path, config.genome.fasta, regions, out) == 2
    table = pd.read_csv(out, sep="\t")
    assert table["name"].tolist() == ["r1", "r2"] and table["chrom"].tolist() == ["chr1", "chr2"]
    model, meta = load_model(model_path)
    g = Genome(config.genome.fasta)
    seq = g.fetch("chr1", 1100 - 100, 1100 + 100)
    x = one_hot_sequence(seq)[None]
    expect = (model.predict(x, verbose=0) + model.predict(x[:, ::-1, ::-1], verbose=0)) / 2
    np.testing.assert_allclose(table.loc[0, ["a", "b"]].to_numpy(float), expect[0], atol=1e-5)
    seq2 = g.fetch("chr2", 55 - 100, 55 + 100)
    assert seq2.startswith("N" * 45)
    x2 = one_hot_sequence(seq2)[None]
    expect2 = (model.predict(x2, verbose=0) + model.predict(x2[:, ::-1, ::-1], verbose=0)) / 2
    np.testing.assert_allclose(table.loc[1, ["a", "b"]].to_numpy(float), expect2[0], atol=1e-5)
    run_predict(model_path, config.genome.fasta, regions, tmp_path / "pred.parquet")
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "pred.parquet"), table, check_dtype=False, atol=1e-5
    )


def test_predict_streams_rows_as_it_goes(tiny_model, genome_seqs, tmp_path, monkeypatch):
    """Rows reach the output batch by batch (a 1M-line BED is never held in memory)."""
    from brainresnet_tf.io.tables import TableWriter

    _, _, model_path = tiny_model
    genome = genome_seqs[0]
    regions = tmp_path / "many.bed"
    regions.write_text("".join(f"chr1\t{s}\t{s + 10}\tr{s}\n" for s in range(0, 2900, 100)))
    writes = []
    original = TableWriter.write
    monkeypatch.setattr(TableWriter, "write", lambda self, df: (writes.append(len(df)), original(self, df)))
    out = tmp_path / "p.tsv"
    assert run_predict(model_path, genome.path, regions, out, batch_size=8) == 29
    assert writes == [8, 8, 8, 5]
    assert pd.read_csv(out, sep="\t")["name"].tolist() == [f"r{s}" for s in range(0, 2900, 100)]


def test_failed_predict_leaves_no_output(tiny_model, genome_seqs, tmp_path):
    from brainresnet_tf.errors import InputError

    _, _, model_path = tiny_model
    regions = tmp_path / "bad.bed"
    regions.write_text("chr1\t0\t10\n" * 20 + "chr1\t10\tx\n")
    with pytest.raises(InputError, match="bad.bed:21: non-integer"):
        run_predict(model_path, genome_seqs[0].path, regions, tmp_path / "p.tsv", batch_size=4)
    assert list(tmp_path.iterdir()) == [regions]
