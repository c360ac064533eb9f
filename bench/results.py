"""What one benchmark run measured: plain records shared by the driver, the plots and the report."""

from __future__ import annotations

import dataclasses
import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: BatchGetSecretValue takes at most 20 ids.
BATCH = 20
#: The render section's control row: a dict comprehension over the same values.
CONTROL = "control"


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


@dataclass(frozen=True)
class Plan:
    """How much to measure: the full run or --quick."""

    delays_ms: tuple[int, ...]
    sizes: tuple[int, ...]
    reps: int  # timed repetitions of each fast measurement (median reported)
    baseline_reps_big: dict[int, int]  # N=1000 baseline repetitions, per delay
    process_reps: int
    import_reps: int
    render_sizes: tuple[int, ...]
    render_reps: int


@dataclass
class FetchRow:
    n: int
    delay_ms: int
    requests: int  # every request the proxy saw for one fetch
    batch_requests: int  # of which BatchGetSecretValue
    warm: float  # seconds, median
    cold: float
    baseline: float
    baseline_reps: int
    store_floor: float  # moto's CPU seconds per fetch: it serves requests one at a time


@dataclass
class ProcessRow:
    label: str
    delay_ms: int
    wall: float
    cpu: float
    rss_mb: float
    walls: list[float] = field(default_factory=list)


@dataclass
class ImportRow:
    module: str
    total_ms: float
    botocore: bool
    boto3: bool
    samples: list[float]


@dataclass
class PhaseRow:
    what: str
    ms: float


@dataclass
class RenderRow:
    fmt: str
    n: int
    seconds: float  # median
    best: float  # fastest run: the least disturbed by other jobs on the machine
    reps: int


@dataclass
class InstructionRow:
    fmt: str
    n: int
    instructions: int  # counted by callgrind for one render: exact, whatever else runs


@dataclass
class CacheRow:
    test: str
    median_ns: float
    mean_ns: float
    rounds: int


@dataclass
class StoreRow:
    store: str  # Secrets Manager | Parameter Store | Vault (OpenBao)
    n: int
    delay_ms: int
    requests: int  # every request the proxy saw for one fetch
    wall: float  # seconds, median of warm fetches


@dataclass
class Results:
    """Everything one run measured, and how it was run."""

    info: dict[str, str]
    command: str
    quick: bool
    plan: Plan
    max_concurrency: int
    fetch: list[FetchRow] = field(default_factory=list)
    process: list[ProcessRow] = field(default_factory=list)
    phases: list[PhaseRow] = field(default_factory=list)
    imports: list[ImportRow] = field(default_factory=list)
    import_breakdown: str = ""
    render: list[RenderRow] = field(default_factory=list)
    render_instructions: list[InstructionRow] | None = None
    render_instructions_note: str = ""
    cache: list[CacheRow] | None = None
    cache_note: str = ""
    elapsed: float = 0.0
    stores: list[StoreRow] | None = None
    stores_note: str = ""


def save(results: Results, path: Path) -> None:
    """Write the raw results as JSON (docs/benchmarks.json: the data behind the page)."""
    path.write_text(json.dumps(dataclasses.asdict(results), indent=1) + "\n")


def load(path: Path) -> Results:
    """Read results written by :func:`save`."""
    data: dict[str, Any] = json.loads(path.read_text())
    plan = data.pop("plan")
    plan["baseline_reps_big"] = {int(k): v for k, v in plan["baseline_reps_big"].items()}
    for key in ("delays_ms", "sizes", "render_sizes"):
        plan[key] = tuple(plan[key])
    rows: dict[str, type] = {
        "fetch": FetchRow,
        "process": ProcessRow,
        "phases": PhaseRow,
        "imports": ImportRow,
        "render": RenderRow,
        "render_instructions": InstructionRow,
        "cache": CacheRow,
        "stores": StoreRow,
    }
    for key, kind in rows.items():
        if data.get(key) is not None:
            data[key] = [kind(**row) for row in data[key]]
    return Results(plan=Plan(**plan), **data)
