"""Fixtures for the store tests: LocalStack and OpenBao, started once, skipped with the reason
where they cannot run (never in CI, where a skip would hide that they did not)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import localstack, openbao
from support.backends import AwsBackend
from support.moto import MotoEndpoint
from support.openbao import OpenBao


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run this test, but: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session", name="localstack_server")
def _localstack_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsBackend]:
    try:
        server = localstack.start_localstack(tmp_path_factory.mktemp("localstack"))
    except localstack.Unavailable as exc:
        _unavailable(str(exc))
    yield AwsBackend("localstack", server.url)
    server.stop()


@pytest.fixture(scope="session", name="openbao_server")
def _openbao_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenBao]:
    try:
        server = openbao.start_openbao(tmp_path_factory.mktemp("openbao"))
    except openbao.Unavailable as exc:
        _unavailable(str(exc))
    yield server
    server.stop()


@pytest.fixture(name="bao")
def _bao(openbao_server: OpenBao, aws_env: dict[str, str]) -> OpenBao:
    """The OpenBao server with its KV v2 `secret/` mount emptied."""
    listing: object
    try:
        listing = openbao_server.request("LIST", "secret/metadata")
    except OSError:  # 404: nothing stored
        listing = None
    keys = listing.get("data", {}).get("keys", []) if isinstance(listing, dict) else []
    _delete_tree(openbao_server, "", keys)
    return openbao_server


def _delete_tree(server: OpenBao, base: str, keys: list[str]) -> None:
    for key in keys:
        if key.endswith("/"):
            sub = server.request("LIST", f"secret/metadata/{base}{key}")
            assert isinstance(sub, dict)
            _delete_tree(server, base + key, sub["data"]["keys"])
        else:
            server.request("DELETE", f"secret/metadata/{base}{key}")


@pytest.fixture(name="aws_backend", params=["moto", "localstack"])
def _aws_backend(
    request: pytest.FixtureRequest, moto_endpoint: MotoEndpoint, aws_env: dict[str, str]
) -> AwsBackend:
    """Each AWS endpoint in turn (moto's server, LocalStack), emptied before the test."""
    if request.param == "moto":
        backend = AwsBackend("moto", moto_endpoint.url, moto_endpoint.reset)
    else:
        backend = request.getfixturevalue("localstack_server")
    backend.reset()
    return backend


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # `nox -s localstack` selects these by keyword: -k localstack.
    for item in items:
        if "localstack" in item.nodeid:
            item.add_marker(pytest.mark.localstack)


REPO = Path(__file__).resolve().parents[2]
