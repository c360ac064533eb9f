"""Time one `resolve` of N secrets in this fresh process: `python bench/resolve_probe.py N`.

Prints `{"seconds": ..., "variables": ...}`. `resolve` is what turns fetched
secrets into each profile's `Env` (rideinfra.profiles.resolve): pipelines,
the merge with its collision check, the `Env`s. The secrets are parsed
before the clock starts and handed over by a source that only returns them,
so neither the network nor JSON parsing is timed; they stay alive during the
call, as the fetched secrets do in a real run, so the cyclic GC has the same
heap to walk.

The config: N secrets of 5 fields (names unique per secret, so nothing
collides), in profiles of 100, every 10th secret with a bound `prefix`
transform. One untimed resolve of a one-secret config first, so first-call
costs (lazy imports, caches) are not charged to N.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable
from typing import Any

PROFILE_SIZE = 100
FIELDS = 5


def config_data(n: int) -> dict[str, Any]:
    names = [f"bench/resolve-{i:05d}" for i in range(n)]
    return {
        "version": 1,
        "source": {"type": "aws-secretsmanager"},
        "secrets": {name: {"transforms": [{"prefix": "P_"}]} for name in names[::10]},
        "profiles": {
            f"p{start // PROFILE_SIZE:04d}": {"secrets": names[start : start + PROFILE_SIZE]}
            for start in range(0, n, PROFILE_SIZE)
        },
    }


def secrets(n: int) -> dict[str, dict[str, str]]:
    return {
        f"bench/resolve-{i:05d}": {f"S{i:05d}_F{j}": f"value-{i}-{j}-abcdefghij" for j in range(5)}
        for i in range(n)
    }


class Fetched:
    """A source that hands back secrets already fetched: `resolve` is all that is timed."""

    def __init__(self, result: Any) -> None:
        self._result = result

    def fetch_many(self, names: Iterable[str]) -> Any:
        return self._result

    def fetch(self, name: str) -> Any:
        return self._result[name]


def measure(n: int) -> tuple[float, int]:
    """Seconds of one resolve of `n` secrets, and the variables it produced."""
    from rideinfra.profiles import parse_config, resolve
    from rideinfra.testing import MemorySource

    def prepared(count: int) -> tuple[Any, Fetched]:
        data = secrets(count)
        fetched = MemorySource(data).fetch_many(list(data))
        return parse_config(config_data(count)), Fetched(fetched)

    resolve(*prepared(1))
    config, source = prepared(n)
    started = time.perf_counter()
    envs = resolve(config, source)
    seconds = time.perf_counter() - started
    return seconds, sum(len(env) for env in envs.values())


if __name__ == "__main__":
    seconds, variables = measure(int(sys.argv[1]))
    print(json.dumps({"seconds": seconds, "variables": variables}))
