"""Effect heatmaps: profile columns, locus grouping, clustering, pages, PNG + SVG."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brainresnet_tf.errors import InputError
from brainresnet_tf.variant.heatmap import paginate, profile_names, variant_heatmap
from tests.toy_data import write_text


def _scores(tmp_path, n=30, profiles=("neuron_ATAC", "npc_ATAC", "glia_ATAC")):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "CHROM": "chr1",
            "POS": np.arange(1, n + 1) * 10,
            "ID": [f"rs{i}" for i in range(n)],
            "REF": "A",
            "ALT": "C",
        }
    )
    df.loc[3, "ID"] = "."  # no id: labelled chrom:pos, matched as chrom:pos:ref:alt
    for j, p in enumerate(profiles):
        ref = rng.uniform(0.2, 0.8, n)
        diff = rng.normal(0, 0.1, n) + (0.5 if j == 0 else 0) * (np.arange(n) < 4)
        df[f"{p}_ref"], df[f"{p}_alt"], df[f"{p}_diff"] = ref, ref + diff, diff
        df[f"{p}_logit_diff"] = 4 * diff
    df["max_abs_diff"] = df[[f"{p}_diff" for p in profiles]].abs().max(axis=1)
    df["max_abs_profile"] = profiles[0]
    path = tmp_path / "scores.tsv"
    df.to_csv(path, sep="\t", index=False)
    return path, df


def test_profile_names():
    cols = ["CHROM", "a_ref", "a_alt", "a_diff", "a_logit_diff", "b_ref", "b_diff", "max_abs_diff", "x_diff"]
    assert profile_names(cols, "diff") == ["a", "b"]
    assert profile_names(cols, "logit_diff") == ["a"]
    with pytest.raises(InputError, match="--value 'lfc'"):
        profile_names(cols, "lfc")


def test_pages_keep_loci_whole():
    loci = ["a"] * 3 + ["b"] * 2 + ["c"] * 7 + ["d"]
    assert paginate(loci, 5) == [(0, 5), (5, 10), (10, 12), (12, 13)]
    assert paginate(["x"] * 4, 10) == [(0, 4)]


@settings(max_examples=500, deadline=None, database=None)
@given(st.lists(st.sampled_from("abcde"), max_size=40), st.integers(1, 12))
def test_pages_cover_every_row_once(loci, per_page):
    pages = paginate(loci, per_page)
    assert [r for a, b in pages for r in range(a, b)] == list(range(len(loci)))
    assert all(0 < b - a <= per_page for a, b in pages)
    for a, b in pages:  # a locus that fits on a page is not cut at the page's ends
        for cut in (a, b):
            if 0 < cut < len(loci) and loci[cut - 1] == loci[cut]:
                start = cut - 1
                while start > 0 and loci[start - 1] == loci[cut]:
                    start -= 1
                end = cut
                while end < len(loci) and loci[end] == loci[cut]:
                    end += 1
                assert end - start > per_page


def test_heatmap_grouped_paged_clustered(tmp_path):
    scores, df = _scores(tmp_path)
    loci = write_text(
        tmp_path / "loci.tsv",
        "variant_id\tcredible_set\n"
        + "".join(f"rs{i}\tcs{i % 4}\n" for i in range(30) if i != 3)
        + "chr1:40:A:C\tcs3\nrs999\tcs9\n",
    )
    out = tmp_path / "heat"
    summary = variant_heatmap(scores, out, loci=loci, cluster=True, rows_per_page=8)
    assert summary["n_variants"] == 30 and summary["n_loci"] == 4
    assert summary["n_missing"] == 1 and summary["missing_first"] == ["rs999"]
    assert summary["pages"] == 4  # loci of 7-8 rows, one per page
    for i in range(1, 5):
        assert (out / f"heatmap_p{i:02d}.png").stat().st_size > 0
        assert (out / f"heatmap_p{i:02d}.svg").read_text().lstrip().startswith("<?xml")
    diffs = [c for c in df if c.endswith("ATAC_diff")]
    assert summary["colour_limit"] == pytest.approx(df[diffs].abs().max().max())  # one scale, all pages
    shown = pd.read_csv(out / "heatmap.tsv", sep="\t")
    assert shown.groupby("locus")["page"].nunique().max() == 1  # each locus on one page
    strength = shown.assign(m=shown[diffs].abs().max(axis=1)).groupby("locus", sort=False)["m"].max()
    assert strength.is_monotonic_decreasing  # loci ordered by their largest effect
    assert shown.loc[shown["POS"] == 40, "locus"].tolist() == ["cs3"]  # matched as chrom:pos:ref:alt
    assert sorted(shown.columns[-3:]) == ["glia_ATAC_diff", "neuron_ATAC_diff", "npc_ATAC_diff"]
    assert json.loads((out / "heatmap.json").read_text())["cluster"] is True


def test_heatmap_top_and_errors(tmp_path):
    scores, _ = _scores(tmp_path)
    summary = variant_heatmap(scores, tmp_path / "top", top=5, value="logit_diff")
    assert summary["pages"] == 1 and summary["files"] == ["heatmap.png", "heatmap.svg"]
    shown = pd.read_csv(tmp_path / "top" / "heatmap.tsv", sep="\t")
    assert set(shown["ID"]) >= {"rs0", "rs1", "rs2"}  # the planted large effects
    with pytest.raises(InputError, match="need 30 pages of 1 rows"):
        variant_heatmap(scores, tmp_path / "all", rows_per_page=1)
    with pytest.raises(InputError, match="none of the 1 variants of the locus table is in"):
        variant_heatmap(scores, tmp_path / "x", loci=write_text(tmp_path / "l.tsv", "rsX\tcs1\n"))
    with pytest.raises(InputError, match="--top and --loci: give one"):
        variant_heatmap(scores, tmp_path / "z", top=3, loci=tmp_path / "l.tsv")
    with pytest.raises(InputError, match="no <profile>_diff columns"):
        variant_heatmap(write_text(tmp_path / "s.tsv", "CHROM\tPOS\tscore\nchr1\t5\t1\n"), tmp_path / "y")


def test_heatmap_of_quantiles_on_a_zero_to_one_scale(tmp_path):
    path, df = _scores(tmp_path)
    for j, p in enumerate(("neuron_ATAC", "npc_ATAC", "glia_ATAC")):
        df[f"{p}_quantile"] = np.linspace(0, 1, len(df))[::-1] if j == 0 else 0.5
    df.to_csv(path, sep="\t", index=False)
    summary = variant_heatmap(
        path, tmp_path / "q", value="quantile", top=5, score_column="neuron_ATAC_quantile"
    )
    assert summary["colour_limit"] == 1.0 and summary["n_variants"] == 5
    drawn = pd.read_csv(tmp_path / "q" / "heatmap.tsv", sep="\t")
    assert drawn["neuron_ATAC_quantile"].min() > 0.8 and (drawn["npc_ATAC_quantile"] == 0.5).all()
    (tmp_path / "plain").mkdir()
    plain, _ = _scores(tmp_path / "plain")  # no null: no quantile columns
    with pytest.raises(InputError, match="quantiles come from score-variants --null N"):
        variant_heatmap(plain, tmp_path / "q2", value="quantile")
