"""Every command the README and the documentation pages (docs/**/*.md) show runs, at tiny scale,
in a scratch copy of the repository's layout (tests/readme_commands.py says how each is shrunk); a
shown command that breaks fails CI."""

import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from brainresnet_tf.io.sequences import read_fasta_records
from tests.readme_commands import COMMANDS, NOT_RUN, TINY_TRAINING

ROOT = Path(__file__).resolve().parents[1]


def shown_pages() -> list[Path]:
    """README.md and every documentation page: where commands are shown to users."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def shown_commands() -> list[str]:
    """The commands of the README and of every documentation page, each once, in page order."""
    return list(dict.fromkeys(c for page in shown_pages() for c in readme_commands(page.read_text())))


def readme_commands(text: str) -> list[str]:
    """Commands of a page's bash blocks (continuations joined, comments and prompts dropped,
    ``a && b`` split) and its inline ``python benchmarks/...`` commands."""
    out = []
    for block in re.findall(r"```(?:bash|sh)\n(.*?)```", text, re.S):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            line = re.split(r"\s+#\s", line)[0]
            out += [" ".join(part.split()) for part in line.split("&&") if part.strip()]
    out += [" ".join(c.split()) for c in re.findall(r"`((?:nice -n \d+ )?python benchmarks/[^`]*)`", text)]
    return list(dict.fromkeys(out))


def test_every_readme_command_has_a_tiny_version():
    """Each command the README or a docs page shows has a tiny version (or a reason it does not
    run), and each tiny version belongs to a command still shown somewhere."""
    assert (ROOT / "docs").is_dir(), "docs/ is missing"
    shown = shown_commands()
    assert shown, "no commands found in the README and docs"
    assert readme_commands((ROOT / "README.md").read_text()), "the README shows no command"
    missing = [c for c in shown if c not in COMMANDS and c not in NOT_RUN]
    assert missing == [], "add these README / docs commands to tests/readme_commands.py"
    stale = [c for c in COMMANDS if c not in shown]
    assert stale == [], "these tests/readme_commands.py entries are no longer in the README or docs"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gzip(src: Path, dest: Path) -> None:
    dest.write_bytes(gzip.compress(src.read_bytes()))


def _after_demo(work: Path) -> None:
    """The README's placeholder files, made from the tiny demo's."""
    demo = work / "runs" / "demo"
    genome, peaks = demo / "data" / "genome.fa", demo / "data" / "peaks"
    for name in ("hg38.fa", "genome.fa"):
        shutil.copy(genome, work / name)
    data = work / "configs" / "data"
    data.mkdir(exist_ok=True)
    shutil.copy(genome, data / "hg38.fa")
    _gzip(peaks / "iPSC_neuron_ATAC.narrowPeak", data / "iPSC_neuron_ATAC.narrowPeak.gz")
    _gzip(peaks / "NPC_ATAC.narrowPeak", data / "NPC_ATAC.narrowPeak.gz")
    _gzip(peaks / "fetal_brain_ATAC.narrowPeak", data / "ENCFF000XXX.bed.gz")
    shutil.copy(next((demo / "data").rglob("iPSC_neuron_ATAC.bw")), data / "iPSC_neuron_ATAC.bw")
    shutil.copy(peaks / "iPSC_neuron_ATAC.narrowPeak", work / "peaks.bed")
    lines = (peaks / "iPSC_neuron_ATAC.narrowPeak").read_text().splitlines()
    (work / "loci.bed").write_text("\n".join(lines[:20]) + "\n")
    for folder in (work / "runs" / "x", work):
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("model.keras", "model.json"):
            shutil.copy(demo / name, folder / name)
    shutil.copytree(demo / "kmer", work / "runs" / "x" / "kmer")
    vcf = demo / "variants" / "demo.vcf"
    _gzip(vcf, work / "asoc.vcf.gz")
    _qtl_pairs(genome, vcf, work / "qtl_pairs.tsv")
    records = [r.split("\t") for r in vcf.read_text().splitlines() if not r.startswith("#")]
    (work / "snps.bed").write_text(
        "".join(
            f"{c}\t{int(p) - 1}\t{int(p) - 1 + len(ref)}\t{ref}\t{alt}\t{i}\n"
            for c, p, i, ref, alt, *_ in records
        )
    )
    shutil.copy(demo / "variants" / "observed.tsv", work / "allelic_counts.tsv")
    gnomad = "".join(
        (line.replace("\tAF=", "\tAF_nfe=").replace(";AF=", ";AF_nfe=") if not line.startswith("#") else line)
        + "\n"
        for line in vcf.read_text().splitlines()
    )
    (work / "gnomad.genomes.sites.vcf.bgz").write_bytes(gzip.compress(gnomad.encode()))
    for name in ("gerp_conservation_scores.homo_sapiens.GRCh38.bw", "hg38.phyloP100way.bw"):
        shutil.copy(demo / "data" / "conservation.bw", work / name)
    shutil.copy(demo / "variants" / "element_loci.tsv", work / "credible_sets.tsv")
    # labelled sequence sets for configs/sequences_example.yaml: a planted MARE in the positives
    rng = np.random.default_rng(0)
    for split, n in (("train", 150), ("test", 40)):
        for label in ("positives", "negatives"):
            seqs = []
            for _ in range(n):
                s = list(rng.choice(list("ACGT"), 120))
                if label == "positives":
                    s[50:61] = "TGCTGAGTCAT"
                seqs.append("".join(s))
            (data / f"{split}.{label}.fa").write_text(
                "".join(f">{split}{label}{i}\n{s}\n" for i, s in enumerate(seqs))
            )
    shutil.copy(data / "test.positives.fa", work / "candidates.fa")


def _qtl_pairs(genome: Path, vcf: Path, out: Path) -> None:
    """A QTL-style table of 100 bp ref/alt sequences (id, ref_seq, alt_seq, beta) around the demo
    VCF's SNVs, the variant at index 49 as in the real dsQTL table."""
    seqs = dict(read_fasta_records(genome))
    rng = np.random.default_rng(0)
    rows = []
    for line in vcf.read_text().splitlines():
        if line.startswith("#"):
            continue
        chrom, pos, vid, ref, alt = line.split("\t")[:5]
        start = int(pos) - 1 - 49
        if len(ref) != 1 or len(alt) != 1 or start < 0:
            continue
        window = seqs[chrom][start : start + 100].upper()
        if len(window) < 100 or "N" in window or window[49] != ref:
            continue
        rows.append((vid, window, window[:49] + alt + window[50:], float(rng.normal())))
        if len(rows) == 60:
            break
    pd.DataFrame(rows, columns=["id", "ref_seq", "alt_seq", "beta"]).to_csv(out, sep="\t", index=False)


