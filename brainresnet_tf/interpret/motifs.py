"""TF-MoDISco patterns from attributions, named by TOMTOM against JASPAR.

* patterns: modisco-lite's Python API (``modiscolite.tfmodisco.TFMoDISco``) with the defaults of
  its ``modisco motifs`` command, saved by ``modiscolite.io.save_hdf5``;
* the database: JASPAR CORE vertebrates read offline from the SQLite files inside pyjaspar;
* matching: memelite's TOMTOM (``memelite.tomtom``) on each pattern's PPM, trimmed where its
  CWM is weak the way modisco-lite's report trims, then widened over informative PPM flanks
  (:meth:`Pattern.trim_bounds`); q-values are Benjamini-Hochberg over all
  database motifs for each pattern, as MEME's Tomtom computes them.
The ``brainresnet motifs`` command that ties these to a model lives in :mod:`motif_job`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import h5py
import numpy as np
import pandas as pd

from brainresnet_tf.io.atomic import atomic_path
from brainresnet_tf.io.jaspar import MotifDB

TRIM_THRESHOLD = 0.3  # modisco-lite report's rule: keep positions with >= 30% of the max |CWM|
PATTERN_GROUPS = ("pos_patterns", "neg_patterns")


FLANK_MIN_BITS = 0.3  # PPM columns beyond the CWM core with this much information stay in


def column_information(ppm: np.ndarray) -> np.ndarray:
    """Information content (bits) of each PPM column against a uniform background."""
    from modiscolite.report import compute_per_position_ic

    return compute_per_position_ic(np.asarray(ppm, float), np.full(4, 0.25), 0.001)


def _widen(informative: np.ndarray, edge: int, step: int, max_gap: int = 1) -> int:
    """Last index reached walking from ``edge`` by ``step`` over informative columns, crossing
    at most ``max_gap`` uninformative ones in a row."""
    last, gap, i = edge, 0, edge + step
    while 0 <= i < len(informative):
        if informative[i]:
            last, gap = i, 0
        elif (gap := gap + 1) > max_gap:
            break
        i += step
    return last


# --------------------------------------------------------------------------- JASPAR


def write_db_meme(db: MotifDB, path: str | os.PathLike) -> None:
    """The database as a MEME file (``MOTIF <id> <name>``), e.g. for ``modisco report -m``."""
    from memelite.io import write_meme

    with atomic_path(path) as tmp:
        write_meme(str(tmp), {f"{i} {n}": p for i, n, p in zip(db.ids, db.names, db.pwms)})


# --------------------------------------------------------------------------- modisco


@dataclass
class Pattern:
    """One modisco pattern: name like ``pos_patterns.pattern_0``, matrices (W, 4), seqlets."""

    name: str
    sign: int
    n_seqlets: int
    ppm: np.ndarray
    cwm: np.ndarray
    hcwm: np.ndarray
    seqlets: pd.DataFrame  # example_idx, start, end, is_revcomp

    def trim_bounds(self, threshold: float = TRIM_THRESHOLD) -> tuple[int, int]:
        """[start, end) of the motif: the positions whose |CWM| sum reaches ``threshold`` x its
        maximum (modisco-lite's rule), widened over the PPM's informative flanks.

        The CWM core alone can drop the flanks that tell a matrix from its JASPAR relatives: the
        model may lean on PAX6's central half, which alone matches PAX9 better. So the bounds
        grow outwards while PPM columns carry >= ``FLANK_MIN_BITS`` (one weak column may sit
        between two informative ones); background columns of the seqlet window carry ~0 bits.
        """
        score = np.abs(self.cwm).sum(axis=1)
        keep = np.flatnonzero(score >= score.max() * threshold)
        lo, hi = int(keep.min()), int(keep.max()) + 1
        informative = column_information(self.ppm) >= FLANK_MIN_BITS
        return _widen(informative, lo, -1), _widen(informative, hi - 1, 1) + 1

    def trimmed_ppm(self, threshold: float = TRIM_THRESHOLD) -> np.ndarray:
        lo, hi = self.trim_bounds(threshold)
        return self.ppm[lo:hi]

    def consensus(self) -> str:
        return "".join("ACGT"[i] for i in self.trimmed_ppm().argmax(axis=1))


def run_modisco(
    one_hot: np.ndarray,
    hypothetical: np.ndarray,
    out_h5: str | os.PathLike,
    *,
    max_seqlets: int = 20000,
    n_leiden: int = 2,
    sliding_window: int = 20,
    flank: int = 5,
    trim_size: int = 30,
    initial_flank: int = 10,
    final_flank: int = 0,
    target_fdr: float = 0.05,
    verbose: bool = False,
    isolate: bool = True,
) -> list[Pattern]:
    """TF-MoDISco on (N, L, 4) one-hot and hypothetical contributions; writes ``out_h5``.

    Defaults are those of modisco-lite's ``modisco motifs`` command, except ``max_seqlets``,
    which that command requires and which here is the Python API's default (on the demo, 2,000
    merged the ASCL1 and NEUROD1 E-boxes; all seqlets separate them). Returns the patterns, or
    an empty list when too few seqlets pass its threshold.

    ``isolate`` runs it in a fresh (spawned) process: in a process where TensorFlow's threads
    run, modisco-lite cannot fork the children that compile and cache its numba kernels, and
    compiles them in-process on every run (~20 s on 2 cores, against ~3 s from the cache).
    """
    one_hot = np.ascontiguousarray(one_hot, np.float32)
    hypothetical = np.ascontiguousarray(hypothetical, np.float32)
    if one_hot.shape != hypothetical.shape or one_hot.ndim != 3 or one_hot.shape[2] != 4:
        raise ValueError(
            f"one-hot {one_hot.shape} and attributions {hypothetical.shape} must both be (N, L, 4)"
        )
    kwargs = dict(
        max_seqlets_per_metacluster=max_seqlets,
        n_leiden_runs=n_leiden,
        sliding_window_size=sliding_window,
        flank_size=flank,
        trim_to_window_size=trim_size,
        initial_flank_to_add=initial_flank,
        final_flank_to_add=final_flank,
        target_seqlet_fdr=target_fdr,
        verbose=verbose,
    )
    with atomic_path(out_h5) as tmp:
        if isolate:
            import multiprocessing

            with multiprocessing.get_context("spawn").Pool(1) as pool:
                pool.apply(_modisco_to_h5, (one_hot, hypothetical, str(tmp), kwargs))
        else:
            _modisco_to_h5(one_hot, hypothetical, str(tmp), kwargs)
    return read_patterns(out_h5)


def _modisco_to_h5(one_hot: np.ndarray, hypothetical: np.ndarray, path: str, kwargs: dict) -> None:
    from modiscolite import io as mio
    from modiscolite import tfmodisco

    try:
        pos, neg = tfmodisco.TFMoDISco(one_hot=one_hot, hypothetical_contribs=hypothetical, **kwargs)
    except (ZeroDivisionError, ValueError):
        # modisco-lite 3.0 fails on degenerate contributions (one sign empty: ZeroDivisionError;
        # all seqlet weights zero: scikit-learn's ValueError), e.g. an untrained or linear model:
        # that means no patterns, not a failure of the command
        pos, neg = None, None
    mio.save_hdf5(path, pos, neg, one_hot.shape[1])


def read_patterns(h5_path: str | os.PathLike) -> list[Pattern]:
    """Patterns of a modisco-lite results file, positive then negative, in pattern order."""
    out = []
    with h5py.File(h5_path, "r") as f:
        for group in PATTERN_GROUPS:
            if group not in f:
                continue
            items = sorted(f[group].items(), key=lambda kv: int(kv[0].split("_")[-1]))
            for key, g in items:
                s = g["seqlets"]
                seqlets = pd.DataFrame({k: s[k][:] for k in ("example_idx", "start", "end", "is_revcomp")})
                out.append(
                    Pattern(
                        f"{group}.{key}",
                        1 if group == "pos_patterns" else -1,
                        int(s["n_seqlets"][0]),
                        g["sequence"][:],
                        g["contrib_scores"][:],
                        g["hypothetical_contribs"][:],
                        seqlets,
                    )
                )
    return out


def write_patterns_meme(patterns: list[Pattern], path: str | os.PathLike) -> None:
    """Trimmed pattern PPMs as MEME (modisco-lite's MEMEWriter; nsites = seqlet count)."""
    from modiscolite.meme_writer import MEMEWriter, MEMEWriterMotif

    writer = MEMEWriter(
        memesuite_version="5",
        motifs=[],
        alphabet="ACGT",
        background_frequencies="A 0.25 C 0.25 G 0.25 T 0.25",
        strands="+ -",
    )
    for p in patterns:
        writer.add_motif(MEMEWriterMotif(p.name, p.trimmed_ppm(), p.n_seqlets, "ACGT", 4))
    with atomic_path(path) as tmp:
        writer.write(str(tmp))


# --------------------------------------------------------------------------- TOMTOM


def tomtom_matrix(queries: list[np.ndarray], db: MotifDB) -> tuple[np.ndarray, np.ndarray]:
    """p-values (Q, T) of every query PPM (W, 4) against every database motif, and the strand
    (1 when the best alignment is the database motif's reverse complement)."""
    from memelite import tomtom

    qs = [np.ascontiguousarray(q.T, dtype=np.float64) for q in queries]
    ts = [np.asarray(t, dtype=np.float64) for t in db.pwms]
    p, _, _, _, strands = tomtom(qs, ts, n_nearest=None)[:5]
    return np.asarray(p), np.asarray(strands)


def match_ppms(queries: list[np.ndarray], db: MotifDB, top_n: int = 3) -> list[list[dict]]:
    """Best ``top_n`` database matches of each query: id, name, p, q, strand; best first."""
    from scipy.stats import false_discovery_control

    if not queries:
        return []
    p, strands = tomtom_matrix(queries, db)
    out = []
    for row, strand in zip(p, strands):
        row = np.clip(np.nan_to_num(row, nan=1.0), 0.0, 1.0)
        q = false_discovery_control(row, method="bh")
        order = np.argsort(row, kind="stable")[:top_n]
        out.append(
            [
                {
                    "id": db.ids[j],
                    "name": db.names[j],
                    "p": float(row[j]),
                    "q": float(q[j]),
                    "strand": "-" if strand[j] else "+",
                }
                for j in order
            ]
        )
    return out


def pattern_table(patterns: list[Pattern], db: MotifDB, top_n: int = 3) -> pd.DataFrame:
    """One row per pattern: pattern, sign, n_seqlets, width, consensus, match{i}_{id,name,p,q}."""
    matches = match_ppms([p.trimmed_ppm() for p in patterns], db, top_n)
    rows = []
    for pat, best in zip(patterns, matches):
        row = {
            "pattern": pat.name,
            "sign": "+" if pat.sign > 0 else "-",
            "n_seqlets": pat.n_seqlets,
            "width": len(pat.trimmed_ppm()),
            "consensus": pat.consensus(),
        }
        for i in range(top_n):
            m = best[i] if i < len(best) else {}
            for key in ("id", "name", "p", "q", "strand"):
                row[f"match{i + 1}_{key}"] = m.get(key)
        rows.append(row)
    columns = ["pattern", "sign", "n_seqlets", "width", "consensus"] + [
        f"match{i + 1}_{k}" for i in range(top_n) for k in ("id", "name", "p", "q", "strand")
    ]
    return pd.DataFrame(rows, columns=columns)
