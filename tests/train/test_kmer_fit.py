"""The k-mer baseline's training set: the train split, plus shuffled positives when the models get them."""

import numpy as np

from brainresnet_tf.data.windows import WindowTable
from brainresnet_tf.models.kmer import KmerModel
from brainresnet_tf.train.kmer_fit import train_kmer


def _dinucleotides(codes: np.ndarray) -> np.ndarray:
    a, b = codes[:-1], codes[1:]
    ok = (a < 4) & (b < 4)
    return np.bincount(a[ok] * 4 + b[ok], minlength=16)


def _table(n: int = 24) -> WindowTable:
    starts = np.arange(0, 200 * n, 200)
    labels = np.zeros((n, 1), np.float32)
    labels[::4, 0] = 1  # 6 positives
    split = np.array(["train"] * (n - 4) + ["valid"] * 4)
    return WindowTable(["p"], np.array(["chr1"] * n), starts, labels, split, 200, 400)


def test_shuffled_negatives_join_the_kmer_fit_as_negatives(genome, tmp_path, monkeypatch):
    seen = {}

    def fit(self, codes, labels):
        seen["codes"], seen["labels"] = codes, labels
        self.pipelines = [0.5]
        return self

    monkeypatch.setattr(KmerModel, "fit", fit)
    table = _table()
    _, meta = train_kmer(genome, table, tmp_path / "plain", seed=1)
    plain_codes, plain_labels = seen["codes"], seen["labels"]
    assert len(plain_codes) == 20 and meta.extra["shuffled_negatives"] == 0
    _, meta = train_kmer(genome, table, tmp_path / "shuffled", seed=1, shuffled_negatives=1.0)
    assert meta.extra["shuffled_negatives"] == 5  # the train split's positives (rows 0, 4, ..., 16)
    codes, labels = seen["codes"], seen["labels"]
    np.testing.assert_array_equal(codes[:20], plain_codes)
    np.testing.assert_array_equal(labels[:20], plain_labels)
    assert np.all(labels[20:] == 0) and len(codes) == 25
    positives = plain_codes[plain_labels[:, 0] == 1]
    for row, source in zip(codes[20:], positives):  # each a shuffle of a positive window, in order
        assert not np.array_equal(row, source)
        np.testing.assert_array_equal(_dinucleotides(row), _dinucleotides(source))
