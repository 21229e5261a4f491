"""Demo variants: REF matches the genome, breaks hit planted motifs, indels delete planted sites or
insert motifs, every record is normalised, reads follow the truth."""

import numpy as np
import pandas as pd
import pytest

from brainresnet_tf.data.synthetic import generate_synthetic_dataset, jaspar_motif
from brainresnet_tf.data.synthetic_variants import INDEL_CLASSES, TRUE_REF_FRACTION, make_demo_variants
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.vcf import read_vcf


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    return generate_synthetic_dataset(
        tmp_path_factory.mktemp("sv"), seed=3, n_chroms=2, chrom_length=200_000, elements_per_mb=700
    )


def test_demo_variants_truth(small_dataset, tmp_path):
    demo = make_demo_variants(
        small_dataset, tmp_path / "d.vcf.gz", tmp_path / "obs.tsv", "iPSC_neuron", seed=1, n_neutral=200
    )
    assert demo.counts["break"] > 10 and demo.counts["neutral"] == 200
    genome = Genome(small_dataset.fasta)
    table, stats = read_vcf(demo.vcf, genome, strict=True)  # every REF matches the genome
    assert stats.scored == sum(demo.counts.values()) == len(table)
    obs = pd.read_csv(demo.observed, sep="\t")
    assert obs["variant_id"].tolist() == table["id"].tolist()
    sites = pd.read_csv(small_dataset.motif_sites, sep="\t")
    elements = pd.read_csv(small_dataset.elements, sep="\t").set_index("element_id")
    comp = {"A": "T", "C": "G", "G": "C", "T": "A"}
    for r in obs[obs["class"] == "break"].itertuples(index=False):
        site = sites[
            (sites["element_id"] == r.element_id) & (sites["start"] < r.pos) & (sites["end"] >= r.pos)
        ].iloc[0]
        probs = jaspar_motif(site["motif_name"])[1]
        j = r.pos - 1 - site["start"] if site["strand"] == "+" else site["end"] - r.pos
        ref, alt = (r.ref, r.alt) if site["strand"] == "+" else (comp[r.ref], comp[r.alt])
        assert probs[j].argmax() == "ACGT".index(ref)  # the consensus base is broken
        assert probs[j, "ACGT".index(alt)] < 0.1
        assert elements.loc[r.element_id, "iPSC_neuron"] == 1  # an open element
    neutral = obs[obs["class"] == "neutral"]
    assert neutral["element_id"].isna().all()
    assert neutral["significant"].mean() < 0.05
    assert obs.loc[obs["class"] == "break", "significant"].mean() > 0.6
    breaks = obs[obs["class"] == "break"]
    assert (breaks["ref_reads"] > breaks["alt_reads"]).mean() > 0.8
    created = obs[obs["class"] == "create"]
    if len(created):
        assert (created["ref_reads"] < created["alt_reads"]).mean() > 0.7
        assert (elements.loc[created["element_id"], "iPSC_neuron"] == 0).all()
    assert np.isin(obs["class"], list(TRUE_REF_FRACTION)).all()


def test_demo_indels_delete_sites_and_insert_motifs(small_dataset, tmp_path):
    demo = make_demo_variants(
        small_dataset, tmp_path / "d.vcf", tmp_path / "obs.tsv", "iPSC_neuron", seed=1, n_neutral=50
    )
    assert demo.counts["break_del"] > 10 and demo.counts["neutral_indel"] > 40
    assert demo.counts["create_ins"] > 5 and demo.counts["buffered_del"] > 5
    genome = Genome(small_dataset.fasta)
    table, stats = read_vcf(demo.vcf, genome, strict=True)  # REFs match; every record normalised
    assert stats.scored == sum(demo.counts.values()) and stats.normalised == 0
    obs = pd.read_csv(demo.observed, sep="\t")
    assert obs["variant_id"].tolist() == table["id"].tolist()
    sites = pd.read_csv(small_dataset.motif_sites, sep="\t")
    seqs = {c: genome.fetch(c, 0, n).upper() for c, n in genome.chrom_sizes.items()}
    for r in obs[obs["class"].isin(["break_del", "buffered_del"])].itertuples(index=False):
        site = sites[(sites["element_id"] == r.element_id) & (sites["motif_name"] == r.motif)]
        seq = seqs[r.chrom]
        edited = seq[: r.pos - 1] + r.alt + seq[r.pos - 1 + len(r.ref) :]
        assert any(edited == seq[:s] + seq[e:] for s, e in zip(site["start"], site["end"]))  # site gone
    comp = str.maketrans("ACGT", "TGCA")
    for r in obs[obs["class"] == "create_ins"].itertuples(index=False):
        consensus = "".join("ACGT"[j] for j in jaspar_motif(r.motif)[1].argmax(axis=1))
        seq = seqs[r.chrom]
        edited = seq[: r.pos - 1] + r.alt + seq[r.pos - 1 + len(r.ref) :]
        window = edited[r.pos - 40 : r.pos + 40]
        assert consensus in window or consensus[::-1].translate(comp) in window
    ins = obs[obs["class"] == "create_ins"]
    assert (ins["ref_reads"] < ins["alt_reads"]).mean() > 0.7
    dels = obs[obs["class"] == "break_del"]
    assert (dels["ref_reads"] > dels["alt_reads"]).mean() > 0.8 and dels["significant"].mean() > 0.6
    assert obs.loc[obs["class"] == "neutral_indel", "significant"].mean() < 0.05
    without = make_demo_variants(
        small_dataset,
        tmp_path / "s.vcf",
        tmp_path / "s.tsv",
        "iPSC_neuron",
        seed=1,
        n_neutral=50,
        n_break_del=0,
        n_create_ins=0,
        n_buffered_del=0,
        n_neutral_indel=0,
    )
    snvs = pd.read_csv(without.observed, sep="\t")
    with_snvs = obs[~obs["class"].isin(INDEL_CLASSES)].reset_index(drop=True)
    assert snvs.drop(columns="variant_id").equals(with_snvs.drop(columns="variant_id"))  # SNVs unchanged
