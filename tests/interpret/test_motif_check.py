"""The ground-truth check: motif recovery (named, same family) and the contrast check."""

from __future__ import annotations

import pandas as pd

from brainresnet_tf.interpret.motif_check import Truth, check_contrast, recovery


def _truth(tmp_path) -> Truth:
    elements = pd.DataFrame(
        {
            "element_id": ["e1", "e2", "e3"],
            "chrom": "chr1",
            "start": [0, 100, 200],
            "end": [50, 150, 250],
            "program": ["neuron", "npc", "shared"],
            "motifs": ["NEUROD1,RFX2", "SOX2", "CTCF"],
            "neuron": [1, 0, 1],
            "npc": [0, 1, 1],
        }
    )
    sites = pd.DataFrame(
        {
            "element_id": ["e1", "e1", "e2", "e3"],
            "chrom": "chr1",
            "start": [5, 20, 110, 210],
            "end": [12, 34, 117, 229],
            "motif_name": ["NEUROD1", "RFX2", "SOX2", "CTCF"],
            "matrix_id": ["MA1109.2", "MA0600.3", "MA0143.5", "MA0139.2"],
            "sequence": ["CAGATGG", "GTTGCCATGGCAAC", "ACAATGG", "C" * 19],
        }
    )
    return Truth(tmp_path, sites, elements, dict(zip(sites["motif_name"], sites["matrix_id"])))


def _table(rows):
    cols = ["pattern", "sign", "match1_id", "match1_name", "match1_q", "match2_id", "match2_q"]
    return pd.DataFrame(rows, columns=cols)


def test_recovery_and_contrast_check(tmp_path):
    truth = _truth(tmp_path)
    assert truth.motifs_of("neuron") == ["CTCF", "NEUROD1", "RFX2"]
    table = _table(
        [
            ("pos_patterns.pattern_0", "+", "MA1109.3", "NEUROD1", 1e-4, "MA0668", 1e-3),
            ("pos_patterns.pattern_1", "+", "MA0509.3", "RFX1", 1e-6, "MA0600.3", 1e-5),
            ("neg_patterns.pattern_0", "-", "MA0143.5", "SOX2", 1e-3, None, None),
        ]
    )
    rec = recovery(table, {"NEUROD1": "MA1109.2", "RFX2": "MA0600.3", "CTCF": "MA0139.2"})
    assert list(rec["named"]) == [True, False, False]
    assert list(rec["family_top"]) == [True, True, False]  # RFX1 shares RFX2's family
    sites = pd.DataFrame(
        {"motif": ["NEUROD1", "RFX2", "SOX2"], "n_sites": 5, "mean_contribution": [1.0, 0.5, -0.7]}
    )
    res, text = check_contrast(table, truth, "neuron", "npc", sites)
    assert set(res["motif"]) == {"NEUROD1", "RFX2", "SOX2"}
    assert res["site_sign_ok"].all() and not res["named_wrong_sign"].any()
    assert "separation: PASS" in text
