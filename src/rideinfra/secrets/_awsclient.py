"""What the AWS sources share: settings checks, one lazily built botocore client, error text.

Secrets Manager (`aws.py`) and Parameter Store (`ssm.py`) read the same
environment (region, endpoint, credentials), refuse the same malformed
settings before any request (a region the service does not exist in
included), build their client the same way and turn botocore's errors into
the same kind of `SourceError` (or `ConfigError`, for no credentials at all).
Each rule is here once; the services differ only in their botocore name,
their label in messages, their endpoint variable and their error hints.

botocore is imported only inside functions: importing this module costs nothing.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast
from urllib.parse import urlsplit

from rideinfra.__about__ import __version__
from rideinfra.errors import ConfigError, SourceError, foreign_text
from rideinfra.secrets._deadline import Deadline, DeadlinePassed, run_within
from rideinfra.secrets._log import logger

if TYPE_CHECKING:
    from botocore.loaders import Loader
    from botocore.session import Session

    from rideinfra.secrets._awslean import LeanCall

__all__ = [
    "DEFAULT_REGION",
    "NO_CREDENTIALS",
    "AwsClient",
    "RetryMode",
    "check_credentials",
    "check_endpoint",
    "check_known_region",
    "check_region",
    "chunks",
    "error_code",
    "log_retries",
    "region_setting",
    "resolve_endpoint",
    "resolve_region",
]

DEFAULT_REGION = "us-east-1"
RetryMode = Literal["standard", "adaptive", "legacy"]
_C = TypeVar("_C")
_T = TypeVar("_T")
_R = TypeVar("_R")


def resolve_region(region: str | None, environ: Mapping[str, str]) -> str:
    """The region to use: the argument, else AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1."""
    return (
        region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    )


def region_setting(region: str | None, environ: Mapping[str, str]) -> str:
    """Where `resolve_region` took the region from, for messages."""
    if region:
        return "the source's region"
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if environ.get(variable):
            return variable
    return "the default region"  # pragma: no cover - us-east-1 is valid


def resolve_endpoint(
    endpoint_url: str | None, environ: Mapping[str, str], service_variable: str
) -> tuple[str | None, str]:
    """The endpoint to use, and the setting it came from (for messages).

    The service-specific variable (`AWS_ENDPOINT_URL_SSM`...) wins over
    `AWS_ENDPOINT_URL`, as in the AWS SDKs.
    """
    if endpoint_url:
        return endpoint_url, "the source's endpoint_url"
    for variable in (service_variable, "AWS_ENDPOINT_URL"):
        if environ.get(variable):
            return environ[variable], variable
    return None, "AWS"


#: botocore's own rule for region names (botocore.utils.validate_region_name).
_REGION = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?$")


def check_region(region: str, setting: str) -> None:
    """Refuse a region botocore would refuse at the first request (and a log line would show).

    Raises:
        ConfigError: names the setting.
    """
    if not _REGION.match(region):
        raise ConfigError(
            f"{setting} is not a region name (like eu-west-1); set it to the region the "
            "secrets are in"
        )


def check_known_region(
    session: Session, region: str, setting: str, *, service: str, label: str
) -> None:
    """Refuse a region no partition has `service` in, from botocore's own data (offline).

    An unknown region otherwise becomes a request to a host that does not
    exist (real AWS), or a retried error page (LocalStack), not a message.

    Args:
        session: the botocore session the client is built from (its endpoint data).
        region: the region to check.
        setting: where the region came from (`region_setting`), for the message.
        service: the botocore service name (`secretsmanager`).
        label: the service's name in messages (`Secrets Manager`).

    Raises:
        ConfigError: names the setting, the region and the closest known one.
    """
    known = [
        name
        for partition in session.get_available_partitions()
        for name in session.get_available_regions(service, partition)
    ]
    if not known or region in known:  # no endpoint data at all: nothing to say
        return
    close = _closest(region, [k for k in known if "fips" not in k])
    suggestion = f"; did you mean {close}?" if close else "."
    import botocore

    raise ConfigError(
        f"{setting} is {foreign_text(region, 60)!r}, a region where {label} does not "
        f"exist{suggestion} Set it to the region the secrets are in (LocalStack and moto take "
        f"the same names; botocore {botocore.__version__} knows {len(known)} regions, a newer "
        "region needs a newer botocore)"
    )


def _closest(word: str, choices: Sequence[str]) -> str | None:
    """The choice fewest edits away (a swap of two neighbours is one), if at most 3."""

    def distance(a: str, b: str) -> int:
        # Optimal string alignment: Levenshtein plus adjacent transpositions (us-esat-1).
        rows = [list(range(len(b) + 1))] + [[i] + [0] * len(b) for i in range(1, len(a) + 1)]
        for i in range(1, len(a) + 1):
            for j in range(1, len(b) + 1):
                cost = a[i - 1] != b[j - 1]
                rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
                if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                    rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
        return rows[len(a)][len(b)]

    scored = sorted((distance(word.lower(), choice), choice) for choice in choices)
    return scored[0][1] if scored and scored[0][0] <= 3 else None


def check_endpoint(url: str, setting: str, fix: str | None = None) -> None:
    """Refuse an endpoint botocore would fail on later (as an internal error, or at signing).

    The messages never quote the URL: a user name or password in it
    (`http://user:pw@host`) is refused, not printed. AWS endpoints take
    none (requests are signed), so one there is a mistake.

    Args:
        url: the endpoint.
        setting: where it came from (`AWS_ENDPOINT_URL`, "the source's endpoint_url").
        fix: what to do instead; default: a LocalStack URL, or unset it to use AWS.

    Raises:
        ConfigError: no http(s) scheme, no host, an unclosed `[` of an IPv6
            host, a bad port, a user name or password, or spaces or control
            characters (which urllib drops silently, and which a log line
            would print); names the setting.
    """
    if fix is None:
        fix = f"set {setting} to a URL such as http://localhost:4566, or unset it to use AWS"
    if not url.isprintable() or " " in url:
        raise ConfigError(f"{setting} holds spaces or control characters; {fix}")
    try:
        parts = urlsplit(url)
    except ValueError:  # "Invalid IPv6 URL": a `[` without its `]`, or the reverse
        raise ConfigError(
            f"{setting} has a host in [ ] that is not closed (an IPv6 address is written "
            f"like http://[::1]:4566); {fix}"
        ) from None
    if parts.scheme not in ("http", "https"):
        raise ConfigError(f"{setting} does not start with http:// or https://; {fix}")
    if "@" in parts.netloc:
        raise ConfigError(
            f"{setting} holds a user name or password (user:password@ before the host), "
            "which is refused: the store authenticates by signature or token, and the URL is "
            f"printed in logs; remove it; {fix}"
        )
    if not parts.hostname:
        raise ConfigError(f"{setting} has no host name; {fix}")
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise ConfigError(
            f"{setting} has a port that is not a number from 0 to 65535; {fix}"
        ) from None


#: An access key needs its secret key; a session token needs both.
_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def check_credentials(environ: Mapping[str, str]) -> None:
    """Refuse a partial set of credential variables before botocore signs with None.

    Raises:
        ConfigError: names the variables set and the ones missing.
    """
    given = [name for name in _CREDENTIALS if environ.get(name)]
    missing = [name for name in _CREDENTIALS[:2] if name not in given]
    if not given or not missing:
        return
    raise ConfigError(
        f"{_listed(given)} set but {_listed(missing)} not: set {' and '.join(missing)} "
        "too (with AWS_SESSION_TOKEN for temporary credentials), or unset them all to use "
        "AWS_PROFILE or the instance or task role"
    )


def _listed(names: list[str]) -> str:
    """`A is` / `A and B are`."""
    return f"{' and '.join(names)} {'is' if len(names) == 1 else 'are'}"


#: One loader per (service, AWS_DATA_PATH), shared by every client this process builds.
_LOADERS: dict[tuple[str, str | None], Loader] = {}
_LOADERS_LOCK = threading.Lock()


def _service_loader(session: Session, service: str) -> Loader:
    """botocore's data loader for `service`, made once per process and data path.

    A loader caches what it has read, and a fresh one per client read
    botocore's endpoint data (about 1 MB of JSON, for the region check) and
    the service model again for every source built: 150-300 ms each, where a
    shared one takes 20 ms. The files are botocore's own and do not change
    while a process runs; a different AWS_DATA_PATH gets its own loader.
    Clients of one botocore session share a loader the same way.

    It also skips botocore's walk over every service's data directory: before
    loading a model, botocore's Loader lists all ~400 services (about 1,800
    stat/listdir calls) only to check that the one asked for exists. This
    loader checks just `service`'s directory; models still load from the
    same search paths (AWS_DATA_PATH, ~/.aws/models, botocore's own data).
    """
    from botocore.exceptions import DataNotFoundError
    from botocore.loaders import Loader

    class ServiceLoader(Loader):
        def list_available_services(self, type_name: str) -> list[str]:
            try:
                self.list_api_versions(service, type_name)
            except DataNotFoundError:
                return []
            return [service]

    data_path = session.get_config_variable("data_path")
    key = (service, data_path)
    with _LOADERS_LOCK:
        if key not in _LOADERS:
            paths = data_path.split(os.pathsep) if data_path else []
            _LOADERS[key] = ServiceLoader(extra_search_paths=paths)
        return _LOADERS[key]


#: Answers read as sent, their blobs decoded: output shape -> the blob-holding lists' keys.
#: These are the value reads, one per 20 (10 in Parameter Store) secrets fetched.
VALUE_READ_OUTPUTS: dict[str, tuple[str, ...]] = {
    "BatchGetSecretValueResponse": ("SecretValues",),
    "GetSecretValueResponse": (),
    "GetParametersResult": (),
}


def lean_parser_factory() -> Any:
    """botocore's response parsers, except for the value reads in `VALUE_READ_OUTPUTS`.

    For every answer botocore walks the operation's output model over the
    parsed JSON, to turn timestamps into datetimes, base64 blobs into bytes
    and to drop keys the model does not know: for a BatchGetSecretValue
    answer of 20 secrets, about a seventh of the request's client CPU. For
    the value reads that walk is done here in a few lines: the JSON as sent,
    `SecretBinary` decoded (the one blob in them), the rest read by name.
    Error answers, and every other operation, still go through botocore's
    own parser. `_handle_json_body` is botocore's (private) step for a
    successful JSON body; if a botocore release drops it, this override is
    simply not called (tests/secrets/test_aws_lean_parse.py notices).
    """
    from botocore.parsers import JSONParser, ResponseParserFactory

    class LeanJSONParser(JSONParser):
        def _handle_json_body(self, raw_body: bytes, shape: Any) -> Any:
            blob_lists = VALUE_READ_OUTPUTS.get(getattr(shape, "name", ""))
            if blob_lists is None:
                return super()._handle_json_body(raw_body, shape)  # type: ignore[misc]
            return decode_value_read(raw_body, blob_lists)

    class LeanFactory(ResponseParserFactory):
        def create_parser(self, protocol_name: str) -> Any:
            if protocol_name == "json":
                return LeanJSONParser(timestamp_parser=_timestamp_as_sent)
            return super().create_parser(protocol_name)

    factory = LeanFactory()
    factory.set_parser_defaults(timestamp_parser=_timestamp_as_sent)  # the other protocols
    return factory


def decode_value_read(raw_body: bytes, blob_lists: tuple[str, ...]) -> Any:
    """A value read's JSON body, each `SecretBinary` base64-decoded as botocore would."""
    import json

    try:
        data = json.loads(raw_body) if raw_body else {}
    except ValueError:
        return {}  # not JSON: as botocore, no fields (the source then reports what is missing)
    if not isinstance(data, dict):
        return {}
    items: list[Any] = [data]
    for key in blob_lists:
        listed = data.get(key)
        items += listed if isinstance(listed, list) else []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("SecretBinary"), str):
            item["SecretBinary"] = _base64(item["SecretBinary"])
    return data


