"""Per-profile metrics: AUROC and AUPRC as sklearn computes them; single-class profiles skipped."""

import numpy as np
import pytest

from brainresnet_tf.train.evaluation import profile_metrics


def test_profile_metrics_match_sklearn_and_skip_single_class():
    from sklearn.metrics import average_precision_score, roc_auc_score

    rng = np.random.default_rng(0)
    y = np.stack([rng.random(50) < 0.3, np.zeros(50, bool)], axis=1).astype(float)
    y[3, 0] = np.nan
    p = rng.random((50, 2))
    table = profile_metrics(y, p, ["x", "empty"])
    m = ~np.isnan(y[:, 0])
    assert table.loc[0, "auroc"] == pytest.approx(roc_auc_score(y[m, 0], p[m, 0]))
    assert table.loc[0, "auprc"] == pytest.approx(average_precision_score(y[m, 0], p[m, 0]))
    assert table.loc[0, "n_windows"] == 49
    assert np.isnan(table.loc[1, "auroc"])
