"""A TTL cache in front of any source, for long-running services.

A hit is a dict lookup, one clock call and one comparison, with no lock and
no copy: entries are tuples replaced whole, so a reader sees either the old
tuple or the new one, and a `Secret` is
immutable, so every caller may share the same object. Misses take a lock only
to register themselves; the fetch runs outside it.

Each entry carries a *deadline*: until then a read is a plain hit. Everything
else (refresh ahead of expiry, serving a stale value while the store is down,
retrying) happens on the first read past the deadline, which then moves the
deadline so the reads after it are plain hits again.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType

from rideinfra.errors import SecretFormatError, SecretNotFound, SourceError
from rideinfra.secrets._log import logger
from rideinfra.secrets.base import (
    BaseSource,
    FetchResult,
    SecretSource,
    _check_name,
    _check_source,
    _check_type,
    unique_names,
)
from rideinfra.secrets.compose import _as_result, _per_name_error
from rideinfra.secrets.model import Secret

__all__ = ["DEFAULT_RETRY_INTERVAL", "DEFAULT_TTL", "CachedSource", "is_outage"]


#: Seconds a fetched secret is served from the cache.
DEFAULT_TTL = 300.0
#: Seconds between two store attempts for a secret whose last attempt failed.
DEFAULT_RETRY_INTERVAL = 5.0

# (deadline, secret, expires_at, stale). Reads before ``deadline`` are plain
# hits; ``expires_at`` is when the store answered plus the TTL; ``stale`` is
# True once a fetch after expiry failed and the value is served from the
# stale window.
_Entry = tuple[float, Secret, float, bool]

# What a _load call is for: a read (may be served a stale value), an explicit
# refresh (wants the store's answer), or a background refresh (result unused).
_READ, _REFRESH, _BACKGROUND = "read", "refresh", "background"

# What to log when a stale value is served: name, error, seconds past TTL, seconds left.
_StaleNote = tuple[str, SourceError, float, float]


def is_outage(error: SourceError) -> bool:
    """The default `stale_on`: True when the store failed to answer, not when it said no.

    A missing or unreadable secret (`SecretNotFound`,
    `SecretFormatError`) is the store's answer: a deleted or revoked
    secret must stop being served. Anything else (endpoint down, 5xx,
    throttling past the retry budget, access denied, expired credentials) is
    treated as an outage, during which the last good value may be served.
    """
    return not isinstance(error, SecretNotFound | SecretFormatError)


class _Flight:
    """One fetch of one name in progress; other threads wanting the name wait on it."""

    __slots__ = ("done", "error", "generation", "secret", "seq", "stale")

    def __init__(self, seq: int, generation: int) -> None:
        self.seq = seq
        self.generation = generation
        self.done = threading.Event()
        self.secret: Secret | None = None
        self.error: SourceError | None = None
        # The last good value, when the fetch failed within the stale window.
        self.stale: Secret | None = None


class CachedSource(BaseSource):
    """Serve secrets from memory for `ttl` seconds, fetching each at most once at a time.

    - Hits return the very `Secret` fetched
      (immutable; no copy), without a lock.
    - Misses in one `fetch_many` go to the source as one batch.
    - Single flight: while a name is being fetched (by a reader, a refresh or
      the background refresher), others asking for it wait for that fetch.
    - **Refresh ahead** (`refresh_ahead > 0`): the first read within
      `refresh_ahead` seconds of expiry returns the cached value at once and
      starts a background refresh, so readers of a busy secret never wait on
      the store. Secrets nobody reads are not refreshed.
    - **Stale while error** (`stale_ttl > 0`): when fetching an expired
      secret fails with an outage (see `is_outage()`), reads get the last
      good value for up to `stale_ttl` seconds past its expiry, with one
      WARNING line on `rideinfra.secrets` per failed attempt (names and error
      codes only). Attempts go on in the background, one per
      `retry_interval`; past the window a read raises a SourceError saying
      how long the store has been failing.
    - Errors are not cached: the next read past `retry_interval` (or, for a
      secret never fetched, the next read) asks the store again.
    - `refresh()` fetches now, whatever the TTL, and reports errors
      rather than stale values; `invalidate()` forgets. A fetch in flight
      when `invalidate()` ran is handed to its waiters but not cached.
    - `close()` (or `with CachedSource(...) as cache:`) stops and joins
      the background refresher; afterwards nothing is refreshed in the
      background and values are served until they expire, then fetched on read.

    The TTL counts from when the source answered. `ttl=0` caches nothing
    (but keeps single flight); `ttl=math.inf` caches until refreshed.

    Args:
        source: the source to cache.
        ttl: seconds a secret is served before it is fetched again.
        refresh_ahead: seconds before expiry in which a read starts a
            background refresh; 0 (default) fetches on the first read after
            expiry instead. Must be below `ttl`.
        stale_ttl: seconds past expiry the last good value may be served while
            the store fails; 0 (default) never serves an expired value.
        retry_interval: seconds between two attempts for a secret whose last
            attempt failed while a cached value is still being served.
        stale_on: which errors count as an outage (default `is_outage()`).
        clock: a monotonic clock in seconds (inject a fake one in tests).

    Raises:
        ValueError: a duration is negative or NaN, `retry_interval` is not
            positive, or `refresh_ahead` is not below `ttl`.
        TypeError: `source` is not a source, a duration is not a number, or
            `clock` / `stale_on` is not callable.
    """

    def __init__(
        self,
        source: SecretSource,
        *,
        ttl: float = DEFAULT_TTL,
        refresh_ahead: float = 0.0,
        stale_ttl: float = 0.0,
        retry_interval: float = DEFAULT_RETRY_INTERVAL,
        stale_on: Callable[[SourceError], bool] = is_outage,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        _check_source(source, "source")
        for label, value in (
            ("ttl", ttl),
            ("refresh_ahead", refresh_ahead),
            ("stale_ttl", stale_ttl),
        ):
            _check_type(value, (int, float), label, "a number of seconds")
            if math.isnan(value) or value < 0:
                raise ValueError(f"{label} must be >= 0 seconds, not {value!r}")
        _check_type(retry_interval, (int, float), "retry_interval", "a number of seconds")
        if math.isnan(retry_interval) or retry_interval <= 0:
            raise ValueError(f"retry_interval must be > 0 seconds, not {retry_interval!r}")
        for label, function in (("stale_on", stale_on), ("clock", clock)):
            if not callable(function):
                what = "seconds" if label == "clock" else "an outage"
                raise TypeError(
                    f"{label} must be a function (a callable returning {what}), "
                    f"not {'None' if function is None else type(function).__name__}"
                )
        if refresh_ahead and refresh_ahead >= ttl:
            raise ValueError(
                f"refresh_ahead ({refresh_ahead!r}) must be below ttl ({ttl!r}): "
                "otherwise every read would start a refresh"
            )
        self._source = source
        self._ttl = float(ttl)
        self._refresh_ahead = float(refresh_ahead)
        self._stale_ttl = float(stale_ttl)
        self._retry_interval = float(retry_interval)
        self._stale_on = stale_on
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._flights: dict[str, _Flight] = {}
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._last_seq = 0
        self._generation = 0
        # name -> expires_at of the entry that asked for a background refresh.
        self._pending: dict[str, float] = {}
        self._refresher: threading.Thread | None = None
        self._closed = False

    @property
    def source(self) -> SecretSource:
        """The source behind the cache."""
        return self._source

    @property
    def ttl(self) -> float:
        """Seconds a fetched secret is served from the cache."""
        return self._ttl

    @property
    def closed(self) -> bool:
        """True after `close()`: no more background refreshes."""
        return self._closed

    def fetch(self, name: str) -> Secret:
        """Read one secret, from the cache while it is fresh.

        Raises:
            SourceError: the secret could not be read (SecretNotFound when absent).
        """
        try:  # free when nothing is raised: a hit stays a lookup, a clock call, a comparison
            entry = self._entries.get(name)
        except TypeError:  # an unhashable name (a list)
            _check_name(name)
            raise
        if entry is not None and self._clock() < entry[0]:
            return entry[1]
        _check_name(name)  # on the miss path only: a hit has a str name by construction
        result = self._fetch_many((name,))
        if name in result:
            return result[name]
        result.raise_errors()
        raise SecretNotFound(f"secret {name!r} not found", secret=name)  # pragma: no cover

    async def afetch_many(self, names: Iterable[str]) -> FetchResult:
        """`fetch_many` for asyncio code: hits are served on the event loop.

        When every name is a plain hit the answer is a few dict reads, so no
        thread is involved. Otherwise the whole call runs in the default
        thread pool, because a miss blocks on the store (see
        `BaseSource.afetch_many()`).
        """
        wanted = unique_names(names)
        entries = self._entries
        now = self._clock()
        found: dict[str, Secret] = {}
        for name in wanted:
            entry = entries.get(name)
            if entry is None or now >= entry[0]:
                import asyncio  # here, not at import: it costs ~15 ms of start-up

                return await asyncio.to_thread(self.fetch_many, wanted)
            found[name] = entry[1]
        return FetchResult(found)

    async def afetch(self, name: str) -> Secret:
        """`fetch` for asyncio code: a hit is served on the event loop, a miss in a thread."""
        _check_name(name)
        entry = self._entries.get(name)
        if entry is not None and self._clock() < entry[0]:
            return entry[1]
        import asyncio

        return await asyncio.to_thread(self.fetch, name)

    def refresh(self, names: Iterable[str] | None = None) -> FetchResult:
        """Fetch now, ignoring the TTL, and cache what comes back.

        Args:
            names: the secrets to refresh; default every cached one.

        Returns:
            The fresh secrets, and an error per name that failed (a failed
            name keeps its previous entry; no stale value is returned here).
        """
        wanted = tuple(self._entries) if names is None else unique_names(names)
        if not wanted:
            return FetchResult()
        return self._load(wanted, mode=_REFRESH)

    def invalidate(self, names: Iterable[str] | None = None) -> None:
        """Forget cached secrets (default: all), so the next fetch asks the source."""
        with self._lock:
            self._generation += 1
            if names is None:
                self._entries.clear()
            else:
                for name in unique_names(names):
                    self._entries.pop(name, None)

    def close(self, timeout: float | None = None) -> None:
        """Stop background refreshing and wait for a refresh in progress to end.

        The cache stays usable: reads are served until values expire, then
        fetched on read. Calling it again does nothing.

        Args:
            timeout: seconds to wait for the refresher thread (None: until it ends).
        """
        with self._lock:
            self._closed = True
            self._pending.clear()
            thread = self._refresher
        if thread is not None:
            thread.join(timeout)

    def __enter__(self) -> CachedSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _fetch_many(self, names: tuple[str, ...]) -> FetchResult:
        entries = self._entries
        now = self._clock()
        found: dict[str, Secret] = {}
        misses: list[str] = []
        due: list[str] = []
        for name in names:
            entry = entries.get(name)
            if entry is None:
                misses.append(name)
            elif now < entry[0]:
                found[name] = entry[1]
            elif now < entry[2] or (entry[3] and now < entry[2] + self._stale_ttl):
                # Still servable (fresh, or stale within the window): serve it
                # and let the background refresher ask the store.
                found[name] = entry[1]
                due.append(name)
            else:
                misses.append(name)
        if due:
            self._schedule(due, now)
        if not misses:
            return FetchResult(found)
        loaded = self._load(tuple(misses), mode=_READ)
        found.update(loaded)
        return FetchResult(found, loaded.errors)

    def _schedule(self, names: list[str], now: float) -> None:
        """Move past-deadline entries' deadlines on, and queue them for the refresher."""
        with self._lock:
            for name in names:
                entry = self._entries.get(name)
                if entry is None or now < entry[0]:
                    continue  # replaced, or another reader moved it on already
                deadline, secret, expires, stale = entry
                if stale:
                    deadline = min(now + self._retry_interval, expires + self._stale_ttl)
                else:
                    deadline = expires
                self._entries[name] = (deadline, secret, expires, stale)
                if not self._closed:
                    self._pending[name] = expires
            if self._pending and self._refresher is None:
                self._refresher = threading.Thread(
                    target=self._refresh_loop, name="rideinfra-cache-refresh", daemon=True
                )
                self._refresher.start()

    def _refresh_loop(self) -> None:
        """The background refresher: drain the queue in batches, then end."""
        while True:
            with self._lock:
                wanted = dict(self._pending)
                self._pending.clear()
                if not wanted or self._closed:
                    self._refresher = None
                    return
            try:
                self._load(tuple(wanted), mode=_BACKGROUND, expected=wanted)
            except Exception as exc:  # noqa: BLE001 - keep refreshing; the waiters got a SourceError
                logger().error(
                    "background refresh of %s failed: the source raised %s",
                    ", ".join(sorted(wanted)),
                    type(exc).__name__,
                )

    def _load(
        self, names: tuple[str, ...], *, mode: str, expected: dict[str, float] | None = None
    ) -> FetchResult:
        """Fetch `names` through single flight.

        `mode` is _READ (serve what is fresh, accept a stale fallback),
        _REFRESH (fetch anew, report errors) or _BACKGROUND (fetch names whose
        entry is still the one that asked, per `expected`).
        """
        found: dict[str, Secret] = {}
        errors: dict[str, SourceError] = {}
        with self._lock:
            # A refresh may reuse only flights that started after it was asked for.
            since = self._last_seq
        pending = names
        while pending:
            mine: dict[str, _Flight] = {}
            joined: dict[str, _Flight] = {}
            with self._lock:
                now = self._clock()
                for name in pending:
                    entry = self._entries.get(name)
                    if mode == _READ and entry is not None and now < entry[0]:
                        found[name] = entry[1]
                    elif mode == _BACKGROUND and (
                        entry is None or expected is None or entry[2] != expected.get(name)
                    ):
                        continue  # invalidated, or refreshed since it was queued
                    elif (flight := self._flights.get(name)) is not None:
                        joined[name] = flight
                    else:
                        self._last_seq = next(self._seq)
                        flight = _Flight(self._last_seq, self._generation)
                        self._flights[name] = mine[name] = flight
            if mine:
                self._run(mine, background=mode == _BACKGROUND)
            retry: list[str] = []
            for name, flight in (*mine.items(), *joined.items()):
                flight.done.wait()
                if mode == _REFRESH and flight.seq <= since:
                    retry.append(name)  # began before the refresh: may predate a rotation
                elif flight.secret is not None:
                    found[name] = flight.secret
                elif mode == _READ and flight.stale is not None:
                    found[name] = flight.stale
                else:
                    assert flight.error is not None  # noqa: S101 - set before done
                    errors[name] = flight.error
            pending = tuple(retry)
        return FetchResult(found, errors)

    def _run(self, flights: dict[str, _Flight], *, background: bool) -> None:
        """Fetch the names this thread owns, publish the outcome, wake the waiters.

        An exception other than SourceError propagates to this thread; the
        waiters get a SourceError saying so instead of waiting forever.
        """
        result: FetchResult | None = None
        try:
            try:
                result = _as_result(self._source.fetch_many(tuple(flights)))
            except SourceError as exc:
                result = FetchResult(errors={name: _per_name_error(exc, name) for name in flights})
        finally:
            self._publish(flights, result, background=background)

    def _publish(
        self, flights: dict[str, _Flight], result: FetchResult | None, *, background: bool
    ) -> None:
        now = self._clock()
        expires = now + self._ttl
        deadline = expires - self._refresh_ahead if self._refresh_ahead else expires
        recovered: list[str] = []
        stale: list[_StaleNote] = []
        with self._lock:
            for name, flight in flights.items():
                del self._flights[name]
                current = flight.generation == self._generation
                if result is not None and name in result:
                    flight.secret = result[name]
                    if current:
                        old = self._entries.get(name)
                        if old is not None and old[3]:
                            recovered.append(name)
                        self._entries[name] = (deadline, flight.secret, expires, False)
                    continue
                if result is None:
                    error = SourceError(
                        f"secret {name!r} could not be fetched: the source failed with an "
                        "unexpected exception (raised in the thread that fetched it)",
                        secret=name,
                    )
                else:
                    error = result.errors.get(name) or SecretNotFound(
                        f"secret {name!r} not returned by {self._source!r}", secret=name
                    )
                flight.error = error
                old = self._entries.get(name)
                if current and old is not None:
                    note = self._fall_back(name, old, flight, now=now, background=background)
                    if note is not None:
                        stale.append(note)
        for flight in flights.values():
            flight.done.set()
        for name in recovered:
            logger().info("secret %r: fetched again; no longer serving a stale value", name)
        for name, error, age, left in stale:
            logger().warning(
                "secret %r: the store failed (%s); serving the last good value, %.0fs past "
                "its TTL, for at most %.0fs more (stale_ttl=%gs)",
                name,
                error.code or type(error).__name__,
                age,
                left,
                self._stale_ttl,
            )

    def _fall_back(
        self, name: str, old: _Entry, flight: _Flight, *, now: float, background: bool
    ) -> _StaleNote | None:
        """Decide what a failed fetch of a cached name leaves behind (lock held).

        May replace `flight.error` (past the stale window) or set
        `flight.stale` (within it: readers get that value); returns what to
        log when a stale value is served.
        """
        error = flight.error
        assert error is not None  # noqa: S101 - the caller set it
        _, secret, expires, stale = old
        if not self._stale_on(error):
            if stale:
                # The store answered (deleted, unreadable): stop serving the stale value.
                self._entries[name] = (now, secret, expires, False)
            return None
        if now < expires:
            if background:
                # A refresh ahead failed: keep serving, try again after the interval.
                deadline = min(now + self._retry_interval, expires)
                self._entries[name] = (deadline, secret, expires, False)
            return None
        if not self._stale_ttl:
            return None
        stale_until = expires + self._stale_ttl
        if now < stale_until:
            deadline = min(now + self._retry_interval, stale_until)
            self._entries[name] = (deadline, secret, expires, True)
            flight.stale = secret
            return (name, error, now - expires, stale_until - now)
        flight.error = SourceError(
            f"secret {name!r} could not be fetched ({error.code or type(error).__name__}) and "
            f"its last good value is {now - expires:.0f}s past its TTL, beyond "
            f"stale_ttl={self._stale_ttl:g}s, so it is no longer served; restore access to "
            f"the store. Cause: {error}",
            secret=name,
            code=error.code,
        )
        return None

    def __repr__(self) -> str:
        extra = ""
        if self._refresh_ahead:
            extra += f", refresh_ahead={self._refresh_ahead:g}"
        if self._stale_ttl:
            extra += f", stale_ttl={self._stale_ttl:g}"
        return f"CachedSource({self._source!r}, ttl={self._ttl:g}{extra})"
