"""Locus tables: with or without a header, one locus per variant, one-line errors."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.loci import read_loci
from tests.toy_data import write_text


def test_headers_and_file_order(tmp_path):
    a = read_loci(
        write_text(
            tmp_path / "a.tsv", "rsid\tgene\tcredible_set\nrs2\tX\tcs1\nrs1\tY\tcs1\n\n# note\nrs9\tZ\tcs2\n"
        )
    )
    assert a.to_dict("list") == {"variant_id": ["rs2", "rs1", "rs9"], "locus": ["cs1", "cs1", "cs2"]}
    b = read_loci(write_text(tmp_path / "b.tsv", "rs1\tlocusA\nrs2\tlocusB\nrs1\tlocusA\n"))  # no header
    assert b["variant_id"].tolist() == ["rs1", "rs2"]
    c = read_loci(write_text(tmp_path / "c.csv", "variant_id,element_id\ndv1,el3\n"))
    assert c["locus"].tolist() == ["el3"]


@pytest.mark.parametrize(
    "text,message",
    [
        ("rs1\tA\nrs1\tB\n", r"x\.tsv:2: variant 'rs1' is in locus 'A' and 'B'"),
        ("variant_id\tlocus\nrs1\n", r"x\.tsv:2: 1 column\(s\), need the variant id and its locus"),
        ("rs1\t\n", r"x\.tsv:1: empty variant id or locus"),
        ("# only a comment\n", r"x\.tsv: no variants in the locus table"),
        ("variant_id\n", r"x\.tsv:1: header has no locus column"),
    ],
)
def test_bad_locus_tables(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        read_loci(write_text(tmp_path / "x.tsv", text))


def test_not_utf8(tmp_path):
    (tmp_path / "bin.tsv").write_bytes(b"rs1\t\xff\xfe\n")
    with pytest.raises(InputError, match="bin.tsv: not a UTF-8 text table"):
        read_loci(tmp_path / "bin.tsv")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("loci_property")


FIELDS = st.one_of(
    st.sampled_from(["rs1", "rs2", "variant_id", "locus", "id", "set", "#x", "", " ", "a b"]),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=6),
)


@settings(max_examples=1000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(FIELDS, max_size=4), max_size=8))
def test_any_text_gives_loci_or_input_error(scratch, rows):
    path = scratch / "l.tsv"
    path.write_text("\n".join("\t".join(r) for r in rows), encoding="utf-8")
    try:
        df = read_loci(path)
    except InputError as err:
        assert str(err).startswith(str(path)) and "\n" not in str(err)
        return
    assert list(df.columns) == ["variant_id", "locus"] and len(df) > 0
    assert df["variant_id"].is_unique
    assert (df["variant_id"].str.len() > 0).all() and (df["locus"].str.len() > 0).all()
