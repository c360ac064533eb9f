"""The lean BatchGetSecretValue (secrets/_awslean.py): botocore's request, botocore's retry rules.

The lean path builds the request once from botocore's own serialiser and
endpoint resolver and signs every call with botocore's SigV4. These tests
hold it to what a plain client call does: the same body and headers on the
wire (property-tested against botocore's serialiser, and compared as
received by a proxy), the same request counts and errors under faults, and
no lean path where it could differ (an injected client, one attempt,
adaptive retries).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from botocore.session import Session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rideinfra.errors import SourceError
from rideinfra.secrets import ParameterStoreSource, SecretsManagerSource
from rideinfra.secrets._awslean import LeanCall
from support.moto import MotoEndpoint
from support.proxy import Fault, FaultProxy

OP = "BatchGetSecretValue"
#: Headers whose values belong to one request: its time, signature and id.
PER_REQUEST = {"x-amz-date", "authorization", "amz-sdk-invocation-id"}


def source_for(url: str, **kwargs: Any) -> SecretsManagerSource:
    return SecretsManagerSource(endpoint_url=url, environ={}, **kwargs)


def lean_of(source: SecretsManagerSource) -> LeanCall | None:
    return source._client.lean(OP)


def client_call_only(source: SecretsManagerSource) -> SecretsManagerSource:
    """The same source, its batch reads sent through the botocore client call."""
    source._client._lean[OP] = None
    return source


class TestWhereLean:
    def test_a_client_rideinfra_builds_reads_lean(self, sm: MotoEndpoint) -> None:
        assert isinstance(lean_of(source_for(sm.url)), LeanCall)

    def test_an_injected_client_is_used_as_given(self, sm: MotoEndpoint) -> None:
        """The caller's client may carry its own event hooks or a Stubber: never bypassed."""
        sm.seed({"lean/a": {"K": "1"}})
        client = Session().create_client("secretsmanager", endpoint_url=sm.url)
        source = SecretsManagerSource(client=client)
        assert lean_of(source) is None
        assert source.fetch("lean/a").fields["K"].reveal() == "1"

    def test_one_attempt_goes_through_botocore(self, sm: MotoEndpoint) -> None:
        """A lean first attempt could not hand a retry over within max_attempts=1."""
        assert lean_of(source_for(sm.url, max_attempts=1)) is None

    def test_adaptive_retries_go_through_botocore(self, sm: MotoEndpoint) -> None:
        """Adaptive mode's client-side rate limiter is a hook in botocore's send."""
        assert lean_of(source_for(sm.url, retry_mode="adaptive")) is None


ids = st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=20)
tokens = st.none() | st.text(min_size=1, max_size=60)
texts = st.text(min_size=1, max_size=40)


@st.composite
def _batch_params(draw: st.DrawFn) -> dict[str, Any]:
    params: dict[str, Any] = {"SecretIdList": draw(ids)}
    token = draw(tokens)
    if token is not None:
        params["NextToken"] = token
    return params


@st.composite
def _get_params(draw: st.DrawFn) -> dict[str, Any]:
    params: dict[str, Any] = {"SecretId": draw(texts)}
    # botocore's own check: a version id is 32 to 64 characters.
    for member, values in (
        ("VersionId", st.text(min_size=32, max_size=64)),
        ("VersionStage", texts),
    ):
        value = draw(st.none() | values)
        if value is not None:
            params[member] = value
    return params


@st.composite
def _parameters_params(draw: st.DrawFn) -> dict[str, Any]:
    return {"Names": draw(st.lists(texts, min_size=1, max_size=10)), "WithDecryption": True}


#: The value reads that go lean: (source, operation, parameters it is called with).
VALUE_READS = {
    "BatchGetSecretValue": (SecretsManagerSource, _batch_params()),
    "GetSecretValue": (SecretsManagerSource, _get_params()),
    "GetParameters": (ParameterStoreSource, _parameters_params()),
}


