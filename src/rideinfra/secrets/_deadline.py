"""Run blocking work on threads, and give up on it at a deadline.

botocore's timeouts bound each socket operation, not a request: an answer
trickled a byte at a time under `read_timeout` never times out, and no
botocore setting bounds a whole fetch. So the AWS source runs its requests
on daemon threads and stops waiting for them when the fetch's deadline
passes. A thread still blocked in a read is abandoned: being a daemon, it
cannot keep the process from exiting, and it ends with its connection.
Work that loops (pagination) checks `Deadline.check` between requests, so
an abandoned thread stops at its next step instead of asking on for ever.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = ["Deadline", "DeadlinePassed", "run_within"]

_T = TypeVar("_T")
_R = TypeVar("_R")


class DeadlinePassed(Exception):
    """The deadline passed before the work finished."""


class Deadline:
    """A point in time, `seconds` from now (monotonic clock)."""

    __slots__ = ("_at", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left; 0 once passed."""
        return max(0.0, self._at - time.monotonic())

    def check(self) -> None:
        """Raise `DeadlinePassed` once the deadline has passed.

        Raises:
            DeadlinePassed: it has.
        """
        if time.monotonic() >= self._at:
            raise DeadlinePassed


def run_within(
    work: Callable[[_T], _R],
    items: Sequence[_T],
    *,
    deadline: Deadline,
    workers: int,
    name: str,
) -> list[_R]:
    """`work(item)` for each item on at most `workers` daemon threads; results in item order.

    The first exception a call raises is raised here, and no further item is
    started. Calls in progress are left to finish on their own.

    Raises:
        DeadlinePassed: the deadline passed first; the results are dropped.
    """
    results: dict[int, _R] = {}
    failures: list[BaseException] = []
    queue = iter(range(len(items)))
    lock = threading.Lock()
    finished = threading.Event()
    stopped = False

    def worker() -> None:
        while True:
            with lock:
                index = None if stopped or failures else next(queue, None)
            if index is None:
                return
            try:
                result = work(items[index])
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                with lock:
                    failures.append(exc)
                finished.set()
                return
            with lock:
                results[index] = result
                if len(results) == len(items):
                    finished.set()

    if not items:
        return []
    for number in range(min(workers, len(items))):
        threading.Thread(target=worker, name=f"{name}-{number}", daemon=True).start()
    in_time = finished.wait(deadline.remaining())
    with lock:
        stopped = True
        if failures:
            raise failures[0]
        if not in_time and len(results) < len(items):
            raise DeadlinePassed
        return [results[index] for index in range(len(items))]
