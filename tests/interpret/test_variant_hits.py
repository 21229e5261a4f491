"""Variants joined with motif hits: ref vs alt PWM scores and the demo's break check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from brainresnet_tf.demo.synthetic import jaspar_motif
from brainresnet_tf.errors import InputError
from brainresnet_tf.interpret.hits import HIT_COLUMNS
from brainresnet_tf.interpret.variant_hits import annotate, check_breaks

RC = str.maketrans("ACGT", "TGCA")


def _hits():
    ppm = jaspar_motif("CTCF")[1]
    cons = "".join("ACGT"[i] for i in ppm.argmax(axis=1))
    rows = [
        # + strand instance at chr1:100, reverse-strand instance at chr1:300 (genome holds the rc)
        (
            "chr1",
            100,
            100 + len(cons),
            "CTCF",
            900,
            "+",
            "MA0139.2",
            15.0,
            3.0,
            0.001,
            0.01,
            "MA0139.2",
            cons,
        ),
        (
            "chr1",
            300,
            300 + len(cons),
            "CTCF",
            900,
            "-",
            "MA0139.2",
            15.0,
            2.0,
            0.001,
            0.01,
            "MA0139.2",
            cons.translate(RC)[::-1],
        ),
    ]
    return pd.DataFrame(rows, columns=HIT_COLUMNS), {"MA0139.2": ppm}, cons, ppm


def test_variant_in_a_hit_is_scored_with_ref_and_alt():
    hits, motifs, cons, ppm = _hits()
    ic = 2 + (ppm * np.log2(ppm)).sum(axis=1)
    j = int(ic.argmax())  # the most informative column
    worst = "ACGT"[int(ppm[j].argmin())]
    plus_pos = 100 + j + 1  # 1-based
    minus_pos = 300 + (len(cons) - 1 - j) + 1
    variants = pd.DataFrame(
        {
            "CHROM": ["chr1", "chr1", "chr1", "chr2"],
            "POS": [plus_pos, minus_pos, 50, 101],
            "REF": [cons[j], cons[j].translate(RC), "A", "A"],
            "ALT": [worst, worst.translate(RC), "C", "C"],
            "score": [1.0, 2.0, 3.0, 4.0],
        }
    )
    out = annotate(variants, hits, motifs, {"MA0139.2": 10.0})
    assert list(out["n_hits"]) == [1, 1, 0, 0]
    assert list(out["hit_motif"][:2]) == ["CTCF", "CTCF"] and out["score"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert (out["pwm_delta"][:2] < -3).all() and out["weakens"][:2].tolist() == [True, True]
    np.testing.assert_allclose(out["pwm_ref"][0], out["pwm_ref"][1])  # same instance, either strand
    assert np.isnan(out["pwm_ref"][2])
    bad = variants.iloc[:1].assign(REF="T" if cons[j] != "T" else "G")
    with pytest.raises(InputError, match="different genomes"):
        annotate(bad, hits, motifs)


def test_break_check_counts_the_right_motif():
    annotated = pd.DataFrame(
        {
            "CHROM": ["chr1"] * 4,
            "POS": [1, 2, 3, 4],
            "REF": ["A"] * 4,
            "ALT": ["C"] * 4,
            "n_hits": [1, 1, 0, 1],
            "hit_motif": ["CTCF", "Yy1", np.nan, "CTCF"],
            "weakens": [True, True, np.nan, False],
        }
    )
    observed = pd.DataFrame(
        {
            "chrom": ["chr1"] * 4,
            "pos": [1, 2, 3, 4],
            "ref": ["A"] * 4,
            "alt": ["C"] * 4,
            "class": ["break", "break", "break", "neutral"],
            "motif": ["CTCF", "YY1", "CTCF", np.nan],
        }
    )
    check, text = check_breaks(annotated, observed)
    assert check["break"] == {"n": 3, "in_a_hit": 2, "right_motif": 2, "right_motif_alt_weakens": 2}
    assert not check["pass"] and "2/3 = 66.7% -> FAIL" in text
