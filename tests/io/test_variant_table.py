"""Variant tables read in chunks: key columns found by name, numbers checked with their line."""

import numpy as np
import pytest

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.variant_table import chrom_key, iter_variant_table
from tests.toy_data import write_text


def test_chunks_keys_and_missing_values(tmp_path):
    text = "#chrom\tposition\trsid\tref\talt\tscore\n" + "".join(
        f"{c}\t{p}\trs{p}\ta\tg\t{s}\n"
        for c, p, s in [("1", 5, "0.5"), ("chrX", 9, "."), ("1", 7, "NA"), ("2", 3, "-1e-3")]
    )
    chunks = list(iter_variant_table(write_text(tmp_path / "t.tsv", text), ["score"], chunksize=3))
    assert [line for line, _ in chunks] == [2, 5]
    first = chunks[0][1]
    assert first.columns.tolist() == ["chrom", "pos", "id", "ref", "alt", "score"]
    assert first["chrom"].tolist() == ["1", "chrX", "1"] and first["ref"].tolist() == ["A"] * 3
    np.testing.assert_allclose(first["score"], [0.5, np.nan, np.nan])
    assert chunks[1][1]["score"].tolist() == [-1e-3]
    assert chrom_key(["chr1", "1", "CHRX", "chrM", "MT"]).tolist() == ["1", "1", "X", "M", "M"]


@pytest.mark.parametrize(
    "text,columns,message",
    [
        (
            "CHROM\tPOS\ts\nchr1\t5\t1\nchr1\t0\t2\n",
            ["s"],
            r"t\.tsv:3: bad POS 0 \(expected a 1-based integer",
        ),
        ("CHROM\tPOS\ts\nchr1\t5\thigh\n", ["s"], r"t\.tsv:2: s 'high' is not a number"),
        ("CHROM\tPOS\ts\nchr1\t5.5\t1\n", ["s"], r"t\.tsv:2: bad POS"),
        ("CHROM\tstart\ts\nchr1\t5\t1\n", ["s"], r"t\.tsv: no pos column"),
        (
            "CHROM\tPOS\ts\nchr1\t5\t1\n",
            ["max_abs_diff"],
            r"t\.tsv: no column 'max_abs_diff' \(columns besides the keys: s\)",
        ),
    ],
)
def test_bad_tables(tmp_path, text, columns, message):
    with pytest.raises(InputError, match=message):
        list(iter_variant_table(write_text(tmp_path / "t.tsv", text), columns))
