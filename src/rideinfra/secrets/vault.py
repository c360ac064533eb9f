"""HashiCorp Vault and OpenBao, KV version 2: a parallel source and an idempotent store.

A secret name is a path under the KV v2 mount (`secret` by default, the mount
of both dev servers): `rideshare/redis` is read from
`<address>/v1/<mount>/data/rideshare/redis`, and its data fields are the
secret's fields (numbers and booleans as their JSON text, nested values as
for a Secrets Manager JSON object). One request per secret, the requests in
parallel (at most `max_concurrency`); `versions` pins a secret to a version.

Failures are named by their `code`, and never hold the token:

| what | error | code |
| --- | --- | --- |
| 404: no such path (or the version is deleted) | SecretNotFound | `NotFound` |
| 403: the token's policy denies the path, or the token is bad | SourceError | `PermissionDenied` |
| 503: the server is sealed (or a standby) | SourceError | `VaultSealed` |
| no connection, or no answer in time | SourceError | `VaultUnreachable` |
| 429 past the retries | SourceError | `RateLimited` |
| other 5xx past the retries | SourceError | `VaultServerError` |
| a name with an empty, `.` or `..` part, a `\\` or a NUL | SourceError | `InvalidSecretName` |

hvac (the `rideinfra[vault]` extra) is imported only when a client is built.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any, Literal

from rideinfra.errors import ConfigError, SecretNotFound, SourceError, foreign_text
from rideinfra.secrets._deadline import Deadline, DeadlinePassed, run_within
from rideinfra.secrets._log import logger
from rideinfra.secrets._seedstore import StoreResult, current_fields, refuse_plain
from rideinfra.secrets.base import (
    BaseSource,
    FetchResult,
    _check_number,
    _check_type,
    _leaves_its_root,
)
from rideinfra.secrets.model import Secret, parse_secret_string

__all__ = ["DEFAULT_MAX_CONCURRENCY", "DEFAULT_MOUNT", "VaultSource", "VaultStore"]

DEFAULT_MOUNT = "secret"
#: Requests in flight at once (and pooled connections). Vault serves reads
#: from memory; the bound keeps one process from flooding a shared server.
DEFAULT_MAX_CONCURRENCY = 16
DEFAULT_DEADLINE = 120.0
ORIGIN = "vault"

Auth = Literal["token", "approle"]

# Retried by urllib3 with backoff before the answer reaches hvac. 503 is not:
# Vault answers it when sealed, which waiting does not fix.
_RETRY_STATUSES = (429, 500, 502, 504)


def _failures() -> tuple[type[BaseException], ...]:
    """What hvac and requests raise for a failed request (the table above)."""
    import hvac.exceptions
    import requests

    return (hvac.exceptions.VaultError, requests.RequestException)


def _setting(value: str | None, environ: Mapping[str, str], variable: str) -> str | None:
    return value if value else (environ.get(variable) or None)


class _Client:
    """One hvac client, built (and logged in) on first use, thread-safely; or an injected one."""

    def __init__(
        self,
        client: Any,
        *,
        address: str,
        namespace: str | None,
        auth: Auth,
        token: str | None,
        role_id: str | None,
        secret_id: str | None,
        approle_mount: str,
        ca_cert: str | None,
        timeout: float,
        retries: int,
        max_pool: int,
    ) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.address = address
        self.namespace = namespace
        # The credentials are kept here only, never in a repr or a message.
        self._auth = (auth, token, role_id, secret_id, approle_mount)
        self._http = (ca_cert, timeout, retries, max_pool)

    def get(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._build()
        return self._client

    def _build(self) -> Any:
        import hvac
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        ca_cert, timeout, retries, max_pool = self._http
        session = requests.Session()
        retry = Retry(
            total=retries,
            backoff_factor=0.2,
            status_forcelist=_RETRY_STATUSES,
            allowed_methods=None,  # reads are GETs; a login POST is as safe to repeat
            raise_on_status=False,  # the last answer reaches hvac, which names it
            respect_retry_after_header=True,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=max_pool)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        auth, token, role_id, secret_id, approle_mount = self._auth
        client = hvac.Client(
            url=self.address,
            # Given explicitly: hvac would otherwise read VAULT_TOKEN and
            # ~/.vault-token from the process, not from the environ we were given.
            token=token if auth == "token" else "",
            namespace=self.namespace,
            verify=ca_cert if ca_cert else True,
            timeout=timeout,  # type: ignore[arg-type] # requests takes float seconds; the stubs say int
            session=session,
        )
        if auth == "approle":
            try:
                client.auth.approle.login(
                    role_id=role_id, secret_id=secret_id, mount_point=approle_mount
                )
            except _failures() as exc:
                raise vault_error(exc, "AppRole login", self.where()) from exc
        return client

    def where(self) -> str:
        space = f", namespace {foreign_text(self.namespace)}" if self.namespace else ""
        return f"Vault at {foreign_text(self.address)}{space}"


def vault_error(  # noqa: PLR0911 - one return per row of the table
    exc: BaseException, what: str, where: str, secret: str | None = None
) -> SourceError:
    """The SourceError for an hvac or requests failure; the table in the module docstring.

    Args:
        exc: what hvac (or requests under it) raised.
        what: the request, for the message (`reading secret 'x'`).
        where: the server (`_Client.where`).
        secret: the secret the request was for, if one.
    """
    import hvac.exceptions as vault
    import requests

    name = f"secret {secret!r}: " if secret else ""
    if isinstance(exc, vault.InvalidPath):
        return SecretNotFound(
            f"{name}not found at {where} ({what}); check the name, the mount and the "
            "namespace (a deleted version is not found either)",
            secret=secret,
            code="NotFound",
        )
    if isinstance(exc, vault.Forbidden | vault.Unauthorized):
        return SourceError(
            f"{name}{where}: permission denied ({what}): the token's policy does not allow "
            "reading this path, or the token is invalid or expired; check VAULT_TOKEN or "
            "the AppRole, and the policy's `read` on <mount>/data/<path>",
            secret=secret,
            code="PermissionDenied",
        )
    if isinstance(exc, vault.VaultDown):
        return SourceError(
            f"{where} is sealed or in standby ({what}: 503); unseal it, or point VAULT_ADDR "
            "at the active node",
            code="VaultSealed",
        )
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        # requests names the host and the cause (refused, timed out): foreign text, one line.
        return SourceError(
            f"{where} cannot be reached ({what}): {foreign_text(type(exc).__name__)}; check "
            "the address (VAULT_ADDR) and that the server is up",
            code="VaultUnreachable",
        )
    if isinstance(exc, vault.RateLimitExceeded):
        return SourceError(
            f"{where} kept answering 429 (rate limited) past the retries ({what}); retry later",
            code="RateLimited",
        )
    if isinstance(exc, vault.VaultError):
        # The server's own errors list: foreign text, bounded, never a header or a token.
        errors = foreign_text("; ".join(str(e) for e in (exc.errors or [])) or "no message")
        return SourceError(
            f"{name}{where} failed ({what}): {type(exc).__name__}: {errors}",
            secret=secret,
            code="VaultServerError",
        )
    return SourceError(
        f"{name}{where} failed ({what}): {foreign_text(type(exc).__name__)}",
        secret=secret,
        code="VaultError",
    )


class VaultSource(BaseSource):
    """Secrets from a HashiCorp Vault or OpenBao KV version 2 mount.

    See the module docstring for how names map to paths and how failures
    are named. The whole of one fetch ends within `deadline` seconds, or
    raises a SourceError (code `DeadlineExceeded`).

    Args:
        address: the server's URL; else VAULT_ADDR.
        mount: the KV v2 mount (default `secret`).
        namespace: a Vault Enterprise / OpenBao namespace; else VAULT_NAMESPACE.
        auth: `token` (VAULT_TOKEN, or `token`) or `approle`.
        token: the token for `token` auth; else VAULT_TOKEN.
        role_id: the AppRole role id; else VAULT_ROLE_ID.
        secret_id: the AppRole secret id; else VAULT_SECRET_ID.
        approle_mount: where the AppRole auth method is mounted.
        ca_cert: a CA bundle for https; else VAULT_CACERT, else the system's.
        versions: secret name -> the KV version to read (else the latest).
        client: a ready hvac client; built lazily when absent.
        environ: where the variables above are read; `os.environ` when None.
        timeout: seconds to wait for a connection or an answer.
        retries: retries of a 429 or 5xx answer (503, sealed, is not retried).
        max_concurrency: requests in flight at once; also the connection pool size.
        deadline: seconds one fetch may take in all.

    A name that is absolute or has an empty, `.` or `..` part, a backslash or
    a NUL is refused without a request (SourceError, code `InvalidSecretName`):
    requests would resolve `..` in the URL and read outside the mount.

    Raises:
        ConfigError: no address, an address that is not http(s), no
            credentials for the chosen auth, or a mount with `..`.
        TypeError: an argument of the wrong type, named (e.g. `max_concurrency="4"`).
        ValueError: `auth` is neither `token` nor `approle`, `max_concurrency`
            is below 1, `deadline` or `timeout` is not positive, `retries` is
            negative, or a pinned version is below 1.
    """

    def __init__(
        self,
        *,
        address: str | None = None,
        mount: str = DEFAULT_MOUNT,
        namespace: str | None = None,
        auth: Auth = "token",
        token: str | None = None,
        role_id: str | None = None,
        secret_id: str | None = None,
        approle_mount: str = "approle",
        ca_cert: str | None = None,
        versions: Mapping[str, int] | None = None,
        client: Any = None,
        environ: Mapping[str, str] | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        deadline: float | None = None,
    ) -> None:
        _check_arguments(
            address=address,
            mount=mount,
            namespace=namespace,
            auth=auth,
            token=token,
            role_id=role_id,
            secret_id=secret_id,
            approle_mount=approle_mount,
            ca_cert=ca_cert,
            versions=versions,
            environ=environ,
            timeout=timeout,
            retries=retries,
            max_concurrency=max_concurrency,
            deadline=deadline,
        )
        env = os.environ if environ is None else environ
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self._deadline = DEFAULT_DEADLINE if deadline is None else deadline
        if not self._deadline > 0:
            raise ValueError("deadline must be a positive number of seconds")
        url = _setting(address, env, "VAULT_ADDR")
        if url is None:
            raise ConfigError(
                "no Vault address: set the source's address or VAULT_ADDR "
                "(e.g. http://127.0.0.1:8200)"
            )
        _check_address(url, "the source's address" if address else "VAULT_ADDR")
        token = _setting(token, env, "VAULT_TOKEN")
        role_id = _setting(role_id, env, "VAULT_ROLE_ID")
        secret_id = _setting(secret_id, env, "VAULT_SECRET_ID")
        if client is None and auth == "token" and not token:
            raise ConfigError("no Vault token: set VAULT_TOKEN, or use auth: approle")
        if client is None and auth == "approle" and not (role_id and secret_id):
            raise ConfigError(
                "AppRole auth needs a role id and a secret id: set role_id (or VAULT_ROLE_ID) "
                "and VAULT_SECRET_ID"
            )
        self._mount = mount.strip("/") or DEFAULT_MOUNT
        if _leaves_its_root(self._mount):
            raise ConfigError(
                f"the Vault mount {mount!r} is not a path: use '/'-separated parts, none "
                "empty, '.' or '..', without a backslash (e.g. secret, or team/kv)"
            )
        self._versions = dict(versions or {})
        self._max_concurrency = max_concurrency
        self._client = _Client(
            client,
            address=url,
            namespace=_setting(namespace, env, "VAULT_NAMESPACE"),
            auth=auth,
            token=token,
            role_id=role_id,
            secret_id=secret_id,
            approle_mount=approle_mount,
            ca_cert=_setting(ca_cert, env, "VAULT_CACERT"),
            timeout=timeout,
            retries=retries,
            max_pool=max_concurrency,
        )

    @property
    def address(self) -> str:
        """The server's URL."""
        return self._client.address

    @property
    def mount(self) -> str:
        """The KV v2 mount secrets are read from."""
        return self._mount

    def __repr__(self) -> str:
        return f"VaultSource(address={self.address!r}, mount={self._mount!r})"

    def _fetch_many(self, names: tuple[str, ...]) -> FetchResult:
        deadline = Deadline(self._deadline)
        try:
            parts = run_within(
                lambda name: self._read(name, deadline),
                list(names),
                deadline=deadline,
                workers=self._max_concurrency,
            )
        except DeadlinePassed:
            raise SourceError(
                f"{self._client.where()}: the fetch did not finish within its deadline of "
                f"{deadline.seconds:g} s; retry later, or give the source a longer deadline",
                code="DeadlineExceeded",
            ) from None
        secrets: dict[str, Secret] = {}
        errors: dict[str, SourceError] = {}
        for name, part in zip(names, parts, strict=True):
            if isinstance(part, Secret):
                secrets[name] = part
            else:
                errors[name] = part
        return FetchResult(secrets, errors)

    def _read(self, name: str, deadline: Deadline) -> Secret | SourceError:
        deadline.check()
        if _leaves_its_root(name):
            # requests removes `..` and `.` segments from the URL (`../../other/data/x`
            # reads mount `other`), and Vault answers `a//b` or `/a` as `a/b`: such a
            # name is refused before any request, as DirectorySource refuses it.
            return SourceError(
                f"secret name {name!r} cannot be read from mount {self._mount!r}: a name "
                "must be '/'-separated parts, none empty, '.' or '..', without a backslash "
                "or NUL, and not absolute (it could read outside the mount)",
                secret=name,
                code="InvalidSecretName",
            )
        version = self._versions.get(name)
        what = f"reading {self._mount}/{name}" + (f" version {version}" if version else "")
        try:
            response = self._client.get().secrets.kv.v2.read_secret_version(
                path=name,
                version=version,
                mount_point=self._mount,
                raise_on_deleted_version=True,
            )
        except _failures() as exc:
            error = vault_error(exc, what, self._client.where(), secret=name)
            if error.code in ("NotFound", "PermissionDenied"):
                return error  # this secret's answer (policies are per path)
            raise error from exc
        data = response.get("data") if isinstance(response, Mapping) else None
        fields = data.get("data") if isinstance(data, Mapping) else None
        if not isinstance(fields, Mapping):
            return SourceError(
                f"secret {name!r}: {self._client.where()} answered without KV v2 data; "
                f"check that {self._mount!r} is a KV version 2 mount",
                secret=name,
                code="NotKv2",
            )
        meta = data.get("metadata") if isinstance(data, Mapping) else None
        got = meta.get("version") if isinstance(meta, Mapping) else None
        import json  # here: `import rideinfra.secrets` must stay light (tests/secrets/test_aws.py)

        try:
            # The JSON object's rules (numbers as text, nested values, no nulls), stated once.
            return parse_secret_string(
                name,
                json.dumps(dict(fields), ensure_ascii=False),
                version_id=None if got is None else str(got),
                origin=ORIGIN,
            )
        except SourceError as exc:
            return exc


