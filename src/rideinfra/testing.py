"""Test doubles for code that uses rideinfra: no AWS, no files, no network.

- `MemorySource`: a dict of secrets, with `put`/`delete`.
- `HandlerSource`: a function answers each name, like httpx's
  `MockTransport(handler)`; for failures, latency and call counting.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

from rideinfra.errors import SecretNotFound, SourceError
from rideinfra.secrets.base import BaseSource, FetchResult
from rideinfra.secrets.model import (
    DEFAULT_PARSE,
    ParseOptions,
    Secret,
    parse_secret_binary,
    parse_secret_string,
)

__all__ = ["HandlerResult", "HandlerSource", "MemorySource"]


class MemorySource(BaseSource):
    """An in-memory store: `MemorySource({"app/db": {"USER": "u", "PASSWORD": "p"}})`.

    Field values may be strings, numbers, booleans or nested dicts/lists, as a
    JSON SecretString would hold them; they go through the same parsing as a
    real store's. `calls` records each `fetch_many` batch, so tests can
    assert how often the store was asked.
    """

    def __init__(self, secrets: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self._store: dict[str, str] = {}
        self.calls: list[tuple[str, ...]] = []
        for name, fields in (secrets or {}).items():
            self.put(name, fields)

    def put(self, name: str, fields: Mapping[str, Any]) -> None:
        """Store (or replace) a secret's fields."""
        self._store[name] = json.dumps(dict(fields))

    def delete(self, name: str) -> None:
        """Remove a secret; later fetches report it as not found."""
        self._store.pop(name, None)

    def _fetch_many(self, names: tuple[str, ...]) -> FetchResult:
        self.calls.append(names)
        found: dict[str, Secret] = {}
        errors: dict[str, SourceError] = {}
        for name in names:
            text = self._store.get(name)
            if text is None:
                errors[name] = SecretNotFound(f"secret {name!r} not found in memory", secret=name)
                continue
            try:
                found[name] = parse_secret_string(name, text, origin="memory")
            except SourceError as exc:
                errors[name] = exc
        return FetchResult(found, errors)

    def __repr__(self) -> str:
        return f"MemorySource(secrets={sorted(self._store)})"


#: What a `HandlerSource` handler may return for one name.
HandlerResult: TypeAlias = Mapping[str, Any] | str | bytes | Secret | BaseException | None


class HandlerSource(BaseSource):
    """A source whose answers come from a function, called once per name.

    `handler(name)` returns (or raises) what the store would say:

    - a mapping of fields: the secret, parsed as a JSON SecretString would be;
    - a `str`: the SecretString itself (`options.plain_field` admits
      non-JSON text, as with the real stores);
    - `bytes`: a SecretBinary (`options.binary_field` must name its field);
    - a `Secret`: used as it is;
    - `None`: the secret does not exist (SecretNotFound);
    - a `SourceError`, returned or raised: that
      name's error in the result, as a store's per-secret error would be;
    - any other exception, returned or raised: raised from `fetch_many`,
      as a crashing client would.

    For example, a store that is slow, denies one secret and lacks the rest:

        def handler(name):
            time.sleep(0.05)
            if name == "team/other":
                return SourceError("access denied", secret=name, code="AccessDeniedException")
            return {"API_KEY": "k"} if name == "app/api-key" else None

    `calls` records each `fetch_many` batch (thread-safe), so tests can
    assert how often, and with what, the store was asked.

    Args:
        handler: called with each name of each batch, in order.
        options: how strings and bytes become fields.
        origin: the `origin` of the secrets it makes.
    """

    def __init__(
        self,
        handler: Callable[[str], HandlerResult],
        *,
        options: ParseOptions = DEFAULT_PARSE,
        origin: str = "handler",
    ) -> None:
        self._handler = handler
        self._options = options
        self._origin = origin
        self._calls_lock = threading.Lock()
        self.calls: list[tuple[str, ...]] = []

    @property
    def call_count(self) -> int:
        """How many `fetch_many` batches reached the handler."""
        return len(self.calls)

    def _fetch_many(self, names: tuple[str, ...]) -> FetchResult:
        with self._calls_lock:
            self.calls.append(names)
        found: dict[str, Secret] = {}
        errors: dict[str, SourceError] = {}
        for name in names:
            try:
                answer = self._handler(name)
                if isinstance(answer, BaseException):
                    raise answer
                found[name] = self._secret(name, answer)
            except SourceError as exc:
                errors[name] = exc
        return FetchResult(found, errors)

    def _secret(self, name: str, answer: HandlerResult) -> Secret:
        if answer is None:
            raise SecretNotFound(f"secret {name!r} not found (handler returned None)", secret=name)
        if isinstance(answer, Secret):
            return answer
        if isinstance(answer, bytes):
            return parse_secret_binary(name, answer, options=self._options, origin=self._origin)
        if isinstance(answer, str):
            return parse_secret_string(name, answer, options=self._options, origin=self._origin)
        if isinstance(answer, Mapping):
            text = json.dumps(dict(answer), ensure_ascii=False)
            return parse_secret_string(name, text, options=self._options, origin=self._origin)
        raise TypeError(
            f"the handler returned a {type(answer).__name__} for {name!r}; return a mapping, "
            "str, bytes, Secret, exception or None"
        )

    def __repr__(self) -> str:
        handler = getattr(self._handler, "__qualname__", type(self._handler).__name__)
        return f"HandlerSource({handler})"
