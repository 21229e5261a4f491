"""Variant tables (``score-variants`` output or any table with variant keys) read in chunks.

Key columns are found by name, case-insensitively: chromosome (``CHROM``, ``#CHROM``, ``chr``,
``chromosome``), 1-based position (``POS``, ``position``), and when present the variant id
(``ID``, ``variant_id``, ``rsid``), ``REF`` and ``ALT``. Chunks come with standardised columns
``chrom, pos, id, ref, alt`` plus the requested value columns under their own names, so memory
stays bounded by the chunk size whatever the table's length.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from brainresnet_tf.errors import InputError, input_error

KEY_ALIASES = {
    "chrom": ("chrom", "#chrom", "chr", "chromosome", "seqnames"),
    "pos": ("pos", "position", "pos1", "bp"),
    "id": ("id", "variant_id", "rsid", "snp", "snp_id"),
    "ref": ("ref",),
    "alt": ("alt",),
}
_MISSING_TEXT = ("", ".", "NA", "nan", "NaN", "None")


def chrom_key(values: pd.Series | np.ndarray) -> pd.Series:
    """Chromosome names without a ``chr`` prefix, ``MT`` as ``M`` (so ``chr1`` and ``1`` join)."""
    s = pd.Series(values).astype(str)
    s = s.where(~s.str.lower().str.startswith("chr"), s.str[3:])
    return s.where(s.str.upper() != "MT", "M")


def find_key_columns(columns: Sequence[str]) -> dict[str, str]:
    """Key -> the table's column name, for the keys the table has."""
    lower: dict[str, str] = {}
    for c in columns:
        lower.setdefault(str(c).lower(), str(c))
    found = {}
    for key, aliases in KEY_ALIASES.items():
        hit = next((lower[a] for a in aliases if a in lower), None)
        if hit is not None:
            found[key] = hit
    return found


def _sep(path: Path) -> str:
    return "," if path.name.endswith((".csv", ".csv.gz")) else "\t"


def table_columns(path: str | os.PathLike) -> list[str]:
    """Column names of a TSV / CSV / Parquet table (read without its rows)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.ParquetFile(path).schema_arrow.names)
    try:
        return [str(c) for c in pd.read_csv(path, sep=_sep(path), nrows=0).columns]
    except (pd.errors.EmptyDataError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise InputError(f"{path}: cannot read a table header ({err})") from err


def _shown(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _numeric(values: pd.Series, path: Path, first_line: int, column: str, expected: str) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    numeric = pd.to_numeric(values, errors="coerce")
    failed = numeric.isna().to_numpy() & values.notna().to_numpy()
    if failed.any():  # empty, ".", "NA" ... are missing values; other text is an error
        text = values[failed].astype(str).str.strip()
        bad = np.flatnonzero(failed)[~text.isin(_MISSING_TEXT).to_numpy()]
        if len(bad):
            i = int(bad[0])
            raise input_error(
                path, first_line + i, f"{column} {_shown(values.iloc[i])} is not a number", expected
            )
    return numeric.to_numpy(dtype=np.float64, na_value=np.nan)


def _text(values: pd.Series) -> pd.Series:
    return values if pd.api.types.is_string_dtype(values) else values.astype(str)


def iter_variant_table(
    path: str | os.PathLike,
    value_columns: Sequence[str] = (),
    chunksize: int = 200_000,
) -> Iterator[tuple[int, pd.DataFrame]]:
    """(file line of the chunk's first row, chunk) with ``chrom, pos, id, ref, alt`` and the
    ``value_columns`` (as float64; missing values NaN). Checks names and numbers as it goes."""
    path = Path(path)
    columns = table_columns(path)
    keys = find_key_columns(columns)
    for need in ("chrom", "pos"):
        if need not in keys:
            raise InputError(
                f"{path}: no {need} column (expected one of {', '.join(KEY_ALIASES[need])}; "
                f"found: {', '.join(columns[:12])})"
            )
    missing = [c for c in value_columns if c not in columns]
    if missing:
        shown = ", ".join(c for c in columns if c not in keys.values())[:300]
        raise InputError(f"{path}: no column {missing[0]!r} (columns besides the keys: {shown or 'none'})")
    wanted = list(dict.fromkeys([*keys.values(), *value_columns]))
    text_cols = {keys[k]: str for k in ("chrom", "id", "ref", "alt") if k in keys}
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        batches = (b.to_pandas() for b in pq.ParquetFile(path).iter_batches(chunksize, columns=wanted))
    else:
        batches = pd.read_csv(
            path,
            sep=_sep(path),
            usecols=wanted,
            dtype=text_cols,
            keep_default_na=False,
            na_values={c: list(_MISSING_TEXT) for c in value_columns},
            chunksize=chunksize,
        )
    line = 2
    try:
        for raw in batches:
            yield line, _standardise(raw, keys, value_columns, path, line)
            line += len(raw)
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot parse the table near line {line} ({err})") from err


def _standardise(
    raw: pd.DataFrame, keys: dict[str, str], value_columns: Sequence[str], path: Path, line: int
) -> pd.DataFrame:
    out = pd.DataFrame(index=raw.index)
    out["chrom"] = _text(raw[keys["chrom"]])
    pos = _numeric(raw[keys["pos"]], path, line, keys["pos"], "a 1-based integer position")
    bad = ~np.isfinite(pos) | (pos < 1) | (pos != np.round(pos))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise input_error(
            path,
            line + i,
            f"bad {keys['pos']} {_shown(raw[keys['pos']].iloc[i])}",
            "a 1-based integer position",
        )
    out["pos"] = pos.astype(np.int64)
    for key in ("id", "ref", "alt"):
        out[key] = _text(raw[keys[key]]) if key in keys else "."
    out["ref"] = out["ref"].str.upper()
    out["alt"] = out["alt"].str.upper()
    for col in value_columns:
        out[col] = _numeric(raw[col], path, line, col, "a number (or empty / NA / .)")
    return out.reset_index(drop=True)
