"""The null of calibrated scores: quantiles and p-values by hand, matching strata, seeded draws,
peak distances, and the cache keyed by model content, genome, draw and peaks."""

import numpy as np
import pandas as pd
import pytest

from brainresnet_tf.errors import InputError
from brainresnet_tf.models.saving import ModelMeta
from brainresnet_tf.variant.null import (
    NO_PEAK,
    NullCalibration,
    NullEffects,
    PeakIndex,
    check_null_size,
    draw_null_snvs,
    prepare_null,
)

META = ModelMeta(["p_a", "p_b"], 64)


def _null(effects, gc, distance=None) -> NullEffects:
    effects = np.asarray(effects, float)
    n = len(effects)
    variants = pd.DataFrame(
        {"chrom": ["chr1"] * n, "pos": np.arange(n) + 1, "ref": ["A"] * n, "alt": ["C"] * n}
    )
    distance = np.full(n, -1) if distance is None else np.asarray(distance)
    return NullEffects(variants, effects, np.asarray(gc, float), distance)


def test_quantile_and_pvalue_by_hand():
    """One stratum (every GC equal): quantile = share of null |effect| strictly smaller, p-value =
    (1 + null |effect| >= it) / (n + 1), on |effect| (the sign does not matter); NaN stays NaN."""
    effects = np.stack([np.arange(200.0), -np.arange(200.0)], axis=1)  # profile b: negated
    cal = NullCalibration(_null(effects, np.full(200, 0.4)), META, genome=None)
    assert len(cal.strata) == 1 and cal.strata[0]["n"] == 200
    x = np.array([[10.5, -10.5], [10.0, 250.0], [0.0, np.nan]])
    q, p = cal.calibrate(x, np.full(3, 0.4), np.full(3, -1))
    np.testing.assert_allclose(q[:2], [[11 / 200, 11 / 200], [10 / 200, 1.0]])
    np.testing.assert_allclose(p[:2], [[190 / 201, 190 / 201], [191 / 201, 1 / 201]])
    assert q[2, 0] == 0 and p[2, 0] == 1 and np.isnan(q[2, 1]) and np.isnan(p[2, 1])


def test_variants_are_compared_with_their_own_gc_and_distance_stratum():
    """Low-GC null variants have small effects, high-GC ones large: the same effect is extreme in
    the first stratum and ordinary in the second. Distance classes split the same way."""
    gc = np.r_[np.full(150, 0.3), np.full(150, 0.6)]
    effects = np.r_[np.linspace(0, 1, 150), np.linspace(0, 100, 150)][:, None].repeat(2, axis=1)
    cal = NullCalibration(_null(effects, gc), META, genome=None)
    assert [s["n"] for s in cal.strata] == [150, 150]
    q, _ = cal.calibrate(np.full((2, 2), 2.0), np.array([0.31, 0.62]), np.full(2, -1))
    assert q[0, 0] == 1.0 and q[1, 0] < 0.05

    distance = np.r_[np.zeros(150, int), np.full(150, 50_000)]  # inside peaks / far from them
    cal = NullCalibration(_null(effects, np.full(300, 0.4), distance), META, genome=None, peaks=object())
    assert [s["distance"] for s in cal.strata] == [["inside a peak"], ["<= 1 kb", "<= 10 kb", "> 10 kb"]]
    q, _ = cal.calibrate(np.full((3, 2), 2.0), np.full(3, 0.4), np.array([0, 20_000, NO_PEAK]))
    assert q[0, 0] == 1.0 and q[1, 0] < 0.05 and q[2, 0] == q[1, 0]


def test_small_classes_and_bins_merge_into_strata_of_at_least_100():
    rng = np.random.default_rng(0)
    distance = np.r_[np.zeros(40, int), np.full(500, 500), np.full(60, 50_000)]
    gc = np.round(rng.uniform(0.3, 0.6, 600), 2)  # ties
    cal = NullCalibration(_null(rng.normal(size=(600, 2)), gc, distance), META, genome=None, peaks=object())
    assert sum(s["n"] for s in cal.strata) == 600
    assert min(s["n"] for s in cal.strata) >= 50 and len(cal.strata) >= 3
    q, p = cal.calibrate(
        rng.normal(size=(1000, 2)), rng.uniform(0.2, 0.7, 1000), rng.integers(0, 99_999, 1000)
    )
    assert 0.4 < np.median(q) < 0.6 and ((p > 0) & (p <= 1)).all()


