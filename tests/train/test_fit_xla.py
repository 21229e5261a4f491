"""The speed setting measured in benchmarks/training.py (XLA ``jit_compile``) matches the plain one.

XLA is not the package default (it was not faster on every model, see benchmarks/README.md), but
users may turn it on (``model.jit_compile = True``): its arithmetic must agree within 1e-4.
Dropout is off here: under XLA the stateless RNG draws other dropout masks (a different but
equally valid training run), which is a separate matter from numerical agreement.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from brainresnet_tf.data.windows import WindowTable
from brainresnet_tf.models import ResNetSpec, build_resnet
from brainresnet_tf.train.config import Config
from brainresnet_tf.train.fit import compile_model

LENGTH, PROFILES, BATCH = 200, 3, 16
# two blocks per stage: covers the dilated (rate 2) convolutions, projections and both poolings
SPEC = ResNetSpec(stem_filters=16, stage_filters=(16, 24, 32), blocks_per_stage=2, head_units=16, dropout=0.0)


def _table(n: int, rng: np.random.Generator) -> WindowTable:
    labels = (rng.random((n, PROFILES)) < 0.3).astype(np.float32)
    labels[0, 1] = np.nan  # a missing label: the masked loss must agree too
    return WindowTable(
        [f"p{i}" for i in range(PROFILES)],
        np.array(["chr1"] * n),
        np.arange(n) * 200,
        labels,
        np.array(["train"] * n),
        200,
        LENGTH,
    )


def _model(jit: bool, weights: list[np.ndarray] | None, table: WindowTable) -> keras.Model:
    keras.utils.set_random_seed(0)
    model = build_resnet(LENGTH, PROFILES, SPEC)
    if weights is not None:
        model.set_weights(weights)
    compile_model(model, Config(), table)
    model.jit_compile = jit
    return model


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (4 * BATCH, LENGTH))]
    table = _table(len(x), rng)
    return x, table.labels, table


def test_tiny_model_is_tiny():
    assert build_resnet(LENGTH, PROFILES, SPEC).count_params() < 100_000


def test_xla_outputs_match_plain(data):
    x, y, table = data
    plain = _model(False, None, table)
    fast = _model(True, plain.get_weights(), table)
    assert fast.jit_compile and not plain.jit_compile
    p0, p1 = plain.predict(x, batch_size=BATCH, verbose=0), fast.predict(x, batch_size=BATCH, verbose=0)
    assert p0.std() > 1e-3  # not saturated: a real comparison
    np.testing.assert_allclose(p1, p0, atol=1e-4, rtol=0)
    # training (batch statistics, BN moving averages, Adam) on the same batches, then predict again
    for model in (plain, fast):
        model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    p0, p1 = plain.predict(x, batch_size=BATCH, verbose=0), fast.predict(x, batch_size=BATCH, verbose=0)
    np.testing.assert_allclose(p1, p0, atol=1e-4, rtol=0)
    moved = max(np.abs(a - b).max() for a, b in zip(plain.get_weights(), fast.get_weights()))
    assert moved < 1e-3
    assert not np.allclose(
        p0, _model(False, None, table).predict(x, batch_size=BATCH, verbose=0), atol=1e-4
    )  # training changed the outputs, so the match above means something
