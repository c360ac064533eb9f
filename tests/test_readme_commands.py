"""The README's two commands, verbatim, in a fresh copy of the repository and a fresh venv.

All three tests share one copy and its one `.venv` (command 1 installs `[local]`,
command 2 adds `[dev]` to it); xdist runs a file in one worker
(`--dist loadfile`). Each builds a venv and installs into it (about 3.5 minutes
of one worker on the 2-core development machine, a third of the README's own
test command), so they are marked `long`: CI runs them (`.ci/run`:
`pytest -m long`), right after running command 2 itself on a fresh clone. The
default run keeps what they check without a fresh venv: `rideinfra demo`'s
four files, masking and rerun (tests/cli/test_fetch_e2e.py), and that the README
offers exactly these two commands (below).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Set for the inner test run started by the second command, so it does not recurse.
INNER = "RIDEINFRA_README_INNER_RUN"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(bool(os.environ.get(INNER)), reason="inside the README's own test run"),
]


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(python3 -m venv .*?)\n```", text)


@pytest.fixture(scope="module", name="checkout")
def _checkout() -> Iterator[Path]:
    """The repository's files (tracked and new, not ignored) copied to a fresh directory.

    Not under pytest's 0700 temporary root: the suite inside runs some checks as
    an unprivileged user, who must be able to reach the copy and its venv.
    """
    top = Path(tempfile.mkdtemp(prefix="rideinfra-readme-"))
    top.chmod(0o755)
    target = top / "rideinfra"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        source = REPO / raw.decode()
        if source.is_file():
            destination = target / raw.decode()
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    yield target
    shutil.rmtree(top, ignore_errors=True)


def run(command: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(cwd)),
        INNER: "1",
        **extra,
    }
    for passthrough in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "LANG"):
        if passthrough in os.environ:
            env[passthrough] = os.environ[passthrough]
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )


def test_readme_has_exactly_two_commands() -> None:
    """The first screen offers exactly two copy-paste commands."""
    assert len(readme_commands()) == 2


@pytest.mark.long
def test_main_job_command(checkout: Path) -> None:
    """Command 1 installs, seeds an embedded endpoint, fetches, lists four files masked."""
    proc = run(readme_commands()[0], checkout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for line in (
        "core.env  (6 variables)",
        "data-pipeline.env  (17 variables)",
        "monitoring.env  (2 variables)",
        "spark-testing.env  (4 variables)",
        "API_KEY=**********",
    ):
        assert line in proc.stdout
    assert "dev-api-key" not in proc.stdout + proc.stderr
    written = checkout / "demo-secrets"
    mtimes = {p.name: p.stat().st_mtime_ns for p in written.glob("*.env")}
    assert len(mtimes) == 4
    again = run(readme_commands()[0], checkout)
    assert again.returncode == 0, again.stderr[-3000:]
    assert {p.name: p.stat().st_mtime_ns for p in written.glob("*.env")} == mtimes


@pytest.mark.long
def test_test_suite_command_installs_and_collects(checkout: Path) -> None:
    """Command 2 installs the dev extra; every test collects there, none skipped, none erroring."""
    proc = run(readme_commands()[1], checkout, PYTEST_ADDOPTS="--collect-only -q")
    tail = proc.stdout[-3000:]
    assert proc.returncode == 0, tail + proc.stderr[-2000:]
    assert re.search(r"\d+ tests? collected", tail), tail
    for trouble in ("skipped", "error"):
        assert trouble not in tail.splitlines()[-1], tail


@pytest.mark.long
def test_test_suite_command(checkout: Path) -> None:
    """Command 2 installs the dev extra and runs the whole suite green."""
    proc = run(readme_commands()[1], checkout)
    tail = proc.stdout[-3000:]
    assert proc.returncode == 0, _failures(proc.stdout) + tail + proc.stderr[-2000:]
    assert re.search(r"\d+ passed", tail)
    assert " failed" not in tail


def _failures(stdout: str) -> str:
    """The inner run's FAILURES section, which the tail alone cuts off (its skip list is long)."""
    start = stdout.find("= FAILURES =")
    return "" if start < 0 else stdout[start : start + 8000] + "\n...\n"
