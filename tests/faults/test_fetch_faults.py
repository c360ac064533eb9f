"""Faults injected between ``python -m rideinfra.fetch`` and Secrets Manager.

The entrypoint runs for real against a moto server over HTTP, through the
fault proxy (``AWS_ENDPOINT_URL`` points at it). Transient faults within the
retry budget must not be visible in the result; anything else must end in
exit 1 within a bounded time, one error line, nothing written and the
previous files intact.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from faults.kit import (
    Run,
    aws_environ,
    previous_set,
    public_files,
    run_fetch,
    run_module,
    snapshot,
    write_config,
)
from support.moto import MotoEndpoint
from support.proxy import Fault, FaultProxy

pytestmark = pytest.mark.faults

STORE = {
    "app/db": {"DB_USER": "svc", "DB_PASSWORD": "Pw-3f9c1a77e2d54b"},
    "app/cache": {"CACHE_TOKEN": "Ck-9b2e44c01f7a6d"},
    "app/grafana": {"GF_ADMIN_PASSWORD": "Gf-71aa0c3e5d9b28"},
}
VALUES = [value for fields in STORE.values() for value in fields.values() if "-" in value]
PROFILES = {"core": ["app/db", "app/cache"], "monitoring": ["app/grafana"]}
#: botocore's default for the source: 5 attempts, i.e. 4 retries.
ATTEMPTS = 5
#: An unreachable store, bad credentials or a wrong region must be reported this fast.
QUICK = 30.0
#: Rounds of two concurrent writers; without the writer's lock about 4 in 10 lose an
#: update or fail (measured), so 6 rounds catch a missing lock 19 times in 20.
ROUNDS = 6


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(name="config")
def _config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "rideinfra.yaml", PROFILES)


@pytest.fixture(name="seeded")
def _seeded(sm: MotoEndpoint, proxy: FaultProxy) -> FaultProxy:
    """The store holds STORE; the proxy in front of it has counted nothing yet."""
    sm.seed(STORE)
    proxy.reset()
    return proxy


@pytest.fixture(name="expected")
def _expected(
    seeded: FaultProxy,
    aws_env: dict[str, str],
    config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> dict[str, bytes]:
    """The files a fault-free run writes (the reference each faulty run is compared with)."""
    clean = tmp_path / "clean"
    run = run_fetch(
        capsys, ["--config", str(config), "--out", str(clean)], environ(aws_env, seeded)
    )
    assert run.code == 0, run.err
    seeded.reset()
    return public_files(clean)


@dataclass
class Bench:
    """What a fault test works with: the proxy in front of the seeded store, and a config."""

    proxy: FaultProxy
    aws_env: dict[str, str]
    config: Path
    tmp: Path
    capsys: pytest.CaptureFixture[str]

    def env(self, **extra: str) -> dict[str, str]:
        return environ(self.aws_env, self.proxy, **extra)

    def fetch(self, env: dict[str, str], config: Path | None = None) -> Run:
        return fetch_json(self.capsys, config or self.config, self.tmp / "out", env)


@pytest.fixture(name="bench")
def _bench(
    seeded: FaultProxy,
    aws_env: dict[str, str],
    config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Bench:
    return Bench(seeded, aws_env, config, tmp_path, capsys)


def environ(aws_env: dict[str, str], proxy: FaultProxy, **extra: str) -> dict[str, str]:
    return aws_environ(aws_env, proxy.url, **extra)


def fetch_json(
    capsys: pytest.CaptureFixture[str], config: Path, out: Path, env: dict[str, str]
) -> Run:
    argv = ["--config", str(config), "--out", str(out), "--log-format", "json"]
    return run_fetch(capsys, [*argv, "--log-level", "DEBUG"], env)


def no_values(text: str) -> None:
    assert [value for value in VALUES if value in text] == []


def burst(fault: Fault | Callable[[int], Fault], count: int) -> dict[int, Fault]:
    """The first ``count`` requests get ``fault`` (or ``fault(n)``), later ones go through."""
    return {n: fault(n) if callable(fault) else fault for n in range(1, count + 1)}


def mixed(n: int) -> Fault:
    return (Fault.throttle(), Fault.http(503), Fault.reset(), Fault.http(500))[(n - 1) % 4]


SHORT_BURSTS = {
    "throttling x4": burst(Fault.throttle(), 4),
    "503 x4": burst(Fault.http(503), 4),
    "500 x3": burst(Fault.http(500), 3),
    "connection reset x3": burst(Fault.reset(), 3),
    "throttle, 503, reset, 500": burst(mixed, 4),
    "slow answers (2 s)": burst(Fault.delay(2.0), 1),
}


class TestShortBursts:
    @pytest.mark.parametrize("faults", SHORT_BURSTS.values(), ids=SHORT_BURSTS.keys())
    def test_burst_within_the_retry_budget_is_invisible(
        self, bench: Bench, expected: dict[str, bytes], faults: dict[int, Fault]
    ) -> None:
        """Faults on fewer requests than the budget: exit 0, the same files, retries counted."""
        bench.proxy.on(faults)
        run = bench.fetch(bench.env())
        assert run.code == 0, run.err
        assert public_files(bench.tmp / "out") == expected
        retried = sum(1 for f in faults.values() if f.kind != "delay")
        assert bench.proxy.count() == retried + 1
        if retried:
            counts = [
                int(m.group(1))
                for r in run.records()
                if (m := re.search(r"succeeded after (\d+) retr", r["message"]))
            ]
            assert counts == [retried]
        no_values(run.err + run.out)


LONG_BURSTS = {
    "throttling": (Fault.throttle(), "ThrottlingException", "retry budget"),
    "503": (Fault.http(503), "503", "max retries"),
    "500": (Fault.http(500), "500", "max retries"),
    "connection reset": (Fault.reset(), "ConnectionClosedError", "Connection was closed"),
}


class TestLongBursts:
    @pytest.mark.parametrize(
        ("fault", "code", "words"), LONG_BURSTS.values(), ids=LONG_BURSTS.keys()
    )
    def test_burst_past_the_budget_fails_cleanly(
        self, bench: Bench, fault: Fault, code: str, words: str
    ) -> None:
        """Every attempt fails: exit 1 in bounded time, one error line, old files untouched."""
        before = previous_set(bench.tmp / "out")
        bench.proxy.on(burst(fault, 100))
        run = bench.fetch(bench.env())
        assert run.code == 1
        assert run.seconds < QUICK
        assert bench.proxy.count() == ATTEMPTS
        (line,) = run.error_lines()
        assert "BatchGetSecretValue failed" in line
        assert code in line
        assert words in line
        assert snapshot(bench.tmp / "out") == before
        no_values(run.err)

    def test_stalled_store_hits_the_read_timeout(self, bench: Bench) -> None:
        """A store that accepts and never answers: exit 1 at the configured read timeout."""
        config = write_config(
            bench.tmp / "one-attempt.yaml",
            PROFILES,
            source={"type": "aws-secretsmanager", "max_attempts": 1, "read_timeout": 2},
        )
        before = previous_set(bench.tmp / "out")
        bench.proxy.on(burst(Fault.stall(15.0), 10))
        run = bench.fetch(bench.env(), config)
        assert run.code == 1
        assert 1.5 < run.seconds < 6.0  # the default read timeout is 10 s
        (line,) = run.error_lines()
        assert "ReadTimeoutError" in line
        assert "Read timeout" in line
        assert snapshot(bench.tmp / "out") == before


def down(aws_env: dict[str, str], proxy: FaultProxy) -> dict[str, str]:
    return aws_environ(aws_env, f"http://127.0.0.1:{free_port()}")


def unresolvable(aws_env: dict[str, str], proxy: FaultProxy) -> dict[str, str]:
    # .invalid is reserved (RFC 2606): it never resolves, and no outside host is asked.
    return aws_environ(aws_env, "http://secretsmanager.rideinfra.invalid:4566")


def wrong_region(aws_env: dict[str, str], proxy: FaultProxy) -> dict[str, str]:
    return environ(aws_env, proxy, AWS_DEFAULT_REGION="eu-west-1")


def expired(aws_env: dict[str, str], proxy: FaultProxy) -> dict[str, str]:
    proxy.on(burst(Fault.aws("ExpiredTokenException"), 100))
    return environ(aws_env, proxy, AWS_SESSION_TOKEN="expired-session-token")


def unrecognized(aws_env: dict[str, str], proxy: FaultProxy) -> dict[str, str]:
    proxy.on(burst(Fault.aws("UnrecognizedClientException"), 100))
    return environ(aws_env, proxy)


def denied(aws_env: dict[str, str], proxy: FaultProxy) -> dict[str, str]:
    # Denied for the batch call and for each GetSecretValue of the fallback.
    proxy.on(burst(Fault.aws("AccessDeniedException"), 100))
    return environ(aws_env, proxy)


# name -> (environment maker, words the one error line must hold)
EnvMaker = Callable[[dict[str, str], FaultProxy], dict[str, str]]
UNREACHABLE: dict[str, tuple[EnvMaker, tuple[str, ...]]] = {
    "endpoint down": (down, ("EndpointConnectionError", "Could not connect", "127.0.0.1")),
    "unresolvable name": (unresolvable, ("EndpointConnectionError", "rideinfra.invalid")),
    "wrong region": (wrong_region, ("not found", "eu-west-1", "app/db", "app/grafana", "region")),
    "expired credentials": (expired, ("ExpiredTokenException", "expired", "refresh them")),
    "invalid access key": (unrecognized, ("UnrecognizedClientException", "check the credentials")),
    "access denied": (denied, ("AccessDeniedException", "IAM policy", "app/db", "app/grafana")),
}


class TestOverTheQuota:
    """A store that allows so many requests a second, as Secrets Manager does (100 a second
    for BatchGetSecretValue per region), and a fetch whose requests come faster."""

    def test_a_fetch_ten_times_over_the_quota_is_paced_and_succeeds(
        self,
        sm: MotoEndpoint,
        proxy: FaultProxy,
        aws_env: dict[str, str],
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """1,000 secrets are 50 requests in one wave, against 5 allowed a second.

        Before retries were paced this failed in 1.1 s ("kept throttling past the
        retry budget": standard mode's retry quota ran out). Now the files are
        those of an unthrottled run, and each request was answered exactly once.
        """
        names = [f"fleet/s{i:04d}" for i in range(1000)]
        sm.seed({name: {f"K{i:04d}": f"v-{i}-{name}"} for i, name in enumerate(names)})
        config = write_config(tmp_path / "fleet.yaml", {"fleet": names})
        env = environ(aws_env, proxy)
        clean = run_fetch(capsys, ["--config", str(config), "--out", str(tmp_path / "clean")], env)
        assert clean.code == 0, clean.err
        quota = proxy.limit("BatchGetSecretValue", per_second=5, burst=5)
        run = fetch_json(capsys, config, tmp_path / "out", env)
        assert run.code == 0, run.err
        assert public_files(tmp_path / "out") == public_files(tmp_path / "clean")
        assert quota.allowed == 50
        assert quota.throttled >= 40  # the quota was hit: one wave of 50 met 5 tokens
        assert "v-1-" not in run.err + run.out


class TestUnreachableStore:
    @pytest.mark.parametrize(("make", "words"), UNREACHABLE.values(), ids=UNREACHABLE.keys())
    def test_one_clear_line_and_nothing_written(
        self, bench: Bench, make: EnvMaker, words: tuple[str, ...]
    ) -> None:
        """Exit 1 within 30 s with exactly one error line saying what is wrong; nothing written."""
        run = bench.fetch(make(bench.aws_env, bench.proxy))
        assert run.code == 1
        assert run.seconds < QUICK
        (line,) = run.error_lines()
        assert "\n" not in line
        for word in words:
            assert word in line
        assert not (bench.tmp / "out").exists()
        no_values(run.err + run.out)

    @pytest.mark.parametrize(("make", "words"), UNREACHABLE.values(), ids=UNREACHABLE.keys())
    def test_a_real_process_prints_one_line(
        self, bench: Bench, make: EnvMaker, words: tuple[str, ...]
    ) -> None:
        """``python -m rideinfra.fetch --log-level ERROR``: stderr is one line, no traceback."""
        out = bench.tmp / "out"
        before = previous_set(out)
        argv = ["--config", str(bench.config), "--out", str(out), "--log-level", "ERROR"]
        run = run_module("rideinfra.fetch", argv, make(bench.aws_env, bench.proxy))
        assert run.code == 1
        assert run.seconds < QUICK
        assert run.out == ""
        (line,) = run.err_lines
        assert line.startswith("rideinfra: ")
        assert "Traceback" not in run.err
        for word in words:
            assert word in line
        assert snapshot(out) == before


class TestConcurrentProcesses:
    @staticmethod
    def together(proxy: FaultProxy) -> threading.Barrier:
        """Hold each request until two have arrived, so both processes write at the same moment."""
        barrier = threading.Barrier(2, timeout=60)

        def rule(number: int, action: str) -> Fault | None:
            barrier.wait()
            return None

        proxy.rule = rule
        return barrier

    @staticmethod
    def start(config: Path, out: Path, env: dict[str, str], *profiles: str) -> Run:
        argv = ["--config", str(config), "--out", str(out)]
        for profile in profiles:
            argv += ["--profile", profile]
        return run_module("rideinfra.fetch", argv, env)

    def both(
        self, config: Path, out: Path, env: dict[str, str], a: tuple[str, ...], b: tuple[str, ...]
    ) -> tuple[Run, Run]:
        results: dict[str, Run] = {}
        threads = [
            threading.Thread(
                target=lambda k=k, p=p: results.__setitem__(k, self.start(config, out, env, *p))
            )
            for k, p in (("a", a), ("b", b))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        return results["a"], results["b"]

    @staticmethod
    def clean(out: Path) -> None:
        """Nothing but the lock, ..data, at most two versions and the public links."""
        names = sorted(p.name for p in out.iterdir())
        versions = [n for n in names if n.startswith("..2")]
        assert 1 <= len(versions) <= 2
        assert set(names) - set(versions) == {
            ".rideinfra.lock",
            "..data",
            "core.env",
            "monitoring.env",
        }
        current = (out / "..data").readlink().name
        assert current in versions
        for name in ("core.env", "monitoring.env"):
            assert (out / name).readlink() == Path("..data", name)

    def test_two_processes_on_different_profiles_lose_no_update(
        self,
        sm: MotoEndpoint,
        seeded: FaultProxy,
        aws_env: dict[str, str],
        config: Path,
        tmp_path: Path,
    ) -> None:
        """--profile core and --profile monitoring at once, 6 rounds: both updates survive."""
        out = tmp_path / "out"
        env = environ(aws_env, seeded)
        client = sm.client()
        for round_ in range(ROUNDS):
            token = f"round{round_}"
            client.put_secret_value(
                SecretId="app/cache", SecretString=f'{{"CACHE_TOKEN": "{token}"}}'
            )
            client.put_secret_value(
                SecretId="app/grafana", SecretString=f'{{"GF_ADMIN_PASSWORD": "{token}"}}'
            )
            self.together(seeded)
            a, b = self.both(config, out, env, ("core",), ("monitoring",))
            assert (a.code, b.code) == (0, 0), a.err + b.err
            files = public_files(out)
            assert f"CACHE_TOKEN={token}\n".encode() in files["core.env"]
            assert files["monitoring.env"] == f"GF_ADMIN_PASSWORD={token}\n".encode()
            self.clean(out)

    def test_two_processes_on_every_profile_leave_one_complete_set(
        self,
        seeded: FaultProxy,
        expected: dict[str, bytes],
        aws_env: dict[str, str],
        config: Path,
        tmp_path: Path,
    ) -> None:
        """Two full runs at once: exit 0 both, one complete set, one of them found it unchanged."""
        out = tmp_path / "out"
        previous_set(out)
        self.together(seeded)
        a, b = self.both(config, out, environ(aws_env, seeded), (), ())
        assert (a.code, b.code) == (0, 0), a.err + b.err
        assert public_files(out) == expected
        summaries = sorted(line for line in (a.err + b.err).splitlines() if "unchanged" in line)
        assert any("up to date" in line for line in summaries), summaries
        self.clean(out)
