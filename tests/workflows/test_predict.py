"""``brainresnet predict`` in a child process: a bad region is a one-line error; regions on
chromosomes the genome lacks are skipped and counted (``--strict``: the error)."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
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
            "--strict",  # without it, the region on chrUn_x is skipped and counted
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


def test_predict_skips_regions_off_a_partial_genome_and_says_how_many(
    tiny_model, genome_seqs, tmp_path, capsys
):
    from brainresnet_tf.cli import main
    from tests.toy_data import write_partial_genome_regions

    _, _, model_path = tiny_model
    on = [("chr1", s, s + 100) for s in (100, 400, 900, 1500, 2500)]
    fasta, mixed, off = write_partial_genome_regions(tmp_path / "partial", genome_seqs[1]["chr1"], on)
    out = tmp_path / "p.tsv"
    common = ["predict", "--model", str(model_path), "--genome", str(fasta), "--out", str(out)]
    assert main([*common, "--regions", str(mixed), "--no-progress"]) == 0
    table = pd.read_csv(out, sep="\t")
    # one row per region on the genome, in order, with the region's own coordinates
    assert table[["chrom", "start", "end"]].values.tolist() == [list(r) for r in on]
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[predict]")]
    assert lines[-2:] == [
        "[predict] mixed.bed: skipped 6 of 11 peaks on 3 chromosomes not in the genome "
        "(chr2 3, chrEBV 2, chrUn_x 1)",
        f"[predict] 5 of 11 regions x 2 profiles -> {out} (6 skipped: on chromosomes not in the genome)",
    ]
    out.unlink()

    # --strict: today's error at the first region off the genome, and no output
    assert main([*common, "--regions", str(mixed), "--strict"]) == 2
    captured = capsys.readouterr()
    assert [line for line in captured.err.splitlines() if line.startswith("brainresnet:")] == [
        f"brainresnet: error: {mixed}:4: chromosome 'chr2' is not in genome chr1.fa (closest: chr1)"
    ]
    assert "not in the genome" not in captured.out and not out.exists()
    # no region on the genome: one line naming the file, and no output
    assert main([*common, "--regions", str(off)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("brainresnet:")]
    assert len(errors) == 1 and not out.exists()
    assert errors[0].startswith(f"brainresnet: error: {off}: none of its 6 peaks lies on genome chr1.fa")


def test_predict_regions_on_the_genome_print_no_note(tiny_model, genome_seqs, tmp_path, capsys):
    from brainresnet_tf.cli import main

    _, _, model_path = tiny_model
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t100\t200\nchr2\t300\t400\n")
    out = tmp_path / "p.tsv"
    args = [
        "predict",
        "--model",
        str(model_path),
        "--genome",
        str(genome_seqs[0].path),
        "--regions",
        str(bed),
    ]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "skipped" not in printed and f"[predict] 2 regions x 2 profiles -> {out}" in printed
