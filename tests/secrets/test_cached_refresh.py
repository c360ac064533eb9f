"""CachedSource for services: refresh ahead, stale while error, close(), async, rotation on moto."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from rideinfra.errors import SecretNotFound, SourceError
from rideinfra.secrets.aws import SecretsManagerSource
from rideinfra.secrets.cached import CachedSource, is_outage
from rideinfra.testing import HandlerResult, HandlerSource
from support import waiting
from support.moto import MotoEndpoint
from support.proxy import Fault, FaultProxy

SENTINEL = "s3cr3t-SENTINEL-value"
REFRESHER = "rideinfra-cache-refresh"


class FakeClock:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Store:
    """A handler answering ``{"K": <version>}``, which can go down; counts calls, thread-safely."""

    def __init__(self) -> None:
        self.version = f"{SENTINEL}-1"
        self.down = False
        self.missing = False
        self.calls = 0
        self.delay = 0.0
        self.lock = threading.Lock()
        self.entered = threading.Event()

    def __call__(self, name: str) -> HandlerResult:
        with self.lock:
            self.calls += 1
            version, down, missing = self.version, self.down, self.missing
        self.entered.set()
        time.sleep(self.delay)
        if down:
            return SourceError(
                f"secret {name!r}: endpoint unavailable", secret=name, code="ServiceUnavailable"
            )
        if missing:
            return None
        return {"K": version}


def value(cache: CachedSource, name: str = "a") -> str:
    return cache.fetch(name).fields["K"].reveal()


def wait_for(predicate: Callable[[], bool]) -> None:
    """Within 10 s, polled every 5 ms: a refresh is a thread's work of a few milliseconds."""
    waiting.wait_for(predicate, 10.0, every=0.005)


def refreshers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == REFRESHER]


@pytest.fixture(name="clock")
def _clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(name="store")
def _store() -> Store:
    return Store()


@pytest.fixture(name="make")
def _make(store: Store, clock: FakeClock) -> Iterator[Callable[..., CachedSource]]:
    """Build caches over ``store`` with the fake clock; close them all after the test."""
    made: list[CachedSource] = []

    def make(**options: Any) -> CachedSource:
        cache = CachedSource(HandlerSource(store), clock=clock, **options)
        made.append(cache)
        return cache

    yield make
    for cache in made:
        cache.close(timeout=10)


class TestOptions:
    @pytest.mark.parametrize(
        "options",
        [
            {"refresh_ahead": -1},
            {"stale_ttl": float("nan")},
            {"retry_interval": 0},
            {"ttl": 60, "refresh_ahead": 60},
        ],
    )
    def test_invalid(self, options: dict[str, float]) -> None:
        """Negative/NaN durations, a zero retry interval, and refresh_ahead >= ttl are refused."""
        with pytest.raises(ValueError, match=next(iter(options)) if len(options) == 1 else "below"):
            CachedSource(HandlerSource(Store()), **options)

    def test_repr_shows_the_policy(self) -> None:
        """The repr names the policy, not any value."""
        cache = CachedSource(HandlerSource(Store()), ttl=60, refresh_ahead=10, stale_ttl=600)
        assert (
            repr(cache)
            == "CachedSource(HandlerSource(Store), ttl=60, refresh_ahead=10, stale_ttl=600)"
        )

    def test_is_outage(self) -> None:
        """Not-found and bad-format are answers; anything else is an outage."""
        assert not is_outage(SecretNotFound("x"))
        assert is_outage(SourceError("x", code="AccessDeniedException"))


