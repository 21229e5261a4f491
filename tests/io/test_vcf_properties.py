"""Property tests (hypothesis) of the VCF reader: for any generated file (plausible records, odd
alleles, wrong REFs, unknown chromosomes, indels past chromosome ends, binary junk, gzip), it
returns valid, normalised alleles or raises our one-line InputError, never anything else."""

from __future__ import annotations

import gzip
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.vcf import VcfReader
from tests.toy_data import check_read_variants, fresh_file, write_fasta

rng = np.random.default_rng(11)
SEQS = {
    "chr1": "".join(rng.choice(list("ACGT"), 150)),
    "chr2": "ACACACACAC" + "N" * 10 + "".join(rng.choice(list("ACGT"), 30)) + "TTTTT",
}
SETTINGS = settings(
    max_examples=1500,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def fuzz_genome(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzzvcf")
    return Genome(write_fasta(d / "g.fa", SEQS), cache_dir=d), d


# Each line is built from one drawn integer (a seed for random.Random): hypothesis' per-draw cost
# on these shared machines (~0.3 ms) would otherwise make thousands of examples take minutes. The
# pools hold the odd values; the seeds still shrink, and failures print the file.
CHROMS = ["chr1", "chr2", "1", "2", "chrZ", "MT", "", "chr1 ", "\u00e9", "chr1\x00"]
ODD = ["", ".", "-", " ", "R", "a", "ACGU", "\u00e9A", "\x00", "1O0", "NN", "<", "[", "A,", ",", "\ufffd"]
SYMBOLIC = [".", "*", "<DEL>", "<INS:ME>", "A[chr2:5[", "]chr1:3]T", "A.", ".A", "-", "R", ""]
POS_ODD = ["0", "-3", "1e3", "+5", " 5", "5.0", "\u0661\u0662", str(10**30), ""]


def _bases(rnd: random.Random, n: int) -> str:
    return "".join(rnd.choice("ACGT" if rnd.random() < 0.8 else "ACGTNacgtn") for _ in range(n))


def vcf_line(seed: int) -> str:
    """A VCF data line: mostly plausible records on the genome (SNVs, MNVs, indels, the same
    indel spelled left or right in a repeat), with odd chromosomes, positions, alleles, columns."""
    rnd = random.Random(seed)
    chrom = rnd.choice(CHROMS[:4]) if rnd.random() < 0.8 else rnd.choice(CHROMS)
    seq = SEQS.get(chrom, SEQS["chr1"])
    pos = rnd.randint(1, len(seq) + 3)
    pos_text = str(pos) if rnd.random() < 0.85 else rnd.choice(POS_ODD)
    ref = seq[pos - 1 : pos - 1 + rnd.choice([1, 1, 2, 3, 6, 9])] or "A"
    if rnd.random() < 0.15:
        ref = rnd.choice(ODD) if rnd.random() < 0.5 else _bases(rnd, rnd.randint(1, 4))
    alts = []
    for _ in range(rnd.choice([1, 1, 1, 2, 3])):
        mode = rnd.random()
        if mode < 0.25:  # an insertion after the first REF base
            alts.append(ref[:1] + _bases(rnd, rnd.randint(1, 8)))
        elif mode < 0.45:  # a deletion (or a shorter substitution)
            alts.append(ref[: rnd.randint(1, max(len(ref) - 1, 1))])
        elif mode < 0.7:  # same length: an SNV or MNV
            alts.append(_bases(rnd, len(ref)))
        elif mode < 0.8:
            alts.append(ref + _bases(rnd, rnd.randint(1, 60)))  # sometimes past --max-indel
        elif mode < 0.9:
            alts.append(rnd.choice(SYMBOLIC))
        else:
            alts.append(rnd.choice(ODD))
    fields = [chrom, pos_text, rnd.choice(["rs1", ".", "x y"]), ref, ",".join(alts), ".", "PASS", "AC=1"]
    if rnd.random() < 0.05:
        fields = fields[: rnd.randint(1, 5)]  # too few columns
    return (" " if rnd.random() < 0.05 else "\t").join(fields)


@st.composite
def vcf_file(draw) -> bytes:
    kind, header, crlf = draw(st.tuples(st.integers(0, 19), st.booleans(), st.booleans()))
    if kind == 0:
        return draw(st.binary(max_size=200))  # junk
    lines = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT"] if header else []
    lines += [vcf_line(seed) for seed in draw(st.lists(st.integers(0, 2**32), max_size=8))]
    data = ("\r\n" if crlf else "\n").join(lines).encode("utf-8", errors="replace")
    if kind in (1, 2, 3):
        data = gzip.compress(data)
        if kind == 3:
            data = data[: len(data) // 2]  # truncated gzip
    return data


def read(data: bytes, genome: Genome, folder, strict: bool, max_indel: int):
    path = fresh_file(folder, "fuzz.vcf", data)
    try:
        reader = VcfReader(path, genome, strict=strict, max_indel=max_indel)
        variants = list(reader)
    except InputError as err:
        assert "\n" not in str(err) and str(err)
        return None
    finally:
        path.unlink()
    check_read_variants(variants, reader.stats, SEQS)
    return variants


@SETTINGS
@given(data=vcf_file(), strict=st.booleans(), max_indel=st.sampled_from([0, 3, 50]))
def test_vcf_reader_returns_valid_alleles_or_input_error(fuzz_genome, data, strict, max_indel):
    genome, folder = fuzz_genome
    read(data, genome, folder, strict, max_indel)


@SETTINGS
@given(seeds=st.lists(st.integers(0, 2**32), min_size=1, max_size=6))
def test_vcf_reader_normalises_any_plausible_record(fuzz_genome, seeds):
    """Plausible files only (no junk): the same checks, and what a strict read accepts is read
    the same without --strict."""
    genome, folder = fuzz_genome
    data = ("#CHROM\tPOS\tID\tREF\tALT\n" + "\n".join(map(vcf_line, seeds)) + "\n").encode()
    strict = read(data, genome, folder, True, 50)
    loose = read(data, genome, folder, False, 50)
    if strict is not None:
        assert loose == strict
