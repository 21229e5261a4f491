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


def _cli(*args, timeout=180):
    return subprocess.run(
        [sys.executable, "-m", "brainresnet_tf.cli", "predict", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.subprocess
def test_genome_wide_cli_writes_tracks_with_plain_progress_lines(tiny_model, genome_seqs, tmp_path):
    import json

    import pyBigWig

    _, _, model_path = tiny_model
    out = tmp_path / "tracks"
    done = _cli(
        "--model",
        model_path,
        "--genome",
        genome_seqs[0].path,
        "--genome-wide",
        "--chroms",
        "chr2,chr1",
        "--out",
        out,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "[predict] chr1: 15 windows" in done.stdout and "[predict] chr2: 6 windows" in done.stdout
    assert "\r" not in done.stdout + done.stderr  # not a terminal: plain lines, no bar
    for profile in ("p_a", "p_b"):
        bw = pyBigWig.open(str(out / f"{profile}.bw"))
        assert bw.chroms() == {"chr1": 3000, "chr2": 1200} and len(bw.intervals("chr1")) == 15
    summary = json.loads((out / "summary.json").read_text())
    assert summary["windows_this_run"] == 21 and summary["bin_size"] == 200


@pytest.mark.subprocess
def test_predict_argument_errors_are_one_line(tiny_model, tmp_path):
    _, _, model_path = tiny_model
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t10\t20\n")
    for args, message in [
        (
            ("--genome-wide", "--regions", bed, "--out", tmp_path / "o"),
            "--regions and --genome-wide: give one",
        ),
        (("--out", tmp_path / "o.tsv"), "predict needs --regions BED"),
        (("--regions", bed, "--out", bed), "is also the input --regions"),
        (("--regions", bed, "--out", tmp_path / "o.tsv", "--batch-size", "0"), "0 must be at least 1"),
        (("--genome-wide", "--out", bed), "is a file; expected a folder"),
    ]:
        done = _cli("--model", model_path, *args, timeout=60)
        assert done.returncode == 2 and message in done.stderr, done.stderr[-500:]
    assert bed.read_text() == "chr1\t10\t20\n"
