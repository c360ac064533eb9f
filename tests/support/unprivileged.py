"""Running a check as an unprivileged user, for tests of permission errors (root ignores them)."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

NOBODY = ("--reuid=65534", "--regid=65534", "--clear-groups")


@functools.cache
def nobody_can_run_rideinfra() -> bool:
    """True when uid 65534 can start this interpreter and import rideinfra from here.

    Not so when the checkout (or its venv) sits under a directory only root
    may enter, e.g. a 0700 temporary directory.
    """
    if os.geteuid() != 0:
        return True
    proc = subprocess.run(
        ["setpriv", *NOBODY, "--", sys.executable, "-c", "import rideinfra"],
        capture_output=True,
        check=False,
        cwd="/",
    )
    return proc.returncode == 0


def require_nobody() -> None:
    """Skip the calling test when the unprivileged user cannot run rideinfra here."""
    if not nobody_can_run_rideinfra():
        pytest.skip("uid 65534 cannot reach this checkout (it sits under a root-only directory)")


@contextlib.contextmanager
def readonly_tree(prefix: str) -> Iterator[Path]:
    """A 0755 directory (outside pytest's 0700 tmp root) whose ``ro/`` nobody may write.

    Root ignores permission bits, so for root ``ro/`` stays 0755 and the tests
    drop to uid 65534 to be refused; for other users it is 0555.
    """
    top = Path(tempfile.mkdtemp(prefix=prefix))
    top.chmod(0o755)
    (top / "ro").mkdir(mode=0o755)
    (top / "ro").chmod(0o555 if os.geteuid() else 0o755)
    try:
        yield top
    finally:
        (top / "ro").chmod(0o755)
        shutil.rmtree(top)
