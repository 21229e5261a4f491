"""VCF reading: streamed line by line (plain, gzip or bgzip), one row per ALT allele.

Only the parsing of a VCF line lives here; every check against the genome, the normalisation,
the counting and the skipping is :class:`brainresnet_tf.io.variants.VariantReader`'s (the same
for variant tables, :mod:`brainresnet_tf.io.allele_tables`).
"""

from __future__ import annotations

import os

import pandas as pd

from brainresnet_tf.errors import input_error
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.variants import (
    DEFAULT_MAX_INDEL,
    ID_COLUMNS,
    SKIP_REASONS,
    VARIANT_TYPES,
    Region,
    Variant,
    VariantReader,
    VariantStats,
    _open_bytes,  # noqa: F401  (io.allele_frequency reads VCF bytes through it)
    parse_position,
)

__all__ = [
    "ID_COLUMNS",
    "SKIP_REASONS",
    "VARIANT_TYPES",
    "Region",
    "Variant",
    "VariantStats",
    "VcfReader",
    "read_vcf",
]


class VcfReader(VariantReader):
    """Streams checked, normalised alleles from a VCF (CHROM POS ID REF ALT ...)."""

    format = "vcf"
    what = "VCF"

    def parse_line(self, text: str, lineno: int) -> tuple[str, int, str, str, list[str]] | None:
        """(CHROM, POS, ID, REF, ALT alleles) of a data line; None for ``#`` lines."""
        if text.startswith("#"):
            return None
        fields = text.split("\t", 5)
        if len(fields) < 5:
            fields = text.split(None, 5)
        if len(fields) < 5:
            raise input_error(
                self.path,
                lineno,
                f"malformed VCF line with {len(fields)} column(s)",
                "tab-separated CHROM POS ID REF ALT ...",
            )
        chrom, pos_text, vid, ref, alts = fields[:5]
        pos = parse_position(pos_text, self.path, lineno)
        if not ref:
            raise input_error(self.path, lineno, "empty REF", "A, C, G, T or N bases")
        ref = self.check_bases(ref, lineno, "REF")
        alleles = alts.split(",")
        if "" in alleles:
            raise input_error(
                self.path, lineno, f"empty ALT allele in {alts[:40]!r}", "A, C, G, T, N or a symbolic allele"
            )
        return chrom, pos, vid, ref, alleles


def read_vcf(
    path: str | os.PathLike,
    genome: Genome,
    strict: bool = False,
    region: Region | str | None = None,
    max_indel: int = DEFAULT_MAX_INDEL,
) -> tuple[pd.DataFrame, VariantStats]:
    """All scorable alleles of a (small) VCF as a table, with the counts; for big files use VcfReader."""
    from brainresnet_tf.io.variant_files import read_variants  # it picks this module's reader

    table = read_variants(path, genome, strict, region, max_indel, format="vcf")
    return table, table.attrs["stats"]