def _base64(text: str) -> bytes | str:
    """The bytes of a base64 blob; the text itself when it is not base64 (the source refuses it)."""
    import base64
    import binascii

    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text


def _timestamp_as_sent(value: object) -> object:
    """botocore's timestamp parser, replaced: the value as the service sent it.

    No answer's timestamp (CreatedDate, LastModifiedDate...) is read here,
    and botocore turns each into a datetime in the local time zone
    (dateutil's tzlocal): 20 of them were about a fifth of a
    BatchGetSecretValue's client CPU.
    """
    return value


#: What to do when botocore finds no credentials anywhere in its chain.
NO_CREDENTIALS = (
    "no AWS credentials were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any "
    "values work for LocalStack or moto), or AWS_PROFILE to a profile of ~/.aws/config, or "
    "run where an instance, task or IRSA role provides them"
)


class AwsClient(Generic[_C]):
    """One botocore client of `service`, built on first use (thread-safely), or an injected one.

    Also what a source says about its service: where it is, and what its
    failures mean (`store_error`, `write_error`, `within`).

    The settings are checked when this is made, before any request: a
    malformed region and, unless `client` is given (an injected client is
    the caller's), an endpoint without http(s) scheme or host or only part of
    the credential variables. A region `service` does not exist in, and
    AWS_PROFILE naming no profile, are refused when the client is built.

    Args:
        client: a ready botocore client; built lazily when None.
        service: the botocore service name (`secretsmanager`, `ssm`).
        label: the service's name in messages (`Secrets Manager`).
        endpoint_variable: its own endpoint variable (`AWS_ENDPOINT_URL_SSM`),
            which wins over `AWS_ENDPOINT_URL`.
        hints: AWS error code -> what to tell the user, formatted with the
            operation as `{op}` (ours, never a server's text).
        region: the source's region; else AWS_REGION, else AWS_DEFAULT_REGION,
            else us-east-1.
        endpoint_url: the source's endpoint; else the variables above, else AWS.
        environ: where the variables are read; `os.environ` when None.
        retry_mode: botocore retry mode.
        max_attempts: total attempts per request, first one included.
        connect_timeout: seconds to connect before a retry.
        read_timeout: seconds to wait for a response before a retry.
        max_concurrency: requests in flight at once (`within`'s threads), and
            the connection pool size.
        deadline: seconds one fetch may take in all (`new_deadline`).

    Raises:
        ValueError: `max_concurrency` is below 1 or `deadline` is not positive.
        ConfigError: names the setting that is malformed.
    """

    def __init__(
        self,
        client: _C | None,
        *,
        service: str,
        label: str,
        endpoint_variable: str,
        hints: Mapping[str, str],
        region: str | None,
        endpoint_url: str | None,
        environ: Mapping[str, str] | None,
        retry_mode: RetryMode,
        max_attempts: int,
        connect_timeout: float,
        read_timeout: float,
        max_concurrency: int,
        deadline: float,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if not deadline > 0:
            raise ValueError("deadline must be a positive number of seconds")
        environ = os.environ if environ is None else environ
        endpoint, endpoint_setting = resolve_endpoint(endpoint_url, environ, endpoint_variable)
        self.region = resolve_region(region, environ)
        self._region_setting = region_setting(region, environ)
        check_region(self.region, self._region_setting)
        if client is None:
            if endpoint is not None:
                check_endpoint(endpoint, endpoint_setting)
            check_credentials(environ)
        # Before any request: botocore at DEBUG would log bodies, i.e. values.
        from rideinfra.secrets._awslog import redact_botocore_bodies

        redact_botocore_bodies()
        self._client = client
        self._service = service
        self.label = label
        self._hints = hints
        self._environ = environ
        self._lock = threading.Lock()
        self.endpoint_url = endpoint
        # Which setting gave the endpoint, for ConfigErrors.
        self._endpoint_setting = endpoint_setting
        self._max_concurrency = max_concurrency
        self._deadline = deadline
        self._settings = (retry_mode, max_attempts, connect_timeout, read_timeout, max_concurrency)
        # Set when this builds the client (never for an injected one): lean calls need it.
        self._session: Session | None = None
        self._fallback_client: _C | None = None
        self._lean: dict[str, LeanCall | None] = {}

    def get(self) -> _C:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._build()
        return self._client

    def _build(self) -> _C:
        """The client; what botocore refuses in the settings is a ConfigError, before any request.

        Raises:
            ConfigError: the region is one the service does not exist in,
                AWS_PROFILE names no profile, credentials are partial, the
                endpoint is malformed, or the AWS config file cannot be parsed.
        """
        from botocore import exceptions as boto

        try:
            return self._create()
        except boto.ProfileNotFound:
            profile = foreign_text(
                self._environ.get("AWS_PROFILE") or os.environ.get("AWS_PROFILE")
            )
            raise ConfigError(
                f"AWS_PROFILE is {profile!r}, a profile in neither the AWS config nor the "
                "credentials file (~/.aws/config, ~/.aws/credentials, or the files "
                "AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE name); set AWS_PROFILE to "
                "one of their profiles, or unset it"
            ) from None
        except boto.PartialCredentialsError as exc:
            raise ConfigError(
                f"the AWS credentials are incomplete: {foreign_text(exc)}; set the missing "
                "variable or setting, or unset the others"
            ) from None
        except boto.ConfigParseError as exc:
            raise ConfigError(
                f"the AWS config file cannot be parsed: {foreign_text(exc)}; fix it, or "
                "point AWS_CONFIG_FILE elsewhere"
            ) from None
        except ValueError as exc:
            # botocore's own endpoint check (host names it cannot use) says "Invalid endpoint".
            if "endpoint" not in str(exc).lower():
                raise
            raise ConfigError(
                f"{self._endpoint_setting} is not a URL botocore can use (host name "
                "with letters, digits, dots and dashes only); set it to a URL such as "
                "http://localhost:4566, or unset it to use AWS"
            ) from None

    def _create(self) -> _C:
        # botocore directly, not boto3: importing boto3 also loads s3transfer and
        # the resource layer (about 30 ms of an init container's start-up) for
        # nothing these clients use; boto3's client() returns this same botocore client.
        from botocore.session import Session

        # A session of our own: boto3's default session is a process global
        # and not safe to create clients from concurrently. Credentials given
        # in environ are used; absent ones fall back to botocore's usual chain
        # (which reads os.environ, ~/.aws, and instance/task roles).
        env = self._environ
        session = Session()
        session.register_component("data_loader", _service_loader(session, self._service))
        # Client CPU per request is what serialises a fetch's parallel requests
        # (they share one GIL): the value reads skip botocore's model walk, and no
        # timestamp becomes a datetime (see lean_parser_factory).
        session.register_component("response_parser_factory", lean_parser_factory())
        # Before the client: its endpoint data is the session's, loaded once for both.
        check_known_region(
            session, self.region, self._region_setting, service=self._service, label=self.label
        )
        profile = env.get("AWS_PROFILE")
        if profile:
            session.set_config_variable("profile", profile)
        key, secret, token = (
            env.get("AWS_ACCESS_KEY_ID"),
            env.get("AWS_SECRET_ACCESS_KEY"),
            env.get("AWS_SESSION_TOKEN"),
        )
        if key or secret or token:
            # Both parts are there: __init__ checked (check_credentials).
            session.set_credentials(cast(str, key), cast(str, secret), token)
        self._session = session
        return self._client_of(session, self._settings[1])

    def _client_of(
        self, session: Session, max_attempts: int, retry_mode: RetryMode | None = None
    ) -> _C:
        from botocore.config import Config

        mode, _, connect_timeout, read_timeout, max_pool = self._settings
        config = Config(
            retries={"mode": retry_mode or mode, "total_max_attempts": max_attempts},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_pool_connections=max_pool,
            user_agent_extra=f"rideinfra/{__version__}",
        )
        client = session.create_client(
            self._service, region_name=self.region, endpoint_url=self.endpoint_url, config=config
        )
        return cast(_C, client)

    def lean(self, operation: str) -> LeanCall | None:
        """`operation` sent without botocore's per-call pipeline (`_awslean`), where that is equal.

        None for an injected client (it may carry the caller's hooks), for
        one attempt per request (the lean attempt could not hand over), and
        where `LeanCall.for_client` finds the client's settings need botocore's
        full path. Builds the client if it is not built yet.

        Raises:
            ConfigError: as `get`.
        """
        client = self.get()
        if operation in self._lean:
            return self._lean[operation]
        with self._lock:
            if operation not in self._lean:
                call = None
                if self._session is not None and self._settings[1] >= 2:
                    from rideinfra.secrets._awslean import LeanCall

                    call = LeanCall.for_client(
                        client, operation, fallback=self._fallback, max_attempts=self._settings[1]
                    )
                self._lean[operation] = call
            return self._lean[operation]

    def call(self, operation: str, params: Mapping[str, Any]) -> Any:
        """`operation` with `params`: lean where `lean` allows, else the client call.

        Raises:
            botocore.exceptions.ClientError, BotoCoreError: as the client call.
            ConfigError: as `get`.
        """
        lean = self.lean(operation)
        if lean is not None:
            return lean(params)
        from botocore import xform_name

        return getattr(self.get(), xform_name(operation))(**params)

    def _fallback(self) -> _C:
        """The client a failed lean attempt hands its call to: one attempt fewer, same session.

        In `standard` mode it is built in botocore's `adaptive` mode: standard's
        rules (backoff, attempts, retry quota) plus a client-side rate limiter
        that starts only once the store throttles. A fetch's requests all retry
        through this one client, so after the first throttle they share its
        pace. Without it, a fetch of 1,000 whose 50 requests arrived at ten
        times the store's allowed rate spent standard's retry quota and failed
        in 1.1 s; with it, it succeeded at the allowed rate
        (tests/faults/test_fetch_faults.py::TestOverTheQuota). Secrets
        Manager allows 100 BatchGetSecretValue requests a second per region,
        which one process with 50 in flight can pass.
        """
        with self._lock:
            if self._fallback_client is None:
                # Only lean calls ask, and they exist only for a client built here.
                session = cast("Session", self._session)
                mode: RetryMode | None = "adaptive" if self._settings[0] == "standard" else None
                self._fallback_client = self._client_of(session, self._settings[1] - 1, mode)
            return self._fallback_client

    def where(self) -> str:
        # Both come from settings, not from us: one line, no control characters.
        return f"{foreign_text(self.endpoint_url or 'AWS')} (region {foreign_text(self.region)})"

    def new_deadline(self) -> Deadline:
        """The deadline of one fetch (or listing), starting now."""
        return Deadline(self._deadline)

    def hint(self, code: str, op: str) -> str | None:
        """What to tell the user about AWS error `code` from `op`; None when we know nothing."""
        text = self._hints.get(code)
        return text.format(op=op) if text is not None else None

    def store_error(self, exc: Exception, op: str) -> SourceError | ConfigError:
        """A failure of the whole call (network, credentials, throttling), not of one secret.

        No credentials at all is the environment's mistake, found before any
        request is sent: a ConfigError saying what to set.

        Args:
            exc: the botocore error.
            op: the API operation, for the message and the `{op}` of a hint.
        """
        from botocore.exceptions import NoCredentialsError

        if isinstance(exc, NoCredentialsError):
            return ConfigError(f"{self.label} at {self.where()}: {op}: {NO_CREDENTIALS}")
        code = error_code(exc)
        # Else botocore's message: for connection problems it names the URL and the
        # cause; for an error answer it quotes the server (an HTML page from a
        # proxy, a message with braces): foreign text, made one bounded line.
        text = self.hint(code, op) or foreign_text(exc)
        return SourceError(
            f"{self.label} at {self.where()}: {op} failed: {code}: {text}", code=code
        )

    def write_error(self, exc: Exception, name: str, op: str) -> SourceError:
        """The store's refusal (an error answer) of `op` writing secret `name`."""
        code = error_code(exc)
        return SourceError(
            f"secret {name!r}: writing to {self.label} at {self.where()} failed: {code}: "
            f"{self.hint(code, op) or 'see the AWS error code'}",
            secret=name,
            code=code,
        )

    def within(
        self, work: Callable[[_T], _R], items: Sequence[_T], deadline: Deadline, op: str
    ) -> list[_R]:
        """`work` over `items` on `max_concurrency` threads; a SourceError once `deadline` passes.

        Raises:
            SourceError: code `DeadlineExceeded`; names `op` and the deadline.
        """
        try:
            return run_within(
                work,
                items,
                deadline=deadline,
                workers=self._max_concurrency,
            )
        except DeadlinePassed:
            raise SourceError(
                f"{self.label} at {self.where()}: {op} did not finish within the fetch "
                f"deadline of {deadline.seconds:g} s (the store answers too slowly, or keeps "
                "paginating); retry later, or give the source a longer deadline",
                code="DeadlineExceeded",
            ) from None


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore error (foreign text, bounded), else the class name."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", ""))
        return foreign_text(code, 60) if code else type(exc).__name__
    return type(exc).__name__


def log_retries(response: Mapping[str, Any], op: str) -> None:
    """One info line when botocore needed retries for `response`."""
    meta = response.get("ResponseMetadata", {})
    retries = int(meta.get("RetryAttempts", 0)) if isinstance(meta, Mapping) else 0
    if retries:
        plural = "y" if retries == 1 else "ies"
        logger().info("%s succeeded after %d retr%s", op, retries, plural)


def chunks(names: Sequence[str], size: int) -> Iterator[tuple[str, ...]]:
    """`names` in consecutive tuples of at most `size`."""
    for start in range(0, len(names), size):
        yield tuple(names[start : start + size])
