"""AWS Secrets Manager: a batch-first source and an idempotent store for seeding.

botocore is imported only when a client is first needed, so `import
rideinfra.secrets` stays free of it (about 100 ms of start-up); boto3 is not
imported at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rideinfra.errors import SecretFormatError, SecretNotFound, SourceError, foreign_text
from rideinfra.secrets._awsclient import (
    AwsClient,
    RetryMode,
    chunks,
    error_code,
    log_retries,
    resolve_region,
)
from rideinfra.secrets._deadline import Deadline
from rideinfra.secrets._log import logger
from rideinfra.secrets.base import BaseSource, FetchResult
from rideinfra.secrets.model import (
    DEFAULT_PARSE,
    NOT_JSON_OBJECT,
    ParseOptions,
    Secret,
    is_json_object,
    options_for,
    parse_secret_binary,
    parse_secret_string,
)

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

    # Only the seeding store's annotations: a fetch does not load the seeding helpers.
    from rideinfra.secrets._seedstore import StoreResult

__all__ = [
    "BATCH_LIMIT",
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_CONCURRENCY",
    "SecretsManagerSource",
    "SecretsManagerStore",
    "VersionPin",
    "resolve_region",
]


#: BatchGetSecretValue accepts at most 20 ids per call (SecretIdList).
BATCH_LIMIT = 20
#: Requests in flight at once by default: 1,000 secrets (50 batch requests) in
#: one round trip instead of waves. A fetch makes ceil(N/20) requests whatever
#: the bound, so it does not change what a fetch costs against the account's
#: BatchGetSecretValue quota (100 requests/s per region, not adjustable); it
#: caps threads and pooled connections, and keeps one process to half of that
#: quota per round trip so pods starting together still get their share
#: (throttled requests are retried by botocore with backoff).
DEFAULT_MAX_CONCURRENCY = 50
#: Seconds a whole fetch may take by default. Retries alone end sooner: the
#: worst case botocore's retries allow at the defaults (a store that accepts
#: and never answers) is about 65 s, so the deadline only ends what retries
#: and timeouts cannot: an answer trickled under the read timeout, a store
#: that keeps paginating.
DEFAULT_DEADLINE = 120.0
ORIGIN = "aws-secretsmanager"
SERVICE = "secretsmanager"
_LABEL = "Secrets Manager"

# What one request yields: secrets read, and per-secret errors.
_Part = tuple[dict[str, Secret], dict[str, SourceError]]

# What to tell the user for the error codes an init container meets in practice.
# Ours, so the one kind of text formatted with `{op}`: never a server's message.
_HINTS = {
    "AccessDeniedException": "the caller's IAM policy does not allow secretsmanager:{op} on it",
    "UnrecognizedClientException": "the AWS access key is not valid; check the credentials",
    "InvalidClientTokenId": "the AWS access key is not valid; check the credentials",
    "ExpiredTokenException": "the AWS credentials have expired; refresh them",
    "ExpiredToken": "the AWS credentials have expired; refresh them",
    "InvalidSignatureException": "the secret access key is wrong, or the clock is skewed",
    "SignatureDoesNotMatch": "the secret access key is wrong, or the clock is skewed",
    "ThrottlingException": "Secrets Manager kept throttling past the retry budget; retry later "
    "or raise max_attempts",
    "DecryptionFailure": "the KMS key cannot decrypt it; check kms:Decrypt permission",
    "InternalServiceError": "Secrets Manager failed past the retry budget; retry later",
}

#: GetSecretValue errors about the one secret asked, not the whole store.
_PER_SECRET = ("ResourceNotFoundException", "AccessDeniedException", "DecryptionFailure")


def _is_deleted(code: str, message: str) -> bool:
    return code == "InvalidRequestException" and "delet" in message.lower()


def _per_secret_error(
    client: AwsClient[SecretsManagerClient], name: str, code: str, message: str, op: str
) -> SourceError:
    code = foreign_text(code, 60)
    where = client.where()
    if code == "ResourceNotFoundException":
        return SecretNotFound(
            f"secret {name!r} not found in Secrets Manager at {where}; "
            "check the name, the region and the endpoint",
            secret=name,
            code=code,
        )
    if _is_deleted(code, message):
        return SecretNotFound(
            f"secret {name!r} is scheduled for deletion at {where}; restore it "
            "(aws secretsmanager restore-secret) or create it again",
            secret=name,
            code=code,
        )
    hint = client.hint(code, op) or foreign_text(message or "see the AWS error code")
    return SourceError(f"secret {name!r}: {code}: {hint}", secret=name, code=code)


class _AskedIds:
    """The ids asked for, to find every one that names the secret of an answer.

    An id is a name, a full ARN, or a partial ARN: the ARN without the `-`
    and 6 random characters AWS appends to the name (ARNs of different
    secrets can share a prefix, `app/db` and `app/db2`, so a bare prefix
    match is not enough). Looked up by key, not compared with every id:
    a listing of 1,000 secrets against 1,000 watched ids is 1,000 lookups.
    """

    __slots__ = ("_by_id",)

    def __init__(self, asked: Sequence[str]) -> None:
        self._by_id: dict[str, list[str]] = {}
        for one in asked:
            self._by_id.setdefault(one, []).append(one)

    def forms(self, item: Mapping[str, Any]) -> list[str]:
        """Every asked id that names the secret of `item` (a batch answer or a listing entry)."""
        # Called for every secret a fetch reads: the common case (asked by name, an ARN
        # no one asked for) is three lookups and no generator.
        by_id = self._by_id
        name = item.get("Name", "")
        arn = item.get("ARN", "")
        if type(name) is not str:
            name = str(name)
        if type(arn) is not str:
            arn = str(arn)
        found = list(by_id.get(name, ()))
        if arn and arn != name:
            found += by_id.get(arn, ())
            # A partial ARN: the full one less `-` and the 6 characters AWS adds.
            if len(arn) > 7 and arn[-7] == "-" and arn[:-7].startswith("arn:"):
                partial = by_id.get(arn[:-7])
                for one in partial or ():
                    if one not in found:
                        found.append(one)
        return found


#: `(version_stage, version_id)` a secret asks for; `(None, None)` is AWSCURRENT.
VersionPin = tuple[str | None, str | None]
#: ListSecrets takes at most 10 values per filter.
_FILTER_VALUES = 10


def _is_pinned(pin: VersionPin) -> bool:
    stage, version_id = pin
    return version_id is not None or stage not in (None, "AWSCURRENT")


def _name_prefix(asked: str) -> str:
    """The name filter value for a secret asked by name or ARN: up to its first `/`."""
    name = (
        asked.split(":secret:", 1)[1] if asked.startswith("arn:") and ":secret:" in asked else asked
    )
    head, slash, _ = name.partition("/")
    return head + slash


class SecretsManagerSource(BaseSource):
    """Secrets from AWS Secrets Manager (or LocalStack / moto through `endpoint_url`).

    Reads with `BatchGetSecretValue`, 20 ids per request, the requests in
    parallel (at most `max_concurrency`). If the batch call is denied
    (AccessDeniedException: a policy that grants only GetSecretValue), it falls
    back to parallel `GetSecretValue` and stays there. Selecting a
    `version_id` or a `version_stage` other than AWSCURRENT also uses
    `GetSecretValue`: the batch call always returns AWSCURRENT.

    A secret may be asked for by name, by full ARN, or by partial ARN (the
    ARN without the `-` and 6 characters AWS appends to the name); asked
    for in several forms at once, each form gets its answer.

    The whole of one `fetch_many` (or `list_names`) must end within
    `deadline` seconds, retries included, or it raises a SourceError saying
    so (code `DeadlineExceeded`): botocore's timeouts bound each socket
    read, not an answer trickled under them. Pagination is bounded by what
    was asked: a page that brings no new answer, or more answers than ids
    asked, is a SourceError (code `PaginationNotEnding`).

    The settings are checked when the source is built: an endpoint without
    http(s) scheme or host, a malformed region, or only part of
    AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN is a
    ConfigError naming the variable; AWS_PROFILE naming no profile is one
    when the client is built, still before any request.

    Args:
        region: else AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1.
        endpoint_url: else AWS_ENDPOINT_URL_SECRETS_MANAGER, else
            AWS_ENDPOINT_URL, else real AWS.
        client: a ready boto3 `secretsmanager` client; built lazily when absent.
        environ: where the variables above are read; `os.environ` when None.
        retry_mode: botocore retry mode, `standard` or `adaptive`.
        max_attempts: total attempts per request, first one included.
        connect_timeout: seconds to connect before a retry.
        read_timeout: seconds to wait for a response before a retry.
        max_concurrency: requests in flight at once (default 50: 1,000 secrets in one
            round trip); also the connection pool size.
        version_stage: e.g. `AWSPREVIOUS`; AWSCURRENT when None.
        version_id: a version id (for every secret fetched; rarely what you want).
        parse: how non-JSON and binary secrets become fields.
        per_secret: secret name -> its own `parse` (rideinfra.yaml's `plain:`
            and `binary:`), for the name as asked.
        use_batch: set False to use only `GetSecretValue`.
        deadline: seconds one fetch may take in all (default `DEFAULT_DEADLINE`,
            120 s: past the 65 s botocore's retries can take at the defaults).
        pins: secret name -> `(version_stage, version_id)` for the secrets
            that ask for a version of their own; they are read with
            `GetSecretValue`, every other secret still in batches.

    Raises:
        ConfigError: the endpoint, the region or the credential variables are
            malformed (and, at the first fetch, the profile; see above).
        ValueError: `max_concurrency` is below 1 or `deadline` is not positive.
    """

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        client: SecretsManagerClient | None = None,
        environ: Mapping[str, str] | None = None,
        retry_mode: RetryMode = "standard",
        max_attempts: int = 5,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        version_stage: str | None = None,
        version_id: str | None = None,
        parse: ParseOptions = DEFAULT_PARSE,
        per_secret: Mapping[str, ParseOptions] | None = None,
        use_batch: bool = True,
        deadline: float | None = None,
        pins: Mapping[str, VersionPin] | None = None,
    ) -> None:
        self._client: AwsClient[SecretsManagerClient] = AwsClient(
            client,
            service=SERVICE,
            label=_LABEL,
            endpoint_variable="AWS_ENDPOINT_URL_SECRETS_MANAGER",
            hints=_HINTS,
            region=region,
            endpoint_url=endpoint_url,
            environ=environ,
            retry_mode=retry_mode,
            max_attempts=max_attempts,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_concurrency=max_concurrency,
            deadline=DEFAULT_DEADLINE if deadline is None else deadline,
        )
        self._version_stage = version_stage
        self._version_id = version_id
        self._parse = parse
        self._per_secret = dict(per_secret or {})
        self._batch = use_batch and version_id is None and version_stage in (None, "AWSCURRENT")
        # Per-secret versions (`secrets.<name>.version_stage` / `version_id`); the rest batch.
        self._pins = {name: pin for name, pin in (pins or {}).items() if _is_pinned(pin)}

    @property
    def region(self) -> str:
        """The region requests go to."""
        return self._client.region

    @property
    def endpoint_url(self) -> str | None:
        """The endpoint requests go to; None for real AWS."""
        return self._client.endpoint_url

    def __repr__(self) -> str:
        return f"SecretsManagerSource(region={self.region!r}, endpoint_url={self.endpoint_url!r})"

    def list_names(self, prefix: str) -> list[str]:
        """Names of the secrets whose name starts with `prefix` (ListSecrets, paginated).

        Raises:
            SourceError: the store could not be listed, or not within the deadline.
        """
        deadline = self._client.new_deadline()
        (names,) = self._client.within(
            lambda _: self._list(prefix, deadline), [()], deadline, "ListSecrets"
        )
        # The name filter matches words anywhere in the name; keep true prefixes only.
        return sorted(name for name in names if name.startswith(prefix))

    def _list(self, prefix: str, deadline: Deadline) -> list[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        names: list[str] = []
        try:
            pages = (
                self._client.get()
                .get_paginator("list_secrets")
                .paginate(Filters=[{"Key": "name", "Values": [prefix]}])
            )
            for page in pages:
                deadline.check()  # a store that pages for ever stops here
                names += [str(item["Name"]) for item in page.get("SecretList", [])]
        except (BotoCoreError, ClientError) as exc:
            raise self._client.store_error(exc, "ListSecrets") from exc
        return names

    def list_versions(self, names: Sequence[str]) -> dict[str, str | None]:
        """Each secret's version id that holds the version it asks for, from metadata only.

        One paginated `ListSecrets` (100 secrets a page, filtered on the
        names' first path segments) instead of a `DescribeSecret` per secret:
        100 secrets under one prefix cost one or two requests, and no value
        is read. A secret pinned to a `version_id` answers that id while it
        exists; one the listing does not show (deleted, misspelt) answers None.

        Raises:
            SourceError: the store could not be listed, or not within the deadline.
        """
        deadline = self._client.new_deadline()
        (stages,) = self._client.within(
            lambda _: self._list_stages(names, deadline), [()], deadline, "ListSecrets"
        )
        versions: dict[str, str | None] = {}
        for name in names:
            stage, version_id = self._pins.get(name, (self._version_stage, self._version_id))
            held = stages.get(name, {})
            if version_id:
                versions[name] = version_id if version_id in held else None
            else:
                wanted = stage or "AWSCURRENT"
                versions[name] = next((v for v, s in held.items() if wanted in s), None)
        return versions

    def _list_stages(
        self, names: Sequence[str], deadline: Deadline
    ) -> dict[str, dict[str, list[str]]]:
        from botocore.exceptions import BotoCoreError, ClientError

        kwargs: dict[str, Any] = {"MaxResults": 100}
        prefixes = sorted({_name_prefix(name) for name in names})
        if len(prefixes) <= _FILTER_VALUES:  # else list the account: still 100 a page
            kwargs["Filters"] = [{"Key": "name", "Values": prefixes}]
        stages: dict[str, dict[str, list[str]]] = {}
        asked = _AskedIds(names)
        try:
            pages = self._client.get().get_paginator("list_secrets").paginate(**kwargs)
            for page in pages:
                deadline.check()
                for item in page.get("SecretList", []):
                    held = item.get("SecretVersionsToStages") or {}
                    for name in asked.forms(item):
                        stages[name] = {str(v): list(s) for v, s in held.items()}
        except (BotoCoreError, ClientError) as exc:
            raise self._client.store_error(exc, "ListSecrets") from exc
        return stages

    def _fetch_many(self, names: tuple[str, ...]) -> FetchResult:
        deadline = self._client.new_deadline()
        # One pass decides each name's read: testing names against the batched ones
        # afterwards (`in` a tuple) was quadratic, 12.5M comparisons for 5,000 names.
        batched: list[str] = []
        single: list[tuple[str, ...]] = []
        for name in names:
            if self._batch and name not in self._pins:
                batched.append(name)
            else:
                single.append((name,))
        parts: list[_Part] = []
        if batched:
            parts += self._client.within(
                lambda ids: self._batch_chunk(ids, deadline),
                list(chunks(batched, BATCH_LIMIT)),
                deadline,
                "BatchGetSecretValue",
            )
        if single:
            parts += self._client.within(
                lambda ids: self._get_all(ids, deadline), single, deadline, "GetSecretValue"
            )
        secrets: dict[str, Secret] = {}
        errors: dict[str, SourceError] = {}
        for found, failed in parts:
            secrets.update(found)
            errors.update(failed)
        # Keep the caller's order, which makes logs and results deterministic.
        ordered = {n: secrets[n] for n in names if n in secrets}
        return FetchResult(ordered, {n: errors[n] for n in names if n in errors})

    def _batch_chunk(self, ids: tuple[str, ...], deadline: Deadline) -> _Part:
        found: dict[str, Secret] = {}
        asked = _AskedIds(ids)
        errors: dict[str, SourceError] = {}
        token: str | None = None
        answers = 0
        while True:
            deadline.check()
            response = self._batch_call(ids, token) if self._batch else None
            if response is None:  # the batch call is denied: one GetSecretValue each
                return self._get_all(ids, deadline)
            before = len(found) + len(errors)
            items = response.get("SecretValues", [])
            failures = response.get("Errors", [])
            answers += len(items) + len(failures)
            for item in items:
                # One secret asked for in several forms (name, ARN) answers each of them.
                for name in asked.forms(item):
                    try:
                        found[name] = self._to_secret(name, item)
                    except SourceError as exc:
                        errors[name] = exc
            for err in failures:
                name = str(err.get("SecretId", ""))
                if name in ids:  # what we asked, not whatever the server says
                    errors[name] = _per_secret_error(
                        self._client,
                        name,
                        str(err.get("ErrorCode", "")),
                        str(err.get("Message", "")),
                        "BatchGetSecretValue",
                    )
            token = response.get("NextToken")
            resolved = len(found) + len(errors)
            if not token or resolved == len(ids):
                break
            if resolved == before or answers > len(ids):
                # k ids cannot need more than k answers, nor a page that adds none.
                raise SourceError(
                    f"Secrets Manager at {self._client.where()}: BatchGetSecretValue kept "
                    f"paginating ({answers} answer(s) for {len(ids)} ids asked, the last page "
                    f"{'adding none' if resolved == before else 'past what was asked'}); "
                    "stopped. The endpoint does not behave like Secrets Manager: check "
                    "endpoint_url / AWS_ENDPOINT_URL",
                    code="PaginationNotEnding",
                )
        for name in ids:
            if name not in found and name not in errors:
                errors[name] = SourceError(
                    f"secret {name!r}: Secrets Manager returned neither a value nor an error",
                    secret=name,
                )
        return found, errors

    def _batch_call(self, ids: tuple[str, ...], token: str | None) -> Mapping[str, Any] | None:
        """One BatchGetSecretValue page; None when the caller may not use the batch call."""
        from botocore.exceptions import BotoCoreError, ClientError

        params: dict[str, Any] = {"SecretIdList": list(ids)}
        if token:
            params["NextToken"] = token
        try:
            response: Mapping[str, Any] = self._client.call("BatchGetSecretValue", params)
        except ClientError as exc:
            if error_code(exc) == "AccessDeniedException":
                if self._batch:
                    logger().warning(
                        "BatchGetSecretValue denied; falling back to GetSecretValue per secret"
                    )
                self._batch = False
                return None
            raise self._client.store_error(exc, "BatchGetSecretValue") from exc
        except BotoCoreError as exc:
            raise self._client.store_error(exc, "BatchGetSecretValue") from exc
        log_retries(response, "BatchGetSecretValue")
        return response

    def _get_all(self, ids: tuple[str, ...], deadline: Deadline) -> _Part:
        found: dict[str, Secret] = {}
        errors: dict[str, SourceError] = {}
        for name in ids:
            deadline.check()
            one, failed = self._get_one((name,))
            found.update(one)
            errors.update(failed)
        return found, errors

    def _get_one(self, ids: tuple[str, ...], *, options: ParseOptions | None = None) -> _Part:
        from botocore.exceptions import BotoCoreError, ClientError

        (name,) = ids
        kwargs: dict[str, str] = {"SecretId": name}
        stage, version_id = self._pins.get(name, (self._version_stage, self._version_id))
        if version_id:
            kwargs["VersionId"] = version_id
        if stage:
            kwargs["VersionStage"] = stage
        try:
            response = self._client.call("GetSecretValue", kwargs)
        except ClientError as exc:
            code = error_code(exc)
            message = str(exc.response.get("Error", {}).get("Message", ""))
            if code in _PER_SECRET or _is_deleted(code, message):
                error = _per_secret_error(self._client, name, code, message, "GetSecretValue")
                return {}, {name: error}
            raise self._client.store_error(exc, "GetSecretValue") from exc
        except BotoCoreError as exc:
            raise self._client.store_error(exc, "GetSecretValue") from exc
        log_retries(response, "GetSecretValue")
        try:
            return {name: self._to_secret(name, response, options)}, {}
        except SourceError as exc:
            return {}, {name: exc}

    def _to_secret(
        self, name: str, item: Mapping[str, Any], options: ParseOptions | None = None
    ) -> Secret:
        version = item.get("VersionId")
        # One place for the batch and the single get: the options of the name as asked.
        if options is None:
            options = options_for(name, self._parse, self._per_secret)
        # The answer is read as sent (see _awsclient.lean_parser_factory): its types are
        # checked here, so an endpoint that is not Secrets Manager is named, not a crash.
        if version is not None and not isinstance(version, str):
            version = None
        if "SecretString" in item:
            text = item["SecretString"]
            if not isinstance(text, str):
                raise self._malformed(name, "a SecretString that is not a string")
            return parse_secret_string(
                name, text, options=options, version_id=version, origin=ORIGIN
            )
        if "SecretBinary" in item:
            data = item["SecretBinary"]
            if not isinstance(data, bytes):
                raise self._malformed(name, "a SecretBinary that is not base64")
            return parse_secret_binary(
                name, data, options=options, version_id=version, origin=ORIGIN
            )
        raise SourceError(f"secret {name!r} has no SecretString or SecretBinary", secret=name)

    def _malformed(self, name: str, what: str) -> SourceError:
        return SourceError(
            f"secret {name!r}: Secrets Manager at {self._client.where()} answered {what}; "
            "the endpoint does not behave like Secrets Manager: check endpoint_url / "
            "AWS_ENDPOINT_URL",
            secret=name,
            code="MalformedAnswer",
        )


# How `SecretsManagerStore.read` reads a secret whole, whatever its shape.
_WHOLE_FIELD = "SECRET_STRING"
_WHOLE = ParseOptions(_WHOLE_FIELD, plain_always=True)


class SecretsManagerStore:
    """The write side, for seeding: idempotent create-or-update of secrets.

    A secret is written as a JSON object of fields, or, given a string, as
    that plain SecretString. `put` writes a new version only when the value
    differs from the current one, so reruns do not pile up versions (each one
    is billed and kept). A secret that changes shape (plain to JSON or back)
    is an update like any other.

    Args:
        source: the SecretsManagerSource whose client, region and endpoint to use;
            a new one from `environ` when None.
    """

    def __init__(self, source: SecretsManagerSource | None = None) -> None:
        self._source = source or SecretsManagerSource()

    def __repr__(self) -> str:
        return f"SecretsManagerStore({self._source!r})"

    def read(self, name: str) -> dict[str, str] | str | None:
        """The secret's current value, or None when it does not exist.

        Returns:
            its fields as plain strings when it is a JSON object; the
            SecretString itself when it is not (a plain secret).

        Raises:
            SourceError: the store could not be read.
            SecretFormatError: the secret is binary (SecretBinary), or a JSON
                object that cannot be fields (a null field, a key twice).
        """
        whole = self._read_text(name)
        if whole is None or not is_json_object(whole):
            return whole
        secret = parse_secret_string(name, whole, origin=ORIGIN)
        return {key: value.reveal() for key, value in secret.fields.items()}

    def _read_text(self, name: str) -> str | None:
        """The current SecretString, whatever it holds; None when the secret does not exist."""
        found, failed = self._source._get_one((name,), options=_WHOLE)
        error = failed.get(name)
        if isinstance(error, SecretNotFound):
            return None
        if isinstance(error, SecretFormatError) and error.code == NOT_JSON_OBJECT:
            raise SecretFormatError(
                f"secret {name!r} is binary (SecretBinary); seeding writes a SecretString, "
                "so seed another name or delete this secret first",
                secret=name,
            )
        if error is not None:
            raise error
        return found[name].fields[_WHOLE_FIELD].reveal()

    def put(
        self,
        name: str,
        fields: Mapping[str, str] | str,
        *,
        description: str | None = None,
    ) -> StoreResult:
        """Create the secret, or put a new version if its value changed.

        Args:
            name: the secret.
            fields: its fields (stored as a JSON object), or a string (stored
                as that plain SecretString).
            description: for a secret created.

        Raises:
            SourceError: the store refused the write; names the secret and the error code.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._source._client.get()
        import json

        wanted = fields if isinstance(fields, str) else dict(fields)
        text = wanted if isinstance(wanted, str) else json.dumps(wanted)
        try:
            # A string is compared as stored text: JSON-looking plain text is still plain.
            current = self._read_text(name) if isinstance(wanted, str) else self.read(name)
            if current is None:
                return self._create(client, name, text, description)
            if current == wanted:
                return "unchanged"
            client.put_secret_value(SecretId=name, SecretString=text)
            return "updated"
        except ClientError as exc:
            raise self._source._client.write_error(exc, name, "PutSecretValue") from exc
        except BotoCoreError as exc:
            raise self._source._client.store_error(exc, "PutSecretValue") from exc

    @staticmethod
    def _create(
        client: SecretsManagerClient, name: str, text: str, description: str | None
    ) -> StoreResult:
        from botocore.exceptions import ClientError

        try:
            client.create_secret(Name=name, SecretString=text, Description=description or "")
            return "created"
        except ClientError as exc:
            message = str(exc.response.get("Error", {}).get("Message", ""))
            code = error_code(exc)
            # AWS answers InvalidRequestException for a name held by a secret
            # scheduled for deletion; moto and LocalStack ResourceExistsException.
            if code != "ResourceExistsException" and not _is_deleted(code, message):
                raise
        # Bring the deleted secret back (a no-op for a live one), then write.
        client.restore_secret(SecretId=name)
        client.put_secret_value(SecretId=name, SecretString=text)
        return "restored"