def test_null_below_100_is_refused():
    with pytest.raises(InputError, match=r"--null 99: .* give --null 100 or more"):
        check_null_size(99)
    check_null_size(100)


def test_peak_distance_by_hand(genome_seqs):
    genome, _ = genome_seqs
    peaks = PeakIndex(
        genome,
        [pd.DataFrame({"chrom": ["chr1", "chr1", "chr1"], "start": [500, 100, 150], "end": [600, 200, 180]})],
    )
    assert peaks.starts["chr1"].tolist() == [100, 500] and peaks.ends["chr1"].tolist() == [200, 600]
    d = peaks.distance(["chr1"] * 6 + ["chr2"], np.array([99, 100, 199, 200, 350, 700, 10]))
    assert d.tolist() == [1, 0, 0, 1, 150, 101, NO_PEAK]


def test_draw_is_seeded_matches_the_genome_and_covers_peaks(genome_seqs):
    genome, seqs = genome_seqs
    peaks = PeakIndex(genome, [pd.DataFrame({"chrom": ["chr1"], "start": [1000], "end": [1100]})])
    drawn = draw_null_snvs(genome, 300, seed=3, peaks=peaks)
    assert len(drawn) == 300 and not drawn.duplicated(["chrom", "pos"]).any()
    assert all(seqs[c][p - 1] == r for c, p, r in zip(drawn["chrom"], drawn["pos"], drawn["ref"]))
    assert (drawn["ref"] != drawn["alt"]).all() and set(drawn["alt"]) <= set("ACGT")
    inside = peaks.distance(drawn["chrom"], drawn["pos"].to_numpy() - 1) == 0
    assert inside.sum() >= 100  # a third drawn inside the peak
    pd.testing.assert_frame_equal(drawn, draw_null_snvs(genome, 300, seed=3, peaks=peaks))
    assert not drawn.equals(draw_null_snvs(genome, 300, seed=4, peaks=peaks))


def test_null_is_cached_by_model_content_draw_and_reused(genome_seqs, tiny_model, tmp_path):
    """The second call reuses the cached effects (said in the log); another seed or a changed
    model file makes a new null; the cache survives copying the model elsewhere."""
    genome, _ = genome_seqs
    model, meta, path = tiny_model
    model_path = tmp_path / "m" / "model.keras"
    model_path.parent.mkdir()
    model_path.write_bytes(path.read_bytes())
    (model_path.parent / "model.json").write_bytes(path.with_suffix(".json").read_bytes())
    logs: list[str] = []

    def null(**kw):
        kw = {"n": 150, "cache_dir": tmp_path / "cache", "batch_size": 64, "log": logs.append, **kw}
        where = kw.pop("model_path", model_path)
        return prepare_null(model, meta, genome, where, **kw)

    first = null()
    assert not first.info["reused"] and "scoring 150 background SNVs (seed 0)" in logs[0]
    again = null()
    assert again.info["reused"] and "reused" in logs[-1] and again.info["cache"] == first.info["cache"]
    for s, t in zip(first.sorted, again.sorted):
        np.testing.assert_array_equal(s, t)
    assert len(list((tmp_path / "cache").glob("model.keras.null-*.npz"))) == 1
    assert not null(seed=1).info["reused"]
    with open(model_path, "ab") as fh:  # another model (its content changed)
        fh.write(b"\0")
    assert not null().info["reused"]
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 3
    elsewhere = tmp_path / "copy" / "model.keras"  # the same content in another folder: reused
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(model_path.read_bytes())
    (elsewhere.parent / "model.json").write_bytes(path.with_suffix(".json").read_bytes())
    assert null(model_path=elsewhere) is not None and "reused" in logs[-1]
    with pytest.raises(InputError, match="--null-peaks .*missing.bed: file not found"):
        null(peaks=[tmp_path / "missing.bed"])
