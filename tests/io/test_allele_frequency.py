"""Allele frequencies from a VCF INFO key or a column: per ALT, NaN when missing, one-line errors."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.allele_frequency import check_af_values, minor_allele_frequency, read_info_af
from tests.toy_data import write_vcf


def test_info_af_per_alt_allele(tmp_path):
    rows = [
        "1\t100\trs1\tA\tG\t.\tPASS\tAC=3;AF=0.25;AN=12",
        "chr1\t200\trs2\tc\tT,G\t.\tPASS\tAF=0.1,0.002;DB",
        "1\t300\trs3\tA\tC,T\t.\tPASS\tAF=0.9",  # one value for the record: every ALT
        "1\t400\trs4\tA\tC\t.\tPASS\tAF=.",
        "1\t500\trs5\tA\tC\t.\tPASS\tDP=10",  # no AF in this record: NaN
    ]
    df = read_info_af(write_vcf(tmp_path / "a.vcf.gz", rows, gz=True), "AF")
    assert df["alt"].tolist() == ["G", "T", "G", "C", "T", "C", "C"]
    assert df["ref"].tolist()[1] == "C"
    np.testing.assert_allclose(df["af"], [0.25, 0.1, 0.002, 0.9, 0.9, np.nan, np.nan])
    np.testing.assert_allclose(minor_allele_frequency(df["af"]), [0.25, 0.1, 0.002, 0.1, 0.1, np.nan, np.nan])


def test_gnomad_style_key(tmp_path):
    vcf = write_vcf(tmp_path / "g.vcf", ["chr2\t5\t.\tG\tA\t.\tPASS\tAF=0.3;AF_nfe=0.012;AF_afr=0.2"])
    assert read_info_af(vcf, "AF_nfe")["af"].tolist() == [0.012]


@pytest.mark.parametrize(
    "row,key,message",
    [
        ("1\t1\t.\tA\tG\t.\tPASS\tAF=1.5", "AF", r"b\.vcf:3: INFO AF=1\.5 is outside \[0, 1\]"),
        ("1\t1\t.\tA\tG\t.\tPASS\tAF=-0.1", "AF", r"b\.vcf:3: INFO AF=-0\.1 is outside"),
        ("1\t1\t.\tA\tG\t.\tPASS\tAF=high", "AF", r"b\.vcf:3: INFO AF='high' is not a number"),
        ("1\t1\t.\tA\tG,T\t.\tPASS\tAF=0.1,0.2,0.3", "AF", r"b\.vcf:3: INFO AF has 3 values for 2 ALT"),
        (
            "1\t1\t.\tA\tG\t.\tPASS\tAC=1;AN=2",
            "AF_nfe",
            r"b\.vcf: no record has INFO key 'AF_nfe' \(INFO keys found: AC, AN\)",
        ),
        ("1\t1\t.\tA\tG", "AF", r"b\.vcf:3: VCF line with 5 tab-separated column\(s\) has no INFO column"),
    ],
)
def test_bad_allele_frequencies_stop_with_one_line(tmp_path, row, key, message):
    vcf = write_vcf(tmp_path / "b.vcf", [row])
    with pytest.raises(InputError, match=message):
        read_info_af(vcf, key)


def test_af_column_checks(tmp_path):
    np.testing.assert_allclose(
        check_af_values(["0.1", "", ".", "NA", 0.5], "t.tsv", "af"), [0.1, np.nan, np.nan, np.nan, 0.5]
    )
    with pytest.raises(InputError, match=r"t\.tsv:4: allele frequency af=12\.0 is not a number in \[0, 1\]"):
        check_af_values([0.1, 0.2, 12.0], "t.tsv", "af")
    with pytest.raises(InputError, match=r"t\.tsv:2: allele frequency af='x'"):
        check_af_values(["x"], "t.tsv", "af")


INFO_VALUES = st.one_of(
    st.floats(-0.5, 1.5).map(repr),
    st.sampled_from([".", "", "0", "1", "1e-5", "abc", "nan", "inf", "0.5,0.5", "0.1,0.2,0.3"]),
)


@st.composite
def vcf_lines(draw):
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        alts = ",".join(draw(st.lists(st.sampled_from("ACGT"), min_size=1, max_size=3)))
        items = []
        for key in draw(st.lists(st.sampled_from(["AF", "AC", "AF_nfe", "DB", "MAF"]), max_size=4)):
            items.append(key if key == "DB" else f"{key}={draw(INFO_VALUES)}")
        info = ";".join(items) or "."
        chrom = draw(st.sampled_from(["1", "chr1", "X", ""]))
        pos = draw(st.sampled_from(["1", "100", "0", "-5", "x"]))
        cols = [chrom, pos, ".", "A", alts, ".", "PASS", info]
        lines.append("\t".join(cols[: draw(st.integers(5, 8))]))
    return lines, draw(st.sampled_from(["AF", "AF_nfe", "MAF"]))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("af_property")


@settings(max_examples=1000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=vcf_lines())
def test_info_reader_gives_frequencies_or_input_error(scratch, case):
    lines, key = case
    vcf = write_vcf(scratch / "p.vcf", lines)
    try:
        df = read_info_af(vcf, key)
    except InputError as err:
        assert str(err).startswith(str(vcf)) and "\n" not in str(err)
        return
    af = df["af"].to_numpy()
    assert len(df) == sum(len(line.split("\t")[4].split(",")) for line in lines)
    assert np.all(np.isnan(af) | ((af >= 0) & (af <= 1)))
    assert (df["pos"] >= 1).all()
