"""Constraint analysis: statistics against hand computations, and the command's files on toy data."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from brainresnet_tf.errors import InputError
from brainresnet_tf.variant.constraint import (
    AlleleFrequencySource,
    cochran_armitage,
    constraint_analysis,
    maf_by_decile,
    mann_whitney,
    ranking,
    score_deciles,
    top_k_groups,
)
from tests.toy_data import write_bigwig_entries, write_vcf


def test_mann_whitney_and_rank_biserial_by_hand():
    top, other = np.array([5.0, 6.0, 7.0]), np.array([1.0, 2.0, 6.0, np.nan])
    # pairs won by top (ties count half): 5 beats 1, 2; 6 beats 1, 2 and ties 6; 7 beats all: U = 7.5 of 9
    res = mann_whitney(top, other, "greater")
    assert res["u_statistic"] == 7.5
    assert res["rank_biserial"] == pytest.approx(2 * 7.5 / 9 - 1)
    assert res["p_value"] == pytest.approx(stats.mannwhitneyu(top, other[:3], alternative="greater").pvalue)
    assert np.isnan(mann_whitney(np.array([np.nan]), other)["p_value"])


def test_cochran_armitage_two_groups_is_pearson_chi_square():
    rare, n = np.array([30, 50]), np.array([100, 100])
    table = np.column_stack([rare, n - rare])
    chi2 = stats.chi2_contingency(table, correction=False)[0]
    res = cochran_armitage(rare, n)
    assert res["z"] ** 2 == pytest.approx(chi2)
    assert res["z"] > 0 and res["p_increasing"] == pytest.approx(stats.norm.sf(res["z"]))
    assert np.isnan(cochran_armitage(np.array([1]), np.array([5]))["z"])


def test_ranking_groups_and_deciles():
    score = np.array([0.1, -0.9, np.nan, 0.5, 0.9, 0.0])
    assert ranking(score).tolist() == [1, 4, 3, 0, 5]  # |score|, ties keep order, NaN left out
    groups = top_k_groups(score, [2, 10, 1], seed=0)
    assert [g.k for g in groups] == [1, 2]  # k >= scored variants skipped
    g = groups[1]
    assert g.top.tolist() == [1, 4] and sorted(g.rest.tolist()) == [0, 3, 5]
    assert len(g.random) == 2 and set(g.random) <= set(g.rest)
    deciles = score_deciles(np.r_[np.arange(20.0), np.nan])
    assert deciles[-1] == 0 and np.bincount(deciles[:-1]).tolist() == [0] + [2] * 10
    assert deciles[19] == 10 and deciles[0] == 1


def test_maf_trend_detects_rare_top_variants():
    rng = np.random.default_rng(0)
    score = rng.random(2000)
    maf = np.where(score > 0.8, rng.uniform(0, 0.02, 2000), rng.uniform(0, 0.5, 2000))
    maf[:10] = np.nan
    table, trend = maf_by_decile(score, maf)
    assert table["n"].sum() == 2000 and table["n_missing"].sum() == 10
    assert table["fraction_rare"].iloc[-1] > 0.4 > table["fraction_rare"].iloc[0]
    assert trend["decreasing"] and trend["spearman_decile_vs_maf"]["p_value"] < 1e-10
    assert trend["cochran_armitage_rare"]["p_increasing"] < 1e-10


def _toy(tmp_path, n=300):
    """Scores on chr1/chr2 (named 1, 2 in the track); the 40 best-scored sit on constrained bases;
    variant 0 (top scored) has no coverage."""
    rng = np.random.default_rng(1)
    pos = np.sort(rng.choice(np.arange(2, 9000), n, replace=False))
    chrom = np.where(np.arange(n) % 3 == 0, "chr2", "chr1")
    score = rng.normal(0, 0.05, n)
    top = rng.choice(n, 40, replace=False)
    score[top] = rng.uniform(0.5, 1, 40) * np.sign(rng.normal(size=40))
    score[top[0]] = 2.0
    entries = []
    for c, p, s in zip(chrom, pos, score):
        if p == pos[top[0]] and c == chrom[top[0]]:
            continue  # no coverage
        value = 4.0 + rng.normal() if abs(s) > 0.4 else rng.normal()
        entries.append((c[3:], int(p) - 1, int(p), value))
    bw = write_bigwig_entries(tmp_path / "gerp.bw", {"1": 10_000, "2": 10_000}, entries)
    af = np.where(np.abs(score) > 0.4, rng.uniform(0, 0.01, n), rng.uniform(0, 1, n))
    df = pd.DataFrame({"CHROM": chrom, "POS": pos, "ID": [f"v{i}" for i in range(n)], "REF": "A", "ALT": "G"})
    df["max_abs_diff"], df["gnomad_af"] = score, af
    df.loc[5, "max_abs_diff"] = np.nan  # unscored: counted, not ranked
    scores = tmp_path / "scores.tsv"
    df.to_csv(scores, sep="\t", index=False)
    vcf = write_vcf(
        tmp_path / "af.vcf",
        [f"{c}\t{p}\tv{i}\tA\tG\t.\tPASS\tAF={a:.6g}" for i, (c, p, a) in enumerate(zip(chrom, pos, af))],
    )
    return scores, bw, vcf, int(top[0])


def test_constraint_analysis_files_and_truth(tmp_path):
    scores, bw, vcf, uncovered = _toy(tmp_path)
    out = tmp_path / "out"
    summary = constraint_analysis(
        scores, out, [("GERP", bw)], AlleleFrequencySource(vcf=vcf, key="AF"), top_k=(20, 40), seed=3
    )
    for name in (
        "annotated.tsv",
        "constraint.tsv",
        "constraint.json",
        "distribution.png",
        "maf_deciles.tsv",
        "maf_deciles.png",
    ):
        assert (out / name).stat().st_size > 0, name
    assert summary["n_variants"] == 300 and summary["n_unscored"] == 1
    assert summary["tracks"]["GERP"]["n_missing"] == 1  # reported, not dropped
    rows = pd.read_csv(out / "constraint.tsv", sep="\t")
    top20 = rows[(rows["annotation"] == "GERP") & (rows["k"] == 20) & (rows["versus"] == "rest")].iloc[0]
    assert top20["n_top"] == 20 and top20["n_top_missing"] == 1  # the uncovered top variant stays in n
    assert top20["n_other"] == 299 - 20
    assert top20["p_value"] < 1e-8 and top20["rank_biserial"] > 0.8 and top20["median_top"] > 3
    maf = rows[(rows["annotation"] == "MAF") & (rows["k"] == 40) & (rows["versus"] == "random")].iloc[0]
    assert maf["alternative"] == "less" and maf["n_other"] == 40 and maf["p_value"] < 1e-5
    parsed = json.loads((out / "constraint.json").read_text(), parse_constant=lambda c: pytest.fail(c))
    assert parsed["allele_frequency"]["trend"]["decreasing"]
    annotated = pd.read_csv(out / "annotated.tsv", sep="\t")
    assert len(annotated) == 300 and np.isnan(annotated.loc[uncovered, "GERP"])
    np.testing.assert_allclose(annotated["MAF"], np.minimum(annotated["AF"], 1 - annotated["AF"]))
    # the same frequencies from a column of the scores table
    again = constraint_analysis(
        scores, tmp_path / "out2", [], AlleleFrequencySource(column="gnomad_af"), top_k=(20, 40), seed=3
    )
    a, b = (
        pd.DataFrame(again["allele_frequency"]["deciles"]),
        pd.DataFrame(summary["allele_frequency"]["deciles"]),
    )
    assert a["n_rare"].tolist() == b["n_rare"].tolist()
    np.testing.assert_allclose(a["mean_maf"], b["mean_maf"], rtol=1e-5)  # the VCF holds 6 digits


def test_constraint_bad_input_is_one_line(tmp_path):
    scores, bw, vcf, _ = _toy(tmp_path)
    only_chr1 = write_bigwig_entries(tmp_path / "chr1only.bw", {"1": 10_000}, [("1", 0, 10, 1.0)])
    with pytest.raises(InputError, match=r"chr1only\.bw: track has no chromosome 'chr2'"):
        constraint_analysis(scores, tmp_path / "o1", [("GERP", only_chr1)])
    with pytest.raises(InputError, match=r"af\.vcf: no record has INFO key 'AF_nfe'"):
        constraint_analysis(scores, tmp_path / "o2", [], AlleleFrequencySource(vcf=vcf, key="AF_nfe"))
    df = pd.read_csv(scores, sep="\t")
    df.loc[7, "gnomad_af"] = 3.5
    df.to_csv(scores, sep="\t", index=False)
    with pytest.raises(
        InputError, match=r"scores\.tsv:9: allele frequency gnomad_af=3\.5 is not a number in \[0, 1\]"
    ):
        constraint_analysis(scores, tmp_path / "o3", [], AlleleFrequencySource(column="gnomad_af"))
    with pytest.raises(InputError, match="track name 'MAF' is taken by an output column"):
        constraint_analysis(scores, tmp_path / "o5", [("MAF", bw)])
    with pytest.raises(InputError, match="nothing to test"):
        constraint_analysis(scores, tmp_path / "o4")
    assert not (tmp_path / "o1" / "annotated.tsv").exists()  # nothing half-written
    assert not list((tmp_path / "o1").glob(".*tmp*"))


def test_deletions_take_the_most_constrained_base_they_remove(tmp_path):
    from brainresnet_tf.io.tracks import AnnotationTrack
    from brainresnet_tf.variant.constraint import variant_track_values

    # 0-based bases 20, 21, 22 (1-based 21-23) hold 1, 5, 2; base 23 (24) is not covered
    entries = [
        ("chr1", 0, 20, 0.0),
        ("chr1", 20, 21, 1.0),
        ("chr1", 21, 22, 5.0),
        ("chr1", 22, 23, 2.0),
        ("chr1", 24, 100, 0.0),
    ]
    path = write_bigwig_entries(tmp_path / "cons.bw", {"chr1": 100}, entries)
    chunk = pd.DataFrame(
        {
            "chrom": ["chr1"] * 4,
            "pos": [21, 21, 21, 24],
            "ref": ["A", "ACG", "AC", "A"],
            "alt": ["T", "A", "A", "AT"],
        }
    )
    with AnnotationTrack(path, "cons") as track:
        got = variant_track_values(track, chunk)
    # SNV at 21: its base; deletion ACG>A spans 21-23: max 5; AC>A spans 21-22: 5; insertion at 24 (NaN)
    np.testing.assert_array_equal(got[:3], [1.0, 5.0, 5.0])
    assert np.isnan(got[3])
