"""Genome-wide tracks on the Dask engine (``predict --genome-wide --workers`` / ``--scheduler``):
whole chromosomes as tasks, the same bigWigs as one process, finished chromosomes never redone,
one-line errors."""

import numpy as np
import pyBigWig
import pytest

from brainresnet_tf.cli import main as cli_main
from brainresnet_tf.inference.genome_wide import PARTIAL, predict_genome_wide
from tests.inference.test_genome_wide import setup  # noqa: F401  (the saved tiny model, bins of 100)
from tests.variant.test_engine import client  # noqa: F401  (a local cluster of 2 workers per module)

pytestmark = pytest.mark.subprocess


def _same_tracks(a, b) -> None:
    for profile in a.bigwigs:
        x, y = pyBigWig.open(str(a.bigwigs[profile])), pyBigWig.open(str(b.bigwigs[profile]))
        assert x.chroms() == y.chroms()
        for chrom in x.chroms():
            got, want = np.array(y.intervals(chrom)), np.array(x.intervals(chrom))
            assert got.shape == want.shape and np.allclose(got, want, rtol=0, atol=1e-6)
        x.close(), y.close()


def test_tracks_same_as_one_process(setup, client, tmp_path):  # noqa: F811
    from brainresnet_tf.inference.genome_wide_engine import predict_genome_wide_on_cluster

    model, meta, genome, path = setup
    one = predict_genome_wide(model, meta, genome, tmp_path / "one", model_path=path, progress=False)
    lines = []
    many = predict_genome_wide_on_cluster(client, path, meta, genome, tmp_path / "many", log=lines.append)
    assert many.chroms == one.chroms == ["chr1", "chr2"] and many.windows == one.windows == 42
    assert sorted(line.split(":")[0] for line in lines) == ["chr1", "chr2"]
    assert not (tmp_path / "many" / PARTIAL).exists()
    _same_tracks(one, many)


def test_finished_chromosomes_are_not_redone(setup, client, tmp_path):  # noqa: F811
    """A single process killed after chr1: the engine predicts chr2 only and joins both."""
    from brainresnet_tf.inference.genome_wide_engine import predict_genome_wide_on_cluster

    model, meta, genome, path = setup
    out = tmp_path / "tracks"

    def die_after_chr1(line):
        if line.startswith("chr1:"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        predict_genome_wide(model, meta, genome, out, model_path=path, progress=False, log=die_after_chr1)
    assert (out / PARTIAL / "chr1.npy").exists()
    lines = []
    many = predict_genome_wide_on_cluster(client, path, meta, genome, out, log=lines.append)
    assert many.resumed == ["chr1"] and many.windows == 12 and [x.split(":")[0] for x in lines] == ["chr2"]
    fresh = predict_genome_wide(model, meta, genome, tmp_path / "fresh", model_path=path, progress=False)
    _same_tracks(fresh, many)


def test_cli_genome_wide_on_a_scheduler(setup, client, tmp_path, capsys):  # noqa: F811
    _, _, genome, path = setup
    base = ["predict", "--model", str(path), "--genome", str(genome.path), "--genome-wide", "--no-progress"]
    address = client.scheduler.address
    assert cli_main(base + ["--chroms", "chr2", "--scheduler", address, "--out", str(tmp_path / "t")]) == 0
    assert "chr2: 12 windows" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "t").glob("*.bw")) == ["p_a.bw", "p_b.bw"]


@pytest.mark.parametrize(
    "flags, expected",
    [
        (["--genome-wide", "--workers", "0"], "--workers 0: must be at least 1"),
        (["--regions", "x.bed", "--workers", "2"], "--workers/--scheduler go with --genome-wide"),
    ],
)
def test_cli_bad_engine_flags_one_line(setup, tmp_path, capsys, flags, expected):  # noqa: F811
    _, _, genome, path = setup
    args = ["predict", "--model", str(path), "--genome", str(genome.path), "--out", str(tmp_path / "t")]
    assert cli_main(args + flags) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0]
