"""The first two steps of every operation: read the config, build the source it names."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rideinfra.errors import ConfigError

if TYPE_CHECKING:
    from rideinfra.profiles import Config, SourceConfig
    from rideinfra.secrets.base import SecretSource
    from rideinfra.secrets.model import ParseOptions

__all__ = ["build_source", "config_source", "read_config"]

# The steps log under the package logger, as they did when the command line held them.
log = logging.getLogger("rideinfra")

#: Options of `source: {type: aws-secretsmanager}` passed on only when the config sets them.
_AWS_OPTIONS = (
    "retry_mode",
    "max_attempts",
    "max_concurrency",
    "connect_timeout",
    "read_timeout",
    "deadline",
)
_VAULT_OPTIONS = ("max_concurrency", "timeout")


def read_config(path: str | Path) -> Config:
    """Load a rideinfra.yaml and log one line saying what it holds (names and counts only).

    Raises:
        ConfigError: the file is missing or invalid; the message names the file and the key.
    """
    from rideinfra.profiles import load_config

    config = load_config(path)
    log.info(
        "config %s: %d profile(s), %d secret(s) bound",
        path,
        len(config.profiles),
        len(config.secrets),
    )
    return config


def config_source(
    config: Config, environ: Mapping[str, str], *, names_only: bool = False
) -> SecretSource:
    """The source a config reads: its `source:` section, with its secrets' `plain:`/`binary:`.

    Args:
        config: the loaded config.
        environ: as for `build_source`.
        names_only: the command reads names, never values (see `build_source`).

    Raises:
        ConfigError: as for `build_source`.
    """
    return build_source(
        config.source, environ, per_secret=config.parse_options, names_only=names_only
    )


def build_source(  # noqa: PLR0911 - one return per source type
    spec: SourceConfig,
    environ: Mapping[str, str],
    *,
    per_secret: Mapping[str, ParseOptions] | None = None,
    names_only: bool = False,
) -> SecretSource:
    """The `SecretSource` a config's `source:` section describes.

    Args:
        spec: the loaded `source:` section (`config.source`).
        environ: the environment the source reads (AWS endpoint, region,
            credentials; the variables of an `env` source).
        per_secret: secret name -> how it becomes fields (`Config.parse_options`),
            passed to every source of a chain.
        names_only: for commands that need names only (explain, check, render
            k8s): a seed file's `{generate: ...}` fields are read as present.

    Raises:
        ConfigError: the source type is unknown.
    """
    # Read by name: each source type has its own fields, and optional ones may be absent.
    section: Any = spec
    kind = section.type
    # Each branch imports its own source: a fetch loads the one it reads from.
    if kind == "aws-secretsmanager":
        from rideinfra.secrets.aws import SecretsManagerSource

        options: dict[str, Any] = {
            "region": section.region,
            "endpoint_url": section.endpoint_url,
            "environ": environ,
            "pins": getattr(section, "versions", None) or None,
            "per_secret": per_secret,
        }
        for name in _AWS_OPTIONS:
            value = getattr(section, name, None)
            if value is not None:
                options[name] = value
        source = SecretsManagerSource(**options)
        where = source.endpoint_url or "AWS"
        log.info("source aws-secretsmanager: %s, region %s", where, source.region)
        return source
    if kind == "aws-ssm":
        from rideinfra.secrets.ssm import ParameterStoreSource

        ssm = ParameterStoreSource(
            region=section.region,
            endpoint_url=section.endpoint_url,
            prefix=section.prefix,
            recursive=section.recursive,
            environ=environ,
            plain_fields={
                name: how.plain_field
                for name, how in (per_secret or {}).items()
                if how.plain_field is not None
            },
            **{n: getattr(section, n) for n in _AWS_OPTIONS if getattr(section, n) is not None},
        )
        log.info("source aws-ssm: %s, region %s", ssm.endpoint_url or "AWS", ssm.region)
        return ssm
    if kind == "vault":
        from rideinfra.secrets.vault import VaultSource

        vault = VaultSource(
            address=section.address,
            mount=section.mount,
            namespace=section.namespace,
            auth=section.auth,
            role_id=section.role_id,
            approle_mount=section.approle_mount,
            versions=section.versions,
            environ=environ,
            **{n: getattr(section, n) for n in _VAULT_OPTIONS if getattr(section, n) is not None},
        )
        log.info("source vault: %s, mount %s", vault.address, vault.mount)
        return vault
    if kind == "file":
        from rideinfra.secrets.files import FileSource

        return FileSource(
            section.path,
            name=getattr(section, "name", None),
            per_secret=per_secret,
            names_only=names_only,
        )
    if kind == "directory":
        from rideinfra.secrets.files import DirectorySource

        return DirectorySource(section.path, per_secret=per_secret)
    if kind == "env":
        from rideinfra.secrets.env import EnvSource

        prefix = getattr(section, "prefix", None)
        env_options: dict[str, Any] = {"prefix": prefix} if prefix else {}
        return EnvSource(environ, per_secret=per_secret, **env_options)
    if kind == "chain":
        from rideinfra.secrets.compose import ChainSource

        return ChainSource(
            *(
                build_source(part, environ, per_secret=per_secret, names_only=names_only)
                for part in section.sources
            )
        )
    raise ConfigError(f"unknown source type {kind!r}")  # pragma: no cover - config validates
