"""``brainresnet predict`` in a child process: a bad region is a one-line error."""

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.subprocess
def test_predict_cli_bad_region_is_clear(trained, tmp_path):
    config, _ = trained
    regions = tmp_path / "bad.bed"
    regions.write_text("chr1\t10\t20\nchrUn_x\t5\t9\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "brainresnet_tf.cli",
            "predict",
            "--model",
            str(Path(config.out_dir) / "model.keras"),
            "--genome",
            str(config.genome.fasta),
            "--regions",
            str(regions),
            "--out",
            str(tmp_path / "p.tsv"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "bad.bed:2: chromosome 'chrUn_x' is not in genome g.fa" in done.stderr
