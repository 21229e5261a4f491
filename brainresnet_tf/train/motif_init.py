"""First-layer filters initialised from JASPAR motifs enriched in the training positives.

With a few hundred positives a convolution learns base composition before it learns motifs. This
gives it motifs to start from: every JASPAR CORE vertebrate matrix scans the training positives and
their dinucleotide shuffles (same composition, no motifs), and the ones whose best match separates
the two best become the first filters (log-odds, cropped or padded to the kernel width), skipping a
motif whose per-sequence scores repeat an already chosen one's. Only training windows are read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from brainresnet_tf.io.genome import one_hot
from brainresnet_tf.io.jaspar import MotifDB

if TYPE_CHECKING:
    import keras

    from brainresnet_tf.data.pipeline import WindowSource

MAX_BASES = 400_000  # positive bases scanned (a seeded sample of windows beyond this; 1,142 at 350 bp)
REDUNDANT_R = 0.9  # a motif whose scores correlate this much with a chosen one's is skipped
_CHOSEN: dict[tuple, tuple[np.ndarray, list[str]]] = {}  # the last choice, reused by ensemble members


def log_odds_kernel(ppm: np.ndarray, width: int) -> np.ndarray:
    """A (4, W) PPM as a (width, 4) log2-odds kernel: its most informative ``width`` columns when
    longer, centred between zero columns when shorter."""
    lo = np.log2(np.clip(np.asarray(ppm, float), 1e-3, 1.0) / 0.25).T  # (W, 4)
    w = len(lo)
    if w > width:
        info = (np.asarray(ppm, float).T * lo).sum(axis=1)
        start = int(np.argmax(np.convolve(info, np.ones(width), mode="valid")))
        return lo[start : start + width]
    out = np.zeros((width, 4))
    left = (width - w) // 2
    out[left : left + w] = lo
    return out


def max_scores(codes: np.ndarray, kernels: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Best match (both strands) of each kernel (K, w, 4) in each row of base codes (N, L) -> (N, K)."""
    k, w, _ = kernels.shape
    both = np.concatenate([kernels, kernels[:, ::-1, ::-1]]).reshape(2 * k, w * 4).T.astype(np.float32)
    out = np.empty((len(codes), k), np.float32)
    for i in range(0, len(codes), chunk):
        x = one_hot(codes[i : i + chunk]).astype(np.float32)
        windows = np.lib.stride_tricks.sliding_window_view(x, w, axis=1)  # (n, L-w+1, 4, w)
        flat = windows.transpose(0, 1, 3, 2).reshape(len(x), -1, w * 4)
        best = (flat @ both).max(axis=1)  # (n, 2K)
        out[i : i + chunk] = np.maximum(best[:, :k], best[:, k:])
    return out


def enriched_motifs(
    positives: np.ndarray, shuffled: np.ndarray, db: MotifDB, n: int, width: int
) -> tuple[np.ndarray, list[str]]:
    """The ``n`` motifs whose best match best separates positives (N, L) from their shuffles, as
    log-odds kernels (width, 4, n), with their ``id name`` labels (most enriched first)."""
    from sklearn.metrics import roc_auc_score

    kernels = np.stack([log_odds_kernel(p, width) for p in db.pwms])
    scores = max_scores(np.concatenate([positives, shuffled]), kernels)
    y = np.r_[np.ones(len(positives)), np.zeros(len(shuffled))]
    auroc = np.array([roc_auc_score(y, scores[:, j]) for j in range(len(kernels))])
    centred = scores - scores.mean(axis=0)
    centred /= np.linalg.norm(centred, axis=0) + 1e-9
    chosen: list[int] = []
    for j in np.argsort(-auroc, kind="stable"):
        if len(chosen) == n:
            break
        if chosen and np.max(centred[:, chosen].T @ centred[:, j]) > REDUNDANT_R:
            continue
        chosen.append(int(j))
    return kernels[chosen].transpose(1, 2, 0), [f"{db.ids[j]} {db.names[j]}" for j in chosen]


def first_conv(model: keras.Model) -> keras.layers.Conv1D | None:
    """The model's first Conv1D layer (inside nested encoders too)."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv1D):
            return layer
        if isinstance(layer, keras.Model):
            found = first_conv(layer)
            if found is not None:
                return found
    return None


def set_motif_filters(model: keras.Model, kernels: np.ndarray) -> int:
    """Overwrite the first filters of the model's first Conv1D with ``kernels`` (w, 4, n), each
    scaled to the mean norm of the random filters it replaces; returns how many were set."""
    conv = first_conv(model)
    weights = conv.get_weights()
    kernel = weights[0]
    n = min(kernels.shape[2], kernel.shape[2])
    width = min(kernels.shape[0], kernel.shape[0])
    target = np.linalg.norm(kernel.reshape(-1, kernel.shape[2]), axis=0).mean()
    k = kernels[:width, :, :n]
    k = k / (np.linalg.norm(k.reshape(-1, n), axis=0) + 1e-9) * target
    kernel[:, :, :n] = 0.0
    left = (kernel.shape[0] - width) // 2
    kernel[left : left + width, :, :n] = k
    conv.set_weights([kernel, *weights[1:]])
    return n


def init_motif_filters(
    model: keras.Model, n: int, source: WindowSource, log: Callable[[str], None] | None = None
) -> list[str]:
    """Set ``n`` first-layer filters of a fresh model from the JASPAR motifs most enriched in the
    positive training windows of ``source`` (a WindowSource) over their dinucleotide shuffles.

    The choice depends on the data alone (a fixed seed), so every ensemble member and worker gets
    the same motifs; it is computed once per process for the same windows and kernel width.
    """
    rows = source.positives
    if len(rows) == 0:
        return []
    rng = np.random.default_rng(4242)
    keep = max(MAX_BASES // source.length, 50)
    if len(rows) > keep:
        rows = np.sort(rng.choice(rows, keep, replace=False))
    positives = source.codes(rows)
    conv = first_conv(model)
    key = (hashlib.sha1(positives.tobytes()).hexdigest(), n, conv.kernel_size[0])
    if key not in _CHOSEN:
        from brainresnet_tf.data.shuffle import dinucleotide_shuffles
        from brainresnet_tf.io.jaspar import jaspar_core_vertebrates

        shuffled = dinucleotide_shuffles(positives, 1, rng)[:, 0]
        _CHOSEN.clear()  # one run's choice at a time
        _CHOSEN[key] = enriched_motifs(positives, shuffled, jaspar_core_vertebrates(), n, key[2])
    kernels, names = _CHOSEN[key]
    set_motif_filters(model, kernels)
    if log is not None:
        shown = ", ".join(name.split(" ", 1)[1] for name in names[:8]) + (", ..." if len(names) > 8 else "")
        log(
            f"[train] {len(names)} first-layer filters from JASPAR motifs enriched in the training "
            f"positives: {shown}"
        )
    return names
