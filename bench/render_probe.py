"""Render N variables under callgrind, for the instruction counts of section 4.

    python bench/render_probe.py N [FORMAT]

Builds N values shaped like the timed ones (a third bare, a third needing single
quotes, a third double quotes), renders them once in every format (first calls
fill caches), then once more in FORMAT if given. The driver counts the
instructions of both runs; the difference is one warm render of FORMAT.
Values are made arithmetically, not with random.choice: under callgrind that
alone would take a minute at N = 100,000.
"""

from __future__ import annotations

import sys

from rideinfra.render import get_format
from rideinfra.secrets import SecretValue

FORMATS = ("env", "shell", "json")


def values(n: int) -> dict[str, SecretValue]:
    out = {}
    for i in range(n):
        token = f"{i * 2654435761 % 10**12:012d}x{i:08d}"
        out[f"VAR_{i:06d}"] = SecretValue((token, f"two words {token}", f"it's {token}")[i % 3])
    return out


def main(argv: list[str]) -> None:
    data = values(int(argv[0]))
    for name in FORMATS:
        get_format(name).render(data, profile="bench")
    if len(argv) > 1:
        get_format(argv[1]).render(data, profile="bench")


if __name__ == "__main__":
    main(sys.argv[1:])
