"""docs/reliability.md stays true: every test it names exists, every catalogue test is named."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.faults

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "reliability.md"
#: Test files whose every test (each parameter included) must appear in the doc.
CATALOGUE = (
    "test_bad_input.py",
    "test_fetch_faults.py",
    "test_scale.py",
    "test_store_faults.py",
)
REFERENCE = re.compile(r"`(test_\w+\.py)::([^`]+)`")


def referenced() -> set[str]:
    """``file.py::Class::test[id]`` references in the doc."""
    return {f"{file}::{rest}" for file, rest in REFERENCE.findall(DOC.read_text("utf-8"))}


def find(basename: str) -> Path:
    (path,) = (REPO / "tests").rglob(basename)
    return path


def collected(files: set[str]) -> set[str]:
    """Node ids pytest collects from ``files``, as ``basename::Class::test[id]``."""
    return {node for node in _collected() if node.split("::")[0] in files}


@functools.cache
def _collected() -> frozenset[str]:
    # One collection (a pytest child process, seconds) for both tests: every
    # file the doc names and the catalogue's; each test picks its files.
    files = {ref.split("::")[0] for ref in referenced()} | set(CATALOGUE)
    paths = [str(find(name).relative_to(REPO)) for name in sorted(files)]
    proc = subprocess.run(
        # Every test, the `long` ones (the default run leaves out) included.
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "long or not long",
            *paths,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ids = {line.strip() for line in proc.stdout.splitlines() if "::" in line}
    return frozenset(node.split("/")[-1] for node in ids)


def covers(reference: str, node: str) -> bool:
    return node == reference or ("[" not in reference and node.startswith(reference + "["))


def test_every_named_test_exists() -> None:
    """Each test the doc names is collected by pytest (a bare name covers its parameters)."""
    refs = referenced()
    assert len(refs) > 60
    nodes = collected({ref.split("::")[0] for ref in refs} | set(CATALOGUE))
    missing = sorted(ref for ref in refs if not any(covers(ref, node) for node in nodes))
    assert missing == []


def test_every_catalogue_test_is_named() -> None:
    """Each test (and parameter) of the catalogue files has its row in the doc."""
    refs = referenced()
    nodes = collected(set(CATALOGUE))
    assert len(nodes) > 60
    unlisted = sorted(node for node in nodes if not any(covers(ref, node) for ref in refs))
    assert unlisted == []
