"""Plain helpers that write small input files (FASTA, BED, VCF, configs) and random DNA for the tests.

No fixtures here (those live in the conftest.py files) and no TensorFlow: importing this is cheap.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import yaml

from brainresnet_tf.io.genome import one_hot_sequence

MOTIF = "TGACGTCA"  # planted (twice) in the windows where tiny_run's profile 'a' is open
VCF_HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
SERVING_LENGTH = 120  # input length of tests.toy_models.serving_model


def write_fasta(path: Path, seqs: dict[str, str], width: int = 60) -> Path:
    """Write a FASTA file with wrapped lines."""
    with open(path, "w") as fh:
        for name, seq in seqs.items():
            fh.write(f">{name}\n")
            for i in range(0, len(seq), width):
                fh.write(seq[i : i + width] + "\n")
    return path


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path``; return the path."""
    path.write_text(text)
    return path


def write_vcf(path: Path, rows: list[str], gz: bool = False) -> Path:
    """A VCF with a minimal header and ``rows`` (tab-separated data lines), gzipped when ``gz``."""
    text = VCF_HEADER + "".join(r + "\n" for r in rows)
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def other_base(base: str) -> str:
    """A base other than ``base`` (C, or G for C)."""
    return "C" if base != "C" else "G"


def some_variants(seqs: dict[str, str], n: int = 11) -> list[str]:
    """VCF rows of ``n`` SNVs on chr1 of ``seqs`` whose REF matches the sequence."""
    rng = np.random.default_rng(3)
    rows = []
    for i, p in enumerate(np.sort(rng.choice(np.arange(1, 2900), n, replace=False))):
        b = seqs["chr1"][p - 1]
        rows.append(f"chr1\t{p}\tv{i}\t{b}\t{other_base(b)}")
    return rows


def random_dna(n: int, seed: int, alphabet: str = "ACGT", length: int = SERVING_LENGTH) -> list[str]:
    """``n`` random sequences of ``length`` letters drawn from ``alphabet``."""
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list(alphabet), length)) for _ in range(n)]


def onehot(seqs: list[str]) -> np.ndarray:
    """One-hot (N, L, 4) of equal-length sequences."""
    return np.stack([one_hot_sequence(s) for s in seqs])


def shifted_window(x: np.ndarray, shift: int) -> np.ndarray:
    """One-hot windows (N, L, 4) moved by ``shift`` bases, N (zeros) filled in: a numpy reference
    for the test-time shifts, written independently of the Keras layer."""
    out = np.zeros_like(x)
    if shift >= 0:
        out[:, shift:] = x[:, : x.shape[1] - shift]
    else:
        out[:, :shift] = x[:, -shift:]
    return out


