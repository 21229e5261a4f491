"""The cached window table: reused only while everything that made it is unchanged, rebuilt (and
said so) when a setting or an input file changes; empty splits fail before any model exists."""

import os

import numpy as np
import pytest
import yaml

from brainresnet_tf.data.windows import WindowTable
from brainresnet_tf.errors import InputError
from brainresnet_tf.train.config import load_config
from brainresnet_tf.train.preparation import open_genome, prepare_windows
from tests.toy_data import make_partial_genome_run, make_tiny_run


def _prepare(config, out, lines=None):
    lines = [] if lines is None else lines
    table = prepare_windows(config, open_genome(config), out, progress=False, log=lines.append)
    return table, lines


def test_cached_table_follows_its_inputs(tmp_path):
    cfg = make_tiny_run(tmp_path)
    out = tmp_path / "run"
    config = load_config(cfg)
    first, lines = _prepare(config, out)
    assert not any("out of date" in line for line in lines)
    again, lines = _prepare(config, out)
    assert not any("rebuilding" in line for line in lines)  # reused
    np.testing.assert_array_equal(again.split_code, first.split_code)

    # another test chromosome: before the fix, the old table (chr3 as test) was reused silently
    moved = load_config(cfg, {"windows.test_chroms": ["chr1"], "windows.valid_chroms": ["chr3"]})
    table, lines = _prepare(moved, out)
    assert any("out of date (windows.valid_chroms ['chr2'] -> ['chr3']" in line for line in lines)
    assert set(table.chrom[table.split == "test"]) == {"chr1"}

    for key, value in (("windows.negative_ratio", 2.0), ("windows.seed", 5), ("windows.bin_size", 100)):
        _, lines = _prepare(load_config(cfg, {key: value}), out)
        assert any(f"{key} " in line and "rebuilding" in line for line in lines), key

    # the same peak file name with new content (and a new modification time)
    _prepare(config, out)
    bed = tmp_path / "b.bed"
    bed.write_text("chr1\t1000\t1200\nchr2\t1000\t1200\nchr3\t1000\t1200\n")
    stat = bed.stat()
    os.utime(bed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    table, lines = _prepare(config, out)
    assert any("profile b's peaks file changed" in line for line in lines)
    assert table.summary()["b"].sum() == 3


def test_table_without_fingerprint_is_rebuilt(tmp_path):
    config = load_config(make_tiny_run(tmp_path))
    out = tmp_path / "run"
    table, _ = _prepare(config, out)
    table.meta.pop("fingerprint")
    table.save(out / "windows.npz")  # as an earlier version wrote it
    _, lines = _prepare(config, out)
    assert any("no fingerprint" in line for line in lines)
    assert "fingerprint" in WindowTable.load(out / "windows.npz").meta


def test_empty_validation_split_fails_before_a_model_is_built(tmp_path):
    config = load_config(make_tiny_run(tmp_path), {"windows.valid_chroms": []})
    with pytest.raises(InputError, match=r"no validation split: set windows.valid_chroms .*valid_fraction"):
        _prepare(config, tmp_path / "run")
    assert not (tmp_path / "run" / "windows.npz").exists()


def test_region_file_relative_to_the_config(tmp_path, monkeypatch):
    cfg = make_tiny_run(tmp_path)
    data = yaml.safe_load(cfg.read_text())
    data["windows"] = {"context": 200, "valid_regions": ["held/valid.bed"], "test_regions": ["chr3:1-150000"]}
    (tmp_path / "held").mkdir()
    (tmp_path / "held" / "valid.bed").write_text("chr2\t0\t100100\n")  # the bin at 100,000 straddles
    cfg.write_text(yaml.safe_dump(data))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the BED is found beside the config, not in the working folder
    table, lines = _prepare(load_config(cfg), tmp_path / "run")
    valid = table.split == "valid"
    assert set(table.chrom[valid]) == {"chr2"} and (table.start[valid] < 100_000).all()
    assert any("dropped 1 bins at split boundaries" in line for line in lines)


NOTE_A = (
    "windows: a a.bed: skipped 6 of 15 peaks on 3 chromosomes not in the genome (chr2 3, chrEBV 2, chrUn_x 1)"
)


def test_partial_genome_note_on_build_and_reuse_and_strict_never_reuses(tmp_path):
    config = load_config(make_partial_genome_run(tmp_path))
    out = tmp_path / "run"
    table, lines = _prepare(config, out)
    assert [line for line in lines if "not in the genome" in line] == [NOTE_A]  # b skipped nothing
    assert set(table.chrom) == {"chr1"} and table.summary()["a"].sum() == 9
    again, lines = _prepare(config, out)
    assert not any("rebuilding" in line for line in lines)  # reused, and the note said again
    assert [line for line in lines if "not in the genome" in line] == [NOTE_A]
    np.testing.assert_array_equal(again.labels, table.labels)
    # --strict does not take the table built by skipping: it rebuilds and stops at the first one
    lines = []
    with pytest.raises(InputError, match=r"a.bed:4: chromosome 'chr2' is not in genome chr1.fa"):
        prepare_windows(config, open_genome(config), out, progress=False, log=lines.append, strict=True)
    assert any("built skipping peaks" in line and "--strict: rebuilding it" in line for line in lines)
    # a strict run on peaks all on the genome reuses its table as before
    only_b = load_config(
        make_partial_genome_run(tmp_path), {"profiles": [dict(name="b", peaks=str(tmp_path / "b.bed"))]}
    )
    _prepare(only_b, tmp_path / "b")
    lines = []
    prepare_windows(
        only_b, open_genome(only_b), tmp_path / "b", progress=False, log=lines.append, strict=True
    )
    assert not any("rebuilding" in line or "not in the genome" in line for line in lines)
