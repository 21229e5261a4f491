"""Region and fraction splits: parsing, no window straddling or sharing context across splits,
errors that name the keys to change, and the real one-chromosome hg38 segment split by region."""

import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brainresnet_tf.data.splits import DROPPED, TEST, TRAIN, VALID, bin_splits, parse_regions, split_layout
from brainresnet_tf.data.targets import Profile
from brainresnet_tf.data.windows import WindowSpec, build_window_table, check_spec, check_splits, table_notes
from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import Genome
from tests.toy_data import write_fasta, write_text


def _one_chrom(tmp_path, size=60_000, every=1000):
    """One chromosome of random sequence with a 200 bp peak every ``every`` bp."""
    rng = np.random.default_rng(5)
    g = Genome(write_fasta(tmp_path / "one.fa", {"chr2": "".join(rng.choice(list("ACGT"), size))}), tmp_path)
    peaks = write_text(
        tmp_path / "p.bed", "".join(f"chr2\t{s}\t{s + 200}\n" for s in range(400, size - 400, every))
    )
    return g, [Profile("p", peaks=peaks)]


def _assert_no_shared_context(table):
    """Windows (and bins) of different splits never overlap, on every chromosome."""
    lo = np.minimum(table.start, table.window_start)
    hi = np.maximum(table.start + table.bin_size, table.window_start + table.context)
    for c in np.unique(table.chrom_code):
        rows = np.flatnonzero(table.chrom_code == c)
        order = rows[np.argsort(lo[rows])]
        # sweep: a window overlapping an earlier window of another split is a leak
        reach = {}
        for i in order:
            for split, end in reach.items():
                assert split == table.split_code[i] or end <= lo[i], "windows of two splits overlap"
            reach[table.split_code[i]] = max(reach.get(table.split_code[i], 0), hi[i])


def test_parse_regions_forms(genome, tmp_path):
    bed = write_text(tmp_path / "r.bed", "chr1\t100\t200\n1\t150\t300\n")
    got = parse_regions(("chr2:1-1,000", "chr1:4001-4500", str(bed), "chr2"), genome, "valid_regions")
    assert got["chr2"] == [(0, 3000)]  # the whole chromosome swallows chr2:1-1,000
    assert got["chr1"] == [(100, 300), (4000, 4500)]  # BED rows merged; 1-based inclusive -> BED
    for bad, message in [
        ("chr1:0-10", "1-based and inclusive"),
        ("chr1:20-10", "start <= end"),
        ("chr1:1-9000", "runs past the end of chr1"),
        ("chr9:1-10", "chromosome 'chr9' is not in genome"),
        ("chr1:1-", "neither chrom:start-end"),
        ("missing.bed", "neither chrom:start-end"),
    ]:
        with pytest.raises(InputError, match=rf"windows.valid_regions: .*{message}"):
            parse_regions((bad,), genome, "valid_regions")


def test_region_splits_one_chromosome(tmp_path):
    g, profiles = _one_chrom(tmp_path)
    spec = WindowSpec(
        context=1000,
        valid_regions=("chr2:20001-30000",),
        test_regions=("chr2:40101-50000",),  # not on the bin grid: the bin at 40000 straddles
        negative_ratio=1.0,
    )
    table = build_window_table(g, profiles, spec, progress=False)
    counts = np.bincount(table.split_code, minlength=3)
    assert counts.all()
    valid, test = table.split_code == VALID, table.split_code == TEST
    # every window of a held-out split lies inside its region
    assert (table.window_start[valid] >= 20000).all() and (table.window_start[valid] + 1000 <= 30000).all()
    assert (table.window_start[test] >= 40100).all() and (table.window_start[test] + 1000 <= 50000).all()
    _assert_no_shared_context(table)
    # bins whose 1000 bp context crosses a boundary are dropped and counted: 2 bins on each side of
    # each of the 3 grid-aligned boundaries, and 2 + 3 (with the straddling bin) at 40,100
    dropped = table.meta["dropped_at_boundaries"]
    assert dropped == 4 * 3 + 5
    assert any(f"dropped {dropped:,} bins at split boundaries" in n for n in table_notes(table, spec))


