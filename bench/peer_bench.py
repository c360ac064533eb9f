"""Section 9: rideinfra against the best hand-written script (bench/peer.py), paired.

Every comparison is paired: repetition i of rideinfra and repetition i of the
peer run back to back, in the same process tree and on the same stand, the
order alternating between pairs, and the page reports the median of the
ratios of the pairs with their spread. A burst of load elsewhere on the
machine then hits both sides of a pair alike instead of one side's median.

- warm fetch of N secrets, at each delay: one `SecretsManagerSource` against
  one boto3 client, both made once and warmed; wall and client CPU per fetch;
  moto's CPU around rideinfra's fetches (the stand floor);
- the whole process: `python -m rideinfra.fetch` against `python bench/peer.py`;
- rideinfra's own imports on the fetch path (-X importtime of a real run,
  classified from distribution metadata);
- `resolve` of 30k secrets against 1k, per variable, fresh processes
  (bench/resolve_probe.py).

Run alone by `python bench/run.py --only peer [--quick]`, which merges this
section into docs/benchmarks.json and rewrites docs/benchmarks.md; the full
`python bench/run.py` runs it too.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from importlib import metadata
from typing import Any

import peer
from harness import (
    FETCH_COMMAND,
    HERE,
    ImportLine,
    Store,
    run_process,
    self_times,
    store,
    synthetic,
    synthetic_names,
)
from results import (
    TARGET_DELAY_MS,
    ImportShare,
    PairRow,
    PeerImports,
    PeerPlan,
    PeerResults,
    ResolveRow,
    median,
    ms,
)

FULL = PeerPlan(
    sizes=(11, 100, 1000, 5000),
    delays_ms=(0, 20),
    reps=11,
    process_delays_ms=(0, 20),
    process_reps=15,
    import_reps=9,
    resolve_sizes=(1_000, 30_000),
    resolve_reps=7,
    indexed_sizes=(1000, 5000),
)
QUICK = PeerPlan(
    sizes=(11, 100, 1000, 5000),
    delays_ms=(0, 20),
    reps=5,
    process_delays_ms=(0, 20),
    process_reps=7,
    import_reps=5,
    resolve_sizes=(1_000, 30_000),
    resolve_reps=3,
    indexed_sizes=(1000, 5000),
)
#: For the smoke test (tests/test_bench_peer.py): every step once, in seconds.
TINY = PeerPlan(
    sizes=(11, 40),
    delays_ms=(0, 20),
    reps=1,
    process_delays_ms=(20,),
    process_reps=1,
    import_reps=1,
    resolve_sizes=(100, 300),
    resolve_reps=1,
    indexed_sizes=(40,),
)
PLANS = {"full": FULL, "quick": QUICK, "tiny": TINY}

PEER_COMMAND = [sys.executable, str(HERE / "peer.py"), "--out"]
SIDES = ("rideinfra", "peer")
Log = Callable[[str], None]


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _orders(reps: int) -> Iterable[tuple[int, tuple[str, str]]]:
    """Repetition i and the order its pair runs in: alternating, so neither side always goes
    second (after the other's garbage, on caches the other warmed)."""
    for rep in range(reps):
        yield rep, SIDES if rep % 2 == 0 else SIDES[::-1]


def _child_env(st: Store) -> dict[str, str]:
    env = {**os.environ, **st.environ()}
    # Fresh processes, but with bytecode caches: an image built from a wheel has them.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def bench_peer(
    st: Store, plan: PeerPlan, rideshare: list[str], *, command: str, quick: bool, log: Log
) -> PeerResults:
    """Measure section 9 on a store seeded with the rideshare set and `max(plan.sizes)`
    synthetic secrets (harness.synthetic)."""
    from rideinfra.secrets.aws import DEFAULT_MAX_CONCURRENCY

    started, load_start = time.perf_counter(), _load()
    log(f"peer: load average {load_start}")
    section = PeerResults(
        plan=plan,
        command=command,
        quick=quick,
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        load_start=load_start,
        load_end="",
        elapsed=0.0,
        max_concurrency=DEFAULT_MAX_CONCURRENCY,
    )
    section.warm = bench_warm(st, plan, rideshare, log)
    section.indexed = bench_indexed(plan, log)
    section.process = bench_process(st, plan, log)
    section.imports = bench_imports(st, plan, log)
    section.resolve, section.resolve_ratios = bench_resolve(plan, log)
    section.load_end = _load()
    section.elapsed = time.perf_counter() - started
    log(f"peer: done in {section.elapsed:.0f} s, load average {section.load_end}")
    return section


# --- warm fetch ------------------------------------------------------------------------


def _timed(call: Callable[[], Any]) -> tuple[float, float]:
    """Wall and CPU seconds of `call`; CPU of this whole process, all threads (the client's:
    moto and the proxy are other processes)."""
    cpu, wall = time.process_time(), time.perf_counter()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def bench_warm(st: Store, plan: PeerPlan, rideshare: list[str], log: Log) -> list[PairRow]:
    names_by_n = {n: rideshare if n == 11 else synthetic_names(n) for n in plan.sizes}
    return _warm_pairs(st, "warm", names_by_n, plan.delays_ms, plan.reps, log)


