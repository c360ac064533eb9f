"""Micro-benchmarks: a CachedSource hit next to dict.get and two other caching clients.

Run (not part of the test suite; testpaths is tests/):

    python -m pytest bench/bench_cache.py --benchmark-only --benchmark-columns=min,median,mean,ops

Every client reads the same secret from the same moto server on 127.0.0.1;
after the first read each one serves it from memory, which is what is timed.
aws-secretsmanager-caching and aws-lambda-powertools are optional: their
benchmarks are skipped when they are not installed (they are not dependencies
of rideinfra; see docs/services.md for the command that installs them).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from rideinfra.secrets import CachedSource, SecretsManagerSource
from support.moto import MotoEndpoint, start_moto

NAME = "rideshare/redis"
NAMES = ["rideshare/api-key", "rideshare/redis", "rideshare/kafka", "rideshare/schema-registry"]
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture(scope="module", name="moto")
def _moto() -> Iterator[MotoEndpoint]:
    """A seeded moto server; AWS_ENDPOINT_URL points the default boto3 session at it."""
    endpoint = start_moto()
    saved = {key: os.environ.get(key) for key in (*AWS_ENV, "AWS_ENDPOINT_URL")}
    os.environ.update({**AWS_ENV, "AWS_ENDPOINT_URL": endpoint.url})
    endpoint.seed({name: {"VALUE": f"{name}-value"} for name in NAMES})
    yield endpoint
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    endpoint.stop()


@pytest.fixture(scope="module", name="cache")
def _cache(moto: MotoEndpoint) -> Iterator[CachedSource]:
    with CachedSource(SecretsManagerSource(endpoint_url=moto.url), ttl=300) as cache:
        cache.fetch_many(NAMES)
        yield cache


def test_dict_get(benchmark: Any) -> None:
    """The floor: one dict lookup."""
    entries = {NAME: object()}
    assert benchmark(entries.get, NAME) is entries[NAME]


def test_cached_source_hit(benchmark: Any, cache: CachedSource) -> None:
    """CachedSource.fetch of a fresh entry: dict read, clock read, compare."""
    secret = benchmark(cache.fetch, NAME)
    assert secret.fields["VALUE"].reveal() == f"{NAME}-value"


def test_cached_source_hit_refresh_ahead_and_stale(benchmark: Any, moto: MotoEndpoint) -> None:
    """The same hit with refresh_ahead and stale_ttl on: the policy adds nothing to a hit."""
    source = SecretsManagerSource(endpoint_url=moto.url)
    with CachedSource(source, ttl=300, refresh_ahead=60, stale_ttl=600) as cache:
        cache.fetch(NAME)
        assert benchmark(cache.fetch, NAME).name == NAME


def test_cached_source_hit_many(benchmark: Any, cache: CachedSource) -> None:
    """fetch_many of 4 fresh names (builds a FetchResult)."""
    assert len(benchmark(cache.fetch_many, NAMES)) == len(NAMES)


def test_cached_source_async_hit(benchmark: Any, cache: CachedSource) -> None:
    """afetch of a fresh entry, driven to completion without an event loop turn."""

    def run() -> Any:
        coro = cache.afetch(NAME)
        try:
            coro.send(None)
        except StopIteration as done:  # a hit never suspends: no thread hop
            return done.value
        raise AssertionError("a hit suspended")  # pragma: no cover

    assert benchmark(run).name == NAME
    assert asyncio.run(cache.afetch(NAME)).name == NAME


def test_secretsmanager_caching_hit(benchmark: Any, moto: MotoEndpoint) -> None:
    """aws-secretsmanager-caching: SecretCache.get_secret_string of a cached secret."""
    caching = pytest.importorskip("aws_secretsmanager_caching")
    import boto3

    cache = caching.SecretCache(
        config=caching.SecretCacheConfig(), client=boto3.client("secretsmanager")
    )
    assert json.loads(cache.get_secret_string(NAME)) == {"VALUE": f"{NAME}-value"}
    assert json.loads(benchmark(cache.get_secret_string, NAME))["VALUE"] == f"{NAME}-value"


def test_powertools_get_secret_hit(benchmark: Any, moto: MotoEndpoint) -> None:
    """aws-lambda-powertools: parameters.get_secret with max_age, served from its cache."""
    parameters = pytest.importorskip("aws_lambda_powertools.utilities.parameters")
    assert json.loads(parameters.get_secret(NAME, max_age=300))["VALUE"] == f"{NAME}-value"
    result = benchmark(parameters.get_secret, NAME, max_age=300)
    assert json.loads(result)["VALUE"] == f"{NAME}-value"


def test_cold_fetch(benchmark: Any, moto: MotoEndpoint) -> None:
    """A miss: one BatchGetSecretValue round trip to moto on loopback, parsed."""
    source = SecretsManagerSource(endpoint_url=moto.url)
    source.fetch(NAME)  # build the client and open the connection outside the timing
    secret = benchmark.pedantic(source.fetch, args=(NAME,), rounds=100, warmup_rounds=5)
    assert secret.fields["VALUE"].reveal() == f"{NAME}-value"
