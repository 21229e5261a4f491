"""``brainresnet evaluate``: a saved model beside its saved baseline."""

from pathlib import Path

from brainresnet_tf.workflows.evaluate import run_evaluate


def test_evaluate_command_with_saved_baseline(trained, tmp_path):
    config, _ = trained
    out = Path(config.out_dir)
    metrics = run_evaluate(
        config, out / "model.keras", tmp_path / "eval", str(out / "baseline" / "model.keras")
    )
    assert set(metrics["model"]) == {"resnet", "baseline"}
    assert (tmp_path / "eval" / "metrics.tsv").exists()
