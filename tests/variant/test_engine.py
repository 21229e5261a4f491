"""The Dask engine of ``score-variants`` (``--workers`` / ``--scheduler``): the same output as one
process (tabix regions and row ranges; .tsv, .tsv.gz, .parquet; skipped and swapped lists;
calibrated scores), a rerun that skips the shards done, a worker killed mid-run, and one-line
errors. One local cluster of two worker processes serves the module."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket

import numpy as np
import pandas as pd
import pytest

from brainresnet_tf.api.variants import score_variant_file
from brainresnet_tf.cli import main as cli_main
from brainresnet_tf.io.shards import plan_rows
from tests.toy_data import VCF_HEADER, other_base

pytestmark = pytest.mark.subprocess
SHARD = 40  # lines per shard: several shards of a few hundred variants


@pytest.fixture(scope="module")
def client():
    """A local cluster of two worker processes (one thread each) and its client."""
    distributed = pytest.importorskip("distributed")
    from brainresnet_tf.api.cluster import THREADS_ENV

    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # a free port: no clash with another cluster
        silence_logs=50,
        env={THREADS_ENV: "1", "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    with cluster, distributed.Client(cluster, set_as_default=False) as c:
        yield c


def _rows(seqs: dict[str, str], n: int, seed: int) -> list[tuple[str, int, str, str, str]]:
    """``n`` distinct SNVs per chromosome (chrom, pos, id, ref, alt), sorted, REF from ``seqs``."""
    rng = np.random.default_rng(seed)
    rows = []
    for chrom, seq in seqs.items():
        for pos in np.sort(rng.choice(np.arange(40, len(seq) - 40), n, replace=False)):
            ref = seq[pos - 1]
            rows.append((chrom, int(pos), f"{chrom}_{pos}", ref, other_base(ref)))
    return rows


@pytest.fixture(scope="module")
def inputs(genome_seqs, tmp_path_factory):
    """A sorted VCF (SNVs, a multi-allelic record, indels, a REF mismatch, an N allele, a repeat)
    bgzipped and tabix-indexed, and a plain unsorted TSV table (an allele given the other way
    round, and one repeated 150 lines later, in another shard)."""
    import pysam

    genome, seqs = genome_seqs
    root = tmp_path_factory.mktemp("engine_inputs")
    s1 = seqs["chr1"]
    lines = [f"{c}\t{p}\t{i}\t{r}\t{a}\t.\tPASS\t." for c, p, i, r, a in _rows(seqs, 150, 1)]
    extra = [
        f"chr1\t20\tmulti\t{s1[19]}\t{other_base(s1[19])},N\t.\tPASS\t.",
        f"chr1\t30\tdel\t{s1[29:32]}\t{s1[29]}\t.\tPASS\t.",
        f"chr1\t35\tins\t{s1[34]}\t{s1[34]}ACGT\t.\tPASS\t.",
        f"chr1\t36\tbad_ref\t{other_base(s1[35])}\tA\t.\tPASS\t.",
        f"chr1\t36\trepeat\t{s1[35]}\t{other_base(s1[35])}\t.\tPASS\t.",
        f"chr1\t36\trepeat2\t{s1[35]}\t{other_base(s1[35])}\t.\tPASS\t.",
    ]
    plain = root / "v.vcf"
    plain.write_text(VCF_HEADER + "".join(x + "\n" for x in extra + lines))
    vcf = root / "v.vcf.gz"
    pysam.tabix_compress(str(plain), str(vcf))
    pysam.tabix_index(str(vcf), preset="vcf")

    table_rows = _rows(seqs, 120, 2)
    rng = np.random.default_rng(3)
    table_rows = [table_rows[i] for i in rng.permutation(len(table_rows))]
    c, p, i, r, a = table_rows[5]
    table_rows.insert(150, (c, p, "far_repeat", r, a))
    c, p, i, r, a = table_rows[60]
    table_rows[60] = (c, p, "swapped", a, r)
    table = root / "table.tsv"
    table.write_text(
        "chrom\tpos\tid\tref\talt\n" + "".join("\t".join(map(str, x)) + "\n" for x in table_rows)
    )
    return genome, vcf, table


def _same_outputs(single, engine, orient: bool = False) -> None:
    """Table (text for TSV, values to 1e-6 for Parquet), skipped and swapped lists and summary counts."""
    from brainresnet_tf.variant.scoring import side_paths, swapped_path

    if single.suffix == ".parquet":
        a, b = pd.read_parquet(single), pd.read_parquet(engine)
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-6, atol=1e-6)
    else:
        opener = gzip.open if single.suffix == ".gz" else open
        with opener(single, "rt") as x, opener(engine, "rt") as y:
            a, b = x.read(), y.read()
        assert a.splitlines()[1:] and a == b
    (sk_a, sum_a), (sk_b, sum_b) = side_paths(single), side_paths(engine)
    assert sk_a.read_text() == sk_b.read_text()
    if orient:
        assert swapped_path(single).read_text() == swapped_path(engine).read_text()
    a, b = json.loads(sum_a.read_text()), json.loads(sum_b.read_text())
    assert b.pop("engine")["shards"] > 1
    for key in ("out", "skipped_list", "swapped_list"):
        a.pop(key, None), b.pop(key, None)
    assert a == b


@pytest.mark.parametrize("suffix", [".tsv", ".tsv.gz", ".parquet"])
def test_tabix_vcf_same_as_one_process(inputs, tiny_model, client, tmp_path, suffix):
    genome, vcf, _ = inputs
    model = tiny_model[2]
    one = score_variant_file(model, genome.path, vcf, tmp_path / f"one{suffix}", batch_size=16)
    many = score_variant_file(
        model, genome.path, vcf, tmp_path / f"many{suffix}", batch_size=16, scheduler=client, shard_size=SHARD
    )
    assert one == many and many.skipped["ref_mismatch"] == 1 and many.skipped["duplicate"] == 1
    assert many.scored_types["del"] == many.scored_types["ins"] == 1
    _same_outputs(tmp_path / f"one{suffix}", tmp_path / f"many{suffix}")
    assert not (tmp_path / f"many{suffix}.shards").exists()


def test_plain_table_row_ranges_same_as_one_process(inputs, tiny_model, client, tmp_path):
    """Row ranges of an unsorted table: the repeat of an allele scored by an earlier shard is
    dropped and listed at its line; ``--orient`` swaps and lists the same allele."""
    genome, _, table = inputs
    model = tiny_model[2]
    one = score_variant_file(model, genome.path, table, tmp_path / "one.tsv", orient=True)
    many = score_variant_file(
        model, genome.path, table, tmp_path / "many.tsv", orient=True, scheduler=client, shard_size=SHARD
    )
    assert one == many and many.skipped["duplicate"] == 1 and many.oriented == 1
    _same_outputs(tmp_path / "one.tsv", tmp_path / "many.tsv", orient=True)
    skipped = pd.read_csv(tmp_path / "many.skipped.tsv", sep="\t")
    assert skipped["ID"].tolist() == ["far_repeat"] and skipped["line"].tolist() == [152]


def test_plan_rows_cuts_at_line_ends(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_bytes(b"h\n" + b"".join(b"r%d\n" % i for i in range(7)) + b"last")
    shards = plan_rows(path, 1, 3)
    assert [(s.first_line, s.lines) for s in shards] == [(2, 3), (5, 3), (8, 2)]
    data = path.read_bytes()
    assert data[shards[1].start : shards[1].end] == b"r3\nr4\nr5\n" and shards[2].end == len(data)


def test_rerun_scores_only_the_shards_not_done(inputs, tiny_model, client, tmp_path):
    """A run interrupted after some shards (their done markers kept) is finished by a rerun that
    leaves those shards untouched; another input starts afresh."""
    genome, vcf, table = inputs
    model, out = tiny_model[2], tmp_path / "s.tsv"
    kw = {"scheduler": client, "shard_size": SHARD, "keep_shards": True}
    score_variant_file(model, genome.path, vcf, out, **kw)
    shards = out.with_name("s.tsv.shards")
    tables = sorted(shards.glob("[0-9]*[0-9].tsv"))
    assert len(tables) >= 4
    first = out.read_text()
    out.unlink()
    for lost in (1, 3):  # as if killed before these shards finished
        (shards / f"{lost:05d}.done.npz").unlink()
    kept = {p: p.stat().st_mtime_ns for p in tables if p.stem not in ("00001", "00003")}
    score_variant_file(model, genome.path, vcf, out, **kw)
    assert out.read_text() == first
    assert {p: p.stat().st_mtime_ns for p in kept} == kept
    engine = json.loads(out.with_name("s.summary.json").read_text())["engine"]
    assert engine["reused"] == len(tables) - 2

    score_variant_file(model, genome.path, table, out, **kw)  # another input: nothing reused
    engine = json.loads(out.with_name("s.summary.json").read_text())["engine"]
    assert engine["reused"] == 0 and engine["split"] == "rows"
    score_variant_file(model, genome.path, table, tmp_path / "one.tsv")
    assert out.read_text() == (tmp_path / "one.tsv").read_text()


def test_worker_killed_mid_run(inputs, tiny_model, client, tmp_path):
    """A worker process killed as it starts its third shard: the scheduler runs that shard again,
    the output is complete and has no repeated row."""
    from distributed.diagnostics.plugin import WorkerPlugin

    genome, vcf, _ = inputs
    marker = tmp_path / "killed"

    class KillOnce(WorkerPlugin):
        name = "kill-once"

        def transition(self, key, start, finish, **kwargs):
            if finish == "executing" and "score-shard-00002" in str(key) and not marker.exists():
                marker.write_text(str(os.getpid()))
                os.kill(os.getpid(), signal.SIGKILL)

    before = set(client.scheduler_info()["workers"])
    client.register_plugin(KillOnce())
    try:
        out = tmp_path / "k.tsv"
        score_variant_file(tiny_model[2], genome.path, vcf, out, scheduler=client, shard_size=SHARD)
    finally:
        client.unregister_worker_plugin("kill-once")
    assert marker.exists()
    client.wait_for_workers(2, timeout=120)
    assert set(client.scheduler_info()["workers"]) != before  # the nanny started a new worker
    score_variant_file(tiny_model[2], genome.path, vcf, tmp_path / "one.tsv")
    table = pd.read_csv(out, sep="\t")
    assert not table.duplicated(["CHROM", "POS", "REF", "ALT"]).any()
    assert out.read_text() == (tmp_path / "one.tsv").read_text()


def test_null_on_the_engine(inputs, tiny_model, client, tmp_path):
    """``--null``: the null is scored once, by a worker, cached, and the quantiles equal one process's."""
    genome, vcf, _ = inputs
    model = tiny_model[2]
    null = {"null": 200, "null_peaks": [], "null_cache": tmp_path / "cache"}
    lines: list[str] = []
    many = tmp_path / "many.tsv"
    score_variant_file(
        model, genome.path, vcf, many, scheduler=client, shard_size=SHARD, log=lines.append, **null
    )
    assert any("null: scoring 200 background SNVs" in x for x in lines)
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    score_variant_file(model, genome.path, vcf, tmp_path / "one.tsv", **null)
    a, b = pd.read_csv(tmp_path / "one.tsv", sep="\t"), pd.read_csv(many, sep="\t")
    assert "p_a_quantile" in b and b["max_quantile"].between(0, 1).all()
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-6, atol=1e-6)


