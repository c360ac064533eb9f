"""`rideinfra run` where the command cannot get what it is given: refused by name, never internal.

Each case drives the real CLI in a child process against moto, with and
without `--watch`: a value that is not UTF-8 text, one over MAX_ARG_STRLEN,
an environment over ARG_MAX, a command that cannot be executed, and the
signal dispositions the command inherits. None may end in "internal error",
and the command never starts on a refused value.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from faults.kit import aws_environ
from support.moto import MotoEndpoint
from support.waiting import wait_for

RIDEINFRA = [sys.executable, "-m", "rideinfra.cli"]
SENTINEL = "s3ntinel-exec-value"
MODES = {"exec": [], "watch": ["--watch", "--interval", "0.1"]}


def write_profiles(path: Path, profiles: Mapping[str, Mapping[str, Any]]) -> Path:
    document = {
        "version": 1,
        "source": {"type": "aws-secretsmanager"},
        "profiles": {name: dict(body) for name, body in profiles.items()},
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(name="env")
def _env(sm: MotoEndpoint, aws_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    sm.seed({"app/db": {"DB_PASSWORD": SENTINEL}})
    config = write_profiles(tmp_path / "rideinfra.yaml", {"core": {"secrets": ["app/db"]}})
    return aws_environ(aws_env, sm.url, RIDEINFRA_CONFIG=str(config))


def rideinfra_run(
    env: Mapping[str, str], mode: str, command: Sequence[str], *options: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*RIDEINFRA, "run", *MODES[mode], *options, "--", *command],
        env=dict(env),
        capture_output=True,
        timeout=120,
        check=False,
    )


def assert_refused(done: subprocess.CompletedProcess[bytes], code: int, *words: str) -> str:
    err = done.stderr.decode("utf-8", "backslashreplace")
    assert done.returncode == code, err
    assert "internal error" not in err
    assert SENTINEL not in err
    errors = [line for line in err.splitlines() if not line.startswith("rideinfra: config ")]
    for word in words:
        assert any(word in line for line in errors), err
    return err


@pytest.mark.parametrize("mode", sorted(MODES))
class TestValues:
    @pytest.mark.parametrize("value", ["\ud800x", "\udc80", "ok\udfff"])
    def test_a_lone_surrogate_is_refused_by_name(
        self, env: dict[str, str], sm: MotoEndpoint, tmp_path: Path, mode: str, value: str
    ) -> None:
        """Was `internal error: UnicodeEncodeError`, or (U+DC80) byte 0x80 passed on, exit 0."""
        sm.seed({"app/odd": {"ODD": value}})
        write_profiles(tmp_path / "rideinfra.yaml", {"core": {"secrets": ["app/db", "app/odd"]}})
        marker = tmp_path / "ran"
        done = rideinfra_run(env, mode, ["dash", "-c", f"touch {marker}"])
        assert_refused(done, 1, "variable ODD", "lone surrogate")
        assert not marker.exists()

    def test_non_ascii_is_passed_as_utf8_whatever_the_locale(
        self, env: dict[str, str], sm: MotoEndpoint, tmp_path: Path, mode: str
    ) -> None:
        """Under an ASCII locale os.environ's encoding refused it (internal error)."""
        sm.seed({"app/text": {"TEXT": "é€ \U0010ffff"}})
        write_profiles(tmp_path / "rideinfra.yaml", {"core": {"secrets": ["app/text"]}})
        ascii_locale = {**env, "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0", "LC_ALL": "C"}
        done = rideinfra_run(ascii_locale, mode, ["dash", "-c", 'printf %s "$TEXT"'])
        assert done.returncode == 0, done.stderr
        assert done.stdout == "é€ \U0010ffff".encode()

    def test_a_variable_over_max_arg_strlen_is_refused_by_name(
        self, env: dict[str, str], sm: MotoEndpoint, tmp_path: Path, mode: str
    ) -> None:
        """3 x 60,000 characters via a template: was `internal error: OSError` (E2BIG)."""
        sm.seed({"app/big": {"A": "a" * 60_000}})
        profile = {"secrets": ["app/big"], "template": {"BIG": "{A}{A}{A}"}}
        write_profiles(tmp_path / "rideinfra.yaml", {"core": profile})
        marker = tmp_path / "ran"
        done = rideinfra_run(env, mode, ["dash", "-c", f"touch {marker}"])
        assert_refused(done, 1, "variable BIG is 180004 bytes", "MAX_ARG_STRLEN")
        assert not marker.exists()

    def test_an_environment_over_arg_max_is_refused_naming_the_largest(
        self, env: dict[str, str], sm: MotoEndpoint, tmp_path: Path, mode: str
    ) -> None:
        """60 x 120,000 bytes: each under MAX_ARG_STRLEN, together over any ARG_MAX (6 MiB cap)."""
        sm.seed({"app/big": {"A": "a" * 60_000}})
        template = {f"V{i:02d}": "{A}{A}" for i in range(60)}
        write_profiles(
            tmp_path / "rideinfra.yaml",
            {"core": {"secrets": ["app/big"], "template": template}},
        )
        marker = tmp_path / "ran"
        done = rideinfra_run(env, mode, ["dash", "-c", f"touch {marker}"])
        assert_refused(done, 1, "ARG_MAX", "V00 (120004 bytes)")
        assert not marker.exists()


