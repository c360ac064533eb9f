"""diff and `fetch --check` read the output directory as the writer does (issue 14 item 14),
and `rideinfra diff` exits like diff(1) (issue 15 section 4).

Planted FIFOs run in a child process with a timeout, so that a regression
fails instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rideinfra import cli

SENTINEL = "Zq9outsideValue42"


def make_store(tmp_path: Path, fields: dict[str, str], *, file_mode: str = "0600") -> Path:
    """A file-backed config writing `core.env` with ``file_mode``; returns the config path."""
    (tmp_path / "store.json").write_text(json.dumps({"app/db": fields}), encoding="utf-8")
    config = tmp_path / "rideinfra.yaml"
    config.write_text(
        "version: 1\nsource: {type: file, path: store.json}\n"
        f"output: {{file_mode: '{file_mode}'}}\n"
        "profiles:\n  core:\n    secrets: [app/db]\n",
        encoding="utf-8",
    )
    return config


def rideinfra(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`python -m rideinfra.cli ARGV` in a child process, bounded by ``timeout``."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "rideinfra.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(argv, {})
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(name="config")
def _config(tmp_path: Path) -> Path:
    return make_store(tmp_path, {"DB_USER": "app", "DB_PASSWORD": "pw-0123456789"})


class TestPlantedEntries:
    @pytest.mark.parametrize("command", ["diff", "check"])
    def test_a_fifo_is_refused_not_opened(self, config: Path, tmp_path: Path, command: str) -> None:
        """A FIFO at `core.env`: refused at once (diff hung forever on it), nothing written."""
        out = tmp_path / "out"
        out.mkdir()
        os.mkfifo(out / "core.env")
        argv = ["diff"] if command == "diff" else ["fetch", "--check"]
        proc = rideinfra(*argv, "--config", str(config), "--out", str(out), timeout=30)
        assert proc.returncode == (2 if command == "diff" else 1), proc.stderr
        assert "core.env is a special file, not a file; move it away" in proc.stderr
        assert sorted(p.name for p in out.iterdir()) == ["core.env"]

    @pytest.mark.parametrize("show_values", [False, True], ids=["names", "--show-values"])
    def test_a_planted_symlink_is_not_followed(
        self, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], show_values: bool
    ) -> None:
        """`core.env -> ../outside.env`: refused; none of the target's names or values shown."""
        outside = tmp_path / "outside.env"
        outside.write_text(f"OUTSIDE_ONLY_NAME={SENTINEL}\n", encoding="utf-8")
        out = tmp_path / "out"
        out.mkdir()
        (out / "core.env").symlink_to(outside)
        argv = ["diff", "--config", str(config), "--out", str(out)]
        code, printed, err = main([*argv, "--show-values"] if show_values else argv, capsys)
        assert code == 2
        assert "is a symlink to" in err
        assert "rideinfra never writes through such links" in err
        assert "OUTSIDE_ONLY_NAME" not in printed + err
        # Not even the value's tail; the paths in the messages are not the value's to match
        # (pytest's base directory numbers grew to pytest-423 here once).
        assert SENTINEL[-2:] not in (printed + err).replace(str(tmp_path), "")
        assert outside.read_text(encoding="utf-8") == f"OUTSIDE_ONLY_NAME={SENTINEL}\n"

    def test_check_refuses_the_symlink_too(
        self, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`fetch --check` reads through the same function: the same refusal."""
        (tmp_path / "outside.env").write_text("DB_USER=app\n", encoding="utf-8")
        out = tmp_path / "out"
        out.mkdir()
        (out / "core.env").symlink_to(tmp_path / "outside.env")
        code, _, err = main(
            ["fetch", "--check", "--config", str(config), "--out", str(out)], capsys
        )
        assert code == 1
        assert "rideinfra never writes through such links" in err


class TestFileMode:
    def test_a_0644_file_where_0600_is_configured_is_a_change(
        self, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """check and diff agree with --dry-run: the mode is part of "changed"."""
        out = tmp_path / "out"
        base = ["--config", str(config), "--out", str(out)]
        assert main(["fetch", *base], capsys)[0] == 0
        (out / "core.env").chmod(0o644)  # the version's file, through our own link
        code, _, err = main(["fetch", "--dry-run", *base], capsys)
        assert (code, "would write" in err) == (0, True)
        code, _, err = main(["fetch", "--check", *base], capsys)
        assert code == 1, err  # was 0, "up to date"
        assert "out of date" in err
        code, printed, _ = main(["diff", *base, "--json"], capsys)
        assert code == 1
        (core,) = json.loads(printed)
        assert (core["state"], core["mode"], core["changed"]) == ("changed", ["0644", "0600"], [])
        code, printed, _ = main(["diff", *base], capsys)
        assert "core.env\tmode\t(file mode 0644 -> 0600)" in printed
        assert main(["fetch", *base], capsys)[0] == 0
        assert (out / "core.env").stat().st_mode & 0o777 == 0o600
        assert main(["fetch", "--check", *base], capsys)[0] == 0
        assert main(["diff", *base], capsys)[0] == 0


class TestDiffExitCodes:
    def test_0_same_1_differs_2_trouble(
        self, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """0 when a fetch would change nothing, 1 when it would, 2 when diff cannot tell."""
        out = tmp_path / "out"
        base = ["diff", "--config", str(config), "--out", str(out)]
        assert main(base, capsys)[0] == 1  # every file new
        assert main(["fetch", "--config", str(config), "--out", str(out)], capsys)[0] == 0
        code, printed, err = main(base, capsys)
        assert code == 0
        assert "core.env\tunchanged" in printed
        assert "up to date" in err
        make_store(tmp_path, {"DB_USER": "app", "DB_PASSWORD": "pw-changed-99"})
        assert main(base, capsys)[0] == 1
        (tmp_path / "store.json").write_text("{}", encoding="utf-8")  # app/db is gone
        code, printed, err = main(base, capsys)
        assert code == 2  # was 1, as a difference is now
        assert "app/db" in err
        assert printed == ""
        assert main([*base, "--profile", "nosuch"], capsys)[0] == 2

    def test_show_values_shows_new_for_added_variables(
        self, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An added variable's NEW is masked like a changed one's (it was blank)."""
        out = tmp_path / "out"
        assert main(["fetch", "--config", str(config), "--out", str(out)], capsys)[0] == 0
        make_store(tmp_path, {"DB_USER": "app", "DB_HOST": "db-host-77"})
        argv = ["diff", "--config", str(config), "--out", str(out), "--show-values"]
        code, printed, err = main(argv, capsys)
        assert code == 1
        rows = {tuple(line.split("\t")[1:3]): line.split("\t")[3:] for line in printed.splitlines()}
        assert rows[("added", "DB_HOST")] == ["", "********77"]
        assert rows[("removed", "DB_PASSWORD")] == ["********89", ""]
        assert "db-host" not in printed + err
        assert "pw-0123" not in printed + err

    def test_help_lists_diffs_own_exit_codes(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`rideinfra diff --help` documents 0/1/2 as diff uses them, not fetch's."""
        with pytest.raises(SystemExit):
            cli.main(["diff", "--help"], {})
        text = capsys.readouterr().out
        assert "1  a fetch would change something" in text
        assert "files written" not in text