def _before_validate(work: Path) -> None:
    """validate-variants compares with two other scores: add them to the scores table."""
    scores = pd.read_csv(work / "scores.tsv", sep="\t")
    rng = np.random.default_rng(0)
    scores["other_model_score"] = rng.normal(size=len(scores))
    scores["cadd"] = rng.normal(size=len(scores))
    scores.to_csv(work / "scores.tsv", sep="\t", index=False)


def _after_transfer_demo(work: Path) -> None:
    """The shipped compendium config names 50 cell types; the tiny transfer demo writes 6."""
    path = work / "configs" / "pretrain_compendium.yaml"
    config = yaml.safe_load(path.read_text())
    config["profiles"] = [p for p in config["profiles"] if (path.parent / p["peaks"]).exists()]
    assert config["profiles"], "the tiny transfer demo wrote no compendium peaks"
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def _after_realdata_cv(work: Path) -> None:
    """--cv: each class's training sequences are split into disjoint held-out folds, each fold
    trained on the rest."""
    result = json.loads((work / "realdata_cv.json").read_text())
    scores = result["variants"]["defaults"]["auroc_per_seed_fold"]["0"]
    assert len(scores) == 2 and all(0.0 <= s <= 1.0 for s in scores)
    kmer = result["kmer_reference"]["auroc_per_seed_fold"]["0"]  # the k-mer baseline, same folds
    assert len(kmer) == 2 and all(s > 0.9 for s in kmer)  # real NFE2 peaks: k-mers see the motif
    assert result["variants"]["defaults"]["paired_diff_vs_kmer"]["pairs"] == 2
    folds = work / "realdata_cv" / "folds"

    def names(path: Path) -> set[str]:
        return {name for name, _ in read_fasta_records(path)}

    for cls in ("pos", "neg"):
        every = names(Path(result["data"]) / f"train.{cls}.fa")
        held = [names(folds / f"fold{k}.held.{cls}.fa") for k in range(2)]
        assert held[0] | held[1] == every and not held[0] & held[1]
        for k in range(2):
            assert names(folds / f"fold{k}.train.{cls}.fa") == every - held[k]


