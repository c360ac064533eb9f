"""The value reads' answers, parsed without botocore's model walk, give what botocore gives.

`_awsclient.lean_parser_factory` replaces botocore's parse of a successful
BatchGetSecretValue / GetSecretValue / GetParameters answer (a walk of the
output model, about a seventh of a request's client CPU) with the JSON as
sent and `SecretBinary` decoded. These tests pin the three things that rest
on: the override is reached in the botocore installed, its result equals
botocore's own parse, field for field and byte for byte, and an answer of
the wrong types is refused by name, not a crash.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.parsers import JSONParser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rideinfra.errors import SourceError
from rideinfra.secrets import ParseOptions, SecretsManagerSource, _awsclient
from support.moto import MotoEndpoint
from support.proxy import Fault, FaultProxy

SENTINEL = "lean-parse-sentinel-7Q"


def source_for(url: str, **kwargs: Any) -> SecretsManagerSource:
    return SecretsManagerSource(endpoint_url=url, environ={}, **kwargs)


def test_botocore_still_calls_the_step_the_override_replaces() -> None:
    """If a botocore release renames `_handle_json_body`, the speed-up is gone: say so here."""
    assert callable(getattr(JSONParser, "_handle_json_body", None))


def test_the_value_reads_take_the_lean_parse(
    sm: MotoEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch fetch and a pinned single get both decode through `decode_value_read`, once each."""
    calls: list[tuple[str, ...]] = []
    real = _awsclient.decode_value_read

    def counting(raw_body: bytes, blob_lists: tuple[str, ...]) -> Any:
        calls.append(blob_lists)
        return real(raw_body, blob_lists)

    monkeypatch.setattr(_awsclient, "decode_value_read", counting)
    sm.seed({"lean/a": {"K": "1"}, "lean/b": {"K": "2"}})
    source = source_for(sm.url)
    assert len(source.fetch_many(["lean/a", "lean/b"])) == 2
    assert calls == [("SecretValues",)]
    single = source_for(sm.url, use_batch=False)
    assert single.fetch("lean/a").fields["K"].reveal() == "1"
    assert calls[-1] == ()


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
field_maps = st.dictionaries(
    st.from_regex(r"[A-Z][A-Z0-9_]{0,8}", fullmatch=True), texts, min_size=1, max_size=4
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fields=field_maps, blob=st.binary(min_size=1, max_size=64))
def test_same_answer_as_botocores_own_parse(
    sm: MotoEndpoint, fields: dict[str, str], blob: bytes
) -> None:
    """Fields, binary bytes and version ids equal what a plain botocore client reads."""
    sm.reset()
    sm.seed({"eq/json": fields, "eq/blob": blob})
    source = source_for(sm.url, parse=ParseOptions(binary_field="BLOB"))
    got = source.fetch_many(["eq/json", "eq/blob"])
    plain = sm.client().batch_get_secret_value(SecretIdList=["eq/json", "eq/blob"])
    by_name = {item["Name"]: item for item in plain["SecretValues"]}
    assert {k: v.reveal() for k, v in got["eq/json"].fields.items()} == json.loads(
        by_name["eq/json"]["SecretString"]
    )
    assert got["eq/blob"].fields["BLOB"].reveal() == base64.b64encode(
        by_name["eq/blob"]["SecretBinary"]
    ).decode("ascii")
    assert got["eq/json"].version_id == by_name["eq/json"]["VersionId"]
    assert got["eq/blob"].version_id == by_name["eq/blob"]["VersionId"]


def _secret_string_as_number(answer: dict[str, Any]) -> dict[str, Any]:
    values = [{**item, "SecretString": 12345} for item in answer.get("SecretValues", [])]
    return {**answer, "SecretValues": values}


def _binary_not_base64(answer: dict[str, Any]) -> dict[str, Any]:
    values = []
    for item in answer.get("SecretValues", []):
        kept = {k: v for k, v in item.items() if k != "SecretString"}
        values.append({**kept, "SecretBinary": f"not base64! {SENTINEL}"})
    return {**answer, "SecretValues": values}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (_secret_string_as_number, "a SecretString that is not a string"),
        (_binary_not_base64, "a SecretBinary that is not base64"),
    ],
)
def test_an_answer_of_the_wrong_types_is_refused_by_name(
    proxy: FaultProxy, sm: MotoEndpoint, change: Any, words: str
) -> None:
    """The secret is named, with what was wrong; the answer's text is not repeated."""
    sm.seed({"bad/one": {"K": SENTINEL}})
    proxy.on({1: Fault.rewritten(change)})
    result = source_for(proxy.url, parse=ParseOptions(binary_field="B")).fetch_many(["bad/one"])
    error = result.errors["bad/one"]
    assert isinstance(error, SourceError)
    assert words in str(error)
    assert "'bad/one'" in str(error)
    assert SENTINEL not in str(error)
    assert error.code == "MalformedAnswer"


def test_a_body_that_is_not_an_object_is_no_answer(proxy: FaultProxy, sm: MotoEndpoint) -> None:
    """A JSON list (or any non-object) for a batch read: each id is reported unanswered."""
    sm.seed({"bad/list": {"K": "v"}})
    proxy.on({1: Fault.body(200, b"[1, 2]", content_type="application/x-amz-json-1.1")})
    result = source_for(proxy.url).fetch_many(["bad/list"])
    assert "returned neither a value nor an error" in str(result.errors["bad/list"])
