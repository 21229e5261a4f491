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
