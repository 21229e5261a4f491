"""Variant scoring: REF check, window centring, strands, chromosome ends, streaming output."""

import json

import keras
import numpy as np
import pandas as pd
import pytest

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.vcf import VcfReader, read_vcf
from brainresnet_tf.models.saving import ModelMeta
from brainresnet_tf.variant.scoring import (
    VariantScorer,
    allele_windows,
    score_columns,
    score_variants,
    variant_windows,
    window_starts,
)
from tests.toy_data import edit_windows, onehot, other_base, reverse_complement, some_variants, write_vcf
from tests.toy_models import VARIANT_LENGTH, position_model

L = VARIANT_LENGTH


def test_window_centre_hand_example(genome_seqs):
    genome, seqs = genome_seqs
    s = seqs["chr1"]
    # L = 8, POS 5 (1-based) is 0-based 4: window [0, 8), the variant its index 4.
    assert window_starts(np.array([5]), 8).tolist() == [0]
    ref, alt = allele_windows(genome, np.array(["chr1"]), np.array([5]), np.array([3]), 8)
    assert "".join("ACGTN"[c] for c in ref[0]) == s[0:8].upper()
    assert "ACGTN"[ref[0, 4]] == s[4]
    assert (ref[0] != alt[0]).sum() <= 1 and alt[0, 4] == 3
    # Odd length 7: window [1, 8), variant at index 3 (3 bases either side).
    assert window_starts(np.array([5]), 7).tolist() == [1]
    ref7, _ = allele_windows(genome, np.array(["chr1"]), np.array([5]), np.array([0]), 7)
    assert "".join("ACGTN"[c] for c in ref7[0]) == s[1:8]


def _centre_reader(length: int, weights=(0.0, 1.0, 2.0, 3.0), bias: float = -1.5) -> keras.Model:
    """sigmoid(w[base at index length // 2] + b): a model that looks at one position only."""
    c = length // 2
    inp = keras.Input((length, 4))
    x = keras.layers.Cropping1D((c, length - c - 1))(inp)
    x = keras.layers.Flatten()(x)
    dense = keras.layers.Dense(1, activation="sigmoid")
    out = dense(x)
    dense.set_weights([np.array(weights, dtype="float32")[:, None], np.array([bias], "float32")])
    return keras.Model(inp, out)


def test_scores_hand_computed_centre_and_strands(genome_seqs):
    """Forward strand reads the variant; the reverse strand's index L//2 is the base left of it."""
    genome, seqs = genome_seqs
    s = seqs["chr1"]
    pos = 1001  # 1-based; 0-based 1000
    ref_base, alt_base = s[1000], other_base(s[1000])
    w = np.array([0.0, 1.0, 2.0, 3.0])

    def sig(b):
        return 1 / (1 + np.exp(-(w["ACGT".index(b)] - 1.5)))

    comp = {"A": "T", "C": "G", "G": "C", "T": "A"}
    meta = ModelMeta(profiles=["x"], input_length=L)
    v = next(
        iter(
            VcfReader(
                write_vcf(genome.path.parent / "c.vcf", [f"chr1\t{pos}\tv\t{ref_base}\t{alt_base}"]), genome
            )
        )
    )
    row = VariantScorer(_centre_reader(L), meta, genome).score([v]).iloc[0]
    rev = sig(comp[s[999]])  # reverse complement, index L//2 -> forward base 0-based 999
    ref_f, alt_f = sig(ref_base), sig(alt_base)
    assert row["x_ref"] == pytest.approx((ref_f + rev) / 2, abs=1e-6)
    assert row["x_alt"] == pytest.approx((alt_f + rev) / 2, abs=1e-6)
    assert row["x_diff"] == pytest.approx((alt_f - ref_f) / 2, abs=1e-6)
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    assert row["x_logit_diff"] == pytest.approx((logit(alt_f) - logit(ref_f)) / 2, abs=1e-5)
    assert row["max_abs_diff"] == pytest.approx(abs(alt_f - ref_f) / 2, abs=1e-6)


