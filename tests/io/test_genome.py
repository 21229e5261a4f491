import numpy as np
import pytest

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import (
    Genome,
    check_dna,
    chrom_aliases,
    encode,
    gather_windows,
    one_hot,
    one_hot_sequence,
    reverse_complement_codes,
)


def test_one_hot_handles_case_and_n():
    x = one_hot_sequence("ACgtN")
    assert x.shape == (5, 4)
    np.testing.assert_array_equal(x[:4], np.eye(4))
    assert x[4].sum() == 0


def test_reverse_complement_codes():
    codes = encode("AACGTN")
    assert "".join("ACGTN"[c] for c in reverse_complement_codes(codes)) == "NACGTT"
    # reverse complement of one-hot == flipping both axes (A,C,G,T order)
    np.testing.assert_array_equal(one_hot(reverse_complement_codes(codes)), one_hot(codes)[::-1, ::-1])


def test_aliases():
    assert "1" in chrom_aliases("chr1") and "chr1" in chrom_aliases("1")
    assert "MT" in chrom_aliases("chrM") and "chrM" in chrom_aliases("MT")


def test_check_dna_rejects_other_letters():
    check_dna("ACGTNacgtn")
    with pytest.raises(InputError, match="non-ACGTN"):
        check_dna("ACGTX")


def test_genome_cache_matches_fasta(tiny_genome, tmp_path):
    path, seqs = tiny_genome
    g = Genome(path, cache_dir=tmp_path / "cache")
    assert g.chrom_sizes == {"chr1": 5000, "chr2": 3000}
    codes = g.codes
    assert codes.dtype == np.uint8 and isinstance(codes, np.memmap)
    np.testing.assert_array_equal(codes[:5000], encode(seqs["chr1"]))
    np.testing.assert_array_equal(codes[5000:], encode(seqs["chr2"]))
    assert list(tmp_path.joinpath("cache").glob("*.codes.u8"))
    # a second instance reads the cache instead of re-encoding
    g2 = Genome(path, cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(g2.codes, codes)
    assert g.fetch("chr1", 1000, 1010) == seqs["chr1"][1000:1010]


def test_windows_past_chromosome_ends_are_padded_with_n(tiny_genome, tmp_path):
    path, seqs = tiny_genome
    g = Genome(path, cache_dir=tmp_path)
    w = g.window_codes("chr2", np.array([-3, 2995, 10]), 10)
    np.testing.assert_array_equal(w[0, :3], [4, 4, 4])
    np.testing.assert_array_equal(w[0, 3:], encode(seqs["chr2"][:7]))
    np.testing.assert_array_equal(w[1, :5], encode(seqs["chr2"][2995:]))
    np.testing.assert_array_equal(w[1, 5:], [4] * 5)  # not chr1's or anything else's bases
    np.testing.assert_array_equal(w[2], encode(seqs["chr2"][10:20]))
    assert g.fetch("chr2", 2995, 3005) == seqs["chr2"][2995:] + "NNNNN"
    mixed = g.codes_at(np.array(["chr2", "chr1"]), np.array([10, 10]), 10)
    np.testing.assert_array_equal(mixed[1], encode(seqs["chr1"][10:20]))


def test_gather_windows_bounds():
    codes = np.arange(20, dtype=np.uint8) % 4
    out = gather_windows(codes, np.array([8]), 4, np.array([10]), np.array([20]))
    np.testing.assert_array_equal(out[0], [4, 4, codes[10], codes[11]])


def test_resolve_suggests_alias_and_close_names(tiny_genome, tmp_path):
    g = Genome(tiny_genome[0], cache_dir=tmp_path)
    assert g.resolve("1") == "chr1"
    with pytest.raises(InputError, match="chromosome 'chr3' is not in genome tiny.fa"):
        g.resolve("chr3")
    with pytest.raises(
        InputError, match=r"peaks.bed:7: .*runs past the end of chr2 \(expected end <= 3000\)"
    ):
        g.check_interval("chr2", 2900, 3100, "peaks.bed", 7)


def test_composition(tiny_genome, tmp_path):
    path, seqs = tiny_genome
    g = Genome(path, cache_dir=tmp_path)
    gc, n_frac = g.composition("chr1", np.array([100, 2000]), 50)
    assert np.isnan(gc[0]) and n_frac[0] == 1.0
    s = seqs["chr1"][2000:2050]
    assert gc[1] == pytest.approx((s.count("G") + s.count("C")) / 50)


def test_missing_fasta_is_clear(tmp_path):
    with pytest.raises(InputError, match="genome FASTA not found"):
        Genome(tmp_path / "nope.fa")


def test_real_bgzipped_soft_masked_segment(real_data, tmp_path):
    fa = real_data / "hg38_chr2_1-2333275" / "chr2_1-2333275.fa.gz"
    g = Genome(fa, cache_dir=tmp_path)
    assert g.chrom_sizes == {"chr2": 2333275}
    assert g.resolve("2") == "chr2"
    codes = g.codes
    assert (codes[:10000] == 4).all()  # first 10 kb are N
    seq = g.fetch("chr2", 200000, 200500)
    assert any(c.islower() for c in seq) or any(c.isupper() for c in seq)
    np.testing.assert_array_equal(codes[200000:200500], encode(seq))
