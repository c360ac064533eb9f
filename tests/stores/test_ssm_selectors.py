"""Parameter Store version and label selectors (`/t/json:1`, `/t/json:old`) against moto.

GetParameters answers a selector under the bare parameter name (AWS adds a
`Selector` key, moto does not), so a selector name used to find no answer of
its name: "returned neither a value nor an error". Each selector name is now
asked alone, and its one answer is its own.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from rideinfra.secrets import ParameterStoreSource
from support.moto import MotoEndpoint


@pytest.fixture(name="ssm")
def _ssm(sm: MotoEndpoint, aws_env: dict[str, str]) -> Any:
    client = boto3.client("ssm", endpoint_url=sm.url, region_name="us-east-1")
    client.put_parameter(Name="/t/json", Value='{"V": "one"}', Type="SecureString")
    client.put_parameter(Name="/t/json", Value='{"V": "two"}', Type="SecureString", Overwrite=True)
    client.label_parameter_version(Name="/t/json", ParameterVersion=1, Labels=["old"])
    return client


def values(source: ParameterStoreSource, names: list[str]) -> dict[str, str]:
    result = source.fetch_many(names)
    result.raise_errors()
    return {name: result[name].fields["V"].reveal() for name in names}


def test_a_version_or_label_selector_reads_that_version(
    ssm: Any, sm: MotoEndpoint, aws_env: dict[str, str]
) -> None:
    source = ParameterStoreSource(endpoint_url=sm.url, environ=aws_env)
    assert values(source, ["/t/json:1", "/t/json:old", "/t/json:2", "/t/json"]) == {
        "/t/json:1": "one",
        "/t/json:old": "one",
        "/t/json:2": "two",
        "/t/json": "two",
    }
    assert source.fetch("/t/json:1").version_id == "1"


def test_a_selector_with_the_prefix(ssm: Any, sm: MotoEndpoint, aws_env: dict[str, str]) -> None:
    source = ParameterStoreSource(endpoint_url=sm.url, environ=aws_env, prefix="/")
    assert values(source, ["t/json:1"]) == {"t/json:1": "one"}


@pytest.mark.parametrize("name", ["/t/json:9", "/t/json:nolabel", "/t/none:1"])
def test_a_missing_version_or_label_is_not_found(
    ssm: Any, sm: MotoEndpoint, aws_env: dict[str, str], name: str
) -> None:
    result = ParameterStoreSource(endpoint_url=sm.url, environ=aws_env).fetch_many([name])
    assert result.missing == (name,)
    assert "neither a value nor an error" not in str(result.errors[name])
