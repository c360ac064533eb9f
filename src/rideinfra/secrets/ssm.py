"""AWS Systems Manager Parameter Store: a batch-first source and an idempotent store for seeding.

How secret names map to parameters (`prefix` is the source's, default empty):

* `rideshare/redis` is the parameter `<prefix>rideshare/redis`, read with
  `GetParameters` (10 names a request, the requests in parallel). A value that
  is a JSON object gives one field per key, as a Secrets Manager SecretString
  does; any other value needs `plain_field` (`plain:` in the config).
  SecureString parameters are decrypted (`WithDecryption`).
* `rideshare/redis/` (ending in `/`) is every parameter directly under the
  path `<prefix>rideshare/redis/`, read with `GetParametersByPath` (chamber's
  layout): one secret whose fields are the parameters' last path segments
  (`/rideshare/redis/REDIS_PASSWORD` is the field `REDIS_PASSWORD`), each
  value taken as it is. With `recursive`, parameters deeper down count too,
  still by their last segment; two with the same last segment are refused.

AWS requires a parameter name holding `/` to start with `/`, so configs that
name secrets `team/app` (as Secrets Manager does) use `prefix: /`.

botocore is imported only when a client is first needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rideinfra.errors import (
    SecretFormatError,
    SecretNotFound,
    SourceError,
    foreign_text,
)
from rideinfra.secrets._awsclient import AwsClient, RetryMode, chunks, log_retries
from rideinfra.secrets._deadline import Deadline
from rideinfra.secrets._seedstore import StoreResult, current_fields, refuse_plain
from rideinfra.secrets.base import BaseSource, FetchResult, _check_parse_options, _check_type
from rideinfra.secrets.model import (
    DEFAULT_PARSE,
    ParseOptions,
    Secret,
    SecretValue,
    parse_secret_string,
)

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

__all__ = [
    "BATCH_LIMIT",
    "DEFAULT_MAX_CONCURRENCY",
    "MAX_PATH_PAGES",
    "ParameterStoreSource",
    "ParameterStoreStore",
]

#: GetParameters accepts at most 10 names per call.
BATCH_LIMIT = 10
#: Requests in flight at once. Parameter Store's standard throughput is 40
#: GetParameters requests/s per account and region (shared by every caller),
#: so a fetch keeps well under it per round trip; throttled requests are
#: retried by botocore with backoff.
DEFAULT_MAX_CONCURRENCY = 10
#: Pages one path read may take (10 parameters a page at most): a store that
#: keeps answering NextToken is stopped here, or by the deadline.
MAX_PATH_PAGES = 100
DEFAULT_DEADLINE = 120.0
ORIGIN = "aws-ssm"
SERVICE = "ssm"
_LABEL = "Parameter Store"

_HINTS = {
    "AccessDeniedException": "the caller's IAM policy does not allow ssm:{op} on every "
    "parameter asked for (or kms:Decrypt on a SecureString's key)",
    "UnrecognizedClientException": "the AWS access key is not valid; check the credentials",
    "InvalidClientTokenId": "the AWS access key is not valid; check the credentials",
    "ExpiredTokenException": "the AWS credentials have expired; refresh them",
    "InvalidSignatureException": "the secret access key is wrong, or the clock is skewed",
    "ThrottlingException": "Parameter Store kept throttling past the retry budget; retry "
    "later, raise max_attempts, or raise the account's throughput setting",
    "InternalServerError": "Parameter Store failed past the retry budget; retry later",
    "InvalidKeyId": "the KMS key of a SecureString cannot be used; check the key and "
    "kms:Decrypt permission",
    "ValidationException": "a parameter name is not valid (names holding / start with /: "
    "set the source's prefix to /)",
}

# What one work item yields: secrets read, and per-secret errors.
_Part = tuple[dict[str, Secret], dict[str, SourceError]]


class ParameterStoreSource(BaseSource):
    """Secrets from AWS Systems Manager Parameter Store (or LocalStack / moto).

    See the module docstring for how names map to parameters. Plain names are
    read 10 to a `GetParameters` request, path names (ending in `/`) one
    paginated `GetParametersByPath` each; all requests run in parallel (at
    most `max_concurrency`) and the whole fetch ends within `deadline`
    seconds or raises a SourceError (code `DeadlineExceeded`). A name AWS
    lists in `InvalidParameters`, or a path with no parameters, is a
    `SecretNotFound` naming the secret.

    The settings are checked as for `SecretsManagerSource`: the endpoint,
    the region and the credential variables when the source is built; a
    region Parameter Store does not exist in, and AWS_PROFILE naming no
    profile, when the client is built, still before any request. No
    credentials anywhere is a ConfigError at the first request.

    Args:
        region: else AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1.
        endpoint_url: else AWS_ENDPOINT_URL_SSM, else AWS_ENDPOINT_URL, else real AWS.
        prefix: put before every secret name to make the parameter name (e.g. `/`).
        recursive: path names also read parameters below their direct children.
        client: a ready botocore `ssm` client; built lazily when absent.
        environ: where the variables above are read; `os.environ` when None.
        retry_mode: botocore retry mode.
        max_attempts: total attempts per request, first one included.
        connect_timeout: seconds to connect before a retry.
        read_timeout: seconds to wait for a response before a retry.
        max_concurrency: requests in flight at once; also the connection pool size.
        parse: how a value that is not a JSON object becomes a field.
        plain_fields: secret name -> the one field its non-JSON value becomes
            (the config's per-secret `plain:`); wins over `parse`.
        deadline: seconds one fetch may take in all.

    Raises:
        ConfigError: the endpoint, the region or the credential variables are
            malformed (and, at the first fetch, the profile; see above).
        ValueError: `max_concurrency` is below 1 or `deadline` is not positive.
        TypeError: `prefix`, `parse` or `plain_fields` is of the wrong type.
    """

    def __init__(
        self,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        prefix: str = "",
        recursive: bool = False,
        client: SSMClient | None = None,
        environ: Mapping[str, str] | None = None,
        retry_mode: RetryMode = "standard",
        max_attempts: int = 5,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        parse: ParseOptions = DEFAULT_PARSE,
        plain_fields: Mapping[str, str] | None = None,
        deadline: float | None = None,
    ) -> None:
        _check_type(prefix, str, "prefix", "a str (e.g. '/')")
        _check_parse_options(parse, argument="parse")
        if plain_fields is not None:
            _check_type(plain_fields, Mapping, "plain_fields", "a mapping of secret -> field")
            for secret, field in plain_fields.items():
                _check_type(secret, str, "plain_fields' keys", "secret names (str)")
                _check_type(field, str, f"plain_fields[{secret!r}]", "a field name (str)")
        self._client: AwsClient[SSMClient] = AwsClient(
            client,
            service=SERVICE,
            label=_LABEL,
            endpoint_variable="AWS_ENDPOINT_URL_SSM",
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
        self._prefix = prefix
        self._recursive = recursive
        self._parse = parse
        self._plain = dict(plain_fields or {})

    @property
    def region(self) -> str:
        """The region requests go to."""
        return self._client.region

    @property
    def endpoint_url(self) -> str | None:
        """The endpoint requests go to; None for real AWS."""
        return self._client.endpoint_url

    def parameter_name(self, name: str) -> str:
        """The parameter (or path, for a name ending in `/`) secret `name` is read from."""
        return self._prefix + name

    def __repr__(self) -> str:
        return (
            f"ParameterStoreSource(region={self.region!r}, endpoint_url={self.endpoint_url!r}, "
            f"prefix={self._prefix!r})"
        )

    def _fetch_many(self, names: tuple[str, ...]) -> FetchResult:
        deadline = self._client.new_deadline()
        plain = [n for n in names if not n.endswith("/") and ":" not in n]
        work: list[tuple[str, ...]] = list(chunks(plain, BATCH_LIMIT))
        work += [("/", n) for n in names if n.endswith("/")]  # a path read: ("/", name)
        # A selector (`name:3`, `name:label`; `:` is in no parameter name) is asked
        # alone: GetParameters answers it under the bare name, so two selectors of one
        # parameter (or one beside the bare name) in one request cannot be told apart.
        work += [(":", n) for n in names if ":" in n and not n.endswith("/")]
        parts = self._client.within(
            lambda item: self._read(item, deadline),
            work,
            deadline,
            "GetParameters / GetParametersByPath",
        )
        secrets: dict[str, Secret] = {}
        errors: dict[str, SourceError] = {}
        for found, failed in parts:
            secrets.update(found)
            errors.update(failed)
        ordered = {n: secrets[n] for n in names if n in secrets}
        return FetchResult(ordered, {n: errors[n] for n in names if n in errors})

    def _read(self, item: tuple[str, ...], deadline: Deadline) -> _Part:
        deadline.check()
        if item[0] == "/":
            return self._by_path(item[1], deadline)
        if item[0] == ":":
            return self._selected(item[1])
        return self._batch(item)

    def _selected(self, name: str) -> _Part:
        """A name with a version or label selector: a GetParameters of that name alone.

        The answer names the parameter without its selector (AWS adds `Selector`,
        moto does not), so it is matched to the one name asked.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        parameter = self.parameter_name(name)
        try:
            response = self._client.call(
                "GetParameters", {"Names": [parameter], "WithDecryption": True}
            )
        except (BotoCoreError, ClientError) as exc:
            raise self._client.store_error(exc, "GetParameters") from exc
        log_retries(response, "GetParameters")
        if response.get("InvalidParameters"):
            return {}, {name: self._not_found(name)}
        bare = parameter.rpartition(":")[0]
        items = [
            item
            for item in response.get("Parameters", [])
            if str(item.get("Name", "")).lstrip("/") == bare.lstrip("/")
        ]
        if len(items) != 1:
            return {}, {
                name: SourceError(
                    f"secret {name!r}: {_LABEL} answered GetParameters of {parameter!r} with "
                    f"{len(items)} matching parameters, not one; check endpoint_url",
                    secret=name,
                )
            }
        try:
            return {name: self._to_secret(name, items[0])}, {}
        except SourceError as exc:
            return {}, {name: exc}

    def _batch(self, names: tuple[str, ...]) -> _Part:
        from botocore.exceptions import BotoCoreError, ClientError

        asked = {self.parameter_name(n): n for n in names}
        try:
            response = self._client.call(
                "GetParameters", {"Names": list(asked), "WithDecryption": True}
            )
        except (BotoCoreError, ClientError) as exc:
            raise self._client.store_error(exc, "GetParameters") from exc
        log_retries(response, "GetParameters")
        found: dict[str, Secret] = {}
        errors: dict[str, SourceError] = {}
        answers = _answer_names(asked)
        for item in response.get("Parameters", []):
            name = answers.get(str(item.get("Name", "")))
            if name is None:  # what we asked, not whatever the server says
                continue
            try:
                found[name] = self._to_secret(name, item)
            except SourceError as exc:
                errors[name] = exc
        for parameter in response.get("InvalidParameters", []):
            name = answers.get(str(parameter))
            if name is not None:
                errors[name] = self._not_found(name)
        for name in names:
            if name not in found and name not in errors:
                errors[name] = SourceError(
                    f"secret {name!r}: {_LABEL} returned neither a value nor an error",
                    secret=name,
                )
        return found, errors

    def _by_path(self, name: str, deadline: Deadline) -> _Part:
        from botocore.exceptions import BotoCoreError, ClientError

        path = self.parameter_name(name)
        fields: dict[str, SecretValue] = {}
        sources: dict[str, str] = {}
        token: str | None = None
        for _ in range(MAX_PATH_PAGES):
            deadline.check()  # an abandoned thread stops paging here
            kwargs: dict[str, Any] = {
                "Path": path,
                "Recursive": self._recursive,
                "WithDecryption": True,
            }
            if token:
                kwargs["NextToken"] = token
            try:
                page = self._client.get().get_parameters_by_path(**kwargs)
            except (BotoCoreError, ClientError) as exc:
                raise self._client.store_error(exc, "GetParametersByPath") from exc
            log_retries(page, "GetParametersByPath")
            for item in page.get("Parameters", []):
                full = str(item.get("Name", ""))
                field = full.rsplit("/", 1)[-1]
                if not full.startswith(path) or not field:
                    continue  # not under the path asked: not ours to use
                if field in sources and sources[field] != full:
                    return {}, {name: self._clash(name, field, sources[field], full)}
                sources[field] = full
                fields[field] = SecretValue(str(item.get("Value", "")))
            token = page.get("NextToken")
            if not token:
                break
        else:
            return {}, {
                name: SourceError(
                    f"secret {name!r}: GetParametersByPath kept paginating past "
                    f"{MAX_PATH_PAGES} pages; stopped. Check endpoint_url / AWS_ENDPOINT_URL, "
                    "or split the path",
                    secret=name,
                    code="PaginationNotEnding",
                )
            }
        if not fields:
            return {}, {name: self._not_found(name)}
        return {name: Secret(name, dict(sorted(fields.items())), origin=ORIGIN)}, {}

    @staticmethod
    def _clash(name: str, field: str, one: str, other: str) -> SourceError:
        return SecretFormatError(
            f"secret {name!r}: parameters {foreign_text(one)!r} and {foreign_text(other)!r} "
            f"both end in {foreign_text(field)!r}, so both would be field {field!r}; "
            "rename one, or read the sub-path as a secret of its own (recursive: false)",
            secret=name,
        )

    def _to_secret(self, name: str, item: Mapping[str, Any]) -> Secret:
        plain = self._plain.get(name)
        options = self._parse if plain is None else ParseOptions(plain_field=plain)
        version = item.get("Version")
        return parse_secret_string(
            name,
            str(item.get("Value", "")),
            options=options,
            version_id=None if version is None else str(version),
            origin=ORIGIN,
        )

    def _not_found(self, name: str) -> SecretNotFound:
        what = "no parameter under the path" if name.endswith("/") else "parameter"
        return SecretNotFound(
            f"secret {name!r} not found in {_LABEL} at {self._client.where()} ({what} "
            f"{self.parameter_name(name)!r}); check the name, the prefix, the region and "
            "the endpoint",
            secret=name,
            code="ParameterNotFound",
        )


def _answer_names(asked: Mapping[str, str]) -> dict[str, str]:
    """Parameter name as an answer may spell it -> the secret name asked for.

    LocalStack takes `/a/b` and `a/b` for one parameter and lists an invalid
    `/a/b` as `a/b`; AWS and moto answer with the name as asked. Both
    spellings are accepted, unless two names asked share one.
    """
    answers = dict(asked)
    bare = [parameter.lstrip("/") for parameter in asked]
    for parameter, name in asked.items():
        key = parameter.lstrip("/")
        if bare.count(key) == 1:
            answers.setdefault(key, name)
    return answers


class ParameterStoreStore:
    """The write side, for seeding: idempotent create-or-update of parameters.

    A plain name is one SecureString parameter holding the fields as a JSON
    object; a name ending in `/` is one SecureString parameter per field
    under that path. A parameter is written only when its value differs, so
    reruns add no versions (Parameter Store keeps 100).

    Args:
        source: the ParameterStoreSource whose client, prefix and endpoint to use.
    """

    def __init__(self, source: ParameterStoreSource | None = None) -> None:
        self._source = source or ParameterStoreSource()

    def __repr__(self) -> str:
        return f"ParameterStoreStore({self._source!r})"

    def read(self, name: str) -> dict[str, str] | None:
        """The secret's current fields as plain strings, or None when it does not exist.

        Raises:
            SourceError: the store could not be read, or the value is not a JSON object.
        """
        return current_fields(self._source, name)

    def put(
        self, name: str, fields: Mapping[str, str] | str, *, description: str | None = None
    ) -> StoreResult:
        """Create the parameter(s), or overwrite those whose value changed.

        Raises:
            SourceError: the store refused the write; names the secret and the error code.
        """
        if isinstance(fields, str):
            raise refuse_plain(name, "Parameter Store")
        from botocore.exceptions import BotoCoreError, ClientError

        current = self.read(name)
        if current == dict(fields):
            return "unchanged"
        if name.endswith("/"):
            writes = {
                self._source.parameter_name(name) + field: value
                for field, value in fields.items()
                if (current or {}).get(field) != value
            }
        else:
            import json  # here, not at the top: `import rideinfra.secrets` stays without it

            writes = {self._source.parameter_name(name): json.dumps(dict(fields))}
        aws = self._source._client
        client = aws.get()
        for parameter, value in writes.items():
            try:
                client.put_parameter(
                    Name=parameter,
                    Value=value,
                    Type="SecureString",
                    Overwrite=True,
                    Description=description or "",
                    # Standard parameters hold 4 KB; larger ones need the advanced tier.
                    Tier="Advanced" if len(value.encode()) > 4096 else "Standard",
                )
            except ClientError as exc:
                raise aws.write_error(exc, name, "PutParameter") from exc
            except BotoCoreError as exc:
                raise aws.store_error(exc, "PutParameter") from exc
        return "created" if current is None else "updated"
