"""The tutorials (``tutorials/NN_*.py``, jupytext percent-format notebooks) run as notebooks at
tiny scale with nbclient and show their plots inline; each one's first cell says how its scale is
picked; the documentation's nav lists exactly these notebooks, and their pages render.

The notebooks run in order in one working directory, as a user runs them: tutorials 3-5 reuse the
model tutorial 1 trains there (each trains it itself when run alone, ``-k 04``).
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = sorted((ROOT / "tutorials").glob("[0-9][0-9]_*.py"))
CELL_TIMEOUT = 600  # s per cell, for a loaded CI machine (the tiny cells take seconds)
SCALE_VARIABLE = "BRAINRESNET_TUTORIAL_SCALE"


def _hook():
    """docs/hooks/tutorials.py, the mkdocs hook that renders the notebooks (not a package)."""
    spec = importlib.util.spec_from_file_location("tutorials_hook", ROOT / "docs" / "hooks" / "tutorials.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _nav_pages(nav, section: str) -> list[str]:
    for entry in nav:
        if isinstance(entry, dict) and section in entry:
            return [next(iter(e.values())) if isinstance(e, dict) else e for e in entry[section]]
    return []


def test_there_are_five_tutorials():
    assert [p.name[:3] for p in TUTORIALS] == ["01_", "02_", "03_", "04_", "05_"]


def test_docs_nav_lists_every_tutorial():
    """The hook makes a page per notebook; the nav must list each (a page left out of the nav
    fails ``mkdocs build --strict``; a nav entry without a notebook is a broken link)."""
    hook = _hook()
    assert hook.tutorial_sources() == TUTORIALS
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]
    assert _nav_pages(nav, "Tutorials") == [hook.page_uri(p) for p in TUTORIALS]
    hooks = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["hooks"]
    assert "docs/hooks/tutorials.py" in hooks


@pytest.mark.parametrize("source", TUTORIALS, ids=lambda p: p.stem)
def test_notebook_header_first_cell_and_page(source):
    """Paired with .ipynb in percent format; the first cell (markdown) says how the scale is
    picked and what CI runs; the docs page has the title, the note and the code."""
    jupytext = pytest.importorskip("jupytext")
    notebook = jupytext.read(source, fmt="py:percent")
    assert notebook.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {int(source.name[:2])}. ")
    assert SCALE_VARIABLE in first.source and "`tiny`" in first.source and "**Scale.**" in first.source
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    assert "import brainresnet_tf as br" in code and SCALE_VARIABLE in code
    page = _hook().notebook_markdown(source)
    assert page.startswith(first.source) and '!!! note "A notebook"' in page
    assert page.count("```python\n") == sum(c.cell_type == "code" for c in notebook.cells)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """The working directory the notebooks share (and a HOME for Kipoi's config)."""
    path = tmp_path_factory.mktemp("tutorials")
    (path / "home").mkdir()
    return path


@pytest.mark.subprocess
@pytest.mark.parametrize("source", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_runs(source, workspace, monkeypatch):
    """Executed as a notebook (jupytext -> nbclient, an ipykernel) at tiny scale; each shows at
    least one plot inline. Tutorial 2 is skipped, with its own reason, where the real data is
    absent."""
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv(SCALE_VARIABLE, "tiny")
    monkeypatch.setenv("BRAINRESNET_TUTORIAL_DIR", str(workspace / "tutorial_runs"))
    monkeypatch.setenv("HOME", str(workspace / "home"))  # kipoi-install registers its source there
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's default: inline figures
    notebook = jupytext.read(source, fmt="py:percent")
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        startup_timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(workspace)}},
    )
    t0 = time.perf_counter()
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as err:
        if err.ename == "SystemExit" and "SKIPPED" in str(err.evalue):
            pytest.skip(str(err.evalue))
        raise
    print(f"{source.name}: {time.perf_counter() - t0:.1f} s")
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any("image/png" in o.get("data", {}) for o in outputs), f"{source.name} shows no plot"
