"""`rideinfra watch` given paths it cannot use: one clear line and exit 2, no internal error."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from faults.kit import aws_environ, write_config
from support.moto import MotoEndpoint

RIDEINFRA = [sys.executable, "-m", "rideinfra.cli"]
SENTINEL = "s3ntinel-watch-paths"


@pytest.fixture(name="env")
def _env(sm: MotoEndpoint, aws_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    sm.seed({"app/db": {"DB_PASSWORD": SENTINEL}})
    write_config(tmp_path / "rideinfra.yaml", {"core": ["app/db"]})
    return aws_environ(aws_env, sm.url, RIDEINFRA_CONFIG=str(tmp_path / "rideinfra.yaml"))


def watch_once(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*RIDEINFRA, "watch", "--once", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def a_directory(tmp: Path) -> list[str]:
    (tmp / "rdir").mkdir()
    return ["--out", str(tmp / "out"), "--ready-file", str(tmp / "rdir")]


def under_a_file(tmp: Path) -> list[str]:
    (tmp / "plain").write_text("x")
    return ["--out", str(tmp / "out"), "--ready-file", str(tmp / "plain" / "ready")]


def a_long_name(tmp: Path) -> list[str]:
    return ["--out", str(tmp / "out"), "--ready-file", str(tmp / ("r" * 300))]


def where_no_file_can_be(tmp: Path) -> list[str]:
    # /proc takes no new files: the removal at start passes, the creation fails.
    return ["--out", str(tmp / "out"), "--ready-file", "/proc/rideinfra-ready"]


def out_is_a_file(tmp: Path) -> list[str]:
    (tmp / "plain").write_text("x")
    return ["--out", str(tmp / "plain")]


def out_name_too_long(tmp: Path) -> list[str]:
    return ["--out", str(tmp / ("o" * 300))]


CASES: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    "ready file is a directory": (a_directory, "Is a directory"),
    "ready file under a file": (under_a_file, "Not a directory"),
    "ready file name too long": (a_long_name, "File name too long"),
    "ready file where no file can be": (where_no_file_can_be, "cannot be created"),
    "out is a regular file": (out_is_a_file, "Not a directory"),
    "out name too long": (out_name_too_long, "File name too long"),
}


@pytest.mark.parametrize(("paths", "reason"), CASES.values(), ids=CASES.keys())
def test_a_path_watch_cannot_use(
    env: dict[str, str], tmp_path: Path, paths: Callable[[Path], list[str]], reason: str
) -> None:
    done = watch_once(env, *paths(tmp_path))
    assert done.returncode == 2, done.stderr
    assert "internal error" not in done.stderr
    assert "Traceback" not in done.stderr
    assert reason in done.stderr
    assert "ready file" in done.stderr
    assert SENTINEL not in done.stderr + done.stdout


def test_a_missing_directory_of_the_ready_file_is_created(
    env: dict[str, str], tmp_path: Path
) -> None:
    """As --help says: the ready file's directory is made if it is missing."""
    ready = tmp_path / "run" / "rideinfra" / "ready"
    done = watch_once(env, "--out", str(tmp_path / "out"), "--ready-file", str(ready))
    assert done.returncode == 0, done.stderr
    assert ready.is_file()


def test_an_empty_ready_file_means_none(env: dict[str, str], tmp_path: Path) -> None:
    """`--ready-file ''` is documented as "no ready file": the empty-value rule spares it."""
    out = tmp_path / "out"
    done = watch_once(env, "--out", str(out), "--ready-file", "")
    assert done.returncode == 0, done.stderr
    assert (out / "core.env").is_file()
    assert not (out / ".ready").exists()
