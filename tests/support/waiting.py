"""Waiting in tests for what another process or thread does: polled, with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 20.0, *, every: float = 0.02) -> T:
    """`predicate`'s first truthy result, polled every `every` seconds.

    Raises:
        AssertionError: none within `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g} s")
