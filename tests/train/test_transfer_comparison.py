"""The transfer comparison's helpers: training-set subsampling, summary and verdict."""

import numpy as np
import pytest

from brainresnet_tf.train.transfer_comparison import subsample_train, summarize, transfer_verdict


def test_subsample_and_verdict():
    import pandas as pd

    from brainresnet_tf.data.windows import WindowTable

    n = 1000
    table = WindowTable(
        ["p"],
        np.array(["chr1"] * n),
        np.arange(n) * 200,
        np.zeros((n, 1), np.float32),
        np.array(["train"] * 800 + ["valid"] * 100 + ["test"] * 100),
        200,
        400,
    )
    sub = subsample_train(table, 0.1, seed=3)
    assert (sub.split == "train").sum() == 80 and (sub.split == "test").sum() == 100
    again = subsample_train(table, 0.1, seed=3)
    np.testing.assert_array_equal(sub.start, again.start)
    rows = [
        {
            "mode": m,
            "label": m,
            "fraction": f,
            "seed": s,
            "n_train": int(f * 800),
            "test_auprc": base + 0.01 * s,
        }
        for f, scratch, frozen in ((0.05, 0.3, 0.6), (1.0, 0.8, 0.81))
        for s in range(3)
        for m, base in (("none", scratch), ("frozen", frozen))
    ]
    verdict = transfer_verdict(pd.DataFrame(rows))
    assert verdict["beats_scratch_beyond_spread"] and verdict["gain_at_small"] == pytest.approx(0.3)
    assert verdict["no_worse_at_large"]
    assert summarize(pd.DataFrame(rows))["seeds"].eq(3).all()
