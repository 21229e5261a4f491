"""Sequence-set input: FASTA per class or a label table, centred windows, splits, bad input."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brainresnet_tf.data.pipeline import WindowSource
from brainresnet_tf.data.sequence_sets import (
    SequenceFiles,
    SequenceSpec,
    auto_length,
    build_sequence_set,
    centred_codes,
)
from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import encode


def _fasta(path, records):
    path.write_text("".join(f">{n}\n{s}\n" for n, s in records))
    return path


def test_windows_are_the_sequences_centred_and_n_padded(tmp_path):
    pos = _fasta(tmp_path / "p.fa", [("a", "ACGTACGTAC"), ("b", "GGGG")])
    neg = _fasta(tmp_path / "n.fa", [("c", "TTTTTTTTTTTTTTTTTTTTTT")])
    spec = SequenceSpec(train=SequenceFiles(pos, neg), valid_fraction=0.0, length=12)
    genome, table = build_sequence_set(spec)
    assert table.context == 12 and table.profiles == ["bound"]
    assert table.labels[:, 0].tolist() == [1, 1, 0]
    codes = WindowSource(genome, table).codes(np.arange(3))
    np.testing.assert_array_equal(codes[0], np.concatenate([[4], encode("ACGTACGTAC"), [4]]))
    np.testing.assert_array_equal(codes[1], np.concatenate([[4] * 4, encode("GGGG"), [4] * 4]))
    np.testing.assert_array_equal(codes[2], encode("T" * 12))  # a longer one is cut to its middle
    np.testing.assert_array_equal(centred_codes(["ACGTACGTAC", "GGGG", "T" * 22], 12), codes)


def test_fraction_splits_are_stratified_and_seeded(tmp_path):
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 50)) for _ in range(200)]
    pos = _fasta(tmp_path / "p.fa", [(f"p{i}", s) for i, s in enumerate(seqs[:100])])
    neg = _fasta(tmp_path / "n.fa", [(f"n{i}", s) for i, s in enumerate(seqs[100:])])
    spec = SequenceSpec(train=SequenceFiles(pos, neg), valid_fraction=0.1, test_fraction=0.2)
    _, a = build_sequence_set(spec, jitter=20)
    _, b = build_sequence_set(spec, jitter=20)
    assert (a.split_code == b.split_code).all()
    for split, n in (("valid", 10), ("test", 20)):
        part = a.of_split(split)
        assert len(part) == 2 * n and part.labels.sum() == n  # half positives, like the whole
    assert a.context == auto_length([50] * 200, 20) == 100


@pytest.mark.parametrize(
    "records, message",
    [
        ([("a", "ACGT"), ("a", "ACGA")], "record name 'a' appears more than once"),
        ([("a", "ACGX")], "non-ACGTN"),
        ([("a", ""), ("b", "ACGT")], "record 'a' is empty"),
    ],
)
def test_bad_fasta_records_are_one_line(tmp_path, records, message):
    pos = _fasta(tmp_path / "p.fa", records)
    with pytest.raises(InputError, match=message):
        build_sequence_set(SequenceSpec(train=SequenceFiles(positives=pos)))


def test_label_tables_and_their_errors(tmp_path):
    table = tmp_path / "t.tsv"
    table.write_text("name\tsequence\tcellA\tcellB\nx\tACGTAC\t1\t0\ny\tGGCC\t0\t1\n")
    _, t = build_sequence_set(SequenceSpec(train=SequenceFiles(table=table), valid_fraction=0.0))
    assert t.profiles == ["cellA", "cellB"] and t.labels.tolist() == [[1, 0], [0, 1]]
    for body, message in (
        ("sequence\tcellA\nACGT\t2\n", r"t.tsv:2: label 'cellA' of record 'row2' is '2'"),
        ("sequence\tcellA\nACGT\t\n", r"t.tsv:2: label 'cellA'"),
        ("seq\tcellA\nACGT\t1\n", "no 'sequence' column"),
        ("sequence\tcellA\n\t1\n", "empty sequence"),
    ):
        table.write_text(body)
        with pytest.raises(InputError, match=message):
            build_sequence_set(SequenceSpec(train=SequenceFiles(table=table), valid_fraction=0.0))


TEXT = st.text(alphabet="ACGTNacgtnX>\n\t ,-_01.2name", max_size=200)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fasta=TEXT, table=TEXT)
def test_any_fasta_or_table_builds_or_fails_in_one_line(tmp_path, fasta, table):
    pos, tsv = tmp_path / "p.fa", tmp_path / "t.tsv"
    pos.write_text(fasta)
    tsv.write_text(table)
    for files in (SequenceFiles(positives=pos), SequenceFiles(table=tsv)):
        try:
            genome, t = build_sequence_set(SequenceSpec(train=files, valid_fraction=0.0))
            assert len(t) == len(genome.chrom_sizes) and t.context > 0
        except InputError as err:
            assert "\n" not in str(err)
