"""Run blocking work on threads, and give up on it at a deadline.

botocore's timeouts bound each socket operation, not a request: an answer
trickled a byte at a time under `read_timeout` never times out, and no
botocore setting bounds a whole fetch. So the AWS source runs its requests
on daemon threads (a pool kept between fetches) and stops waiting for them
when the fetch's deadline passes. A thread still blocked in a read is
abandoned: being a daemon, it cannot keep the process from exiting, and it
ends with its connection. Work that loops (pagination) checks
`Deadline.check` between requests, so an abandoned thread stops at its next
step instead of asking on for ever.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from queue import Empty, SimpleQueue
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
) -> list[_R]:
    """`work(item)` for each item on at most `workers` daemon threads; results in item order.

    The threads are the process's pool (`_Pool`), kept between calls: a
    fetch of 1,000 secrets is 50 requests, and starting 50 threads for each
    fetch cost more client time than some of the requests themselves (each
    `Thread.start()` waits for the new thread to run).

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
    runners = min(workers, len(items))

    def runner() -> Callable[[], object] | None:
        nonlocal runners
        while True:
            with lock:
                index = None if stopped or failures else next(queue, None)
                if index is None:
                    runners -= 1
                    # The last runner out, every result in: the caller may go on once
                    # this thread is back in the pool (so its next call finds it idle).
                    return finished.set if runners == 0 and len(results) == len(items) else None
            try:
                result = work(items[index])
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                with lock:
                    failures.append(exc)
                finished.set()  # at once: other calls may still be blocked
                return None
            with lock:
                results[index] = result

    if not items:
        return []
    for _ in range(runners):
        _POOL.submit(runner)
    in_time = finished.wait(deadline.remaining())
    with lock:
        stopped = True
        if failures:
            raise failures[0]
        if not in_time and len(results) < len(items):
            raise DeadlinePassed
        return [results[index] for index in range(len(items))]


class _Pool:
    """Daemon threads that run submitted calls, kept while busy and for `idle_seconds` after.

    A call never waits for another: when no thread is idle, `submit` starts
    one. So a thread abandoned at a deadline (still blocked in a read) only
    costs one more thread, never a place in line. An idle thread ends after
    `idle_seconds`; a forked child starts with an empty pool (the parent's
    threads do not exist there).
    """

    def __init__(self, idle_seconds: float = 30.0) -> None:
        self._idle_seconds = idle_seconds
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._tasks: SimpleQueue[Callable[[], Callable[[], object] | None]] = SimpleQueue()
        # Idle threads no submitted call has been counted on yet.
        self._idle = 0
        self._started = 0
        self._running = 0

    def submit(self, call: Callable[[], Callable[[], object] | None]) -> None:
        """Run `call` on an idle thread, else a new one; what it returns is called after.

        That is, after the thread is counted idle again: a caller woken by it
        finds the thread free for its next call.
        """
        with self._lock:
            self._running += 1
            start = self._idle == 0
            if start:
                self._started += 1
                number = self._started
            else:
                self._idle -= 1  # that thread's next call is this one
            self._tasks.put(call)
        if start:
            thread = threading.Thread(
                target=self._serve,
                args=(self._tasks,),
                name=f"rideinfra-worker-{number}",
                daemon=True,
            )
            thread.start()

    def running(self) -> int:
        """Calls submitted and not yet returned, abandoned ones included."""
        with self._lock:
            return self._running

    def _serve(self, tasks: SimpleQueue[Callable[[], Callable[[], object] | None]]) -> None:
        while True:
            try:
                call = tasks.get(timeout=self._idle_seconds)
            except Empty:
                with self._lock:
                    if self._idle > 0:  # an idle thread no submit counts on: this one ends
                        self._idle -= 1
                        return
                continue  # every idle thread is counted on: a call is on its way here
            after = call()
            with self._lock:
                self._idle += 1
                self._running -= 1
            if after is not None:
                after()


_POOL = _Pool()
