"""ChainSource (first hit wins; only not-found falls through) and OverrideSource."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path

import pytest

from rideinfra.errors import FetchErrors, SecretFormatError, SecretNotFound, SourceError
from rideinfra.secrets.base import FetchResult
from rideinfra.secrets.compose import ChainSource, OverrideSource
from rideinfra.secrets.files import FileSource
from rideinfra.secrets.model import Secret, SecretValue
from rideinfra.testing import HandlerSource, MemorySource

SENTINEL = "s3cr3t-Sentinel-9f8e7d"


def revealed(secret: Secret) -> dict[str, str]:
    return {name: value.reveal() for name, value in secret.fields.items()}


def denied(name: str) -> SourceError:
    return SourceError(f"access denied to {name!r}", secret=name, code="AccessDeniedException")


class DictSource:
    """A source that follows only the protocol: fetch_many returns a plain dict."""

    def __init__(self, secrets: dict[str, Secret]) -> None:
        self.secrets = secrets

    def fetch_many(self, names: Iterable[str]) -> dict[str, Secret]:
        return {name: self.secrets[name] for name in names if name in self.secrets}

    def fetch(self, name: str) -> Secret:
        return self.secrets[name]


class TestChainSource:
    def test_first_source_that_has_it_wins(self, tmp_path: Path) -> None:
        """A secret in two sources comes from the first; the origin says which."""
        local = tmp_path / "local.json"
        local.write_text(json.dumps({"app/db": {"USER": "local"}}), encoding="utf-8")
        remote = MemorySource({"app/db": {"USER": "remote"}, "app/k": {"K": "remote"}})
        chain = ChainSource(FileSource(local), remote)
        result = chain.fetch_many(["app/db", "app/k"])
        assert revealed(result["app/db"]) == {"USER": "local"}
        assert result["app/db"].origin == f"file:{local}"
        assert revealed(result["app/k"]) == {"K": "remote"}
        assert result["app/k"].origin == "memory"

    def test_each_source_is_asked_once_for_what_is_still_missing(self) -> None:
        """One fetch_many per source, carrying only the names not yet found."""
        first = MemorySource({"a": {"K": "1"}})
        second = MemorySource({"b": {"K": "2"}})
        third = MemorySource({"c": {"K": "3"}})
        result = ChainSource(first, second, third).fetch_many(["a", "b", "c"])
        assert sorted(result) == ["a", "b", "c"]
        assert first.calls == [("a", "b", "c")]
        assert second.calls == [("b", "c")]
        assert third.calls == [("c",)]

    def test_later_sources_are_not_asked_once_all_are_found(self) -> None:
        """When the first source has everything, the rest are never called."""
        first = MemorySource({"a": {"K": "1"}})
        second = MemorySource({"a": {"K": "2"}})
        assert revealed(ChainSource(first, second).fetch("a")) == {"K": "1"}
        assert second.calls == []

    @pytest.mark.parametrize(
        "error",
        [denied("a"), SecretFormatError("secret 'a' is not valid JSON", secret="a")],
    )
    def test_other_errors_are_final(self, error: SourceError) -> None:
        """Access denied or a bad format stops the chain for that name: no stale fallback."""
        fallback = MemorySource({"a": {"K": "stale"}})
        chain = ChainSource(HandlerSource(lambda name: error), fallback)
        result = chain.fetch_many(["a"])
        assert result.errors["a"] is error
        assert fallback.calls == []

    def test_not_found_everywhere_lists_each_answer(self) -> None:
        """A name no source has is SecretNotFound saying how many sources were asked."""
        chain = ChainSource(MemorySource(), HandlerSource(lambda name: None))
        with pytest.raises(SecretNotFound, match="'x' not found in any of 2 sources") as info:
            chain.fetch("x")
        assert "memory" in str(info.value)
        assert "handler returned None" in str(info.value)

    def test_a_raised_source_error_becomes_one_error_per_name(self) -> None:
        """A source that raises SourceError for a whole batch gives each name a final error."""

        class Down(MemorySource):
            def _fetch_many(self, names: tuple[str, ...]) -> FetchResult:
                raise SourceError("endpoint down", code="EndpointConnectionError")

        fallback = MemorySource({"a": {"K": "v"}})
        result = ChainSource(Down(), fallback).fetch_many(["a", "b"])
        assert set(result.errors) == {"a", "b"}
        assert result.errors["a"].secret == "a"
        assert result.errors["a"].code == "EndpointConnectionError"
        assert "endpoint down" in str(result.errors["a"])
        assert fallback.calls == []

    def test_fetch_errors_are_split_per_name(self) -> None:
        """A raised FetchErrors gives each name its own error from it."""

        class Batch(MemorySource):
            def _fetch_many(self, names: tuple[str, ...]) -> FetchResult:
                raise FetchErrors({name: SecretNotFound("gone", secret=name) for name in names})

        result = ChainSource(Batch(), MemorySource({"a": {"K": "v"}})).fetch_many(["a"])
        assert revealed(result["a"]) == {"K": "v"}

    def test_other_exceptions_propagate(self) -> None:
        """A bug in a source (not a SourceError) is not hidden by the chain."""

        def broken(name: str) -> None:
            raise RuntimeError("bug")

        with pytest.raises(RuntimeError, match="bug"):
            ChainSource(HandlerSource(broken), MemorySource()).fetch("a")

    def test_protocol_only_sources_work(self) -> None:
        """A source returning a plain dict (no .errors) is treated as not having the rest."""
        plain = DictSource({"a": Secret("a", {"K": SecretValue("1")}, origin="dict")})
        result = ChainSource(plain, MemorySource({"b": {"K": "2"}})).fetch_many(["a", "b"])
        assert result["a"].origin == "dict"
        assert result["b"].origin == "memory"

    def test_nested_chains_are_flattened(self) -> None:
        """ChainSource(ChainSource(a, b), c) asks a, b, c in order."""
        a, b, c = MemorySource(), MemorySource(), MemorySource()
        assert ChainSource(ChainSource(a, b), c).sources == (a, b, c)

    def test_needs_a_source(self) -> None:
        """An empty chain is a ValueError."""
        with pytest.raises(ValueError, match="at least one source"):
            ChainSource()


class TestOverrideSource:
    def test_replaces_the_field_in_every_secret_that_has_it(self) -> None:
        """OVERRIDE_<KEY> replaces KEY wherever it occurs; other fields are untouched."""
        inner = MemorySource(
            {
                "pg/airflow": {"POSTGRES_USER": "airflow", "POSTGRES_PASSWORD": "a"},
                "pg/metastore": {"POSTGRES_USER": "metastore", "POSTGRES_PASSWORD": "m"},
            }
        )
        environ = {"OVERRIDE_POSTGRES_PASSWORD": " local $pw\n"}
        result = OverrideSource(inner, environ).fetch_many(["pg/airflow", "pg/metastore"])
        assert revealed(result["pg/airflow"]) == {
            "POSTGRES_USER": "airflow",
            "POSTGRES_PASSWORD": " local $pw\n",
        }
        assert revealed(result["pg/metastore"])["POSTGRES_PASSWORD"] == " local $pw\n"
        assert result["pg/airflow"].origin == "memory+env:OVERRIDE_POSTGRES_PASSWORD"

    def test_without_overrides_the_secret_is_unchanged(self) -> None:
        """A secret none of whose fields is overridden is returned as fetched."""
        inner = MemorySource({"a": {"K": "v"}})
        secret = OverrideSource(inner, {"OVERRIDE_OTHER": "x"}).fetch("a")
        assert revealed(secret) == {"K": "v"}
        assert secret.origin == "memory"

    def test_never_adds_fields_or_secrets(self) -> None:
        """Overrides replace existing fields only; missing secrets stay missing."""
        inner = MemorySource({"a": {"K": "v"}})
        source = OverrideSource(inner, {"OVERRIDE_NEW": "x", "OVERRIDE_K": "o"})
        result = source.fetch_many(["a", "missing"])
        assert revealed(result["a"]) == {"K": "o"}
        assert result.missing == ("missing",)

    def test_field_names_are_matched_exactly(self) -> None:
        """The variable is the prefix plus the field name as stored, case-sensitive."""
        inner = MemorySource({"a": {"api_key": "v"}})
        assert revealed(OverrideSource(inner, {"OVERRIDE_API_KEY": "x"}).fetch("a")) == {
            "api_key": "v"
        }
        assert revealed(OverrideSource(inner, {"OVERRIDE_api_key": "x"}).fetch("a")) == {
            "api_key": "x"
        }

    def test_custom_prefix_and_structured_fields(self) -> None:
        """prefix= changes the variables; an overridden nested field becomes plain text."""
        inner = MemorySource({"a": {"CORE": {"k": "v"}}})
        secret = OverrideSource(inner, {"LOCAL_CORE": "flat"}, prefix="LOCAL_").fetch("a")
        assert secret.fields["CORE"].reveal() == "flat"
        assert not secret.fields["CORE"].structured

    def test_logs_names_only(self, caplog: pytest.LogCaptureFixture) -> None:
        """The override is logged with the secret and variable names, never the values."""
        inner = MemorySource({"app/a": {"K": "stored-" + SENTINEL}})
        with caplog.at_level(logging.DEBUG, logger="rideinfra.secrets"):
            OverrideSource(inner, {"OVERRIDE_K": SENTINEL}).fetch("app/a")
        assert "app/a" in caplog.text
        assert "OVERRIDE_K" in caplog.text
        assert SENTINEL not in caplog.text

    def test_errors_pass_through(self) -> None:
        """The inner source's errors are reported unchanged."""
        error = denied("a")
        result = OverrideSource(HandlerSource(lambda name: error), {}).fetch_many(["a"])
        assert result.errors["a"] is error
