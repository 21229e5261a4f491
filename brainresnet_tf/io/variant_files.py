"""Which reader a variant file needs (VCF, BED-like or TSV table), detected or given, and opening it."""

from __future__ import annotations

import os
import zlib
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.allele_tables import VariantTableReader
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.variants import (
    DEFAULT_MAX_INDEL,
    Region,
    SkipCallback,
    SwapCallback,
    Variant,
    VariantReader,
    _open_bytes,
)
from brainresnet_tf.io.vcf import VcfReader

FORMATS = ("vcf", "bed", "tsv")


def detect_format(path: str | os.PathLike) -> str:
    """``vcf``, ``bed`` or ``tsv``, from the suffix (``.gz``/``.bgz`` ignored), else the content."""
    path = Path(path)
    name = path.name.lower()
    for suffix in (".gz", ".bgz"):
        name = name.removesuffix(suffix)
    if name.endswith(".vcf"):
        return "vcf"
    if name.endswith(".bed"):
        return "bed"
    if name.endswith((".tsv", ".txt", ".csv")):
        return "tsv"
    try:
        raw, stream = _open_bytes(path, "variant file")
    except InputError:
        return "vcf"  # the reader reports the problem
    try:
        head = stream.read(4096).decode("utf-8", errors="replace")
    except (OSError, EOFError, zlib.error):
        head = ""
    finally:
        raw.close()
    first = next((ln for ln in head.splitlines() if ln.strip()), "")
    if first.startswith("##fileformat=VCF") or first.upper().startswith("#CHROM\tPOS"):
        return "vcf"
    fields = [f.strip().lower() for f in first.lstrip("#").split("\t")]
    if "pos" in fields or "position" in fields:
        return "tsv"
    return "bed" if len(fields) >= 5 else "vcf"


def open_variants(
    path: str | os.PathLike,
    genome: Genome,
    strict: bool = False,
    region: Region | str | None = None,
    on_skip: SkipCallback | None = None,
    max_indel: int = DEFAULT_MAX_INDEL,
    format: str | None = None,
    *,
    orient: bool = False,
    on_swap: SwapCallback | None = None,
) -> VariantReader:
    """The reader for ``path``: VCF, BED-like or TSV table (``format``, or detected).

    ``orient``: alleles given the other way round (ALT is the genome's) are swapped and handed
    to ``on_swap`` instead of skipped (:class:`~brainresnet_tf.io.variants.VariantReader`).
    """
    fmt = format or detect_format(path)
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    swap = {"orient": orient, "on_swap": on_swap}
    if fmt == "vcf":
        return VcfReader(path, genome, strict, region, on_skip, max_indel, **swap)
    return VariantTableReader(path, genome, strict, region, on_skip, max_indel, fmt, **swap)


def read_variants(
    path: str | os.PathLike,
    genome: Genome,
    strict: bool = False,
    region: Region | str | None = None,
    max_indel: int = DEFAULT_MAX_INDEL,
    format: str | None = None,
    *,
    orient: bool = False,
) -> pd.DataFrame:
    """Every scorable allele of a (small) VCF or variant table as a DataFrame: one row per ALT
    allele, checked against ``genome`` and left-normalised, with the columns of
    :class:`~brainresnet_tf.io.variants.Variant` (chrom as written, genome_chrom, 1-based pos,
    id, ref, alt, line, kind, swapped). What was read, scored and skipped (by reason) is a
    :class:`~brainresnet_tf.io.variants.VariantStats` in ``table.attrs["stats"]``. Holds the
    whole table; ``score-variants`` streams :func:`open_variants` instead.

    Examples:
        >>> genome = br.Genome("data/genome.fa")
        >>> variants = br.read_variants("data/variants.vcf", genome)
        >>> variants[["chrom", "pos", "id", "ref", "alt", "kind"]]
          chrom  pos  id ref alt kind
        0  chr1  210  v0   G   C  snv
        1  chr1  525  v1   T   C  snv
        >>> variants.attrs["stats"].scored
        2
    """
    reader = open_variants(path, genome, strict, region, max_indel=max_indel, format=format, orient=orient)
    table = pd.DataFrame([asdict(v) for v in reader], columns=list(Variant.__dataclass_fields__))
    table.attrs["stats"] = reader.stats
    return table
