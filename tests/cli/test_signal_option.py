"""`watch --signal` and `run --reload-signal`: a signal a service can reload on, or exit 2."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from rideinfra.cli.watch import parse_signal_option

RIDEINFRA = [sys.executable, "-m", "rideinfra.cli"]


@pytest.mark.parametrize(
    ("text", "number"),
    [("HUP", signal.SIGHUP), ("sighup", signal.SIGHUP), ("USR1", signal.SIGUSR1), ("15", 15)],
)
def test_names_and_numbers(text: str, number: int) -> None:
    assert parse_signal_option(text) == number


@pytest.mark.parametrize("text", ["KILL", "SIGKILL", "9", "STOP", "sigstop", str(signal.SIGSTOP)])
def test_a_signal_no_service_can_catch_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="cannot be caught"):
        parse_signal_option(text)


@pytest.mark.parametrize("text", ["RELOAD", "0", "999", ""])
def test_not_a_signal(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="not a signal"):
        parse_signal_option(text)


@pytest.mark.parametrize(
    "argv",
    [
        ["watch", "--once", "--signal", "KILL", "--pid-file", "p"],
        ["run", "--watch", "--reload-signal", "STOP", "--", "true"],
    ],
)
def test_exit_2_before_anything_runs(argv: list[str], tmp_path: Path) -> None:
    done = subprocess.run(
        [*RIDEINFRA, *argv],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "cannot be caught" in done.stderr
    assert list(tmp_path.iterdir()) == []
