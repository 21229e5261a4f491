"""Demo variants: REF matches the genome, breaks hit planted motifs, reads follow the truth."""

import numpy as np
import pandas as pd
import pytest

from brainresnet_tf.data.synthetic import generate_synthetic_dataset, jaspar_motif
from brainresnet_tf.data.synthetic_variants import make_demo_variants
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
    assert np.isin(obs["class"], ["break", "create", "buffered", "neutral"]).all()
