"""A value read sent with botocore's signer, HTTP session and retry rules, not its call pipeline.

A fetch of N secrets is ceil(N/20) `BatchGetSecretValue` requests in flight
at once, and their client CPU is what spaces them out: they share one GIL.
About a fifth of a botocore client call's CPU is per-call work whose result
never changes between calls of one client: the parameter events and
validation, the serialisation, the endpoint rule set (its inputs are the
region and the client's settings), the user-agent string, and the events
around signing. `LeanCall` has botocore do that work once (its serialiser,
endpoint resolver and user agent lay out a template request) and per call
only writes the body, signs it with botocore's `SigV4Auth` and the client's
credentials (which botocore refreshes before they expire) and sends it,
with the client's TLS settings and timeouts, on connections of its own
(`_awswire`) or, where those would differ (a proxy, a client certificate,
`verify=False`), on the client's own HTTP session.

A first attempt that fails is judged by botocore's own retry rules: its
error answer is parsed with botocore's parser and the client's
`needs-retry` handlers decide, as botocore's endpoint asks them. Not to be
retried: the exception the client call would raise for that answer. To be
retried: after botocore's delay, the call goes on through a client built
with one attempt fewer (`AwsClient._fallback`), so a call makes at most
`max_attempts` requests in all, as without the lean path. That client keeps
its own retry quota, which lean successes do not refill.

Used only where the request is the same: clients rideinfra builds (an
injected client may carry the caller's event hooks or a Stubber), SigV4 with
credentials, the standard or legacy retry modes (adaptive mode's rate
limiter is a hook in botocore's send), and an endpoint with no per-endpoint
headers or auth schemes. Anything else, and a botocore release whose
internals differ from what `LeanCall.for_client` reads, uses the client call.
tests/secrets/test_aws_lean.py holds it to the client call's bytes on the
wire, request counts and errors.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, cast

# Imported only by AwsClient.lean, once a client exists: botocore is loaded by then.
from botocore import xform_name
from botocore.auth import SigV4Auth
from botocore.awsrequest import create_request_object
from botocore.endpoint import convert_to_response_dict
from botocore.exceptions import BotoCoreError
from botocore.handlers import add_recursion_detection_header
from botocore.hooks import first_non_none_response

from rideinfra.secrets import _awsclient
from rideinfra.secrets._awswire import WireSession
from rideinfra.secrets._log import logger

__all__ = ["LeanCall"]


class LeanCall:
    """One value read of a JSON-protocol botocore client, sent lean; see the module docs.

    Made by `for_client`, which returns None where the lean path would not
    send what the client sends. Thread-safe: each call builds its own request.
    """

    __slots__ = (
        "_blob_lists",
        "_credentials",
        "_endpoint",
        "_exceptions",
        "_fallback",
        "_http",
        "_max_attempts",
        "_members",
        "_model",
        "_operation",
        "_parser",
        "_prepare",
        "_region",
        "_retry_delay",
        "_service",
        "_template",
    )

    def __init__(
        self,
        client: Any,
        operation: str,
        template: dict[str, Any],
        *,
        fallback: Callable[[], Any],
        max_attempts: int,
    ) -> None:
        signer = client._request_signer
        self._operation = operation
        self._model = client.meta.service_model.operation_model(operation)
        self._template = template
        self._credentials = signer._credentials
        self._service = signer.signing_name
        self._region = signer.region_name
        self._endpoint = client._endpoint
        # Our own HTTP/1.1 where it sends and checks what botocore's session does (_awswire).
        self._http = (
            WireSession.for_session(self._endpoint.http_session, template["url"])
            or self._endpoint.http_session
        )
        self._prepare = self._endpoint.prepare_request
        self._parser = _awsclient.lean_parser_factory().create_parser("json")
        self._blob_lists = _awsclient.VALUE_READ_OUTPUTS[self._model.output_shape.name]
        self._members: tuple[str, ...] = tuple(self._model.input_shape.members)
        self._fallback = fallback
        self._max_attempts = max_attempts
        # The service's exception classes, to raise what the client call would.
        self._exceptions = client.exceptions
        events = client.meta.events
        retry_event = f"needs-retry.{client.meta.service_model.service_id.hyphenize()}.{operation}"

        def retry_delay(**kwargs: Any) -> Any:
            # botocore's own retry rules (standard or legacy mode), as its Endpoint asks them.
            return first_non_none_response(events.emit(retry_event, **kwargs))

        self._retry_delay = retry_delay

    def __repr__(self) -> str:
        return f"LeanCall({self._operation!r})"

    @classmethod
    def for_client(
        cls, client: Any, operation: str, *, fallback: Callable[[], Any], max_attempts: int
    ) -> LeanCall | None:
        """The lean form of `client`'s `operation`, or None where it would differ.

        Args:
            client: the botocore client rideinfra built (never an injected one).
            operation: the API name (`BatchGetSecretValue`).
            fallback: gives the client a retried call goes on with (built on
                first use, with one attempt fewer than `max_attempts`).
            max_attempts: the call's attempts in all, the lean one included.
        """
        try:
            template = cls._template_of(client, operation)
            return (
                None
                if template is None
                else cls(client, operation, template, fallback=fallback, max_attempts=max_attempts)
            )
        except (AttributeError, KeyError, TypeError, ValueError, BotoCoreError) as exc:
            # A botocore whose internals moved: the client call is always right.
            logger().debug("%s: sent through botocore (%s)", operation, type(exc).__name__)
            return None

    @staticmethod
    def _template_of(client: Any, operation: str) -> dict[str, Any] | None:
        """The request botocore would send for `operation`, less its body; None if not lean-able."""
        model = client.meta.service_model
        op = model.operation_model(operation)
        signer = client._request_signer
        config = client.meta.config
        if (
            model.resolved_protocol != "json"
            or signer.signature_version != "v4"
            or signer._credentials is None
            or (config.retries or {}).get("mode") not in ("standard", "legacy")
            or config.auth_scheme_preference
            or op.auth
            or op.has_streaming_input
            or op.has_streaming_output
            or op.output_shape is None
            or op.output_shape.name not in _awsclient.VALUE_READ_OUTPUTS
        ):
            return None
        context = {
            "client_region": client.meta.region_name,
            "client_config": config,
            "has_streaming_input": False,
            "auth_type": op.resolved_auth_type,
        }
        # The endpoint rule set's inputs are the region and the client's settings:
        # resolved once, with botocore's own resolver.
        url, headers, properties = client._resolve_endpoint_ruleset(op, {}, context)
        if headers or (properties or {}).get("authSchemes"):
            return None  # signing or headers per endpoint: botocore's to do
        # The request as botocore's serialiser lays it out (target, content type,
        # user agent), for a body replaced per call.
        # (Its parameter check wants the required members: placeholders, as the body goes.)
        required = {
            name: _placeholder(op.input_shape.members[name])
            for name in op.input_shape.required_members
        }
        template: dict[str, Any] = client._convert_to_request_dict(
            required, op, url, context=context
        )
        template.pop("context", None)
        return template

    def __call__(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The answer's fields as sent (`SecretBinary` decoded), as the client call returns them.

        Raises:
            botocore.exceptions.ClientError, BotoCoreError: what the client
                call raises for the same answers (and for parameters the
                operation does not have: botocore's validation error).
        """
        if not set(params) <= set(self._members):
            return self._client_call(params)  # botocore names the unknown parameter
        request_dict = self._request_dict(params)
        request = self._signed(request_dict)
        try:
            http_response = self._http.send(self._prepare(request))
        except Exception as exc:  # noqa: BLE001 - botocore's retry rules judge it, as in its own send
            return self._after_failure(params, request_dict, None, exc)
        if http_response.status_code != 200:
            return self._after_failure(
                params, request_dict, (http_response, self._error(http_response)), None
            )
        # One decoding for both paths: the client call's parser uses the same function.
        answer: dict[str, Any] = _awsclient.decode_value_read(
            http_response.content, self._blob_lists
        )
        answer["ResponseMetadata"] = {"HTTPStatusCode": 200, "RetryAttempts": 0}
        return answer

    def _request_dict(self, params: Mapping[str, Any]) -> dict[str, Any]:
        request_dict = {**self._template, "headers": dict(self._template["headers"]), "context": {}}
        # As botocore's JSON serialiser writes it: json.dumps of the members in the
        # input shape's order, whatever order they were given in.
        body = {member: params[member] for member in self._members if member in params}
        request_dict["body"] = json.dumps(body).encode("utf-8")
        add_recursion_detection_header(request_dict)  # X-Amzn-Trace-Id inside Lambda
        return request_dict

    def _signed(self, request_dict: Mapping[str, Any]) -> Any:
        request = create_request_object(request_dict)
        # Refreshed by botocore when temporary credentials are about to expire.
        frozen = self._credentials.get_frozen_credentials()
        SigV4Auth(frozen, self._service, self._region).add_auth(request)
        # After signing, as botocore adds them: they are not among the signed headers.
        request.headers["amz-sdk-invocation-id"] = str(uuid.uuid4())
        request.headers["amz-sdk-request"] = f"attempt=1; max={self._max_attempts}"
        return request

    def _error(self, http_response: Any) -> dict[str, Any]:
        """An error answer parsed as botocore parses it (code, message, modeled fields)."""
        response_dict = convert_to_response_dict(http_response, self._model)
        parsed: dict[str, Any] = self._parser.parse(response_dict, self._model.output_shape)
        code = parsed.get("Error", {}).get("Code")
        shape = self._model.service_model.shape_for_error_code(code) if code else None
        if shape is not None:
            parsed.update(self._parser.parse(response_dict, shape))
        return parsed

    def _after_failure(
        self,
        params: Mapping[str, Any],
        request_dict: dict[str, Any],
        response: tuple[Any, dict[str, Any]] | None,
        exc: Exception | None,
    ) -> dict[str, Any]:
        """Retry as botocore decides for a first attempt; else raise what botocore would."""
        delay = self._retry_delay(
            response=response,
            endpoint=self._endpoint,
            operation=self._model,
            attempts=1,
            caught_exception=exc,
            request_dict=request_dict,
        )
        if delay is None or delay is False:
            if response is None:  # then the send raised
                raise cast(Exception, exc)
            _, parsed = response
            code = parsed.get("Error", {}).get("Code")
            raise self._exceptions.from_code(code)(parsed, self._operation)
        time.sleep(delay)
        answer = self._client_call(params)
        meta = answer.get("ResponseMetadata")
        if isinstance(meta, dict):
            # The lean attempt was the first: botocore's first is a retry of it.
            meta["RetryAttempts"] = int(meta.get("RetryAttempts", 0)) + 1
        return answer

    def _client_call(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The call through botocore's client, with one attempt fewer (see the module docs)."""
        answer: dict[str, Any] = getattr(self._fallback(), xform_name(self._operation))(**params)
        return answer


def _placeholder(shape: Any) -> Any:
    """A value botocore's parameter check accepts for `shape` (the template's body is replaced)."""
    kind = shape.type_name
    if kind == "list":
        return [_placeholder(shape.member)]
    if kind == "structure":
        return {name: _placeholder(shape.members[name]) for name in shape.required_members}
    return {"boolean": False, "integer": 1, "long": 1}.get(kind, "x")
