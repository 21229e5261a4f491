"""MkDocs hook (``hooks:`` in mkdocs.yml): the notebooks of ``tutorials/`` as documentation pages.

Each ``tutorials/NN_name.py`` (a jupytext percent-format notebook) becomes the page
``tutorials/NN_name.md``, generated at build time and never executed: its markdown cells as they
are, its code cells as Python blocks, and a note saying how to open and run it. The pages are not
files in ``docs/``, so they cannot drift from the notebooks; ``mkdocs.yml`` lists them in its nav
(a notebook missing there is a page left out of the nav, which ``mkdocs build --strict`` fails),
and ``tests/test_tutorials.py`` checks that the nav and the notebooks match.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TUTORIALS = ROOT / "tutorials"
NOTE = """!!! note "A notebook"
    This page is `tutorials/{name}` of the repository, shown without its outputs. Open
    it as a notebook (the jupytext Jupyter extension opens the `.py` file directly, or
    `jupytext --to notebook tutorials/{name}` writes an `.ipynb`) and run it; its first cell says
    which sizes `BRAINRESNET_TUTORIAL_SCALE` picks. CI runs it at `tiny` scale
    (`tests/test_tutorials.py`)."""


def tutorial_sources() -> list[Path]:
    """The tutorial notebooks, in order (``tutorials/NN_*.py``)."""
    return sorted(TUTORIALS.glob("[0-9][0-9]_*.py"))


def page_uri(source: Path) -> str:
    """The documentation page of a notebook, relative to ``docs/``."""
    return f"tutorials/{source.stem}.md"


def notebook_markdown(source: Path) -> str:
    """A notebook as Markdown: the first markdown cell (the title and what the notebook does),
    the note, then every cell in order (code cells as ``python`` blocks, empty cells dropped)."""
    import jupytext

    notebook = jupytext.read(source, fmt="py:percent")
    parts = []
    for cell in notebook.cells:
        text = cell.source.strip("\n")
        if not text.strip():
            continue
        parts.append(text if cell.cell_type == "markdown" else f"```python\n{text}\n```")
    note = NOTE.format(name=source.name)
    return "\n\n".join([*parts[:1], note, *parts[1:]]) + "\n"


def on_files(files, config):
    from mkdocs.structure.files import File

    for source in tutorial_sources():
        files.append(File.generated(config, page_uri(source), content=notebook_markdown(source)))
    return files


def on_serve(server, config, builder):
    """``mkdocs serve`` rebuilds when a notebook changes."""
    server.watch(str(TUTORIALS))
    return server
