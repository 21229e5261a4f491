"""Quality gates before a pattern is named, and the model's test AUROC beside it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from brainresnet_tf.demo.synthetic import jaspar_motif
from brainresnet_tf.interpret import motif_quality as Q
from brainresnet_tf.interpret.motifs import Pattern


def _pattern(name: str, ppm: np.ndarray, n: int = 200) -> Pattern:
    cwm = ppm * 0.5
    return Pattern(name, 1, n, ppm, cwm, cwm, pd.DataFrame())


def _noise_ppm(width: int = 50, seed: int = 0) -> np.ndarray:
    """A blurred pattern: every column ~0.2 bits, no informative flank or core."""
    rng = np.random.default_rng(seed)
    p = 0.25 + rng.uniform(-0.2, 0.2, (width, 4))
    return p / p.sum(axis=1, keepdims=True)


def test_gates_pass_a_motif_and_stop_noise():
    ctcf = _pattern(
        "pos_patterns.pattern_0",
        jaspar_motif("CTCF")[1] ** 2 / (jaspar_motif("CTCF")[1] ** 2).sum(1, keepdims=True),
    )
    noise = _pattern("pos_patterns.pattern_1", _noise_ppm())
    assert Q.gate_reason(Q.pattern_quality(ctcf)) == ""
    q = Q.pattern_quality(noise)
    assert q["bits_per_column"] < 0.5 and q["core_width"] > 30
    assert Q.gate_reason(q) == "low information"
    assert Q.gate_reason(Q.pattern_quality(_pattern("x", ctcf.ppm, n=12))) == "few seqlets (12)"
    near = Q.ModelQuality(0.56, "metrics.json")
    assert Q.gate_reason(Q.pattern_quality(ctcf), near).startswith("model near chance (test AUROC 0.56")
    table = pd.DataFrame(
        {
            "pattern": [ctcf.name, noise.name],
            "sign": ["+", "+"],
            "consensus": ["C", "N"],
            "match1_id": ["MA0139.2", "MA0139.2"],
            "match1_name": ["CTCF", "CTCF"],
            "match1_q": [1e-10, 1e-10],
        }
    )
    gated = Q.apply_gates(table, [ctcf, noise])
    assert gated["name"].tolist() == ["CTCF", "unnamed (low information)"]
    assert gated["named"].tolist() == [True, False]
    assert list(gated.columns[:9]) == [
        "pattern",
        "sign",
        "consensus",
        "name",
        "named",
        "quality",
        "bits_per_column",
        "total_bits",
        "match1_id",
    ]
    assert not Q.apply_gates(table, [ctcf, noise], near)["named"].any()


def test_model_auroc_from_metadata_or_run_folder(tmp_path):
    rows = [
        {"model": "resnet", "profile": "a", "split": "test", "auroc": 0.9},
        {"model": "resnet", "profile": "b", "split": "test", "auroc": 0.7},
        {"model": "baseline", "profile": "a", "split": "test", "auroc": 0.55},
        {"model": "resnet", "profile": "a", "split": "valid", "auroc": 0.1},
    ]
    (tmp_path / "baseline").mkdir()
    model = tmp_path / "model.keras"
    unknown = Q.model_test_auroc(model, {}, "resnet", ["a"])
    assert unknown.auroc is None and "no test metrics" in unknown.describe()
    (tmp_path / "metrics.json").write_text(json.dumps({"mean": {}, "per_profile": rows}))
    assert Q.model_test_auroc(model, {}, "resnet", ["a", "b"]).auroc == 0.8
    base = Q.model_test_auroc(tmp_path / "baseline" / "model.keras", {}, "baseline", ["a"])
    assert base.auroc == 0.55 and base.near_chance(Q.Gates())
    assert (
        Q.model_test_auroc(model, {"metrics": {"per_profile": rows[:1]}}, "resnet", ["a"]).source
        == "model.json"
    )
    assert Q.model_test_auroc(model, {"test_auroc": 0.61}, "resnet", ["a"]).auroc == 0.61
