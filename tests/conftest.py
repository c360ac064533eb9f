"""Shared fixtures: a real Secrets Manager endpoint (moto server over HTTP) and its proxy."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.moto import MotoEndpoint, start_moto
from support.proxy import FaultProxy

REPO = Path(__file__).resolve().parent.parent
# How long a test's leftover store calls may take to end (see _no_calls_left_running).
LEFTOVER_SECONDS = 20.0


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (pyproject's addopts): two workers per core, at most 16.

    About half of a worker's time goes to waiting, not computing: child
    processes starting, real shells and servers answering, botocore's retry
    backoff in the fault tests. On the 2-core development machine 4 workers
    ran the suite in 185 s where 2 took 235-265 s. PYTEST_XDIST_AUTO_NUM_WORKERS
    still decides when set (xdist's own rule).
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(2 * (cores or 1), 16)


@pytest.fixture(scope="session", name="moto_endpoint")
def _moto_endpoint() -> Iterator[MotoEndpoint]:
    """One moto server for the session, on 127.0.0.1 and a free port."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    endpoint = start_moto()
    yield endpoint
    endpoint.stop()


@pytest.fixture(name="aws_env")
def _aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """Fake credentials and no user AWS config, in os.environ (boto3 reads them there)."""
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture(name="sm")
def _sm(moto_endpoint: MotoEndpoint, aws_env: dict[str, str]) -> MotoEndpoint:
    """The moto endpoint, emptied before the test."""
    moto_endpoint.reset()
    return moto_endpoint


@pytest.fixture(name="proxy")
def _proxy(sm: MotoEndpoint) -> Iterator[FaultProxy]:
    """A fault proxy of the test's own in front of an emptied moto endpoint.

    One per test, not per session: a fetch that fails leaves its other
    requests to finish on their own, and through a shared proxy such a
    request from an earlier test was counted, and took a numbered fault,
    in a later one (CI: a watch test saw 2 failed polls of 3). Stopping the
    proxy ends those requests' connections.
    """
    proxy = FaultProxy(sm.url).start()
    yield proxy
    proxy.stop()


@pytest.fixture(autouse=True)
def _no_calls_left_running(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test, wait for the store calls it left running; fail it if they do not end.

    A fetch that fails leaves its other requests to finish on their own (by
    design: `run_within`). Left running into the next test, such a call was
    counted by that test's proxy, logged into its records and drew botocore's
    retry jitter from the global `random` inside its hypothesis examples.
    Autouse fixtures are torn down last, so the test's servers and proxies
    have stopped by now and a call still waiting on one fails at once.
    """
    yield
    from rideinfra.secrets._deadline import _POOL

    until = time.monotonic() + LEFTOVER_SECONDS
    while _POOL.running() and time.monotonic() < until:
        time.sleep(0.01)
    left = _POOL.running()
    if left:
        pytest.fail(
            f"{request.node.nodeid} left {left} store call(s) running "
            f"{LEFTOVER_SECONDS:.0f} s after it ended",
            pytrace=False,
        )
