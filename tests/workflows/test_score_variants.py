"""``brainresnet score-variants``: scores written; --strict turns a REF mismatch into an error."""

import pandas as pd

from brainresnet_tf.cli import main as cli_main
from tests.toy_data import other_base, some_variants, write_vcf


def test_cli_score_variants(genome_seqs, tmp_path, tiny_model, capsys):
    genome, seqs = genome_seqs
    _, _, model_path = tiny_model
    rows = some_variants(seqs, 5) + [f"chr1\t100\tbad\t{other_base(seqs['chr1'][99])}\tA"]
    vcf = write_vcf(tmp_path / "cli.vcf", rows)
    out = tmp_path / "cli.tsv"
    args = [
        "score-variants",
        "--model",
        str(model_path),
        "--genome",
        str(genome.path),
        "--vcf",
        str(vcf),
        "--out",
        str(out),
        "--batch-size",
        "2",
        "--no-progress",
    ]
    assert cli_main(args) == 0
    assert len(pd.read_csv(out, sep="\t")) == 5
    assert cli_main(args + ["--strict"]) == 2
    assert "cli.vcf:8: REF" in capsys.readouterr().err


def test_cli_scores_tables_and_indels(genome_seqs, tmp_path, tiny_model, capsys):
    """A BED-like table with an SNV, a deletion and a long insertion: --format bed, --max-indel."""
    genome, seqs = genome_seqs
    _, _, model_path = tiny_model
    s = seqs["chr1"]
    bed = tmp_path / "variants.txt"
    bed.write_text(
        f"chr1\t99\t100\t{s[99]}\t{other_base(s[99])}\tsnv\n"
        f"chr1\t200\t203\t{s[200:203]}\t-\tdel3\n"
        f"chr1\t300\t300\t-\t{'ACGT' * 8}\tins32\n"
    )
    out = tmp_path / "t.tsv"
    base = ["score-variants", "--model", str(model_path), "--genome", str(genome.path), "--no-progress"]
    args = base + ["--variants", str(bed), "--format", "bed", "--out", str(out)]
    assert cli_main(args) == 0
    table = pd.read_csv(out, sep="\t")
    assert table["ID"].tolist() == ["snv", "del3", "ins32"]
    assert table["TYPE"].tolist() == ["snv", "del", "ins"]
    assert cli_main(args + ["--max-indel", "10"]) == 0
    assert pd.read_csv(out, sep="\t")["ID"].tolist() == ["snv", "del3"]
    assert "too_long 1" in capsys.readouterr().out
    assert cli_main(base + ["--variants", str(bed), "--format", "tsv", "--out", str(out)]) == 2
    assert "variants.txt:1: no header line" in capsys.readouterr().err
