"""Tables in and out: TSV / CSV / Parquet reading, atomic writing, and streamed writing.

A ``.gz`` output name is written as BGZF (blocked gzip, Biopython's writer): valid gzip for every
reader, and a coordinate-sorted table can be indexed with ``tabix``; ``.parquet`` is Parquet.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from brainresnet_tf.errors import InputError
from brainresnet_tf.io.atomic import atomic_path, temporary_name, write_failure

FLOAT_FORMAT = "%.6g"


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """A TSV (or ``.csv``, or ``.parquet``) table."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a table")
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        csv = path.suffix == ".csv" or path.suffixes[-2:] == [".csv", ".gz"]
        return pd.read_csv(path, sep="," if csv else "\t")
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: empty table (expected a header line and rows)") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"{path}: cannot read table ({first})") from None


def open_text_output(path: str | os.PathLike):
    """A text handle for writing ``path``: BGZF-compressed when it ends in ``.gz``, else plain
    (temporary names keep the output's suffix, so they decide the same way)."""
    if Path(path).suffix == ".gz":
        from Bio import bgzf  # BGZF, not plain gzip: tabix-indexable when sorted

        return bgzf.BgzfWriter(str(path), "wb")
    return open(path, "w", newline="")


def write_table(df: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write TSV (BGZF-compressed for ``.gz``, Parquet for ``.parquet``) atomically."""
    with atomic_path(path) as tmp:
        if Path(path).suffix == ".parquet":
            df.to_parquet(tmp, index=False)
        else:
            with open_text_output(tmp) as fh:
                df.to_csv(fh, sep="\t", index=False, float_format=FLOAT_FORMAT)


class TableWriter:
    """Appends DataFrames to a temporary TSV (BGZF for ``.gz``) or Parquet file; ``close``
    renames it into place.

    Rows reach the disk as they are written (memory does not grow with the table); ``abort``
    removes the temporary file, so a failed run leaves nothing under the output's name. A write
    or close that fails (a full disk) removes it too and raises
    :func:`~brainresnet_tf.io.atomic.write_failure`'s one-line error.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = temporary_name(self.path)
        self.parquet = self.path.suffix == ".parquet"
        self._writer = None
        self._fh = None
        self.rows = 0

    def write(self, df: pd.DataFrame) -> None:
        """Append ``df`` (the first call fixes the columns)."""
        try:
            self._write(df)
        except OSError as err:
            self.abort()
            raise write_failure(self.path, err) from None

    def _write(self, df: pd.DataFrame) -> None:
        if self.parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(df, preserve_index=False)
            if self._writer is None:
                self._writer = pq.ParquetWriter(self.tmp, table.schema)
            self._writer.write_table(table.cast(self._writer.schema))
        else:
            if self._fh is None:
                self._fh = open_text_output(self.tmp)
                self._fh.write("\t".join(map(str, df.columns)) + "\n")
            df.to_csv(self._fh, sep="\t", index=False, header=False, float_format=FLOAT_FORMAT)
            self._fh.flush()
        self.rows += len(df)

    def close(self, empty: pd.DataFrame | None = None) -> None:
        """Finish the file and rename it into place (``empty`` gives the header of a 0-row table)."""
        if self._writer is None and self._fh is None:
            self.write(empty if empty is not None else pd.DataFrame())
        try:
            self._close_handle(quiet=False)
            os.replace(self.tmp, self.path)
        except OSError as err:
            self.abort()
            raise write_failure(self.path, err) from None

    def abort(self) -> None:
        """Close and delete the temporary file; the output path is untouched."""
        self._close_handle(quiet=True)
        self.tmp.unlink(missing_ok=True)

    def _close_handle(self, quiet: bool) -> None:
        """Close the open handle (Parquet or text; at most one) once: it is forgotten first, since
        a second close fails (BGZF writes its end block again). Closing flushes, so on a full disk
        it fails too: ``quiet`` ignores that, as :meth:`abort` must still remove the file."""
        handle = self._writer if self._writer is not None else self._fh
        self._writer = self._fh = None
        if handle is None:
            return
        try:
            handle.close()
        except OSError:
            if not quiet:
                raise

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, kind, err, tb) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()
