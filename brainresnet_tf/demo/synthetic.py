"""The embedded demo data: a synthetic genome whose cell types open chromatin at planted JASPAR motifs.

Regulatory elements (200-300 bp) carry real JASPAR motif instances, sampled from the position
probability matrices pyjaspar ships offline. Each element is drawn for one "program" (a cell
type, the shared program or a decoy), but its state is then computed for EVERY cell type from
the motifs it carries: a cell type opens an element when the element carries at least
``min_motifs`` instances of that cell type's motifs, or any shared motif (CTCF, YY1). A small
fraction of states is flipped as noise, single decoy instances are planted in the background
(one motif alone does not open chromatin) and a few spurious peaks are added.

Everything is written as real files, so the code that reads hg38 and ENCODE reads these too::

    out_dir/genome.fa, genome.fa.fai     soft-masked (lower case) FASTA with N runs
    out_dir/peaks/<profile>.narrowPeak   one ATAC profile per cell type, sorted
    out_dir/signal/<profile>.bw          fixed-step (10 bp) signal, no NaN
    out_dir/conservation.bw              GERP-like conservation: higher at planted motif sites
    out_dir/elements.tsv                 truth: one row per element, its motifs and 0/1 per cell type
    out_dir/motif_sites.tsv              truth: one row per planted instance (0-based, half-open)
    out_dir/dataset.json                 the parameters, grammar and JASPAR matrix ids used

In ``motif_sites.tsv`` the ``sequence`` column is the instance as read along the motif (the
JASPAR matrix's orientation); on the ``-`` strand the genome holds its reverse complement.

The conservation track is drawn from its own random stream (``default_rng([seed, 17])``), after
everything else: adding it left every other file byte for byte as it was.
"""

from __future__ import annotations

import functools
import json
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig
import pyfaidx

from brainresnet_tf.io.atomic import atomic_open, atomic_path, write_text

BASES = np.array(list("ACGT"))
SHARED_MOTIFS = ("CTCF", "YY1")
# Which JASPAR matrix stands for a name that has several (the classic, well-known profile).
PREFERRED_MATRIX = {
    "CTCF": "MA0139",
    "PAX6": "MA0069",
    "ASCL1": "MA1100",
    "FOS::JUN": "MA0099",
    "OLIG2": "MA0678",
}
# Columns of elements.tsv besides the cell types (a cell type may not take one of these names).
ELEMENT_COLUMNS = ("element_id", "chrom", "start", "end", "program", "motifs")
SITE_COLUMNS = ("element_id", "chrom", "start", "end", "strand", "motif_name", "matrix_id", "sequence")
BACKGROUND = "background"  # element_id of decoy instances planted outside elements
MIN_CHROM_LENGTH = 20_000

_BIGWIG_STEP = 10
_N_RUN_MARGIN = 1000  # no element or planted motif within this distance of an N run
_ELEMENT_MARGIN = 300  # no background decoy or spurious peak within this distance of an element
_DECOYS_PER_MB = 60
CONSERVATION_FILE = "conservation.bw"
_CONSERVATION_STREAM = 17  # the conservation track's own generator: default_rng([seed, 17])
_CONSERVATION_BIN = 50  # background resolution (bp); planted motif bases get one value each
GERP_RANGE = (-12.3, 6.17)  # GERP++ RS bounds on the human genome


@dataclass(frozen=True)
class CellType:
    """A simulated cell type: the motifs whose co-occurrence opens its chromatin."""

    name: str
    motifs: tuple[str, ...]
    min_motifs: int = 2


# The demo's cell types. Neurons: NEUROG2 (the factor that makes iPSC-derived neurons) and RFX4;
# progenitors: PAX6 and GLI3 of cortical radial glia; fetal brain mixes the two. Every demo motif
# (and the shared CTCF, YY1) was chosen so that TOMTOM still names its own JASPAR matrix from
# instances drawn at sharpness 3 (tests/data/test_synthetic.py checks it). Better-known choices fail
# that: NEUROD1, SOX2, RFX2 and AP-1 (FOS::JUN) lose to near-identical relatives (Neurod2, Sox7,
# RFX1, FOS::JUND) from instances only slightly closer to the consensus, and seqlets a motif
# finder picks are exactly such instances, so their names would be coin flips. A third neuron
# motif found only in iPSC neurons (MEF2D) was not learned by the demo models: a single NEUROG2
# or RFX4 already explains most neuron elements, so two motifs per cell type it is.
DEFAULT_CELL_TYPES: tuple[CellType, ...] = (
    CellType("iPSC_neuron", ("NEUROG2", "RFX4")),
    CellType("NPC", ("PAX6", "GLI3")),
    CellType("fetal_brain", ("NEUROG2", "PAX6", "RFX4")),
)


