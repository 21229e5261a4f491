"""The embedded demo data: a synthetic genome whose cell types open chromatin at planted JASPAR motifs.

Regulatory elements carry real JASPAR motif instances (sampled from the position probability
matrices pyjaspar ships offline). A cell type opens an element when the element carries at least
``min_motifs`` instances of that cell type's motifs, or any shared motif (CTCF, AP-1); a few
states are flipped as noise and a few spurious peaks are added. Everything is written as real
files (FASTA + .fai, narrowPeak, bigWig) with the ground truth (elements, every planted site), so
the same code that reads hg38 and ENCODE files reads these, and the demo can check itself.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import pyBigWig
import pyfaidx

BASES = np.array(list("ACGT"))
SHARED_MOTIFS = ("CTCF", "FOS::JUN")
# Which JASPAR matrix stands for a name that has several (the classic, well-known profile).
PREFERRED_MATRIX = {"CTCF": "MA0139", "PAX6": "MA0069", "ASCL1": "MA1100", "FOS::JUN": "MA0099",
                    "OLIG2": "MA0678"}


@dataclass(frozen=True)
class CellType:
    """A simulated cell type: the motifs whose co-occurrence opens its chromatin."""

    name: str
    motifs: tuple[str, ...]
    min_motifs: int = 2


DEFAULT_CELL_TYPES: tuple[CellType, ...] = (
    CellType("iPSC_neuron", ("NEUROD1", "ASCL1", "RFX2")),
    CellType("NPC", ("SOX2", "PAX6")),
    CellType("fetal_brain", ("NEUROD1", "SOX2", "RFX2")),
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


@functools.lru_cache(maxsize=None)
def jaspar_motif(name: str, release: str = "JASPAR2024") -> tuple[str, np.ndarray]:
    """(matrix_id, probabilities (L, 4) in A,C,G,T order) of a JASPAR motif, read offline."""
    from pyjaspar import jaspardb

    found = jaspardb(release=release).fetch_motifs_by_name(name)
    if not found:
        raise ValueError(f"JASPAR ({release}) has no motif named {name!r}")
    preferred = [m for m in found if m.matrix_id.startswith(PREFERRED_MATRIX.get(name, "~"))]
    motif = (preferred or found)[0]
    counts = np.array([motif.counts[b] for b in "ACGT"], dtype=float).T + 0.01
    return motif.matrix_id, counts / counts.sum(axis=1, keepdims=True)


def sample_motif(rng: np.random.Generator, probs: np.ndarray) -> str:
    """One motif instance drawn column by column from a probability matrix."""
    cum = np.cumsum(probs, axis=1)
    idx = (rng.random((len(probs), 1)) > cum).sum(axis=1)
    return "".join(BASES[np.minimum(idx, 3)])


def _reverse_complement(seq: str) -> str:
    return seq[::-1].translate(str.maketrans("ACGTacgt", "TGCAtgca"))


def _background(rng: np.random.Generator, length: int) -> np.ndarray:
    """Random bases (as bytes) with GC varying between 0.35 and 0.50 in 50 kb blocks."""
    gc = np.repeat(rng.uniform(0.35, 0.50, length // 50_000 + 1), 50_000)[:length]
    u = rng.random(length)
    codes = np.where(u < (1 - gc) / 2, 0, np.where(u < 0.5, 1, np.where(u < 0.5 + gc / 2, 2, 3)))
    return np.frombuffer(b"ACGT", dtype=np.uint8)[codes].copy()


def generate_synthetic_dataset(out_dir: str | os.PathLike, *,
                               cell_types: Sequence[CellType] = DEFAULT_CELL_TYPES,
                               n_chroms: int = 6, chrom_length: int = 500_000,
                               elements_per_mb: float = 400.0, seed: int = 0,
                               shared_motifs: Sequence[str] = SHARED_MOTIFS,
                               noise: float = 0.03, jaspar_release: str = "JASPAR2024",
                               assay: str = "ATAC", sharpness: float = 2.0) -> SyntheticDataset:
    """Write a synthetic genome with per-cell-type open chromatin at planted JASPAR motifs.

    Instances are drawn from each matrix raised to the power ``sharpness`` (renormalised): 1 is
    the matrix itself; larger values draw instances closer to the consensus, so a small demo
    model can find weak, short motifs (SOX2's 7-mer) without a genome's worth of examples.
    """
    out = Path(out_dir)
    (out / "peaks").mkdir(parents=True, exist_ok=True)
    (out / "signal").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = sorted({m for c in cell_types for m in c.motifs} | set(shared_motifs))
    pwms = {}
    for n in names:
        matrix_id, probs = jaspar_motif(n, jaspar_release)
        sharp = probs ** sharpness
        pwms[n] = (matrix_id, sharp / sharp.sum(axis=1, keepdims=True))
    programs = [c.name for c in cell_types] + ["shared", "decoy"]
    weights = np.array([1.0] * len(cell_types) + [0.6, 0.8])
    chrom_sizes = {f"chr{i + 1}": chrom_length for i in range(n_chroms)}

    seqs, elements, sites, masks = {}, [], [], {}
    for chrom, size in chrom_sizes.items():
        seq = _background(rng, size)
        blocked = np.zeros(size, bool)
        n_runs = [(0, 10_000)] if chrom == "chr1" else []
        n_runs += [(int(s), int(s + rng.integers(500, 3000))) for s in rng.integers(20_000, size - 5000, 2)]
        for s, e in n_runs:
            seq[s:e] = ord("N")
            blocked[max(s - 1000, 0):e + 1000] = True
        slots = np.arange(1000, size - 1500, 1000)
        slots = slots[~blocked[slots]]
        n_el = min(int(elements_per_mb * size / 1e6), len(slots))
        for el_start in np.sort(rng.choice(slots, n_el, replace=False)) + rng.integers(0, 200, n_el):
            width = int(rng.integers(200, 301))
            program = programs[rng.choice(len(programs), p=weights / weights.sum())]
            if program == "shared":
                planted = list(rng.choice(list(shared_motifs), rng.integers(1, 3)))
            elif program == "decoy":
                planted = [rng.choice([m for c in cell_types for m in c.motifs])]
            else:
                ct = next(c for c in cell_types if c.name == program)
                planted = list(rng.choice(list(ct.motifs), int(rng.integers(ct.min_motifs, ct.min_motifs + 2))))
            el_id = f"{chrom}_el{len(elements)}"
            placed = _plant(rng, seq, el_start, width, planted, pwms, chrom, el_id, sites)
            open_in = {c.name: int(sum(m in c.motifs for m in placed) >= c.min_motifs
                                   or any(m in shared_motifs for m in placed)) for c in cell_types}
            flips = rng.random(len(cell_types)) < noise
            open_in = {k: v ^ int(f) for (k, v), f in zip(open_in.items(), flips)}
            elements.append({"element_id": el_id, "chrom": chrom, "start": int(el_start),
                             "end": int(el_start + width), "program": program,
                             "motifs": ",".join(placed), **open_in})
            blocked[el_start - 300:el_start + width + 300] = True
        # single decoy motifs in the background: one motif alone must not open chromatin
        free = np.flatnonzero(~blocked[:size - 100])
        for pos in rng.choice(free, int(60 * size / 1e6), replace=False):
            _plant(rng, seq, int(pos), 40, [rng.choice(names)], pwms, chrom, "background", sites)
        masks[chrom] = _soft_mask_runs(rng, size)
        seqs[chrom] = seq

    fasta = out / "genome.fa"
    _write_fasta(fasta, seqs, masks)
    elements_df = pd.DataFrame(elements)
    sites_df = pd.DataFrame(sites)
    _atomic_tsv(elements_df, out / "elements.tsv")
    _atomic_tsv(sites_df, out / "motif_sites.tsv")
    profiles = []
    for ct in cell_types:
        name = f"{ct.name}_{assay}"
        peaks = _peaks_for(rng, elements_df, ct.name, chrom_sizes, seqs)
        peak_path = out / "peaks" / f"{name}.narrowPeak"
        _atomic_tsv(peaks, peak_path, header=False)
        bw_path = out / "signal" / f"{name}.bw"
        _write_bigwig(rng, bw_path, peaks, chrom_sizes)
        profiles.append(SyntheticProfile(name, ct.name, assay, peak_path, bw_path))
    return SyntheticDataset(fasta, chrom_sizes, tuple(profiles), out / "elements.tsv",
                            out / "motif_sites.tsv", {n: pwms[n][0] for n in names})


def _plant(rng, seq: np.ndarray, start: int, width: int, motifs: list[str], pwms: dict,
           chrom: str, element_id: str, sites: list[dict]) -> list[str]:
    """Plant motif instances at non-overlapping random offsets inside ``[start, start+width)``."""
    taken = np.zeros(width, bool)
    placed = []
    for name in motifs:
        matrix_id, probs = pwms[name]
        length = len(probs)
        for _ in range(50):
            off = int(rng.integers(0, max(width - length, 1)))
            if not taken[max(off - 2, 0):off + length + 2].any():
                break
        else:
            continue
        taken[off:off + length] = True
        plus = sample_motif(rng, probs)
        strand = "+" if rng.random() < 0.5 else "-"
        text = plus if strand == "+" else _reverse_complement(plus)
        seq[start + off:start + off + length] = np.frombuffer(text.encode(), dtype=np.uint8)
        sites.append({"element_id": element_id, "chrom": chrom, "start": start + off,
                      "end": start + off + length, "strand": strand, "motif_name": name,
                      "matrix_id": matrix_id, "sequence": plus})
        placed.append(name)
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


def _write_fasta(path: Path, seqs: dict[str, np.ndarray], masks: dict[str, np.ndarray]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    lower = np.frombuffer(b"acgtn", np.uint8)
    upper = np.frombuffer(b"ACGTN", np.uint8)
    with open(tmp, "w") as fh:
        for chrom, seq in seqs.items():
            seq = seq.copy()
            for u, low in zip(upper, lower):
                seq[(seq == u) & masks[chrom] & (u != ord("N"))] = low
            text = seq.tobytes().decode()
            fh.write(f">{chrom}\n")
            fh.write("\n".join(text[i:i + 60] for i in range(0, len(text), 60)) + "\n")
    os.replace(tmp, path)
    for old in (path.with_name(path.name + ".fai"),):
        old.unlink(missing_ok=True)
    pyfaidx.Faidx(str(path))


def _peaks_for(rng, elements: pd.DataFrame, cell_type: str, chrom_sizes: dict[str, int],
               seqs: dict[str, np.ndarray]) -> pd.DataFrame:
    """narrowPeak rows: open elements (jittered, 150-400 bp) plus ~2% spurious peaks."""
    open_el = elements[elements[cell_type] == 1]
    centre = ((open_el["start"] + open_el["end"]) // 2).to_numpy() + rng.normal(0, 15, len(open_el)).astype(int)
    width = rng.integers(150, 401, len(open_el))
    n_motifs = open_el["motifs"].str.count(",").to_numpy() + 1
    signal = rng.gamma(4.0, 2.0, len(open_el)) + 3 * n_motifs
    chroms = open_el["chrom"].to_numpy()
    n_spurious = max(1, int(0.02 * len(open_el)))
    sp_chroms = rng.choice(list(chrom_sizes), n_spurious)
    sp_centre = np.array([_random_non_n(rng, seqs[c]) for c in sp_chroms], dtype=int)
    chroms = np.concatenate([chroms, sp_chroms])
    centre = np.concatenate([centre, sp_centre])
    width = np.concatenate([width, rng.integers(150, 401, n_spurious)])
    signal = np.concatenate([signal, rng.gamma(2.0, 2.0, n_spurious)])
    start = np.maximum(centre - width // 2, 0)
    end = np.minimum(start + width, [chrom_sizes[c] for c in chroms])
    df = pd.DataFrame({"chrom": chroms, "start": start, "end": end, "name": "",
                       "score": np.minimum(1000, (signal * 40).astype(int)), "strand": ".",
                       "signalValue": signal.round(3), "pValue": (signal * 1.5).round(3),
                       "qValue": (signal * 1.2).round(3), "peak": (end - start) // 2})
    order = np.lexsort((df["start"].to_numpy(), [list(chrom_sizes).index(c) for c in df["chrom"]]))
    df = df.iloc[order].reset_index(drop=True)
    df["name"] = [f"{cell_type}_peak{i}" for i in range(len(df))]
    return df


def _random_non_n(rng, seq: np.ndarray) -> int:
    while True:
        pos = int(rng.integers(500, len(seq) - 500))
        if seq[pos] != ord("N"):
            return pos


def _write_bigwig(rng, path: Path, peaks: pd.DataFrame, chrom_sizes: dict[str, int],
                  step: int = 10) -> None:
    """Signal at ``step`` bp: a Gaussian bump per peak (height = signalValue) over low noise."""
    tmp = path.with_name(path.name + ".tmp")
    bw = pyBigWig.open(str(tmp), "w")
    bw.addHeader(list(chrom_sizes.items()))
    for chrom, size in chrom_sizes.items():
        n = size // step
        values = rng.exponential(0.05, n)
        sub = peaks[peaks["chrom"] == chrom]
        x = np.arange(-30, 31)
        bump = np.exp(-0.5 * (x * step / 60.0) ** 2)
        for centre, height in zip(((sub["start"] + sub["end"]) // 2 // step).to_numpy(),
                                  sub["signalValue"].to_numpy()):
            lo, hi = max(centre - 30, 0), min(centre + 31, n)
            values[lo:hi] += height * bump[lo - (centre - 30):hi - (centre - 30)]
        bw.addEntries(chrom, 0, values=values.astype(np.float64).tolist(), span=step, step=step)
    bw.close()
    os.replace(tmp, path)


def _atomic_tsv(df: pd.DataFrame, path: Path, header: bool = True) -> None:
    tmp = path.with_name(path.name + ".tmp")
    df.to_csv(tmp, sep="\t", index=False, header=header)
    os.replace(tmp, path)
