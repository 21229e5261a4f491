"""TF Serving export: layout, assets and warm-up requests, signatures equal to Keras, in-graph checks,
and the shipped TF Serving configs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import yaml
from google.protobuf import text_format
from tensorflow_serving.apis import prediction_log_pb2
from tensorflow_serving.config import model_server_config_pb2

from brainresnet_tf.errors import InputError
from brainresnet_tf.serve.export import export_serving, version_dirs
from tests.toy_data import SERVING_LENGTH, onehot, random_dna
from tests.toy_models import SERVING_PROFILES, keras_strand_avg

L, PROFILES = SERVING_LENGTH, SERVING_PROFILES
SERVING = Path(__file__).resolve().parents[2] / "serving"
TOL = 1e-5


def rc(seq: str) -> str:
    return seq.translate(str.maketrans("ACGTN", "TGCAN"))[::-1]


def test_export_layout_assets_and_warmup(exported, tmp_path):
    model, path, base = exported
    v1 = base / "1"
    assert sorted(version_dirs(base)) == [1]
    assert not [p for p in base.iterdir() if p.name.startswith(".tmp")]
    assert (v1 / "assets" / "profiles.txt").read_text().split() == PROFILES
    assert '"input_length": 120' in (v1 / "assets" / "model.json").read_text()
    records = [
        prediction_log_pb2.PredictionLog.FromString(r.numpy())
        for r in tf.data.TFRecordDataset(str(v1 / "assets.extra" / "tf_serving_warmup_requests"))
    ]
    assert {r.predict_log.request.model_spec.signature_name for r in records} == {
        "serving_default",
        "predict_dna",
        "variant_effect",
    }
    # next integer by default; an existing version is refused
    other = tmp_path / "m"
    assert export_serving(model, other).name == "1"
    assert export_serving(model, other).name == "2"
    assert export_serving(model, other, version=7).name == "7"
    with pytest.raises(InputError, match="already exists"):
        export_serving(model, other, version=2)


def test_signatures_equal_keras(exported):
    model, _, base = exported
    loaded = tf.saved_model.load(str(base / "1"))
    sigs = loaded.signatures
    assert set(sigs) >= {"serving_default", "predict_dna", "variant_effect", "metadata"}
    seqs = random_dna(6, 1, "ACGTN")
    seqs[0] = seqs[0].lower()  # soft-masked sequence encodes the same
    x = onehot([s.upper() for s in seqs])
    got = sigs["serving_default"](sequence=tf.constant(x))
    assert list(got) == ["probabilities"]
    np.testing.assert_allclose(got["probabilities"].numpy(), model(x).numpy(), atol=TOL)

    dna = sigs["predict_dna"](dna=tf.constant(seqs))["probabilities"].numpy()
    np.testing.assert_allclose(dna, keras_strand_avg(model, [s.upper() for s in seqs]), atol=TOL)
    rc_dna = sigs["predict_dna"](dna=tf.constant([rc(s.upper()) for s in seqs]))["probabilities"]
    np.testing.assert_allclose(rc_dna.numpy(), dna, atol=TOL)  # strand-symmetric

    ref, alt = random_dna(3, 2), random_dna(3, 3)
    eff = sigs["variant_effect"](ref=tf.constant(ref), alt=tf.constant(alt))
    np.testing.assert_allclose(eff["ref_probabilities"].numpy(), keras_strand_avg(model, ref), atol=TOL)
    np.testing.assert_allclose(eff["alt_probabilities"].numpy(), keras_strand_avg(model, alt), atol=TOL)
    np.testing.assert_allclose(
        eff["diff"].numpy(), keras_strand_avg(model, alt) - keras_strand_avg(model, ref), atol=TOL
    )
    meta = sigs["metadata"]()
    assert [p.decode() for p in meta["profiles"].numpy()] == PROFILES


@pytest.mark.parametrize(
    "dna, message",
    [
        (["ACGTX" + "A" * (L - 5)], "only A, C, G, T, N"),
        (["A" * (L - 1)], f"exactly {L} bp"),
        ([], "empty batch"),
    ],
)
def test_in_graph_checks(exported, dna, message):
    """What the official server would answer (INVALID_ARGUMENT) comes from the graph itself."""
    sig = tf.saved_model.load(str(exported[2] / "1")).signatures["predict_dna"]
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        sig(dna=tf.constant(dna, dtype=tf.string))


def test_shipped_configs_parse():
    config = text_format.Parse(
        (SERVING / "models.config").read_text(), model_server_config_pb2.ModelServerConfig()
    )
    names = [m.name for m in config.model_config_list.config]
    assert {"iPSC_neuron", "NPC", "fetal_brain"} <= set(names)
    assert all(m.model_platform == "tensorflow" for m in config.model_config_list.config)
    compose = yaml.safe_load((SERVING / "docker-compose.yml").read_text())
    (service,) = compose["services"].values()
    assert service["image"].startswith("tensorflow/serving")
    assert "max_batch_size" in (SERVING / "batching.config").read_text()


def test_variant_effect_scores_indels_as_windows(exported, genome_seqs, tmp_path):
    """variant_effect takes windows: indel windows built by score-variants' convention give
    score-variants' numbers; raw indel alleles are refused (INVALID_ARGUMENT) with the reason."""
    from brainresnet_tf.io.vcf import VcfReader
    from brainresnet_tf.models.saving import ModelMeta
    from brainresnet_tf.variant.scoring import VariantScorer, variant_windows
    from tests.toy_data import write_vcf

    model, _, base = exported
    genome, seqs = genome_seqs
    s = seqs["chr1"]
    vcf = write_vcf(
        tmp_path / "i.vcf",
        [f"chr1\t500\td\t{s[499:512]}\t{s[499]}", f"chr1\t900\ti\t{s[899]}\t{s[899]}GATTACA"],
    )
    variants = list(VcfReader(vcf, genome))
    expected = VariantScorer(model, ModelMeta(PROFILES, L), genome).score(variants)
    ref, alt = variant_windows(
        genome,
        np.array([v.genome_chrom for v in variants]),
        np.array([v.pos for v in variants]),
        [v.ref for v in variants],
        [v.alt for v in variants],
        L,
    )
    text = lambda w: ["".join("ACGTN"[c] for c in row) for row in w]  # noqa: E731
    sig = tf.saved_model.load(str(base / "1")).signatures["variant_effect"]
    got = sig(ref=tf.constant(text(ref)), alt=tf.constant(text(alt)))
    for i, p in enumerate(PROFILES):
        np.testing.assert_allclose(got["ref_probabilities"].numpy()[:, i], expected[f"{p}_ref"], atol=TOL)
        np.testing.assert_allclose(got["diff"].numpy()[:, i], expected[f"{p}_diff"], atol=TOL)
    window = text(ref)[0]
    raw_deletion = window[:60] + window[61:]  # the alleles, not a window of L bp
    with pytest.raises(tf.errors.InvalidArgumentError, match="not alleles: for an indel or MNV build both"):
        sig(ref=tf.constant([window]), alt=tf.constant([raw_deletion]))
