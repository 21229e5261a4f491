"""A saved model as one object: :func:`load_model` -> :class:`Model`, which predicts, scores
variants and explains, as ``predict``, ``score-variants`` and ``attribute`` do.

Any saved model kind loads (:func:`brainresnet_tf.inference.predictors.load_saved`): a
``model.keras`` (the Brain-ResNet, the CNN baseline, ensembles, transfer models) or the k-mer
baseline's ``model.joblib``, each with its ``model.json``. This module imports no TensorFlow;
loading a Keras model does.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brainresnet_tf.api.attribution import Attributions, Paths

if TYPE_CHECKING:
    import pandas as pd

    from brainresnet_tf.inference.predictors import PredictFn
    from brainresnet_tf.io.genome import Genome
    from brainresnet_tf.models.saving import ModelMeta

Log = Callable[[str], None]
# a list of sequences, a mapping name -> sequence, or (name, sequence) pairs (read_fasta_records)
Sequences = Sequence[str] | Mapping[str, str] | Sequence[tuple[str, str]]
GenomeArg = str | os.PathLike | Any | None  # a FASTA path, a Genome, or None: the model's genome


def load_model(path: str | os.PathLike) -> Model:
    """The saved model at ``path`` (``model.keras``, or the k-mer baseline's ``model.joblib``), with
    the ``model.json`` beside it; one-line errors when either is missing or off.

    Examples:
        >>> model = br.load_model("model.keras")
        >>> model.profiles
        ['open_ATAC', 'closed_ATAC']
        >>> model.meta.input_length, model.meta.arch
        (100, 'resnet')
    """
    from brainresnet_tf.inference.predictors import load_saved

    network, meta = load_saved(path)
    return Model(network, meta, Path(path))


class Model:
    """A loaded model: ``network`` (the Keras model, or the k-mer baseline's), ``meta`` (its
    ``model.json``: profiles, input length, genome, cell types, ...) and ``path``."""

    def __init__(self, network: Any, meta: ModelMeta, path: Path | None = None):
        self.network = network
        self.meta = meta
        self.path = path
        self._predictors: dict[bool, PredictFn] = {}

    @property
    def profiles(self) -> list[str]:
        """The profiles the model predicts, in output order."""
        return list(self.meta.profiles)

    def __repr__(self) -> str:
        return (
            f"<Model {self.path or ''}: {self.meta.arch}, {len(self.profiles)} profiles, "
            f"{self.meta.input_length} bp>"
        )

    def genome(self, genome: GenomeArg = None) -> Genome:
        """``genome`` opened (a FASTA path), as it is (a Genome), or the genome the model was trained on."""
        from brainresnet_tf.io.genome import Genome
        from brainresnet_tf.models.saving import genome_path_for

        if genome is not None and not isinstance(genome, (str, os.PathLike)):
            return genome
        return Genome(genome_path_for(genome, self.meta))

    def predictor(self, rc_average: bool = True) -> PredictFn:
        """Base codes (n, L) uint8 -> predictions (n, profiles); ``rc_average``: both strands averaged."""
        from brainresnet_tf.inference.predictors import as_predictor

        if rc_average not in self._predictors:
            self._predictors[rc_average] = as_predictor(self.network, rc_average=rc_average)
        return self._predictors[rc_average]

    def predict(
        self,
        sequences: Sequences | None = None,
        *,
        regions: str | os.PathLike | pd.DataFrame | None = None,
        genome: GenomeArg = None,
        batch_size: int = 256,
        strict: bool = False,
    ) -> pd.DataFrame:
        """Every profile, both strands averaged: one row per sequence (name, length, one column per
        profile), as ``predict --fasta`` writes; or per region (chrom, start, end, name, one column
        per profile) for the window centred on it, as ``predict --regions`` writes.

        ``sequences``: each is centred in the model's window (N-padded, or cut to its middle).
        ``regions``: a BED file (regions on chromosomes the genome lacks are skipped; ``strict``:
        an error) or a table such as :func:`~brainresnet_tf.io.intervals.read_bed` returns, on
        ``genome`` (a FASTA path or Genome; default: the model's).

        Examples:
            >>> model = br.load_model("model.keras")
            >>> ctcf = "TGGCCACCAGGGGGCGCTA"  # the JASPAR CTCF consensus
            >>> model.predict({"ctcf": ctcf, "other": "GATTACA" * 10}).round(2)
                name  length  open_ATAC  closed_ATAC
            0   ctcf      19       0.59         0.05
            1  other      70       0.02         0.03
            >>> model.predict(regions="data/open.bed").head(2).round(2)
              chrom  start  end          name  open_ATAC  closed_ATAC
            0  chr1    181  236  chr1:181-236       0.50         0.10
            1  chr1    496  551  chr1:496-551       0.59         0.05
        """
        import numpy as np
        import pandas as pd

        if (sequences is None) == (regions is None):
            raise ValueError("give sequences, or regions (with a genome)")
        if regions is not None:
            from brainresnet_tf.inference.predict import region_predictions
            from brainresnet_tf.io.intervals import PeakStats, read_bed

            g = self.genome(genome)
            if isinstance(regions, pd.DataFrame):
                table = regions if "name" in regions else _with_names(regions)
            else:
                table = read_bed(regions, g, skipped=None if strict else PeakStats(Path(regions)))
            frames = list(region_predictions(self.predictor(), self.meta, g, [table], batch_size))
            columns = ["chrom", "start", "end", "name", *self.profiles]
            return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
        from brainresnet_tf.data.sequence_sets import centred_codes

        names, texts = named_sequences(sequences)
        codes = centred_codes(texts, self.meta.input_length)
        predict = self.predictor()
        preds = [predict(codes[i : i + batch_size]) for i in range(0, len(codes), batch_size)]
        values = np.concatenate(preds) if preds else np.zeros((0, len(self.profiles)))
        table = pd.DataFrame({"name": names, "length": [len(s) for s in texts]})
        for i, name in enumerate(self.profiles):
            table[name] = values[:, i]
        return table

    def score_variants(
        self,
        variants: str | os.PathLike | pd.DataFrame,
        genome: GenomeArg = None,
        *,
        batch_size: int = 256,
        max_indel: int = 50,
        orient: bool = False,
        strict: bool = False,
        format: str | None = None,
    ) -> pd.DataFrame:
        """The effect of each variant on every profile, with the columns ``score-variants`` writes:
        key columns, then per profile ``ref``, ``alt``, ``diff`` (alt - ref) and ``logit_diff``
        (``log2fc`` for signal models), both strands averaged, then ``max_abs_diff`` and
        ``max_abs_profile``.

        ``variants``: a VCF or variant table (a path; ``format``: vcf, bed or tsv, else detected)
        or a DataFrame of variants (columns chrom, pos (1-based), ref, alt [, id], in any case, as
        a variant table names them), on ``genome`` (a FASTA path or Genome; default: the
        model's), one row per allele keyed CHROM, POS, ID, REF, ALT, TYPE; or a DataFrame of
        sequence pairs (``id``, ``ref_seq``, ``alt_seq``; no genome), keyed ID, SEQ_POS, REF, ALT,
        TYPE. Alleles that cannot be scored are skipped (``strict``: an error) and counted in
        ``table.attrs["stats"]``; ``orient`` and ``max_indel`` are the command's flags.

        Examples:
            >>> model = br.load_model("model.keras")
            >>> scores = model.score_variants("data/variants.vcf")
            >>> scores[["CHROM", "POS", "ID", "open_ATAC_diff", "max_abs_profile"]].round(2)
              CHROM  POS  ID  open_ATAC_diff max_abs_profile
            0  chr1  210  v0           -0.12       open_ATAC
            1  chr1  525  v1           -0.04       open_ATAC
            >>> import pandas as pd
            >>> pairs = pd.DataFrame({"id": ["p1"], "ref_seq": ["ACGTACGT"], "alt_seq": ["ACGAACGT"]})
            >>> model.score_variants(pairs)[["ID", "SEQ_POS", "REF", "ALT", "TYPE"]]
               ID  SEQ_POS REF ALT TYPE
            0  p1        4   T   A  snv
        """
        import pandas as pd

        from brainresnet_tf.api.variants import score_pair_file, score_variant_file
        from brainresnet_tf.io.sequence_pairs import PAIR_COLUMNS
        from brainresnet_tf.io.tables import read_table, write_table

        with tempfile.TemporaryDirectory(prefix="brainresnet-") as tmp:
            out = Path(tmp) / "scores.parquet"
            if isinstance(variants, pd.DataFrame) and set(PAIR_COLUMNS[1:]) <= set(variants.columns):
                write_table(variants, Path(tmp) / "pairs_dataframe.tsv")
                stats = score_pair_file(self, Path(tmp) / "pairs_dataframe.tsv", out, batch_size=batch_size)
            else:
                if isinstance(variants, pd.DataFrame):  # read as a variant table: the same checks
                    path, format = Path(tmp) / "variants_dataframe.tsv", "tsv"
                    write_table(variants, path)
                else:
                    path = Path(variants)
                stats = score_variant_file(
                    self,
                    self.genome(genome),
                    path,
                    out,
                    batch_size=batch_size,
                    strict=strict,
                    max_indel=max_indel,
                    format=format,
                    orient=orient,
                )
            table = read_table(out)
        table.attrs["stats"] = stats
        return table

    def attribute(
        self,
        sequences: Sequences | None = None,
        *,
        task: str,
        regions: Paths | None = None,
        genome: GenomeArg = None,
        contrast: str | None = None,
        method: str = "ig",
        steps: int = 20,
        references: int = 20,
        baseline: str = "shuffled",
        scale: str = "logit",
        batch_size: int = 256,
        strict: bool = False,
        progress: bool = False,
        log: Log | None = None,
    ) -> Attributions:
        """Per-base attributions of ``task`` (minus ``contrast``) for sequences (each centred in the
        model's window) or for the windows centred on the regions of BED files on ``genome``, as
        ``attribute`` computes them. ``method``: ``ig`` (integrated gradients, ``steps``), ``ixg``
        (input x gradient), ``ism`` (in-silico mutagenesis) or ``deeplift`` (DeepSHAP with
        ``references`` shuffles; ``baseline``); ``scale``: explain the ``logit`` or the ``output``.
        ``log`` receives the notes ``attribute`` prints (regions skipped, DeepLIFT's convergence).

        Examples:
            >>> model = br.load_model("model.keras")
            >>> result = model.attribute(regions="data/open.bed", task="open_ATAC", method="ixg")
            >>> result.contributions.shape, result.hypothetical.shape, result.label
            ((120, 100), (120, 100, 4), 'open_ATAC')
            >>> model.attribute(["ACGT" * 25], task="open_ATAC").hypothetical.shape
            (1, 100, 4)
        """
        import numpy as np

        from brainresnet_tf.api.attribution import explain_windows, region_windows, target_label
        from brainresnet_tf.inference.attribution import AttributionSpec, contributions
        from brainresnet_tf.io.genome import one_hot

        if (sequences is None) == (regions is None):
            raise ValueError("give sequences, or regions (BED files, with a genome)")
        spec = AttributionSpec(task, contrast, method, steps, scale, batch_size, references, baseline)
        target = spec.target(self.network, self.profiles)
        length = self.meta.input_length
        if regions is not None:
            from brainresnet_tf.interpret.selection import one_hot_windows

            g = self.genome(genome)
            windows, _ = region_windows(regions, g, length, strict, log)
            x = one_hot_windows(g, windows, length)
        else:
            from brainresnet_tf.data.sequence_sets import centred_codes

            windows = None
            x = one_hot(centred_codes(named_sequences(sequences)[1], length)).astype(np.float32)
        explanation = explain_windows(spec, target, x, progress, log)
        hyp = explanation.hypothetical
        return Attributions(
            contributions(hyp, x), hyp, x, windows, target_label(self.meta, target), explanation.convergence
        )


def named_sequences(sequences: Sequences) -> tuple[list[str], list[str]]:
    """(names, sequences) of a list of sequences (named seq0, seq1, ...), a mapping name ->
    sequence, or (name, sequence) pairs."""
    if isinstance(sequences, str):
        raise TypeError("sequences: give a list of sequences (or a mapping name -> sequence), not one string")
    if isinstance(sequences, Mapping):
        return list(sequences), list(sequences.values())
    items = list(sequences)
    if items and not isinstance(items[0], str):
        return [str(n) for n, _ in items], [s for _, s in items]
    return [f"seq{i}" for i in range(len(items))], items


def _with_names(regions: pd.DataFrame) -> pd.DataFrame:
    """``regions`` with a name column (chrom:start-end, as BED files without names get)."""
    names = [f"{c}:{s}-{e}" for c, s, e in zip(regions["chrom"], regions["start"], regions["end"])]
    return regions.assign(name=names)