# A python child that writes its pid to OUT.<pid> and notes the signals it gets.
CHILD = """\
import os, signal, sys, time
out = sys.argv[1]
def note(sig, _):
    with open(out + '.signals', 'a') as f:
        f.write(signal.Signals(sig).name + '\\n')
    sys.exit(0)
signal.signal(signal.SIGTERM, note)
with open(out + '.%d' % os.getpid(), 'w') as f:
    f.write(os.environ.get('A', '')[:20])
while True:
    time.sleep(0.05)
"""


def starts(record: Path) -> list[Path]:
    return sorted(record.parent.glob(record.name + ".[0-9]*"), key=lambda p: p.stat().st_mtime_ns)


ROTATIONS = {
    "lone surrogate": ({}, "\udc80"),
    "over MAX_ARG_STRLEN": ({"template": {"BIG": "{A}{A}{A}"}}, "a" * 60_000),
    "over ARG_MAX": ({"template": {f"V{i:02d}": "{A}{A}" for i in range(60)}}, "a" * 60_000),
}


@pytest.mark.parametrize("rotation", sorted(ROTATIONS))
def test_watch_rotation_to_a_refused_value_keeps_the_child(
    env: dict[str, str], sm: MotoEndpoint, tmp_path: Path, rotation: str
) -> None:
    """A failed poll, not a restart: the old child got SIGTERM, then internal error."""
    extra, refused = ROTATIONS[rotation]
    sm.seed({"app/a": {"A": "first"}})
    write_profiles(tmp_path / "rideinfra.yaml", {"core": {"secrets": ["app/a"], **extra}})
    record = tmp_path / "child"
    log = tmp_path / "stderr"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [*RIDEINFRA, "run", *MODES["watch"], "--", sys.executable, "-c", CHILD, str(record)],
            env=env,
            stderr=stderr,
        )
    try:
        (first,) = wait_for(lambda: starts(record))
        sm.client().put_secret_value(SecretId="app/a", SecretString=json.dumps({"A": refused}))
        wait_for(lambda: log.read_text("utf-8", "replace").count("poll failed") >= 2)
        assert starts(record) == [first]
        assert not Path(f"{record}.signals").exists()
        assert proc.poll() is None
        # Still polling, and a good value after the refused one restarts it.
        sm.client().put_secret_value(SecretId="app/a", SecretString='{"A": "second"}')
        wait_for(lambda: len(starts(record)) == 2)
        assert starts(record)[1].read_text() == "second"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    err = log.read_text("utf-8", "replace")
    assert proc.returncode == 0, err
    assert "internal error" not in err
    assert "the command keeps its values" in err