@pytest.mark.parametrize("operation", list(VALUE_READS))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_body_and_headers_are_botocores(
    sm: MotoEndpoint, operation: str, data: st.DataObject
) -> None:
    """Any parameters (unicode included, in any order): botocore's serialiser writes the same."""
    kind, strategy = VALUE_READS[operation]
    source = kind(endpoint_url=sm.url, environ={})
    lean = source._client.lean(operation)
    assert lean is not None
    client = source._client.get()
    params = data.draw(strategy)
    given_order = dict(reversed(list(params.items())))  # the lean body follows the model's order
    ours = lean._request_dict(given_order)
    op = client.meta.service_model.operation_model(operation)
    theirs = client._convert_to_request_dict(params, op, ours["url"], context={})
    assert ours["body"] == theirs["body"]
    assert json.loads(ours["body"]) == params
    assert (ours["method"], ours["url"]) == (theirs["method"], theirs["url"])
    assert ours["headers"] == theirs["headers"]


def test_an_unknown_parameter_is_botocores_to_refuse(sm: MotoEndpoint) -> None:
    from botocore.exceptions import ParamValidationError

    lean = lean_of(source_for(sm.url))
    assert lean is not None
    with pytest.raises(ParamValidationError, match="SecretIdLsit"):
        lean({"SecretIdLsit": ["x"]})


