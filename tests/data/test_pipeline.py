import numpy as np
import pytest

from brainresnet_tf.data.pipeline import WindowSource, make_dataset, mask_flanks, steps_per_epoch
from brainresnet_tf.data.windows import WindowTable
from brainresnet_tf.io.genome import Genome, encode, one_hot


@pytest.fixture
def source(tiny_genome, tmp_path):
    g = Genome(tiny_genome[0], cache_dir=tmp_path)
    starts = np.arange(0, 4800, 200)
    table = WindowTable(
        ["p"],
        np.array(["chr1"] * len(starts)),
        starts,
        (starts[:, None] / 200).astype(np.float32),
        np.array(["train"] * len(starts)),
        200,
        400,
    )
    return WindowSource(g, table), tiny_genome[1]


def _collect(ds):
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds])
    return np.concatenate(xs), np.concatenate(ys)


def test_windows_are_the_genome_one_hot(source):
    src, seqs = source
    x, y = _collect(make_dataset(src, 5))
    assert x.shape == (24, 400, 4) and x.dtype == np.float32 and y.shape == (24, 1)
    for i in (0, 7, 23):
        lo = i * 200 + 100 - 200
        expect = seqs["chr1"][max(lo, 0) : lo + 400].upper()
        expect = "N" * (400 - len(expect)) + expect if lo < 0 else expect.ljust(400, "N")
        np.testing.assert_array_equal(x[i], one_hot(encode(expect)))
        assert y[i, 0] == i
    assert steps_per_epoch(src, 5) == 5


def test_shuffle_and_augment_are_deterministic_and_label_preserving(source):
    src, _ = source
    plain_x, plain_y = _collect(make_dataset(src, 6))
    a = _collect(make_dataset(src, 6, shuffle=True, rc_augment=True, seed=7))
    b = _collect(make_dataset(src, 6, shuffle=True, rc_augment=True, seed=7))
    c = _collect(make_dataset(src, 6, shuffle=True, rc_augment=True, seed=8))
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[1], c[1])
    n_flipped = 0
    for x, y in zip(*a):
        j = int(y[0])  # the label identifies the window: each is itself or its reverse complement
        if np.array_equal(x, plain_x[j]):
            continue
        np.testing.assert_array_equal(x, plain_x[j][::-1, ::-1])
        n_flipped += 1
    assert 4 <= n_flipped <= 20


def test_epochs_reshuffle_and_first_epoch_reproduces(source):
    src, _ = source
    ds = make_dataset(src, 24, shuffle=True, seed=1)
    e0 = _collect(ds)[1][:, 0]
    e1 = _collect(ds)[1][:, 0]
    assert not np.array_equal(e0, e1)
    resumed = _collect(make_dataset(src, 24, shuffle=True, seed=1, first_epoch=1))[1][:, 0]
    np.testing.assert_array_equal(resumed, e1)


def test_sharding_splits_batches(source):
    src, _ = source
    y0 = _collect(make_dataset(src, 4, shard=(0, 2)))[1]
    y1 = _collect(make_dataset(src, 4, shard=(1, 2)))[1]
    assert sorted(np.concatenate([y0, y1])[:, 0].tolist()) == list(range(24))
    assert len(y0) == len(y1) == 12


