"""``brainresnet hits`` and ``brainresnet annotate-variants`` end to end on a planted-motif world:
the commands print the demo's checks (precision / recall of planted sites; break variants given
the right motif) when the truth files are found."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from tests.toy_models import planted_world

    return planted_world(tmp_path_factory.mktemp("planted"))


def test_hits_recover_planted_sites_and_annotate_breaking_variants(world, capsys):
    from brainresnet_tf.cli import main
    from brainresnet_tf.demo.synthetic import jaspar_motif

    out = world / "hits"
    data = world / "data"
    rc = main(
        [
            "hits",
            "--model",
            str(world / "model.keras"),
            "--regions",
            str(data / "open.bed"),
            str(data / "closed.bed"),
            "--task",
            "open_ATAC",
            "--jaspar",
            "CTCF",
            "PAX6",
            "--method",
            "ixg",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert rc == 0
    printed = capsys.readouterr().out
    assert "-> PASS (needs >= 80% each)" in printed
    bed = pd.read_csv(out / "hits.bed", sep="\t")
    assert list(bed.columns[:8]) == [
        "#chrom",
        "start",
        "end",
        "name",
        "score",
        "strand",
        "jaspar_id",
        "match",
    ]
    assert set(bed["name"]) == {"CTCF"}  # PAX6 sites match but the task's output ignores them
    summary = json.loads((out / "summary.json").read_text())
    assert summary["check"]["pass"] is True
    assert (out / "hits_summary.tsv").exists() and (out / "hits_motifs.meme").exists()

    # variants: the most informative base of every CTCF hit broken, plus background SNVs
    ppm = jaspar_motif("CTCF")[1]
    j = int((2 + (ppm * np.log2(ppm)).sum(axis=1)).argmax())
    rows, observed = [], []
    for k, h in enumerate(bed.itertuples(index=False)):
        i = j if h.strand == "+" else len(h.sequence) - 1 - j
        ref = h.sequence[i]
        alt = "ACGT"[int(ppm[j].argmin())] if h.strand == "+" else "TGCA"[int(ppm[j].argmin())]
        rows.append((h._0, h.start + i + 1, f"v{k}", ref, alt))
        observed.append((h._0, h.start + i + 1, ref, alt, "break", "CTCF"))
    rows.append(("chr1", 5, "bg", "A", "C"))
    scores = pd.DataFrame(rows, columns=["CHROM", "POS", "ID", "REF", "ALT"]).assign(open_ATAC_diff=-0.1)
    scores.to_csv(world / "scores.tsv", sep="\t", index=False)
    pd.DataFrame(observed, columns=["chrom", "pos", "ref", "alt", "class", "motif"]).to_csv(
        world / "observed.tsv", sep="\t", index=False
    )
    rc = main(
        [
            "annotate-variants",
            "--scores",
            str(world / "scores.tsv"),
            "--hits",
            str(out / "hits.bed"),
            "--out",
            str(world / "annotated.tsv"),
        ]
    )
    assert rc == 0
    printed = capsys.readouterr().out
    assert f"annotated with the right motif: {len(bed)}/{len(bed)} = 100.0% -> PASS" in printed
    ann = pd.read_csv(world / "annotated.tsv", sep="\t")
    assert ann["weakens"].iloc[:-1].all() and ann["n_hits"].iloc[-1] == 0
    assert ann["alt_below_threshold"].iloc[:-1].notna().all()  # the hits run's threshold was read


def test_hits_needs_motifs(world, capsys):
    from brainresnet_tf.cli import main

    rc = main(
        [
            "hits",
            "--model",
            str(world / "model.keras"),
            "--fasta",
            "x.fa",
            "--task",
            "open_ATAC",
            "--out",
            "o",
        ]
    )
    assert rc == 2
    assert "give --motifs DIR" in capsys.readouterr().err


def test_hits_scan_the_named_patterns_of_a_motifs_run(ctcf_world, capsys):
    from brainresnet_tf.cli import main

    model, peaks = str(ctcf_world / "model.keras"), str(ctcf_world / "data" / "peaks.bed")
    common = ["--task", "open_ATAC", "--method", "ixg", "--no-progress"]
    motifs, out = ctcf_world / "motifs", ctcf_world / "hits"
    assert main(["motifs", "--model", model, "--regions", peaks, "--out", str(motifs), *common]) == 0
    assert (
        main(
            [
                "hits",
                "--model",
                model,
                "--regions",
                peaks,
                "--motifs",
                str(motifs),
                "--out",
                str(out),
                *common,
            ]
        )
        == 0
    )
    assert "-> PASS (needs >= 80% each)" in capsys.readouterr().out
    bed = pd.read_csv(out / "hits.bed", sep="\t")
    assert set(bed["name"]) == {"CTCF"} and bed["source"].str.startswith("pos_patterns").all()


def test_hits_in_fasta_sequences_with_a_contrast(world, tmp_path):
    """`hits --fasta` scans sequences (as the README does with `design` output)."""
    from brainresnet_tf.cli import main
    from brainresnet_tf.io.genome import Genome

    data = world / "data"
    g = Genome(data / "genome.fa", cache_dir=tmp_path)
    el = pd.read_csv(data / "elements.tsv", sep="\t").head(20)
    centre = (el["start"] + el["end"]) // 2 - 50
    fasta = tmp_path / "seqs.fa"
    fasta.write_text(
        "".join(f">{e}\n{g.fetch(c, s, s + 100)}\n" for e, c, s in zip(el["element_id"], el["chrom"], centre))
    )
    out = tmp_path / "fasta_hits"
    args = ["hits", "--model", str(world / "model.keras"), "--fasta", str(fasta), "--task", "open_ATAC"]
    args += ["--contrast", "closed_ATAC", "--jaspar", "CTCF", "PAX6", "--method", "ixg", "--out", str(out)]
    assert main([*args, "--no-progress"]) == 0
    bed = pd.read_csv(out / "hits.bed", sep="\t")
    programs = dict(zip(el["element_id"], el["program"]))
    # contrast open - closed: CTCF (open) with positive, PAX6 (closed) with negative contribution
    assert {programs[c] for c in bed.loc[bed["name"] == "CTCF", "#chrom"]} == {"open"}
    assert (bed.loc[bed["name"] == "CTCF", "contribution"] > 0).all()
    assert (bed["name"] == "PAX6").any() and (bed.loc[bed["name"] == "PAX6", "contribution"] < 0).all()


def test_hits_skip_regions_off_a_partial_genome(ctcf_world, capsys):
    from brainresnet_tf.cli import main
    from tests.toy_data import partial_genome_of_world

    fasta, mixed, off, n_on = partial_genome_of_world(ctcf_world)
    out = ctcf_world / "hits_partial"
    common = ["hits", "--model", str(ctcf_world / "model.keras"), "--genome", str(fasta), "--jaspar", "CTCF"]
    common += ["--task", "open_ATAC", "--method", "ixg", "--no-progress", "--out", str(out)]
    assert main([*common, "--regions", str(mixed)]) == 0
    printed = capsys.readouterr().out
    assert [line for line in printed.splitlines() if "not in the genome" in line] == [
        f"[hits] mixed.bed: skipped 6 of {n_on + 6} peaks on 3 chromosomes not in the genome "
        "(chr2 3, chrEBV 2, chrUn_x 1)"
    ]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_windows"] == n_on and summary["n_hits"] > 0
    assert summary["skipped_regions"][0]["off_genome"] == {"chr2": 3, "chrEBV": 2, "chrUn_x": 1}
    assert set(pd.read_csv(out / "hits.bed", sep="\t")["#chrom"]) == {"chr1"}

    # --strict: today's error; a file with no region on the genome: one line naming it
    assert main([*common, "--regions", str(mixed), "--strict"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("brainresnet:")]
    assert errors == [
        f"brainresnet: error: {mixed}:4: chromosome 'chr2' is not in genome chr1.fa (closest: chr1)"
    ]
    assert main([*common, "--regions", str(off)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("brainresnet:")]
    assert len(errors) == 1
    assert errors[0].startswith(f"brainresnet: error: {off}: none of its 6 peaks lies on genome chr1.fa")
