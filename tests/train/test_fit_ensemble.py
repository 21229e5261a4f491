"""Data-size-aware training defaults and ensembles (the small-data recipe of issue 14)."""

from pathlib import Path

import numpy as np
import pytest

from brainresnet_tf.models.ensemble import members
from brainresnet_tf.models.saving import load_model
from brainresnet_tf.train.config import TrainingSpec, load_config
from brainresnet_tf.train.fit import resolve_training, train_model
from brainresnet_tf.train.preparation import open_genome, prepare_windows
from tests.toy_data import shifted_window


def test_small_data_defaults_and_explicit_values_win():
    small, note = resolve_training(TrainingSpec(), 1_288)
    assert (small.epochs, small.patience, small.min_epochs, small.ensemble) == (60, 12, 10, 3)
    assert (small.test_time_shift, small.mutate, small.flank_mask) == (10, 0.05, 0.5)
    assert "small-data defaults" in note
    large, _ = resolve_training(TrainingSpec(), 50_000)
    assert (large.epochs, large.patience, large.min_epochs, large.ensemble) == (20, 4, 5, 1)
    assert (large.test_time_shift, large.mutate, large.flank_mask) == (0, 0.0, 0.0)
    mine, _ = resolve_training(TrainingSpec(epochs=7, ensemble=2), 100)
    assert (mine.epochs, mine.ensemble, mine.patience) == (7, 2, 12)


def test_shuffled_negatives_join_peak_data_of_every_size():
    assert resolve_training(TrainingSpec(), 1_288)[0].shuffled_negatives == 1.0
    assert "shuffled negatives 1 per positive" in resolve_training(TrainingSpec(), 1_288)[1]
    assert resolve_training(TrainingSpec(), 50_000)[0].shuffled_negatives == 1.0
    assert resolve_training(TrainingSpec(), 50_000, target="signal")[0].shuffled_negatives == 0.0
    assert resolve_training(TrainingSpec(), 1_288, target="signal")[0].shuffled_negatives == 0.0
    assert resolve_training(TrainingSpec(shuffled_negatives=0.0), 50_000)[0].shuffled_negatives == 0.0


def test_ensemble_members_are_trained_resumable_and_averaged(tiny_run):
    config = load_config(
        tiny_run,
        {
            "training.epochs": 1,
            "training.ensemble": 2,
            "training.min_epochs": 1,
            "training.test_time_shift": 0,
        },
    )
    genome = open_genome(config)
    out = Path(config.out_dir)
    table = prepare_windows(config, genome, out, progress=False)
    logged = []
    result = train_model(config, genome, table, out, log=logged.append)
    assert any("ensemble member 2 of 2 (seed 1)" in line for line in logged)
    model, meta = load_model(out / "model.keras")
    assert meta.extra["ensemble"] == 2 and len(members(model)) == 2
    for i in range(2):
        assert (out / "members" / f"member{i}" / "model.keras").exists()
    x = np.eye(4, dtype=np.float32)[np.random.default_rng(0).integers(0, 4, (3, table.context))]
    each = [m.predict(x, verbose=0) for m in members(model)]
    np.testing.assert_allclose(model.predict(x, verbose=0), np.mean(each, axis=0), atol=1e-6)
    assert not np.allclose(each[0], each[1])  # different seeds, different members
    assert set(result.history["member"]) == {0, 1}
    # a rerun with --resume reuses both finished members
    again = train_model(config, genome, table, out, resume=True)
    np.testing.assert_allclose(again.model.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_jitter_moves_windows_within_the_bound(genome, tmp_path):
    from brainresnet_tf.data.pipeline import WindowSource
    from brainresnet_tf.data.windows import WindowTable

    table = WindowTable(
        ["p"],
        np.array(["chr1"] * 50),
        np.arange(1000, 1500, 10),
        np.zeros((50, 1), np.float32),
        np.array(["train"] * 50),
        10,
        40,
    )
    source = WindowSource(genome, table)
    plain = np.concatenate([c for c, _ in source.batches(16, shuffle=False, rc_augment=False, seed=0)])
    moved = np.concatenate(
        [c for c, _ in source.batches(16, shuffle=False, rc_augment=False, seed=0, jitter=5)]
    )
    codes = genome.codes[genome.offset("chr1") :]
    assert (moved != plain).any(axis=1).mean() > 0.5
    for row, start in zip(moved, table.window_start):
        found = [s for s in range(start - 5, start + 6) if (codes[s : s + 40] == row).all()]
        assert found, "every jittered window is the genome shifted by at most 5 bp"
    again = np.concatenate(
        [c for c, _ in source.batches(16, shuffle=False, rc_augment=False, seed=0, jitter=5)]
    )
    assert (again == moved).all()  # seeded


@pytest.mark.parametrize(
    "key, value",
    [
        ("jitter", -1),
        ("jitter", 0.5),
        ("mutate", 1.0),
        ("mutate", -0.1),
        ("flank_mask", 1.5),
        ("flank_mask", -0.5),
    ],
)
def test_bad_new_training_values(tmp_path, key, value):
    from brainresnet_tf.errors import InputError

    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"training: {{{key}: {value}}}\n")
    with pytest.raises(InputError, match=f"training.{key}"):
        load_config(cfg)


def test_one_model_with_test_time_shifts_keeps_its_run_layout(tiny_run):
    config = load_config(
        tiny_run, {"training.epochs": 1, "training.min_epochs": 1, "training.test_time_shift": 5}
    )
    genome = open_genome(config)
    out = Path(config.out_dir)
    table = prepare_windows(config, genome, out, progress=False)
    train_model(config, genome, table, out)
    assert (out / "history.csv").exists() and not (out / "members").exists()
    model, meta = load_model(out / "model.keras")
    assert meta.extra["test_time_shifts"] == [-5, 0, 5] and len(members(model)) == 1
    x = np.eye(4, dtype=np.float32)[np.random.default_rng(1).integers(0, 4, (3, table.context))]
    single = members(model)[0]
    expected = np.mean([single.predict(shifted_window(x, s), verbose=0) for s in (-5, 0, 5)], axis=0)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)
