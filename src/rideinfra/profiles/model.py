"""The configuration as frozen objects, and `Env`: one profile's resolved variables.

`rideinfra.profiles` exports (and its `__all__` lists) the public ones; import them from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from difflib import get_close_matches
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar, Literal

from rideinfra._record import Record
from rideinfra.errors import ConfigError
from rideinfra.secrets.model import ParseOptions, SecretValue
from rideinfra.secrets.transforms import Pipeline

if TYPE_CHECKING:
    from rideinfra.secrets.transforms import Entry, Origin, Template

OUTPUT_FORMATS = ("env", "shell", "compose", "dotenv", "raw", "json", "k8s-secret")


RetryMode = Literal["standard", "adaptive"]


class _AwsOptions(Record):
    """The AWS client options both AWS stores take; unset ones fall back to the AWS environment.

    Declared once, with their defaults and checks, in `rideinfra.profiles.config`.
    """

    __slots__ = (
        "region",
        "endpoint_url",
        "retry_mode",
        "max_attempts",
        "max_concurrency",
        "connect_timeout",
        "read_timeout",
        "deadline",
    )
    region: str | None
    endpoint_url: str | None
    retry_mode: RetryMode | None
    max_attempts: int | None
    max_concurrency: int | None
    connect_timeout: float | None
    read_timeout: float | None
    deadline: float | None


class AwsSourceConfig(_AwsOptions):
    """`type: aws-secretsmanager`; unset options fall back to the AWS environment.

    Attributes:
        versions: secret name -> (version_stage, version_id), from `secrets.<name>`:
            every command that builds this source reads those secrets at their version.
    """

    __slots__ = ("versions",)
    type: ClassVar[str] = "aws-secretsmanager"
    versions: Mapping[str, tuple[str | None, str | None]]

    def __init__(
        self,
        region: str | None = None,
        endpoint_url: str | None = None,
        retry_mode: RetryMode | None = None,
        max_attempts: int | None = None,
        max_concurrency: int | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        deadline: float | None = None,
        versions: Mapping[str, tuple[str | None, str | None]] | None = None,
    ) -> None:
        self._init(
            region=region,
            endpoint_url=endpoint_url,
            retry_mode=retry_mode,
            max_attempts=max_attempts,
            max_concurrency=max_concurrency,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            deadline=deadline,
            versions={} if versions is None else versions,
        )


class SsmSourceConfig(_AwsOptions):
    """`type: aws-ssm`: Parameter Store; the AWS options as for `aws-secretsmanager`.

    Attributes:
        prefix: put before each secret name to make the parameter name (`/`).
        recursive: names ending in `/` also read parameters below direct children.
    """

    __slots__ = ("prefix", "recursive")
    type: ClassVar[str] = "aws-ssm"
    prefix: str
    recursive: bool

    def __init__(
        self,
        region: str | None = None,
        endpoint_url: str | None = None,
        retry_mode: RetryMode | None = None,
        max_attempts: int | None = None,
        max_concurrency: int | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        deadline: float | None = None,
        prefix: str = "",
        recursive: bool = False,
    ) -> None:
        self._init(
            region=region,
            endpoint_url=endpoint_url,
            retry_mode=retry_mode,
            max_attempts=max_attempts,
            max_concurrency=max_concurrency,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            deadline=deadline,
            prefix=prefix,
            recursive=recursive,
        )


class VaultSourceConfig(Record):
    """`type: vault`: HashiCorp Vault / OpenBao KV v2; unset options fall back to VAULT_*.

    Attributes:
        address: else VAULT_ADDR.
        mount: the KV v2 mount.
        namespace: else VAULT_NAMESPACE.
        auth: `token` (VAULT_TOKEN) or `approle` (role_id, VAULT_SECRET_ID).
        role_id: the AppRole role id (else VAULT_ROLE_ID).
        approle_mount: where AppRole is mounted.
        versions: secret name -> the KV version to read.
        max_concurrency: requests in flight at once.
        timeout: seconds to wait for a connection or an answer.
    """

    __slots__ = (
        "address",
        "mount",
        "namespace",
        "auth",
        "role_id",
        "approle_mount",
        "versions",
        "max_concurrency",
        "timeout",
    )
    type: ClassVar[str] = "vault"
    address: str | None
    mount: str
    namespace: str | None
    auth: Literal["token", "approle"]
    role_id: str | None
    approle_mount: str
    versions: Mapping[str, int]
    max_concurrency: int | None
    timeout: float | None

    def __init__(
        self,
        address: str | None = None,
        mount: str = "secret",
        namespace: str | None = None,
        auth: Literal["token", "approle"] = "token",
        role_id: str | None = None,
        approle_mount: str = "approle",
        versions: Mapping[str, int] | None = None,
        max_concurrency: int | None = None,
        timeout: float | None = None,
    ) -> None:
        self._init(
            address=address,
            mount=mount,
            namespace=namespace,
            auth=auth,
            role_id=role_id,
            approle_mount=approle_mount,
            versions=MappingProxyType(dict(versions or {})),
            max_concurrency=max_concurrency,
            timeout=timeout,
        )


class FileSourceConfig(Record):
    """`type: file`: a JSON/YAML/dotenv file; `name` is the secret name of a dotenv file."""

    __slots__ = ("path", "name")
    type: ClassVar[str] = "file"
    path: Path
    name: str | None

    def __init__(self, path: Path, name: str | None = None) -> None:
        self._init(path=path, name=name)


class DirectorySourceConfig(Record):
    """`type: directory`: one file per secret (`/run/secrets` style)."""

    __slots__ = ("path",)
    type: ClassVar[str] = "directory"
    path: Path

    def __init__(self, path: Path) -> None:
        self._init(path=path)


class EnvSourceConfig(Record):
    """`type: env`: secrets read from environment variables starting with `prefix`."""

    __slots__ = ("prefix",)
    type: ClassVar[str] = "env"
    prefix: str | None

    def __init__(self, prefix: str | None = None) -> None:
        self._init(prefix=prefix)


class ChainSourceConfig(Record):
    """`type: chain`: the first source that has a secret wins."""

    __slots__ = ("sources",)
    type: ClassVar[str] = "chain"
    sources: tuple[SourceConfig, ...]

    def __init__(self, sources: tuple[SourceConfig, ...]) -> None:
        self._init(sources=sources)


SourceConfig = (
    AwsSourceConfig
    | SsmSourceConfig
    | VaultSourceConfig
    | FileSourceConfig
    | DirectorySourceConfig
    | EnvSourceConfig
    | ChainSourceConfig
)


class OutputConfig(Record):
    """Where and how files are written (the command line and environment override `dir`).

    Attributes:
        dir: output directory (absolute; relative ones were resolved against
            the config file's directory), or None for the default.
        format: one of `OUTPUT_FORMATS`.
        file_mode: permission bits of written files.
        refresh_interval: seconds between polls of `rideinfra watch` and ESO's
            `refreshInterval`; None for their defaults (60 s, 1h).
    """

    __slots__ = ("dir", "format", "file_mode", "refresh_interval")
    dir: Path | None
    format: str
    file_mode: int
    refresh_interval: float | None

    def __init__(
        self,
        dir: Path | None = None,
        format: str = "env",
        file_mode: int = 0o600,
        refresh_interval: float | None = None,
    ) -> None:
        self._init(dir=dir, format=format, file_mode=file_mode, refresh_interval=refresh_interval)


class SecretConfig(Record):
    """What the config says of one secret, wherever a profile uses it.

    Attributes:
        name: the secret's name in the store.
        transforms: applied wherever the secret is used.
        parse: how a stored value that is not a JSON object becomes one field
            (`plain:`, `binary:`); None: it must be a JSON object.
        version_stage: read this staging label (e.g. `AWSPREVIOUS`); None: AWSCURRENT.
        version_id: read this version; None: the stage's.
        version: (vault) read this KV v2 version; None: the latest.
    """

    __slots__ = ("name", "transforms", "version_stage", "version_id", "version", "parse")
    name: str
    transforms: Pipeline
    version_stage: str | None
    version_id: str | None
    version: int | None
    parse: ParseOptions | None

    def __init__(
        self,
        name: str,
        transforms: Pipeline | None = None,
        version_stage: str | None = None,
        version_id: str | None = None,
        version: int | None = None,
        parse: ParseOptions | None = None,
    ) -> None:
        self._init(
            name=name,
            transforms=Pipeline() if transforms is None else transforms,
            version_stage=version_stage,
            version_id=version_id,
            version=version,
            parse=parse,
        )

    @property
    def stored_as(self) -> str | None:
        """`plain` or `binary` when the whole stored value is one field; else None."""
        if self.parse is None:
            return None
        return "plain" if self.parse.plain_field is not None else "binary"


class SecretRef(Record):
    """One use of a secret in a profile, with transforms for this use only."""

    __slots__ = ("name", "transforms")
    name: str
    transforms: Pipeline

    def __init__(self, name: str, transforms: Pipeline | None = None) -> None:
        self._init(name=name, transforms=Pipeline() if transforms is None else transforms)


class Profile(Record):
    """A named group of secrets that becomes one output file.

    Attributes:
        name: the profile's name (also the output file's stem).
        secrets: the secrets it uses, in merge order.
        keys: an allow-list of variables to keep, or None to keep all.
        template: variables composed over the merged variables (after the
            merge, before `keys`), or None.
    """

    __slots__ = ("name", "secrets", "keys", "template")
    name: str
    secrets: tuple[SecretRef, ...]
    keys: tuple[str, ...] | None
    template: Template | None

    def __init__(
        self,
        name: str,
        secrets: tuple[SecretRef, ...],
        keys: tuple[str, ...] | None = None,
        template: Template | None = None,
    ) -> None:
        self._init(name=name, secrets=secrets, keys=keys, template=template)


class Config(Record):
    """A loaded rideinfra.yaml.

    Attributes:
        source: where secrets are read from.
        secrets: secret name -> its bound transforms (secrets without any are absent).
        profiles: profile name -> profile, in file order.
        output: output settings.
        seed: the seed file, if the config names one (absolute).
        path: the file this was loaded from, if any.
        version: the format version (1).
    """

    __slots__ = ("source", "secrets", "profiles", "output", "seed", "path", "version")
    source: SourceConfig
    secrets: Mapping[str, SecretConfig]
    profiles: Mapping[str, Profile]
    output: OutputConfig
    seed: Path | None
    path: Path | None
    version: int

    def __init__(
        self,
        source: SourceConfig,
        secrets: Mapping[str, SecretConfig],
        profiles: Mapping[str, Profile],
        output: OutputConfig | None = None,
        seed: Path | None = None,
        path: Path | None = None,
        version: int = 1,
    ) -> None:
        self._init(
            source=source,
            secrets=MappingProxyType(dict(secrets)),
            profiles=MappingProxyType(dict(profiles)),
            output=OutputConfig() if output is None else output,
            seed=seed,
            path=path,
            version=version,
        )

    @property
    def profile_names(self) -> tuple[str, ...]:
        """Profile names in file order."""
        return tuple(self.profiles)

    def select(self, names: Sequence[str] | None = None) -> tuple[Profile, ...]:
        """The named profiles (all, in file order, when `names` is None).

        Raises:
            ConfigError: a name is not a profile of this config.
        """
        if names is None:
            return tuple(self.profiles.values())
        if isinstance(names, str):
            names = [names]
        chosen = []
        for name in dict.fromkeys(names):
            if name not in self.profiles:
                close = get_close_matches(name, self.profiles, n=1)
                hint = f"; did you mean `{close[0]}`?" if close else ""
                raise ConfigError(
                    f"no profile {name!r} (profiles: {', '.join(self.profiles)}){hint}",
                    file=str(self.path) if self.path else None,
                )
            chosen.append(self.profiles[name])
        return tuple(chosen)

    def secret_names(self, profiles: Iterable[Profile]) -> tuple[str, ...]:
        """Every secret the profiles use, each once, in first-use order."""
        return tuple(dict.fromkeys(ref.name for p in profiles for ref in p.secrets))

    @property
    def parse_options(self) -> Mapping[str, ParseOptions]:
        """Secret name -> how it becomes fields, for the secrets declared `plain:` or `binary:`."""
        return {n: s.parse for n, s in self.secrets.items() if s.parse is not None}

    def stored_as(self, name: str) -> str | None:
        """`plain` or `binary` when the config reads secret `name` whole as one field."""
        bound = self.secrets.get(name)
        return bound.stored_as if bound is not None else None

    def pipeline(self, ref: SecretRef) -> Pipeline:
        """The secret-bound transforms, then the use-bound ones, as one pipeline."""
        bound = self.secrets.get(ref.name)
        return Pipeline(bound.transforms if bound else Pipeline(), ref.transforms)


class Env(Mapping[str, SecretValue], Record):
    """One profile's variables: a read-only mapping name -> value, sorted by name.

    `entries` and `origin()` say where each variable came from. The repr
    shows names only. Equality is the mapping's (names and values), as for
    any `Mapping`; an `Env` is not hashable.
    """

    __slots__ = ("entries", "profile", "_by_name")
    entries: tuple[Entry, ...]
    profile: str | None
    _by_name: Mapping[str, Entry]

    def __init__(self, entries: Iterable[Entry], *, profile: str | None = None) -> None:
        ordered = tuple(sorted(entries, key=lambda e: e.name))
        by_name = {e.name: e for e in ordered}
        if len(by_name) != len(ordered):
            raise ValueError("Env entries must have distinct names")
        self._init(entries=ordered, profile=profile, _by_name=MappingProxyType(by_name))

    def origin(self, name: str) -> Origin:
        """Where variable `name` came from.

        Raises:
            KeyError: no such variable.
        """
        return self._by_name[name].origin

    def __getitem__(self, name: str) -> SecretValue:
        return self._by_name[name].value

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def __repr__(self) -> str:
        return f"Env(profile={self.profile!r}, names={list(self._by_name)})"
