"""Window selection: top-k (and contrast halves), genome bins scored by a hand-built CTCF model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from brainresnet_tf.interpret.selection import top_k


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
