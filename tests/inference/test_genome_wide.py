"""Genome-wide tracks: one bigWig per profile, each bin the strand-averaged prediction of the window
centred on it; a killed run resumes without redoing finished chromosomes."""

import dataclasses

import numpy as np
import pyBigWig
import pytest

from brainresnet_tf.inference.genome_wide import PARTIAL, predict_genome_wide
from brainresnet_tf.io.genome import one_hot
from brainresnet_tf.models.saving import save_model


@pytest.fixture
def setup(tiny_model, genome_seqs, tmp_path):
    model, meta, _ = tiny_model
    meta = dataclasses.replace(meta, bin_size=100)
    path = tmp_path / "model.keras"
    save_model(model, path, meta)
    return model, meta, genome_seqs[0], path


def _expected(model, genome, chrom, bins, meta):
    """Keras on the forward and reverse-complement one-hot windows centred on ``bins``."""
    starts = np.asarray(bins) * meta.bin_size + meta.bin_size // 2 - meta.input_length // 2
    x = one_hot(genome.window_codes(chrom, starts, meta.input_length)).astype(np.float32)
    return (model(x).numpy() + model(x[:, ::-1, ::-1].copy()).numpy()) / 2


def test_bigwig_per_profile_with_each_bin_centred(setup, tmp_path):
    model, meta, genome, path = setup
    out = tmp_path / "tracks"
    lines = []
    result = predict_genome_wide(
        model, meta, genome, out, batch_size=7, model_path=path, progress=False, log=lines.append
    )
    assert sorted(result.bigwigs) == ["p_a", "p_b"] and result.chroms == ["chr1", "chr2"]
    assert result.windows == 30 + 12 and not (out / PARTIAL).exists()
    assert [line.split(":")[0] for line in lines] == ["chr1", "chr2"]
    bins = [0, 1, 15, 29]  # the first windows run off the start (N-padded)
    expect = _expected(model, genome, "chr1", bins, meta)
    for i, profile in enumerate(meta.profiles):
        bw = pyBigWig.open(str(result.bigwigs[profile]))
        assert bw.chroms() == {"chr1": 3000, "chr2": 1200}
        entries = bw.intervals("chr1")
        assert len(entries) == 30 and entries[-1][:2] == (2900, 3000)
        got = np.array([entries[b][2] for b in bins])
        np.testing.assert_allclose(got, expect[:, i], atol=1e-5)
        assert len(bw.intervals("chr2")) == 12
        bw.close()


def test_killed_run_resumes_without_redoing_finished_chromosomes(setup, tmp_path):
    model, meta, genome, path = setup
    out = tmp_path / "tracks"

    def die_after_chr1(line):
        if line.startswith("chr1:"):
            raise KeyboardInterrupt  # as if killed right after chr1 was saved

    with pytest.raises(KeyboardInterrupt):
        predict_genome_wide(model, meta, genome, out, model_path=path, progress=False, log=die_after_chr1)
    assert (out / PARTIAL / "chr1.npy").exists() and not list(out.glob("*.bw"))
    lines = []
    result = predict_genome_wide(model, meta, genome, out, model_path=path, progress=False, log=lines.append)
    assert result.resumed == ["chr1"] and result.windows == 12  # only chr2 predicted now
    assert lines[0].startswith("resuming: 1 chromosomes already predicted (chr1")
    fresh = predict_genome_wide(model, meta, genome, tmp_path / "fresh", model_path=path, progress=False)
    for profile in meta.profiles:
        a, b = pyBigWig.open(str(result.bigwigs[profile])), pyBigWig.open(str(fresh.bigwigs[profile]))
        for chrom in ("chr1", "chr2"):
            assert a.intervals(chrom) == b.intervals(chrom)


def test_partial_results_of_another_model_are_discarded(setup, tmp_path):
    model, meta, genome, path = setup
    out = tmp_path / "tracks"
    with pytest.raises(KeyboardInterrupt):
        predict_genome_wide(
            model,
            meta,
            genome,
            out,
            model_path=path,
            progress=False,
            log=lambda _: (_ for _ in ()).throw(KeyboardInterrupt),
        )
    other = dataclasses.replace(meta, bin_size=200)
    lines = []
    result = predict_genome_wide(
        model, other, genome, out, ["chr2"], model_path=path, progress=False, log=lines.append
    )
    assert "discarding them" in lines[0] and result.resumed == [] and result.windows == 6
