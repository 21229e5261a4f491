"""MkDocs hooks (``hooks:`` in mkdocs.yml) for the two generated references.

* ``cli.md``: the ``<!-- cli-reference -->`` marker becomes one section per ``brainresnet``
  subcommand, its ``--help`` rendered from the argparse parsers at build time (``cli.build_parser``
  imports no TensorFlow, so this takes well under a second).
* ``api/*.md``: every ``::: module`` a page documents must have a module docstring, and so must
  each public function and class the module defines; a missing one is a warning, which
  ``mkdocs build --strict`` turns into a failed build. mkdocstrings renders the docstrings; the
  Sphinx roles they use (``:func:`x```) are dropped from the HTML, keeping the code span.
"""

from __future__ import annotations

import argparse
import functools
import html
import logging
import os
import re
from pathlib import Path

MARKER = "<!-- cli-reference -->"
ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger("mkdocs.hooks.reference")


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def cli_reference(width: int = 100) -> str:
    """Markdown: a table of the subcommands, then each one's ``--help`` (``width`` columns)."""
    from brainresnet_tf.cli import build_parser

    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)  # argparse wraps its help to $COLUMNS
    try:
        parser = build_parser()
        sub = _subcommands(parser)
        helps = {action.dest: action.help or "" for action in sub._choices_actions}
        rows = ["| command | what it does |", "|---|---|"]
        sections = []
        for name, command in sub.choices.items():
            summary = html.escape(" ".join(helps.get(name, "").split()))
            rows.append(f"| [`{name}`](#brainresnet-{name}) | {summary} |")
            sections.append(
                f"## brainresnet {name}\n\n{summary}\n\n```text\n{command.format_help().rstrip()}\n```\n"
            )
        usage = parser.format_usage().rstrip()
    finally:
        if before is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = before
    return "\n".join([f"```text\n{usage}\n```\n", *rows, "", *sections])


@functools.cache
def _package(name: str):
    import griffe

    return griffe.load(name, search_paths=[str(ROOT)], resolve_aliases=False)


def undocumented(module_path: str) -> list[str]:
    """The module, or the public functions and classes it defines, that have no docstring."""
    top, _, rest = module_path.partition(".")
    module = _package(top)[rest] if rest else _package(top)
    missing = [] if module.docstring else [module_path]
    for name, member in module.members.items():
        if name.startswith("_") or member.is_alias:
            continue
        if (member.is_function or member.is_class) and not member.docstring:
            missing.append(f"{module_path}.{name}")
    return missing


def on_page_markdown(markdown: str, page, config, files) -> str:
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, cli_reference())
    if page.file.src_uri.startswith("api/"):
        for module_path in re.findall(r"^::: ([\w.]+)", markdown, flags=re.M):
            for name in undocumented(module_path):
                log.warning(f"{page.file.src_uri}: {name} has no docstring")
    return markdown


def on_page_content(content: str, page, config, files) -> str:
    if page.file.src_uri.startswith("api/"):
        content = re.sub(r":(?:func|class|mod|meth|attr|data|exc|obj|const):(?=<code)", "", content)
    return content
