"""Kipoi components of the BrainResNet model group: the interval dataloader and the model.

Kipoi loads these through ``kipoi_model/BrainResNet``, whose ``model.py`` and ``dataloader.py``
re-export them (Kipoi imports ``<module>.<object>`` from the group's folder). Both reuse the
package's own readers, so a bad input through ``kipoi predict`` fails with the same one-line
message as ``brainresnet predict`` (see :func:`_report_input_errors`, installed once, when this
module is first imported), and the predictions are the same numbers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from brainresnet_tf.errors import InputError

# Kipoi 0.8.6's HDF5 writer names ``np.string_`` and ``np.unicode_``, aliases NumPy 2 removed
# (they are ``np.bytes_`` and ``np.str_``). Kipoi's core is no longer developed, so we restore the
# two aliases rather than wait for a fix; nothing else changes.
for _alias, _type in (("string_", np.bytes_), ("unicode_", np.str_)):
    if _alias not in np.__dict__:
        setattr(np, _alias, _type)

try:
    import pkg_resources  # noqa: F401  (Kipoi imports it; say so before Kipoi's traceback does)
except ModuleNotFoundError:
    raise InputError(
        "Kipoi needs pkg_resources, which setuptools 81 and later removed; fix: "
        'pip install "setuptools<81"  (or: pip install -e ".[kipoi]")'
    ) from None
from kipoi.data import Dataset, kipoi_dataloader  # noqa: E402
from kipoi.metadata import GenomicRanges  # noqa: E402
from kipoi.model import BaseModel  # noqa: E402

from brainresnet_tf.io.genome import Genome, one_hot_sequence  # noqa: E402
from brainresnet_tf.io.intervals import centred_windows, read_bed  # noqa: E402


def _report_input_errors() -> None:
    """Show an uncaught :class:`InputError` as one line, as the ``brainresnet`` CLI does.

    Kipoi's CLI lets exceptions from dataloaders and models escape as tracebacks through its own
    internals; a user who gave a wrong chromosome needs the message, not the stack.
    """
    previous = sys.excepthook

    def hook(kind, err, tb):
        if issubclass(kind, InputError):
            print(f"brainresnet (kipoi): error: {err}", file=sys.stderr)
        else:
            previous(kind, err, tb)

    sys.excepthook = hook


_report_input_errors()


@kipoi_dataloader(override={"dependencies.pip": ["brainresnet_tf"]})
class BrainResNetIntervalDl(Dataset):
    """
    info:
        doc: >
            One window of the model's input length centred on each interval of a BED file, read
            from an indexed FASTA (pyfaidx) and one-hot encoded (A, C, G, T; N and soft-masked
            bases handled, N-padded past chromosome ends) exactly as `brainresnet predict` does.
            Chromosome aliases (chr1 / 1) are resolved; unknown chromosomes, intervals past a
            chromosome end and malformed lines stop with one message naming file and line.
    args:
        intervals_file:
            doc: BED3+ file (plain or gzipped); the 4th column, if present, names the region
            example: example_files/intervals.bed
        fasta_file:
            doc: genome FASTA (plain or bgzipped); indexed by pyfaidx where no .fai exists
            example: example_files/genome.fa
        input_length:
            doc: window length in bp (the model's input length; each model sets it)
    output_schema:
        inputs:
            name: seq
            shape: (None, 4)
            doc: one-hot DNA, columns A, C, G, T
            special_type: DNASeq
            associated_metadata: ranges
        metadata:
            ranges:
                type: GenomicRanges
                doc: the window each row of inputs.seq covers (0-based start) and the region's name
    """

    def __init__(self, intervals_file, fasta_file, input_length=1000):
        if int(input_length) <= 0:
            raise InputError(f"input_length must be a positive number of bp (got {input_length})")
        self.input_length = int(input_length)
        self.genome = Genome(fasta_file)
        # Strict on purpose, unlike `brainresnet predict` (which skips regions on chromosomes the
        # genome lacks, e.g. chrEBV, and says so): Kipoi users expect one output row per interval,
        # a dataloader has no --strict to opt in or out, and this layer may not print, so a skip
        # here would silently drop rows. Such a region stops with the line-naming error instead.
        self.regions = read_bed(intervals_file, self.genome)
        self.windows = centred_windows(self.regions, self.input_length)

    def __len__(self) -> int:
        return len(self.regions)

    def __getitem__(self, idx: int) -> dict:
        chrom = self.windows["chrom"].iat[idx]
        start = int(self.windows["start"].iat[idx])
        end = start + self.input_length
        seq = self.genome.fetch(chrom, start, end)
        ranges = GenomicRanges(chr=chrom, start=start, end=end, id=str(self.windows["name"].iat[idx]))
        return {"inputs": one_hot_sequence(seq), "metadata": {"ranges": ranges}}


class BrainResNetModel(BaseModel):
    """An exported BrainResNet SavedModel (``brainresnet export``) behind Kipoi's model API.

    Calls the ``serving_default`` signature on each batch and on its reverse complement and
    returns the mean as ``{profile name: (B,) array}``, so Kipoi's writers name each column
    ``preds/<profile>`` (``brainresnet predict`` reports the same numbers).
    """

    def __init__(self, savedmodel: str):
        import tensorflow as tf

        from brainresnet_tf.serve.export import DEFAULT_SIGNATURE, version_dirs

        path = Path(savedmodel)
        versions = version_dirs(path)
        if versions:
            path = versions[max(versions)]
        elif not (path / "saved_model.pb").exists():
            raise InputError(
                f"{savedmodel}: no SavedModel here (write one with "
                "`brainresnet kipoi-install` or `brainresnet export`)"
            )
        self._tf = tf
        self._fn = tf.saved_model.load(str(path)).signatures[DEFAULT_SIGNATURE]
        self._output = next(iter(self._fn.structured_outputs))
        self.profiles = (path / "assets" / "profiles.txt").read_text().split()

    def predict_on_batch(self, x) -> dict[str, np.ndarray]:
        """Strand-averaged predictions per profile for one-hot input (B, L, 4)."""
        from brainresnet_tf.inference.strands import strand_average

        x = self._tf.convert_to_tensor(np.asarray(x, dtype=np.float32))
        mean = strand_average(lambda batch: self._fn(sequence=batch)[self._output], x).numpy()
        return {name: mean[:, i] for i, name in enumerate(self.profiles)}