def _after_variants_scale(work: Path) -> None:
    """benchmarks/variants_scale.py --smoke: one process and the Dask engine on 1 and 2 workers,
    the same output, and the keys the docs report."""
    result = json.loads((work / "variants_scale.json").read_text())
    for key in ("single_process", "dask_1_worker", "dask_2_workers", "gnomad_80M_hours", "null", "targets"):
        assert key in result, key
    for workers, name in ((1, "dask_1_worker"), (2, "dask_2_workers")):
        run = result[name]
        assert run["per_s"] > 0 and run["ratio_to_single"] > 0 and run["outputs_match_1e-6"]
        assert len(run["peak_rss_mb_per_worker"]) == workers and min(run["peak_rss_mb_per_worker"]) > 0
    assert result["outputs_match_1e-6"] and result["null"]["seconds"] > 0
    assert sorted(result["gnomad_80M_hours"], key=int) == ["1", "10", "100"]


HOOKS = {  # run after (or before, for validate-variants) the shown command named
    "brainresnet demo --out runs/demo": ("after", _after_demo),
    "brainresnet demo-transfer --out runs/transfer_demo": ("after", _after_transfer_demo),
    "python benchmarks/realdata.py --cv 5 --seeds 0,1": ("after", _after_realdata_cv),
    "python benchmarks/variants_scale.py": ("after", _after_variants_scale),
}


def _wait_for(port: int, proc: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        assert proc.poll() is None, "the server stopped"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise AssertionError(f"nothing listens on {port}")


def standalone_benchmark(tiny: str) -> bool:
    """A benchmark command that needs nothing an earlier command wrote: it runs in its own chain
    (tests/test_readme_benchmarks.py), on the other test worker."""
    return tiny.startswith("python {root}/benchmarks/") and "runs/" not in tiny


def chain(standalone: bool) -> dict[str, str]:
    """The README / docs commands of one chain, in run order."""
    return {shown: tiny for shown, tiny in COMMANDS.items() if standalone_benchmark(tiny) == standalone}


@pytest.mark.subprocess
@pytest.mark.longest
def test_readme_commands_run_at_tiny_scale(tmp_path):
    run_commands(tmp_path, chain(standalone=False))


def run_commands(tmp_path: Path, commands: dict[str, str]) -> None:
    """Run ``commands`` (shown -> tiny) in order in a scratch copy of the repository's layout."""
    work = tmp_path / "repo"
    work.mkdir()
    shutil.copytree(ROOT / "configs", work / "configs")
    env = {**os.environ, "HOME": str(work / "home"), "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    (work / "home").mkdir()
    values = {
        "root": str(ROOT),
        "grpc": str(_free_port()),
        "rest": str(_free_port()),
        "dna": "ACGT" * 100,
        "tiny": TINY_TRAINING,
    }
    background = []
    seconds: dict[str, float] = {}  # printed slowest first (pytest -s, or -rA) to keep CI short
    try:
        for readme, command in commands.items():
            if readme.startswith("brainresnet validate-variants"):
                _before_validate(work)
            line = command
            for key, value in values.items():
                line = line.replace("{" + key + "}", value)
            if line.startswith("&"):
                proc = subprocess.Popen(
                    line[1:],
                    shell=True,
                    cwd=work,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    start_new_session=True,
                )
                background.append(proc)
                _wait_for(int(values["grpc"]), proc)
                _wait_for(int(values["rest"]), proc)
                continue
            t0 = time.time()
            done = subprocess.run(
                line, shell=True, cwd=work, env=env, capture_output=True, text=True, timeout=900
            )
            seconds[readme] = time.time() - t0
            assert done.returncode == 0, (
                f"README / docs command failed ({seconds[readme]:.0f} s): {readme}\nran: {line}\n"
                f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
            )
            when, hook = HOOKS.get(readme, (None, None))
            if when == "after":
                hook(work)
    finally:
        for proc in background:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=30)
        for readme, took in sorted(seconds.items(), key=lambda kv: -kv[1]):
            print(f"{took:7.1f} s  {readme[:100]}")
