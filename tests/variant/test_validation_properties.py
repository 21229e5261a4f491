"""Property tests (hypothesis) of validate-variants' observed-counts table reader: for any
generated table (column names in any case, numbers, text, NaN, booleans, junk bytes) reading,
standardizing, de-duplicating and joining give a valid table or our one-line InputError."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.tables import read_table
from brainresnet_tf.variant.validation import (
    drop_duplicate_keys,
    join_keys,
    join_scores,
    standardize_observed,
)
from tests.toy_data import fresh_file

SETTINGS = settings(
    max_examples=2000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
COLUMNS = [
    "chrom",
    "Chrom",
    "#chrom",
    "pos",
    "POS",
    "ref",
    "alt",
    "variant_id",
    "rsid",
    "ref_reads",
    "alt_reads",
    "ref_count",
    "log_ratio",
    "significant",
    "Significant",
    "sig",
    "truth",
    "",
]
# (good values, odd values) per kind of column
VALUES = {
    "chrom": (["chr1", "1", "chr2"], ["", "NA", "\u00e9"]),
    "pos": (["5", "101", "1"], ["0", "-2", "2.5", "1e3", "x", "", "nan", str(10**20), "inf"]),
    "ref": (["A", "AC", "C"], ["-", "", "a"]),
    "alt": (["G", "A", "T", "CTT"], ["", "."]),
    "id": (["v0", "v1", "v2"], ["", "nan"]),
    "reads": (["0", "3", "20", "17.5"], ["-1", "", "x", "nan", "inf", "1e400"]),
    "log_ratio": (["0.5", "-1.2", ""], ["nan", "x", "inf"]),
    "significant": (["0", "1", "True", "false", "TRUE", "1.0"], ["2", "-1", "", "nan", "yes", "0.5"]),
    "other": (["x", "", "1"], []),
}


def _kind(column: str) -> str:
    name = column.lower().lstrip("#")
    if name in ("chrom", "pos", "ref", "alt", "log_ratio", "significant"):
        return name
    if name in ("variant_id", "rsid"):
        return "id"
    if name in ("ref_reads", "alt_reads", "ref_count"):
        return "reads"
    if name == "sig":
        return "significant"
    return "other"


@st.composite
def observed_file(draw) -> tuple[str, bytes]:
    kind, seed = draw(st.tuples(st.integers(0, 29), st.integers(0, 2**32)))
    if kind == 0:
        return "junk.tsv", draw(st.binary(max_size=120))
    rnd = random.Random(seed)
    columns = rnd.sample(COLUMNS, rnd.randint(1, 9))
    if kind > 10:  # mostly tables that could be right: keys, reads or a ratio, significance
        columns = list(dict.fromkeys(["chrom", "pos", "ref", "alt", "significant"] + columns))
        columns += rnd.choice([["ref_reads", "alt_reads"], ["log_ratio"]])
        columns = list(dict.fromkeys(columns))
    sep = "," if kind == 1 else "\t"
    lines = [sep.join(columns)]
    for _ in range(rnd.randint(0, 8)):
        row = []
        for col in columns:
            good, odd = VALUES[_kind(col)]
            careful = kind > 15 and rnd.random() < 0.97
            row.append(rnd.choice(good if careful or not odd else good + odd))
        if rnd.random() < 0.05:
            row = row[: rnd.randint(0, len(row))] + (["extra"] if rnd.random() < 0.5 else [])
        lines.append(sep.join(row))
    return ("obs.csv" if kind == 1 else "obs.tsv"), "\n".join(lines).encode("utf-8", errors="replace")


SCORES = pd.DataFrame(
    {
        "CHROM": ["chr1", "chr1", "chr2"],
        "POS": [5, 101, 1],
        "ID": ["v0", "v1", "v2"],
        "REF": ["A", "AC", "C"],
        "ALT": ["G", "A", "T"],
        "max_abs_diff": [0.1, 0.2, 0.3],
    }
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzzobs")


@SETTINGS
@given(table=observed_file())
def test_observed_table_reads_valid_or_input_error(folder, table):
    name, data = table
    path = fresh_file(folder, name, data)
    try:
        raw = read_table(path)
        obs = standardize_observed(raw, str(path))
        coordinates = {"chrom", "pos", "ref", "alt"} <= set(obs.columns)
        kept, dropped = drop_duplicate_keys(obs, join_keys(obs, coordinates, scores=False), str(path))
        joined = join_scores(SCORES, kept)
    except InputError as err:
        assert "\n" not in str(err) and str(err)
        return
    finally:
        path.unlink()
    assert len(obs) == len(raw) and len(kept) + len(dropped) == len(obs)
    assert obs["significant"].dtype == bool
    ratio = obs["obs_log_ratio"].to_numpy(float)
    assert not np.isinf(ratio).any()
    if "pos" in obs:
        assert obs["pos"].dtype == np.int64 and (obs["pos"] >= 1).all()
    for col in ("ref_reads", "alt_reads"):
        if col in obs:
            assert np.isfinite(obs[col]).all() and (obs[col] >= 0).all()
            assert np.isfinite(ratio).all()
    assert len(joined) <= len(SCORES)
    assert {"significant", "obs_log_ratio"} <= set(joined.columns)
