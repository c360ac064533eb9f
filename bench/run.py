"""The benchmark suite: rideinfra next to the platform's script and the physical limit.

Writes docs/benchmarks.md and docs/img/bench-*.png. Run (matplotlib,
aws-secretsmanager-caching and aws-lambda-powertools installed; ``nox -s
bench`` does that)::

    python bench/run.py            # the full run, about 12 minutes on 2 cores (4 of them callgrind)
    python bench/run.py --quick    # fewer delays and repetitions, ~3 minutes
    python bench/run.py --only peer [--quick]   # section 9 alone, merged into the saved run
    python bench/run.py --from-json docs/benchmarks.json   # the page again, measuring nothing

Figure groups, one section and one PNG each:

1. fetch N secrets through a latency proxy, at several round-trip delays;
2. the whole process, ``python -m rideinfra.fetch`` against the baseline script;
3. import time;
4. rendering 1k, 10k, 100k variables;
5. a cached lookup next to aws-secretsmanager-caching and Powertools
   (bench/bench_cache.py, run under pytest-benchmark);
6. other stores (bench/stores.py);
9. against the best hand-written script, bench/peer.py, paired
   (bench/peer_bench.py; no figure).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import baseline  # noqa: E402
import peer_bench  # noqa: E402
import report  # noqa: E402
import results as results_io  # noqa: E402
from harness import (  # noqa: E402
    AWS_ENV,
    FETCH_COMMAND,
    Store,
    run_process,
    self_times,
    store,
    synthetic,
    synthetic_names,
)
from results import (  # noqa: E402
    CONTROL,
    CacheRow,
    FetchRow,
    ImportRow,
    InstructionRow,
    PeerResults,
    PhaseRow,
    Plan,
    ProcessRow,
    RenderRow,
    Results,
    median,
    ms,
)

import stores  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
SEED = ROOT / "examples" / "rideshare" / "seed.yaml"


FULL = Plan(
    delays_ms=(0, 5, 20, 50),
    sizes=(11, 100, 1000),
    reps=7,
    baseline_reps_big={0: 5, 5: 1, 20: 5, 50: 1},
    process_reps=15,
    import_reps=9,
    render_sizes=(1_000, 10_000, 100_000),
    render_reps=9,
)
QUICK = Plan(
    delays_ms=(0, 20),
    sizes=(11, 100, 1000),
    reps=5,
    baseline_reps_big={0: 1, 20: 1},
    process_reps=5,
    import_reps=5,
    render_sizes=(1_000, 10_000, 100_000),
    render_reps=3,
)


# --- machine ---------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    info = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "CPU": cpu,
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "OS": platform.platform(),
        "Python": platform.python_version(),
    }
    for dist in (
        "rideinfra",
        "boto3",
        "botocore",
        "moto",
        "pydantic",
        "PyYAML",
        "aws-secretsmanager-caching",
        "aws-lambda-powertools",
        "matplotlib",
    ):
        info[dist] = version(dist)
    return info


# --- 1. fetch --------------------------------------------------------------------------


def _time(call: Callable[[], Any], reps: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return median(times), times


def bench_fetch(
    st: Store, plan: Plan, rideshare: list[str], log: Callable[[str], None]
) -> list[FetchRow]:
    from rideinfra.secrets import SecretsManagerSource

    env = st.environ()
    names_by_n = {
        11: rideshare,
        **{n: synthetic_names(n) for n in plan.sizes if n != 11},
    }
    # One source, one client, created outside the timing; its pool is warmed
    # by a first fetch of the largest set (every connection it will use).
    warm_source = SecretsManagerSource(endpoint_url=st.url, environ=env)
    base_client = baseline_client(st)
    rows = []
    for delay in plan.delays_ms:
        st.proxy.delay = delay / 1000
        warm_source.fetch_many(names_by_n[max(plan.sizes)])
        baseline.fetch_all(base_client, rideshare[:2])
        for n in plan.sizes:
            names = names_by_n[n]
            st.proxy.reset()
            result = warm_source.fetch_many(names)
            assert not result.errors, result.errors
            assert len(result) == n
            batch_requests = st.proxy.count("BatchGetSecretValue")
            requests = st.proxy.count()
            # moto serves requests one at a time (one process, one GIL): the CPU it
            # spends on a fetch is time no client can overlap, the stand's floor.
            cpu = st.moto_cpu()
            warm, _ = _time(lambda names=names: warm_source.fetch_many(names), plan.reps)
            store_cpu = (st.moto_cpu() - cpu) / plan.reps

            def cold(names: list[str] = names) -> None:
                SecretsManagerSource(endpoint_url=st.url, environ=env).fetch_many(names)

            cold()  # once untimed: code paths a new client takes only the first time
            cold_time, _ = _time(cold, plan.reps)
            reps = plan.baseline_reps_big.get(delay, 1) if n >= 1000 else plan.reps
            base, _ = _time(lambda names=names: baseline.fetch_all(base_client, names), reps)
            rows.append(
                FetchRow(n, delay, requests, batch_requests, warm, cold_time, base, reps, store_cpu)
            )
            log(
                f"fetch N={n} delay={delay}ms: {requests} request(s), warm {ms(warm)} ms, "
                f"cold {ms(cold_time)} ms, baseline {ms(base)} ms ({reps} rep(s)), "
                f"x{base / warm:.1f}"
            )
    st.proxy.delay = 0
    return rows


def baseline_client(st: Store) -> Any:
    import boto3

    return boto3.client(
        "secretsmanager",
        endpoint_url=st.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's placeholder credentials
    )


# --- 2. whole process ------------------------------------------------------------------


PROCESS_COMMANDS = {
    "rideinfra": FETCH_COMMAND,
    "baseline": [sys.executable, str(HERE / "baseline.py"), "--out"],
}


def bench_process(st: Store, plan: Plan, log: Callable[[str], None]) -> list[ProcessRow]:
    env = {**os.environ, **st.environ()}
    # Fresh processes, but with bytecode caches: an image built from a wheel has them.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    rows = []
    for delay in (0, 20):
        st.proxy.delay = delay / 1000
        samples: dict[str, list[tuple[float, float, float]]] = {k: [] for k in PROCESS_COMMANDS}
        for rep in range(plan.process_reps + 1):
            # Interleaved, so a burst of load on the machine hits both alike.
            for label, argv in PROCESS_COMMANDS.items():
                sample = run_process(argv, env)
                if rep:  # the first round writes bytecode caches and warms the page cache
                    samples[label].append(sample)
        for label, got in samples.items():
            walls = [s[0] for s in got]
            rows.append(
                ProcessRow(
                    label,
                    delay,
                    median(walls),
                    median([s[1] for s in got]),
                    median([s[2] for s in got]),
                    walls,
                )
            )
        pair = {r.label: r for r in rows if r.delay_ms == delay}
        ratio = pair["rideinfra"].wall / pair["baseline"].wall
        log(
            f"process delay={delay}ms: rideinfra {ms(pair['rideinfra'].wall)} ms, baseline "
            f"{ms(pair['baseline'].wall)} ms, ratio {ratio:.3f}"
        )
    st.proxy.delay = 0
    return rows


# --- 3. import time --------------------------------------------------------------------


def _importtime(module: str) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    for line in done.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1000, done.stderr
    raise RuntimeError(f"no import time line for {module}")


def bench_imports(plan: Plan, log: Callable[[str], None]) -> tuple[list[ImportRow], str]:
    rows = []
    breakdown = ""
    for module in ("rideinfra.secrets", "rideinfra.fetch", "boto3"):
        _importtime(module)  # bytecode caches
        samples, text = [], ""
        for _ in range(plan.import_reps):
            total, text = _importtime(module)
            samples.append(total)
        names = {line.rsplit("|", 1)[-1].strip() for line in text.splitlines()}
        rows.append(
            ImportRow(
                module,
                median(samples),
                any(n.split(".")[0] == "botocore" for n in names),
                any(n.split(".")[0] == "boto3" for n in names),
                samples,
            )
        )
        if module == "rideinfra.secrets":
            breakdown = _top_packages(text)
        log(f"import {module}: {median(samples):.1f} ms (median of {plan.import_reps})")
    return rows, breakdown


def _top_packages(importtime_text: str, top: int = 8) -> str:
    totals: dict[str, int] = {}
    for module, us, _ in self_times(importtime_text):
        root = module.split(".")[0]
        totals[root] = totals.get(root, 0) + us
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])[:top]
    return ", ".join(f"{name} {us / 1000:.1f} ms" for name, us in ranked)


def fetch_phases(st: Store) -> list[PhaseRow]:
    """Where one ``python -m rideinfra.fetch`` spends its time: -X importtime, by package."""
    env = {**os.environ, **st.environ()}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    runs: list[dict[str, int]] = []
    for _ in range(5):
        with tempfile.TemporaryDirectory() as out:
            done = subprocess.run(
                [sys.executable, "-X", "importtime", *PROCESS_COMMANDS["rideinfra"][1:], out],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
        totals: dict[str, int] = {}
        for module, us, _ in self_times(done.stderr):
            root = module.split(".")[0]
            totals[root] = totals.get(root, 0) + us
        runs.append(totals)
    roots = {r for run in runs for r in run}
    med = {r: median([run.get(r, 0) for run in runs]) / 1000 for r in roots}
    ranked = sorted(med.items(), key=lambda kv: -kv[1])
    rows = [PhaseRow(name, value) for name, value in ranked[:12]]
    rows.append(PhaseRow("everything else imported", sum(v for _, v in ranked[12:])))
    return rows


# --- 4. render -------------------------------------------------------------------------


def bench_render(plan: Plan, log: Callable[[str], None]) -> list[RenderRow]:
    """Time each format at each size in fresh processes, in rounds (bench/render_probe.py).

    Every round times every (format, size) once, in a new process: one untimed
    render, then ``10,000 / N`` timed ones, at least 3 (more runs for the small sizes).
    Rounds spread each point's runs over the whole section, so a burst of load
    elsewhere spoils single runs, not whole points.
    """
    samples: dict[tuple[str, int], list[float]] = {}
    for _ in range(plan.render_reps):
        for name in ("env", "shell", "json", CONTROL):
            for n in plan.render_sizes:
                runs = max(3, 10_000 // n)
                done = subprocess.run(
                    [sys.executable, str(HERE / "render_probe.py"), "time", name, str(n),
                     str(runs)],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                samples.setdefault((name, n), []).extend(json.loads(done.stdout))
    rows = []
    for (name, n), times in samples.items():
        rows.append(RenderRow(name, n, median(times), min(times), len(times)))
        log(f"render {name} {n}: median {ms(median(times))} ms, best {ms(min(times))} ms")
    return rows


def _instructions(valgrind: str, args: list[str]) -> int:
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict layouts every run
    done = subprocess.run(
        [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         str(HERE / "render_probe.py"), *args],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = re.search(r"Collected : (\d+)", done.stderr)
    if not found:
        raise RuntimeError(f"no instruction count from callgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def bench_render_instructions(
    plan: Plan, quick: bool, log: Callable[[str], None]
) -> tuple[list[InstructionRow] | None, str]:
    """Instructions of one warm render, counted by callgrind: linear or not, without noise."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None, "valgrind is not installed"
    if quick:
        return None, "not counted in --quick runs (about 3 minutes under callgrind)"
    rows = []
    for n in plan.render_sizes:
        base = _instructions(valgrind, ["count", str(n)])
        for name in ("env", "shell", "json"):
            count = _instructions(valgrind, ["count", str(n), name]) - base
            rows.append(InstructionRow(name, n, count))
            log(f"render {name} {n}: {count:,} instructions ({count / n:,.0f} per variable)")
    return rows, ""


