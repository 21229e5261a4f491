from pathlib import Path

import pytest

from brainresnet_tf.errors import InputError
from brainresnet_tf.train.config import Config, config_to_dict, load_config, parse_overrides

REPO = Path(__file__).resolve().parents[2]


def write(path, text):
    path.write_text(text)
    return path


def test_load_config_types_paths_and_overrides(tmp_path):
    cfg = write(
        tmp_path / "c.yaml",
        """
genome: {fasta: data/g.fa}
profiles:
  - {name: n_ATAC, cell_type: n, assay: ATAC, peaks: data/n.bed}
windows: {context: 600, test_chroms: chr5}
model: {resnet: {stage_filters: [16, 32]}}
training: {epochs: 2}
""",
    )
    config = load_config(cfg, parse_overrides(["training.epochs=5", "windows.valid_chroms=[chr4]"]))
    assert isinstance(config, Config)
    assert config.genome.fasta == tmp_path / "data" / "g.fa"
    assert config.profiles[0].peaks == tmp_path / "data" / "n.bed"
    assert config.windows.context == 600 and config.windows.test_chroms == ("chr5",)
    assert config.windows.valid_chroms == ("chr4",)
    assert config.model.resnet.stage_filters == (16, 32)
    assert config.training.epochs == 5
    assert config_to_dict(config)["windows"]["context"] == 600


@pytest.mark.parametrize(
    "text, message",
    [
        ("trainng: {epochs: 2}\n", r"unknown config key 'trainng'; did you mean 'training'\?"),
        ("training: {epoch: 2}\n", r"unknown config key 'training.epoch'; did you mean 'training.epochs'\?"),
        ("training: {epochs: two}\n", r"'training.epochs' must be int, got 'two'"),
        ("training: {rc_augment: 3}\n", r"'training.rc_augment' must be true or false"),
        ("profiles: [{name: x}]\n", r"profile 'x' has neither 'peaks' nor 'bigwig'"),
        ("profiles: [{name: x, peaks: a.bed, colour: red}]\n", r"unknown config key 'profiles\[0\].colour'"),
        ("- just a list\n", r"config must be a mapping"),
    ],
)
def test_bad_configs_are_clear(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        load_config(write(tmp_path / "bad.yaml", text))


def test_missing_config_and_bad_override(tmp_path):
    with pytest.raises(InputError, match="config file not found"):
        load_config(tmp_path / "none.yaml")
    with pytest.raises(InputError, match="expected KEY=VALUE"):
        parse_overrides(["training.epochs"])


@pytest.mark.parametrize(
    "name", sorted(str(p.relative_to(REPO / "configs")) for p in (REPO / "configs").rglob("*.yaml"))
)
def test_shipped_configs_load(name):
    config = load_config(REPO / "configs" / name)
    assert config.profiles or config.sequences.enabled, f"{name} defines no profiles or sequence sets"


def test_configs_demo_yaml_is_the_demo_setting():
    import yaml

    from brainresnet_tf.demo.synthetic import DEFAULT_CELL_TYPES
    from brainresnet_tf.workflows.demo import DEMO_SETTINGS

    shipped = yaml.safe_load((REPO / "configs" / "demo.yaml").read_text())
    for section, values in DEMO_SETTINGS["full"].items():
        assert shipped[section] == values, section
    assert [p["cell_type"] for p in shipped["profiles"]] == [c.name for c in DEFAULT_CELL_TYPES]


@pytest.mark.parametrize(
    "text, message",
    [
        ("model: {arch: foo}\n", r"'model.arch' is 'foo'; expected one of resnet, baseline"),
        ("windows: {context: 0}\n", r"'windows.context' is 0; expected a number > 0"),
        ("windows: {bin_size: 0}\n", r"'windows.bin_size' is 0"),
        ("windows: {bin_size: 400, context: 200}\n", r"'windows.context' is 200; expected at least"),
        ("windows: {negative_ratio: -1}\n", r"'windows.negative_ratio' is -1.0; expected a number >= 0"),
        ("windows: {min_overlap: 1.5}\n", r"'windows.min_overlap' is 1.5"),
        ("training: {epochs: -1}\n", r"'training.epochs' is -1"),
        ("training: {batch_size: 0}\n", r"'training.batch_size' is 0"),
        ("training: {learning_rate: .nan}\n", r"'training.learning_rate' is nan"),
        ("training: {strategy: gpu}\n", r"'training.strategy' is 'gpu'"),
        ("transfer: {mode: warm}\n", r"'transfer.mode' is 'warm'; expected one of none, frozen, fine_tune"),
        ("model: {resnet: {stage_filters: []}}\n", r"'model.resnet.stage_filters' is \[\]"),
        ("model: {baseline: {dropout: 1.0}}\n", r"'model.baseline.dropout' is 1.0; expected a rate"),
        (
            "model: {baseline: {pooling: avg}}\n",
            r"'model.baseline.pooling' is 'avg'; expected one of flatten, global",
        ),
        (
            "profiles: [{name: a, peaks: a.bed}, {name: a, peaks: b.bed}]\n",
            r"profile name\(s\) 'a' appear more than once",
        ),
        ("training: {epochs: 3\n", r"bad.yaml:\d+: not valid YAML"),
        (
            "training: {shuffled_negatives: -1}\n",
            r"'training.shuffled_negatives' is -1.0; expected a number >= 0",
        ),
        (
            "windows: {target: signal}\ntraining: {shuffled_negatives: 1}\n",
            r"'training.shuffled_negatives' is 1.0; expected 0 with windows.target signal",
        ),
    ],
)
def test_bad_values_fail_at_load(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        load_config(write(tmp_path / "bad.yaml", text))


def test_overrides_into_a_value_and_odd_files_are_clear(tmp_path):
    cfg = write(tmp_path / "c.yaml", "training: {epochs: 2}\n")
    with pytest.raises(InputError, match=r"'training.epochs' is a value, not a section"):
        load_config(cfg, parse_overrides(["training.epochs.x=1"]))
    with pytest.raises(InputError, match=r"unknown config key 'a'"):
        load_config(cfg, parse_overrides(["a.b.c=1"]))
    with pytest.raises(InputError, match="nan"):
        load_config(cfg, parse_overrides(["training.learning_rate=nan"]))
    with pytest.raises(InputError, match="is a folder"):
        load_config(tmp_path)
    binary = tmp_path / "b.yaml"
    binary.write_bytes("training: {epochs: 2}\n".encode("utf-16"))
    with pytest.raises(InputError, match=r"b.yaml"):
        load_config(binary)
