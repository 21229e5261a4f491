"""Demo variants: REF matches the genome, breaks hit planted motifs, indels delete planted sites or
insert motifs, every record is normalised, reads follow the truth."""

import numpy as np
import pandas as pd
import pytest

from brainresnet_tf.demo.synthetic import generate_synthetic_dataset, jaspar_motif
from brainresnet_tf.demo.synthetic_variants import INDEL_CLASSES, TRUE_REF_FRACTION, make_demo_variants
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


# sha256 of the files the generator wrote before the conservation track and allele frequencies
# were added (seed 3, 2 x 200 kb, 700 elements/Mb; variants seed 1, 200 neutral): they must not move.
BEFORE = {
    "genome.fa": "b30728c43c6fae0df9758a7d9814657296d72a11f8760972e5b2c6543eef8018",
    "elements.tsv": "d4cbfc9e9714ce7a85449b80ac012d2632c9cf4b4eaf778de7bed14a08ace017",
    "motif_sites.tsv": "a055e8bba10e9c42fe7b5b90628b911ebcdb2e112140189bb9695327ccc926c3",
    "dataset.json": "5eab547a26cd159cfaf47fcdf1c6ccefd18c539d8faacd5ee14e285db501690d",
    "peaks/NPC_ATAC.narrowPeak": "fb944ce02ea8c574cfda2391030d33af0300de665d3f77fbe91024a5f00464ec",
    "peaks/fetal_brain_ATAC.narrowPeak": "7b1e10a93c95be8acc58400f3515cc73fa823792857895fe67227012a07d8364",
    "peaks/iPSC_neuron_ATAC.narrowPeak": "d9dadc1874537392bb6d84c1b0052b757003c1fefe1c7e55b940b90bf543468f",
    "obs.tsv": "6c483db5ef9fd0f8e827f4a45667698e1fb039bfe9252fd5835702cbf9c88b72",
    "v.vcf without AF": "b885ca4ed1d7420bb83c4552a8eff3e569ceed1337d70e0a3514526b98937025",
}
# sha256 of every (start, end, value) of the signal bigWigs (values, not bytes: zlib may differ)
SIGNAL_BEFORE = {
    "NPC_ATAC": "baf986c8853f9808e4ef5c2134ff2eb2e4337bf1977016b499c67d1869c7e3b1",
    "fetal_brain_ATAC": "cb64502617f28f00a090585d792904c5a49c7b7979b1bf6d7d5ffc1b6acf5264",
    "iPSC_neuron_ATAC": "6f1c48bb04b6cd2b468e86b9972826e4b9c02470c113c43d1f938c2f3acc8c4c",
}


def test_new_outputs_leave_every_existing_output_unchanged(small_dataset, tmp_path):
    import hashlib
    import re

    import pyBigWig

    data = small_dataset.fasta.parent
    make_demo_variants(  # without indels (their own random streams): the SNVs as they were
        small_dataset,
        tmp_path / "v.vcf",
        tmp_path / "obs.tsv",
        "iPSC_neuron",
        seed=1,
        n_neutral=200,
        **{f"n_{c}": 0 for c in INDEL_CLASSES},
    )
    files = {name: data / name for name in BEFORE if "/" in name or name.endswith((".fa", ".tsv", ".json"))}
    files["obs.tsv"] = tmp_path / "obs.tsv"
    got = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in files.items()}
    vcf = (tmp_path / "v.vcf").read_text()
    assert ";AF=" in vcf and "##INFO=<ID=AF," in vcf
    stripped = re.sub(r";AF=[^\t\n]*$", "", vcf, flags=re.M).replace(
        next(line + "\n" for line in vcf.splitlines() if line.startswith("##INFO=<ID=AF,")), ""
    )
    got["v.vcf without AF"] = hashlib.sha256(stripped.encode()).hexdigest()
    assert got == BEFORE
    for name, digest in SIGNAL_BEFORE.items():
        bw = pyBigWig.open(str(data / "signal" / f"{name}.bw"))
        h = hashlib.sha256()
        for chrom in bw.chroms():
            h.update(np.asarray(bw.intervals(chrom), dtype=np.float64).tobytes())
        bw.close()
        assert h.hexdigest() == digest, name


def test_conservation_is_higher_at_planted_motifs(small_dataset):
    import pyBigWig

    from brainresnet_tf.demo.synthetic import GERP_RANGE

    bw = pyBigWig.open(str(small_dataset.conservation))
    assert bw.chroms() == small_dataset.chrom_sizes
    sites = pd.read_csv(small_dataset.motif_sites, sep="\t")
    at_sites = np.concatenate([bw.values(r.chrom, r.start, r.end, numpy=True) for r in sites.itertuples()])
    everywhere = np.concatenate([bw.values(c, 0, n, numpy=True) for c, n in bw.chroms().items()])
    covered = everywhere[np.isfinite(everywhere)]
    assert np.isfinite(at_sites).all()
    assert np.median(at_sites) > np.median(covered) + 2.5  # constrained, with noise
    assert (at_sites < np.median(covered)).mean() < 0.1
    assert GERP_RANGE[0] <= covered.min() and covered.max() <= GERP_RANGE[1]
    genome = Genome(small_dataset.fasta)
    n_bases = np.asarray(genome.codes[: genome.chrom_sizes["chr1"]]) == 4
    assert np.isnan(everywhere[: genome.chrom_sizes["chr1"]][n_bases]).all()  # N runs: no coverage
    assert np.isfinite(everywhere).mean() > 0.95
    bw.close()


def test_demo_allele_frequencies_follow_selection(small_dataset, tmp_path):
    from brainresnet_tf.io.allele_frequency import minor_allele_frequency, read_info_af

    make_demo_variants(
        small_dataset, tmp_path / "d.vcf", tmp_path / "o.tsv", "iPSC_neuron", seed=2, n_neutral=300
    )
    af = read_info_af(tmp_path / "d.vcf", "AF")
    obs = pd.read_csv(tmp_path / "o.tsv", sep="\t")
    assert af["id"].tolist() == obs["variant_id"].tolist() and af["af"].notna().all()
    maf = pd.Series(minor_allele_frequency(af["af"].to_numpy())).groupby(obs["class"].to_numpy())
    assert maf.median()["break"] < maf.median()["neutral"] / 5  # motif breaks are rarer
    assert (maf.apply(lambda m: (m < 0.01).mean())["break"]) > 0.7
    assert (af["af"] > 0.5).any()  # ALT is sometimes the major allele: MAF != AF
