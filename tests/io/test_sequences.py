"""Sequence files (FASTA records): names, gzip, clear errors, and any input gives records or our error."""

import gzip
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.sequences import read_fasta_records


def test_records_names_and_gzip(tmp_path):
    text = ">a desc\nACGT\nacgt\n>\nNN\n\n>b\n"
    plain = tmp_path / "s.fa"
    plain.write_text(text)
    packed = tmp_path / "s.fa.gz"
    packed.write_bytes(gzip.compress(text.encode()))
    for path in (plain, packed):
        assert read_fasta_records(path) == [("a", "ACGTACGT"), ("seq_2", "NN"), ("b", "")]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"ACGT\n>a\nAC\n", r"s.fa:1: sequence before the first '>' header"),
        (b">a\nACGX\n", r"record a: non-ACGTN characters 'X'"),
        (b"", r"no FASTA records"),
        (">a\nACGT\n".encode("utf-16"), r"not UTF-8 text"),
    ],
)
def test_bad_sequence_files(tmp_path, content, message):
    path = tmp_path / "s.fa"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_fasta_records(path)


_TEXT = st.one_of(
    st.lists(
        st.one_of(
            st.text(alphabet="ACGTNacgtn", max_size=20),
            st.text(max_size=10).map(lambda t: ">" + t),
            st.text(max_size=10),
        ),
        max_size=8,
    ).map("\n".join),
    st.text(max_size=60),
)
_FOLDER = Path(tempfile.mkdtemp(prefix="seqfuzz"))


@settings(max_examples=2000, deadline=None)
@given(text=_TEXT, raw=st.binary(max_size=40), use_raw=st.booleans(), gz=st.booleans())
def test_read_fasta_records_any_input(text, raw, use_raw, gz):
    data = raw if use_raw else text.encode("utf-8", errors="surrogatepass")
    path = _FOLDER / "x.fa"
    path.write_bytes(gzip.compress(data) if gz else data)
    try:
        records = read_fasta_records(path)
    except InputError:
        return
    assert records and all(isinstance(n, str) and n for n, _ in records)
    assert all(set(seq) <= set("ACGTN") for _, seq in records)
