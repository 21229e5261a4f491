"""Sequence pair tables (score-variants --pairs): reading, columns, and one-line errors by line."""

import gzip

import pytest

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.sequence_pairs import PAIR_COLUMNS, SequencePair, read_sequence_pairs

HEADER = "id\tref_seq\talt_seq\n"


def _table(tmp_path, rows: str, name: str = "pairs.tsv", header: str = HEADER):
    path = tmp_path / name
    path.write_text(header + rows)
    return path


def test_reads_pairs_upper_case_blank_lines_and_line_numbers(tmp_path):
    path = _table(tmp_path, "a\tacgt\tacTt\n\nb\tAAAA\tCAAG\n")
    pairs = read_sequence_pairs(path)
    assert pairs == [SequencePair("a", "ACGT", "ACTT", 2), SequencePair("b", "AAAA", "CAAG", 4)]


def test_gzip_csv_and_named_columns_in_any_order(tmp_path):
    path = tmp_path / "pairs.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("alt,extra,name,ref\nAAT,1,x,AAA\n")
    pairs = read_sequence_pairs(path, id_column="name", ref_column="ref", alt_column="alt")
    assert pairs == [SequencePair("x", "AAA", "AAT", 2)]


def test_difference_is_the_span_of_differing_bases():
    assert SequencePair("s", "ACGTA", "ACCTA", 2).difference() == (2, "G", "C")
    assert SequencePair("m", "ACGTA", "TCGTC", 2).difference() == (0, "ACGTA", "TCGTC")
    assert SequencePair("n", "AAAA", "AANA", 2).difference() == (2, "A", "N")


@pytest.mark.parametrize(
    "rows, message",
    [
        ("a\tACGT\tACG\n", r"pairs\.tsv:2: ref_seq \(4 bp\) and alt_seq \(3 bp\) of 'a' differ in length"),
        (
            "a\tACGT\tACTT\nb\tACXT\tACGT\n",
            r"pairs\.tsv:3: ref_seq of 'b' has letters other than ACGTN \('X'\)",
        ),
        ("a\tACGT\tAC-T\n", r"pairs\.tsv:2: alt_seq of 'a' has letters other than ACGTN \('-'\)"),
        (
            "a\tACGT\tACTT\n\nb\tAA\tAC\na\tAA\tAT\n",
            r"pairs\.tsv:5: id 'a' is used again \(first on line 2\)",
        ),
        ("a\tACGT\tacgt\n", r"pairs\.tsv:2: ref_seq and alt_seq of 'a' are identical"),
        ("a\tACGT\t\n", r"pairs\.tsv:2: alt_seq of 'a' is empty"),
        ("\tACGT\tACGA\n", r"pairs\.tsv:2: the id column is empty"),
        ("", r"pairs\.tsv:1: only a header line, no pairs"),
    ],
)
def test_bad_rows_name_file_line_and_fix(tmp_path, rows, message):
    with pytest.raises(InputError, match=message) as err:
        read_sequence_pairs(_table(tmp_path, rows))
    assert "\n" not in str(err.value) and "(expected " in str(err.value)


def test_missing_column_names_the_columns_found(tmp_path):
    path = _table(tmp_path, "a\tACGT\tACTT\n", header="id\tref_seq_100bp\talt_seq_100bp\n")
    with pytest.raises(
        InputError,
        match=r"pairs\.tsv:1: no column 'ref_seq' \(columns found: id, "
        r"ref_seq_100bp, alt_seq_100bp\) \(expected --ref-column naming one of them\)",
    ):
        read_sequence_pairs(path)
    assert read_sequence_pairs(path, ref_column="ref_seq_100bp", alt_column="alt_seq_100bp")[0].alt == "ACTT"


def test_empty_file_and_missing_file(tmp_path):
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(InputError, match=r"empty\.tsv:1: empty file"):
        read_sequence_pairs(empty)
    with pytest.raises(InputError, match="not found"):
        read_sequence_pairs(tmp_path / "nope.tsv")


def test_default_columns():
    assert PAIR_COLUMNS == ("id", "ref_seq", "alt_seq")


def test_real_dsqtl_table_with_its_column_names(real_data):
    path = real_data / "gm12878_dsqtl" / "dsqtl_lcl_offchr20.tsv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    pairs = read_sequence_pairs(path, ref_column="ref_seq_100bp", alt_column="alt_seq_100bp")
    assert len(pairs) == 5481
    assert {len(p.ref) for p in pairs} == {100}
    assert {p.difference()[0] for p in pairs} == {49}  # the SNP at index 49, as its README says
