"""moto_server with its Secrets Manager store indexed: the benchmarks' second stand.

moto keeps secrets in ``SecretsStore``, a dict by name whose every lookup
(``store[id]``, ``id in store``, ``store.get(id)``) first walks all the
secrets in insertion order for one whose ARN or name is ``id``. Reading a
secret takes three such walks, so a request's CPU grows with the secrets
moto holds, and a fetch of N secrets costs moto O(N²): at N = 5,000 about
25 ms a request of 20, for every client alike. Secrets Manager's cost per
request does not grow that way, and on this stand the comparison of two
clients turns into a reading of moto's speed.

This launcher gives every ``SecretsStore`` an index from each ARN and name to
the first secret that has it, in insertion order: the secret the walk would
find. It is rebuilt after any write, so lookups answer exactly as moto's own
(tests/test_bench.py compares them), in O(1) between writes. Everything else
is moto's: ``python bench/moto_indexed.py -H 127.0.0.1 -p PORT`` takes
moto_server's arguments.
"""

from __future__ import annotations

import sys
from typing import Any

from moto.secretsmanager import models
from moto.secretsmanager.utils import get_secret_name_from_partial_arn

_MISSING = object()


class IndexedSecretsStore(models.SecretsStore):
    """``SecretsStore`` whose lookups by ARN or name use an index instead of a walk."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._index: dict[str, Any] | None = None
        self._writes = 0

    def _changed(self) -> None:
        self._writes += 1
        self._index = None

    def _lookup(self, key: str) -> Any:
        """The secret moto's walk would find for `key`, else `_MISSING` (the caller then
        tries `key` as a partial ARN, as moto does)."""
        index = self._index
        if index is None:
            writes = self._writes
            index = {}
            for secret in dict.values(self):
                index.setdefault(secret.arn, secret)
                index.setdefault(secret.name, secret)
            if writes == self._writes:  # no write while building: keep it
                self._index = index
        return index.get(key, _MISSING)

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: str) -> None:
        dict.__delitem__(self, key)
        self._changed()

    def __getitem__(self, key: str) -> Any:
        found = self._lookup(key)
        if found is not _MISSING:
            return found
        return dict.__getitem__(self, get_secret_name_from_partial_arn(key))

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if self._lookup(key) is not _MISSING:
            return True
        return dict.__contains__(self, get_secret_name_from_partial_arn(key))

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        found = self._lookup(key)
        if found is not _MISSING:
            return found
        return dict.get(self, get_secret_name_from_partial_arn(key), default)

    def pop(self, key: str) -> Any:  # type: ignore[override]
        popped = super().pop(key)  # moto's: by ARN, name or partial ARN, None if absent
        self._changed()
        return popped

    def clear(self) -> None:
        super().clear()
        self._changed()

    def popitem(self) -> tuple[str, Any]:
        item = super().popitem()
        self._changed()
        return item

    def setdefault(self, key: str, default: Any = None) -> Any:
        value = super().setdefault(key, default)
        self._changed()
        return value

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


def install() -> None:
    """Make every Secrets Manager backend moto creates from now on use the index."""
    models.SecretsStore = IndexedSecretsStore  # type: ignore[misc]


if __name__ == "__main__":
    install()
    from moto.server import main

    main(sys.argv[1:])