def make_tiny_run(tmp_path: Path) -> Path:
    """Three 150 kb chromosomes; profile 'a' open where MOTIF is planted (twice), 'b' at random.

    Writes the genome, the peaks and a config of tiny models into ``tmp_path``; returns the config.
    """
    rng = np.random.default_rng(0)
    seqs, peaks_a, peaks_b = {}, [], []
    for c in ("chr1", "chr2", "chr3"):
        s = list(rng.choice(list("ACGT"), size=150000))
        for start in range(200, 149500, 400):
            if rng.random() < 0.5:
                s[start + 60 : start + 60 + len(MOTIF)] = MOTIF
                s[start + 120 : start + 120 + len(MOTIF)] = MOTIF
                peaks_a.append((c, start, start + 200))
            if rng.random() < 0.3:
                peaks_b.append((c, start, start + 200))
        seqs[c] = "".join(s)
    fasta = write_fasta(tmp_path / "g.fa", seqs)
    for name, peaks in (("a", peaks_a), ("b", peaks_b)):
        (tmp_path / f"{name}.bed").write_text("".join(f"{c}\t{s}\t{e}\n" for c, s, e in peaks))
    cfg = {
        "genome": {"fasta": str(fasta)},
        "profiles": [
            {"name": "a", "cell_type": "x", "assay": "ATAC", "peaks": str(tmp_path / "a.bed")},
            {"name": "b", "cell_type": "y", "assay": "ATAC", "peaks": str(tmp_path / "b.bed")},
        ],
        "windows": {"context": 200, "valid_chroms": ["chr2"], "test_chroms": ["chr3"]},
        "model": {
            "resnet": {"stem_filters": 16, "stem_kernel": 9, "stage_filters": [8, 16], "head_units": 8},
            "baseline": {"filters": [8, 8, 8], "head_units": 8},
        },
        "training": {
            "ensemble": 1,  # tiny data would get the small-data ensemble of 3: one model is enough here
            "epochs": 3,
            "batch_size": 16,
            "tensorboard": False,
            "progress": False,
            "learning_rate": 0.005,
            "patience": 10,
        },
        "out_dir": str(tmp_path / "run"),
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def write_bigwig_entries(
    path: Path, chrom_sizes: dict[str, int], entries: list[tuple[str, int, int, float]]
) -> Path:
    """A bigWig of (chrom, start, end, value) intervals (bedGraph-like), sorted for pyBigWig."""
    import pyBigWig

    order = {c: i for i, c in enumerate(chrom_sizes)}
    bw = pyBigWig.open(str(path), "w")
    bw.addHeader(list(chrom_sizes.items()), maxZooms=0)
    for chrom, start, end, value in sorted(entries, key=lambda e: (order[e[0]], e[1])):
        bw.addEntries([chrom], [int(start)], ends=[int(end)], values=[float(value)])
    bw.close()
    return path


def fake_variant_scores(
    observed: Path, out: Path, profiles: tuple[str, ...] = ("iPSC_neuron_ATAC", "NPC_ATAC"), seed: int = 0
) -> Path:
    """A score-variants-like table for the demo variants of ``observed``, from their truth:
    motif breaks lose (and creations gain) accessibility in the first profile; others ~0."""
    import pandas as pd

    obs = pd.read_csv(observed, sep="\t", keep_default_na=False)
    rng = np.random.default_rng(seed)
    effect = (
        obs["class"]
        .str.replace("_del", "")
        .str.replace("_ins", "")
        .str.replace("_indel", "")
        .map({"break": -0.5, "create": 0.4, "buffered": -0.05, "neutral": 0.0})
        .to_numpy()
    )  # indels like the SNVs of their class (break_del as break, ...)
    df = pd.DataFrame(
        {
            "CHROM": obs["chrom"],
            "POS": obs["pos"],
            "ID": obs["variant_id"],
            "REF": obs["ref"],
            "ALT": obs["alt"],
        }
    )
    diffs = {}
    for i, p in enumerate(profiles):
        ref = rng.uniform(0.3, 0.9, len(obs))
        diff = (effect if i == 0 else 0.2 * effect) + rng.normal(0, 0.02, len(obs))
        alt = np.clip(ref + diff, 1e-4, 1 - 1e-4)
        df[f"{p}_ref"], df[f"{p}_alt"], df[f"{p}_diff"] = ref, alt, alt - ref
        df[f"{p}_logit_diff"] = np.log(alt / (1 - alt)) - np.log(ref / (1 - ref))
        diffs[p] = alt - ref
    mat = np.abs(np.column_stack(list(diffs.values())))
    df["max_abs_diff"] = mat.max(axis=1)
    df["max_abs_profile"] = np.array(profiles)[mat.argmax(axis=1)]
    df.to_csv(out, sep="\t", index=False)
    return out


def edit_windows(seq: str, pos: int, ref: str, alt: str, length: int) -> tuple[str, str]:
    """Brute-force (ref, alt) windows of a variant by editing the chromosome string: the ref
    window holds POS at index length // 2; the alt window is the edited string cut at the same
    start (a deletion filled from downstream), an insertion's d extra bases trimmed d // 2 on the
    left and the rest on the right; N past the chromosome's ends."""
    p0, c = pos - 1, length // 2
    assert seq[p0 : p0 + len(ref)].upper() == ref, (seq[p0 : p0 + len(ref)], ref)
    edited = seq[:p0] + alt + seq[p0 + len(ref) :]
    d = len(alt) - len(ref)
    shift = d // 2 if d > 0 else 0
    pad = "N" * (2 * length + len(alt))

    def cut(s: str, start: int) -> str:
        return (pad + s.upper() + pad)[len(pad) + start : len(pad) + start + length]

    return cut(seq, p0 - c), cut(edited, p0 - c + shift)


def reverse_complement(seq: str) -> str:
    """Reverse complement of an ACGTN string."""
    return seq.translate(str.maketrans("ACGTN", "TGCAN"))[::-1]


_FRESH = [0]


def fresh_file(folder: Path, name: str, data: bytes) -> Path:
    """``data`` written to a new file in ``folder`` (a unique name per call, ending in ``name``):
    rewriting one file is ~100x slower on some filesystems (truncation), which property tests
    running thousands of examples feel."""
    _FRESH[0] += 1
    path = Path(folder) / f"{_FRESH[0]}_{name}"
    path.write_bytes(data)
    return path


def check_read_variants(variants: list, stats, seqs: dict[str, str]) -> None:
    """What a valid read of a variant file is: every allele on the genome (``seqs``) with its REF,
    ACGT alleles, left-normalised, typed, each once, and counts that add up."""
    from brainresnet_tf.io.variants import VARIANT_TYPES, left_normalize, variant_kind

    assert stats.scored == len(variants) == sum(stats.scored_types.values())
    assert stats.alleles == stats.scored + sum(stats.skipped.values())
    seen = set()
    for v in variants:
        seq = seqs[v.genome_chrom]
        assert v.ref and v.alt and v.ref != v.alt
        assert set(v.ref + v.alt) <= set("ACGT")
        assert 1 <= v.pos and v.pos - 1 + len(v.ref) <= len(seq)
        assert seq[v.pos - 1 : v.pos - 1 + len(v.ref)].upper() == v.ref
        assert left_normalize(v.pos - 1, v.ref, v.alt, lambda i, s=seq: s[i].upper()) == (
            v.pos - 1,
            v.ref,
            v.alt,
        )
        assert v.kind in VARIANT_TYPES and v.kind == variant_kind(v.ref, v.alt)[0]
        key = (v.genome_chrom, v.pos, v.ref, v.alt)
        assert key not in seen
        seen.add(key)


# peaks of a genome-wide file that a one-chromosome genome lacks: 3 on chr2, 2 on chrEBV, 1 on chrUn_x
OFF_GENOME_PEAKS = [("chr2", 100, 300)] * 3 + [("chrEBV", 10, 200)] * 2 + [("chrUn_x", 0, 150)]


def make_partial_genome_run(tmp_path: Path) -> Path:
    """A one-chromosome genome (chr1, 60 kb) with genome-wide peak files, and a config of tiny models.

    Profile 'a' has 9 peaks on chr1 (one written ``1``, the alias) and the 6 of
    :data:`OFF_GENOME_PEAKS` after its third line; profile 'b' has 9 peaks, all on chr1. Held out:
    valid chr1:40001-50000, test chr1:50001-60000. Returns the config's path.
    """
    rng = np.random.default_rng(5)
    fasta = write_fasta(tmp_path / "chr1.fa", {"chr1": "".join(rng.choice(list("ACGT"), 60_000))})
    on_a = [("chr1", s, s + 200) for s in (2_000, 9_000, 17_000, 26_000, 33_000, 42_000, 47_000, 52_000)]
    on_a.append(("1", 57_000, 57_200))
    rows_a = on_a[:3] + OFF_GENOME_PEAKS + on_a[3:]
    rows_b = [
        ("chr1", s, s + 200) for s in (3_000, 11_000, 20_000, 29_000, 36_000, 44_000, 48_000, 54_000, 58_000)
    ]
    for name, rows in (("a", rows_a), ("b", rows_b)):
        write_text(tmp_path / f"{name}.bed", "".join(f"{c}\t{s}\t{e}\n" for c, s, e in rows))
    cfg = {
        "genome": {"fasta": str(fasta)},
        "profiles": [{"name": n, "peaks": str(tmp_path / f"{n}.bed")} for n in ("a", "b")],
        "windows": {
            "context": 200,
            "valid_regions": ["chr1:40001-50000"],
            "test_regions": ["chr1:50001-60000"],
        },
        "model": {"resnet": {"stem_filters": 8, "stem_kernel": 9, "stage_filters": [8], "head_units": 8}},
        "training": {"ensemble": 1, "epochs": 1, "batch_size": 16, "tensorboard": False, "progress": False},
        "out_dir": str(tmp_path / "run"),
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def write_partial_genome_regions(
    folder: Path, chr1: str, on_genome: list[tuple[str, int, int]]
) -> tuple[Path, Path, Path]:
    """A one-chromosome genome and genome-wide region files, for the commands that read BED regions.

    Writes into ``folder`` (created): ``chr1.fa`` (``chr1`` only), ``mixed.bed`` (the
    ``on_genome`` rows with the 6 of :data:`OFF_GENOME_PEAKS` after the third, so the first one
    off the genome is line 4: chr2) and ``off.bed`` (those 6 only). Returns the three paths.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fasta = write_fasta(folder / "chr1.fa", {"chr1": chr1})
    rows = list(on_genome[:3]) + OFF_GENOME_PEAKS + list(on_genome[3:])
    mixed = write_text(folder / "mixed.bed", "".join(f"{c}\t{s}\t{e}\n" for c, s, e in rows))
    off = write_text(folder / "off.bed", "".join(f"{c}\t{s}\t{e}\n" for c, s, e in OFF_GENOME_PEAKS))
    return fasta, mixed, off


def partial_genome_of_world(world: Path) -> tuple[Path, Path, Path, int]:
    """:func:`write_partial_genome_regions` in ``world/partial`` for a ``ctcf_world`` folder: its
    chr1 and its peaks on chr1 (``data/peaks.bed``). Returns (chr1.fa, mixed.bed, off.bed, the
    number of peaks on chr1)."""
    seqs: dict[str, list[str]] = {}
    for line in (world / "data" / "genome.fa").read_text().splitlines():
        if line.startswith(">"):
            name = line[1:].split()[0]
            seqs[name] = []
        else:
            seqs[name].append(line.strip())
    on = []
    for line in (world / "data" / "peaks.bed").read_text().splitlines():
        chrom, start, end = line.split("\t")[:3]
        if chrom == "chr1":
            on.append((chrom, int(start), int(end)))
    fasta, mixed, off = write_partial_genome_regions(world / "partial", "".join(seqs["chr1"]), on)
    return fasta, mixed, off, len(on)
