"""The one rule for a polling interval (`output.refresh_interval`, `watch --interval`).

Written as a number of seconds (`90`, `0.25`) or with an `s`, `m` or `h`
suffix (`60s`, `1.5m`, `1h`); fractions are allowed so tests can poll fast.
`go_duration` turns the seconds into the Go duration ESO's `refreshInterval`
reads, so Compose (`watch`) and Kubernetes (ESO) refresh at the same pace.
"""

from __future__ import annotations

import math

from rideinfra._lazy import LazyPattern

__all__ = ["MAX_INTERVAL", "go_duration", "parse_interval"]

#: One day: a longer interval is almost surely a unit slip (`60h` for `60m`).
MAX_INTERVAL = 86400.0
_FORM = LazyPattern(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([smh]?)")
_UNIT = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_interval(value: object) -> float:
    """`60`, `0.5`, `'60s'`, `'1.5m'`, `'1h'` as seconds, more than 0 and at most a day.

    Raises:
        ValueError: another form, zero, or more than a day; the message says the forms.
    """
    forms = "a number of seconds, or a number with s, m or h (60s, 1.5m, 1h)"
    seconds: float
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (match := _FORM.fullmatch(value.strip())):
        seconds = float(match[1]) * _UNIT[match[2]]
    else:
        raise ValueError(f"an interval is {forms}")
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_INTERVAL):
        raise ValueError(f"an interval is more than 0 and at most 24h; {forms}")
    return seconds


def go_duration(seconds: float) -> str:
    """Seconds as a Go duration: `3600.0` -> `1h`, `90.0` -> `1m30s`, `0.25` -> `250ms`."""
    millis = round(seconds * 1000)
    if millis % 1000:
        return f"{millis}ms"
    rest = millis // 1000
    parts = []
    for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
