"""The documentation site builds, and no docstring shows raw reStructuredText on it.

The API page renders docstrings as Markdown (mkdocstrings, Google style), so a
Sphinx role such as `:class:` shows up on the page as the literal text
`:class:` before the name. This builds the site the way CI does and looks
for such leftovers in the HTML.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

#: What a Sphinx role or an rST directive looks like once Markdown has rendered it.
RAW_MARKUP = re.compile(
    r":(?:py:)?(?:class|meth|func|data|attr|mod|exc|obj|const|ref):(?:<code>|`)"
    r"|^\s*\.\. [a-z-]+::"
    r"|\S::</p>",
    re.MULTILINE,
)

pytest.importorskip("mkdocs", reason="the docs extra is not installed")
pytest.importorskip("mkdocstrings", reason="the docs extra is not installed")


@pytest.fixture(scope="module", name="site")
def _site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return site


def test_no_raw_markup_on_any_page(site: Path) -> None:
    """No page of the built site shows a Sphinx role, an rST directive or a `::` literal marker."""
    found = []
    for page in sorted(site.rglob("*.html")):
        for match in RAW_MARKUP.finditer(page.read_text(encoding="utf-8")):
            found.append(f"{page.relative_to(site)}: {match.group(0)!r}")
    assert not found, "raw markup on the site:\n" + "\n".join(found[:40])


def test_the_checker_sees_a_raw_role() -> None:
    """The pattern matches what a leftover role renders to (so the test above can fail)."""
    assert RAW_MARKUP.search("Returns a :class:<code>Config</code>.")
    assert RAW_MARKUP.search("<p>A seed file (YAML)::</p>")
    assert not RAW_MARKUP.search("Returns a <code>Config</code>.")
