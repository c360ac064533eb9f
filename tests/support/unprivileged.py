"""Running a check as an unprivileged user, for tests of permission errors (root ignores them)."""

from __future__ import annotations

import functools
import os
import subprocess
import sys

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
