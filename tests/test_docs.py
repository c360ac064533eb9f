"""The generated reference pages match the code, and README and CI agree on the test command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rideinfra.cli import _docgen

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("page", sorted(_docgen.PAGES))
def test_generated_reference_is_current(page: str) -> None:
    """docs/reference/PAGE is what `python -m rideinfra.cli._docgen` writes today."""
    committed = (REPO / "docs" / "reference" / page).read_text(encoding="utf-8")
    assert committed == _docgen.PAGES[page](), (
        f"docs/reference/{page} is stale: run `python -m rideinfra.cli._docgen`"
    )


def test_every_transform_has_a_worked_example() -> None:
    """Each transform of the config has an in/out example in the reference."""
    from rideinfra.profiles.config import TRANSFORM_NAMES

    assert sorted(name for name, _, _ in _docgen.TRANSFORM_EXAMPLES) == sorted(TRANSFORM_NAMES)


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run contains the README's test command verbatim."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n(python3 -m venv .*?)\n```", readme)
    assert len(commands) == 2, "the README's first screen has exactly two commands"
    assert commands[1] in (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "rideinfra demo" in commands[0]
