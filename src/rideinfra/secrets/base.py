"""The source interface: what consumers depend on, and a small base for implementers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol, runtime_checkable

from rideinfra.errors import FetchErrors, SecretNotFound, SourceError
from rideinfra.secrets.model import Secret

__all__ = ["BaseSource", "FetchResult", "SecretSource", "unique_names"]


class FetchResult(Mapping[str, Secret]):
    """What `fetch_many` returns: the secrets found, and an error per name that failed.

    It is a read-only mapping of name -> `Secret` holding only the
    secrets that were read; `errors` holds the rest, each naming its secret.
    Call `raise_errors()` when a partial result is not acceptable.
    """

    __slots__ = ("_errors", "_secrets")

    def __init__(
        self,
        secrets: Mapping[str, Secret] | None = None,
        errors: Mapping[str, SourceError] | None = None,
    ) -> None:
        self._secrets = dict(secrets or {})
        self._errors = dict(errors or {})

    @property
    def errors(self) -> Mapping[str, SourceError]:
        """Name -> the error that kept that secret from being read."""
        return self._errors

    @property
    def missing(self) -> tuple[str, ...]:
        """Names the store does not have (a subset of `errors`)."""
        return tuple(n for n, e in self._errors.items() if isinstance(e, SecretNotFound))

    def raise_errors(self) -> None:
        """Raise if any secret failed: that secret's error if one, else FetchErrors.

        Raises:
            SourceError: one secret failed (SecretNotFound, SecretFormatError, ...).
            FetchErrors: more than one failed; `.errors` has each.
        """
        if len(self._errors) == 1:
            raise next(iter(self._errors.values()))
        if self._errors:
            raise FetchErrors(self._errors)

    def __getitem__(self, name: str) -> Secret:
        return self._secrets[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._secrets)

    def __len__(self) -> int:
        return len(self._secrets)

    def __repr__(self) -> str:
        return f"FetchResult(secrets={sorted(self._secrets)}, errors={sorted(self._errors)})"


@runtime_checkable
class SecretSource(Protocol):
    """Anything secrets can be read from. Consumers depend on this, not on a class."""

    def fetch_many(self, names: Iterable[str]) -> FetchResult:
        """Read several secrets at once (batched where the store allows)."""
        ...

    def fetch(self, name: str) -> Secret:
        """Read one secret, or raise the SourceError that kept it from being read."""
        ...


def unique_names(names: Iterable[str]) -> tuple[str, ...]:
    """The names in first-seen order, each once; a bare string is refused.

    Raises:
        TypeError: `names` is a single string (a classic slip: it would
            iterate characters).
    """
    if isinstance(names, str):
        raise TypeError("fetch_many takes an iterable of names, not one string; use fetch(name)")
    return tuple(dict.fromkeys(names))


class BaseSource(ABC):
    """Shared work for sources: deduplication, `fetch` on top of `fetch_many`, async.

    Implementers fill one hook, `_fetch_many()`, which receives each name
    once and returns a `FetchResult` with every name either read or in
    `errors`.
    """

    def fetch_many(self, names: Iterable[str]) -> FetchResult:
        """Read several secrets; each name is asked for once whatever the duplicates."""
        wanted = unique_names(names)
        if not wanted:
            return FetchResult()
        return self._fetch_many(wanted)

    def fetch(self, name: str) -> Secret:
        """Read one secret.

        Raises:
            SourceError: the secret could not be read (SecretNotFound when absent).
        """
        result = self.fetch_many((name,))
        if name in result:
            return result[name]
        result.raise_errors()
        raise SecretNotFound(f"secret {name!r} not found", secret=name)  # pragma: no cover

    async def afetch_many(self, names: Iterable[str]) -> FetchResult:
        """`fetch_many` for asyncio code: runs it in the default thread pool.

        Stores reached over the network block on I/O; a thread keeps the event
        loop free without a second, async, client stack.
        """
        import asyncio  # here, not at the top: it costs ~15 ms of start-up sync users skip

        wanted = unique_names(names)
        return await asyncio.to_thread(self.fetch_many, wanted)

    async def afetch(self, name: str) -> Secret:
        """`fetch` for asyncio code (see `afetch_many()`)."""
        import asyncio

        return await asyncio.to_thread(self.fetch, name)

    @abstractmethod
    def _fetch_many(self, names: tuple[str, ...]) -> FetchResult:
        """Read each of `names` (unique, non-empty); report every failure in `errors`."""
