"""The configuration as frozen objects, and `Env`: one profile's resolved variables.

`rideinfra.profiles` exports (and its `__all__` lists) the public ones; import them from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from difflib import get_close_matches
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar, Literal

import attrs

from rideinfra.errors import ConfigError
from rideinfra.secrets.model import ParseOptions, SecretValue
from rideinfra.secrets.transforms import Pipeline

if TYPE_CHECKING:
    from rideinfra.secrets.transforms import Entry, Origin, Template

OUTPUT_FORMATS = ("env", "shell", "compose", "dotenv", "raw", "json", "k8s-secret")


@attrs.frozen
class _AwsOptions:
    """The AWS client options both AWS stores take; unset ones fall back to the AWS environment.

    Declared once, with their defaults and checks, in `rideinfra.profiles.config`.
    """

    region: str | None = None
    endpoint_url: str | None = None
    retry_mode: Literal["standard", "adaptive"] | None = None
    max_attempts: int | None = None
    max_concurrency: int | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    deadline: float | None = None


@attrs.frozen
class AwsSourceConfig(_AwsOptions):
    """`type: aws-secretsmanager`; unset options fall back to the AWS environment."""

    type: ClassVar[str] = "aws-secretsmanager"
    #: secret name -> (version_stage, version_id), from `secrets.<name>`: every
    #: command that builds this source reads those secrets at their version.
    versions: Mapping[str, tuple[str | None, str | None]] = attrs.field(factory=dict)


@attrs.frozen
class SsmSourceConfig(_AwsOptions):
    """`type: aws-ssm`: Parameter Store; the AWS options as for `aws-secretsmanager`.

    Attributes:
        prefix: put before each secret name to make the parameter name (`/`).
        recursive: names ending in `/` also read parameters below direct children.
    """

    type: ClassVar[str] = "aws-ssm"
    prefix: str = ""
    recursive: bool = False


def _versions(value: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(value))


@attrs.frozen
class VaultSourceConfig:
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

    type: ClassVar[str] = "vault"
    address: str | None = None
    mount: str = "secret"
    namespace: str | None = None
    auth: Literal["token", "approle"] = "token"
    role_id: str | None = None
    approle_mount: str = "approle"
    versions: Mapping[str, int] = attrs.field(factory=dict, converter=_versions)
    max_concurrency: int | None = None
    timeout: float | None = None


@attrs.frozen
class FileSourceConfig:
    """`type: file`: a JSON/YAML/dotenv file; `name` is the secret name of a dotenv file."""

    type: ClassVar[str] = "file"
    path: Path
    name: str | None = None


@attrs.frozen
class DirectorySourceConfig:
    """`type: directory`: one file per secret (`/run/secrets` style)."""

    type: ClassVar[str] = "directory"
    path: Path


@attrs.frozen
class EnvSourceConfig:
    """`type: env`: secrets read from environment variables starting with `prefix`."""

    type: ClassVar[str] = "env"
    prefix: str | None = None


@attrs.frozen
class ChainSourceConfig:
    """`type: chain`: the first source that has a secret wins."""

    type: ClassVar[str] = "chain"
    sources: tuple[SourceConfig, ...]


SourceConfig = (
    AwsSourceConfig
    | SsmSourceConfig
    | VaultSourceConfig
    | FileSourceConfig
    | DirectorySourceConfig
    | EnvSourceConfig
    | ChainSourceConfig
)


@attrs.frozen
class OutputConfig:
    """Where and how files are written (the command line and environment override `dir`).

    Attributes:
        dir: output directory (absolute; relative ones were resolved against
            the config file's directory), or None for the default.
        format: one of `OUTPUT_FORMATS`.
        file_mode: permission bits of written files.
        refresh_interval: seconds between polls of `rideinfra watch` and ESO's
            `refreshInterval`; None for their defaults (60 s, 1h).
    """

    dir: Path | None = None
    format: str = "env"
    file_mode: int = 0o600
    refresh_interval: float | None = None


@attrs.frozen
class SecretConfig:
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

    name: str
    transforms: Pipeline = attrs.field(factory=Pipeline)
    version_stage: str | None = None
    version_id: str | None = None
    version: int | None = None
    parse: ParseOptions | None = None

    @property
    def stored_as(self) -> str | None:
        """`plain` or `binary` when the whole stored value is one field; else None."""
        if self.parse is None:
            return None
        return "plain" if self.parse.plain_field is not None else "binary"


@attrs.frozen
class SecretRef:
    """One use of a secret in a profile, with transforms for this use only."""

    name: str
    transforms: Pipeline = attrs.field(factory=Pipeline)


@attrs.frozen
class Profile:
    """A named group of secrets that becomes one output file.

    Attributes:
        name: the profile's name (also the output file's stem).
        secrets: the secrets it uses, in merge order.
        keys: an allow-list of variables to keep, or None to keep all.
        template: variables composed over the merged variables (after the
            merge, before `keys`), or None.
    """

    name: str
    secrets: tuple[SecretRef, ...]
    keys: tuple[str, ...] | None = None
    template: Template | None = None


def _frozen(value: Mapping[str, object]) -> Mapping[str, object]:
    return MappingProxyType(dict(value))


@attrs.frozen
class Config:
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

    source: SourceConfig
    secrets: Mapping[str, SecretConfig] = attrs.field(converter=_frozen)
    profiles: Mapping[str, Profile] = attrs.field(converter=_frozen)
    output: OutputConfig = attrs.field(factory=OutputConfig)
    seed: Path | None = None
    path: Path | None = None
    version: int = 1

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


@attrs.frozen(init=False, repr=False, eq=False)
class Env(Mapping[str, SecretValue]):
    """One profile's variables: a read-only mapping name -> value, sorted by name.

    `entries` and `origin()` say where each variable came from. The repr
    shows names only.
    """

    entries: tuple[Entry, ...]
    profile: str | None
    _by_name: Mapping[str, Entry]

    def __init__(self, entries: Iterable[Entry], *, profile: str | None = None) -> None:
        ordered = tuple(sorted(entries, key=lambda e: e.name))
        by_name = {e.name: e for e in ordered}
        if len(by_name) != len(ordered):
            raise ValueError("Env entries must have distinct names")
        self.__attrs_init__(ordered, profile, MappingProxyType(by_name))

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
