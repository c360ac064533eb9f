"""The json renderer next to `json.dumps`, on the same values (issue 13, part 4).

    python bench/json_vs_dumps.py        # prints one line per size

Three ways to write the same bytes, each timed best-of-5 in this process:

- `render_json`: the renderer (checks every value, then one pass of
  `encode_basestring`);
- `dumps, checked`: the same checks (`entries`), then `json.dumps(indent=2,
  ensure_ascii=False)`: what the renderer would be if it used json.dumps;
- `dumps, unchecked`: `json.dumps(..., sort_keys=True)` of a plain dict of
  str, with no checks at all: not a renderer (it would write a structured
  value or a lone surrogate), only the floor of the comparison.

The renderer stays as long as it is faster than "dumps, checked", the simpler
code; docs/formats.md (`json`) has the figures.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from render_probe import values

from rideinfra.render.base import entries
from rideinfra.render.jsonfmt import render_json


def dumps_checked(data: Any) -> str:
    return json.dumps(dict(entries(data, fmt="json")), indent=2, ensure_ascii=False) + "\n"


def dumps_unchecked(plain: dict[str, str]) -> str:
    return json.dumps(plain, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def best(call: Callable[[Any], object], arg: Any, n: int) -> float:
    reps = max(3, 200_000 // n)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(reps):
            call(arg)
        times.append((time.perf_counter() - started) / reps)
    return min(times)


def main() -> None:
    for n in (10, 1_000, 10_000, 100_000):
        data = values(n)
        plain = {name: value.reveal() for name, value in data.items()}
        assert render_json(data) == dumps_checked(data) == dumps_unchecked(plain)
        ours = best(render_json, data, n)
        checked = best(dumps_checked, data, n)
        unchecked = best(dumps_unchecked, plain, n)
        print(
            f"{n:>7} variables: render_json {ours * 1e3:8.3f} ms, dumps checked "
            f"{checked * 1e3:8.3f} ms ({checked / ours:.2f}x), dumps unchecked "
            f"{unchecked * 1e3:8.3f} ms ({unchecked / ours:.2f}x)"
        )


if __name__ == "__main__":
    main()