def test_pipeline_on_real_hg38_segment_matches_pyfaidx(real_data, tmp_path):
    from brainresnet_tf.data.targets import Profile
    from brainresnet_tf.data.windows import WindowSpec, build_window_table

    g = Genome(real_data / "hg38_chr2_1-2333275" / "chr2_1-2333275.fa.gz", cache_dir=tmp_path)
    peaks = real_data / "brain_peaks_hg38_chr2_0-2.33Mb" / "NeuN_ATAC_Nott2019.hg38.chr2_0-2333275.bed"
    table = build_window_table(g, [Profile("NeuN", peaks=peaks)], WindowSpec(context=1000), progress=False)
    src = WindowSource(g, table)
    x, y = _collect(make_dataset(src, 32))
    assert x.shape == (len(table), 1000, 4)
    np.testing.assert_array_equal(y, table.labels)
    for i in range(0, len(table), max(1, len(table) // 10)):
        lo = int(table.window_start[i])
        expect = one_hot(encode(g.fetch("chr2", lo, lo + 1000)))  # soft-masked bases encode as upper
        np.testing.assert_array_equal(x[i], expect)


def _rows_by_label(batches) -> dict[int, np.ndarray]:
    """Window codes keyed by their label (each test window's label is its row number)."""
    return {int(y[0]): x for codes, labels in batches for x, y in zip(codes, labels)}


def test_random_substitutions_are_seeded_bounded_and_keep_n(source):
    src, _ = source
    plain = _rows_by_label(src.batches(6, shuffle=False, rc_augment=False, seed=3))
    mutated = _rows_by_label(src.batches(6, shuffle=False, rc_augment=False, seed=3, mutate=0.2))
    again = _rows_by_label(src.batches(6, shuffle=False, rc_augment=False, seed=3, mutate=0.2))
    next_epoch = _rows_by_label(src.batches(6, shuffle=False, rc_augment=False, seed=3, epoch=1, mutate=0.2))
    a, b = np.stack([plain[j] for j in range(24)]), np.stack([mutated[j] for j in range(24)])
    bases = a < 4
    assert (a == 4).any() and (b[~bases] == 4).all()  # N padding stays N; no base becomes N
    changed = (a != b)[bases].mean()
    assert 0.11 < changed < 0.19  # each base redrawn with p 0.2, 3/4 of redraws change it
    assert all((again[j] == mutated[j]).all() for j in range(24))
    assert not all((next_epoch[j] == mutated[j]).all() for j in range(24))


def test_random_substitutions_do_not_depend_on_batch_size_or_shard(source):
    src, _ = source
    args = dict(shuffle=True, rc_augment=True, seed=5, jitter=3, mutate=0.1)
    whole = _rows_by_label(src.batches(6, **args))
    sharded = {
        **_rows_by_label(src.batches(3, shard=(0, 2), **args)),
        **_rows_by_label(src.batches(3, shard=(1, 2), **args)),
    }
    assert sorted(whole) == sorted(sharded) == list(range(24))
    assert all((whole[j] == sharded[j]).all() for j in range(24))


def test_flank_masks_keep_a_central_stretch_of_a_quarter_or_more():
    codes = np.zeros((400, 400), np.uint8)
    mask_flanks(codes, 0.5, seed=1, epoch=0, first_position=0)
    cut = (codes == 4).any(axis=1)
    assert 0.4 < cut.mean() < 0.6
    for row in codes[cut]:
        kept = np.flatnonzero(row < 4)
        left, right = kept.min(), 400 - kept.max() - 1
        assert len(kept) == kept.max() - kept.min() + 1  # one stretch
        assert 100 <= len(kept) < 400 and abs(left - right) <= 1  # a quarter or more, centred


def test_flank_masks_are_seeded_and_only_add_n(source):
    src, _ = source
    args = dict(shuffle=True, rc_augment=True, seed=3)
    plain = _rows_by_label(src.batches(6, **args))
    masked = _rows_by_label(src.batches(6, flank_mask=0.5, **args))
    again = _rows_by_label(src.batches(4, flank_mask=0.5, **args))
    assert all((again[j] == masked[j]).all() for j in range(24))  # whatever the batch size
    changed = [j for j in range(24) if (masked[j] != plain[j]).any()]
    assert 4 <= len(changed) <= 20
    for j in changed:
        assert (masked[j][masked[j] != plain[j]] == 4).all()


def _dinucleotides(codes: np.ndarray) -> np.ndarray:
    """Counts of the 16 dinucleotides (N-free pairs) of one window."""
    a, b = codes[:-1], codes[1:]
    ok = (a < 4) & (b < 4)
    return np.bincount(a[ok] * 4 + b[ok], minlength=16)


def test_shuffled_negatives_add_shuffled_positive_windows_labelled_zero(tiny_genome, tmp_path):
    g = Genome(tiny_genome[0], cache_dir=tmp_path)
    starts = np.arange(0, 4800, 200)
    labels = np.zeros((len(starts), 2), np.float32)
    labels[::3, 0] = 1  # 8 windows positive for profile 0
    labels[1, 1] = 1  # 1 more positive for profile 1 only
    labels[4, :] = np.nan  # unknown: not a positive
    table = WindowTable(
        ["a", "b"],
        np.array(["chr1"] * len(starts)),
        starts,
        labels,
        np.array(["train"] * len(starts)),
        200,
        400,
    )
    plain = WindowSource(g, table)
    src = WindowSource(g, table, shuffled_negatives=1.0)
    assert (
        len(src) == len(plain) + 9 and len(WindowSource(g, table, shuffled_negatives=0.5)) == len(plain) + 4
    )
    codes, y = map(np.concatenate, zip(*src.batches(5, shuffle=True, rc_augment=False, seed=3)))
    assert len(codes) == len(src)
    windows = plain.codes(np.arange(len(plain)))
    extra = [i for i, row in enumerate(codes) if not any(np.array_equal(row, w) for w in windows)]
    assert len(extra) == 9  # every table window once, every shuffle differs from all of them
    assert np.all(y[extra] == 0)
    positives = windows[[0, 1, 3, 6, 9, 12, 15, 18, 21]]
    for i in extra:  # a shuffle keeps its positive window's dinucleotide counts and its N
        assert any(
            np.array_equal(_dinucleotides(codes[i]), _dinucleotides(p))
            and np.array_equal(codes[i] == 4, p == 4)
            for p in positives
        )
    again, _ = map(np.concatenate, zip(*src.batches(5, shuffle=True, rc_augment=False, seed=3)))
    np.testing.assert_array_equal(codes, again)
    other, _ = map(np.concatenate, zip(*src.batches(5, shuffle=True, rc_augment=False, seed=3, epoch=1)))
    assert not np.array_equal(np.sort(codes, axis=0), np.sort(other, axis=0))  # fresh shuffles each epoch


def test_shuffled_negatives_do_not_depend_on_batch_size_or_shard(tiny_genome, tmp_path):
    g = Genome(tiny_genome[0], cache_dir=tmp_path)
    starts = np.arange(0, 4800, 200)
    labels = (np.arange(len(starts)) % 2 == 0).astype(np.float32)[:, None]
    table = WindowTable(
        ["p"], np.array(["chr1"] * len(starts)), starts, labels, np.array(["train"] * len(starts)), 200, 400
    )
    src = WindowSource(g, table, shuffled_negatives=1.0)
    kw = dict(shuffle=True, rc_augment=True, seed=5, jitter=7, mutate=0.1)
    whole = np.concatenate([c for c, _ in src.batches(12, **kw)])
    shards = [np.concatenate([c for c, _ in src.batches(6, shard=(i, 2), **kw)]) for i in range(2)]
    merged = np.stack([shards[b % 2][(b // 2) * 6 : (b // 2) * 6 + 6] for b in range(6)]).reshape(whole.shape)
    np.testing.assert_array_equal(whole, merged)
