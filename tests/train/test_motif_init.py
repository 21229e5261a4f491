"""First-layer filters from JASPAR motifs enriched in the training positives over their shuffles."""

from pathlib import Path

import numpy as np
import pytest

from brainresnet_tf.data.shuffle import dinucleotide_shuffles
from brainresnet_tf.demo.synthetic import jaspar_motif
from brainresnet_tf.errors import InputError
from brainresnet_tf.io.genome import encode
from brainresnet_tf.io.jaspar import MotifDB, jaspar_core_vertebrates
from brainresnet_tf.train import motif_init as MI
from brainresnet_tf.train.config import load_config


def test_log_odds_kernel_crops_to_the_most_informative_columns_and_pads_short_ones():
    flat, sharp = np.full(4, 0.25), np.array([0.97, 0.01, 0.01, 0.01])
    long = np.stack([flat] * 5 + [sharp] * 4 + [flat] * 3, axis=1)  # (4, 12), informative 5..8
    kernel = MI.log_odds_kernel(long, 4)
    assert kernel.shape == (4, 4)
    np.testing.assert_allclose(kernel[:, 0], np.log2(0.97 / 0.25))
    short = MI.log_odds_kernel(long[:, 5:9], 8)  # 4 columns centred in 8
    assert np.all(short[:2] == 0) and np.all(short[6:] == 0)
    np.testing.assert_allclose(short[2:6], kernel)


def test_max_scores_finds_a_site_on_either_strand():
    kernel = MI.log_odds_kernel(np.eye(4)[:, [0, 0, 2, 3, 1]] * 0.96 + 0.01, 5)[None]  # AAGTC
    rng = np.random.default_rng(0)
    background = "".join(rng.choice(list("ACGT"), 60))
    forward = background[:20] + "AAGTC" + background[25:]
    reverse = background[:30] + "GACTT" + background[35:]  # reverse complement of AAGTC
    codes = np.stack([encode(s) for s in (forward, reverse, background)])
    scores = MI.max_scores(codes, kernel)[:, 0]
    best = kernel[0].max(axis=1).sum()
    np.testing.assert_allclose(scores[:2], best, rtol=1e-5)
    assert scores[2] < best


def test_enriched_motifs_puts_the_planted_factor_first():
    rng = np.random.default_rng(1)
    _, probs = jaspar_motif("SPI1")  # (L, 4)
    seqs = []
    for _ in range(120):
        s = list(rng.choice(list("ACGT"), 120))
        site = [("ACGT")[rng.choice(4, p=p)] for p in probs]
        at = int(rng.integers(0, 120 - len(site)))
        s[at : at + len(site)] = site
        seqs.append("".join(s))
    pos = np.stack([encode(s) for s in seqs])
    shuffled = dinucleotide_shuffles(pos, 1, rng)[:, 0]
    db = jaspar_core_vertebrates()
    kernels, names = MI.enriched_motifs(pos, shuffled, db, 5, 15)
    assert kernels.shape == (15, 4, 5) and len(names) == 5
    assert names[0].split(" ", 1)[1].upper() in {"SPI1", "SPIB", "SPIC"}
    # redundancy: no two chosen motifs are the same matrix, and near copies were skipped
    assert len(set(names)) == 5


def test_enriched_motifs_skips_redundant_matrices():
    ppm = np.eye(4)[:, [0, 1, 2, 3, 0, 1]] * 0.96 + 0.01
    db = MotifDB(("M1", "M2", "M3"), ("one", "copy", "other"), (ppm, ppm.copy(), ppm[:, ::-1]), "test")
    rng = np.random.default_rng(2)
    pos = np.stack([encode("".join(rng.choice(list("ACGT"), 50)) + "ACGTAC") for _ in range(40)])
    shuffled = dinucleotide_shuffles(pos, 1, rng)[:, 0]
    _, names = MI.enriched_motifs(pos, shuffled, db, 3, 8)
    assert len(names) == 2 and names[0] in {"M1 one", "M2 copy"} and "M3 other" in names


def test_set_motif_filters_overwrites_the_first_filters_only():
    from brainresnet_tf.models.resnet import build_resnet
    from brainresnet_tf.models.specs import ResNetSpec

    model = build_resnet(64, 1, ResNetSpec(stem_filters=8, stage_filters=(8,), head_units=8))
    before = MI.first_conv(model).get_weights()[0].copy()
    kernels = np.random.default_rng(3).normal(size=(15, 4, 3))
    assert MI.set_motif_filters(model, kernels) == 3
    after = MI.first_conv(model).get_weights()[0]
    np.testing.assert_array_equal(after[:, :, 3:], before[:, :, 3:])
    for j in range(3):  # same direction as the motif, scaled to the random filters' mean norm
        r = np.corrcoef(after[:, :, j].ravel(), kernels[:, :, j].ravel())[0, 1]
        assert r > 0.999
    norms = np.linalg.norm(after.reshape(-1, 8), axis=0)
    np.testing.assert_allclose(norms[:3], np.linalg.norm(before.reshape(-1, 8), axis=0).mean(), rtol=1e-5)


def test_training_with_motif_filters_logs_the_chosen_motifs(tiny_run):
    from brainresnet_tf.train.fit import train_model
    from brainresnet_tf.train.preparation import open_genome, prepare_windows

    config = load_config(tiny_run, {"training.epochs": 1, "training.motif_filters": 4})
    genome = open_genome(config)
    out = Path(config.out_dir)
    table = prepare_windows(config, genome, out, progress=False)
    lines: list[str] = []
    train_model(config, genome, table, out, log=lines.append)
    assert any("4 first-layer filters from JASPAR motifs" in line for line in lines)
    lines.clear()  # the CNN baseline keeps random first filters (its own CV chose them)
    train_model(config, genome, table, out / "baseline", arch="baseline", log=lines.append)
    assert lines and not any("JASPAR motifs" in line for line in lines)


@pytest.mark.parametrize("value", [-1, 1.5, "many"])
def test_motif_filters_must_be_a_count(tiny_run, value):
    with pytest.raises(InputError, match="training.motif_filters"):
        load_config(tiny_run, {"training.motif_filters": value})


def test_peak_data_gets_motif_filters_by_default():
    from brainresnet_tf.train.config import TrainingSpec
    from brainresnet_tf.train.fit import resolve_training

    small, note = resolve_training(TrainingSpec(), 1_288)
    assert small.motif_filters == 64 and "JASPAR-initialised ResNet stem filters 64" in note
    assert resolve_training(TrainingSpec(), 50_000)[0].motif_filters == 32  # half the stem on large data
    assert resolve_training(TrainingSpec(), 1_288, target="signal")[0].motif_filters == 0
    assert resolve_training(TrainingSpec(motif_filters=0), 1_288)[0].motif_filters == 0


def test_motif_filters_need_a_peak_target(tiny_run):
    with pytest.raises(InputError, match="training.motif_filters.*signal"):
        load_config(tiny_run, {"training.motif_filters": 8, "windows.target": "signal"})
