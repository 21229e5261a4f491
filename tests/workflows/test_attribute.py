"""``brainresnet attribute``: a contrast bigWig whose contributions sit on the planted sites."""

from __future__ import annotations

import numpy as np
import pandas as pd


def test_attribute_command_writes_bigwig(ctcf_world):
    import pyBigWig

    from brainresnet_tf.cli import main

    bw_path = ctcf_world / "track.bw"
    rc = main(
        [
            "attribute",
            "--model",
            str(ctcf_world / "model.keras"),
            "--regions",
            str(ctcf_world / "data" / "peaks.bed"),
            "--task",
            "open_ATAC",
            "--contrast",
            "closed_ATAC",
            "--out",
            str(bw_path),
            "--method",
            "ixg",
            "--no-progress",
        ]
    )
    assert rc == 0
    bw = pyBigWig.open(str(bw_path))
    sites = pd.read_csv(ctcf_world / "data" / "motif_sites.tsv", sep="\t")
    inside = [np.sum(bw.values(c, s, e)) for c, s, e in zip(sites.chrom, sites.start, sites.end)]
    outside = [np.mean(np.abs(bw.values(c, e + 5, e + 25))) for c, e in zip(sites.chrom, sites.end)]
    # the contrast open - closed keeps the CTCF filter (weights 0.5 - -0.5) and cancels the noise
    # filter (1 - 1): contributions are at the planted sites (and the few background windows
    # that pass the filter's threshold, mostly on the other strand)
    assert np.mean(inside) > 5.0
    assert np.median(outside) < 1e-6 and np.mean(outside) < np.mean(inside) / 100
