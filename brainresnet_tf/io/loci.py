"""Locus tables: which locus (credible set, GWAS locus, regulatory element) each variant belongs to.

A TSV (or ``.csv``) of two columns, variant id then locus, with or without a header. A header is
recognised by a variant-id column name (``variant_id``, ``id``, ``rsid``, ``snp``, ``variant``);
the locus column is then the first of ``locus``, ``credible_set``, ``cs_id``, ``set``, ``group``,
``element_id``, ``element``, ``gene``, else the second column. Lines starting with ``#`` and
blank lines are skipped. Rows keep the file's order; a variant listed twice with the same locus
counts once, with two different loci it is an error (one line: file, line, fix).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from brainresnet_tf.errors import InputError, input_error

ID_NAMES = ("variant_id", "id", "rsid", "snp", "snp_id", "variant")
LOCUS_NAMES = ("locus", "credible_set", "cs_id", "set", "group", "element_id", "element", "gene")


def read_loci(path: str | os.PathLike) -> pd.DataFrame:
    """Columns ``variant_id``, ``locus`` (strings, one row per variant, file order)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: locus table not found")
    sep = "," if path.suffix == ".csv" else "\t"
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not a UTF-8 text table ({err.reason})") from err
    id_col, locus_col, header_seen = 0, 1, False
    loci: dict[str, str] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in line.split(sep)]
        if not header_seen:
            header_seen = True
            lower = [f.lower() for f in fields]
            if any(n in lower for n in ID_NAMES):
                id_col = next(lower.index(n) for n in ID_NAMES if n in lower)
                others = [i for i in range(len(lower)) if i != id_col]
                locus_col = next(
                    (lower.index(n) for n in LOCUS_NAMES if n in lower), others[0] if others else -1
                )
                if locus_col < 0:
                    raise input_error(path, lineno, "header has no locus column", "variant_id<TAB>locus")
                continue
        if len(fields) <= max(id_col, locus_col):
            raise input_error(
                path,
                lineno,
                f"{len(fields)} column(s), need the variant id and its locus",
                "variant_id<TAB>locus",
            )
        vid, locus = fields[id_col], fields[locus_col]
        if not vid or not locus:
            raise input_error(
                path, lineno, "empty variant id or locus", "variant_id<TAB>locus, both non-empty"
            )
        before = loci.setdefault(vid, locus)
        if before != locus:
            raise input_error(
                path,
                lineno,
                f"variant {vid!r} is in locus {before!r} and {locus!r}",
                "one locus per variant (list a variant shared by two sets once, or rename it per set)",
            )
    if not loci:
        raise InputError(f"{path}: no variants in the locus table (expected variant_id<TAB>locus rows)")
    return pd.DataFrame({"variant_id": list(loci), "locus": list(loci.values())})
