"""CachedSource: TTL, batching, single flight across real threads, refresh and invalidate."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest

from rideinfra.errors import SecretNotFound, SourceError
from rideinfra.secrets.base import FetchResult
from rideinfra.secrets.cached import CachedSource
from rideinfra.secrets.model import Secret
from rideinfra.testing import HandlerResult, HandlerSource, MemorySource

THREADS = 8


class FakeClock:
    """A monotonic clock moved by hand; counts how often it is read."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now


class SlowCounter:
    """A handler that waits for a gate before answering, counting calls per name."""

    def __init__(self, delay: float = 0.2) -> None:
        self.delay = delay
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.version = 1

    def __call__(self, name: str) -> HandlerResult:
        with self.lock:
            self.counts[name] += 1
            version = self.version
        time.sleep(self.delay)
        return {"K": f"{name}-v{version}"}


def run_threads(count: int, target: Callable[[int], None]) -> None:
    errors: list[BaseException] = []

    def wrapped(index: int) -> None:
        try:
            target(index)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors


@pytest.fixture(name="clock")
def _clock() -> FakeClock:
    return FakeClock()


class TestTTL:
    def test_hit_returns_the_same_object_without_asking(self, clock: FakeClock) -> None:
        """Within the TTL the very same Secret is returned and the source is not asked."""
        inner = MemorySource({"a": {"K": "v"}})
        cache = CachedSource(inner, ttl=60, clock=clock)
        first = cache.fetch("a")
        clock.now += 59.9
        assert cache.fetch("a") is first
        assert cache.fetch_many(["a"])["a"] is first
        assert inner.calls == [("a",)]

    def test_expired_entry_is_fetched_again(self, clock: FakeClock) -> None:
        """After the TTL the source is asked again and the new value served."""
        inner = MemorySource({"a": {"K": "1"}})
        cache = CachedSource(inner, ttl=60, clock=clock)
        cache.fetch("a")
        inner.put("a", {"K": "2"})
        clock.now += 60
        assert cache.fetch("a").fields["K"].reveal() == "2"
        assert len(inner.calls) == 2

    def test_a_hit_reads_the_clock_once(self, clock: FakeClock) -> None:
        """A hit costs one clock read and nothing else (no lock, no copy)."""
        cache = CachedSource(MemorySource({"a": {"K": "v"}}), clock=clock)
        cache.fetch("a")
        clock.reads = 0
        for _ in range(100):
            cache.fetch("a")
        assert clock.reads == 100

    def test_ttl_zero_always_asks(self, clock: FakeClock) -> None:
        """ttl=0 caches nothing."""
        inner = MemorySource({"a": {"K": "v"}})
        cache = CachedSource(inner, ttl=0, clock=clock)
        cache.fetch("a")
        cache.fetch("a")
        assert len(inner.calls) == 2

    def test_infinite_ttl_keeps_until_refreshed(self, clock: FakeClock) -> None:
        """ttl=inf serves the first value until refresh() or invalidate()."""
        inner = MemorySource({"a": {"K": "v"}})
        cache = CachedSource(inner, ttl=math.inf, clock=clock)
        cache.fetch("a")
        clock.now += 1e12
        cache.fetch("a")
        assert len(inner.calls) == 1

    @pytest.mark.parametrize("ttl", [-1, math.nan])
    def test_invalid_ttl(self, ttl: float) -> None:
        """A negative or NaN TTL is refused."""
        with pytest.raises(ValueError, match="ttl"):
            CachedSource(MemorySource(), ttl=ttl)


class TestBatching:
    def test_misses_go_to_the_source_in_one_batch(self, clock: FakeClock) -> None:
        """Fresh names are served from memory; the misses go in one fetch_many."""
        inner = MemorySource({n: {"K": n} for n in "abcd"})
        cache = CachedSource(inner, clock=clock)
        cache.fetch_many(["a", "b"])
        result = cache.fetch_many(["a", "b", "c", "d", "c"])
        assert sorted(result) == ["a", "b", "c", "d"]
        assert inner.calls == [("a", "b"), ("c", "d")]

    def test_errors_are_reported_and_not_cached(self, clock: FakeClock) -> None:
        """A failed name is in errors, and the next call asks the source again."""
        inner = MemorySource({"a": {"K": "v"}})
        cache = CachedSource(inner, clock=clock)
        result = cache.fetch_many(["a", "missing"])
        assert result.missing == ("missing",)
        inner.put("missing", {"K": "now"})
        assert cache.fetch("missing").fields["K"].reveal() == "now"
        assert inner.calls == [("a", "missing"), ("missing",)]

    def test_fetch_raises_the_sources_error(self, clock: FakeClock) -> None:
        """fetch() raises the error the source gave for the name."""
        error = SourceError("denied", secret="a", code="AccessDeniedException")
        cache = CachedSource(HandlerSource(lambda name: error), clock=clock)
        with pytest.raises(SourceError) as info:
            cache.fetch("a")
        assert info.value is error

    def test_a_raised_source_error_becomes_per_name_errors(self, clock: FakeClock) -> None:
        """A source raising SourceError for the batch gives each name an error, nothing cached."""

        class Down(MemorySource):
            def _fetch_many(self, names: tuple[str, ...]) -> FetchResult:
                raise SourceError("endpoint down", code="EndpointConnectionError")

        result = CachedSource(Down(), clock=clock).fetch_many(["a", "b"])
        assert {name: error.code for name, error in result.errors.items()} == {
            "a": "EndpointConnectionError",
            "b": "EndpointConnectionError",
        }