def test_fraction_blocks_are_seeded_contiguous_and_disjoint(tmp_path):
    g, profiles = _one_chrom(tmp_path, size=200_000)
    spec = WindowSpec(context=600, valid_fraction=0.2, test_fraction=0.2, block_size=10_000, seed=3)
    table = build_window_table(g, profiles, spec, progress=False)
    again = build_window_table(g, profiles, spec, progress=False)
    np.testing.assert_array_equal(table.split_code, again.split_code)
    other = build_window_table(g, profiles, WindowSpec(**{**spec.__dict__, "seed": 4}), progress=False)
    assert not np.array_equal(table.split_code, other.split_code)
    layout = split_layout(g, ["chr2"], spec)
    for split in (VALID, TEST):
        blocks = layout.intervals["chr2"][split]
        assert sum(e - s for s, e in blocks) >= 0.2 * 200_000  # at least the fraction asked
        assert all(s % 10_000 == 0 for s, _ in blocks)
    _assert_no_shared_context(table)
    share = np.bincount(table.split_code, minlength=3) / len(table)
    assert 0.1 < share[VALID] < 0.35 and 0.1 < share[TEST] < 0.35


def test_bin_splits_by_hand(tmp_path):
    g, _ = _one_chrom(tmp_path, size=5000)
    spec = WindowSpec(bin_size=100, context=300, valid_regions=("chr2:1001-2000",))
    layout = split_layout(g, ["chr2"], spec)
    codes = bin_splits(layout, "chr2", 5000, np.arange(0, 5000, 100), 100, 300)
    # context 300 around bin b*100: [b*100 - 100, b*100 + 200); valid territory [1000, 2000)
    expect = np.full(50, TRAIN, np.uint8)
    expect[10:20] = VALID
    expect[[9, 10, 19, 20]] = DROPPED  # 900 reaches 1000; 1000 reaches 900; 1900 / 2000 likewise
    np.testing.assert_array_equal(codes, expect)


def test_split_errors_point_to_the_keys(genome, tmp_path):
    a = write_text(tmp_path / "a.bed", "chr1\t2000\t2200\nchr2\t400\t600\n")
    profiles = [Profile("a", peaks=a)]
    cases = [
        (
            {"valid_chroms": ("chr2",), "test_chroms": ("chr2",)},
            r"both windows.valid_chroms and windows.test_chroms; .*valid_regions.*valid_fraction",
        ),
        (
            {"valid_regions": ("chr1:1-1000",), "test_regions": ("chr1:901-2000",)},
            r"valid_regions and windows.test_regions overlap at chr1:901-1000",
        ),
        (
            {"test_chroms": ("chr2",), "valid_regions": ("chr2:1-100",)},
            r"windows.valid_regions: regions on chr2, which windows.test_chroms already holds out",
        ),
        (
            {"valid_fraction": 0.2, "test_fraction": 0.2, "block_size": 5000},
            r"only 2 blocks of windows.block_size=5,000 bp .* lower windows.block_size",
        ),
        ({"chroms": ("chr1",), "valid_regions": ("chr2:1-100",)}, r"chr2 is not among the chromosomes"),
    ]
    for fields, message in cases:
        with pytest.raises(InputError, match=message):
            build_window_table(genome, profiles, WindowSpec(**fields), progress=False)


def test_empty_splits_name_the_keys(genome, tmp_path):
    a = write_text(tmp_path / "a.bed", "chr1\t2000\t2200\nchr2\t400\t600\n")
    profiles = [Profile("a", peaks=a)]
    spec = WindowSpec(context=200)
    table = build_window_table(genome, profiles, spec, progress=False)
    with pytest.raises(InputError, match=r"no validation split: set windows.valid_chroms .*valid_regions"):
        check_splits(table, spec)
    spec = WindowSpec(context=200, valid_chroms=("chr1",), test_chroms=("chr2",))
    table = build_window_table(genome, profiles, spec, progress=False)
    with pytest.raises(InputError, match=r"training split is empty: .*valid_regions / test_regions"):
        check_splits(table, spec)


@pytest.mark.parametrize(
    "field, value",
    [
        ("bin_size", 0),
        ("context", -5),
        ("negative_ratio", -1.0),
        ("valid_fraction", 1.0),
        ("min_overlap", 0.0),
        ("block_size", 0),
        ("target", "counts"),
        ("negative_ratio", float("nan")),
    ],
)
def test_spec_values_are_checked(field, value, genome):
    with pytest.raises(InputError, match=rf"'windows.{field}' is"):
        check_spec(WindowSpec(**{field: value}))
    with pytest.raises(InputError, match=rf"'windows.{field}' is"):  # a table is never built from it
        build_window_table(genome, [Profile("a", peaks="a.bed")], WindowSpec(**{field: value}))
    with pytest.raises(InputError, match="expected less than 1 \\(sequence left for training\\)"):
        check_spec(WindowSpec(valid_fraction=0.5, test_fraction=0.5))
    with pytest.raises(InputError, match=r"'windows.test_regions' is 'chr1:1-'; expected chrom:start-end"):
        check_spec(WindowSpec(test_regions=("chr1:1-",)))


