"""Scores from sequence pairs: centred as predict --fasta centres, scored as genome variants are."""

import json

import numpy as np
import pandas as pd

from brainresnet_tf.data.sequence_sets import centred_codes
from brainresnet_tf.io.sequence_pairs import SequencePair
from brainresnet_tf.io.vcf import VcfReader
from brainresnet_tf.models.saving import ModelMeta
from brainresnet_tf.variant.pairs import PAIR_ID_COLUMNS, PairScorer, score_pairs
from brainresnet_tf.variant.scoring import VariantScorer, effect_scores, score_columns
from tests.toy_data import other_base, write_vcf
from tests.toy_models import VARIANT_LENGTH, kmer_model, position_model

L = VARIANT_LENGTH
META = ModelMeta(profiles=["x", "y"], input_length=L)


def _text(codes: np.ndarray) -> str:
    return "".join("ACGTN"[c] for c in codes)


def _edit(seq: str, i: int, bases: str) -> str:
    return seq[:i] + bases + seq[i + len(bases) :]


def test_window_hand_example_short_pair_padded_on_both_sides():
    """L = 8, a 5 bp pair: base len//2 = 2 at index L//2 = 4, so NN + ACGTA + N; reverse strand
    the reverse complement of the same windows."""
    scorer = PairScorer(position_model(8), ModelMeta(["x"], 8))
    windows = scorer.windows([SequencePair("p", "ACGTA", "ACCTA", 2)])
    assert [_text(w) for w in windows] == ["NNACGTAN", "NNACCTAN", "NTACGTNN", "NTAGGTNN"]
    np.testing.assert_array_equal(windows[:2], centred_codes(["ACGTA", "ACCTA"], 8))  # predict's helper


def test_window_length_pair_equals_the_genome_variant_exactly(genome_seqs, tmp_path):
    """A pair cut from the genome (the SNV at index L//2 of an L bp sequence) gets exactly the
    scores of the same SNV scored from the genome."""
    genome, seqs = genome_seqs
    s = seqs["chr1"]
    rows, pairs = [], []
    for k, pos in enumerate((300, 1001, 2500)):
        start = pos - 1 - L // 2
        ref = s[start : start + L]
        alt = _edit(ref, L // 2, other_base(ref[L // 2]))
        rows.append(f"chr1\t{pos}\tv{k}\t{s[pos - 1]}\t{alt[L // 2]}")
        pairs.append(SequencePair(f"v{k}", ref, alt, k + 2))
    model = position_model(L)
    genome_table = VariantScorer(model, META, genome).score(
        list(VcfReader(write_vcf(tmp_path / "v.vcf", rows), genome))
    )
    pair_table = PairScorer(model, META).score(pairs)
    assert pair_table.columns.tolist() == PAIR_ID_COLUMNS + score_columns(META)
    assert pair_table["SEQ_POS"].tolist() == [L // 2 + 1] * 3 and pair_table["TYPE"].tolist() == ["snv"] * 3
    for col in ["ID", "REF", "ALT", "max_abs_profile"] + score_columns(META)[:-1]:
        assert pair_table[col].tolist() == genome_table[col].tolist(), col
    assert (pair_table["x_diff"] != 0).all()


def test_score_pairs_streams_cuts_long_pairs_and_writes_the_summary(tmp_path):
    """Pairs longer than the window are cut to their middle (counted); a difference cut away
    gives effects of exactly 0 (counted); batches of 1 equal one batch."""
    rng = np.random.default_rng(0)
    seq = lambda n: "".join(rng.choice(list("ACGT"), n))  # noqa: E731
    short, long_mid, long_edge = seq(40), seq(3 * L), seq(3 * L)
    pairs = [
        SequencePair("short", short, _edit(short, 10, other_base(short[10])), 2),
        SequencePair("mid", long_mid, _edit(long_mid, 100, "AC" if long_mid[100] != "A" else "GC"), 3),
        SequencePair("edge", long_edge, _edit(long_edge, 2, other_base(long_edge[2])), 4),
    ]
    model = position_model(L)
    stats = score_pairs(
        model, META, pairs, tmp_path / "p.parquet", batch_size=1, progress=False, table="t.tsv"
    )
    out = pd.read_parquet(tmp_path / "p.parquet")
    whole = PairScorer(model, META, batch_size=8).score(pairs)
    pd.testing.assert_frame_equal(out, whole)
    assert out["ID"].tolist() == ["short", "mid", "edge"]
    assert out["SEQ_POS"].tolist() == [11, 101, 3] and out["TYPE"].tolist() == ["snv", "mnv", "snv"]
    assert out.loc[1, "REF"] == long_mid[100:102]
    edge = out.loc[2, [c for c in score_columns(META) if c.endswith(("diff", "max_abs_diff"))]]
    assert (edge == 0).all() and out.loc[0, "max_abs_diff"] > 0
    assert out.loc[2, "x_diff"] == 0 and out.loc[2, "y_logit_diff"] == 0 and out.loc[0, "x_diff"] != 0
    assert stats.cut_to_window == 2 and stats.differences_outside_window == 1
    summary = json.loads((tmp_path / "p.summary.json").read_text())
    assert summary["format"] == "pairs" and summary["input"] == "t.tsv"
    assert summary["cut_to_window"] == 2 and summary["differences_outside_window"] == 1
    assert (
        summary["scored_types"] == {"snv": 2, "mnv": 1} and "predict --fasta" in summary["window_convention"]
    )
    assert "no CHROM or POS" in summary["key_columns"]
    assert "2 longer than the window" in stats.summary()


def test_kmer_model_scores_pairs_alt_minus_ref():
    model = kmer_model(L)
    meta = ModelMeta(profiles=["x", "y"], input_length=L, arch="kmer")
    rng = np.random.default_rng(2)
    refs = ["".join(rng.choice(list("ACGT"), n)) for n in (30, L, 2 * L)]
    pairs = [SequencePair(f"p{i}", r, _edit(r, len(r) // 2, "GATA"), i + 2) for i, r in enumerate(refs)]
    table = PairScorer(model, meta, batch_size=2).score(pairs)
    ref_w = centred_codes([p.ref for p in pairs], L)
    alt_w = centred_codes([p.alt for p in pairs], L)
    ref_p, alt_p = model.predict(ref_w).astype(np.float64), model.predict(alt_w).astype(np.float64)
    want = effect_scores(ref_p, alt_p, ref_p, alt_p)
    for i, p in enumerate(meta.profiles):
        np.testing.assert_array_equal(table[f"{p}_diff"].to_numpy(), want["diff"][:, i])
        np.testing.assert_allclose(table[f"{p}_diff"], alt_p[:, i] - ref_p[:, i], atol=1e-12)
    assert np.abs(table[["x_diff", "y_diff"]].to_numpy()).max() > 0
