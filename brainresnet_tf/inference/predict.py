"""Batched predictions on base-code windows, averaged over both strands; regions streamed."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator

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


def prefetch(items: Iterator, depth: int = 2) -> Iterator:
    """Iterate ``items`` in a background thread, ``depth`` ahead (its errors re-raised here).

    TensorFlow and numpy copies release the GIL, so gathering the next batches overlaps the
    model call on this one. Closing the returned generator stops the thread.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(entry) -> bool:
        while not stop.is_set():
            try:
                q.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work():
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((done, None))
        except BaseException as err:  # handed to the consumer
            put((done, err))

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        while True:
            item, err = q.get()
            if item is done:
                if err is not None:
                    raise err
                return
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def region_predictions(
    predictor: Predictor,
    meta: ModelMeta,
    genome: Genome,
    chunks: Iterable[pd.DataFrame],
    batch_size: int = 256,
) -> Iterator[pd.DataFrame]:
    """One output frame per chunk of regions: chrom, start, end, name, one column per profile.

    Windows of the next batch are gathered in a thread while the model runs on this one;
    nothing but the current chunk is held, so a table of any length streams through.
    """

    def batches():
        for regions in chunks:
            windows = centred_windows(regions, meta.input_length)
            starts, chroms = windows["start"].to_numpy(), windows["chrom"].to_numpy()
            for lo in range(0, len(regions), batch_size):
                hi = lo + batch_size
                codes = genome.codes_at(chroms[lo:hi], starts[lo:hi], meta.input_length)
                yield regions.iloc[lo:hi], codes

    for regions, codes in prefetch(batches(), depth=4):
        out = regions[["chrom", "start", "end", "name"]].reset_index(drop=True).copy()
        preds = predictor(codes)
        for i, name in enumerate(meta.profiles):
            out[name] = preds[:, i]
        yield out


def predict_regions(
    model: keras.Model,
    meta: ModelMeta,
    genome: Genome,
    regions: pd.DataFrame,
    batch_size: int = 256,
    progress: bool = True,
) -> pd.DataFrame:
    """One row per region (window centred on it): chrom, start, end, name, one column per profile.

    Holds the whole result; :func:`region_predictions` streams instead.
    """
    frames = list(
        tqdm(
            region_predictions(Predictor(model), meta, genome, [regions], batch_size),
            total=-(-len(regions) // batch_size),
            desc="predicting",
            disable=not progress,
            leave=False,
        )
    )
    if frames:
        return pd.concat(frames, ignore_index=True)
    return pd.DataFrame(columns=["chrom", "start", "end", "name", *meta.profiles])