def test_real_hg38_segment_split_by_regions(real_data, tmp_path):
    """The newcomer's case: one chromosome, validation and test as regions of it."""
    g = Genome(real_data / "hg38_chr2_1-2333275" / "chr2_1-2333275.fa.gz", cache_dir=tmp_path)
    folder = real_data / "brain_peaks_hg38_chr2_0-2.33Mb"
    profiles = [
        Profile("NeuN", peaks=folder / "NeuN_ATAC_Nott2019.hg38.chr2_0-2333275.bed"),
        Profile("GM12878", peaks=folder / "GM12878_ATAC_SRR891278_ataqv.hg38.chr2_0-2333275.bed"),
    ]
    bed = write_text(tmp_path / "test.bed", "chr2\t1600000\t2333275\n")
    spec = WindowSpec(valid_regions=("chr2:800,001-1,600,000",), test_regions=(str(bed),), negative_ratio=2.0)
    table = build_window_table(g, profiles, spec, progress=False)
    check_splits(table, spec, ("train", "valid", "test"))
    summary = table.summary().set_index("split")
    assert (summary["windows"] > 0).all() and (summary["GM12878"] > 0).all()
    starts = {s: table.start[table.split_code == i] for i, s in enumerate(("train", "valid", "test"))}
    assert (starts["valid"] >= 800_000).all() and (starts["valid"] < 1_600_000).all()
    assert (starts["test"] >= 1_600_000).all() and (starts["train"] < 800_000).all()
    _assert_no_shared_context(table)
    assert table.meta["dropped_at_boundaries"] > 0
    notes = table_notes(table, spec)
    # tiny data is warned about, with the numbers and what to change
    assert any(n.startswith(f"warning: only {(table.split_code == 0).sum()} training windows") for n in notes)
    assert any(n.startswith("warning: few test positives (GM12878 5;") for n in notes)


# -- property tests: any spec value or region text is accepted validly or refused with our error ------
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.lists(st.integers(), max_size=2),
)
_SCALARS = [
    "bin_size",
    "context",
    "min_overlap",
    "target",
    "negative_ratio",
    "gc_matched",
    "max_n_fraction",
    "signal_quantile",
    "valid_fraction",
    "test_fraction",
    "block_size",
    "seed",
]


@settings(max_examples=2000, deadline=None)
@given(fields=st.dictionaries(st.sampled_from(_SCALARS), _VALUES, max_size=3))
def test_window_spec_any_values(fields):
    spec = WindowSpec(**fields)
    try:
        check_spec(spec)
    except InputError:
        return
    assert spec.bin_size >= 1 and spec.context >= 1 and spec.negative_ratio >= 0
    assert 0 <= spec.valid_fraction + spec.test_fraction < 1
    np.random.default_rng(spec.seed)  # usable as it is


_REGION_TEXT = st.one_of(
    st.builds(
        lambda c, a, b, comma: f"{c}:{a:,}-{b:,}" if comma else f"{c}:{a}-{b}",
        st.sampled_from(["chr1", "chr2", "1", "chrZ", ""]),
        st.integers(-5, 6000),
        st.integers(-5, 6000),
        st.booleans(),
    ),
    st.sampled_from(["chr1", "chr2", "2", "chr1:", ":1-2", "chr1:1-", "chr1:1-2-3", "a/b.bed", "."]),
    st.text(max_size=20),
)


@lru_cache(maxsize=1)
def _fuzz_genome():
    folder = Path(tempfile.mkdtemp(prefix="splitfuzz"))
    return Genome(
        write_fasta(folder / "g.fa", {"chr1": "ACGT" * 1250, "chr2": "ACGT" * 750}), cache_dir=folder
    )


@settings(max_examples=2000, deadline=None)
@given(items=st.lists(_REGION_TEXT, max_size=3), key=st.sampled_from(["valid_regions", "test_regions"]))
def test_parse_regions_any_text(items, key):
    g = _fuzz_genome()
    try:
        got = parse_regions(tuple(items), g, key)
    except InputError as err:
        assert f"windows.{key}" in str(err)
        return
    for chrom, ivs in got.items():
        assert all(0 <= s < e <= g.chrom_sizes[chrom] for s, e in ivs)
        assert all(a[1] < b[0] for a, b in zip(ivs, ivs[1:]))  # merged, sorted
