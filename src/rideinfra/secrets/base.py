"""The source interface: what consumers depend on, and a small base for implementers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol, runtime_checkable

from rideinfra.errors import FetchErrors, SecretNotFound, SourceError
from rideinfra.secrets.model import ParseOptions, Secret

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
            iterate characters), is not iterable, or holds a name that is not a str.
    """
    if isinstance(names, str):
        raise TypeError("fetch_many takes an iterable of names, not one string; use fetch(name)")
    try:
        listed = tuple(names)
    except TypeError:
        raise TypeError(
            f"fetch_many(names) takes an iterable of secret names (str), not {_kind(names)}"
        ) from None
    for index, name in enumerate(listed):
        if not isinstance(name, str):
            raise TypeError(
                f"fetch_many(names): names[{index}] is {_kind(name)}; a secret name is a str"
            )
    return tuple(dict.fromkeys(listed))


def _check_name(name: object) -> str:
    """`name` itself, when it is a str: what every source's `fetch(name)` asks first.

    Raises:
        TypeError: `name` is not a str (None, a number, a list of names).
    """
    if not isinstance(name, str):
        hint = "; use fetch_many(names) for several" if _iterable(name) else ""
        raise TypeError(f"fetch(name): a secret name is a str, not {_kind(name)}{hint}")
    return name


def _check_type(
    value: object, kinds: type | tuple[type, ...], argument: str, expected: str
) -> None:
    """Refuse a constructor argument of the wrong type, naming it and what it takes.

    The message names the argument's type, never its value (which may be a
    credential). A bool is not taken for a number unless `kinds` lists bool.

    Raises:
        TypeError: `value` is not an instance of `kinds`.
    """
    listed = kinds if isinstance(kinds, tuple) else (kinds,)
    if isinstance(value, kinds) and not (isinstance(value, bool) and bool not in listed):
        return
    raise TypeError(f"{argument} must be {expected}, not {_kind(value)}")


def _check_number(
    value: object, argument: str, *, minimum: float, inclusive: bool = True, integer: bool = False
) -> None:
    """Refuse a numeric argument that is not a number (or an int), or out of range, or NaN.

    Raises:
        TypeError: not an int (`integer`) or a real number; a bool is neither.
        ValueError: below `minimum` (or equal to it, unless `inclusive`), or NaN.
    """
    expected = "an int" if integer else "a number"
    _check_type(value, int if integer else (int, float), argument, expected)
    assert isinstance(value, int | float)  # noqa: S101 - narrowed by _check_type
    if value != value or value < minimum or (value == minimum and not inclusive):  # noqa: PLR0124 - NaN
        bound = f">= {minimum:g}" if inclusive else f"> {minimum:g}"
        raise ValueError(f"{argument} must be {bound}, not {value!r}")


def _check_source(value: object, argument: str) -> None:
    """Refuse what is not a source (no `fetch` and `fetch_many`).

    Raises:
        TypeError: naming the argument and what was given.
    """
    if not isinstance(value, SecretSource):
        raise TypeError(
            f"{argument} must be a secret source (an object with fetch and fetch_many, "
            f"e.g. FileSource(...)), not {_kind(value)}"
        )


def _check_parse_options(
    options: object, per_secret: object = None, *, argument: str = "options"
) -> None:
    """Refuse `options` (or `parse`) and `per_secret` that are not ParseOptions.

    Raises:
        TypeError: naming the argument (a field name given bare is the usual slip).
    """
    _check_type(
        options, ParseOptions, argument, "a ParseOptions, e.g. ParseOptions(plain_field='F')"
    )
    if per_secret is None:
        return
    _check_type(per_secret, Mapping, "per_secret", "a mapping of secret name -> ParseOptions")
    assert isinstance(per_secret, Mapping)  # noqa: S101 - narrowed above
    for secret, how in per_secret.items():
        _check_type(secret, str, "per_secret's keys", "secret names (str)")
        _check_type(how, ParseOptions, f"per_secret[{secret!r}]", "a ParseOptions")


def _leaves_its_root(name: str, *, hidden: bool = False) -> bool:
    """True when `name`, read as a `/`-separated path under a root, could leave it or
    name something else: absolute, an empty, `.` or `..` part, a backslash or a NUL
    (and, with `hidden`, a part starting with `.`). DirectorySource and VaultSource
    share this rule; each names the refused secret in its own words."""
    return (
        name.startswith("/")
        or "\\" in name
        or "\x00" in name
        or any(
            part in ("", ".", "..") or (hidden and part.startswith(".")) for part in name.split("/")
        )
    )


def _kind(value: object) -> str:
    if value is None:
        return "None"
    kind = type(value).__name__
    return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"


def _iterable(value: object) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, str | bytes)


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
            TypeError: `name` is not a str.
        """
        _check_name(name)
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

        _check_name(name)
        return await asyncio.to_thread(self.fetch, name)

    @abstractmethod
    def _fetch_many(self, names: tuple[str, ...]) -> FetchResult:
        """Read each of `names` (unique, non-empty); report every failure in `errors`."""
