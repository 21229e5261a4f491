"""Batched predictions on base-code windows, averaged over both strands."""

from __future__ import annotations

from collections.abc import Iterable

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from tqdm.auto import tqdm

from brainresnet_tf.data.pipeline import codes_to_one_hot
from brainresnet_tf.inference.strands import strand_average
from brainresnet_tf.io.genome import Genome
from brainresnet_tf.io.intervals import centred_windows
from brainresnet_tf.models.saving import ModelMeta


class Predictor:
    """Calls a model on base-code batches (uint8 (B, L)); forward and reverse complement averaged."""

    def __init__(self, model: keras.Model, rc_average: bool = True):
        self.model = model
        self.rc_average = rc_average

        @tf.function(reduce_retracing=True)
        def run(codes):
            x = codes_to_one_hot(codes)
            if not rc_average:
                return model(x, training=False)
            return strand_average(lambda batch: model(batch, training=False), x)

        self._run = run

    def __call__(self, codes: np.ndarray) -> np.ndarray:
        """Predictions (B, n_profiles) for base codes (B, L)."""
        return self._run(tf.convert_to_tensor(codes, tf.uint8)).numpy()

    def predict_batches(
        self,
        batches: Iterable[np.ndarray],
        total: int | None = None,
        progress: bool = True,
        desc: str = "predicting",
    ) -> np.ndarray:
        """Concatenated predictions over an iterable of code batches, with a progress bar."""
        out = [self(b) for b in tqdm(batches, total=total, desc=desc, disable=not progress, leave=False)]
        return np.concatenate(out) if out else np.zeros((0, self.model.outputs[0].shape[-1]))


def predict_regions(
    model: keras.Model,
    meta: ModelMeta,
    genome: Genome,
    regions: pd.DataFrame,
    batch_size: int = 256,
    progress: bool = True,
) -> pd.DataFrame:
    """One row per region (window centred on it): chrom, start, end, name, one column per profile."""
    windows = centred_windows(regions, meta.input_length)
    starts, chroms = windows["start"].to_numpy(), windows["chrom"].to_numpy()
    predictor = Predictor(model)

    def batches():
        for lo in range(0, len(regions), batch_size):
            yield genome.codes_at(
                chroms[lo : lo + batch_size], starts[lo : lo + batch_size], meta.input_length
            )

    preds = predictor.predict_batches(batches(), total=-(-len(regions) // batch_size), progress=progress)
    out = regions[["chrom", "start", "end", "name"]].reset_index(drop=True).copy()
    for i, name in enumerate(meta.profiles):
        out[name] = preds[:, i]
    return out
