"""`run_within` on the process's pool of worker threads: reused, never queued, fork-safe."""

from __future__ import annotations

import os
import threading
import time

import pytest

from rideinfra.secrets._deadline import Deadline, DeadlinePassed, _Pool, run_within


def worker_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("rideinfra-worker-")}


def test_results_in_item_order_on_up_to_the_bound() -> None:
    """Items run concurrently, at most `workers` at once; results keep the items' order."""
    running = 0
    most = 0
    lock = threading.Lock()

    def work(item: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return item * 2

    assert run_within(work, list(range(12)), deadline=Deadline(10), workers=4) == [
        i * 2 for i in range(12)
    ]
    assert most <= 4


def test_a_second_call_reuses_the_threads() -> None:
    """Threads started for one call serve the next: none is started per call once warm.

    Each item blocks a little, as a request does, so all 8 run at once.
    """

    def request(item: int) -> int:
        time.sleep(0.02)
        return item

    run_within(request, list(range(8)), deadline=Deadline(10), workers=8)
    before = worker_threads()
    assert len(before) >= 8
    for _ in range(5):
        assert run_within(request, list(range(8)), deadline=Deadline(10), workers=8) == list(
            range(8)
        )
    assert worker_threads() <= before


def test_an_abandoned_thread_never_holds_up_the_next_call() -> None:
    """A call stuck past its deadline keeps its thread; the next call gets another at once."""
    release = threading.Event()
    with pytest.raises(DeadlinePassed):
        run_within(lambda _: release.wait(10), [0], deadline=Deadline(0.1), workers=1)
    try:
        started = time.monotonic()
        assert run_within(lambda i: i + 1, [1, 2], deadline=Deadline(5), workers=2) == [2, 3]
        assert time.monotonic() - started < 2
    finally:
        release.set()


def test_the_first_failure_is_raised_and_no_further_item_starts() -> None:
    """An exception in one call stops the rest from starting and reaches the caller."""
    done: list[int] = []

    def work(item: int) -> int:
        if item == 0:
            raise ValueError("boom")
        time.sleep(0.01)
        done.append(item)
        return item

    with pytest.raises(ValueError, match="boom"):
        run_within(work, list(range(50)), deadline=Deadline(10), workers=1)
    assert len(done) < 49


def test_idle_threads_end_and_the_pool_starts_new_ones() -> None:
    """After `idle_seconds` without work a thread ends; the next submit starts another."""
    pool = _Pool(idle_seconds=0.05)
    ran = threading.Event()
    pool.submit(ran.set)
    assert ran.wait(5)
    time.sleep(0.3)
    assert pool._idle == 0  # the idle thread ended and uncounted itself
    again = threading.Event()
    pool.submit(again.set)
    assert again.wait(5)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_starts_with_an_empty_pool() -> None:
    """The parent's idle threads do not exist in a child: its calls must not wait for them."""
    run_within(lambda i: i, list(range(4)), deadline=Deadline(10), workers=4)
    assert worker_threads()
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if the call ran in time
        code = 1
        try:
            got = run_within(lambda i: i * 3, [1, 2, 3], deadline=Deadline(5), workers=3)
            code = 0 if got == [3, 6, 9] else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_running_counts_calls_until_they_return_abandoned_ones_included() -> None:
    """What the suite's teardown waits on (tests/conftest.py): no call outlives its test."""
    pool = _Pool(idle_seconds=5)
    release = threading.Event()
    entered = threading.Event()

    def stuck() -> None:
        entered.set()
        release.wait(10)

    assert pool.running() == 0
    pool.submit(stuck)
    assert entered.wait(5)
    finished = threading.Event()
    pool.submit(finished.set)
    assert finished.wait(5)
    settle(pool, 1)
    assert pool.running() == 1  # the stuck call; the quick one is done
    release.set()
    settle(pool, 0)
    assert pool.running() == 0


def settle(pool: _Pool, count: int) -> None:
    """Wait (5 s at most) for `pool.running()` to come down to `count`: a thread uncounts
    itself just after its call returns."""
    deadline = time.monotonic() + 5
    while pool.running() > count and time.monotonic() < deadline:
        time.sleep(0.01)
