"""The documentation: the site builds with ``mkdocs build --strict`` (a broken link, a bad anchor,
a module in the API reference without docstrings, a page left out of the nav all fail it), the
README stays short, and every relative link of README.md and docs/**/*.md points at a file."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README_MAX_LINES = 200
SITE_PACKAGES = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python", "griffe")


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def relative_links(text: str) -> list[str]:
    """Targets of the Markdown links and images in ``text`` that are neither URLs nor anchors on
    the same page; code blocks and code spans are left out."""
    text = re.sub(r"^(```|~~~).*?^\1", "", text, flags=re.S | re.M)
    text = re.sub(r"(`+).*?\1", "", text, flags=re.S)
    targets = re.findall(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", text)
    targets += re.findall(r"^\s*\[[^\]]+\]:\s*(\S+)", text, flags=re.M)
    return [t for t in targets if not re.match(r"^([a-z][a-z0-9+.-]*:|#)", t, flags=re.I)]


def test_readme_is_short():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move detail into docs/"


def test_relative_links_point_at_files():
    assert (ROOT / "docs" / "index.md").exists()
    broken = []
    for page in pages():
        for target in relative_links(page.read_text()):
            path = target.split("#", 1)[0]
            if path and not (page.parent / path).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == [], "links to missing files"


def test_link_finder():
    text = "[a](docs/x.md#y) ![i](img.png) [u](https://x.org) [h](#top) `[c](no.md)`\n[r]: ref.md\n"
    assert relative_links(text) == ["docs/x.md#y", "img.png", "ref.md"]


@pytest.mark.subprocess
def test_site_builds_strict(tmp_path):
    absent = [name for name in SITE_PACKAGES if importlib.util.find_spec(name.split(".")[0]) is None]
    if absent:
        pytest.skip(f"{', '.join(absent)} not installed: pip install -e '.[dev]' installs the docs tools")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml")]
        + ["--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    cli = (site / "cli" / "index.html").read_text()
    for command in ("demo", "train", "score-variants", "validate-variants", "motifs", "serve"):
        assert f"brainresnet {command}" in cli, command  # rendered from the parsers
    api = (site / "api" / "variant" / "index.html").read_text()
    assert "variant_windows" in api  # rendered from the docstrings