class TestOnTheWire:
    @pytest.mark.parametrize("token", [None, "session-token"])
    @pytest.mark.parametrize("operation", list(VALUE_READS))
    def test_the_same_request_as_the_client_call(
        self, proxy: FaultProxy, sm: MotoEndpoint, token: str | None, operation: str
    ) -> None:
        """As the proxy receives them: the same body, header names and values, signed scope."""
        sm.seed({"lean/a": {"K": "1"}, "lean/b": {"K": "2"}})
        environ = {"AWS_ACCESS_KEY_ID": "AKIDLEAN", "AWS_SECRET_ACCESS_KEY": "lean-secret"}
        if token:
            environ["AWS_SESSION_TOKEN"] = token
        if operation == "GetParameters":
            ssm = Session().create_client("ssm", endpoint_url=sm.url)
            for name in ("/lean/a", "/lean/b"):
                ssm.put_parameter(
                    Name=name, Value='{"K": "1"}', Type="SecureString", Overwrite=True
                )
            names = ["lean/a", "lean/b"]

            def make() -> Any:
                return ParameterStoreSource(endpoint_url=proxy.url, environ=environ, prefix="/")
        else:
            names = ["lean/a", "lean/b"]

            def make() -> Any:
                return SecretsManagerSource(
                    endpoint_url=proxy.url,
                    environ=environ,
                    use_batch=operation == "BatchGetSecretValue",
                )

        proxy.reset()
        lean_source, plain_source = make(), make()
        assert lean_source._client.lean(operation) is not None
        plain_source._client._lean[operation] = None
        assert len(lean_source.fetch_many(names)) == 2
        assert len(plain_source.fetch_many(names)) == 2
        requests = proxy.requests
        assert len(requests) % 2 == 0
        half = len(requests) // 2

        # Requests in flight at once reach the proxy in any order: paired by body.
        def by_body(part: list[tuple[dict[str, str], bytes]]) -> list[tuple[dict[str, str], bytes]]:
            return sorted(part, key=lambda request: request[1])

        for (lean_headers, lean_body), (boto_headers, boto_body) in zip(
            by_body(requests[:half]), by_body(requests[half:]), strict=True
        ):
            assert lean_body == boto_body
            lean_h = {k.lower(): v for k, v in lean_headers.items()}
            boto_h = {k.lower(): v for k, v in boto_headers.items()}
            assert lean_h["x-amz-target"].endswith("." + operation)
            assert lean_h.keys() == boto_h.keys()
            assert ("x-amz-security-token" in lean_h) == bool(token)
            for name in lean_h.keys() - PER_REQUEST:
                assert lean_h[name] == boto_h[name], name
            # Same algorithm, credential scope and signed headers; only the signature differs.
            assert (
                lean_h["authorization"].split("Signature=")[0]
                == (boto_h["authorization"].split("Signature=")[0])
            )
            assert lean_h["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDLEAN/")

    def test_inside_lambda_both_send_the_trace_header(
        self, proxy: FaultProxy, sm: MotoEndpoint, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """botocore's recursion-detection header (X-Amzn-Trace-Id) goes out on the lean path too."""
        sm.seed({"lean/a": {"K": "1"}})
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
        monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
        source = source_for(proxy.url)
        proxy.reset()
        source.fetch_many(["lean/a"])
        client_call_only(source).fetch_many(["lean/a"])
        traces = [headers.get("X-Amzn-Trace-Id") for headers, _ in proxy.requests]
        assert traces[0] is not None
        assert traces[0] == traces[1]

    def test_a_paginated_answer_sends_the_token(self, proxy: FaultProxy, sm: MotoEndpoint) -> None:
        sm.seed({"lean/a": {"K": "1"}, "lean/b": {"K": "2"}})

        def first_page_only(answer: dict[str, Any]) -> dict[str, Any]:
            return {**answer, "SecretValues": answer["SecretValues"][:1], "NextToken": "1"}

        proxy.on({1: Fault.rewritten(first_page_only)}, action=OP)
        result = source_for(proxy.url).fetch_many(["lean/a", "lean/b"])
        assert sorted(result) == ["lean/a", "lean/b"]
        bodies = [json.loads(body) for _, body in proxy.requests]
        assert [b.get("NextToken") for b in bodies] == [None, "1"]


class TestBotocoreRetryRules:
    @pytest.mark.parametrize(
        "fault",
        [Fault.http(500), Fault.http(503), Fault.throttle(), Fault.reset()],
        ids=["500", "503", "throttled", "reset"],
    )
    def test_a_retryable_first_answer_is_retried(
        self, proxy: FaultProxy, sm: MotoEndpoint, fault: Fault, caplog: pytest.LogCaptureFixture
    ) -> None:
        sm.seed({"lean/a": {"K": "1"}})
        proxy.on({1: fault}, action=OP)
        with caplog.at_level(logging.INFO, logger="rideinfra"):
            secret = source_for(proxy.url).fetch("lean/a")
        assert secret.fields["K"].reveal() == "1"
        assert proxy.count(OP) == 2
        assert "BatchGetSecretValue succeeded after 1 retry" in caplog.text

    @pytest.mark.parametrize("max_attempts", [2, 3])
    def test_max_attempts_counts_the_lean_attempt(
        self, proxy: FaultProxy, sm: MotoEndpoint, max_attempts: int
    ) -> None:
        """An endpoint that always fails gets max_attempts requests in all, as without it."""
        sm.seed({"lean/a": {"K": "1"}})
        counts = []
        for source in (
            source_for(proxy.url, max_attempts=max_attempts),
            client_call_only(source_for(proxy.url, max_attempts=max_attempts)),
        ):
            proxy.reset()
            proxy.on({n: Fault.http(500) for n in range(1, 10)}, action=OP)
            with pytest.raises(SourceError) as caught:
                source.fetch_many(["lean/a"])
            assert caught.value.code == "InternalError" or "500" in str(caught.value)
            counts.append(proxy.count(OP))
        assert counts == [max_attempts, max_attempts]

    @pytest.mark.parametrize(
        "fault",
        [
            Fault.aws("ValidationException", message="bad ids"),
            Fault.aws("UnrecognizedClientException", message="bad key"),
            Fault.body(404, b"<html>not here</html>"),
        ],
        ids=["validation", "credentials", "html-404"],
    )
    def test_an_error_botocore_does_not_retry_is_raised_at_once(
        self, proxy: FaultProxy, sm: MotoEndpoint, fault: Fault
    ) -> None:
        """One request, and the same SourceError (code and text) as the client call gives."""
        sm.seed({"lean/a": {"K": "1"}})
        errors = []
        lean_source = source_for(proxy.url)
        for source in (lean_source, client_call_only(source_for(proxy.url))):
            proxy.reset()
            proxy.on({1: fault}, action=OP)
            with pytest.raises(SourceError) as caught:
                source.fetch_many(["lean/a"])
            assert proxy.count(OP) == 1
            errors.append((caught.value.code, str(caught.value)))
        assert errors[0] == errors[1]
        # Raised with the client's own exception classes: no retry client was built for it.
        assert lean_source._client._fallback_client is None
