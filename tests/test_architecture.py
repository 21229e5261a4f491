"""Rules of the layout that ruff and import-linter do not check."""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "brainresnet_tf"
# not layers of the import contract: the package's own __init__ (lazy API names) and the deprecated
# Kipoi shim (it re-exports serve's components; the contract ignores that import)
UNLAYERED = {"__init__", "kipoi_components"}
PRINTING = ("workflows/", "cli.py")
# Kipoi's CLI turns our one-line errors into tracebacks unless this hook prints them itself.
ALLOWED_PRINT = {"serve/kipoi_components.py"}


def test_only_workflows_print():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith(PRINTING) or rel in ALLOWED_PRINT:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                offenders.append(f"{rel}:{node.lineno}")
    assert offenders == []


def test_every_command_is_one_workflow_module():
    from brainresnet_tf.workflows import COMMANDS

    files = {p.stem for p in (PACKAGE / "workflows").glob("*.py")} - {"__init__", "common"}
    assert set(COMMANDS) == files
    for name in COMMANDS:
        module = importlib.import_module(f"brainresnet_tf.workflows.{name}")
        assert callable(module.add_parser) and callable(module.run), name
        assert module.NAME.replace("-", "_") == name


def test_building_the_parser_does_not_import_tensorflow():
    code = (
        "import sys; from brainresnet_tf.cli import build_parser; build_parser(); "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]


def test_every_package_folder_and_module_is_a_layer():
    """The import contract names every layer (api/ between workflows/ and the layers it calls)."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    named = [name.strip() for layer in layers for name in layer.split("|")]
    present = {p.stem for p in PACKAGE.glob("*.py")} | {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert sorted(present - UNLAYERED) == sorted(named)
    assert named.index("workflows") < named.index("api") < named.index("train")


def test_api_modules_import_no_tensorflow():
    """``import brainresnet_tf`` names the API lazily; its modules load TensorFlow only when a model
    is loaded or trained, so reaching a name (``br.load_model``) stays fast."""
    modules = sorted(f"brainresnet_tf.api.{p.stem}" for p in (PACKAGE / "api").glob("*.py"))
    code = (
        f"import importlib, sys; [importlib.import_module(m) for m in {modules!r}]; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]


def test_old_kipoi_module_path_still_works():
    """Groups installed into ~/.kipoi by v0.1 import brainresnet_tf.kipoi_components."""
    from brainresnet_tf import kipoi_components as old
    from brainresnet_tf.serve import kipoi_components as new

    assert old.BrainResNetModel is new.BrainResNetModel
    assert old.BrainResNetIntervalDl is new.BrainResNetIntervalDl
