"""`rideinfra demo` lists the variables it resolved, not lines parsed back (issue 14 item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rideinfra import cli
from rideinfra.secrets.model import MASK

#: A seed value of two lines whose second line looks like an assignment.
TWO_LINES = "Zq9first-line\nFAKE_NAME=Zq9second"


def test_a_multi_line_value_lists_one_variable(
    aws_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """API_KEY seeded with two lines (OVERRIDE_API_KEY): one name listed, no FAKE_NAME."""
    out = tmp_path / "demo"
    environ = {**aws_env, "OVERRIDE_API_KEY": TWO_LINES}
    assert cli.main(["demo", "--out", str(out)], environ) == 0
    printed = capsys.readouterr()
    assert TWO_LINES in (out / "core.env").read_text(encoding="utf-8").replace("'", "")
    assert "FAKE_NAME" not in printed.out
    assert f"  API_KEY={MASK}\n" in printed.out
    assert "core.env  (6 variables)" in printed.out
    assert "Zq9" not in printed.out + printed.err
    listed = [line for line in printed.out.splitlines() if line.startswith("  ")]
    assert len(listed) == 6 + 17 + 2 + 4  # core, data-pipeline, monitoring, spark-testing