# --- 5. cached lookup ------------------------------------------------------------------


def bench_cache(log: Callable[[str], None]) -> tuple[list[CacheRow] | None, str]:
    """Run bench/bench_cache.py (another engineer's) under pytest-benchmark, if it is there."""
    script = HERE / "bench_cache.py"
    if not script.exists():
        log("bench/bench_cache.py not found: cached lookup skipped")
        return None, "bench/bench_cache.py is not in this tree"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cache.json"
        argv = [sys.executable, "-m", "pytest", str(script), "-q", "-p", "no:cacheprovider"]
        argv += ["--benchmark-only", f"--benchmark-json={out}"]
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
        if not out.exists():
            log(f"bench_cache.py failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
            return None, f"bench/bench_cache.py failed (exit {done.returncode})"
        data = json.loads(out.read_text())
    rows = [
        CacheRow(
            b["name"].removeprefix("test_"),
            b["stats"]["median"] * 1e9,
            b["stats"]["mean"] * 1e9,
            int(b["stats"]["rounds"]),
        )
        for b in data["benchmarks"]
    ]
    for row in rows:
        log(f"cache {row.test}: {row.median_ns:,.0f} ns")
    skipped = re.findall(r"(\d+) skipped", done.stdout)
    return rows, (f"{skipped[0]} benchmark(s) skipped: a peer is not installed" if skipped else "")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer delays and repetitions")
    parser.add_argument(
        "--out",
        default=str(DOC),
        help="the Markdown file to write (default docs/benchmarks.md); the figures go to "
        "img/ beside it, the raw results to the same name with .json",
    )
    parser.add_argument(
        "--from-json",
        metavar="PATH",
        help="measure nothing: write the page and figures again from a run's saved results",
    )
    parser.add_argument(
        "--only",
        choices=("peer", "stores"),
        help="measure one section only (9: against the best hand-written script; 6: other "
        "stores), merge it into the saved results beside --out and rewrite the page",
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="with --only peer: every step once at small sizes (the smoke test's plan)",
    )
    args = parser.parse_args(argv)
    page = Path(args.out)
    if args.from_json:
        report.publish(results_io.load(Path(args.from_json)), page, save=False)
        return 0
    if args.tiny and args.only != "peer":
        parser.error("--tiny goes with --only peer")
    started = time.perf_counter()

    def log(line: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {line}", flush=True)

    os.environ.update({k: v for k, v in AWS_ENV.items() if k not in os.environ})
    if args.only:
        if not page.with_suffix(".json").exists():
            parser.error(
                f"--only merges into {page.with_suffix('.json')}, which does not exist: run "
                "the whole suite first (python bench/run.py --quick)"
            )
        saved = results_io.load(page.with_suffix(".json"))
        if args.only == "stores":
            saved.stores, saved.stores_note = stores.bench_stores(log)
        else:
            saved.peer = _only_peer(args, log)
        report.publish(saved, page)
        log(f"wrote {page}")
        return 0
    results = _everything(args, log)
    results.elapsed = time.perf_counter() - started
    report.publish(results, page)
    log(f"wrote {page}")
    return 0


def _rideshare() -> dict[str, dict[str, str]]:
    import yaml

    secrets: dict[str, dict[str, str]] = yaml.safe_load(SEED.read_text())["secrets"]
    return secrets


def _only_peer(args: argparse.Namespace, log: Callable[[str], None]) -> PeerResults:
    plan = peer_bench.PLANS["tiny" if args.tiny else "quick" if args.quick else "full"]
    command = "python bench/run.py --only peer" + (
        " --tiny" if args.tiny else " --quick" if args.quick else ""
    )
    rideshare = _rideshare()
    with store() as st:
        st.seed(rideshare)
        st.seed(synthetic(max(plan.sizes)))
        log("store seeded")
        return peer_bench.bench_peer(
            st, plan, list(rideshare), command=command, quick=args.quick or args.tiny, log=log
        )


def _everything(args: argparse.Namespace, log: Callable[[str], None]) -> Results:
    from rideinfra.secrets.aws import DEFAULT_MAX_CONCURRENCY

    plan = QUICK if args.quick else FULL
    peer_plan = peer_bench.QUICK if args.quick else peer_bench.FULL
    results = Results(
        info=machine(),
        command="python bench/run.py" + (" --quick" if args.quick else ""),
        quick=args.quick,
        plan=plan,
        max_concurrency=DEFAULT_MAX_CONCURRENCY,
    )
    rideshare = _rideshare()
    with store() as st:
        st.seed(rideshare)
        st.seed(synthetic(max(*plan.sizes, *peer_plan.sizes)))
        log("store seeded")
        results.fetch = bench_fetch(st, plan, list(rideshare), log)
        results.process = bench_process(st, plan, log)
        results.phases = fetch_phases(st)
        results.peer = peer_bench.bench_peer(
            st, peer_plan, list(rideshare), command=results.command, quick=args.quick, log=log
        )
    results.imports, results.import_breakdown = bench_imports(plan, log)
    results.render = bench_render(plan, log)
    results.render_instructions, results.render_instructions_note = bench_render_instructions(
        plan, args.quick, log
    )
    results.cache, results.cache_note = bench_cache(log)
    results.stores, results.stores_note = stores.bench_stores(log)
    return results


if __name__ == "__main__":
    sys.exit(main())