def bench_indexed(plan: PeerPlan, log: Log) -> list[PairRow]:
    """Warm pairs at 20 ms on the second stand: moto with its secret store indexed
    (bench/moto_indexed.py), whose CPU per request does not grow with the secrets it holds,
    as Secrets Manager's does not. Not a target: it shows what the first stand's moto
    costs both sides."""
    if not plan.indexed_sizes:
        return []
    with store(indexed=True) as st:
        st.seed(synthetic(max(plan.indexed_sizes)))
        log("peer: indexed stand seeded")
        names_by_n = {n: synthetic_names(n) for n in plan.indexed_sizes}
        return _warm_pairs(st, "indexed", names_by_n, (TARGET_DELAY_MS,), plan.reps, log)


def _warm_pairs(
    st: Store,
    what: str,
    names_by_n: dict[int, list[str]],
    delays_ms: Iterable[int],
    reps: int,
    log: Log,
) -> list[PairRow]:
    from rideinfra.secrets import SecretsManagerSource

    source = SecretsManagerSource(endpoint_url=st.url, environ=st.environ())
    client = peer.make_client(endpoint_url=st.url)

    def ours(names: list[str]) -> None:
        result = source.fetch_many(names)
        assert not result.errors, sorted(result.errors)
        assert len(result) == len(names)

    def theirs(names: list[str]) -> None:
        assert len(peer.fetch_all(client, names)) == len(names)

    calls = {"rideinfra": ours, "peer": theirs}
    largest = names_by_n[max(names_by_n)]
    rows = []
    for delay in delays_ms:
        st.proxy.delay = delay / 1000
        for call in calls.values():  # every connection either side will use, opened
            call(largest)
        for n, names in names_by_n.items():
            requests = {}
            for side, call in calls.items():
                st.proxy.reset()
                call(names)
                requests[side] = st.proxy.count()
            walls: dict[str, list[float]] = {side: [] for side in SIDES}
            cpus: dict[str, list[float]] = {side: [] for side in SIDES}
            # moto serves requests one at a time: its CPU during a fetch is time no client
            # can overlap, and it moves from fetch to fetch more than the clients differ at
            # large N, so it is kept for every fetch of both sides (PairRow.bounds).
            stand: dict[str, list[float]] = {side: [] for side in SIDES}
            for _, order in _orders(reps):
                for side in order:
                    before = st.moto_cpu()
                    wall, cpu = _timed(lambda side=side, names=names: calls[side](names))
                    stand[side].append(st.moto_cpu() - before)
                    walls[side].append(wall)
                    cpus[side].append(cpu)
            row = PairRow(
                what,
                n,
                delay,
                walls["rideinfra"],
                walls["peer"],
                cpus["rideinfra"],
                cpus["peer"],
                requests["rideinfra"],
                requests["peer"],
                stand["rideinfra"],
                stand["peer"],
            )
            rows.append(row)
            log(
                f"peer {what} N={n} delay={delay}ms: rideinfra {ms(median(row.rideinfra))} ms, "
                f"peer {ms(median(row.peer))} ms, paired ratio {median(row.ratios):.3f}"
            )
    st.proxy.delay = 0
    return rows


# --- whole process ---------------------------------------------------------------------


def bench_process(st: Store, plan: PeerPlan, log: Log) -> list[PairRow]:
    env = _child_env(st)
    commands = {"rideinfra": FETCH_COMMAND, "peer": PEER_COMMAND}
    rows = []
    for delay in plan.process_delays_ms:
        st.proxy.delay = delay / 1000
        samples: dict[str, list[tuple[float, float, float]]] = {side: [] for side in SIDES}
        for rep, order in _orders(plan.process_reps + 1):
            for side in order:
                sample = run_process(commands[side], env)
                if rep:  # the first pair writes bytecode caches and warms the page cache
                    samples[side].append(sample)
        ours, theirs = samples["rideinfra"], samples["peer"]
        row = PairRow(
            "process",
            11,
            delay,
            [s[0] for s in ours],
            [s[0] for s in theirs],
            [s[1] for s in ours],
            [s[1] for s in theirs],
        )
        rows.append(row)
        log(
            f"peer process delay={delay}ms: rideinfra {ms(median(row.rideinfra))} ms, peer "
            f"{ms(median(row.peer))} ms, paired ratio {median(row.ratios):.3f}"
        )
    st.proxy.delay = 0
    return rows


# --- rideinfra's own imports -----------------------------------------------------------

STDLIB = "the standard library"
BOTOCORE = "botocore, urllib3, what they require and what they import"
STARTUP = "interpreter startup (site, .pth hooks)"
COUNTED = "counted"


