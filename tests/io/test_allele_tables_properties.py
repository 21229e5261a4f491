"""Property tests (hypothesis) of the variant-table reader (BED-like and TSV): for any generated
table (headers or none, 0- or 1-based coordinates, '-' alleles, odd values, junk), it returns
valid, normalised alleles or raises our one-line InputError, never anything else."""

from __future__ import annotations

import gzip
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.variant_files import open_variants
from tests.toy_data import check_read_variants, fresh_file, write_fasta

rng = np.random.default_rng(12)
SEQS = {
    "chr1": "".join(rng.choice(list("ACGT"), 150)),
    "chr2": "GAGAGAGA" + "N" * 6 + "".join(rng.choice(list("ACGT"), 30)) + "CCCCC",
}
SETTINGS = settings(
    max_examples=1500,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Rows are built from one drawn integer each (see tests/io/test_vcf_properties.py for why).
CHROMS = ["chr1", "chr2", "1", "2", "chrZ", "", "\u00e9", "chr1\x00"]
ODD = ["", ".", " ", "R", "a", "ACGU", "\u00e9A", "\x00", "1O0", "NN", "<DEL>", "A,", ",", "\ufffd", "-"]
NUM_ODD = ["-1", "1e3", "+5", " 5", "5.0", "\u0661\u0662", str(10**30), "", "x"]
HEADERS = {
    "bed": ["chrom", "start", "end", "ref", "alt", "id"],
    "bed0": ["#chrom", "start0", "end", "rsid", "ref", "alt", "fasta_base"],
    "tsv": ["chrom", "pos", "ref", "alt", "id"],
    "tsv_reordered": ["ID", "Alt", "CHROM", "Position", "Ref", "note"],
    "bad": ["chrom", "where", "ref", "alt"],
}


def _bases(rnd: random.Random, n: int) -> str:
    return "".join(rnd.choice("ACGT" if rnd.random() < 0.85 else "ACGTNacgtn") for _ in range(n))


def _row(rnd: random.Random, columns: list[str]) -> list[str]:
    """One row for ``columns`` (names as in HEADERS), mostly a plausible variant on the genome."""
    chrom = rnd.choice(CHROMS[:4]) if rnd.random() < 0.85 else rnd.choice(CHROMS)
    seq = SEQS.get(chrom, SEQS["chr1"])
    start = rnd.randint(0, len(seq) + 2)
    ref = seq[start : start + rnd.choice([0, 1, 1, 2, 4, 8])]
    if rnd.random() < 0.1:
        ref = rnd.choice(ODD)
    mode = rnd.random()
    if mode < 0.25:
        alt = ref[:1] + _bases(rnd, rnd.randint(1, 6)) if ref else _bases(rnd, rnd.randint(1, 6))
    elif mode < 0.45:
        alt = ref[:1] if len(ref) > 1 else "-"
    elif mode < 0.75:
        alt = _bases(rnd, max(len(ref), 1))
    elif mode < 0.85:
        alt = ",".join(_bases(rnd, rnd.randint(1, 3)) for _ in range(rnd.randint(1, 3)))
    else:
        alt = rnd.choice(ODD)
    end = start + len(ref)
    values = {
        "chrom": chrom,
        "start": str(start),
        "start0": str(start),
        "end": str(end if rnd.random() < 0.9 else end + rnd.choice([-1, 1])),
        "pos": str(start + 1),
        "position": str(start + 1),
        "ref": ref or "-",
        "alt": alt,
        "id": rnd.choice(["rs1", ".", "", "x y"]),
        "rsid": "rs2",
    }
    row = []
    for col in columns:
        name = col.lower().lstrip("#")
        value = values.get(name, "x")
        if name in ("start", "start0", "end", "pos", "position") and rnd.random() < 0.05:
            value = rnd.choice(NUM_ODD)
        row.append(value)
    if rnd.random() < 0.04:
        row = row[: rnd.randint(0, len(row))]  # too few columns
    return row


@st.composite
def table_file(draw) -> tuple[str, bytes, str | None]:
    """(file name, bytes, --format or None)."""
    kind, layout, seed = draw(st.tuples(st.integers(0, 19), st.integers(0, 9), st.integers(0, 2**32)))
    rnd = random.Random(seed)
    if kind == 0:
        return "junk.bed", draw(st.binary(max_size=200)), None
    header = [None, "bed", "bed0", "tsv", "tsv", "tsv_reordered", "bad", None, None, "bed"][layout]
    columns = (
        HEADERS[header] if header else ["chrom", "start", "end", "ref", "alt", "id"][: rnd.choice([5, 6])]
    )
    sep = "," if layout == 8 else "\t"
    lines = ["track name=x"] if rnd.random() < 0.1 else []
    if header:
        lines.append(sep.join(columns))
    lines += [sep.join(_row(rnd, columns)) for _ in range(rnd.randint(0, 8))]
    if rnd.random() < 0.1:
        lines.insert(rnd.randint(0, len(lines)), rnd.choice(["", "# comment", "browser x"]))
    data = "\n".join(lines).encode("utf-8", errors="replace")
    name = {8: "t.csv", 3: "t.tsv", 4: "t.txt"}.get(layout, "t.bed")
    if kind == 1:
        data, name = gzip.compress(data), name + ".gz"
    forced = [None, None, None, "bed", "tsv"][kind % 5]
    return name, data, forced


@pytest.fixture(scope="module")
def fuzz_genome(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzztables")
    return Genome(write_fasta(d / "g.fa", SEQS), cache_dir=d), d


def read(name: str, data: bytes, genome: Genome, folder, strict: bool, fmt: str | None):
    path = fresh_file(folder, name, data)
    try:
        reader = open_variants(path, genome, strict=strict, format=fmt)
        variants = list(reader)
    except InputError as err:
        assert "\n" not in str(err) and str(err)
        return None
    finally:
        path.unlink()
    check_read_variants(variants, reader.stats, SEQS)
    return variants


@SETTINGS
@given(table=table_file(), strict=st.booleans())
def test_table_reader_returns_valid_alleles_or_input_error(fuzz_genome, table, strict):
    genome, folder = fuzz_genome
    name, data, fmt = table
    read(name, data, genome, folder, strict, fmt)


@SETTINGS
@given(seeds=st.lists(st.integers(0, 2**32), min_size=1, max_size=6))
def test_bed_and_tsv_spellings_of_a_table_read_the_same(fuzz_genome, seeds):
    """The same rows as a headerless BED and as a TSV with 1-based positions give the same
    alleles (or both fail)."""
    genome, folder = fuzz_genome
    bed_rows = [_row(random.Random(s), HEADERS["bed"]) for s in seeds]
    bed_rows = [r for r in bed_rows if len(r) == 6 and r[1].isdigit() and r[2].isdigit()]
    if not bed_rows:
        return
    tsv_rows = [[r[0], str(int(r[1]) + 1), r[3], r[4], r[5]] for r in bed_rows]
    ok = [int(r[2]) - int(r[1]) == (0 if r[3] == "-" else len(r[3])) for r in bed_rows]
    bed = "\n".join("\t".join(r) for r in bed_rows).encode("utf-8", errors="replace")
    tsv = "\n".join(["chrom\tpos\tref\talt\tid"] + ["\t".join(r) for r in tsv_rows]).encode(
        "utf-8", errors="replace"
    )
    from_bed = read("b.bed", bed, genome, folder, False, None)
    from_tsv = read("t.tsv", tsv, genome, folder, False, None)
    if all(ok) and from_bed is not None:
        assert from_tsv is not None
        assert [(v.pos, v.ref, v.alt, v.kind) for v in from_bed] == [
            (v.pos, v.ref, v.alt, v.kind) for v in from_tsv
        ]