class TestRefreshAndInvalidate:
    def test_refresh_ignores_the_ttl(self, clock: FakeClock) -> None:
        """refresh() fetches every cached name now and serves the new values."""
        inner = MemorySource({"a": {"K": "1"}, "b": {"K": "1"}})
        cache = CachedSource(inner, ttl=3600, clock=clock)
        cache.fetch_many(["a", "b"])
        inner.put("a", {"K": "2"})
        result = cache.refresh()
        assert result["a"].fields["K"].reveal() == "2"
        assert cache.fetch("a").fields["K"].reveal() == "2"
        assert inner.calls[-1] == ("a", "b")

    def test_refresh_some_names(self, clock: FakeClock) -> None:
        """refresh(names) fetches just those names (cached or not)."""
        inner = MemorySource({"a": {"K": "1"}, "b": {"K": "1"}})
        cache = CachedSource(inner, clock=clock)
        cache.fetch_many(["a", "b"])
        cache.refresh(["b"])
        assert inner.calls[-1] == ("b",)
        assert cache.refresh([]) == {}

    def test_failed_refresh_keeps_the_entry(self, clock: FakeClock) -> None:
        """A refresh that fails reports the error and leaves the cached value in place."""
        inner = MemorySource({"a": {"K": "1"}})
        cache = CachedSource(inner, clock=clock)
        first = cache.fetch("a")
        inner.delete("a")
        assert cache.refresh().missing == ("a",)
        assert cache.fetch("a") is first

    def test_invalidate_all_and_some(self, clock: FakeClock) -> None:
        """invalidate() forgets everything; invalidate(names) only those."""
        inner = MemorySource({"a": {"K": "1"}, "b": {"K": "1"}})
        cache = CachedSource(inner, clock=clock)
        cache.fetch_many(["a", "b"])
        cache.invalidate(["a"])
        cache.fetch_many(["a", "b"])
        assert inner.calls[-1] == ("a",)
        cache.invalidate()
        cache.fetch_many(["a", "b"])
        assert inner.calls[-1] == ("a", "b")

    def test_invalidate_during_a_fetch_is_not_undone(self) -> None:
        """A fetch in flight when invalidate() runs is returned but not cached."""
        started, release = threading.Event(), threading.Event()

        def handler(name: str) -> HandlerResult:
            started.set()
            release.wait(10)
            return {"K": "old"}

        inner = HandlerSource(handler)
        cache = CachedSource(inner)
        results: list[Secret] = []
        thread = threading.Thread(target=lambda: results.append(cache.fetch("a")))
        thread.start()
        assert started.wait(10)
        cache.invalidate()
        release.set()
        thread.join(10)
        assert results[0].fields["K"].reveal() == "old"
        cache.fetch("a")
        assert inner.call_count == 2


