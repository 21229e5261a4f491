"""Calibrated variant scores: each effect's quantile and empirical p-value in a null of background
variants scored by the same model, matched on GC content and distance to the nearest peak.

The null is ``n`` SNVs drawn from the genome (seeded: positions at A/C/G/T bases, a random other
base as ALT; with peaks, a third inside peaks, a third in their 10 kb flanks and a third anywhere,
so every distance class has members), or the alleles of a given VCF of common variants. Each null
variant is scored like any other (:class:`~brainresnet_tf.variant.scoring.VariantScorer`) and
described by two covariates: the GC fraction of its model window (the ``input_length`` bases
around it, as scored) and its distance to the nearest peak (0 inside one).

Matching happens at lookup, so one null serves every input and is cached per model and genome:
the null is cut into strata, first by distance class (inside a peak, <= 1 kb, <= 10 kb, farther;
a class with fewer than :data:`MIN_STRATUM` null variants joins the next), then each class into up
to :data:`MAX_GC_BINS` GC bins of equal counts (at least :data:`MIN_STRATUM` each). An input
variant is compared with the null variants of its own stratum only, profile by profile, on
``|effect|`` (``|logit_diff|``, or ``|log2fc|`` for signal models):

* quantile = the fraction of the stratum's null ``|effect|`` smaller than the variant's;
* p-value = (1 + the number of null ``|effect|`` >= the variant's) / (m + 1), m the stratum's size.

A drawn null holds SNVs only, so an indel (whose effects are larger by nature) is compared with
SNVs and its quantile runs high; a ``--null-vcf`` of common variants that holds indels puts them in
the null too (strata do not separate variant types).

The null's effects and covariates are cached in ``<model file>.null-<key>.npz`` (beside the
model when its folder is writable, else in ``~/.cache/brainresnet``, or in ``cache_dir``), keyed
by the model's content hash, the genome's identity and chromosome sizes, the draw (``n``,
``seed``) or the null VCF's identity, and the peak files; a second run with the same key reuses it.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from brainresnet_tf.errors import InputError, OutputError
from brainresnet_tf.io.atomic import atomic_path
from brainresnet_tf.io.genome import N_CODE, Genome
from brainresnet_tf.io.identity import file_digest, file_identity
from brainresnet_tf.io.intervals import PeakStats, read_bed
from brainresnet_tf.io.variant_files import open_variants
from brainresnet_tf.io.variants import DEFAULT_MAX_INDEL, Variant
from brainresnet_tf.models.saving import ModelMeta, meta_path
from brainresnet_tf.variant.scoring import ScoringModel, VariantScorer, effect_key, window_starts

MIN_NULL = 100  # fewer null variants than this: quantiles coarser than 1 %, refused
MIN_STRATUM = 100  # null variants per stratum (at least)
MAX_GC_BINS = 10  # GC bins per distance class (at most)
DISTANCE_EDGES = (0, 1_000, 10_000)  # classes: inside a peak, <= 1 kb, <= 10 kb, farther
DISTANCE_CLASSES = ("inside a peak", "<= 1 kb", "<= 10 kb", "> 10 kb")
FLANK = 10_000  # peak flanks the null draws a third of its variants from
NO_PEAK = 2**62  # distance when the chromosome has no peak
NULL_VERSION = 1  # bump when the draw or the cached arrays change
_NULL_STREAM = 41  # the null's own generator: default_rng([seed, 41])
DRAWN_NOTE = (
    "the drawn null holds SNVs only: indels and MNVs are compared with SNVs, so their quantiles run "
    "high; a --null-vcf of common variants with indels puts indels in the null"
)


def check_null_size(n: int, flag: str = "--null") -> None:
    """One-line InputError when a null of ``n`` variants is too small to calibrate with."""
    if n < MIN_NULL:
        raise InputError(
            f"{flag} {n}: a null of fewer than {MIN_NULL} variants gives quantiles coarser than 1%; "
            f"give {flag} {MIN_NULL} or more (10000 is a good default)"
        )


# -- peaks ---------------------------------------------------------------------------------------
class PeakIndex:
    """Peaks merged per chromosome (sorted, disjoint, half-open): distances and draws."""

    def __init__(self, genome: Genome, frames: Sequence[pd.DataFrame], files: Sequence[Path] = ()):
        self.files = [Path(f) for f in files]
        table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["chrom"])
        self.starts: dict[str, np.ndarray] = {}
        self.ends: dict[str, np.ndarray] = {}
        for chrom, rows in table.groupby("chrom", sort=False):
            s, e = rows["start"].to_numpy(np.int64), rows["end"].to_numpy(np.int64)
            order = np.argsort(s, kind="stable")
            s, e = s[order], e[order]
            new = np.r_[True, s[1:] > np.maximum.accumulate(e)[:-1]]
            self.starts[chrom] = s[new]
            self.ends[chrom] = np.maximum.reduceat(e, np.flatnonzero(new))
        names = [c for c in genome.chrom_sizes if c in self.starts]
        offsets = {c: genome.offset(c) for c in names}

        def joined(arrays: list) -> np.ndarray:  # concatenated over chromosomes in genome order
            return np.concatenate(arrays).astype(np.int64) if arrays else np.zeros(0, np.int64)

        self._abs_starts = joined([self.starts[c] + offsets[c] for c in names])
        self._abs_ends = joined([self.ends[c] + offsets[c] for c in names])
        self._chrom_lo = joined([np.full(len(self.starts[c]), offsets[c]) for c in names])
        self._chrom_hi = joined(
            [np.full(len(self.starts[c]), offsets[c] + genome.chrom_sizes[c]) for c in names]
        )

    @classmethod
    def read(cls, paths: Sequence[str | os.PathLike], genome: Genome) -> PeakIndex:
        """Peaks of BED/narrowPeak ``paths`` on ``genome`` (other chromosomes skipped)."""
        frames = [read_bed(p, genome, skipped=PeakStats(Path(p))) for p in paths]
        return cls(genome, frames, [Path(p) for p in paths])

    def __len__(self) -> int:
        return len(self._abs_starts)

    def distance(self, chroms: Sequence[str], pos0: np.ndarray) -> np.ndarray:
        """Bases from each 0-based position to the nearest peak base: 0 inside one,
        :data:`NO_PEAK` on a chromosome without peaks (``chroms``: the genome's names)."""
        chroms = np.asarray(chroms)
        pos0 = np.asarray(pos0, np.int64)
        out = np.full(len(pos0), NO_PEAK, np.int64)
        for chrom in dict.fromkeys(chroms.tolist()):
            if chrom not in self.starts:
                continue
            rows = chroms == chrom
            s, e, p = self.starts[chrom], self.ends[chrom], pos0[rows]
            i = np.searchsorted(s, p, side="right") - 1  # the last peak starting at or before p
            left = np.where(i >= 0, p - (e[np.maximum(i, 0)] - 1), NO_PEAK)
            nxt = np.minimum(i + 1, len(s) - 1)
            right = np.where(i + 1 < len(s), s[nxt] - p, NO_PEAK)
            out[rows] = np.where(left <= 0, 0, np.minimum(left, right))
        return out

    def draw_inside(self, rng: np.random.Generator, k: int) -> np.ndarray:
        """``k`` absolute genome positions inside peaks (peaks weighted by their length)."""
        lengths = self._abs_ends - self._abs_starts
        i = rng.choice(len(lengths), k, p=lengths / lengths.sum())
        return self._abs_starts[i] + (rng.random(k) * lengths[i]).astype(np.int64)

    def draw_flank(self, rng: np.random.Generator, k: int) -> np.ndarray:
        """``k`` absolute positions 1 to :data:`FLANK` bases beside peaks; -1 past a chromosome end."""
        i = rng.integers(0, len(self._abs_starts), k)
        d = rng.integers(1, FLANK + 1, k)
        pos = np.where(rng.random(k) < 0.5, self._abs_starts[i] - d, self._abs_ends[i] - 1 + d)
        return np.where((pos >= self._chrom_lo[i]) & (pos < self._chrom_hi[i]), pos, -1)


def model_peak_files(meta: ModelMeta) -> list[Path]:
    """The peak files the model was trained on (its saved config), those that still exist."""
    profiles = (meta.extra.get("config") or {}).get("profiles") or []
    files = [Path(p["peaks"]) for p in profiles if isinstance(p, dict) and p.get("peaks")]
    return [f for f in dict.fromkeys(files) if f.is_file()]


def distance_class(distance: np.ndarray) -> np.ndarray:
    """Index in :data:`DISTANCE_CLASSES` of each distance (all 0 where distances are -1: no peaks)."""
    distance = np.asarray(distance, np.int64)
    return np.where(distance < 0, 0, np.searchsorted(DISTANCE_EDGES, distance, side="left"))


# -- the null variants ---------------------------------------------------------------------------
def draw_null_snvs(genome: Genome, n: int, seed: int = 0, peaks: PeakIndex | None = None) -> pd.DataFrame:
    """``n`` distinct SNVs (chrom, 1-based pos, ref, alt) at A/C/G/T bases, in genome order.

    Seeded (``default_rng([seed, 41])``): the same genome, ``n``, seed and peaks give the same
    variants. With ``peaks``, a third are drawn inside peaks, a third in their flanks and the
    rest uniformly; without, all uniformly. ALT is one of the three other bases at random.
    """
    rng = np.random.default_rng([seed, _NULL_STREAM])
    codes = genome.codes
    names = list(genome.chrom_sizes)
    offsets = np.array([genome.offset(c) for c in names], np.int64)
    total = len(codes)

    def uniform(r: np.random.Generator, k: int) -> np.ndarray:
        return r.integers(0, total, k)

    sources: list[Callable[[np.random.Generator, int], np.ndarray]] = [uniform]
    if peaks is not None and len(peaks):
        sources = [peaks.draw_inside, peaks.draw_flank, uniform]
    quotas = [n // len(sources) + (i < n % len(sources)) for i in range(len(sources))]
    chosen = np.zeros(0, np.int64)
    for source, quota in zip(sources, quotas):
        want = len(chosen) + quota
        for _ in range(100):
            if len(chosen) >= want:
                break
            cand = source(rng, 2 * (want - len(chosen)) + 16)
            cand = cand[(cand >= 0) & (cand < total)]
            cand = cand[codes[cand] < N_CODE]
            _, first = np.unique(cand, return_index=True)
            cand = cand[np.sort(first)]  # distinct, in the order drawn
            cand = cand[~np.isin(cand, chosen)]
            chosen = np.concatenate([chosen, cand[: want - len(chosen)]])
        if len(chosen) < want:
            raise InputError(
                f"{genome.path}: too few A/C/G/T bases to draw {n:,} distinct null variants; "
                "give a smaller --null or a --null-vcf"
            )
    chosen = np.sort(chosen)
    chrom_idx = np.searchsorted(offsets, chosen, side="right") - 1
    ref = codes[chosen].astype(np.int64)
    alt = (ref + rng.integers(1, 4, len(chosen))) % 4
    bases = np.array(list("ACGT"))
    return pd.DataFrame(
        {
            "chrom": np.asarray(names)[chrom_idx],
            "pos": chosen - offsets[chrom_idx] + 1,
            "ref": bases[ref],
            "alt": bases[alt],
        }
    )


def window_gc(genome: Genome, chroms: Sequence[str], pos: np.ndarray, length: int) -> np.ndarray:
    """GC fraction of the ``length``-base model window around each 1-based ``pos`` (0.5 where it
    has no A/C/G/T base)."""
    chroms = np.asarray(chroms)
    starts = window_starts(pos, length)
    gc = np.empty(len(chroms))
    for chrom in dict.fromkeys(chroms.tolist()):
        rows = chroms == chrom
        gc[rows] = genome.composition(chrom, starts[rows], length)[0]
    return np.nan_to_num(gc, nan=0.5)


@dataclass
class NullEffects:
    """A scored null: its variants, signed effects (n, profiles) and covariates."""

    variants: pd.DataFrame  # chrom (the genome's names), pos, ref, alt
    effects: np.ndarray  # (n, P) the model's effect (logit_diff or log2fc)
    gc: np.ndarray  # (n,) GC fraction of each model window
    distance: np.ndarray  # (n,) bases to the nearest peak; -1: no peaks given

    def save(self, path: Path, key: dict) -> None:
        """Write as ``.npz`` atomically, with the key it was made for."""
        with atomic_path(path) as tmp:
            np.savez_compressed(
                tmp,
                key=np.array(json.dumps(key, sort_keys=True)),
                effects=self.effects,
                gc=self.gc,
                distance=self.distance,
                chrom=self.variants["chrom"].to_numpy(str),
                pos=self.variants["pos"].to_numpy(np.int64),
                ref=self.variants["ref"].to_numpy(str),
                alt=self.variants["alt"].to_numpy(str),
            )

    @classmethod
    def load(cls, path: Path, key: dict) -> NullEffects | None:
        """The cached null at ``path`` if it was made for ``key``; None if absent, stale or unreadable."""
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                if str(z["key"]) != json.dumps(key, sort_keys=True):
                    return None
                variants = pd.DataFrame({c: z[c] for c in ("chrom", "pos", "ref", "alt")})
                return cls(variants, z["effects"], z["gc"], z["distance"])
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None


def score_null(
    scorer: VariantScorer,
    variants: Sequence[Variant],
    peaks: PeakIndex | None,
    progress: bool = False,
) -> NullEffects:
    """Score ``variants`` with ``scorer`` (no calibration) and describe each by its covariates."""
    meta, size = scorer.meta, scorer.batch_size or 256
    key = [f"{p}_{effect_key(meta)}" for p in meta.profiles]
    parts = []
    with tqdm(total=len(variants), desc="scoring the null", disable=not progress, leave=False) as bar:
        for lo in range(0, len(variants), size):
            parts.append(scorer.score(list(variants[lo : lo + size]))[key].to_numpy(np.float64))
            bar.update(min(size, len(variants) - lo))
    table = pd.DataFrame(
        {
            "chrom": [v.genome_chrom for v in variants],
            "pos": np.array([v.pos for v in variants], np.int64),
            "ref": [v.ref for v in variants],
            "alt": [v.alt for v in variants],
        }
    )
    chroms, pos = table["chrom"].to_numpy(), table["pos"].to_numpy()
    return NullEffects(
        table,
        np.concatenate(parts) if parts else np.zeros((0, len(meta.profiles))),
        window_gc(scorer.genome, chroms, pos, meta.input_length),
        peaks.distance(chroms, pos - 1) if peaks is not None else np.full(len(table), -1, np.int64),
    )


# -- strata and calibration ----------------------------------------------------------------------
def _class_groups(counts: np.ndarray) -> np.ndarray:
    """Group index of each distance class: classes in order, each group >= MIN_STRATUM members
    (a short last group joins the one before it)."""
    group = np.zeros(len(counts), np.int64)
    g, acc = 0, 0
    for c, k in enumerate(counts):
        group[c] = g
        acc += k
        if acc >= MIN_STRATUM and c < len(counts) - 1:
            g, acc = g + 1, 0
    if acc < MIN_STRATUM and g > 0:  # the last group is short: into the one before
        group[group == g] = g - 1
    return group


def _gc_edges(gc: np.ndarray, bins: int, min_count: int) -> np.ndarray:
    """Inner edges of up to ``bins`` equal-count GC bins, each with at least ``min_count``
    members (ties can empty a bin: its edge with the smaller neighbour is dropped)."""
    if bins <= 1 or not len(gc):
        return np.zeros(0)
    edges = np.unique(np.quantile(gc, np.arange(1, bins) / bins))
    while len(edges):
        counts = np.bincount(np.searchsorted(edges, gc, side="right"), minlength=len(edges) + 1)
        small = np.flatnonzero(counts < min_count)
        if not len(small):
            break
        b = int(small[0])
        drop = 0 if b == 0 else b - 1 if b == len(counts) - 1 or counts[b - 1] <= counts[b + 1] else b
        edges = np.delete(edges, drop)
    return edges


class NullCalibration:
    """Quantiles and empirical p-values of effects against a stratified null (module docstring).

    ``annotate`` adds ``<profile>_quantile``, ``<profile>_pvalue`` and ``max_quantile`` to a
    scores table (:class:`~brainresnet_tf.variant.scoring.VariantScorer` calls it per batch).
    """

    def __init__(
        self,
        null: NullEffects,
        meta: ModelMeta,
        genome: Genome,
        peaks: PeakIndex | None = None,
        info: dict | None = None,
    ):
        if len(null.effects) < MIN_NULL:
            raise InputError(
                f"the null has {len(null.effects)} scored variants: at least {MIN_NULL} are needed "
                "(a larger --null, or a --null-vcf with more SNVs)"
            )
        self.meta, self.genome, self.peaks = meta, genome, peaks
        self.info = dict(info or {})
        self.n = len(null.effects)
        classes = distance_class(null.distance)
        self.class_group = _class_groups(np.bincount(classes, minlength=len(DISTANCE_CLASSES)))
        group = self.class_group[classes]
        self.edges: list[np.ndarray] = []
        self.base: list[int] = []
        self.sorted: list[np.ndarray] = []  # per stratum: |effect| (m, P), each column sorted
        self.strata: list[dict] = []
        magnitude = np.abs(null.effects)
        for g in range(int(self.class_group.max()) + 1):
            members = np.flatnonzero(group == g)
            bins = int(np.clip(len(members) // MIN_STRATUM, 1, MAX_GC_BINS))
            edges = _gc_edges(null.gc[members], bins, MIN_STRATUM // 2)
            self.edges.append(edges)
            self.base.append(len(self.sorted))
            which = np.searchsorted(edges, null.gc[members], side="right")
            bounds = np.r_[0.0, edges, 1.0]
            for b in range(len(edges) + 1):
                rows = members[which == b]
                self.sorted.append(np.sort(magnitude[rows], axis=0))
                self.strata.append(
                    {
                        "distance": [DISTANCE_CLASSES[c] for c in np.flatnonzero(self.class_group == g)]
                        if peaks is not None
                        else "any",
                        "gc": [round(float(bounds[b]), 4), round(float(bounds[b + 1]), 4)],
                        "n": int(len(rows)),
                    }
                )

    def stratum(self, gc: np.ndarray, distance: np.ndarray) -> np.ndarray:
        """Stratum index of variants with these covariates."""
        group = self.class_group[distance_class(distance)]
        out = np.empty(len(group), np.int64)
        for g in np.unique(group):
            rows = group == g
            out[rows] = self.base[g] + np.searchsorted(self.edges[g], gc[rows], side="right")
        return out

    def calibrate(
        self, effects: np.ndarray, gc: np.ndarray, distance: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(quantile, p-value), each (n, P), of signed ``effects`` (n, P) in their strata's null."""
        magnitude = np.abs(np.asarray(effects, np.float64))
        quantile = np.full(magnitude.shape, np.nan)
        pvalue = np.full(magnitude.shape, np.nan)
        strata = self.stratum(np.asarray(gc, np.float64), np.asarray(distance, np.int64))
        for s in np.unique(strata):
            rows = np.flatnonzero(strata == s)
            ref = self.sorted[s]
            m = len(ref)
            for j in range(magnitude.shape[1]):
                less = np.searchsorted(ref[:, j], magnitude[rows, j], side="left")
                quantile[rows, j] = less / m
                pvalue[rows, j] = (1 + m - less) / (m + 1)
        missing = np.isnan(magnitude)
        quantile[missing] = pvalue[missing] = np.nan
        return quantile, pvalue

    def covariates(self, variants: Sequence[Variant]) -> tuple[np.ndarray, np.ndarray]:
        """(GC of the model window, distance to the nearest peak) of each variant."""
        chroms = [v.genome_chrom for v in variants]
        pos = np.array([v.pos for v in variants], np.int64)
        gc = window_gc(self.genome, chroms, pos, self.meta.input_length)
        distance = self.peaks.distance(chroms, pos - 1) if self.peaks is not None else np.full(len(pos), -1)
        return gc, distance

    def annotate(self, table: pd.DataFrame, variants: Sequence[Variant]) -> pd.DataFrame:
        """``table`` (one row per variant) with quantile and p-value columns per profile and
        ``max_quantile``."""
        key = effect_key(self.meta)
        effects = table[[f"{p}_{key}" for p in self.meta.profiles]].to_numpy(np.float64)
        quantile, pvalue = self.calibrate(effects, *self.covariates(variants))
        columns = {}
        for i, p in enumerate(self.meta.profiles):
            columns[f"{p}_quantile"] = quantile[:, i]
            columns[f"{p}_pvalue"] = pvalue[:, i]
        columns["max_quantile"] = quantile.max(axis=1) if len(quantile) else np.zeros(0)
        return table.assign(**columns)

    def summary(self) -> dict:
        """What the null is, where it is cached, how it was matched (for the summary JSON)."""
        key = effect_key(self.meta)
        return {
            **self.info,
            "n": self.n,
            "effect": f"|{key}|",
            "matched_on": ["GC of the model window"]
            + (["distance to the nearest peak"] if self.peaks is not None else []),
            "peaks": [str(f) for f in self.peaks.files] if self.peaks is not None else None,
            "quantile": f"fraction of the stratum's null |{key}| smaller than the variant's",
            "pvalue": f"(1 + number of the stratum's null |{key}| >= the variant's) / (stratum size + 1)",
            "strata": self.strata,
            **({"note": DRAWN_NOTE} if self.info.get("source") == "drawn" else {}),
        }


# -- building or reusing a null ------------------------------------------------------------------
def null_key(
    model_path: str | os.PathLike,
    genome: Genome,
    n: int | None,
    seed: int,
    vcf: str | os.PathLike | None,
    peaks: PeakIndex | None,
    max_indel: int = DEFAULT_MAX_INDEL,
) -> dict:
    """What a null depends on: the model's content, the genome, the draw or VCF, the peaks."""
    source = {"vcf": file_identity(vcf), "max_indel": max_indel} if vcf else {"draw": n, "seed": seed}
    return {
        "version": NULL_VERSION,
        "model": file_digest(model_path, meta_path(model_path)),
        "genome": {"fasta": file_identity(genome.path), "chroms": genome.chrom_sizes},
        "source": source,
        "peaks": [file_identity(f) for f in peaks.files] if peaks is not None else None,
    }


def null_cache_path(
    model_path: str | os.PathLike, key: dict, cache_dir: str | os.PathLike | None = None
) -> Path:
    """``<cache folder>/<model file name>.null-<hash of key>.npz``; the folder is the model's
    when writable, else ``~/.cache/brainresnet`` (``cache_dir`` overrides both)."""
    model_path = Path(model_path)
    base = Path(cache_dir) if cache_dir else model_path.resolve().parent
    if cache_dir is None and not os.access(base, os.W_OK):
        base = Path.home() / ".cache" / "brainresnet"
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    return base / f"{model_path.name}.null-{digest}.npz"


def prepare_null(
    model: ScoringModel,
    meta: ModelMeta,
    genome: Genome,
    model_path: str | os.PathLike,
    *,
    n: int | None = None,
    seed: int = 0,
    vcf: str | os.PathLike | None = None,
    peaks: Sequence[str | os.PathLike] | None = None,
    cache_dir: str | os.PathLike | None = None,
    batch_size: int = 256,
    max_indel: int = DEFAULT_MAX_INDEL,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> NullCalibration:
    """The null of ``n`` drawn SNVs (``seed``) or of ``vcf``'s alleles: reused from its cache
    when one was made for the same key, else scored and cached.

    ``peaks``: BED/narrowPeak files for the distance covariate; None: the model's training peak
    files when they exist; an empty list: none (GC matching only).
    """
    say = log or (lambda _m: None)
    if (n is None) == (vcf is None):
        raise InputError("give the null as --null N (drawn from the genome) or --null-vcf FILE, not both")
    if n is not None:
        check_null_size(n)
    if vcf is not None and not Path(vcf).is_file():
        raise InputError(f"--null-vcf {vcf}: file not found (a VCF or variant table of common variants)")
    files = model_peak_files(meta) if peaks is None else [Path(p) for p in peaks]
    for f in files:
        if not f.is_file():
            raise InputError(f"--null-peaks {f}: file not found (a BED or narrowPeak file, or 'none')")
    index = PeakIndex.read(files, genome) if files else None
    key = null_key(model_path, genome, n, seed, vcf, index, max_indel)
    path = null_cache_path(model_path, key, cache_dir)
    what = f"{n:,} background SNVs (seed {seed})" if n is not None else f"the variants of {vcf}"
    info = {"source": "drawn" if n is not None else "vcf", "seed": seed if n is not None else None}
    info.update(vcf=str(vcf) if vcf else None, cache=str(path))
    null = NullEffects.load(path, key)
    if null is not None:
        say(f"null: reused the effects of {what} from {path}")
        return NullCalibration(null, meta, genome, index, {**info, "reused": True})
    scorer = VariantScorer(model, meta, genome, batch_size)
    if n is not None:
        drawn = draw_null_snvs(genome, n, seed, index)
        variants = [
            Variant(c, c, int(p), f"null{i}", r, a, 0)
            for i, (c, p, r, a) in enumerate(drawn.itertuples(index=False, name=None))
        ]
    else:
        reader = open_variants(vcf, genome, max_indel=max_indel)
        variants = list(reader)
        skipped = sum(reader.stats.skipped.values())
        if skipped:
            say(f"null: {skipped:,} alleles of {vcf} skipped ({reader.stats.summary()})")
        if len(variants) < MIN_NULL:
            raise InputError(
                f"--null-vcf {vcf}: {len(variants)} alleles scored, at least {MIN_NULL} are needed; "
                "give a VCF with more variants"
            )
    matched = "GC" + (f" and distance to {len(files)} peak file(s)" if index is not None else "")
    say(f"null: scoring {what}, matched on {matched}")
    null = score_null(scorer, variants, index, progress)
    calibration = NullCalibration(null, meta, genome, index, {**info, "reused": False})
    try:
        null.save(path, key)
        say(f"null: cached in {path}")
    except (OSError, OutputError) as err:  # a read-only or full cache folder: go on without it
        say(f"null: not cached ({err}); give --null-cache DIR to keep it")
    return calibration
