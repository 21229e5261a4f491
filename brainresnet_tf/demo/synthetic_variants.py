"""Demo variants with known truth on the synthetic genome, and simulated allelic read counts.

Classes (the truth follows the generator's rule: an element is open in a cell type when it
carries >= ``min_motifs`` of the cell type's motifs, or any shared motif):

* ``break``: an SNV at the highest-information position of a planted motif instance (consensus
  base -> that column's least likely base) in an element that is open in the cell type only
  because of that instance: the alt allele closes it (true ref fraction 0.8).
* ``create``: an SNV that completes a near-consensus instance of one of the cell type's motifs
  in an element one motif short of opening: the alt allele opens it (true ref fraction 0.2).
* ``buffered``: a break of a planted instance whose element stays in the same state (true 0.5).
* ``neutral``: an SNV in background sequence, away from every element and motif (true 0.5).

Indels, with the same truth rule:

* ``break_del``: a deletion of a whole planted motif instance (with its VCF anchor base) in an
  element that is open only because of it (true ref fraction 0.8).
* ``create_ins``: an insertion of the consensus of one of the cell type's motifs (either strand)
  between the planted sites of an element one motif short of opening (true 0.2).
* ``buffered_del``: a deletion of a planted instance whose element stays in the same state (0.5).
* ``neutral_indel``: a deletion or insertion of 1-10 bp in background sequence (0.5).

Every record is written left-normalised against the genome (as ``bcftools norm`` would), and the
indels draw from their own random stream (their allele frequencies after the SNVs'), so the
SNVs, their reads and frequencies are those of a demo without indels.

Allelic reads: total ~ Poisson(``depth``), ref reads ~ Binomial(total, true ref fraction);
significant when a two-sided binomial test against 0.5 (scipy) gives p < ``alpha``.

Allele frequencies (the VCF's ``INFO/AF``, of the ALT allele), as purifying selection shapes them:
variants that change an element's state (``break``, ``create``, ``break_del``, ``create_ins``) are
rare, log10 AF ~ U(-4.5, -1.5); the others follow a broader spectrum, log10 AF ~ U(-3.5, log10 0.5), with
ALT the major allele (AF -> 1 - AF) for a fifth of them. They are drawn from their own generator
(``default_rng([seed, 29])``), so every other output is what it was before AF was added.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from brainresnet_tf.demo.synthetic import (
    DEFAULT_CELL_TYPES,
    SHARED_MOTIFS,
    CellType,
    SyntheticDataset,
    jaspar_motif,
)
from brainresnet_tf.io.atomic import atomic_path
from brainresnet_tf.io.genome import Genome, encode
from brainresnet_tf.io.tables import write_table
from brainresnet_tf.io.variants import left_normalize

TRUE_REF_FRACTION = {
    "break": 0.8,
    "create": 0.2,
    "buffered": 0.5,
    "neutral": 0.5,
    "break_del": 0.8,
    "create_ins": 0.2,
    "buffered_del": 0.5,
    "neutral_indel": 0.5,
}
INDEL_CLASSES = ("break_del", "create_ins", "buffered_del", "neutral_indel")
# log10 allele-frequency ranges: state-changing variants are kept rare by purifying selection
LOG10_AF_RANGE = {c: (-4.5, -1.5) for c in ("break", "create", "break_del", "create_ins")}
NEUTRAL_LOG10_AF_RANGE = (-3.5, float(np.log10(0.5)))
_AF_STREAM = 29  # the allele frequencies' own generator: default_rng([seed, 29])
_BASES = "ACGT"


@dataclass(frozen=True)
class DemoVariants:
    """Paths and class counts of a written demo variant set."""

    vcf: Path
    observed: Path
    counts: dict[str, int]
    n_significant: int


def dataset_paths(data: SyntheticDataset | str | os.PathLike) -> tuple[Path, Path, Path]:
    if isinstance(data, SyntheticDataset):
        return data.fasta, data.elements, data.motif_sites
    d = Path(data)
    return d / "genome.fa", d / "elements.tsv", d / "motif_sites.tsv"


def _log_odds(name: str) -> np.ndarray:
    """log2(p / 0.25) of a JASPAR matrix, (L, 4)."""
    return np.log2(jaspar_motif(name)[1] / 0.25)


def _element_truth(sites: pd.DataFrame, ct: CellType, shared: tuple[str, ...]) -> tuple[int, int]:
    """(number of the cell type's motifs, number of shared motifs) planted in one element."""
    names = sites["motif_name"].tolist()
    return sum(n in ct.motifs for n in names), sum(n in shared for n in names)


def _break_candidates(
    elements: pd.DataFrame,
    sites: pd.DataFrame,
    ct: CellType,
    shared: tuple[str, ...],
    codes: np.ndarray,
    genome: Genome,
    min_ic: float = 1.2,
) -> pd.DataFrame:
    """One candidate SNV per planted site in elements: the highest-IC consensus column broken."""
    rows = []
    by_el = sites.groupby("element_id")
    for el in elements.itertuples(index=False):
        if el.element_id not in by_el.groups:
            continue
        el_sites = by_el.get_group(el.element_id)
        n_ct, n_shared = _element_truth(el_sites, ct, shared)
        rule_open = n_ct >= ct.min_motifs or n_shared > 0
        if int(getattr(el, ct.name)) != int(rule_open):  # a noise flip: truth unclear, skip
            continue
        for site in el_sites.itertuples(index=False):
            after_ct = n_ct - (site.motif_name in ct.motifs)
            after_shared = n_shared - (site.motif_name in shared)
            closes = rule_open and not (after_ct >= ct.min_motifs or after_shared > 0)
            probs = jaspar_motif(site.motif_name)[1]
            ic = 2 + (probs * np.log2(probs)).sum(axis=1)
            planted = encode(site.sequence)
            ok = (planted == probs.argmax(axis=1)) & (ic >= min_ic)
            if not ok.any():
                continue
            j = int(np.flatnonzero(ok)[np.argmax(ic[ok])])
            alt_code = int(probs[j].argmin())
            if site.strand == "+":
                pos0, ref_code = site.start + j, planted[j]
            else:  # the genome holds the reverse complement: column j sits at end-1-j
                pos0, ref_code, alt_code = site.end - 1 - j, 3 - planted[j], 3 - alt_code
            off = genome.offset(site.chrom)
            if codes[off + pos0] != ref_code:
                continue
            rows.append(
                {
                    "chrom": site.chrom,
                    "pos0": int(pos0),
                    "ref": _BASES[ref_code],
                    "alt": _BASES[alt_code],
                    "cls": "break" if closes else "buffered",
                    "element_id": el.element_id,
                    "motif": site.motif_name,
                }
            )
    return pd.DataFrame(rows)


def _create_candidates(
    elements: pd.DataFrame,
    sites: pd.DataFrame,
    ct: CellType,
    shared: tuple[str, ...],
    codes: np.ndarray,
    genome: Genome,
    strength: float = 0.25,
) -> pd.DataFrame:
    """SNVs completing an instance of one of ``ct``'s motifs (scoring at least the ``strength``
    quantile of planted instances after the change, below the 5% quantile before) in elements
    closed in ``ct`` that are one motif short of opening."""
    thresholds = {}
    for name in ct.motifs:
        W = _log_odds(name)
        planted = sites.loc[sites["motif_name"] == name, "sequence"]
        scores = [W[np.arange(len(W)), encode(s)].sum() for s in planted]
        if scores:
            thresholds[name] = (np.quantile(scores, strength), np.quantile(scores, 0.05))
    by_el = sites.groupby("element_id")
    rows = []
    for el in elements.itertuples(index=False):
        if el.element_id not in by_el.groups or int(getattr(el, ct.name)) != 0:
            continue
        el_sites = by_el.get_group(el.element_id)
        n_ct, n_shared = _element_truth(el_sites, ct, shared)
        if n_shared or n_ct != ct.min_motifs - 1:
            continue
        off = genome.offset(el.chrom)
        seq = np.asarray(codes[off + el.start : off + el.end])
        taken = np.zeros(len(seq), bool)
        for s in el_sites.itertuples(index=False):
            taken[max(s.start - el.start - 2, 0) : s.end - el.start + 2] = True
        best = None
        for name, (hi, lo) in thresholds.items():
            W = _log_odds(name)
            for strand, M in (("+", W), ("-", W[::-1, ::-1])):
                w = len(M)
                if len(seq) < w:
                    continue
                win = np.lib.stride_tricks.sliding_window_view(seq, w)
                free = ~np.lib.stride_tricks.sliding_window_view(taken, w).any(axis=1)
                good = (win < 4).all(axis=1) & free
                cur = M[np.arange(w), np.minimum(win, 3)]  # (n_off, w)
                total = cur.sum(axis=1)
                gain = M.max(axis=1)[None, :] - cur
                j = gain.argmax(axis=1)
                after = total + gain[np.arange(len(j)), j]
                ok = good & (after >= hi) & (total < lo)
                for o in np.flatnonzero(ok):
                    cand = (after[o], o + int(j[o]), int(M[j[o]].argmax()), name, strand)
                    if best is None or cand[0] > best[0]:
                        best = cand
        if best is not None:
            _, i, alt_code, name, _ = best
            rows.append(
                {
                    "chrom": el.chrom,
                    "pos0": int(el.start + i),
                    "ref": _BASES[seq[i]],
                    "alt": _BASES[alt_code],
                    "cls": "create",
                    "element_id": el.element_id,
                    "motif": name,
                }
            )
    return pd.DataFrame(rows)


def _neutral_candidates(
    rng: np.random.Generator,
    genome: Genome,
    chroms: list[str],
    elements: pd.DataFrame,
    sites: pd.DataFrame,
    n: int,
    distance: int = 1000,
) -> pd.DataFrame:
    """``n`` SNVs at least ``distance`` bp from every element and planted site, not at N."""
    rows = []
    per_chrom = {c: 0 for c in chroms}
    for c in rng.choice(chroms, n):
        per_chrom[c] += 1
    codes = genome.codes
    for chrom, k in per_chrom.items():
        size, off = genome.chrom_sizes[chrom], genome.offset(chrom)
        blocked = np.zeros(size, bool)
        for table in (elements, sites):
            sub = table[table["chrom"] == chrom]
            for s, e in zip(sub["start"].to_numpy(), sub["end"].to_numpy()):
                blocked[max(s - distance, 0) : e + distance] = True
        blocked[:distance] = blocked[size - distance :] = True
        blocked |= np.asarray(codes[off : off + size]) == 4
        free = np.flatnonzero(~blocked)
        for pos0 in np.sort(rng.choice(free, min(k, len(free)), replace=False)):
            ref = int(codes[off + pos0])
            alt = int(rng.choice([b for b in range(4) if b != ref]))
            rows.append(
                {
                    "chrom": chrom,
                    "pos0": int(pos0),
                    "ref": _BASES[ref],
                    "alt": _BASES[alt],
                    "cls": "neutral",
                    "element_id": "",
                    "motif": "",
                }
            )
    return pd.DataFrame(rows)


def _deletion_candidates(
    elements: pd.DataFrame,
    sites: pd.DataFrame,
    ct: CellType,
    shared: tuple[str, ...],
    codes: np.ndarray,
    genome: Genome,
) -> pd.DataFrame:
    """One deletion per planted site in elements whose state follows the rule: the whole
    instance, after its anchor base; ``break_del`` when that closes the element, else
    ``buffered_del``."""
    rows = []
    by_el = sites.groupby("element_id")
    for el in elements.itertuples(index=False):
        if el.element_id not in by_el.groups:
            continue
        el_sites = by_el.get_group(el.element_id)
        n_ct, n_shared = _element_truth(el_sites, ct, shared)
        rule_open = n_ct >= ct.min_motifs or n_shared > 0
        if int(getattr(el, ct.name)) != int(rule_open):
            continue
        off = genome.offset(el.chrom)
        for site in el_sites.itertuples(index=False):
            after_ct = n_ct - (site.motif_name in ct.motifs)
            after_shared = n_shared - (site.motif_name in shared)
            closes = rule_open and not (after_ct >= ct.min_motifs or after_shared > 0)
            pos0 = site.start - 1
            ref = "".join("ACGTN"[c] for c in codes[off + pos0 : off + site.end])
            if pos0 < 0 or "N" in ref:
                continue
            rows.append(
                {
                    "chrom": site.chrom,
                    "pos0": int(pos0),
                    "ref": ref,
                    "alt": ref[0],
                    "cls": "break_del" if closes else "buffered_del",
                    "element_id": el.element_id,
                    "motif": site.motif_name,
                }
            )
    return pd.DataFrame(rows)


def _insertion_candidates(
    rng: np.random.Generator,
    elements: pd.DataFrame,
    sites: pd.DataFrame,
    ct: CellType,
    shared: tuple[str, ...],
    codes: np.ndarray,
    genome: Genome,
) -> pd.DataFrame:
    """One insertion per element closed in ``ct`` that is one of its motifs short of opening: the
    consensus of one of ``ct``'s motifs (random strand) at a position at least 3 bp from every
    planted site, as near the element's centre as possible."""
    by_el = sites.groupby("element_id")
    rows = []
    for el in elements.itertuples(index=False):
        if el.element_id not in by_el.groups or int(getattr(el, ct.name)) != 0:
            continue
        el_sites = by_el.get_group(el.element_id)
        n_ct, n_shared = _element_truth(el_sites, ct, shared)
        if n_shared or n_ct != ct.min_motifs - 1:
            continue
        taken = np.zeros(el.end - el.start, bool)
        for site in el_sites.itertuples(index=False):
            taken[max(site.start - el.start - 3, 0) : site.end - el.start + 3] = True
        taken[:1] = True  # the anchor base must lie inside the element
        free = np.flatnonzero(~taken)
        off = genome.offset(el.chrom)
        free = free[codes[off + el.start + free] < 4]
        if not len(free):
            continue
        i = int(free[np.argmin(np.abs(free - len(taken) // 2))])
        name = ct.motifs[int(rng.integers(len(ct.motifs)))]
        consensus = "".join(_BASES[j] for j in jaspar_motif(name)[1].argmax(axis=1))
        if rng.random() < 0.5:
            consensus = consensus[::-1].translate(str.maketrans("ACGT", "TGCA"))
        anchor = _BASES[codes[off + el.start + i]]
        rows.append(
            {
                "chrom": el.chrom,
                "pos0": int(el.start + i),
                "ref": anchor,
                "alt": anchor + consensus,
                "cls": "create_ins",
                "element_id": el.element_id,
                "motif": name,
            }
        )
    return pd.DataFrame(rows)


def _neutral_indels(
    rng: np.random.Generator, snvs: pd.DataFrame, codes: np.ndarray, genome: Genome
) -> pd.DataFrame:
    """Each background SNV position of ``snvs`` turned into a 1-10 bp deletion or insertion."""
    rows = []
    for r in snvs.itertuples(index=False):
        off, k = genome.offset(r.chrom), int(rng.integers(1, 11))
        if rng.random() < 0.5:
            ref = "".join("ACGTN"[c] for c in codes[off + r.pos0 : off + r.pos0 + k + 1])
            if "N" in ref or len(ref) != k + 1:
                continue
            alt = ref[0]
        else:
            ref = r.ref
            alt = ref + "".join(rng.choice(list(_BASES), k))
        rows.append({**r._asdict(), "ref": ref, "alt": alt, "cls": "neutral_indel"})
    return pd.DataFrame(rows)


def _normalised(variants: pd.DataFrame, genome: Genome, codes: np.ndarray) -> pd.DataFrame:
    """``variants`` with pos0, ref and alt left-normalised against the genome."""
    out = []
    for r in variants.itertuples(index=False):
        off = genome.offset(r.chrom)
        pos0, ref, alt = left_normalize(r.pos0, r.ref, r.alt, lambda i, o=off: "ACGTN"[codes[o + i]])
        out.append({**r._asdict(), "pos0": pos0, "ref": ref, "alt": alt})
    return pd.DataFrame(out, columns=variants.columns)


def _sample(rng: np.random.Generator, tables: list[tuple[pd.DataFrame, str, int]]) -> list[pd.DataFrame]:
    """At most ``n`` rows of class ``cls`` from each (table, cls, n), drawn without replacement."""
    parts = []
    for table, cls, n in tables:
        if table.empty:
            continue
        sub = table[table["cls"] == cls]
        if len(sub) > n:
            sub = sub.iloc[np.sort(rng.choice(len(sub), n, replace=False))]
        parts.append(sub)
    return parts


def simulate_allele_frequencies(rng: np.random.Generator, classes: np.ndarray) -> np.ndarray:
    """ALT allele frequency per variant of the given classes (see the module docstring)."""
    classes = np.asarray(classes, dtype=object)
    lo = np.array([LOG10_AF_RANGE.get(c, NEUTRAL_LOG10_AF_RANGE)[0] for c in classes])
    hi = np.array([LOG10_AF_RANGE.get(c, NEUTRAL_LOG10_AF_RANGE)[1] for c in classes])
    af = 10.0 ** rng.uniform(lo, hi)
    flip = (rng.random(len(classes)) < 0.2) & ~np.isin(classes, list(LOG10_AF_RANGE))
    return np.where(flip, 1.0 - af, af)


def simulate_reads(
    rng: np.random.Generator, true_ref_fraction: np.ndarray, depth: float = 40.0, alpha: float = 0.01
) -> pd.DataFrame:
    """ref_reads, alt_reads, p_value (two-sided binomial vs 0.5) and significant (p < alpha)."""
    total = rng.poisson(depth, len(true_ref_fraction))
    ref = rng.binomial(total, true_ref_fraction)
    p = np.array([stats.binomtest(int(r), int(t), 0.5).pvalue if t else 1.0 for r, t in zip(ref, total)])
    return pd.DataFrame(
        {"ref_reads": ref, "alt_reads": total - ref, "p_value": p, "significant": (p < alpha).astype(int)}
    )


def make_demo_variants(
    data: SyntheticDataset | str | os.PathLike,
    out_vcf: str | os.PathLike,
    out_observed: str | os.PathLike,
    cell_type: str = "iPSC_neuron",
    seed: int = 0,
    chroms: list[str] | None = None,
    n_break: int = 150,
    n_create: int = 60,
    n_buffered: int = 50,
    n_neutral: int = 800,
    n_break_del: int = 120,
    n_create_ins: int = 60,
    n_buffered_del: int = 50,
    n_neutral_indel: int = 300,
    depth: float = 40.0,
    alpha: float = 0.01,
    cell_types: tuple[CellType, ...] = DEFAULT_CELL_TYPES,
    shared: tuple[str, ...] = SHARED_MOTIFS,
) -> DemoVariants:
    """Write a VCF of demo SNVs and indels (classes above) and their observed allelic table (TSV).

    ``chroms`` limits the variants to some chromosomes (e.g. the held-out ones); each class
    count is a maximum (fewer when the genome has fewer candidates; 0 leaves a class out). The
    observed table has chrom, pos, ref, alt, variant_id, ref_reads, alt_reads, p_value,
    significant, and the truth: class, element_id, motif, true_ref_fraction. The VCF's INFO has
    CLASS and AF (allele frequency of ALT).
    """
    fasta, elements_path, sites_path = dataset_paths(data)
    ct = next((c for c in cell_types if c.name == cell_type), None)
    if ct is None:
        raise ValueError(f"unknown cell type {cell_type!r} (have {[c.name for c in cell_types]})")
    rng = np.random.default_rng(seed)
    genome = Genome(fasta)
    codes = genome.codes
    elements = pd.read_csv(elements_path, sep="\t")
    sites = pd.read_csv(sites_path, sep="\t")
    chroms = chroms or list(genome.chrom_sizes)
    elements = elements[elements["chrom"].isin(chroms)]
    el_sites = sites[sites["element_id"].isin(set(elements["element_id"]))]

    breaks = _break_candidates(elements, el_sites, ct, shared, codes, genome)
    creates = _create_candidates(elements, el_sites, ct, shared, codes, genome)
    neutral = _neutral_candidates(rng, genome, chroms, elements, sites, n_neutral)
    parts = _sample(
        rng,
        [
            (breaks, "break", n_break),
            (breaks, "buffered", n_buffered),
            (creates, "create", n_create),
            (neutral, "neutral", n_neutral),
        ],
    )
    snvs = _sorted(pd.concat(parts, ignore_index=True).drop_duplicates(["chrom", "pos0"]), genome)
    snvs["true_ref_fraction"] = snvs["cls"].map(TRUE_REF_FRACTION)
    snv_reads = simulate_reads(rng, snvs["true_ref_fraction"].to_numpy(), depth, alpha)

    irng = np.random.default_rng([seed, 18])  # the indels' own stream: the SNVs stay as they were
    deletions = _deletion_candidates(elements, el_sites, ct, shared, codes, genome)
    insertions = _insertion_candidates(irng, elements, el_sites, ct, shared, codes, genome)
    background = (
        _neutral_candidates(irng, genome, chroms, elements, sites, n_neutral_indel)
        if n_neutral_indel
        else pd.DataFrame()
    )
    indel_parts = _sample(
        irng,
        [
            (deletions, "break_del", n_break_del),
            (deletions, "buffered_del", n_buffered_del),
            (insertions, "create_ins", n_create_ins),
            (
                _neutral_indels(irng, background, codes, genome) if len(background) else background,
                "neutral_indel",
                n_neutral_indel,
            ),
        ],
    )
    # allele frequencies: the SNVs' drawn first, in their order, so they are what they were
    af_rng = np.random.default_rng([seed, _AF_STREAM])
    frames = [snvs.assign(_reads=np.arange(len(snvs)))]
    reads = [snv_reads]
    afs = [simulate_allele_frequencies(af_rng, snvs["cls"].to_numpy())]
    if indel_parts:
        indels = _normalised(pd.concat(indel_parts, ignore_index=True), genome, codes)
        indels = _sorted(indels.drop_duplicates(["chrom", "pos0", "ref", "alt"]), genome)
        indels["true_ref_fraction"] = indels["cls"].map(TRUE_REF_FRACTION)
        reads.append(simulate_reads(irng, indels["true_ref_fraction"].to_numpy(), depth, alpha))
        afs.append(simulate_allele_frequencies(af_rng, indels["cls"].to_numpy()))
        frames.append(indels.assign(_reads=len(snvs) + np.arange(len(indels))))
    variants = _sorted(pd.concat(frames, ignore_index=True), genome)
    rows = variants["_reads"].to_numpy()
    reads = pd.concat(reads, ignore_index=True).iloc[rows].reset_index(drop=True)
    af = np.concatenate(afs)[rows]
    variants["pos"] = variants["pos0"] + 1
    variants["variant_id"] = [f"dv{i:05d}" for i in range(len(variants))]
    observed = pd.concat(
        [
            variants[["chrom", "pos", "ref", "alt", "variant_id"]],
            reads,
            variants[["cls", "element_id", "motif", "true_ref_fraction"]].rename(columns={"cls": "class"}),
        ],
        axis=1,
    )

    out_vcf, out_observed = Path(out_vcf), Path(out_observed)
    _write_vcf(out_vcf, variants.assign(af=af), genome, cell_type)
    write_table(observed, out_observed)
    counts = variants["cls"].value_counts().to_dict()
    return DemoVariants(
        out_vcf,
        out_observed,
        {k: int(counts.get(k, 0)) for k in TRUE_REF_FRACTION},
        int(reads["significant"].sum()),
    )


def _sorted(variants: pd.DataFrame, genome: Genome) -> pd.DataFrame:
    """Rows in genome order (chromosome, then position; stable), index reset."""
    names = list(genome.chrom_sizes)
    order = np.lexsort((variants["pos0"].to_numpy(), [names.index(c) for c in variants["chrom"]]))
    return variants.iloc[order].reset_index(drop=True)


def _write_vcf(path: Path, variants: pd.DataFrame, genome: Genome, cell_type: str) -> None:
    """VCF 4.2 (gzip when the name ends in .gz)."""
    import gzip

    indels = variants["cls"].isin(INDEL_CLASSES).any()
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "##fileformat=VCFv4.2",
        "##source=brainresnet_tf.synthetic_variants",
        f"##reference={genome.path.name}",
        f'##INFO=<ID=CLASS,Number=1,Type=String,Description="demo truth for {cell_type}: '
        "break, create, buffered or neutral"
        + (", or indels: break_del, create_ins, buffered_del, neutral_indel" if indels else "")
        + '">',
        '##INFO=<ID=AF,Number=A,Type=Float,Description="simulated ALT allele frequency: '
        'state-changing (break, create) variants are rarer, as purifying selection makes them">',
    ]
    lines += [f"##contig=<ID={c},length={n}>" for c, n in genome.chrom_sizes.items()]
    lines.append("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
    lines += [
        f"{r.chrom}\t{r.pos}\t{r.variant_id}\t{r.ref}\t{r.alt}\t.\tPASS\tCLASS={r.cls};AF={r.af:.4g}"
        for r in variants.itertuples(index=False)
    ]
    text = "\n".join(lines) + "\n"
    with atomic_path(path) as tmp:
        if path.suffix == ".gz":
            with gzip.open(tmp, "wt") as fh:
                fh.write(text)
        else:
            tmp.write_text(text)