def test_ref_mismatch_skipped_reported_and_strict(genome_seqs, tmp_path, tiny_model, capsys):
    genome, seqs = genome_seqs
    s = seqs["chr1"]
    bad = other_base(s[99])
    vcf = write_vcf(
        tmp_path / "m.vcf", [f"chr1\t10\tok\t{s[9]}\t{other_base(s[9])}", f"chr1\t100\tbad\t{bad}\t{s[99]}"]
    )
    model, meta, _ = tiny_model
    logged: list[str] = []
    stats = score_variants(model, meta, genome, vcf, tmp_path / "out.tsv", progress=False, log=logged.append)
    assert stats.scored == 1 and stats.skipped["ref_mismatch"] == 1
    out = pd.read_csv(tmp_path / "out.tsv", sep="\t")
    assert out["ID"].tolist() == ["ok"]
    skipped = pd.read_csv(tmp_path / "out.skipped.tsv", sep="\t")
    msg = skipped["message"].iloc[0]
    assert skipped["line"].iloc[0] == 4 and skipped["reason"].iloc[0] == "ref_mismatch"
    assert f"m.vcf:4: REF '{bad}' does not match the genome '{s[99]}' at chr1:100" in msg
    assert json.loads((tmp_path / "out.summary.json").read_text())["skipped"]["ref_mismatch"] == 1
    assert "ref_mismatch 1" in stats.summary()  # the line score-variants prints
    assert len(logged) == 1 and "does not match the genome" in logged[0]
    with pytest.raises(InputError, match=r"m\.vcf:4: REF .* does not match"):
        score_variants(
            model, meta, genome, vcf, tmp_path / "strict.tsv", batch_size=1, strict=True, progress=False
        )
    assert not (tmp_path / "strict.tsv").exists()  # no half-written output
    assert not list(tmp_path.glob(".strict*"))


