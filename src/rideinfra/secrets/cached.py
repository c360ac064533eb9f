"""A TTL cache in front of any source, for long-running services.

A hit is a dict lookup and one clock call, with no lock and no copy: entries
are ``(expires_at, secret)`` tuples replaced whole, so a reader sees either
the old tuple or the new one, and a :class:`~rideinfra.secrets.model.Secret`
is immutable, so every caller may share the same object. Misses take a lock
only to register themselves; the fetch runs outside it.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Iterable

from rideinfra.errors import SecretNotFound, SourceError
from rideinfra.secrets.base import BaseSource, FetchResult, SecretSource, unique_names
from rideinfra.secrets.compose import _as_result, _per_name_error
from rideinfra.secrets.model import Secret

__all__ = ["DEFAULT_TTL", "CachedSource"]

#: Seconds a fetched secret is served from the cache.
DEFAULT_TTL = 300.0


class _Flight:
    """One fetch of one name in progress; other threads wanting the name wait on it."""

    __slots__ = ("done", "error", "generation", "secret", "seq")

    def __init__(self, seq: int, generation: int) -> None:
        self.seq = seq
        self.generation = generation
        self.done = threading.Event()
        self.secret: Secret | None = None
        self.error: SourceError | None = None


class CachedSource(BaseSource):
    """Serve secrets from memory for ``ttl`` seconds, fetching each at most once at a time.

    - Hits return the very :class:`~rideinfra.secrets.model.Secret` fetched
      (immutable; no copy).
    - Misses in one ``fetch_many`` go to the source as one batch.
    - Single flight: while a name is being fetched, other threads asking for
      it wait for that fetch instead of starting their own.
    - Errors are not cached: the next call asks the source again (still one
      fetch at a time per name). An expired entry is kept until replaced, so
      a later stale-while-error policy can fall back to it.
    - :meth:`refresh` fetches now, whatever the TTL; :meth:`invalidate` forgets.
      A fetch that was in flight when :meth:`invalidate` ran is handed to its
      waiters but not cached.

    The TTL counts from when the source answered. ``ttl=0`` caches nothing
    (but keeps single flight); ``ttl=math.inf`` caches until refreshed.

    Args:
        source: the source to cache.
        ttl: seconds a secret is served before it is fetched again.
        clock: a monotonic clock in seconds (inject a fake one in tests).

    Raises:
        ValueError: ``ttl`` is negative or NaN.
    """

    def __init__(
        self,
        source: SecretSource,
        *,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if math.isnan(ttl) or ttl < 0:
            raise ValueError(f"ttl must be >= 0 seconds, not {ttl!r}")
        self._source = source
        self._ttl = float(ttl)
        self._clock = clock
        self._entries: dict[str, tuple[float, Secret]] = {}
        self._flights: dict[str, _Flight] = {}
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._last_seq = 0
        self._generation = 0

    @property
    def source(self) -> SecretSource:
        """The source behind the cache."""
        return self._source

    @property
    def ttl(self) -> float:
        """Seconds a fetched secret is served from the cache."""
        return self._ttl

    def fetch(self, name: str) -> Secret:
        """Read one secret, from the cache while it is fresh.

        Raises:
            SourceError: the secret could not be read (SecretNotFound when absent).
        """
        entry = self._entries.get(name)
        if entry is not None and self._clock() < entry[0]:
            return entry[1]
        result = self._load((name,), force=False)
        if name in result:
            return result[name]
        result.raise_errors()
        raise SecretNotFound(f"secret {name!r} not found", secret=name)  # pragma: no cover

    def refresh(self, names: Iterable[str] | None = None) -> FetchResult:
        """Fetch now, ignoring the TTL, and cache what comes back.

        Args:
            names: the secrets to refresh; default every cached one.

        Returns:
            The fresh secrets, and an error per name that failed (a failed
            name keeps its previous entry until that expires).
        """
        wanted = tuple(self._entries) if names is None else unique_names(names)
        if not wanted:
            return FetchResult()
        return self._load(wanted, force=True)

    def invalidate(self, names: Iterable[str] | None = None) -> None:
        """Forget cached secrets (default: all), so the next fetch asks the source."""
        with self._lock:
            self._generation += 1
            if names is None:
                self._entries.clear()
            else:
                for name in unique_names(names):
                    self._entries.pop(name, None)

    def _fetch_many(self, names: tuple[str, ...]) -> FetchResult:
        entries = self._entries
        now = self._clock()
        found: dict[str, Secret] = {}
        misses: list[str] = []
        for name in names:
            entry = entries.get(name)
            if entry is not None and now < entry[0]:
                found[name] = entry[1]
            else:
                misses.append(name)
        if not misses:
            return FetchResult(found)
        loaded = self._load(tuple(misses), force=False)
        found.update(loaded)
        return FetchResult(found, loaded.errors)

    def _load(self, names: tuple[str, ...], *, force: bool) -> FetchResult:
        """Fetch ``names`` through single flight; ``force`` ignores fresh entries."""
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
                    if not force and entry is not None and now < entry[0]:
                        found[name] = entry[1]
                    elif (flight := self._flights.get(name)) is not None:
                        joined[name] = flight
                    else:
                        self._last_seq = next(self._seq)
                        flight = _Flight(self._last_seq, self._generation)
                        self._flights[name] = mine[name] = flight
            if mine:
                self._run(mine)
            retry: list[str] = []
            for name, flight in (*mine.items(), *joined.items()):
                flight.done.wait()
                if force and flight.seq <= since:
                    retry.append(name)  # began before the refresh: may predate a rotation
                elif flight.secret is not None:
                    found[name] = flight.secret
                else:
                    assert flight.error is not None  # noqa: S101 - set before done
                    errors[name] = flight.error
            pending = tuple(retry)
        return FetchResult(found, errors)

    def _run(self, flights: dict[str, _Flight]) -> None:
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
            self._publish(flights, result)

    def _publish(self, flights: dict[str, _Flight], result: FetchResult | None) -> None:
        expires = self._clock() + self._ttl
        with self._lock:
            for name, flight in flights.items():
                if result is None:
                    flight.error = SourceError(
                        f"secret {name!r} could not be fetched: the source failed with an "
                        "unexpected exception (raised in the thread that fetched it)",
                        secret=name,
                    )
                elif name in result:
                    flight.secret = result[name]
                    if flight.generation == self._generation:
                        self._entries[name] = (expires, flight.secret)
                else:
                    flight.error = result.errors.get(name) or SecretNotFound(
                        f"secret {name!r} not returned by {self._source!r}", secret=name
                    )
                del self._flights[name]
        for flight in flights.values():
            flight.done.set()

    def __repr__(self) -> str:
        return f"CachedSource({self._source!r}, ttl={self._ttl:g})"