# The BrainResNet model family: one model per cell type (the names Kipoi and TF Serving use).
BRAINRESNET_FAMILY: tuple[CellType, ...] = DEFAULT_CELL_TYPES[:2] + (
    CellType("iN_Glut", ("NEUROD2", "MEF2C", "RFX2")),
    DEFAULT_CELL_TYPES[2],
)
# Motifs the simulated public compendium draws its cell types from (shared with the family).
COMPENDIUM_VOCABULARY = (
    "NEUROG2",
    "NEUROD2",
    "MEF2D",
    "RFX2",
    "RFX4",
    "PAX6",
    "MEF2C",
    "LHX2",
    "OLIG2",
    "SPI1",
    "NFIA",
    "TEAD1",
    "CEBPB",
    "FOXA2",
    "POU3F2",
    "EGR1",
    "HNF4A",
    "GATA1",
    "GLI3",
    "IRF8",
)


def compendium_cell_types(
    n: int = 50, seed: int = 0, vocabulary: Sequence[str] = COMPENDIUM_VOCABULARY
) -> tuple[CellType, ...]:
    """``n`` simulated public cell types, each opened by 2-4 motifs of a shared vocabulary."""
    rng = np.random.default_rng([seed, 7])
    return tuple(
        CellType(
            f"compendium{i:02d}",
            tuple(str(m) for m in rng.choice(list(vocabulary), int(rng.integers(2, 5)), replace=False)),
        )
        for i in range(n)
    )


@dataclass(frozen=True)
class SyntheticProfile:
    """One simulated profile and its files."""

    name: str
    cell_type: str
    assay: str
    peaks: Path
    bigwig: Path


@dataclass(frozen=True)
class SyntheticDataset:
    """Paths and facts of a generated data set."""

    fasta: Path
    chrom_sizes: dict[str, int]
    profiles: tuple[SyntheticProfile, ...]
    elements: Path
    motif_sites: Path
    motifs: dict[str, str]
    conservation: Path | None = None


# --------------------------------------------------------------------------- JASPAR motifs


@functools.cache
def _jaspar_db(release: str):
    from pyjaspar import jaspardb

    return jaspardb(release=release)


@functools.cache
def jaspar_motif(name: str, release: str = "JASPAR2024") -> tuple[str, np.ndarray]:
    """(matrix_id, probabilities (L, 4) in A,C,G,T order) of a JASPAR motif, read offline.

    pyjaspar matches names case-insensitively; where a name has several matrices the one in
    ``PREFERRED_MATRIX`` is used, else the first pyjaspar returns. A pseudocount keeps every
    probability above zero. Raises ``ValueError`` naming the motif when JASPAR lacks it.
    """
    with warnings.catch_warnings():  # pyjaspar warns "Zero motifs returned" before we raise
        warnings.simplefilter("ignore")
        found = _jaspar_db(release).fetch_motifs_by_name(name)
    if not found:
        raise ValueError(f"JASPAR ({release}) has no motif named {name!r}")
    preferred = [m for m in found if m.matrix_id.startswith(PREFERRED_MATRIX.get(name, "~"))]
    motif = (preferred or found)[0]
    counts = np.array([motif.counts[b] for b in "ACGT"], dtype=float).T + 0.01
    probs = counts / counts.sum(axis=1, keepdims=True)
    probs.flags.writeable = False  # cached and shared: nobody may change it in place
    return motif.matrix_id, probs


def sample_motif(rng: np.random.Generator, probs: np.ndarray) -> str:
    """One motif instance drawn column by column from a probability matrix (L, 4)."""
    cum = np.cumsum(probs, axis=1)
    idx = (rng.random((len(probs), 1)) > cum).sum(axis=1)
    return "".join(BASES[np.minimum(idx, 3)])


