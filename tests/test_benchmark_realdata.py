"""benchmarks/realdata.py's --variant parsing (the CV recipe search's input)."""

import importlib.util
from pathlib import Path

import pytest

# loaded by path: putting benchmarks/ on sys.path would shadow modules (pipeline, training, ...)
_spec = importlib.util.spec_from_file_location(
    "realdata_benchmark", Path(__file__).resolve().parents[1] / "benchmarks" / "realdata.py"
)
realdata = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(realdata)


def test_variant_splits_settings_and_keeps_commas_inside_a_value():
    assert realdata.parse_variant("wd=training.weight_decay=0.1") == ("wd", ["training.weight_decay=0.1"])
    assert realdata.parse_variant("wide=model.baseline.filters=[128,128,128],training.mutate=0.1") == (
        "wide",
        ["model.baseline.filters=[128,128,128]", "training.mutate=0.1"],
    )


def test_variant_without_a_setting_stops_with_an_example():
    with pytest.raises(SystemExit, match="expected NAME=KEY=VALUE"):
        realdata.parse_variant("wd")
