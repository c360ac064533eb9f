"""The one place exceptions become exit codes, and the `python -m` shims that reach it."""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

import pytest

from rideinfra.cli.base import Handler, run_command
from rideinfra.cli.options import add_log
from rideinfra.errors import ConfigError, SourceError

SENTINEL = "s3cr3t-Sentinel-51ab"
SRC = Path(__file__).resolve().parents[2] / "src" / "rideinfra"


def parser() -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(prog="t")
    add_log(made)
    return made


def fails_with(exc: BaseException) -> Handler:
    def handler(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
        raise exc

    return handler


class TestRunCommand:
    @pytest.mark.parametrize(
        ("error", "code"), [(ConfigError("bad key"), 2), (SourceError("down"), 1)]
    )
    def test_our_errors_exit_with_their_code(
        self, error: Exception, code: int, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A RideinfraError is one log line and its exit_code."""
        assert (
            run_command(parser(), [], {}, logging.getLogger("rideinfra.t"), fails_with(error))
            == code
        )
        assert capsys.readouterr().err == f"rideinfra: {error}\n"

    def test_a_bug_is_an_internal_error_without_its_message(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Any other exception: exit 1, its type and place; its message is withheld."""
        handler = fails_with(ValueError(SENTINEL))
        assert run_command(parser(), [], {}, logging.getLogger("rideinfra.t"), handler) == 1
        err = capsys.readouterr().err
        assert err.startswith("rideinfra: internal error: ValueError at test_base.py:")
        assert SENTINEL not in err

    def test_the_handler_gets_the_environment_given(self) -> None:
        """environ is passed through, not read from os.environ."""
        seen: list[Mapping[str, str]] = []

        def handler(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
            seen.append(environ)
            return 0

        assert run_command(parser(), [], {"A": "1"}, logging.getLogger("rideinfra.t"), handler) == 0
        assert seen == [{"A": "1"}]


class TestLoggingAfterTheCommand:
    """A command leaves the `rideinfra` logger as it found it: a request a failed fetch
    left running can log after `main()` returned, and must not find the command's handler
    writing to a stream that is closed by then (CI once failed on the "--- Logging error
    ---" and thread stack this printed into the next test's captured stderr)."""

    def _command_then_close_its_stderr(self, handler: Handler) -> None:
        captured = io.StringIO()
        with contextlib.redirect_stderr(captured):
            run_command(
                parser(), ["--log-format", "json"], {}, logging.getLogger("rideinfra.t"), handler
            )
        captured.close()  # what pytest does to a finished test's capture

    def test_a_late_record_from_a_thread_prints_no_logging_error(self) -> None:
        def logs(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
            logging.getLogger("rideinfra.t").info("during")
            return 0

        before = logging.getLogger("rideinfra")
        level, propagate, handlers = before.level, before.propagate, list(before.handlers)
        self._command_then_close_its_stderr(logs)
        now = io.StringIO()
        late = threading.Thread(
            target=logging.getLogger("rideinfra.t").warning, args=("late %s", "record")
        )
        with contextlib.redirect_stderr(now):
            late.start()
            late.join()
        assert "Logging error" not in now.getvalue()
        assert "Traceback" not in now.getvalue()
        after = logging.getLogger("rideinfra")
        assert (after.level, after.propagate, after.handlers) == (level, propagate, handlers)

    def test_the_command_logs_while_it_runs(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Inside the command the handler is there, in the format asked for."""

        def logs(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
            logging.getLogger("rideinfra.t").info("step %d", 1)
            return 0

        assert (
            run_command(
                parser(), ["--log-format", "json"], {}, logging.getLogger("rideinfra.t"), logs
            )
            == 0
        )
        assert '"message": "step 1"' in capsys.readouterr().err


class TestShims:
    @pytest.mark.parametrize("module", ["rideinfra.fetch", "rideinfra.seed", "rideinfra.cli"])
    def test_python_m_runs(self, module: str) -> None:
        """`python -m` each entry: --version answers, exit 0."""
        proc = subprocess.run(
            [sys.executable, "-m", module, "--version"], capture_output=True, text=True, check=False
        )
        assert (proc.returncode, proc.stdout.startswith("rideinfra ")) == (0, True), proc.stderr

    @pytest.mark.parametrize("name", ["fetch.py", "seed.py"])
    def test_the_shims_are_a_few_lines(self, name: str) -> None:
        """rideinfra/fetch.py and seed.py only call rideinfra.cli."""
        lines = [line for line in (SRC / name).read_text().splitlines() if line.strip()]
        assert len(lines) <= 8
        assert any(line.startswith("from rideinfra.cli.") for line in lines)
