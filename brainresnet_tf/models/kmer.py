"""The k-mer baseline: strand-symmetric k-mer counts and a logistic regression per profile.

The linear model on k-mer counts every sequence model must beat (on ~640 real ChIP-seq peaks a
5-mer logistic regression beat default deep models, 0.97 vs 0.85 AUROC). Features are counts of
canonical k-mers (a k-mer and its reverse complement share a column) for each k, so predictions
are the same on both strands by construction; counts are log1p-transformed and standardised; the
regularisation strength is chosen per profile by stratified cross-validation on the training
windows only (scikit-learn's LogisticRegressionCV). Written by hand only the k-mer counting: no
maintained package counts canonical k-mers of base-code arrays (``gkmsvm-lite`` on PyPI is new
and unproven; lsgkm is a C binary).
"""

from __future__ import annotations

import os
import warnings
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np


@cache
def canonical_columns(k: int) -> tuple[np.ndarray, int]:
    """Column of each k-mer's canonical class (k-mers indexed base-4, A=0..T=3); column count."""
    index = np.arange(4**k)
    digits = (index[:, None] // 4 ** np.arange(k - 1, -1, -1)) % 4
    rc = ((3 - digits[:, ::-1]) * 4 ** np.arange(k - 1, -1, -1)).sum(1)
    _, column = np.unique(np.minimum(index, rc), return_inverse=True)
    return column.astype(np.int64), int(column.max()) + 1


def kmer_counts(codes: np.ndarray, k: int) -> np.ndarray:
    """Canonical k-mer counts (N, columns) of base codes (N, L) (0-3 = A,C,G,T; 4 = N).

    k-mers that touch an N are not counted.
    """
    codes = np.asarray(codes, np.uint8)
    n, length = codes.shape
    column, n_columns = canonical_columns(k)
    out = np.zeros((n, n_columns), np.float32)
    span = length - k + 1
    if span <= 0 or n == 0:
        return out
    index = np.zeros((n, span), np.int64)
    valid = np.ones((n, span), bool)
    for i in range(k):
        part = codes[:, i : i + span]
        valid &= part < 4
        index = index * 4 + np.minimum(part, 3)
    rows = np.broadcast_to(np.arange(n)[:, None], index.shape)[valid]
    flat = rows * n_columns + column[index[valid]]
    out.ravel()[:] = np.bincount(flat, minlength=n * n_columns)
    return out


def kmer_features(codes: np.ndarray, ks: tuple[int, ...]) -> np.ndarray:
    """Concatenated canonical counts for every k in ``ks``."""
    return np.concatenate([kmer_counts(codes, k) for k in ks], axis=1)


def one_blas_thread() -> AbstractContextManager:
    """Context in which BLAS (OpenBLAS, MKL) runs on one thread.

    The k-mer fits are many small matrix-vector products (lbfgs on ~2,700 features). With BLAS's
    default thread per core they ran 1.3-2.1x slower than on one thread, idle or beside busy
    processes (benchmarks/kmer.py), and slower still beside TensorFlow's training threads.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")


@dataclass(frozen=True)
class KmerSpec:
    """Which k-mers, and the grid of inverse regularisation strengths cross-validated."""

    ks: tuple[int, ...] = (4, 5, 6)
    c_grid: tuple[float, ...] = tuple(float(c) for c in np.logspace(-5, 1, 13))
    folds: int = 5
    max_iter: int = 5000


class KmerModel:
    """One cross-validated logistic regression per profile on canonical k-mer counts."""

    def __init__(self, spec: KmerSpec = KmerSpec(), seed: int = 0):
        self.spec = spec
        self.seed = seed
        self.pipelines: list = []

    def fit(self, codes: np.ndarray, labels: np.ndarray) -> KmerModel:
        """Fit on base codes (N, L) and binary labels (N, P) (NaN: unknown, left out)."""
        x = kmer_features(codes, self.spec.ks)
        labels = np.asarray(labels, np.float32).reshape(len(x), -1)
        self.pipelines = []
        with one_blas_thread():
            for p in range(labels.shape[1]):
                self.pipelines.append(self._fit_profile(x, labels[:, p]))
        return self

    def _fit_profile(self, x: np.ndarray, labels: np.ndarray):
        """One profile's pipeline, or its positive rate where a class is too rare to cross-validate."""
        from sklearn.linear_model import LogisticRegressionCV
        from sklearn.model_selection import StratifiedKFold
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer, StandardScaler

        known = ~np.isnan(labels)
        y = labels[known] > 0.5
        folds = int(min(self.spec.folds, y.sum(), (~y).sum()))
        if folds < 2:  # one class only: predict its frequency
            return float(y.mean()) if len(y) else 0.5
        model = make_pipeline(
            FunctionTransformer(np.log1p),
            StandardScaler(),
            LogisticRegressionCV(
                Cs=list(self.spec.c_grid),
                cv=StratifiedKFold(folds, shuffle=True, random_state=self.seed),
                scoring="roc_auc",
                max_iter=self.spec.max_iter,
            ),
        )
        with warnings.catch_warnings():  # scikit-learn 1.8+ announces API changes we do not use
            warnings.simplefilter("ignore", FutureWarning)
            return model.fit(x[known], y)

    def predict(self, codes: np.ndarray) -> np.ndarray:
        """Probabilities (N, P) for base codes (N, L); the same for a sequence and its reverse
        complement (canonical k-mers)."""
        x = kmer_features(codes, self.spec.ks)
        with one_blas_thread():
            cols = [
                np.full(len(x), m, np.float32) if isinstance(m, float) else m.predict_proba(x)[:, 1]
                for m in self.pipelines
            ]
        return np.stack(cols, axis=1).astype(np.float32)

    def save(self, path: str | os.PathLike) -> None:
        """Pickle with joblib (scikit-learn's recommended persistence), atomically."""
        import joblib

        from brainresnet_tf.io.atomic import atomic_path

        with atomic_path(path) as tmp:
            joblib.dump({"spec": self.spec, "seed": self.seed, "pipelines": self.pipelines}, tmp)

    @classmethod
    def load(cls, path: str | os.PathLike) -> KmerModel:
        """A model written by :meth:`save`."""
        import joblib

        data = joblib.load(Path(path))
        model = cls(data["spec"], data["seed"])
        model.pipelines = data["pipelines"]
        return model