class TestRefreshAhead:
    def test_a_read_near_expiry_is_served_and_refreshes_in_the_background(
        self, make: Callable[..., CachedSource], store: Store, clock: FakeClock
    ) -> None:
        """Inside refresh_ahead a read returns the cached value at once; the new one follows."""
        cache = make(ttl=60, refresh_ahead=10)
        assert value(cache) == f"{SENTINEL}-1"
        store.version = f"{SENTINEL}-2"
        clock.now += 49
        assert value(cache) == f"{SENTINEL}-1"
        assert store.calls == 1  # not yet in the window
        clock.now += 2
        assert value(cache) == f"{SENTINEL}-1"  # served the cached value, no waiting
        wait_for(lambda: store.calls == 2 and not refreshers())
        assert value(cache) == f"{SENTINEL}-2"
        clock.now += 50
        assert value(cache) == f"{SENTINEL}-2"  # the TTL counts from the background fetch
        assert store.calls == 2

    def test_many_reads_start_one_refresh(
        self, make: Callable[..., CachedSource], store: Store, clock: FakeClock
    ) -> None:
        """Every read after the first in the window is a plain hit; the store is asked once."""
        cache = make(ttl=60, refresh_ahead=10)
        cache.fetch("a")
        store.delay = 0.2
        clock.now += 55
        barrier = threading.Barrier(8)

        def reader() -> None:
            barrier.wait(10)
            for _ in range(100):
                cache.fetch("a")

        threads = [threading.Thread(target=reader) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        wait_for(lambda: not refreshers())
        assert store.calls == 2

    def test_reads_do_not_wait_for_the_background_fetch(
        self, make: Callable[..., CachedSource], store: Store, clock: FakeClock
    ) -> None:
        """While the background fetch is slow, reads still return at once."""
        cache = make(ttl=60, refresh_ahead=10)
        cached = cache.fetch("a")
        store.delay = 0.5
        store.entered.clear()
        clock.now += 55
        cache.fetch("a")
        assert store.entered.wait(10)
        began = time.perf_counter()
        assert cache.fetch("a") is cached
        assert cache.fetch_many(["a"])["a"] is cached
        assert time.perf_counter() - began < 0.2

    def test_a_reader_after_expiry_joins_the_background_fetch(
        self, make: Callable[..., CachedSource], store: Store, clock: FakeClock
    ) -> None:
        """A read after expiry waits for the refresh in flight instead of starting another."""
        cache = make(ttl=60, refresh_ahead=10)
        cache.fetch("a")
        store.version = f"{SENTINEL}-2"
        store.delay = 0.3
        store.entered.clear()
        clock.now += 55
        cache.fetch("a")
        assert store.entered.wait(10)
        clock.now += 10  # expired while the refresh is in flight
        assert value(cache) == f"{SENTINEL}-2"
        assert store.calls == 2

    def test_unread_secrets_are_not_refreshed(
        self, make: Callable[..., CachedSource], store: Store, clock: FakeClock
    ) -> None:
        """No reads, no store traffic: refresh ahead is driven by reads."""
        cache = make(ttl=60, refresh_ahead=10)
        cache.fetch("a")
        clock.now += 55
        time.sleep(0.05)
        assert store.calls == 1
        assert not refreshers()

    def test_a_failed_refresh_ahead_is_retried_after_the_interval(
        self, make: Callable[..., CachedSource], store: Store, clock: FakeClock
    ) -> None:
        """The cached value stays served; the next attempt waits retry_interval."""
        cache = make(ttl=60, refresh_ahead=30, retry_interval=5)
        cache.fetch("a")
        store.down = True
        clock.now += 31
        assert value(cache) == f"{SENTINEL}-1"
        wait_for(lambda: store.calls == 2 and not refreshers())
        clock.now += 4
        assert value(cache) == f"{SENTINEL}-1"
        time.sleep(0.05)
        assert store.calls == 2  # within the interval: plain hits
        store.down = False
        store.version = f"{SENTINEL}-2"
        clock.now += 1
        cache.fetch("a")
        wait_for(lambda: store.calls == 3 and not refreshers())
        assert value(cache) == f"{SENTINEL}-2"


class TestStaleWhileError:
    def test_outage_serves_the_last_good_value_then_fails_clearly(
        self,
        make: Callable[..., CachedSource],
        store: Store,
        clock: FakeClock,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Within stale_ttl the old value is served with a log line; after it, a clear error."""
        caplog.set_level(logging.INFO, logger="rideinfra.secrets")
        cache = make(ttl=60, stale_ttl=300, retry_interval=10)
        cache.fetch("a")
        store.down = True
        clock.now += 61
        assert value(cache) == f"{SENTINEL}-1"
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert warnings == [
            "secret 'a': the store failed (ServiceUnavailable); serving the last good value, "
            "1s past its TTL, for at most 299s more (stale_ttl=300s)"
        ]
        assert store.calls == 2
        clock.now += 9
        assert value(cache) == f"{SENTINEL}-1"
        assert store.calls == 2  # within retry_interval: a plain hit
        clock.now += 1
        assert value(cache) == f"{SENTINEL}-1"  # served at once; a retry runs in the background
        wait_for(lambda: store.calls == 3 and not refreshers())
        clock.now = 1000 + 60 + 300
        with pytest.raises(SourceError) as info:
            cache.fetch("a")
        message = str(info.value)
        assert info.value.secret == "a"
        assert info.value.code == "ServiceUnavailable"
        assert "past its TTL, beyond stale_ttl=300s" in message
        assert "no longer served" in message
        assert SENTINEL not in caplog.text + message + repr(info.value)

    def test_recovery_serves_the_new_value_and_says_so(
        self,
        make: Callable[..., CachedSource],
        store: Store,
        clock: FakeClock,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """When the store answers again, the fresh value replaces the stale one (one INFO line)."""
        caplog.set_level(logging.INFO, logger="rideinfra.secrets")
        cache = make(ttl=60, stale_ttl=300, retry_interval=10)
        cache.fetch("a")
        store.down = True
        clock.now += 61
        cache.fetch("a")
        store.down = False
        store.version = f"{SENTINEL}-2"
        clock.now += 10
        cache.fetch("a")
        wait_for(lambda: store.calls == 3 and not refreshers())
        assert value(cache) == f"{SENTINEL}-2"
        assert "secret 'a': fetched again; no longer serving a stale value" in caplog.messages

    def test_a_deleted_secret_is_not_served_stale(
        self, make: Callable[..., CachedSource], store: Store, clock: FakeClock
    ) -> None:
        """SecretNotFound is the store's answer, not an outage: no stale value."""
        cache = make(ttl=60, stale_ttl=300)
        cache.fetch("a")
        store.missing = True
        clock.now += 61
        with pytest.raises(SecretNotFound):
            cache.fetch("a")

    def test_a_secret_deleted_during_the_outage_stops_being_served(
        self, make: Callable[..., CachedSource], store: Store, clock: FakeClock
    ) -> None:
        """When a background retry hears "not found", the stale value is dropped."""
        cache = make(ttl=60, stale_ttl=300, retry_interval=10)
        cache.fetch("a")
        store.down = True
        clock.now += 61
        cache.fetch("a")
        store.down, store.missing = False, True
        clock.now += 10
        assert value(cache) == f"{SENTINEL}-1"  # served while the retry runs
        wait_for(lambda: store.calls == 3 and not refreshers())
        with pytest.raises(SecretNotFound):
            cache.fetch("a")

    def test_without_stale_ttl_an_outage_is_an_error(
        self, make: Callable[..., CachedSource], store: Store, clock: FakeClock
    ) -> None:
        """stale_ttl=0 (the default) never serves an expired value."""
        cache = make(ttl=60)
        cache.fetch("a")
        store.down = True
        clock.now += 60
        with pytest.raises(SourceError, match="endpoint unavailable"):
            cache.fetch("a")

    def test_refresh_reports_the_error_not_the_stale_value(
        self, make: Callable[..., CachedSource], store: Store, clock: FakeClock
    ) -> None:
        """refresh() asks for the store's answer; readers still get the stale value."""
        cache = make(ttl=60, stale_ttl=300)
        cache.fetch("a")
        store.down = True
        clock.now += 61
        result = cache.refresh(["a"])
        assert "a" not in result
        assert result.errors["a"].code == "ServiceUnavailable"
        assert value(cache) == f"{SENTINEL}-1"

    def test_custom_stale_on(
        self, make: Callable[..., CachedSource], store: Store, clock: FakeClock
    ) -> None:
        """stale_on decides which errors allow the stale value."""
        cache = make(ttl=60, stale_ttl=300, stale_on=lambda error: False)
        cache.fetch("a")
        store.down = True
        clock.now += 61
        with pytest.raises(SourceError):
            cache.fetch("a")


class TestClose:
    def test_close_joins_the_refresher(
        self, make: Callable[..., CachedSource], store: Store, clock: FakeClock
    ) -> None:
        """close() waits for the refresh in flight; no thread is left behind."""
        cache = make(ttl=60, refresh_ahead=10)
        cache.fetch("a")
        store.delay = 0.3
        store.entered.clear()
        clock.now += 55
        cache.fetch("a")
        assert store.entered.wait(10)
        assert refreshers()
        cache.close()
        assert not refreshers()
        assert cache.closed

    def test_after_close_nothing_runs_in_the_background(
        self, make: Callable[..., CachedSource], store: Store, clock: FakeClock
    ) -> None:
        """A closed cache serves until expiry, then fetches on read; it starts no thread."""
        with make(ttl=60, refresh_ahead=10) as cache:
            cache.fetch("a")
        clock.now += 55
        assert value(cache) == f"{SENTINEL}-1"
        time.sleep(0.05)
        assert store.calls == 1
        assert not refreshers()
        store.version = f"{SENTINEL}-2"
        clock.now += 5
        assert value(cache) == f"{SENTINEL}-2"


class _NoThreads(ThreadPoolExecutor):
    """A default executor that counts submissions (each one is a thread hop)."""

    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


class TestAsync:
    def test_hits_stay_on_the_event_loop(
        self, make: Callable[..., CachedSource], store: Store
    ) -> None:
        """A miss goes to the thread pool once; hits never do."""
        cache = make(ttl=60)
        executor = _NoThreads()

        async def main() -> list[str]:
            asyncio.get_running_loop().set_default_executor(executor)
            first = await cache.afetch("a")
            missed = executor.submitted
            hits = [await cache.afetch("a") for _ in range(10)]
            many = await cache.afetch_many(["a", "a"])
            assert executor.submitted == missed == 1
            more = await cache.afetch_many(["a", "b"])  # b is a miss: one hop for the batch
            assert executor.submitted == 2
            return [
                first.fields["K"].reveal(),
                hits[-1].fields["K"].reveal(),
                many["a"].fields["K"].reveal(),
                *sorted(more),
            ]

        try:
            assert asyncio.run(main()) == [f"{SENTINEL}-1"] * 3 + ["a", "b"]
        finally:
            executor.shutdown()

    def test_async_errors_propagate(self, make: Callable[..., CachedSource], store: Store) -> None:
        """afetch raises the store's error; afetch_many reports it."""
        store.missing = True
        cache = make()
        with pytest.raises(SecretNotFound):
            asyncio.run(cache.afetch("a"))
        assert asyncio.run(cache.afetch_many(["a"])).missing == ("a",)


class TestAgainstMoto:
    def test_rotation_is_seen_after_the_ttl_and_after_refresh(
        self, sm: MotoEndpoint, clock: FakeClock
    ) -> None:
        """A new version put in the store is served after the TTL, and at once after refresh()."""
        sm.seed({"app/db": {"PASSWORD": "v1"}})
        cache = CachedSource(SecretsManagerSource(endpoint_url=sm.url), ttl=60, clock=clock)

        def password() -> str:
            return cache.fetch("app/db").fields["PASSWORD"].reveal()

        assert password() == "v1"
        sm.client().put_secret_value(SecretId="app/db", SecretString=json.dumps({"PASSWORD": "v2"}))
        clock.now += 59
        assert password() == "v1"
        clock.now += 1
        assert password() == "v2"
        sm.client().put_secret_value(SecretId="app/db", SecretString=json.dumps({"PASSWORD": "v3"}))
        assert cache.refresh()["app/db"].fields["PASSWORD"].reveal() == "v3"
        assert password() == "v3"

    def test_store_down_serves_stale_then_errors(
        self,
        sm: MotoEndpoint,
        proxy: FaultProxy,
        clock: FakeClock,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Behind a proxy answering 503, the last good value is served in the window, then not."""
        sm.seed({"app/db": {"PASSWORD": SENTINEL}})
        source = SecretsManagerSource(endpoint_url=proxy.url, max_attempts=1)
        caplog.set_level(logging.WARNING, logger="rideinfra.secrets")
        with CachedSource(source, ttl=60, stale_ttl=120, retry_interval=30, clock=clock) as cache:
            assert cache.fetch("app/db").fields["PASSWORD"].reveal() == SENTINEL
            proxy.rule = lambda number, action: Fault.http(503)
            clock.now += 61
            assert cache.fetch("app/db").fields["PASSWORD"].reveal() == SENTINEL
            assert proxy.count() == 2
            assert any("serving the last good value" in m for m in caplog.messages)
            clock.now += 120
            with pytest.raises(SourceError, match="beyond stale_ttl=120s") as info:
                cache.fetch("app/db")
            assert SENTINEL not in str(info.value) + repr(info.value) + caplog.text
            proxy.rule = None
            assert cache.fetch("app/db").fields["PASSWORD"].reveal() == SENTINEL