def _check_arguments(
    *,
    address: object,
    mount: object,
    namespace: object,
    auth: object,
    token: object,
    role_id: object,
    secret_id: object,
    approle_mount: object,
    ca_cert: object,
    versions: object,
    environ: object,
    timeout: object,
    retries: object,
    max_concurrency: object,
    deadline: object,
) -> None:
    """VaultSource's arguments by type (never printing one: a token may be among them).

    Raises:
        TypeError: an argument of the wrong type, named.
        ValueError: `auth` is not `token` or `approle`, a pinned version is below
            1, `timeout` is not positive or `retries` is negative.
    """
    optional = (str, type(None))
    for label, value in (
        ("address", address),
        ("namespace", namespace),
        ("token", token),
        ("role_id", role_id),
        ("secret_id", secret_id),
        ("ca_cert", ca_cert),
    ):
        _check_type(value, optional, label, "a str or None")
    _check_type(mount, str, "mount", "a str (the KV v2 mount, e.g. 'secret')")
    _check_type(approle_mount, str, "approle_mount", "a str (e.g. 'approle')")
    if auth not in ("token", "approle"):
        _check_type(auth, str, "auth", "'token' or 'approle'")
        raise ValueError(f"auth must be 'token' or 'approle', not {auth!r}")
    if environ is not None:
        _check_type(environ, Mapping, "environ", "a mapping of variable -> value, or None")
    if versions is not None:
        _check_type(versions, Mapping, "versions", "a mapping of secret name -> version (int)")
        assert isinstance(versions, Mapping)  # noqa: S101 - narrowed above
        for name, version in versions.items():
            _check_type(name, str, "versions' keys", "secret names (str)")
            _check_number(version, f"versions[{name!r}]", minimum=1, integer=True)
    _check_number(timeout, "timeout", minimum=0, inclusive=False)
    _check_number(retries, "retries", minimum=0, integer=True)
    _check_number(max_concurrency, "max_concurrency", minimum=1, integer=True)
    if deadline is not None:
        _check_number(deadline, "deadline", minimum=0, inclusive=False)


