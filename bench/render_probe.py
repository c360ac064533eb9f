"""One fresh process per render measurement, for section 4.

    python bench/render_probe.py time FORMAT N RUNS   # prints RUNS timings (s) as JSON
    python bench/render_probe.py count N [FORMAT]     # run under callgrind by the driver

``time``: builds N values, renders them once untimed, then RUNS times timed.
FORMAT may be ``control``, a dict comprehension touching every value. A fresh
process per measurement, because in a long-lived one the timings depend on
what ran before: rendering 10,000 variables to json took 5.5 ms in a fresh
process and 9.6 ms right after 100,000 were rendered to env (the allocator's
and the caches' state), which made the growth figures a matter of ordering.

``count``: renders the values once in every format (first calls fill caches),
then once more in FORMAT if given; the driver counts the instructions of both
runs under callgrind, and the difference is one warm render of FORMAT.

The values are shaped like an init container's (a third bare, a third needing
single quotes, a third double quotes; 25 to 35 characters) and made
arithmetically: under callgrind, random.choice alone would take a minute at
N = 100,000.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from rideinfra.render import get_format
from rideinfra.secrets import SecretValue

FORMATS = ("env", "shell", "json")


def values(n: int) -> dict[str, SecretValue]:
    out = {}
    for i in range(n):
        token = f"{i * 2654435761 % 10**12:012d}x{i:08d}"
        out[f"VAR_{i:06d}"] = SecretValue((token, f"two words {token}", f"it's {token}")[i % 3])
    return out


def _call(name: str) -> Callable[[dict[str, SecretValue]], Any]:
    if name == "control":
        return lambda data: {k: v.reveal() for k, v in data.items()}
    fmt = get_format(name)
    return lambda data: fmt.render(data, profile="bench")


def main(argv: list[str]) -> None:
    if argv[0] == "time":
        call, data, runs = _call(argv[1]), values(int(argv[2])), int(argv[3])
        call(data)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            call(data)
            times.append(time.perf_counter() - started)
        print(json.dumps(times))
        return
    data = values(int(argv[1]))
    for name in FORMATS:
        get_format(name).render(data, profile="bench")
    if len(argv) > 2:
        get_format(argv[2]).render(data, profile="bench")


if __name__ == "__main__":
    main(sys.argv[1:])