def _normal(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()


def dependency_closure(roots: Iterable[str]) -> set[str]:
    """The installed distributions `roots` need, themselves included (normalised names).

    Read from each distribution's metadata (`Requires-Dist`); requirements
    behind an extra, or whose marker does not hold here, are left out.
    """
    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = _normal(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


class ImportOwners:
    """Who each module on an `-X importtime` listing belongs to: excluded, or counted.

    Excluded: the standard library (`sys.stdlib_module_names`); botocore,
    urllib3 and the distributions they require (their metadata); whatever
    these import themselves (the listing's nesting: botocore's optional
    `certifi`, urllib3's `brotlicffi`, which they use but do not require);
    and what a bare `python -c pass` imports in the same environment
    (`startup`: site's .pth hooks, not the fetch path). Counted: the rest,
    by distribution (`importlib.metadata.packages_distributions()`; a
    top-level module no distribution claims, like rideinfra run from a
    source tree, under its own name).
    """

    def __init__(self, startup: set[str], roots: Iterable[str] = ("botocore", "urllib3")) -> None:
        self.startup = startup
        self.excluded = dependency_closure(roots)
        self._dists = metadata.packages_distributions()

    def _owner(self, module: str) -> tuple[str, str]:
        top = module.split(".", maxsplit=1)[0]
        if top in sys.stdlib_module_names:
            return STDLIB, top
        if module in self.startup:
            return STARTUP, top
        dists = self._dists.get(top, [])
        if any(_normal(d) in self.excluded for d in dists):
            return BOTOCORE, dists[0]
        return COUNTED, dists[0] if dists else top

    def classify(self, lines: list[ImportLine]) -> list[tuple[tuple[str, str], int]]:
        """((category, owner), self microseconds) for each line, in the lines' order.

        A module the standard library or botocore's closure imports while
        being imported is theirs (copy's optional `org.python.core`,
        botocore's `certifi`): the listing nests it under them.
        """
        owned = []
        ancestors: list[tuple[int, str | None]] = []  # (depth, category it hands down)
        # Reversed, the listing is in import order: each module before what it imports.
        for line in reversed(lines):
            while ancestors and ancestors[-1][0] >= line.depth:
                ancestors.pop()
            inherited = ancestors[-1][1] if ancestors else None
            category, name = self._owner(line.module)
            if category == COUNTED and inherited is not None:
                category = inherited
            handed = category if category in {STDLIB, BOTOCORE} else None
            ancestors.append((line.depth, handed))
            owned.append(((category, name), line.self_us))
        return owned[::-1]


def _importtime(argv: list[str], env: Mapping[str, str]) -> list[ImportLine]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"-X importtime {' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return self_times(done.stderr)


def bench_imports(st: Store, plan: PeerPlan, log: Log) -> PeerImports:
    env = _child_env(st)
    owners = ImportOwners({line.module for line in _importtime(["-c", "pass"], env)})
    runs: list[dict[tuple[str, str], int]] = []
    for rep in range(plan.import_reps + 1):
        with tempfile.TemporaryDirectory() as out:
            lines = _importtime([*FETCH_COMMAND[1:], out], env)
        if not rep:
            continue  # bytecode caches
        totals: dict[tuple[str, str], int] = {}
        for key, us in owners.classify(lines):
            totals[key] = totals.get(key, 0) + us
        runs.append(totals)

    def category(cat: str) -> list[int]:
        return [sum(us for (c, _), us in run.items() if c == cat) for run in runs]

    samples = [us / 1000 for us in category(COUNTED)]
    keys = sorted({key for run in runs for key in run if key[0] == COUNTED})
    counted = [
        ImportShare(key[1], median([run.get(key, 0) for run in runs]) / 1000) for key in keys
    ]
    counted.sort(key=lambda share: -share.ms)
    excluded = [
        ImportShare(cat, median(category(cat)) / 1000) for cat in (STDLIB, BOTOCORE, STARTUP)
    ]
    result = PeerImports(median(samples), samples, counted, excluded, sorted(owners.excluded))
    log(
        f"peer imports: {result.counted_ms:.1f} ms counted ("
        + ", ".join(f"{s.name} {s.ms:.1f}" for s in counted[:5])
        + ")"
    )
    return result


# --- resolve ---------------------------------------------------------------------------


def bench_resolve(plan: PeerPlan, log: Log) -> tuple[list[ResolveRow], list[float]]:
    """Per-variable cost of `resolve` at two sizes, in fresh processes, in pairs."""
    small, large = plan.resolve_sizes
    per_var: dict[int, list[float]] = {small: [], large: []}
    variables: dict[int, int] = {}
    for _, order in _orders(plan.resolve_reps):
        for n in (small, large) if order == SIDES else (large, small):
            done = subprocess.run(
                [sys.executable, str(HERE / "resolve_probe.py"), str(n)],
                capture_output=True,
                text=True,
                check=True,
            )
            got = json.loads(done.stdout)
            variables[n] = got["variables"]
            per_var[n].append(got["seconds"] / got["variables"])
    ratios = [b / a for a, b in zip(per_var[small], per_var[large], strict=True)]
    rows = [ResolveRow(n, variables[n], per_var[n]) for n in (small, large)]
    log(
        f"peer resolve: {median(per_var[small]) * 1e6:.2f} us/var at {small:,}, "
        f"{median(per_var[large]) * 1e6:.2f} at {large:,}, paired ratio {median(ratios):.3f}"
    )
    return rows, ratios