def _reverse_complement(seq: str) -> str:
    return seq[::-1].translate(str.maketrans("ACGTacgt", "TGCAtgca"))


# --------------------------------------------------------------------------- generation


def _validate(
    cell_types: Sequence[CellType],
    n_chroms: int,
    chrom_length: int,
    elements_per_mb: float,
    noise: float,
    sharpness: float,
) -> None:
    if not cell_types:
        raise ValueError("cell_types is empty: give at least one CellType")
    names = [c.name for c in cell_types]
    if len(set(names)) != len(names):
        raise ValueError(f"cell type names must be unique, got {names}")
    for c in cell_types:
        if c.name in ELEMENT_COLUMNS:
            raise ValueError(f"cell type name {c.name!r} clashes with an elements.tsv column")
        if not c.motifs:
            raise ValueError(f"cell type {c.name!r} has no motifs")
        if c.min_motifs < 1:
            raise ValueError(f"cell type {c.name!r}: min_motifs must be >= 1, got {c.min_motifs}")
    if n_chroms < 1:
        raise ValueError(f"n_chroms must be >= 1, got {n_chroms}")
    if chrom_length < MIN_CHROM_LENGTH:
        raise ValueError(f"chrom_length must be >= {MIN_CHROM_LENGTH}, got {chrom_length}")
    if elements_per_mb < 0:
        raise ValueError(f"elements_per_mb must be >= 0, got {elements_per_mb}")
    if not 0 <= noise <= 0.5:
        raise ValueError(f"noise must be in [0, 0.5], got {noise}")
    if sharpness <= 0:
        raise ValueError(f"sharpness must be > 0, got {sharpness}")


