import gzip
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
from tests.toy_data import write_fasta


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


def _fasta_text(seqs, width=60):
    return "".join(
        f">{n}\n" + "".join(s[i : i + width] + "\n" for i in range(0, len(s), width)) for n, s in seqs.items()
    )


def test_replaced_fasta_with_a_newer_old_index_is_reindexed(tmp_path):
    rng = np.random.default_rng(2)
    old = {"chr1": "".join(rng.choice(list("ACGT"), 500)), "chr2": "".join(rng.choice(list("ACGT"), 300))}
    new = {"chr1": "".join(rng.choice(list("ACGT"), 200)), "chr2": "".join(rng.choice(list("ACGT"), 700))}
    fa = write_fasta(tmp_path / "g.fa", old)
    assert Genome(fa, cache_dir=tmp_path).notes == []
    (tmp_path / "new.fa").write_text(_fasta_text(new))
    os.replace(tmp_path / "new.fa", fa)
    os.utime(f"{fa}.fai")  # the old index is newer than the FASTA: pyfaidx alone would trust it
    g = Genome(fa, cache_dir=tmp_path)
    assert g.chrom_sizes == {"chr1": 200, "chr2": 700}
    assert "g.fa.fai did not describe g.fa" in g.notes[0] and "rebuilt" in g.notes[0]
    assert g.fetch("chr2", 0, 700) == new["chr2"]
    np.testing.assert_array_equal(g.codes[200:], encode(new["chr2"]))


def test_replaced_bgzipped_fasta_is_reindexed(tmp_path):
    from Bio import bgzf

    rng = np.random.default_rng(3)

    def write(path, seqs):
        with bgzf.BgzfWriter(str(path), "wb") as fh:
            fh.write(_fasta_text(seqs).encode())

    fa = tmp_path / "g.fa.gz"
    write(fa, {"chr1": "".join(rng.choice(list("ACGT"), 150_000)), "chr2": "A" * 90_000})
    Genome(fa, cache_dir=tmp_path)
    new = {
        "chr1": "".join(rng.choice(list("ACGT"), 90_000)),
        "chr2": "".join(rng.choice(list("ACGT"), 200_000)),
    }
    write(tmp_path / "n.fa.gz", new)
    os.replace(tmp_path / "n.fa.gz", fa)
    os.utime(f"{fa}.fai")
    os.utime(f"{fa}.gzi")
    g = Genome(fa, cache_dir=tmp_path)
    assert g.chrom_sizes == {"chr1": 90_000, "chr2": 200_000} and g.notes
    assert g.fetch("chr2", 150_000, 150_050) == new["chr2"][150_000:150_050]


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("uneven.fa", b">x\nACGT\nAC\nACGT\nA\n", r"uneven line lengths in record x at line 3"),
        ("longer.fa", b">chr1\nA\nAAA\n\n>y\nA\n", r"record chr1 does not end at byte 14.*rewrap"),
        ("text.fa", b"hello\n>x\nACGT\n", r"text.fa:1: text before the first '>' header"),
        ("dup.fa", b">x\nACGT\n>x\nAC\n", r"record name \"x\" appears more than once"),
        ("empty.fa", b">x\n>y\n", r"every FASTA record is empty"),
        ("utf16.fa", ">x\nACGT\n".encode("utf-16"), r"utf16.fa: not a text FASTA \(binary .*UTF-16\)"),
        ("accent.fa", ">x\nACGTé\n".encode(), r"record x has non-ASCII bytes"),
        (
            "plain.fa.gz",
            gzip.compress(b">x\nACGT\n", mtime=0),
            r"plain gzip, .* gunzip plain.fa.gz && bgzip plain.fa",
        ),
        ("raw.fa.gz", b">x\nACGT\n", r"named .gz but not compressed"),
    ],
)
def test_fasta_index_failures_say_their_cause(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        _ = Genome(path, cache_dir=tmp_path).codes


def test_unwritable_folder_is_named_as_the_cause(tmp_path, monkeypatch):
    import pyfaidx

    fa = write_fasta(tmp_path / "g.fa", {"chr1": "ACGT" * 30})

    def refuse(self, mode):  # what a read-only folder does (tests may run as root, where chmod does not)
        raise PermissionError(13, "Permission denied", self.indexname)

    monkeypatch.setattr(pyfaidx.Faidx, "_open_fai", refuse)
    with pytest.raises(InputError, match=r"g.fa.fai cannot be written beside it \(folder not writable\)"):
        Genome(fa, cache_dir=tmp_path)
    assert not list(tmp_path.glob(".*tmp-*"))  # no temporary index left behind


# -- property tests: any FASTA gives a genome whose codes match its records, or our one-line error -----
_SEQ_LINE = st.text(alphabet="ACGTNacgtnRY- *", max_size=12)
_HEADER = st.one_of(
    st.sampled_from(["chr1", "chr2", "x y", "", " ", "chr1 description"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=6),
)
_RECORD = st.tuples(_HEADER, st.lists(_SEQ_LINE, max_size=5))
_WRAPPED = st.tuples(
    st.lists(
        st.tuples(st.text(alphabet="ACGTNacgtn", min_size=1, max_size=200), st.integers(1, 70)), min_size=1
    ),
    st.booleans(),
).map(
    lambda spec: "".join(
        f">r{i}{' desc' if spec[1] else ''}\n" + "".join(seq[j : j + w] + "\n" for j in range(0, len(seq), w))
        for i, (seq, w) in enumerate(spec[0])
    )
)
_FASTA = st.one_of(
    _WRAPPED,
    st.lists(_RECORD, min_size=1, max_size=4).map(
        lambda recs: "".join(f">{h}\n" + "".join(line + "\n" for line in lines) for h, lines in recs)
    ),
    st.text(max_size=60),
)


def _reference(text: str) -> dict[str, str] | None:
    """What a well-formed FASTA holds, by hand (None when it is not plainly well formed)."""
    records: dict[str, str] = {}
    name = None
    for line in text.split("\n"):
        if line.startswith(">"):
            name = line[1:].split()[0] if line[1:].split() else None
            if name is None or name in records:
                return None
            records[name] = ""
        elif name is not None:
            records[name] += line
        elif line:
            return None
    return records


@settings(max_examples=1500, deadline=None)
@given(text=_FASTA, bgzip=st.booleans(), crlf=st.booleans())
def test_genome_any_fasta(text, bgzip, crlf):
    folder = Path(tempfile.mkdtemp(prefix="fafuzz"))
    try:
        data = text.replace("\n", "\r\n" if crlf else "\n").encode("utf-8", errors="surrogatepass")
        path = folder / ("g.fa.gz" if bgzip else "g.fa")
        if bgzip:
            from Bio import bgzf

            with bgzf.BgzfWriter(str(path), "wb") as fh:
                fh.write(data)
        else:
            path.write_bytes(data)
        try:
            g = Genome(path, cache_dir=folder)
            codes = np.asarray(g.codes)
        except InputError:
            return
        assert len(codes) == sum(g.chrom_sizes.values()) > 0
        expect = _reference(text)
        if expect is not None and set(expect) == set(g.chrom_sizes):
            for name, seq in expect.items():
                lo = g.offset(name)
                np.testing.assert_array_equal(codes[lo : lo + len(seq)], encode(seq))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
