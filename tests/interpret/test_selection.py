"""Window selection: top-k (and contrast halves), genome bins scored by a hand-built CTCF model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from brainresnet_tf.errors import InputError
from brainresnet_tf.interpret.selection import top_k, windows_from_beds
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.intervals import skipped_notes
from tests.toy_data import write_partial_genome_regions, write_text


def test_top_k_and_contrast_halves():
    windows = pd.DataFrame({"chrom": "chr1", "start": np.arange(6) * 10, "name": list("abcdef")})
    windows["end"] = windows["start"] + 10
    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5], [0.95, 0.2], [0.1, 0.99], [0.3, 0.3]])
    assert list(top_k(windows, scores, 2, 0)["name"]) == ["d", "a"]
    both = top_k(windows, scores, 4, 0, contrast=1)
    assert list(both["name"]) == ["a", "d", "e", "b"]
    assert (both["score"].iloc[:2] > 0).all() and (both["score"].iloc[2:] < 0).all()


def test_genome_bins_and_top_k_windows(ctcf_world):
    from brainresnet_tf.interpret.selection import genome_bins, score_windows
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.models.saving import load_model

    model, meta = load_model(ctcf_world / "model.keras")
    genome = Genome(ctcf_world / "data" / "genome.fa")
    bins = genome_bins(genome, meta.input_length)
    assert len(bins) == 2 * (15_000 // 50 - 1)  # stride 50 over two 15 kb chromosomes
    assert (bins["end"] - bins["start"] == 100).all()
    scores = score_windows(model, genome, bins, meta.input_length, progress=False)
    best = top_k(bins, scores, 20, 0)
    sites = pd.read_csv(ctcf_world / "data" / "motif_sites.tsv", sep="\t")
    # every top window holds a whole planted CTCF instance
    for chrom, start in zip(best["chrom"], best["start"]):
        s = sites[sites["chrom"] == chrom]
        assert ((s["start"] >= start) & (s["end"] <= start + 100)).any()


def test_windows_from_beds_skip_regions_off_a_partial_genome(tmp_path):
    on = [("chr1", 100, 300), ("chr1", 500, 700), ("chr1", 900, 1100), ("chr1", 1300, 1500)]
    fasta, mixed, off = write_partial_genome_regions(tmp_path, "ACGT" * 500, on)
    clean = write_text(tmp_path / "clean.bed", "chr1\t100\t300\n1\t1600\t1700\n")  # 1 = alias
    genome = Genome(fasta, cache_dir=tmp_path)
    skipped = []
    windows = windows_from_beds([mixed, clean], genome, 100, skipped=skipped)
    # mixed.bed's 4 regions on chr1, then clean.bed's second (its first window coincides)
    assert windows["chrom"].tolist() == ["chr1"] * 5
    assert windows["start"].tolist() == [150, 550, 950, 1350, 1600]
    assert [s.path for s in skipped] == [mixed, clean]
    assert skipped[0].intervals == 10 and skipped[0].off_genome == {"chr2": 3, "chrEBV": 2, "chrUn_x": 1}
    assert skipped[1].intervals == 2 and skipped[1].skipped == 0
    assert skipped_notes(skipped, "[motifs]") == [
        "[motifs] mixed.bed: skipped 6 of 10 peaks on 3 chromosomes not in the genome "
        "(chr2 3, chrEBV 2, chrUn_x 1)"
    ]
    # without the list (--strict): the error at the first region off the genome, as before
    with pytest.raises(InputError, match=r"mixed.bed:4: chromosome 'chr2' is not in genome chr1.fa"):
        windows_from_beds([mixed, clean], genome, 100)
    # a file with no region on the genome is an error naming it, though the other file is fine
    with pytest.raises(InputError, match=r"off.bed: none of its 6 peaks lies on genome chr1.fa"):
        windows_from_beds([clean, off], genome, 100, skipped=[])


def test_genome_wide_peaks_on_the_chr20_genome_keep_the_chr20_peaks(real_data, tmp_path):
    """ENCODE's genome-wide PU1 peaks (hg19) on the one-chromosome hg19 chr20 FASTA."""
    genome = Genome(real_data / "hg19_chr20" / "hg19.chr20.fa.gz", cache_dir=tmp_path)
    bed = real_data / "nott2019_brain_celltype_peaks_hg19" / "PU1_optimal_peak_IDR_ENCODE.ATAC.bed.gz"
    skipped = []
    windows = windows_from_beds([bed], genome, 1000, skipped=skipped)
    assert len(windows) == 1230 and set(windows["chrom"]) == {"chr20"}
    assert (windows["end"] - windows["start"] == 1000).all()
    (stats,) = skipped
    assert (stats.intervals, stats.skipped, len(stats.off_genome)) == (52_056, 50_826, 23)
    assert "chr20" not in stats.off_genome
    assert skipped_notes(skipped, "[motifs]") == [
        "[motifs] PU1_optimal_peak_IDR_ENCODE.ATAC.bed.gz: skipped 50,826 of 52,056 peaks on 23 "
        "chromosomes not in the genome (chr1 4,753, chr2 4,193, chr3 3,558, +20 more)"
    ]