def _background(rng: np.random.Generator, length: int) -> np.ndarray:
    """Random bases (as bytes) with GC varying between 0.35 and 0.50 in 50 kb blocks."""
    gc = np.repeat(rng.uniform(0.35, 0.50, length // 50_000 + 1), 50_000)[:length]
    u = rng.random(length)
    codes = np.where(u < (1 - gc) / 2, 0, np.where(u < 0.5, 1, np.where(u < 0.5 + gc / 2, 2, 3)))
    return np.frombuffer(b"ACGT", dtype=np.uint8)[codes].copy()


def _n_runs(rng: np.random.Generator, chrom: str, size: int) -> list[tuple[int, int]]:
    """N runs: 10 kb at the start of chr1 (a telomere gap) and two short runs per chromosome."""
    runs = [(0, min(10_000, size // 10))] if chrom == "chr1" else []
    lo = max(runs[0][1] if runs else 0, size // 10) + _N_RUN_MARGIN
    for s in rng.integers(lo, size - 5000, 2):
        runs.append((int(s), int(s + rng.integers(500, 3000))))
    return runs


def _open_states(
    placed: Sequence[str], cell_types: Sequence[CellType], shared_motifs: Sequence[str]
) -> list[int]:
    """The grammar, before noise: 1 where the planted motifs open the element in a cell type."""
    any_shared = any(m in shared_motifs for m in placed)
    return [int(any_shared or sum(m in c.motifs for m in placed) >= c.min_motifs) for c in cell_types]


def generate_synthetic_dataset(
    out_dir: str | os.PathLike,
    *,
    cell_types: Sequence[CellType] = DEFAULT_CELL_TYPES,
    n_chroms: int = 6,
    chrom_length: int = 500_000,
    elements_per_mb: float = 400.0,
    seed: int = 0,
    shared_motifs: Sequence[str] = SHARED_MOTIFS,
    noise: float = 0.03,
    jaspar_release: str = "JASPAR2024",
    assay: str = "ATAC",
    sharpness: float = 2.0,
) -> SyntheticDataset:
    """Write a synthetic genome with per-cell-type open chromatin at planted JASPAR motifs.

    Deterministic: the same arguments give the same files, byte for byte. ``noise`` is the
    fraction of (element, cell type) states flipped after the grammar. Instances are drawn from
    each matrix raised to the power ``sharpness`` (renormalised): 1 is the matrix itself; larger
    values draw instances closer to the consensus, so a small demo model can find weak, short
    motifs (LHX2's 6-mer) without a genome's worth of examples. ``elements_per_mb`` is capped
    at about 900 (elements sit in 1 kb slots).
    """
    cell_types = tuple(cell_types)
    shared_motifs = tuple(shared_motifs)
    _validate(cell_types, n_chroms, chrom_length, elements_per_mb, noise, sharpness)
    out = Path(out_dir)
    (out / "peaks").mkdir(parents=True, exist_ok=True)
    (out / "signal").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = sorted({m for c in cell_types for m in c.motifs} | set(shared_motifs))
    pwms = {}
    for n in names:
        matrix_id, probs = jaspar_motif(n, jaspar_release)
        sharp = probs**sharpness
        pwms[n] = (matrix_id, sharp / sharp.sum(axis=1, keepdims=True))
    programs = [c.name for c in cell_types] + ["shared", "decoy"]
    weights = np.array([1.0] * len(cell_types) + [0.6 if shared_motifs else 0.0, 0.8])
    ct_motifs = sorted({m for c in cell_types for m in c.motifs})
    # background decoys: motifs that one instance alone cannot open anywhere
    lone = sorted(
        {m for c in cell_types if c.min_motifs >= 2 for m in c.motifs}
        - set(shared_motifs)
        - {m for c in cell_types if c.min_motifs < 2 for m in c.motifs}
    )
    chrom_sizes = {f"chr{i + 1}": int(chrom_length) for i in range(n_chroms)}

    seqs, elements, sites, masks, free_bg, n_masks = {}, [], [], {}, {}, {}
    for chrom, size in chrom_sizes.items():
        seq = _background(rng, size)
        blocked = np.zeros(size, bool)
        n_mask = np.zeros(size, bool)
        for s, e in _n_runs(rng, chrom, size):
            seq[s:e] = ord("N")
            n_mask[s:e] = True
            blocked[max(s - _N_RUN_MARGIN, 0) : e + _N_RUN_MARGIN] = True
        slots = np.arange(1000, size - 1500, 1000)
        slots = slots[~blocked[slots] & ~blocked[np.minimum(slots + 600, size - 1)]]
        n_el = min(int(round(elements_per_mb * size / 1e6)), len(slots))
        for el_start in np.sort(rng.choice(slots, n_el, replace=False)) + rng.integers(0, 200, n_el):
            el_start = int(el_start)
            width = int(rng.integers(200, 301))
            program = programs[rng.choice(len(programs), p=weights / weights.sum())]
            if program == "shared":
                planted = list(rng.choice(list(shared_motifs), rng.integers(1, 3)))
            elif program == "decoy":
                planted = [rng.choice(ct_motifs)]
            else:
                ct = cell_types[programs.index(program)]
                planted = list(
                    rng.choice(list(ct.motifs), int(rng.integers(ct.min_motifs, ct.min_motifs + 2)))
                )
            el_id = f"{chrom}_el{len(elements)}"
            placed = _plant(rng, seq, el_start, width, planted, pwms, chrom, el_id, sites)
            states = _open_states(placed, cell_types, shared_motifs)
            flips = rng.random(len(cell_types)) < noise
            elements.append(
                {
                    "element_id": el_id,
                    "chrom": chrom,
                    "start": el_start,
                    "end": el_start + width,
                    "program": program,
                    "motifs": ",".join(placed),
                    **{c.name: s ^ int(f) for c, s, f in zip(cell_types, states, flips)},
                }
            )
            blocked[max(el_start - _ELEMENT_MARGIN, 0) : el_start + width + _ELEMENT_MARGIN] = True
        free = np.flatnonzero(~blocked[: size - 1000])  # background: spurious peaks go here
        free_bg[chrom] = free if len(free) else np.flatnonzero(~n_mask[: size - 1000])
        # single decoy instances in the background: one motif alone must not open chromatin
        n_decoys = int(round(_DECOYS_PER_MB * size / 1e6)) if lone else 0
        for _ in range(n_decoys):
            for _try in range(100):
                pos = int(rng.integers(0, size - 100))
                if not blocked[pos : pos + 40].any():
                    break
            else:
                continue
            _plant(rng, seq, pos, 40, [rng.choice(lone)], pwms, chrom, BACKGROUND, sites)
            blocked[pos : pos + 40] = True
        masks[chrom] = _soft_mask_runs(rng, size)
        seqs[chrom], n_masks[chrom] = seq, n_mask

    fasta = out / "genome.fa"
    _write_fasta(fasta, seqs, masks)
    elements_df = pd.DataFrame(elements, columns=list(ELEMENT_COLUMNS) + [c.name for c in cell_types])
    sites_df = pd.DataFrame(sites, columns=list(SITE_COLUMNS))
    chrom_index = {c: i for i, c in enumerate(chrom_sizes)}
    order = np.lexsort((sites_df["start"].to_numpy(), sites_df["chrom"].map(chrom_index).to_numpy()))
    sites_df = sites_df.iloc[order].reset_index(drop=True)
    _atomic_tsv(elements_df, out / "elements.tsv")
    _atomic_tsv(sites_df, out / "motif_sites.tsv")
    profiles = []
    for ct in cell_types:
        name = f"{ct.name}_{assay}"
        peaks = _peaks_for(rng, elements_df, ct.name, chrom_sizes, free_bg)
        peak_path = out / "peaks" / f"{name}.narrowPeak"
        _atomic_tsv(peaks, peak_path, header=False)
        bw_path = out / "signal" / f"{name}.bw"
        _write_bigwig(rng, bw_path, peaks, chrom_sizes, n_masks)
        profiles.append(SyntheticProfile(name, ct.name, assay, peak_path, bw_path))
    conservation = out / CONSERVATION_FILE
    write_conservation(conservation, seed, sites_df, elements_df, pwms, chrom_sizes, n_masks)
    motifs = {n: pwms[n][0] for n in names}
    meta = {
        "seed": seed,
        "n_chroms": n_chroms,
        "chrom_length": chrom_length,
        "elements_per_mb": elements_per_mb,
        "noise": noise,
        "sharpness": sharpness,
        "jaspar_release": jaspar_release,
        "assay": assay,
        "shared_motifs": list(shared_motifs),
        "cell_types": [
            {"name": c.name, "motifs": list(c.motifs), "min_motifs": c.min_motifs} for c in cell_types
        ],
        "motifs": motifs,
        "n_elements": len(elements_df),
        "n_sites": len(sites_df),
    }
    _atomic_text(json.dumps(meta, indent=2) + "\n", out / "dataset.json")
    return SyntheticDataset(
        fasta,
        chrom_sizes,
        tuple(profiles),
        out / "elements.tsv",
        out / "motif_sites.tsv",
        motifs,
        conservation,
    )


def _plant(
    rng,
    seq: np.ndarray,
    start: int,
    width: int,
    motifs: list[str],
    pwms: dict,
    chrom: str,
    element_id: str,
    sites: list[dict],
) -> list[str]:
    """Plant motif instances at non-overlapping random offsets inside ``[start, start+width)``.

    Instances keep 2 bp apart; one that finds no room in 50 tries is dropped (not recorded).
    Returns the names actually planted.
    """
    taken = np.zeros(width, bool)
    placed = []
    for name in motifs:
        matrix_id, probs = pwms[name]
        length = len(probs)
        if length > width:
            continue
        for _ in range(50):
            off = int(rng.integers(0, width - length + 1))
            if not taken[max(off - 2, 0) : off + length + 2].any():
                break
        else:
            continue
        taken[off : off + length] = True
        plus = sample_motif(rng, probs)
        strand = "+" if rng.random() < 0.5 else "-"
        text = plus if strand == "+" else _reverse_complement(plus)
        seq[start + off : start + off + length] = np.frombuffer(text.encode(), dtype=np.uint8)
        sites.append(
            {
                "element_id": element_id,
                "chrom": chrom,
                "start": start + off,
                "end": start + off + length,
                "strand": strand,
                "motif_name": str(name),
                "matrix_id": matrix_id,
                "sequence": plus,
            }
        )
        placed.append(str(name))
    return placed


def _soft_mask_runs(rng, size: int) -> np.ndarray:
    """Boolean mask of ~10% of bases in runs of 100-2000 bp (written lower case)."""
    mask = np.zeros(size, bool)
    covered = 0
    while covered < 0.1 * size:
        s = int(rng.integers(0, size))
        e = min(size, s + int(rng.integers(100, 2000)))
        mask[s:e] = True
        covered += e - s
    return mask


def _write_fasta(
    path: Path, seqs: dict[str, np.ndarray], masks: dict[str, np.ndarray], width: int = 60
) -> None:
    """Write a FASTA (soft-masked bases in lower case, N kept upper case) and index it."""
    with atomic_open(path, "wb") as fh:
        for chrom, seq in seqs.items():
            seq = seq.copy()
            low = masks[chrom] & (seq != ord("N"))
            seq[low] += ord("a") - ord("A")
            n_full = len(seq) // width
            lines = np.empty((n_full, width + 1), np.uint8)
            lines[:, :width] = seq[: n_full * width].reshape(n_full, width)
            lines[:, width] = ord("\n")
            fh.write(f">{chrom}\n".encode())
            fh.write(lines.tobytes())
            if len(seq) % width:
                fh.write(seq[n_full * width :].tobytes() + b"\n")
    path.with_name(path.name + ".fai").unlink(missing_ok=True)
    pyfaidx.Faidx(str(path)).close()


def _peaks_for(
    rng, elements: pd.DataFrame, cell_type: str, chrom_sizes: dict[str, int], free_bg: dict[str, np.ndarray]
) -> pd.DataFrame:
    """narrowPeak rows: open elements (jittered, 150-400 bp) plus ~2% spurious background peaks.

    The summit column points at the element's centre (where the bigWig bump is).
    """
    open_el = elements[elements[cell_type] == 1]
    summit_pos = ((open_el["start"] + open_el["end"]) // 2).to_numpy()
    centre = summit_pos + np.round(rng.normal(0, 15, len(open_el))).astype(int)
    width = rng.integers(150, 401, len(open_el))
    n_motifs = open_el["motifs"].fillna("").map(lambda s: len(s.split(",")) if s else 0).to_numpy()
    signal = rng.gamma(4.0, 2.0, len(open_el)) + 3 * n_motifs
    chroms = open_el["chrom"].to_numpy()
    n_spurious = max(1, int(round(0.015 * len(open_el))))
    sp_chroms = rng.choice(list(chrom_sizes), n_spurious)
    sp_centre = np.array([int(rng.choice(free_bg[c])) for c in sp_chroms], dtype=int)
    chroms = np.concatenate([chroms, sp_chroms])
    centre = np.concatenate([centre, sp_centre])
    summit_pos = np.concatenate([summit_pos, sp_centre])
    width = np.concatenate([width, rng.integers(150, 401, n_spurious)])
    signal = np.concatenate([signal, rng.gamma(2.0, 2.0, n_spurious) + 1.0])
    sizes = np.array([chrom_sizes[c] for c in chroms])
    start = np.maximum(centre - width // 2, 0)
    end = np.minimum(start + width, sizes)
    summit = np.clip(summit_pos - start, 0, end - start - 1)
    df = pd.DataFrame(
        {
            "chrom": chroms,
            "start": start,
            "end": end,
            "name": "",
            "score": np.minimum(1000, (signal * 40).astype(int)),
            "strand": ".",
            "signalValue": signal.round(3),
            "pValue": (signal * 1.5).round(3),
            "qValue": (signal * 1.2).round(3),
            "peak": summit,
        }
    )
    chrom_index = {c: i for i, c in enumerate(chrom_sizes)}
    order = np.lexsort((df["start"].to_numpy(), df["chrom"].map(chrom_index).to_numpy()))
    df = df.iloc[order].reset_index(drop=True)
    df["name"] = [f"{cell_type}_peak{i}" for i in range(len(df))]
    return df


def _write_bigwig(
    rng,
    path: Path,
    peaks: pd.DataFrame,
    chrom_sizes: dict[str, int],
    n_masks: dict[str, np.ndarray],
    step: int = _BIGWIG_STEP,
) -> None:
    """Signal at ``step`` bp: a Gaussian bump (sd 60 bp, height = signalValue) at each peak's
    summit over low exponential noise; 0 over N runs; every base covered, no NaN."""
    with atomic_path(path) as tmp:
        _write_signal(rng, pyBigWig.open(str(tmp), "w"), peaks, chrom_sizes, n_masks, step)


def _write_signal(
    rng, bw, peaks: pd.DataFrame, chrom_sizes: dict[str, int], n_masks: dict[str, np.ndarray], step: int
) -> None:
    bw.addHeader(list(chrom_sizes.items()), maxZooms=10)
    half = 30
    x = np.arange(-half, half + 1)
    bump = np.exp(-0.5 * (x * step / 60.0) ** 2)
    for chrom, size in chrom_sizes.items():
        n = -(-size // step)  # bins, the last one possibly partial
        values = rng.exponential(0.05, n)
        sub = peaks[peaks["chrom"] == chrom]
        for centre, height in zip(
            ((sub["start"] + sub["peak"]) // step).to_numpy(), sub["signalValue"].to_numpy()
        ):
            lo, hi = max(centre - half, 0), min(centre + half + 1, n)
            values[lo:hi] += height * bump[lo - (centre - half) : hi - (centre - half)]
        n_bins = n_masks[chrom][::step]
        values[n_bins] = 0.0
        values = values.astype(np.float32)
        n_full = size // step
        bw.addEntries(chrom, 0, values=values[:n_full], span=step, step=step)
        if n_full < n:
            bw.addEntries([chrom], [n_full * step], ends=[size], values=values[n_full:].astype(np.float64))
    bw.close()


def write_conservation(
    path: Path,
    seed: int,
    sites: pd.DataFrame,
    elements: pd.DataFrame,
    pwms: dict[str, tuple[str, np.ndarray]],
    chrom_sizes: dict[str, int],
    n_masks: dict[str, np.ndarray],
    step: int = _CONSERVATION_BIN,
) -> None:
    """A GERP++-like conservation bigWig with known truth, from its own random stream.

    Background: N(-0.2, 1) per ``step`` bp run; regulatory elements +0.5; every base of a planted
    motif instance (elements and background decoys alike) 1 + 2 x its column's information
    content (bits, of the matrix it was drawn from) + N(0, 1), so the bases a motif depends on are
    the most constrained. Values are clipped to GERP's range and rounded to 0.01. N runs have no
    value (alignment gaps: no coverage). Drawn from ``default_rng([seed, 17])`` and nothing else,
    so the genome, peaks and signal files do not change with it.
    """
    crng = np.random.default_rng([seed, _CONSERVATION_STREAM])
    ic = {n: 2 + (p * np.log2(p)).sum(axis=1) for n, (_, p) in pwms.items()}
    with atomic_path(path) as tmp:
        bw = pyBigWig.open(str(tmp), "w")
        try:
            bw.addHeader(list(chrom_sizes.items()), maxZooms=10)
            for chrom, size in chrom_sizes.items():
                values = np.repeat(crng.normal(-0.2, 1.0, -(-size // step)), step)[:size]
                for s, e in _rows(elements, chrom, ("start", "end")):
                    values[s:e] += 0.5
                for s, e, strand, name in _rows(sites, chrom, ("start", "end", "strand", "motif_name")):
                    column_ic = ic[name] if strand == "+" else ic[name][::-1]
                    values[s:e] = 1.0 + 2.0 * column_ic + crng.normal(0.0, 1.0, e - s)
                values = np.round(np.clip(values, *GERP_RANGE), 2)
                values[n_masks[chrom]] = np.nan
                starts, ends, run_values = _runs(values)
                if len(starts):
                    bw.addEntries([chrom] * len(starts), starts, ends=ends, values=run_values)
        finally:
            bw.close()


def _rows(table: pd.DataFrame, chrom: str, columns: tuple[str, ...]) -> list[tuple]:
    sub = table[table["chrom"] == chrom]
    return list(zip(*(sub[c].tolist() for c in columns)))


def _runs(values: np.ndarray) -> tuple[list[int], list[int], list[float]]:
    """(starts, ends, values) of runs of equal, non-NaN values (bedGraph-like entries)."""
    covered = ~np.isnan(values)
    change = np.flatnonzero(
        np.concatenate([[True], (values[1:] != values[:-1]) | (covered[1:] != covered[:-1]), [True]])
    )
    starts, ends = change[:-1], change[1:]
    keep = covered[starts]
    return starts[keep].tolist(), ends[keep].tolist(), values[starts[keep]].astype(float).tolist()


def _atomic_tsv(df: pd.DataFrame, path: Path, header: bool = True) -> None:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, sep="\t", index=False, header=header)


def _atomic_text(text: str, path: Path) -> None:
    write_text(path, text)
