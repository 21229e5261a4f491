"""Writing per-base tracks to bigWig: overlaps averaged, ends clipped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyBigWig


def test_write_bigwig_averages_overlaps_and_clips_ends(tmp_path):
    from brainresnet_tf.io.bigwig import write_bigwig

    windows = pd.DataFrame({"chrom": ["chr1", "chr1", "chr2", "chr1"], "start": [10, 15, 0, -3]})
    values = np.array([np.arange(10), np.full(10, 100.0), np.ones(10), np.full(10, 7.0)])
    n = write_bigwig(tmp_path / "t.bw", {"chr1": 200, "chr2": 8}, windows, values)
    bw = pyBigWig.open(str(tmp_path / "t.bw"))
    got = np.array(bw.values("chr1", 0, 25))
    assert np.isnan(got[7:10]).all()
    np.testing.assert_allclose(got[:7], 7.0)  # window at -3 clipped to 0
    np.testing.assert_allclose(got[10:15], [0, 1, 2, 3, 4])
    np.testing.assert_allclose(got[15:20], (np.arange(5, 10) + 100) / 2)  # overlap: mean
    np.testing.assert_allclose(got[20:25], 100.0)
    assert bw.chroms() == {"chr1": 200, "chr2": 8}
    np.testing.assert_allclose(bw.values("chr2", 0, 8), 1.0)  # clipped at the chromosome end
    assert n == 7 + 15 + 8
