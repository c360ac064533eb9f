"""The fault catalogue for Parameter Store and Vault (docs/reliability.md, "Other stores").

Each store down, slow, throttled (429), failing (5xx), denying, and missing
the secret: `fetch` exits 1 in bounded time with one error line naming the
store and the cause (never a value or a token) and leaves the previous files
as they were. Real servers behind a fault proxy: moto's Parameter Store, OpenBao.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from faults.kit import Run, previous_set, run_fetch, snapshot, write_config
from support.http_proxy import HttpFaultProxy
from support.loopback import free_port
from support.moto import MotoEndpoint
from support.openbao import OpenBao
from support.proxy import Fault, FaultProxy

pytestmark = pytest.mark.faults

SENTINEL = "s3ntinel-FAULT-c0ffee"
PROFILES = {"core": ["app/db", "app/cache"]}
SECRETS = {"app/db": {"PASSWORD": SENTINEL}, "app/cache": {"REDIS": SENTINEL + "2"}}


def always(fault: Fault) -> dict[int, Fault]:
    return dict.fromkeys(range(1, 200), fault)


def fetch_once(
    capsys: pytest.CaptureFixture[str],
    tmp: Path,
    source: dict[str, Any],
    env: dict[str, str],
    profiles: dict[str, list[str]] | None = None,
) -> tuple[Run, bool]:
    """One fetch with JSON logs; whether the previous files were left untouched."""
    out = tmp / "out"
    before = previous_set(out)
    config = write_config(tmp / "rideinfra.yaml", profiles or PROFILES, source=source)
    run = run_fetch(
        capsys, ["--config", str(config), "--out", str(out), "--log-format", "json"], env
    )
    assert SENTINEL not in run.err + run.out
    return run, snapshot(out) == before


@pytest.fixture(name="ssm_proxy")
def _ssm_proxy(sm: MotoEndpoint) -> Iterator[FaultProxy]:
    import json

    import boto3

    ssm = boto3.client(
        "ssm",
        endpoint_url=sm.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    for name, fields in SECRETS.items():
        ssm.put_parameter(Name="/" + name, Value=json.dumps(fields), Type="SecureString")
    proxy = FaultProxy(sm.url).start()
    yield proxy
    proxy.stop()


SSM_SOURCE = {"type": "aws-ssm", "prefix": "/", "max_attempts": 3}
# name -> (fault on every request, or None; words of the error line)
SSM_FAULTS: dict[str, tuple[Fault | None, str]] = {
    "throttled": (
        Fault.throttle(),
        "GetParameters failed: ThrottlingException: Parameter Store kept throttling",
    ),
    "5xx": (Fault.http(500), "GetParameters failed: 500"),
    "permission denied": (
        Fault.aws("AccessDeniedException"),
        "AccessDeniedException: the caller's IAM policy does not allow ssm:GetParameters",
    ),
}


class TestParameterStore:
    @pytest.mark.parametrize(("fault", "words"), SSM_FAULTS.values(), ids=SSM_FAULTS.keys())
    def test_a_failing_store_fails_the_fetch_cleanly(
        self,
        *,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        aws_env: dict[str, str],
        ssm_proxy: FaultProxy,
        fault: Fault,
        words: str,
    ) -> None:
        """Every attempt fails: exit 1 after max_attempts requests, one line, files untouched."""
        ssm_proxy.on(always(fault))
        env = {**aws_env, "AWS_ENDPOINT_URL": ssm_proxy.url}
        run, untouched = fetch_once(capsys, tmp_path, SSM_SOURCE, env)
        assert run.code == 1
        assert untouched
        (line,) = run.error_lines()
        assert words in line
        # Throttling and 5xx are retried (3 attempts); a denial is final at once.
        assert ssm_proxy.count("GetParameters") == (1 if "Denied" in words else 3)

    def test_down(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, aws_env: dict[str, str]
    ) -> None:
        """Nothing listening: exit 1, one line naming the endpoint."""
        env = {**aws_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
        run, untouched = fetch_once(capsys, tmp_path, SSM_SOURCE, env)
        assert (run.code, untouched) == (1, True)
        (line,) = run.error_lines()
        assert "EndpointConnectionError: Could not connect to the endpoint URL" in line

    def test_slow(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        aws_env: dict[str, str],
        ssm_proxy: FaultProxy,
    ) -> None:
        """A 1 s answer is waited for; one that never comes ends at the read timeout."""
        ssm_proxy.delay = 1.0
        env = {**aws_env, "AWS_ENDPOINT_URL": ssm_proxy.url}
        run, _ = fetch_once(capsys, tmp_path, SSM_SOURCE, env)
        assert run.code == 0
        ssm_proxy.delay = 0.0
        ssm_proxy.on(always(Fault.stall(15.0)))
        stalled = {**SSM_SOURCE, "max_attempts": 1, "read_timeout": 2}
        run, untouched = fetch_once(capsys, tmp_path, stalled, env)
        assert (run.code, untouched) == (1, True)
        assert 1.5 < run.seconds < 8
        (line,) = run.error_lines()
        assert "ReadTimeoutError" in line

    def test_missing_secret(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        aws_env: dict[str, str],
        ssm_proxy: FaultProxy,
    ) -> None:
        """A parameter AWS lists as invalid: exit 1 naming the secret and the parameter."""
        env = {**aws_env, "AWS_ENDPOINT_URL": ssm_proxy.url}
        source = {**SSM_SOURCE, "prefix": "/elsewhere/"}
        run, untouched = fetch_once(capsys, tmp_path, source, env)
        assert (run.code, untouched) == (1, True)
        (line,) = run.error_lines()
        assert "not found in Parameter Store" in line
        assert "'/elsewhere/app/cache'" in line


@pytest.fixture(name="vault_proxy")
def _vault_proxy(bao: OpenBao) -> Iterator[HttpFaultProxy]:
    for name, fields in SECRETS.items():
        bao.request("POST", f"secret/data/{name}", {"data": fields})
    proxy = HttpFaultProxy(bao.url).start()
    yield proxy
    proxy.stop()


VAULT_SOURCE = {"type": "vault", "timeout": 2}
VAULT_FAULTS: dict[str, tuple[Fault, str, str]] = {
    "429": (Fault.http(429), "RateLimited", "kept answering 429 (rate limited)"),
    "5xx": (Fault.http(500), "VaultServerError", "failed (reading secret/app/"),
    "sealed (503)": (Fault.http(503), "VaultSealed", "is sealed or in standby"),
}


class TestVault:
    @pytest.mark.parametrize(
        ("fault", "code", "words"), VAULT_FAULTS.values(), ids=VAULT_FAULTS.keys()
    )
    def test_a_failing_server_fails_the_fetch_cleanly(
        self,
        *,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        bao: OpenBao,
        vault_proxy: HttpFaultProxy,
        fault: Fault,
        code: str,
        words: str,
    ) -> None:
        """429 and 5xx past the retries, 503 at once: exit 1, one named line, files untouched."""
        vault_proxy.on(always(fault))
        env = {**bao.environ(), "VAULT_ADDR": vault_proxy.url}
        run, untouched = fetch_once(capsys, tmp_path, VAULT_SOURCE, env)
        assert (run.code, untouched) == (1, True)
        (line,) = run.error_lines()
        assert words in line
        assert bao.token not in run.err

    def test_down(self, capsys: pytest.CaptureFixture[str], tmp_path: Path, bao: OpenBao) -> None:
        """Nothing listening: exit 1, `cannot be reached`, naming the address."""
        env = {**bao.environ(), "VAULT_ADDR": f"http://127.0.0.1:{free_port()}"}
        run, untouched = fetch_once(capsys, tmp_path, VAULT_SOURCE, env)
        assert (run.code, untouched) == (1, True)
        (line,) = run.error_lines()
        assert "cannot be reached" in line
        assert "ConnectionError" in line

    def test_slow(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        bao: OpenBao,
        vault_proxy: HttpFaultProxy,
    ) -> None:
        """A 0.5 s answer is waited for; one that never comes ends at the timeout and retries."""
        env = {**bao.environ(), "VAULT_ADDR": vault_proxy.url}
        vault_proxy.delay = 0.5
        run, _ = fetch_once(capsys, tmp_path, VAULT_SOURCE, env)
        assert run.code == 0
        vault_proxy.delay = 0.0
        vault_proxy.on(always(Fault.stall(30.0)))
        run, untouched = fetch_once(capsys, tmp_path, {**VAULT_SOURCE, "timeout": 1}, env)
        assert (run.code, untouched) == (1, True)
        assert run.seconds < 10
        (line,) = run.error_lines()
        assert "cannot be reached" in line

    def test_permission_denied(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        bao: OpenBao,
        vault_proxy: HttpFaultProxy,
    ) -> None:
        """A token whose policy does not cover the paths: exit 1, each secret named, no token."""
        answer = bao.request("POST", "auth/token/create", {"policies": ["default"]})
        assert isinstance(answer, dict)
        token = answer["auth"]["client_token"]
        env = {"VAULT_ADDR": bao.url, "VAULT_TOKEN": token}
        run, untouched = fetch_once(capsys, tmp_path, VAULT_SOURCE, env)
        assert (run.code, untouched) == (1, True)
        (line,) = run.error_lines()
        assert "permission denied" in line
        assert token not in run.err

    def test_missing_secret(
        self,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        bao: OpenBao,
        vault_proxy: HttpFaultProxy,
    ) -> None:
        """A path with no secret: exit 1 naming the secret and the path."""
        profiles = {"core": ["app/db", "app/absent"]}
        run, untouched = fetch_once(capsys, tmp_path, VAULT_SOURCE, bao.environ(), profiles)
        assert (run.code, untouched) == (1, True)
        (line,) = run.error_lines()
        assert "secret 'app/absent': not found at Vault" in line
