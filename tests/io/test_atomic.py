"""Atomic output: nothing half-written under the real name, no litter, unique temporary names."""

import ast
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from brainresnet_tf.io.atomic import (
    TMP_MARK,
    atomic_dir,
    atomic_open,
    atomic_path,
    temporary_name,
    write_json,
    write_text,
)

PACKAGE = Path(__file__).resolve().parents[2] / "brainresnet_tf"


def test_write_replaces_only_on_success_and_leaves_no_litter(tmp_path):
    out = tmp_path / "sub" / "result.txt"
    write_text(out, "first")
    with pytest.raises(RuntimeError), atomic_open(out) as fh:
        fh.write("half of the second")
        raise RuntimeError("killed mid-way")
    assert out.read_text() == "first"
    assert [p.name for p in out.parent.iterdir()] == ["result.txt"]


def test_temporary_names_are_unique_hidden_and_keep_the_suffix(tmp_path):
    names = {temporary_name(tmp_path / "model.keras") for _ in range(100)}
    assert len(names) == 100
    assert all(n.name.startswith(".") and n.suffix == ".keras" and TMP_MARK in n.name for n in names)


def test_atomic_dir_publishes_whole_folders_and_replace_swaps(tmp_path):
    final = tmp_path / "1"
    with atomic_dir(final) as tmp:
        (tmp / "a").write_text("x")
        assert not final.exists()
    assert (final / "a").read_text() == "x"
    with pytest.raises(OSError), atomic_dir(final) as tmp:  # an existing folder is not overwritten
        (tmp / "b").write_text("y")
    with atomic_dir(final, replace=True) as tmp:
        (tmp / "b").write_text("y")
    assert sorted(p.name for p in final.iterdir()) == ["b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1"]


def test_json_is_strict_nan_becomes_null(tmp_path):
    path = write_json(
        tmp_path / "m.json",
        {"auroc": float("nan"), "n": np.int64(3), "x": [np.float32(0.5), math.inf], "p": tmp_path},
    )
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"auroc": None, "n": 3, "x": [0.5, None], "p": str(tmp_path)}


def test_atomic_path_keeps_failures_from_replacing(tmp_path):
    out = tmp_path / "t.tsv"
    with pytest.raises(ValueError), atomic_path(out) as tmp:
        tmp.write_text("partial")
        raise ValueError
    assert not out.exists() and list(tmp_path.iterdir()) == []


def _calls(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            if isinstance(base, ast.Name):
                names.add(f"{base.id}.{node.func.attr}")
    return names


def test_only_io_renames_files_into_place():
    """Temp-then-rename lives in io/atomic.py (and the streamed TableWriter); nowhere else."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("io/"):
            continue
        text = path.read_text()
        calls = _calls(ast.parse(text))
        bad = calls & {"os.replace", "os.rename", "shutil.move"}
        if bad or re.search(r"""["'][^"']*\.tmp\b""", text):
            offenders.append(f"{rel}: {sorted(bad) or 'a .tmp name'}")
    assert offenders == []