def test_variant_near_chromosome_ends_is_padded(genome_seqs, tmp_path, tiny_model):
    genome, seqs = genome_seqs
    s = seqs["chr2"]
    n = len(s)
    vcf = write_vcf(
        tmp_path / "e.vcf",
        [
            f"chr2\t3\tleft\t{s[2]}\t{other_base(s[2])}",
            f"chr2\t{n - 1}\tright\t{s[n - 2]}\t{other_base(s[n - 2])}",
        ],
    )
    model, meta, _ = tiny_model
    stats = score_variants(model, meta, genome, vcf, tmp_path / "e.tsv", progress=False)
    out = pd.read_csv(tmp_path / "e.tsv", sep="\t")
    assert stats.scored == 2 and out["ID"].tolist() == ["left", "right"]
    assert np.isfinite(out.filter(like="_diff").to_numpy()).all()
    ref, alt = allele_windows(genome, np.array(["chr2", "chr2"]), np.array([3, n - 1]), np.array([0, 0]), L)
    assert (ref[0, : L // 2 - 2] == 4).all() and ref[0, L // 2 - 2] != 4  # N before base 1
    assert (ref[1, L // 2 + 2 :] == 4).all() and ref[1, L // 2 + 1] != 4  # N after the last base
    past = write_vcf(tmp_path / "p.vcf", [f"chr2\t{n + 5}\tx\tA\tC"])
    assert read_vcf(past, genome)[1].skipped["past_chrom_end"] == 1
    with pytest.raises(InputError, match=r"p\.vcf:3: POS .* past the end of chr2"):
        read_vcf(past, genome, strict=True)


def test_gzip_input_and_streaming_equals_single_batch(genome_seqs, tmp_path, tiny_model):
    genome, seqs = genome_seqs
    model, meta, _ = tiny_model
    rows = some_variants(seqs)
    plain = write_vcf(tmp_path / "v.vcf", rows)
    gz = write_vcf(tmp_path / "v.vcf.gz", rows, gz=True)
    score_variants(model, meta, genome, plain, tmp_path / "a.tsv", batch_size=3, progress=False)
    score_variants(model, meta, genome, gz, tmp_path / "b.tsv", batch_size=4, progress=False)
    score_variants(model, meta, genome, gz, tmp_path / "c.parquet", batch_size=5, progress=False)
    a = pd.read_csv(tmp_path / "a.tsv", sep="\t")
    b = pd.read_csv(tmp_path / "b.tsv", sep="\t")
    c = pd.read_parquet(tmp_path / "c.parquet")
    whole = VariantScorer(model, meta, genome).score(list(VcfReader(plain, genome)))
    assert len(a) == len(rows) and a.columns.tolist() == whole.columns.tolist()
    num = [col for col in whole.columns if whole[col].dtype.kind == "f"]
    for df in (a, b, c):
        assert df[["CHROM", "POS", "ID", "REF", "ALT", "max_abs_profile"]].equals(
            whole[["CHROM", "POS", "ID", "REF", "ALT", "max_abs_profile"]]
        )
        np.testing.assert_allclose(df[num].to_numpy(float), whole[num].to_numpy(float), rtol=1e-4, atol=1e-6)


def test_indel_window_hand_example(genome_seqs):
    """L = 8, POS 5 (index 4): a 2-base deletion is filled from downstream; a 3-base insertion is
    trimmed 1 base on the left, 2 on the right."""
    genome, seqs = genome_seqs
    s = seqs["chr1"]
    chrom = np.array(["chr1"])
    ref, alt = variant_windows(genome, chrom, np.array([5]), [s[4:7]], [s[4]], 8)
    assert _text(ref[0]) == s[0:8] and _text(alt[0]) == s[0:5] + s[7:10]
    ref, alt = variant_windows(genome, chrom, np.array([5]), [s[4]], [s[4] + "GGG"], 8)
    assert _text(ref[0]) == s[0:8] and _text(alt[0]) == s[1:5] + "GGG" + s[5]
    ref, alt = variant_windows(genome, chrom, np.array([5]), [s[4:6]], ["TT"], 8)  # an MNV
    assert _text(alt[0]) == s[0:4] + "TT" + s[6:8]


def _text(codes: np.ndarray) -> str:
    return "".join("ACGTN"[c] for c in codes)


def _indel_rows(seqs: dict[str, str], rng: np.random.Generator) -> list[str]:
    """VCF rows: deletions and insertions reaching past the 64 bp window's edges, at and near both
    ends of each chromosome, MNVs and other substitutions, random small indels, a few SNVs."""
    rows = []

    def add(chrom, pos, ref, alt):
        rows.append(f"{chrom}\t{pos}\tv{len(rows)}\t{ref}\t{alt}")

    for chrom, s in seqs.items():
        n = len(s)
        bases = lambda k: "".join(rng.choice(list("ACGT"), k))  # noqa: E731
        for k in (1, 2, 5, 31, 32, 33, 40, 50):  # deletions: REF past the window's right edge
            p0 = int(rng.integers(100, n - 200))
            add(chrom, p0 + 1, s[p0 : p0 + k + 1], s[p0])
        for k in (1, 3, 30, 31, 32, 33, 47, 50):  # insertions: the alt window mostly inserted
            p0 = int(rng.integers(100, n - 200))
            add(chrom, p0 + 1, s[p0], s[p0] + bases(k))
        add(chrom, 1, s[0:4], s[3])  # deletion of the first 3 bases (right anchor)
        add(chrom, 1, s[0], bases(3) + s[0])  # insertion before the first base
        add(chrom, 2, s[1:12], s[1])  # deletion near the start
        add(chrom, n - 10, s[n - 11 :], s[n - 11])  # deletion running to the last base
        add(chrom, n, s[n - 1], s[n - 1] + bases(7))  # insertion after the last base
        add(chrom, n - 3, s[n - 4], s[n - 4] + bases(20))  # long insertion near the end
        add(chrom, n - 1, s[n - 2 :], "".join(other_base(b) for b in s[n - 2 :]))  # MNV at the end
        for p0 in rng.integers(0, n, 4):  # SNVs in the same batches
            add(chrom, p0 + 1, s[p0], other_base(s[p0]))
        for _ in range(12):  # random small indels, MNVs and delins anywhere
            p0 = int(rng.integers(0, n - 12))
            r, a = int(rng.integers(1, 8)), int(rng.integers(1, 8))
            add(chrom, p0 + 1, s[p0 : p0 + r], bases(a))
    return rows


def test_indels_match_brute_force_genome_edits_both_strands(genome_seqs, tmp_path):
    """Windows and scores of deletions, insertions, MNVs and delins equal those built by editing
    the chromosome string (tests.toy_data.edit_windows), forward and reverse strand, to 1e-6."""
    genome, seqs = genome_seqs
    vcf = write_vcf(tmp_path / "indels.vcf", _indel_rows(seqs, np.random.default_rng(5)))
    variants = list(VcfReader(vcf, genome))
    kinds = {v.kind for v in variants}
    assert {"del", "ins", "mnv", "delins", "snv"} <= kinds and len(variants) >= 70
    model = position_model(L)
    meta = ModelMeta(profiles=["x", "y"], input_length=L)
    scorer = VariantScorer(model, meta, genome, batch_size=16)
    windows = scorer.windows(variants)
    brute = [edit_windows(seqs[v.genome_chrom], v.pos, v.ref, v.alt, L) for v in variants]
    blocks = [
        [b[0] for b in brute],
        [b[1] for b in brute],
        [reverse_complement(b[0]) for b in brute],
        [reverse_complement(b[1]) for b in brute],
    ]
    for got, want in zip(np.split(windows, 4), blocks):
        assert [_text(w) for w in got] == want

    pred = [model(onehot(b)).numpy().astype(np.float64) for b in blocks]  # ref_f, alt_f, ref_r, alt_r
    logit = lambda p: np.log(np.clip(p, 1e-6, 1 - 1e-6)) - np.log1p(-np.clip(p, 1e-6, 1 - 1e-6))  # noqa: E731
    want = {
        "ref": (pred[0] + pred[2]) / 2,
        "alt": (pred[1] + pred[3]) / 2,
        "diff": (pred[1] + pred[3]) / 2 - (pred[0] + pred[2]) / 2,
        "logit_diff": ((logit(pred[1]) - logit(pred[0])) + (logit(pred[3]) - logit(pred[2]))) / 2,
    }
    score_variants(model, meta, genome, vcf, tmp_path / "s.parquet", batch_size=16, progress=False)
    for table in (scorer.score(variants), pd.read_parquet(tmp_path / "s.parquet")):
        assert table["TYPE"].tolist() == [v.kind for v in variants]
        errors = [
            np.abs(table[f"{p}_{k}"].to_numpy(float) - want[k][:, i]).max()
            for i, p in enumerate(meta.profiles)
            for k in want
        ]
        assert max(errors) <= 1e-6, max(errors)
        print(f"indel brute-force max abs error: {max(errors):.2g} over {len(variants)} alleles")
        diff = np.stack([want["diff"][:, 0], want["diff"][:, 1]], axis=1)
        np.testing.assert_allclose(table["max_abs_diff"], np.abs(diff).max(axis=1), atol=1e-6)
    summary = json.loads((tmp_path / "s.summary.json").read_text())
    assert "filled from downstream" in summary["window_convention"] and summary["max_indel"] == 50
    assert summary["scored_types"]["del"] == sum(v.kind == "del" for v in variants)


def test_duplicate_records_scored_once_counted_and_listed(genome_seqs, tmp_path, tiny_model):
    """The same CHROM/POS/REF/ALT twice (also as '1' for 'chr1') is scored once; the repeats are
    counted in the summary and listed in the skipped file."""
    genome, seqs = genome_seqs
    rows = some_variants(seqs, 3)
    again = rows[1].replace("chr1", "1", 1).replace("\tv1\t", "\tv1b\t")
    vcf = write_vcf(tmp_path / "dup.vcf", [rows[0], rows[1], rows[1], rows[2], again])
    model, meta, _ = tiny_model
    stats = score_variants(model, meta, genome, vcf, tmp_path / "d.tsv", progress=False)
    assert pd.read_csv(tmp_path / "d.tsv", sep="\t")["ID"].tolist() == ["v0", "v1", "v2"]
    assert stats.scored == 3 and stats.skipped["duplicate"] == 2
    summary = json.loads((tmp_path / "d.summary.json").read_text())
    assert summary["skipped"]["duplicate"] == 2 and summary["skipped_total"] == 2
    skipped = pd.read_csv(tmp_path / "d.skipped.tsv", sep="\t")
    assert skipped["line"].tolist() == [5, 7] and skipped["ID"].tolist() == ["v1", "v1b"]
    assert set(skipped["reason"]) == {"duplicate"}


# -- --orient: alleles given the other way round -------------------------------------------------
def _oriented_rows(s: str) -> tuple[list[str], list[str]]:
    """VCF rows of an SNV, an insertion and an MNV given the right way (REF = genome) and the
    same three with REF and ALT exchanged (ALT = genome)."""
    alleles = [
        (1001, s[1000], other_base(s[1000])),
        (1501, s[1500], s[1500] + "TTG"),
        (2001, s[2000:2002], other_base(s[2000]) + other_base(s[2001])),
    ]
    right = [f"chr1\t{p}\tr{i}\t{r}\t{a}" for i, (p, r, a) in enumerate(alleles)]
    swapped = [f"chr1\t{p}\ts{i}\t{a}\t{r}" for i, (p, r, a) in enumerate(alleles)]
    return right, swapped


def test_orient_swapped_variant_gets_exactly_the_negated_scores(genome_seqs, tmp_path):
    """A variant given as ALT = genome base scores exactly the negated effects of the same variant
    given the right way round: diff and logit_diff negated, ref and alt exchanged."""
    genome, seqs = genome_seqs
    right, swapped = _oriented_rows(seqs["chr1"])
    model = position_model(L)
    meta = ModelMeta(profiles=["x", "y"], input_length=L)
    a_path, b_path = tmp_path / "a.parquet", tmp_path / "b.parquet"
    score_variants(model, meta, genome, write_vcf(tmp_path / "r.vcf", right), a_path, progress=False)
    stats = score_variants(
        model, meta, genome, write_vcf(tmp_path / "s.vcf", swapped), b_path, progress=False, orient=True
    )
    a, b = pd.read_parquet(a_path), pd.read_parquet(b_path)
    assert stats.scored == 3 and stats.oriented == 3 and b["SWAPPED"].tolist() == [True] * 3
    assert b["REF"].tolist() == a["ALT"].tolist() and b["ALT"].tolist() == a["REF"].tolist()
    assert b["POS"].tolist() == a["POS"].tolist() == [1001, 1501, 2001]
    assert b["TYPE"].tolist() == ["snv", "ins", "mnv"]
    for p in meta.profiles:
        assert (b[f"{p}_diff"] == -a[f"{p}_diff"]).all() and (a[f"{p}_diff"] != 0).all()
        assert (b[f"{p}_logit_diff"] == -a[f"{p}_logit_diff"]).all()
        assert (b[f"{p}_ref"] == a[f"{p}_alt"]).all() and (b[f"{p}_alt"] == a[f"{p}_ref"]).all()
    assert (b["max_abs_diff"] == a["max_abs_diff"]).all()
    assert b["max_abs_profile"].tolist() == a["max_abs_profile"].tolist()


def test_orient_lists_counts_and_flags_swaps_mismatches_still_skipped(genome_seqs, tmp_path, tiny_model):
    genome, seqs = genome_seqs
    s = seqs["chr1"]
    right, swapped = _oriented_rows(s)
    neither = f"chr1\t100\tn0\t{other_base(s[99])}\t{other_base(other_base(s[99]))}"
    # s0 is r0 the other way round: once oriented, the same allele (a duplicate, scored once)
    vcf = write_vcf(tmp_path / "mix.vcf", [right[0], swapped[1], neither, swapped[2], swapped[0]])
    model, meta, _ = tiny_model
    stats = score_variants(model, meta, genome, vcf, tmp_path / "o.tsv", progress=False, orient=True)
    out = pd.read_csv(tmp_path / "o.tsv", sep="\t")
    assert out["ID"].tolist() == ["r0", "s1", "s2"] and out["SWAPPED"].tolist() == [False, True, True]
    assert out.columns.tolist()[:7] == ["CHROM", "POS", "ID", "REF", "ALT", "TYPE", "SWAPPED"]
    assert stats.oriented == 2 and stats.skipped["ref_mismatch"] == 1 and stats.skipped["duplicate"] == 1
    assert "2 oriented" in stats.summary()
    listed = pd.read_csv(tmp_path / "o.swapped.tsv", sep="\t", dtype=str)
    assert listed.columns.tolist() == ["file", "line", "CHROM", "POS", "ID", "REF", "ALT"]
    assert listed["line"].tolist() == ["4", "6"] and listed["ID"].tolist() == ["s1", "s2"]
    assert listed.iloc[1, 2:].tolist() == swapped[2].split("\t")  # as written
    assert (listed["file"] == str(vcf)).all()
    summary = json.loads((tmp_path / "o.summary.json").read_text())
    assert summary["oriented"] == 2 and summary["swapped_list"].endswith("o.swapped.tsv")
    assert summary["skipped"]["ref_mismatch"] == 1
    with pytest.raises(InputError, match=r"mix\.vcf:5: REF .* does not match"):  # neither matches
        score_variants(model, meta, genome, vcf, tmp_path / "x.tsv", progress=False, orient=True, strict=True)
    assert not (tmp_path / "x.tsv").exists() and not (tmp_path / "x.swapped.tsv").exists()


def test_without_orient_swapped_variants_are_mismatches_and_nothing_new_is_written(
    genome_seqs, tmp_path, tiny_model
):
    genome, seqs = genome_seqs
    right, swapped = _oriented_rows(seqs["chr1"])
    vcf = write_vcf(tmp_path / "mix.vcf", [right[0], swapped[0], swapped[1]])
    model, meta, _ = tiny_model
    stats = score_variants(model, meta, genome, vcf, tmp_path / "p.tsv", progress=False)
    out = pd.read_csv(tmp_path / "p.tsv", sep="\t")
    assert out["ID"].tolist() == ["r0"] and "SWAPPED" not in out.columns
    assert stats.skipped["ref_mismatch"] == 2 and stats.oriented == 0
    assert not (tmp_path / "p.swapped.tsv").exists()
    summary = json.loads((tmp_path / "p.summary.json").read_text())
    assert "oriented" not in summary and "swapped_list" not in summary


# -- the k-mer baseline --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def kmer():
    from tests.toy_models import kmer_model

    return kmer_model(L), ModelMeta(profiles=["x", "y"], input_length=L, arch="kmer")


class _CountingKmer:
    """A KmerPredictor that records how many windows it was given."""

    strand_symmetric = True

    def __init__(self, model):
        self.model, self.rows = model, 0

    def __call__(self, codes):
        self.rows += len(codes)
        return self.model.predict(codes)


def test_kmer_model_scores_alt_minus_ref_equal_to_both_strands_averaged(genome_seqs, tmp_path, kmer):
    """The k-mer baseline scores variants like any model: its prediction on the alt windows minus
    the ref windows; called on one strand, equal to averaging both (canonical k-mers)."""
    from brainresnet_tf.variant.scoring import effect_scores

    genome, seqs = genome_seqs
    model, meta = kmer
    vcf = write_vcf(tmp_path / "k.vcf", some_variants(seqs, 9) + _oriented_rows(seqs["chr1"])[0][1:])
    variants = list(VcfReader(vcf, genome))
    spy = _CountingKmer(model)
    scorer = VariantScorer(spy, meta, genome, batch_size=4)
    table = scorer.score(variants)
    assert spy.rows == 2 * len(variants)  # forward windows only
    blocks = np.split(scorer.windows(variants), 4)  # ref_f, alt_f, ref_r, alt_r
    preds = [model.predict(b).astype(np.float64) for b in blocks]
    np.testing.assert_array_equal(preds[0], preds[2])  # strand-symmetric by construction
    want = effect_scores(*preds)
    for i, p in enumerate(meta.profiles):
        for key in ("ref", "alt", "diff", "logit_diff"):
            np.testing.assert_array_equal(table[f"{p}_{key}"].to_numpy(), want[key][:, i])
        np.testing.assert_allclose(table[f"{p}_diff"], preds[1][:, i] - preds[0][:, i], atol=1e-12)
    assert (table["x_diff"] != 0).any() and (table["y_diff"] != 0).any()
    score_variants(model, meta, genome, vcf, tmp_path / "k.parquet", batch_size=4, progress=False)
    streamed = pd.read_parquet(tmp_path / "k.parquet")
    np.testing.assert_array_equal(streamed["x_logit_diff"].to_numpy(), table["x_logit_diff"].to_numpy())


def test_calibrated_columns_follow_each_profiles_effect():
    meta = ModelMeta(["p_a", "p_b"], L)
    plain = score_columns(meta)
    calibrated = score_columns(meta, calibrated=True)
    assert calibrated[:6] == [
        "p_a_ref",
        "p_a_alt",
        "p_a_diff",
        "p_a_logit_diff",
        "p_a_quantile",
        "p_a_pvalue",
    ]
    assert calibrated[-3:] == ["max_abs_diff", "max_abs_profile", "max_quantile"]
    assert [c for c in calibrated if not c.endswith(("_quantile", "_pvalue"))] == plain
    signal = ModelMeta(["s"], L, target="signal")
    assert score_columns(signal, calibrated=True)[3:6] == ["s_log2fc", "s_quantile", "s_pvalue"]