@pytest.fixture(name="bad_commands")
def _bad_commands(tmp_path: Path) -> dict[str, tuple[list[str], int, str]]:
    no_shebang = tmp_path / "no-shebang"
    no_shebang.write_text("echo hi\n")
    no_shebang.chmod(0o755)
    not_executable = tmp_path / "not-executable"
    not_executable.write_text("#!/bin/sh\necho hi\n")
    not_executable.chmod(0o644)
    bad_interpreter = tmp_path / "bad-interpreter"
    bad_interpreter.write_text("#!/no/such/interpreter\n")
    bad_interpreter.chmod(0o755)
    directory = tmp_path / "a-directory"
    directory.mkdir()
    return {
        "no #! line (ENOEXEC)": ([str(no_shebang)], 126, f"{no_shebang}: exec format error"),
        "a file as a directory (ENOTDIR)": (["/etc/passwd/x"], 126, "/etc/passwd/x: Not a dir"),
        "empty name": ([""], 127, "command not found: ''"),
        "a directory": ([str(directory)], 126, f"{directory}: it is a directory"),
        "not executable": ([str(not_executable)], 126, f"{not_executable}: permission denied"),
        "missing #! interpreter": ([str(bad_interpreter)], 127, "interpreter is missing"),
        "not on PATH": (["no-such-command-xyz"], 127, "command not found: no-such-command-xyz"),
    }


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize(
    "case",
    [
        "no #! line (ENOEXEC)",
        "a file as a directory (ENOTDIR)",
        "empty name",
        "a directory",
        "not executable",
        "missing #! interpreter",
        "not on PATH",
    ],
)
def test_a_command_that_cannot_run_is_one_line_and_126_or_127(
    env: dict[str, str], bad_commands: dict[str, tuple[list[str], int, str]], mode: str, case: str
) -> None:
    """As env(1) and shells: 127 not found, 126 found but not runnable; was internal error."""
    command, code, words = bad_commands[case]
    done = rideinfra_run(env, mode, command, "--quiet")
    err = assert_refused(done, code, words)
    assert len(err.strip().splitlines()) == 1, err


def test_not_found_on_path_despite_a_file_among_its_directories(env: dict[str, str]) -> None:
    """A PATH entry that is a file answers ENOTDIR: still "not found", as env(1) says."""
    path = f"{os.environ.get('PATH', '')}:/etc/passwd"
    for mode in sorted(MODES):
        done = rideinfra_run({**env, "PATH": path}, mode, ["no-such-command-xyz"])
        assert_refused(done, 127, "command not found: no-such-command-xyz")


def test_an_environment_entry_with_an_empty_name_is_left_out_with_a_warning(
    env: dict[str, str],
) -> None:
    """`=x` in the environment: execve in Python refuses it; was internal error (ValueError)."""
    for mode in sorted(MODES):
        done = rideinfra_run({**env, "": "x"}, mode, ["dash", "-c", 'printf %s "$DB_PASSWORD"'])
        assert done.returncode == 0, done.stderr
        assert done.stdout == SENTINEL.encode()
        assert b"environment entry '' cannot be passed on" in done.stderr


class TestSignals:
    def test_exec_gives_the_command_sigpipe_at_its_default(self, env: dict[str, str]) -> None:
        """`rideinfra run -- yes | head -1` ends as `yes | head -1` does: killed by SIGPIPE."""
        for mode, status in (("exec", -signal.SIGPIPE), ("watch", 128 + signal.SIGPIPE)):
            proc = subprocess.Popen(
                [*RIDEINFRA, "run", *MODES[mode], "--quiet", "--", "yes"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            assert proc.stdout is not None
            assert proc.stdout.readline() == b"y\n"
            proc.stdout.close()
            try:
                err = proc.communicate(timeout=60)[1]
            finally:
                proc.kill()
            assert proc.returncode == status, (mode, err)
            assert b"Broken pipe" not in err

    def test_no_signal_is_ignored_that_env_would_not_ignore(self, env: dict[str, str]) -> None:
        """The command's SigIgn mask is env(1)'s: Python's SIG_IGN of SIGPIPE, SIGXFSZ undone."""
        show = ["grep", "SigIgn", "/proc/self/status"]
        expected = subprocess.run(["env", *show], capture_output=True, check=True).stdout
        for mode in sorted(MODES):
            done = rideinfra_run(env, mode, show, "--quiet")
            assert done.returncode == 0, done.stderr
            assert done.stdout == expected, mode
