"""Every broken model file is one line naming the file, never a traceback or silent loss."""

import json
import shutil
from pathlib import Path

import pytest

from brainresnet_tf.errors import InputError
from brainresnet_tf.models.saving import load_model

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "model_v0_1"


@pytest.fixture
def model_dir(tmp_path):
    for name in ("model.keras", "model.json"):
        shutil.copy(FIXTURE / name, tmp_path / name)
    return tmp_path


def test_missing_metadata_is_an_error(model_dir):
    (model_dir / "model.json").unlink()
    with pytest.raises(InputError, match=r"model.keras: its metadata model.json is missing"):
        load_model(model_dir / "model.keras")


def test_metadata_naming_fewer_profiles_than_outputs(model_dir):
    meta = json.loads((model_dir / "model.json").read_text())
    meta["profiles"] = meta["profiles"][:1]
    (model_dir / "model.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match=r"names 1 profiles but the model has 2 outputs"):
        load_model(model_dir / "model.keras")


@pytest.mark.parametrize(
    "content",
    [b"this is text, not a model\n", None, b"PK\x03\x04truncated"],
    ids=["text", "truncated", "bad-zip"],
)
def test_unreadable_model_files(model_dir, content):
    path = model_dir / "model.keras"
    data = path.read_bytes()
    path.write_bytes(content if content is not None else data[: len(data) // 2])
    with pytest.raises(InputError, match=r"model.keras: not a readable Keras model"):
        load_model(path)


def test_folder_and_bad_json(model_dir):
    with pytest.raises(InputError, match="is a folder"):
        load_model(model_dir)
    (model_dir / "model.json").write_text("{not json")
    with pytest.raises(InputError, match=r"model.json: not valid JSON"):
        load_model(model_dir / "model.keras")
    (model_dir / "model.json").write_text('{"profiles": ["a", "b"], "input_length": 64, "colour": 1}')
    with pytest.raises(InputError, match=r"not a brainresnet model.json"):
        load_model(model_dir / "model.keras")
