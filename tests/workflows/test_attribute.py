"""``brainresnet attribute``: a contrast bigWig whose contributions sit on the planted sites."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


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


def _errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("brainresnet: error:")]


def test_attribute_skips_regions_off_a_partial_genome(ctcf_world, capsys):
    import pyBigWig

    from brainresnet_tf.cli import main
    from tests.toy_data import partial_genome_of_world

    fasta, mixed, off, n_on = partial_genome_of_world(ctcf_world)
    common = ["attribute", "--model", str(ctcf_world / "model.keras"), "--genome", str(fasta)]
    common += ["--task", "open_ATAC", "--method", "ixg", "--no-progress"]
    bw_path = ctcf_world / "partial.bw"
    assert main([*common, "--regions", str(mixed), "--out", str(bw_path)]) == 0
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if "not in the genome" in line] == [
        f"[attribute] mixed.bed: skipped 6 of {n_on + 6} peaks on 3 chromosomes not in the genome "
        "(chr2 3, chrEBV 2, chrUn_x 1)"
    ]
    assert f"for {n_on} windows" in out
    bw = pyBigWig.open(str(bw_path))
    assert bw.chroms() == {"chr1": 15_000} and bw.intervals("chr1")

    # --strict: today's error at the first region off the genome; nothing written
    strict = ctcf_world / "strict.bw"
    assert main([*common, "--regions", str(mixed), "--out", str(strict), "--strict"]) == 2
    assert _errors(capsys.readouterr().err) == [
        f"brainresnet: error: {mixed}:4: chromosome 'chr2' is not in genome chr1.fa (closest: chr1)"
    ]
    assert not strict.exists()
    # no region of a file on the genome: one line naming that file
    assert main([*common, "--regions", str(mixed), str(off), "--out", str(strict)]) == 2
    assert _errors(capsys.readouterr().err) == [
        f"brainresnet: error: {off}: none of its 6 peaks lies on genome chr1.fa (the peaks are on "
        "chr2, chrEBV, chrUn_x; the genome has chr1): a different genome build or chromosome naming? "
        "use the FASTA the peaks were called against"
    ]
    assert not strict.exists()


def test_attribute_deeplift_puts_contributions_on_the_sites(ctcf_world, capsys):
    import pyBigWig

    from brainresnet_tf.cli import main

    bw_path = ctcf_world / "deeplift.bw"
    common = ["attribute", "--model", str(ctcf_world / "model.keras"), "--task", "open_ATAC"]
    common += ["--regions", str(ctcf_world / "data" / "peaks.bed"), "--no-progress"]
    assert main([*common, "--out", str(bw_path), "--method", "deeplift", "--references", "4"]) == 0
    printed = capsys.readouterr().out
    assert "deeplift contributions to open_ATAC" in printed and "summation-to-delta within" in printed
    bw = pyBigWig.open(str(bw_path))
    sites = pd.read_csv(ctcf_world / "data" / "motif_sites.tsv", sep="\t")
    inside = [np.sum(bw.values(c, s, e)) for c, s, e in zip(sites.chrom, sites.start, sites.end)]
    flank = [np.sum(np.abs(bw.values(c, e + 5, e + 25))) for c, e in zip(sites.chrom, sites.end)]
    assert np.median(inside) > 1.0 and np.median(flank) < np.median(inside) / 10

    # bad input: one line each, nothing written
    bad = ctcf_world / "bad.bw"
    for extra, message in (
        (["--method", "shap"], "argument --method: invalid choice: 'shap'"),
        (["--method", "deeplift", "--references", "0"], "argument --references: 0 must be at least 1"),
        (["--method", "deeplift", "--baseline", "ones"], "argument --baseline: invalid choice: 'ones'"),
    ):
        with pytest.raises(SystemExit):
            main([*common, "--out", str(bad), *extra])
        errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
        assert len(errors) == 1 and errors[0].startswith(f"brainresnet attribute: error: {message}"), errors
        assert not bad.exists()