def _check_address(url: str, setting: str) -> None:
    """An http(s) URL with a host; then the endpoint rules of the AWS sources
    (`check_endpoint`): a closed `[`, a port that is a number, and no user name or
    password (Vault takes a token, and the address is printed in log lines)."""
    from urllib.parse import urlsplit

    from rideinfra.secrets._awsclient import check_endpoint

    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed `[`: check_endpoint says so
        parts = None
    if parts is not None and (
        not url.isprintable()
        or " " in url
        or parts.scheme not in ("http", "https")
        or not parts.hostname
    ):
        raise ConfigError(
            f"{setting} is not an http:// or https:// URL with a host; set it like "
            "http://127.0.0.1:8200"
        )
    check_endpoint(url, setting, fix=f"set {setting} like http://127.0.0.1:8200")


class VaultStore:
    """The write side, for seeding: a new KV v2 version only when the fields differ.

    Args:
        source: the VaultSource whose client and mount to use.
    """

    def __init__(self, source: VaultSource | None = None) -> None:
        self._source = source or VaultSource()

    def __repr__(self) -> str:
        return f"VaultStore({self._source!r})"

    def read(self, name: str) -> dict[str, str] | None:
        """The secret's latest fields as plain strings, or None when it does not exist.

        Raises:
            SourceError: the store could not be read.
        """
        return current_fields(self._source, name)

    def put(
        self, name: str, fields: Mapping[str, str] | str, *, description: str | None = None
    ) -> StoreResult:
        """Write a new version of the secret if its fields changed.

        Raises:
            SourceError: the store refused the write; names the secret and the code.
        """
        if isinstance(fields, str):
            raise refuse_plain(name, "Vault")
        current = self.read(name)
        if current == dict(fields):
            return "unchanged"
        client = self._source._client
        try:
            client.get().secrets.kv.v2.create_or_update_secret(
                path=name, secret=dict(fields), mount_point=self._source.mount
            )
        except _failures() as exc:
            what = f"writing {self._source.mount}/{name}"
            raise vault_error(exc, what, client.where(), name) from exc
        logger().debug("vault: wrote a new version of %s", name)
        return "created" if current is None else "updated"
