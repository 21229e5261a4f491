"""benchmarks/dsqtl.py's pieces: the chr20 region splits, the CV folds, the centre-only view and
the issue's targets (the whole script runs at smoke scale in the README walk-through)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

_spec = importlib.util.spec_from_file_location(
    "dsqtl_benchmark", Path(__file__).resolve().parents[1] / "benchmarks" / "dsqtl.py"
)
dsqtl = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dsqtl)


@pytest.mark.parametrize(
    "start, split",
    [(1, "train"), (40_000_000, "train"), (40_000_001, "valid"), (48_000_000, "valid"), (48_000_001, "test")],
)
def test_region_splits_are_the_issue_s(start, split):
    assert dsqtl.region_split(start) == split


def test_centre_only_keeps_the_middle_bases():
    codes = np.zeros((2, 10), np.uint8)
    out = dsqtl.centre_only(codes, 4)
    assert (out[:, 3:7] == 0).all() and (out[:, :3] == 4).all() and (out[:, 7:] == 4).all()
    assert (codes == 0).all()  # a copy


def test_folds_cover_train_and_valid_once(tmp_path):
    files = {}
    for split, n in (("train", 7), ("valid", 3)):
        pair = []
        for cls in ("pos", "neg"):
            path = tmp_path / f"{split}.{cls}.fa"
            path.write_text("".join(f">{split}{cls}{i}\nACGTACGT\n" for i in range(n)))
            pair.append(path)
        files[split] = tuple(pair)
    folds = dsqtl.write_folds(files, tmp_path / "folds", 3)
    from brainresnet_tf.io.sequences import read_fasta_records

    for c, cls in enumerate(("pos", "neg")):
        every = {f"{s}{cls}{i}" for s, n in (("train", 7), ("valid", 3)) for i in range(n)}
        held = [{n for n, _ in read_fasta_records(f["test"][c])} for f in folds]
        assert set().union(*held) == every and sum(map(len, held)) == len(every)
        for fold, h in zip(folds, held):
            assert {n for n, _ in read_fasta_records(fold["train"][c])} == every - h


def test_targets_read_the_means():
    def result(sign_all, rho_all, sign_strong, shuffled):
        return {
            "variants": {
                "all": {
                    "mean_over_seeds": {"resnet": {"all_sign_agreement": sign_all, "all_spearman": rho_all}}
                },
                "strong": {"mean_over_seeds": {"resnet": {"all_sign_agreement": sign_strong}}},
            },
            "windows": {"resnet": {"shuffled_positives": {"auroc_mean": shuffled}}},
        }

    good = dsqtl.targets(result(0.60, 0.19, 0.76, 0.81))
    assert all(good.values()) and len(good) == 4
    bad = dsqtl.targets(result(0.58, 0.18, 0.74, 0.79))
    assert not any(bad.values())


def test_all_chr20_pools_every_split_per_class(tmp_path):
    files = {}
    for split in ("train", "valid", "test"):
        pair = []
        for cls in ("pos", "neg"):
            path = tmp_path / f"{split}.{cls}.fa"
            path.write_text(f">{split}_{cls}\nACGT\n")
            pair.append(path)
        files[split] = tuple(pair)
    pooled = dsqtl.all_chr20(files, tmp_path)
    assert list(pooled) == ["train"]
    pos, neg = (p.read_text() for p in pooled["train"])
    assert pos.count(">") == 3 and all(f">{s}_pos" in pos for s in ("train", "valid", "test"))
    assert neg.count(">") == 3 and "_pos" not in neg