def test_cli_joins_a_scheduler_by_address(inputs, tiny_model, client, tmp_path, capsys):
    genome, vcf, _ = inputs
    base = ["score-variants", "--model", str(tiny_model[2]), "--genome", str(genome.path), "--vcf", str(vcf)]
    address = client.scheduler.address
    args = base + ["--scheduler", address, "--shard-size", str(SHARD), "--no-progress"]
    assert cli_main(args + ["--out", str(tmp_path / "many.tsv")]) == 0
    captured = capsys.readouterr()
    assert "engine: 8 shard(s) (regions" in captured.err and "scored" in captured.out
    assert cli_main(base + ["--out", str(tmp_path / "one.tsv"), "--no-progress"]) == 0
    _same_outputs(tmp_path / "one.tsv", tmp_path / "many.tsv")


def test_cli_worker_error_is_one_line_and_done_shards_stay(inputs, tiny_model, client, tmp_path, capsys):
    """``--strict``: a worker's error (a record not left-normalised) ends the run in the line one
    process prints; no output is written and the shards done stay for a rerun."""
    genome, vcf, _ = inputs
    out = tmp_path / "s.tsv"
    args = ["score-variants", "--model", str(tiny_model[2]), "--genome", str(genome.path), "--vcf", str(vcf)]
    args += ["--strict", "--out", str(out), "--no-progress"]
    assert cli_main(args) == 2
    one = capsys.readouterr().err.strip().splitlines()
    assert len(one) == 1 and "v.vcf.gz:4: " in one[0] and "left-normalised" in one[0]
    assert cli_main(args + ["--scheduler", client.scheduler.address, "--shard-size", str(SHARD)]) == 2
    errors = [x for x in capsys.readouterr().err.splitlines() if "error" in x]
    assert errors == one
    assert not out.exists() and (tmp_path / "s.tsv.shards" / "manifest.json").is_file()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "case", ["no_scheduler", "gzip", "unindexed", "workers_0", "both", "shard_size_alone", "pairs"]
)
def test_bad_input_one_line(case, inputs, tiny_model, tmp_path, capsys, monkeypatch):
    from brainresnet_tf.api import cluster

    genome, vcf, _ = inputs
    plain = vcf.with_suffix("")  # v.vcf
    base = ["score-variants", "--model", str(tiny_model[2]), "--genome", str(genome.path)]
    base += ["--out", str(tmp_path / "s.tsv"), "--no-progress"]
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2)
    gz = tmp_path / "g.vcf.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    unindexed = tmp_path / "u.vcf.gz"
    unindexed.write_bytes(vcf.read_bytes())
    args, expected = {
        "no_scheduler": (
            ["--vcf", str(vcf), "--scheduler", f"tcp://127.0.0.1:{_free_port()}"],
            "no Dask scheduler",
        ),
        "gzip": (
            ["--vcf", str(gz), "--workers", "2"],
            "gunzip -c g.vcf.gz > g.vcf && bgzip g.vcf && tabix -p vcf",
        ),
        "unindexed": (["--vcf", str(unindexed), "--workers", "2"], "index it with tabix -p vcf u.vcf.gz"),
        "workers_0": (["--vcf", str(vcf), "--workers", "0"], "--workers 0: must be at least 1"),
        "both": (["--vcf", str(vcf), "--workers", "2", "--scheduler", "tcp://x:1"], "give one"),
        "shard_size_alone": (["--vcf", str(vcf), "--shard-size", "10"], "--shard-size goes with --workers"),
        "pairs": (["--pairs", str(vcf), "--workers", "2"], "drop --workers"),
    }[case]
    if case == "pairs":
        base = [a for a in base if a not in ("--genome", str(genome.path))]
    assert cli_main(base + args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0], err
    assert not list(tmp_path.glob("s.tsv*"))
