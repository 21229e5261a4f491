"""Labels from peaks (half-overlap rule) and from bigWig signal."""

import numpy as np
import pyBigWig
import pytest

from brainresnet_tf.data.targets import bin_labels, peak_tracks, signal_tracks
from brainresnet_tf.errors import InputError


def test_bin_labels_half_overlap_rule():
    import pandas as pd

    peaks = pd.DataFrame(
        {"chrom": ["c"] * 3, "start": [0, 250, 260], "end": [99, 350, 420], "name": ["a", "b", "c"]}
    )
    track = peak_tracks(peaks)["c"]  # merges 250-350 and 260-420 into 250-420
    assert track.starts.tolist() == [0, 250] and track.ends.tolist() == [99, 420]
    labels = bin_labels(track, np.array([0, 200, 400]), 200, signal=False)
    # bin 0: 99/200 covered (< half); bin 200: 150/200; bin 400: 20/200
    assert labels.tolist() == [0.0, 1.0, 0.0]


def test_signal_track_means_and_nan_rejected(genome, tmp_path):
    path = tmp_path / "s.bw"
    bw = pyBigWig.open(str(path), "w")
    bw.addHeader([("chr1", 5000), ("chr2", 3000)])
    bw.addEntries(["chr1", "chr1"], [0, 100], ends=[100, 300], values=[1.0, 3.0])
    bw.addEntries(["chr2"], [0], ends=[10], values=[2.0])
    bw.close()
    tracks = signal_tracks(path, genome, ["chr1", "chr2"])
    mean = tracks["chr1"].mean(np.array([0, 50, 300]), np.array([200, 150, 400]))
    np.testing.assert_allclose(mean, [(100 + 300) / 200, (50 + 150) / 100, 0.0])
    assert bin_labels(tracks["chr1"], np.array([100]), 200, signal=True)[0] == pytest.approx(np.log1p(3.0))
    bad = tmp_path / "nan.bw"
    bw = pyBigWig.open(str(bad), "w")
    bw.addHeader([("chr1", 5000)])
    bw.addEntries(["chr1"], [0], ends=[100], values=[float("nan")])
    bw.close()
    with pytest.raises(InputError, match="NaN signal at chr1:0-100"):
        signal_tracks(bad, genome, ["chr1"])
    with pytest.raises(InputError, match="bigWig has no chromosome 'chr2'"):
        signal_tracks(bad, genome, ["chr2"])
