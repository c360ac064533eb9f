"""Test doubles for code that uses rideinfra: no AWS, no files, no network."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rideinfra.errors import SecretNotFound, SourceError
from rideinfra.secrets.base import BaseSource, FetchResult
from rideinfra.secrets.model import Secret, parse_secret_string

__all__ = ["MemorySource"]


class MemorySource(BaseSource):
    """An in-memory store: ``MemorySource({"app/db": {"USER": "u", "PASSWORD": "p"}})``.

    Field values may be strings, numbers, booleans or nested dicts/lists, as a
    JSON SecretString would hold them; they go through the same parsing as a
    real store's. ``calls`` records each ``fetch_many`` batch, so tests can
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
