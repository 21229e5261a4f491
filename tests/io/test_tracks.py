"""Annotation tracks: values at positions equal pyBigWig's own, aliases resolve, bad input is one line."""

import numpy as np
import pyBigWig
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import chrom_aliases
from brainresnet_tf.io.tracks import AnnotationTrack, open_tracks
from tests.toy_data import write_bigwig_entries


@pytest.fixture
def track_path(tmp_path):
    entries = [("1", 10, 20, 1.5), ("1", 20, 21, -2.0), ("1", 500, 900, 3.25), ("MT", 0, 5, 0.5)]
    return write_bigwig_entries(tmp_path / "gerp.bw", {"1": 1000, "MT": 16}, entries)


def test_values_at_positions_with_aliases_and_gaps(track_path):
    with AnnotationTrack(track_path) as track:
        assert track.name == "gerp"
        got = track.values_at(
            ["chr1", "1", "chr1", "chrM", "chr1", "chr1"], np.array([9, 10, 20, 4, 899, 700])
        )
    np.testing.assert_array_equal(got[1:], [1.5, -2.0, 0.5, 3.25, 3.25])
    assert np.isnan(got[0])  # not covered: NaN, kept in place


def test_many_small_spans_equal_one_read(track_path):
    rng = np.random.default_rng(0)
    pos = rng.integers(0, 1000, 500)
    with AnnotationTrack(track_path) as whole, AnnotationTrack(track_path, max_gap=1, max_span=7) as pieces:
        a = whole.values_at(["chr1"] * 500, pos)
        b = pieces.values_at(["chr1"] * 500, pos)
    bw = pyBigWig.open(str(track_path))
    naive = [bw.values("1", int(p), int(p) + 1)[0] for p in pos]
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, naive)


def test_missing_chromosome_and_bad_positions_are_one_line(track_path, tmp_path):
    with AnnotationTrack(track_path) as track:
        with pytest.raises(InputError, match=r"gerp\.bw: track has no chromosome 'chr9' \(it has: 1, MT\)"):
            track.values_at(["chr1", "chr9"], np.array([1, 1]))
        with pytest.raises(InputError, match=r"gerp\.bw: position chr1:1001 is outside 1 of the track"):
            track.values_at(["chr1"], np.array([1000]))
    (tmp_path / "x.bw").write_text("track type=bedGraph\n")
    with pytest.raises(InputError, match="x.bw: not a bigWig file"):
        AnnotationTrack(tmp_path / "x.bw")
    with pytest.raises(InputError, match="nope.bw: bigWig track not found"):
        AnnotationTrack(tmp_path / "nope.bw")
    with pytest.raises(InputError, match="track names must be unique: a"):
        open_tracks([("a", track_path), ("a", track_path)])


TRACK_CHROMS = ("chr1", "2", "MT", "X")
QUERY_CHROMS = ("chr1", "1", "2", "chr2", "MT", "chrM", "M", "X", "chrX", "Y", "", "chrUn_1")


@st.composite
def tracks_and_queries(draw):
    chroms = draw(st.lists(st.sampled_from(TRACK_CHROMS), min_size=1, max_size=4, unique=True))
    sizes = {c: draw(st.integers(1, 300)) for c in chroms}
    entries = []
    for c, size in sizes.items():
        cuts = sorted(draw(st.sets(st.integers(0, size), max_size=8)))
        for a, b in zip(cuts[:-1], cuts[1:]):
            if draw(st.booleans()):
                entries.append((c, a, b, draw(st.floats(-12, 6, allow_nan=False, width=32))))
    n = draw(st.integers(0, 12))
    query_chroms = draw(st.lists(st.sampled_from(QUERY_CHROMS), min_size=n, max_size=n))
    positions = draw(st.lists(st.integers(-3, 320), min_size=n, max_size=n))
    gap, span = draw(st.integers(0, 50)), draw(st.integers(1, 400))
    return sizes, entries, query_chroms, positions, gap, span


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("track_property")


@settings(max_examples=1000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=tracks_and_queries())
def test_lookup_is_right_or_input_error(scratch, case):
    sizes, entries, query_chroms, positions, gap, span = case
    path = write_bigwig_entries(scratch / "t.bw", sizes, entries)
    names = [next((a for a in chrom_aliases(c) if a in sizes), None) for c in query_chroms]
    bad = any(n is None or not 0 <= p < sizes[n] for n, p in zip(names, positions))
    with AnnotationTrack(path, max_gap=gap, max_span=span) as track:
        try:
            got = track.values_at(query_chroms, np.array(positions, dtype=np.int64))
        except InputError as err:
            assert bad, err
            assert str(err).startswith(str(path)) and "\n" not in str(err)
            return
    assert not bad
    bw = pyBigWig.open(str(path))
    want = [(bw.values(n, p, p + 1) or [np.nan])[0] for n, p in zip(names, positions)]
    bw.close()
    np.testing.assert_array_equal(got, np.array(want, dtype=np.float64))
