"""Allele frequencies: a VCF INFO field (``AF``, ``MAF``, gnomAD-style ``AF_nfe`` ...) or a table column.

The VCF is streamed line by line (plain, gzip or bgzip) without a genome: one row per ALT allele
(``Number=A`` values split with the ALTs; a single value applies to every ALT). ``.`` or a record
without the key gives NaN (counted by the caller); a key no record has, a value that is not a
number or lies outside [0, 1], or a value count that does not match the ALTs, stops with one line
naming the file, the line and the fix.
"""

from __future__ import annotations

import gzip
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from brainresnet_tf.errors import InputError, input_error
from brainresnet_tf.io.vcf import _open_bytes  # gzip / bgzip detection shared with the VCF reader

AF_COLUMNS = ["chrom", "pos", "id", "ref", "alt", "af"]


def minor_allele_frequency(af: np.ndarray) -> np.ndarray:
    """MAF = min(AF, 1 - AF) (NaN stays NaN)."""
    af = np.asarray(af, dtype=np.float64)
    return np.minimum(af, 1.0 - af)


def _parse_af(text: str, path: Path, line: int, key: str) -> float:
    if text in (".", ""):
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise input_error(
            path, line, f"INFO {key}={text!r} is not a number", "an allele frequency in [0, 1]"
        ) from None
    if math.isnan(value):
        return value
    if not 0.0 <= value <= 1.0:
        raise input_error(
            path, line, f"INFO {key}={text} is outside [0, 1]", f"an allele frequency; is {key} a frequency?"
        )
    return value


def read_info_af(path: str | os.PathLike, key: str = "AF") -> pd.DataFrame:
    """One row per ALT allele: chrom, pos (1-based), id, ref, alt (upper case), af (NaN if missing)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: VCF not found")
    if not key or any(c in key for c in ";=\t "):
        raise InputError(f"INFO key {key!r}: expected a name like AF, MAF or AF_nfe")
    rows: list[tuple] = []
    seen_keys: dict[str, None] = {}
    found = 0
    raw, stream = _open_bytes(path)
    try:
        for lineno, bline in enumerate(stream, start=1):
            if bline.startswith(b"#") or not bline.strip():
                continue
            fields = bline.decode("utf-8", errors="replace").rstrip("\r\n").split("\t")
            if len(fields) < 8:
                raise input_error(
                    path,
                    lineno,
                    f"VCF line with {len(fields)} tab-separated column(s) has no INFO column",
                    "CHROM POS ID REF ALT QUAL FILTER INFO",
                )
            chrom, pos_text, vid, ref, alts, info = (
                fields[0],
                fields[1],
                fields[2],
                fields[3],
                fields[4],
                fields[7],
            )
            try:
                pos = int(pos_text)
            except ValueError:
                pos = 0
            if pos < 1 or not chrom:
                raise input_error(
                    path, lineno, f"bad CHROM/POS {chrom!r} {pos_text!r}", "a name and a 1-based POS"
                )
            alt_list = alts.split(",")
            values = None
            for item in info.split(";"):
                name, eq, value = item.partition("=")
                if len(seen_keys) < 50:
                    seen_keys.setdefault(name, None)
                if name == key:
                    values = value.split(",") if eq else [""]
            if values is None:
                afs = [math.nan] * len(alt_list)
            else:
                found += 1
                afs = [_parse_af(v, path, lineno, key) for v in values]
                if len(afs) == 1:
                    afs = afs * len(alt_list)
                elif len(afs) != len(alt_list):
                    raise input_error(
                        path,
                        lineno,
                        f"INFO {key} has {len(afs)} values for {len(alt_list)} ALT allele(s)",
                        "one value per ALT (Number=A) or one for the record",
                    )
            ref_u = ref.upper()
            for alt, af in zip(alt_list, afs):
                rows.append((chrom, pos, vid, ref_u, alt.upper(), af))
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise InputError(f"{path}: cannot read VCF ({err})") from err
    finally:
        raw.close()
    if rows and not found:
        have = ", ".join(k for k in seen_keys if k and k != ".")[:200] or "none"
        raise InputError(
            f"{path}: no record has INFO key {key!r} (INFO keys found: {have}); pass the "
            f"allele-frequency key the file uses (e.g. --af-key AF_nfe)"
        )
    if not rows:
        raise InputError(f"{path}: VCF has no variant records")
    df = pd.DataFrame(rows, columns=AF_COLUMNS)
    df["pos"] = df["pos"].astype(np.int64)
    df["af"] = df["af"].astype(np.float64)
    return df


def check_af_values(
    values: pd.Series | np.ndarray, where: str, column: str, first_line: int = 2
) -> np.ndarray:
    """An allele-frequency column as float64 (empty -> NaN), or an InputError naming the line.

    ``first_line`` is the file line of the first value (2 for a TSV with a header).
    """
    series = pd.Series(values)
    numeric = pd.to_numeric(series, errors="coerce")
    bad_text = (
        numeric.isna() & series.notna() & ~series.astype(str).str.strip().isin(["", ".", "NA", "nan", "NaN"])
    )
    out = numeric.to_numpy(dtype=np.float64)
    outside = ~np.isnan(out) & ((out < 0) | (out > 1))
    bad = np.flatnonzero(bad_text.to_numpy() | outside)
    if len(bad):
        i = int(bad[0])
        value = series.iloc[i]
        shown = repr(value) if isinstance(value, str) else str(value)
        raise input_error(
            where,
            first_line + i,
            f"allele frequency {column}={shown} is not a number in [0, 1]",
            "allele frequencies in [0, 1]; divide percentages by 100",
        )
    return out
