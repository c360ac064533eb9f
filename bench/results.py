"""What one benchmark run measured: plain records shared by the driver, the plots and the report."""

from __future__ import annotations

import dataclasses
import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: A row of the page's Targets table: what, met (None: not measured), the measured figure.
Target = tuple[str, bool | None, str]

#: BatchGetSecretValue takes at most 20 ids.
BATCH = 20
#: The round trip (ms) section 9's targets are judged at (issue 19).
TARGET_DELAY_MS = 20
#: The render section's control row: a dict comprehension over the same values.
CONTROL = "control"


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def quartiles(values: Sequence[float]) -> tuple[float, float]:
    """The first and third quartiles (both the value itself for one value)."""
    if len(values) < 2:
        return values[0], values[0]
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q3


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


@dataclass(frozen=True)
class PeerPlan:
    """How much of section 9 (rideinfra against bench/peer.py) to measure."""

    sizes: tuple[int, ...]  # warm fetch N
    delays_ms: tuple[int, ...]  # warm fetch delays
    reps: int  # warm pairs per (N, delay)
    process_delays_ms: tuple[int, ...]
    process_reps: int  # process pairs per delay, after one warm-up pair
    import_reps: int
    resolve_sizes: tuple[int, int]  # (small, large) secret counts
    resolve_reps: int  # fresh-process pairs
    indexed_sizes: tuple[int, ...] = ()  # warm N on the indexed stand (bench/moto_indexed.py)


@dataclass
class PairRow:
    """One point of rideinfra against the peer: repetition i of each side ran back to back.

    `rideinfra[i] / peer[i]` is pair i's ratio; the order alternated between
    pairs. CPU is the client's own: process_time of the measuring process
    for a warm fetch (all its threads; moto and the proxy are other
    processes), user+sys of the child for a whole process.
    """

    what: str  # "warm" | "indexed" (warm, on the indexed stand) | "process"
    n: int
    delay_ms: int
    rideinfra: list[float]  # wall seconds, one per repetition
    peer: list[float]
    rideinfra_cpu: list[float]
    peer_cpu: list[float]
    rideinfra_requests: int = 0  # requests one fetch made (warm only)
    peer_requests: int = 0
    # moto's CPU seconds during each fetch, pair by pair (warm, indexed). /proc counts it
    # in 10 ms ticks: one value is good to a tick, a mean over the pairs to much better.
    rideinfra_store_cpu: list[float] = field(default_factory=list)
    peer_store_cpu: list[float] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [a / b for a, b in zip(self.rideinfra, self.peer, strict=True)]

    @property
    def store_cpu(self) -> float:
        """moto's CPU seconds per rideinfra fetch, the mean over the pairs (0 if not measured)."""
        return statistics.fmean(self.rideinfra_store_cpu) if self.rideinfra_store_cpu else 0.0

    @property
    def floor(self) -> float:
        """The stand floor of a warm fetch, seconds: the delay plus moto's CPU per fetch (it
        serves one request at a time, so no client overlaps it)."""
        return self.delay_ms / 1000 + self.store_cpu

    @property
    def bounds(self) -> list[float]:
        """Pair by pair, the ratio to the peer of a client that cost nothing: the delay plus
        the CPU moto spent during the peer's fetch (what that fetch could not have been
        shorter than), over the peer's wall. The peer's own fetch, so moto's speed in that
        pair is the peer's and the bound's alike."""
        delay = self.delay_ms / 1000
        pairs = zip(self.peer_store_cpu, self.peer, strict=True)
        return [(delay + cpu) / wall for cpu, wall in pairs]

    @property
    def rideinfra_own(self) -> list[float]:
        """Each rideinfra fetch's wall less the CPU moto spent during it: the part that is the
        client's (its work, the round trip, the proxy), not moto's. Meaningful where moto's
        CPU per fetch is many 10 ms ticks."""
        return [w - c for w, c in zip(self.rideinfra, self.rideinfra_store_cpu, strict=True)]

    @property
    def peer_own(self) -> list[float]:
        """The same for each of the peer's fetches."""
        return [w - c for w, c in zip(self.peer, self.peer_store_cpu, strict=True)]

    @property
    def own_ratios(self) -> list[float]:
        """Pair by pair, rideinfra's own time over the peer's."""
        return [a / b for a, b in zip(self.rideinfra_own, self.peer_own, strict=True)]


@dataclass
class ImportShare:
    name: str  # a distribution (or a top-level module no distribution claims)
    ms: float  # median over the runs of its summed self times


@dataclass
class PeerImports:
    """-X importtime self times of a real `python -m rideinfra.fetch` run, classified."""

    counted_ms: float  # median over runs of what the target counts
    samples: list[float]  # that sum, one per run
    counted: list[ImportShare]  # by distribution, largest first
    excluded: list[ImportShare]  # by category: standard library, botocore & deps, startup
    excluded_dists: list[str]  # the distributions found to be botocore's/urllib3's closure


@dataclass
class ResolveRow:
    n: int  # secrets
    variables: int
    per_var: list[float]  # seconds per variable, one per fresh process


@dataclass
class PeerResults:
    """Section 9: rideinfra against the best hand-written script, in one run."""

    plan: PeerPlan
    command: str
    quick: bool
    date: str
    load_start: str  # load averages (1, 5, 15 min) when the section started
    load_end: str
    elapsed: float
    max_concurrency: int
    warm: list[PairRow] = field(default_factory=list)
    indexed: list[PairRow] = field(default_factory=list)  # warm, on the indexed stand
    process: list[PairRow] = field(default_factory=list)
    imports: PeerImports | None = None
    resolve: list[ResolveRow] = field(default_factory=list)
    resolve_ratios: list[float] = field(default_factory=list)  # per-var large / small, per pair


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
    peer: PeerResults | None = None


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
    if data.get("peer") is not None:
        data["peer"] = _peer(data["peer"])
    return Results(plan=Plan(**plan), **data)


def _peer(data: dict[str, Any]) -> PeerResults:
    plan = {k: tuple(v) if isinstance(v, list) else v for k, v in data.pop("plan").items()}
    imports = data.pop("imports")
    if imports is not None:
        for key in ("counted", "excluded"):
            imports[key] = [ImportShare(**share) for share in imports[key]]
        imports = PeerImports(**imports)
    return PeerResults(
        plan=PeerPlan(**plan),
        imports=imports,
        warm=[_pair_row(row) for row in data.pop("warm")],
        indexed=[_pair_row(row) for row in data.pop("indexed", [])],
        process=[_pair_row(row) for row in data.pop("process")],
        resolve=[ResolveRow(**row) for row in data.pop("resolve")],
        **data,
    )


def _pair_row(row: dict[str, Any]) -> PairRow:
    """A saved pair row; a run saved before 2026-12-02 kept moto's CPU only as a mean per
    rideinfra fetch (`store_cpu`), which is read as one value of the same mean."""
    if "store_cpu" in row:
        mean = row.pop("store_cpu")
        row["rideinfra_store_cpu"] = [mean] if mean else []
    return PairRow(**row)
