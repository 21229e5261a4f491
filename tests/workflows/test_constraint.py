"""``brainresnet constraint`` and ``variant-heatmap``: the docs' commands, the demo's check, errors."""

import gzip
import re
import shlex
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyBigWig
import pytest

from brainresnet_tf.cli import main as cli_main
from tests.toy_data import fake_variant_scores

PAGE = Path(__file__).resolve().parents[2] / "docs" / "variants.md"
SECTION = "## Constraint of top-scored variants"


def docs_commands() -> list[list[str]]:
    """The ``brainresnet`` commands of the docs' constraint section (continuations joined)."""
    text = PAGE.read_text()
    section = text[text.index(SECTION) :]
    end = section.find("\n## ", 1)
    section = section[:end] if end > 0 else section  # the page's last section runs to its end
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip().startswith("brainresnet "):
                commands.append(shlex.split(line, comments=True)[1:])
    return commands


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """runs/demo as the demo leaves it (tiny genome; scores made from the truth, no model)."""
    from brainresnet_tf.demo.synthetic import generate_synthetic_dataset
    from brainresnet_tf.demo.synthetic_variants import make_demo_variants

    root = tmp_path_factory.mktemp("constraint_cli")
    demo = root / "runs" / "demo"
    data = generate_synthetic_dataset(
        demo / "data", seed=5, n_chroms=2, chrom_length=200_000, elements_per_mb=700
    )
    vdir = demo / "variants"
    make_demo_variants(data, vdir / "demo.vcf", vdir / "observed.tsv", "iPSC_neuron", seed=5, n_neutral=400)
    fake_variant_scores(vdir / "observed.tsv", vdir / "scores.tsv")
    return root, data


def test_demo_constraint_check(demo_dir, capsys):
    from brainresnet_tf.workflows.demo import demo_constraint_check

    root, data = demo_dir
    summary = demo_constraint_check(root / "runs" / "demo", data, seed=0)
    printed = capsys.readouterr().out
    assert summary["targets_met"], printed
    assert "constraint targets (conservation top 100 > rest" in printed and ": met;" in printed
    vdir = root / "runs" / "demo" / "variants"
    for name in ("constraint.tsv", "constraint.json", "distribution.png", "maf_deciles.png"):
        assert (vdir / "constraint" / name).exists(), name
    assert summary["heatmap"]["n_loci"] > 10 and (vdir / "heatmap" / "heatmap.json").exists()
    loci = pd.read_csv(vdir / "element_loci.tsv", sep="\t")
    assert loci.columns.tolist() == ["variant_id", "element_id"]


def _user_files(root: Path, data) -> None:
    """The docs' 'your data' inputs: an Ensembl-named GERP track, a UCSC-named phyloP track,
    a gzipped gnomAD-style VCF with AF_nfe, a credible-set table."""
    vdir = root / "runs" / "demo" / "variants"
    shutil.copy(vdir / "scores.tsv", root / "scores.tsv")
    src = pyBigWig.open(str(data.conservation))
    out = pyBigWig.open(str(root / "gerp_conservation_scores.homo_sapiens.GRCh38.bw"), "w")
    out.addHeader([(c[3:], n) for c, n in src.chroms().items()])
    for c in src.chroms():
        iv = src.intervals(c)
        out.addEntries(
            [c[3:]] * len(iv), [a for a, _, _ in iv], ends=[b for _, b, _ in iv], values=[v for *_, v in iv]
        )
    out.close()
    src.close()
    shutil.copy(data.conservation, root / "hg38.phyloP100way.bw")
    vcf = (vdir / "demo.vcf").read_text().replace(";AF=", ";AF_nfe=")
    with gzip.open(root / "gnomad.genomes.sites.vcf.bgz", "wt") as fh:
        fh.write(vcf)
    scores = pd.read_csv(root / "scores.tsv", sep="\t")
    pd.DataFrame(
        {"variant_id": scores["ID"][:30], "credible_set": [f"cs{i // 6}" for i in range(30)]}
    ).to_csv(root / "credible_sets.tsv", sep="\t", index=False)


def test_readme_commands_run(demo_dir, monkeypatch, capsys):
    root, data = demo_dir
    if not (root / "runs" / "demo" / "variants" / "element_loci.tsv").exists():
        test_demo_constraint_check(demo_dir, capsys)
    _user_files(root, data)
    monkeypatch.chdir(root)
    commands = docs_commands()
    assert [c[0] for c in commands] == ["constraint", "variant-heatmap", "constraint", "variant-heatmap"]
    for args in commands:
        assert cli_main(args) == 0, args
    out = capsys.readouterr().out
    assert "GERP top 100 vs rest" in out and "phyloP top 100 vs rest" in out
    user = pd.read_csv(root / "constraint" / "constraint.tsv", sep="\t")
    n = len(pd.read_csv(root / "scores.tsv", sep="\t"))
    assert set(user["k"]) == {k for k in (100, 500, 1000) if k < n}  # k >= n is skipped
    demo = pd.read_csv(root / "runs" / "demo" / "constraint" / "annotated.tsv", sep="\t")
    again = pd.read_csv(root / "constraint" / "annotated.tsv", sep="\t")
    np.testing.assert_allclose(demo["GERP"], again["GERP"])  # 1 and chr1 names: the same values
    np.testing.assert_allclose(demo["MAF"], again["MAF"])
    assert (root / "heatmap" / "heatmap.svg").exists() and (root / "runs" / "demo" / "heatmap").is_dir()


def test_cli_bad_input_is_one_line(demo_dir, tmp_path, capsys):
    root, data = demo_dir
    vdir = root / "runs" / "demo" / "variants"
    lonely = pyBigWig.open(str(tmp_path / "chr1.bw"), "w")
    lonely.addHeader([("chr1", 200_000)])
    lonely.addEntries(["chr1"], [0], ends=[10], values=[1.0])
    lonely.close()
    args = ["constraint", "--scores", str(vdir / "scores.tsv"), "--out", str(tmp_path / "o")]
    assert cli_main(args + ["--track", str(tmp_path / "chr1.bw")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "chr1.bw: track has no chromosome 'chr2'" in err
    assert cli_main(args + ["--af-vcf", str(vdir / "demo.vcf"), "--af-key", "MAF"]) == 2
    assert "no record has INFO key 'MAF' (INFO keys found: CLASS, AF)" in capsys.readouterr().err
    assert cli_main(args + ["--af-table", str(vdir / "observed.tsv")]) == 2
    assert "--af-table needs --af-column" in capsys.readouterr().err
