"""What the fault, bad-input and leak tests share: running an entrypoint, snapshots, configs.

Imported as ``faults.kit`` (``tests`` is on the path). Nothing here is a
double: the entrypoints run for real, in this process (``fetch.main``) or in
a child (``python -m rideinfra.fetch``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from rideinfra import fetch
from rideinfra.render.write import write_files

#: The previous run's file set, put in the output directory before a failing run.
PREVIOUS = {"core.env": b"OLD_CORE=1\n", "monitoring.env": b"OLD_MONITORING=1\n"}


@dataclass(frozen=True)
class Run:
    """One entrypoint run: exit code, what it printed, how long it took."""

    code: int
    out: str
    err: str
    seconds: float

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]

    def records(self) -> list[dict[str, Any]]:
        """stderr of a ``--log-format json`` run, one object per line (fails on any other line)."""
        records = []
        for number, line in enumerate(self.err_lines, 1):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                # All of stderr, so a line from elsewhere (another thread) shows where it came from.
                pytest.fail(f"stderr line {number} is not a JSON record:\n{self.err}")
        return records

    def error_lines(self) -> list[str]:
        """The messages of the error records of a ``--log-format json`` run."""
        return [r["message"] for r in self.records() if r["level"] == "error"]


def run_fetch(
    capsys: pytest.CaptureFixture[str], argv: Sequence[str], environ: Mapping[str, str]
) -> Run:
    """``fetch.main(argv, environ)`` in this process, with what it printed."""
    capsys.readouterr()
    started = time.monotonic()
    code = fetch.main(list(argv), dict(environ))
    seconds = time.monotonic() - started
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err, seconds)


def run_module(
    module: str, argv: Sequence[str], environ: Mapping[str, str], *, timeout: float = 120
) -> Run:
    """``python -m <module> argv`` in a child process, as an init container runs it."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", module, *argv],
        env=dict(environ),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


def aws_environ(aws_env: Mapping[str, str], url: str, **extra: str) -> dict[str, str]:
    """An init container's environment: endpoint, region, fake credentials, PATH.

    PYTHONPATH is passed on when set, so a child process imports the tree
    under test (a worktree's `src`) rather than the installed package.
    """
    inherited = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}
    return {
        **aws_env,
        "AWS_ENDPOINT_URL": url,
        "PATH": os.environ.get("PATH", ""),
        **inherited,
        **extra,
    }


def write_config(
    path: Path,
    profiles: Mapping[str, Sequence[Any]],
    *,
    source: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Any] | None = None,
) -> Path:
    """A rideinfra.yaml with ``profiles`` (name -> secret refs), AWS source by default."""
    document: dict[str, Any] = {
        "version": 1,
        "source": dict(source or {"type": "aws-secretsmanager"}),
        "profiles": {name: {"secrets": list(refs)} for name, refs in profiles.items()},
    }
    if secrets:
        document["secrets"] = dict(secrets)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def snapshot(directory: Path) -> dict[str, tuple[str, object, int]]:
    """Every entry under ``directory`` (hidden ones too): kind, bytes or link target, mtime."""
    if not directory.exists() and not directory.is_symlink():
        return {}
    seen: dict[str, tuple[str, object, int]] = {}
    for root, dirs, files in os.walk(directory):
        for name in [*dirs, *files]:
            path = Path(root, name)
            st = path.lstat()
            rel = str(path.relative_to(directory))
            if path.is_symlink():
                seen[rel] = ("link", os.readlink(path), st.st_mtime_ns)
            elif path.is_dir():
                seen[rel] = ("dir", None, st.st_mtime_ns)
            else:
                seen[rel] = ("file", path.read_bytes(), st.st_mtime_ns)
    return seen


def previous_set(directory: Path) -> dict[str, tuple[str, object, int]]:
    """Put the previous run's files in ``directory``; return its snapshot."""
    write_files(directory, PREVIOUS)
    return snapshot(directory)


def public_files(directory: Path) -> dict[str, bytes]:
    """The files a consumer reads: non-hidden names, through their links."""
    return {
        p.name: p.read_bytes() for p in sorted(directory.iterdir()) if not p.name.startswith(".")
    }


def within(seconds: float, action: Callable[[], Run]) -> Run:
    """Run ``action`` and require it to finish within ``seconds``."""
    run = action()
    assert run.seconds < seconds, f"took {run.seconds:.1f}s (bound {seconds}s)"
    return run