class TestSingleFlight:
    def test_concurrent_misses_for_one_name_fetch_once(self) -> None:
        """Threads released together on a cold name cause one fetch and share its result."""
        handler = SlowCounter()
        cache = CachedSource(HandlerSource(handler))
        barrier = threading.Barrier(THREADS)
        seen: list[Secret] = []

        def worker(index: int) -> None:
            barrier.wait(10)
            seen.append(cache.fetch("a"))

        run_threads(THREADS, worker)
        assert handler.counts == {"a": 1}
        assert len(seen) == THREADS
        assert all(secret is seen[0] for secret in seen)

    def test_overlapping_batches_fetch_each_name_once(self) -> None:
        """Concurrent batches sharing names fetch each shared name once in total."""
        handler = SlowCounter()
        source = HandlerSource(handler)
        cache = CachedSource(source)
        batches = [["a", "b"], ["b", "c"], ["c", "a"], ["a", "b", "c", "d"]]
        barrier = threading.Barrier(len(batches))
        results: list[dict[str, str]] = []

        def worker(index: int) -> None:
            barrier.wait(10)
            result = cache.fetch_many(batches[index])
            results.append({n: s.fields["K"].reveal() for n, s in result.items()})

        run_threads(len(batches), worker)
        assert handler.counts == {"a": 1, "b": 1, "c": 1, "d": 1}
        assert sorted(sorted(result) for result in results) == sorted(map(sorted, batches))
        assert all(value == f"{n}-v1" for result in results for n, value in result.items())

    def test_concurrent_failures_are_shared_and_not_cached(self) -> None:
        """Waiters get the single fetch's error; the next call tries the store again."""
        calls = Counter[str]()
        lock = threading.Lock()

        def handler(name: str) -> HandlerResult:
            with lock:
                calls[name] += 1
            time.sleep(0.2)
            return SourceError("throttled", secret=name, code="ThrottlingException")

        cache = CachedSource(HandlerSource(handler))
        barrier = threading.Barrier(THREADS)
        codes: list[str | None] = []

        def worker(index: int) -> None:
            barrier.wait(10)
            codes.append(cache.fetch_many(["a"]).errors["a"].code)

        run_threads(THREADS, worker)
        assert calls == {"a": 1}
        assert codes == ["ThrottlingException"] * THREADS
        cache.fetch_many(["a"])
        assert calls == {"a": 2}

    def test_a_crashing_source_releases_its_waiters(self) -> None:
        """If the fetch raises a non-SourceError, its thread gets it and waiters get SourceError."""
        entered = threading.Event()

        def handler(name: str) -> HandlerResult:
            entered.set()
            time.sleep(0.3)
            raise RuntimeError("client bug")

        cache = CachedSource(HandlerSource(handler))
        outcomes: list[str] = []

        def owner(index: int) -> None:
            if index == 0:
                try:
                    cache.fetch("a")
                except RuntimeError:
                    outcomes.append("owner: RuntimeError")
            else:
                assert entered.wait(10)
                try:
                    cache.fetch("a")
                except SourceError as exc:
                    outcomes.append(f"waiter: {type(exc).__name__}")
                except RuntimeError:
                    outcomes.append("waiter: ran its own fetch")

        run_threads(3, owner)
        assert "owner: RuntimeError" in outcomes
        assert outcomes.count("waiter: SourceError") == 2
        with pytest.raises(RuntimeError):
            cache.fetch("a")  # nothing left in flight: a new fetch runs (and crashes again)

    def test_refresh_does_not_reuse_an_older_flight(self) -> None:
        """A refresh asked for while an older fetch runs waits for it, then fetches anew."""
        handler = SlowCounter(delay=0.3)
        cache = CachedSource(HandlerSource(handler))
        started = threading.Event()
        values: dict[str, str] = {}

        def worker(index: int) -> None:
            if index == 0:
                started.set()
                values["fetch"] = cache.fetch("a").fields["K"].reveal()
            else:
                assert started.wait(10)
                time.sleep(0.1)  # the fetch is now in flight, holding version 1
                with handler.lock:
                    handler.version = 2
                values["refresh"] = cache.refresh(["a"])["a"].fields["K"].reveal()

        run_threads(2, worker)
        assert values == {"fetch": "a-v1", "refresh": "a-v2"}
        assert handler.counts == {"a": 2}
        assert cache.fetch("a").fields["K"].reveal() == "a-v2"

    def test_hits_during_a_refresh_are_served(self) -> None:
        """While a refresh runs, readers keep getting the cached value without waiting."""
        handler = SlowCounter(delay=0.5)
        cache = CachedSource(HandlerSource(handler))
        handler.delay = 0.0
        cached = cache.fetch("a")
        handler.delay = 0.5
        thread = threading.Thread(target=cache.refresh)
        thread.start()
        time.sleep(0.1)
        began = time.perf_counter()
        assert cache.fetch("a") is cached
        assert time.perf_counter() - began < 0.2
        thread.join(10)


def test_not_found_from_a_protocol_source_is_reported(clock: FakeClock) -> None:
    """A source that silently omits a name yields SecretNotFound for it."""

    class Omits(MemorySource):
        def _fetch_many(self, names: tuple[str, ...]) -> FetchResult:
            return FetchResult()

    with pytest.raises(SecretNotFound, match="not returned"):
        CachedSource(Omits(), clock=clock).fetch("a")
