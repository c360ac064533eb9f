"""Mistakes in the AWS environment are exit 2 naming the variable, before any request.

Each case runs `python -m rideinfra.fetch` as a child process, as an init
container does, with moto behind the fault proxy (which counts requests).
Before, these ended as `internal error` (a `ValueError` from botocore's
endpoint check, a `TypeError` in its signer) or exit 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from faults.kit import Run, aws_environ, previous_set, run_module, snapshot, write_config
from rideinfra.errors import ConfigError
from rideinfra.secrets import SecretsManagerSource
from support.moto import MotoEndpoint
from support.proxy import FaultProxy

pytestmark = pytest.mark.faults

CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")

# (variables to set, variables to unset, words the error line must hold)
Case = tuple[Mapping[str, str], tuple[str, ...], tuple[str, ...]]
CASES: dict[str, Case] = {
    "AWS_ENDPOINT_URL=garbage": (
        {"AWS_ENDPOINT_URL": "garbage"},
        (),
        ("AWS_ENDPOINT_URL does not start with http:// or https://", "set AWS_ENDPOINT_URL"),
    ),
    "AWS_ENDPOINT_URL without a scheme": (
        {"AWS_ENDPOINT_URL": "127.0.0.1:5055"},
        (),
        ("AWS_ENDPOINT_URL does not start with http://",),
    ),
    "AWS_ENDPOINT_URL_SECRETS_MANAGER without a scheme": (
        {"AWS_ENDPOINT_URL_SECRETS_MANAGER": "localhost:4566"},
        (),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER does not start with http://",),
    ),
    "AWS_ENDPOINT_URL without a host": (
        {"AWS_ENDPOINT_URL": "http://"},
        (),
        ("AWS_ENDPOINT_URL has no host name",),
    ),
    "AWS_ENDPOINT_URL with a bad port": (
        {"AWS_ENDPOINT_URL": "http://127.0.0.1:99999"},
        (),
        ("AWS_ENDPOINT_URL has a port that is not a number",),
    ),
    "AWS_ENDPOINT_URL with a space in the host": (
        {"AWS_ENDPOINT_URL": "http://local host:4566"},
        (),
        ("AWS_ENDPOINT_URL holds spaces or control characters",),
    ),
    "AWS_ENDPOINT_URL with a newline": (
        {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566\nlevel=error forged"},
        (),
        ("AWS_ENDPOINT_URL holds spaces or control characters",),
    ),
    "AWS_ENDPOINT_URL with an underscore in the host": (
        {"AWS_ENDPOINT_URL": "http://bad_host:4566"},
        (),
        ("AWS_ENDPOINT_URL is not a URL botocore can use",),
    ),
    "AWS_SECRET_ACCESS_KEY without AWS_ACCESS_KEY_ID": (
        {"AWS_SECRET_ACCESS_KEY": "testing"},
        ("AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN"),
        ("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not", "set AWS_ACCESS_KEY_ID"),
    ),
    "AWS_SESSION_TOKEN without AWS_ACCESS_KEY_ID": (
        {"AWS_SESSION_TOKEN": "token"},
        ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
        ("AWS_SESSION_TOKEN is set but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not",),
    ),
    "secret and token without AWS_ACCESS_KEY_ID": (
        {"AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "token"},
        ("AWS_ACCESS_KEY_ID",),
        ("AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN are set but AWS_ACCESS_KEY_ID is not",),
    ),
    "AWS_ACCESS_KEY_ID without AWS_SECRET_ACCESS_KEY": (
        {"AWS_ACCESS_KEY_ID": "testing"},
        ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"),
        ("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",),
    ),
    "AWS_PROFILE=nosuch": (
        {"AWS_PROFILE": "nosuch"},
        (),
        ("AWS_PROFILE is 'nosuch', a profile in neither", "unset it"),
    ),
    "AWS_PROFILE=nosuch without credentials": (
        {"AWS_PROFILE": "nosuch"},
        CREDENTIALS,
        ("AWS_PROFILE is 'nosuch'",),
    ),
    "AWS_REGION is not a region name": (
        {"AWS_REGION": "eu west 1"},
        (),
        ("AWS_REGION is not a region name",),
    ),
    "AWS_DEFAULT_REGION is no region": (
        {"AWS_DEFAULT_REGION": "us-esat-1"},
        (),
        (
            "AWS_DEFAULT_REGION is 'us-esat-1', a region where Secrets Manager does not exist; "
            "did you mean us-east-1?",
            "newer botocore",
        ),
    ),
    "AWS_REGION is no region": (
        {"AWS_REGION": "eu-west-9"},
        (),
        ("AWS_REGION is 'eu-west-9', a region where Secrets Manager does not exist",),
    ),
    "no credentials anywhere": (
        {},
        CREDENTIALS,
        (
            "no AWS credentials were found",
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            "any values work for LocalStack or moto",
            "AWS_PROFILE",
        ),
    ),
    "AWS_DEFAULT_REGION with a newline": (
        {"AWS_DEFAULT_REGION": "eu-west-1\nlevel=error forged"},
        (),
        ("AWS_DEFAULT_REGION is not a region name",),
    ),
}


@pytest.fixture(name="store")
def _store(sm: MotoEndpoint, proxy: FaultProxy) -> FaultProxy:
    """The proxy in front of moto holding app/db, nothing counted yet."""
    sm.seed({"app/db": {"K": "v"}})
    proxy.reset()
    return proxy


def fetch_process(config: Path, out: Path, env: dict[str, str]) -> Run:
    argv = ["--config", str(config), "--out", str(out), "--log-level", "ERROR"]
    return run_module("rideinfra.fetch", argv, env)


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES.keys()))
def test_exit_2_naming_the_variable_before_any_request(
    store: FaultProxy, aws_env: dict[str, str], tmp_path: Path, case: Case
) -> None:
    """A real process: exit 2, one line naming the variable, nothing asked or written."""
    set_, unset, words = case
    config = write_config(tmp_path / "rideinfra.yaml", {"core": ["app/db"]})
    out = tmp_path / "out"
    before = previous_set(out)
    env = {**aws_environ(aws_env, store.url), **set_}
    for name in unset:
        env.pop(name, None)
    run = fetch_process(config, out, env)
    assert run.code == 2, run.err
    assert "internal error" not in run.err
    (line,) = run.err_lines
    for word in words:
        assert word in line
    assert store.count() == 0
    assert snapshot(out) == before


def test_a_config_region_that_does_not_exist(
    store: FaultProxy, aws_env: dict[str, str], tmp_path: Path
) -> None:
    """`region: us-esat-1` in rideinfra.yaml: exit 2 naming the setting and the closest region."""
    source = {"type": "aws-secretsmanager", "region": "us-esat-1"}
    config = write_config(tmp_path / "rideinfra.yaml", {"core": ["app/db"]}, source=source)
    run = fetch_process(config, tmp_path / "out", aws_environ(aws_env, store.url))
    assert run.code == 2, run.err
    assert "the source's region is 'us-esat-1'" in run.err
    assert "did you mean us-east-1?" in run.err
    assert store.count() == 0


def test_every_real_region_is_accepted() -> None:
    """The list is botocore's own: each region it knows for Secrets Manager passes."""
    import botocore.session

    session = botocore.session.get_session()
    for partition in session.get_available_partitions():
        for region in session.get_available_regions("secretsmanager", partition):
            source = SecretsManagerSource(
                region=region, environ={"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}
            )
            source._client.get()  # builds the client, where the check runs


def test_a_config_endpoint_without_host(aws_env: dict[str, str], tmp_path: Path) -> None:
    """`endpoint_url: 'http://'` in rideinfra.yaml: exit 2 naming the setting, no internal error."""
    source = {"type": "aws-secretsmanager", "endpoint_url": "http://"}
    config = write_config(tmp_path / "rideinfra.yaml", {"core": ["app/db"]}, source=source)
    env = aws_environ(aws_env, "http://127.0.0.1:1")
    run = fetch_process(config, tmp_path / "out", env)
    assert run.code == 2, run.err
    assert "internal error" not in run.err
    assert "endpoint_url" in run.err


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({"AWS_ENDPOINT_URL": "localhost:4566"}, "AWS_ENDPOINT_URL does not start"),
        ({"AWS_SESSION_TOKEN": "t"}, "AWS_SESSION_TOKEN is set but AWS_ACCESS_KEY_ID and"),
    ],
    ids=["endpoint", "credentials"],
)
def test_the_library_refuses_when_the_source_is_built(environ: dict[str, str], words: str) -> None:
    """`SecretsManagerSource(environ=...)` raises the ConfigError itself, not at first fetch."""
    with pytest.raises(ConfigError, match=words):
        SecretsManagerSource(environ=environ)
