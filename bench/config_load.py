"""How long loading rideinfra.yaml takes once rideinfra is imported (target: <= 5 ms).

`python bench/config_load.py [CONFIG]` (default: the rideshare example) runs
9 fresh processes; each imports `rideinfra.profiles` (untimed), then times
its first `load_config` (what an init container pays: file read, libyaml
parse, the declarative reader building the Config) and 50 more. Prints the
medians, and whether pydantic was imported (it must not be).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO / "examples" / "rideshare" / "rideinfra.yaml"
PROCESSES = 9

_PROBE = """
import json, sys, time
from rideinfra.profiles import load_config
path = sys.argv[1]
started = time.perf_counter()
load_config(path)
first = time.perf_counter() - started
warm = []
for _ in range(50):
    started = time.perf_counter()
    load_config(path)
    warm.append(time.perf_counter() - started)
warm.sort()
print(json.dumps({"first": first, "warm": warm[len(warm) // 2],
                  "pydantic": "pydantic" in sys.modules}))
"""


def measure(config: Path) -> dict[str, float | bool]:
    """Median first and warm load times (ms) over fresh processes."""
    runs = []
    for _ in range(PROCESSES):
        out = subprocess.run(
            [sys.executable, "-c", _PROBE, str(config)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        runs.append(json.loads(out))
    return {
        "first_ms": statistics.median(r["first"] for r in runs) * 1000,
        "warm_ms": statistics.median(r["warm"] for r in runs) * 1000,
        "pydantic_imported": any(r["pydantic"] for r in runs),
    }


def main() -> int:
    config = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    result = measure(config)
    print(
        f"load_config({config.name}) after imports: first {result['first_ms']:.2f} ms, "
        f"warm {result['warm_ms']:.2f} ms (median of {PROCESSES} processes); "
        f"pydantic imported: {result['pydantic_imported']}"
    )
    return 0 if result["first_ms"] <= 5.0 and not result["pydantic_imported"] else 1


if __name__ == "__main__":
    sys.exit(main())
