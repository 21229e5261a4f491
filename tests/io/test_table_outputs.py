"""Table outputs survive the disk: ``.gz`` is BGZF (valid gzip), ``.parquet`` is Parquet, and a
full disk ends in one line naming the output with no temporary file left (issue 33, item 3)."""

import errno
import gzip

import numpy as np
import pandas as pd
import pytest

from brainresnet_tf.cli import main as cli_main
from brainresnet_tf.errors import OutputError
from brainresnet_tf.io import tables
from brainresnet_tf.io.atomic import TMP_MARK
from brainresnet_tf.io.tables import TableWriter, read_table, write_table
from tests.toy_data import some_variants, write_vcf

FRAME = pd.DataFrame({"CHROM": ["chr1", "chr1", "chr2"], "POS": [5, 9, 2], "x": [0.5, np.nan, -1.25]})


def _is_bgzf(path) -> bool:
    head = path.read_bytes()[:16]  # gzip magic, FEXTRA set, and the BGZF 'BC' subfield
    return head[:2] == b"\x1f\x8b" and head[3] & 4 and head[12:14] == b"BC"


def _written_by(writer: str, path) -> None:
    if writer == "write_table":
        write_table(FRAME, path)
    else:
        with TableWriter(path) as out:
            out.write(FRAME.iloc[:2])
            out.write(FRAME.iloc[2:])


@pytest.mark.parametrize("writer", ["write_table", "TableWriter"])
def test_gz_outputs_are_bgzf_and_read_back(writer, tmp_path):
    path = tmp_path / "t.tsv.gz"
    _written_by(writer, path)
    assert _is_bgzf(path)
    with gzip.open(path, "rt") as fh:  # any gzip reader
        assert fh.readline() == "CHROM\tPOS\tx\n"
    pd.testing.assert_frame_equal(read_table(path), FRAME)
    parquet = tmp_path / "t.parquet"
    _written_by(writer, parquet)
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), FRAME)
    assert not list(tmp_path.glob(f"*{TMP_MARK}*"))


class _FullDisk:
    """A text handle on a full disk: the file exists, every write fails."""

    def __init__(self, path):
        self.fh = open(path, "w")

    def write(self, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self):
        self.fh.flush()

    def close(self):
        self.fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@pytest.mark.parametrize("writer", ["write_table", "TableWriter"])
def test_full_disk_is_one_error_naming_the_output_and_leaves_nothing(writer, tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "open_text_output", _FullDisk)
    path = tmp_path / "s.tsv"
    with pytest.raises(OutputError, match=r"s\.tsv: not written, no space left on device \(.* MiB free in"):
        _written_by(writer, path)
    assert list(tmp_path.iterdir()) == []  # neither the output nor a hidden temporary file


def test_a_failed_rename_after_closing_a_bgzf_table_still_removes_it(tmp_path, monkeypatch):
    """close() has closed the BGZF handle when the rename fails: abort must not close it again
    (a second BGZF close raises ValueError) and must remove the temporary file."""

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    writer = TableWriter(tmp_path / "t.tsv.gz")
    writer.write(FRAME)
    monkeypatch.setattr(tables.os, "replace", full)
    with pytest.raises(OutputError, match="t.tsv.gz: not written"):
        writer.close()
    assert list(tmp_path.iterdir()) == []


def test_score_variants_on_a_full_disk_ends_in_one_line(
    genome_seqs, tmp_path, tiny_model, monkeypatch, capsys
):
    genome, seqs = genome_seqs
    _, _, model_path = tiny_model
    vcf = write_vcf(tmp_path / "v.vcf", some_variants(seqs, 5))
    out = tmp_path / "out" / "s.tsv"
    argv = ["score-variants", "--model", str(model_path), "--genome", str(genome.path), "--vcf", str(vcf)]
    argv += ["--out", str(out), "--no-progress"]
    assert cli_main([*argv[:-2], str(tmp_path / "ok.tsv.gz"), "--no-progress"]) == 0
    assert _is_bgzf(tmp_path / "ok.tsv.gz") and len(read_table(tmp_path / "ok.tsv.gz")) == 5
    monkeypatch.setattr(tables, "open_text_output", _FullDisk)
    assert cli_main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"brainresnet: error: {out}: not written, no space left")
    assert not [p for p in (tmp_path / "out").iterdir() if TMP_MARK in p.name]
