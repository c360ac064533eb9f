"""What goes where: the rideinfra.yaml model, loading it, and resolving profiles.

>>> config = load_config("rideinfra.yaml")            # doctest: +SKIP
>>> envs = resolve(config, source, profiles=["core"])  # doctest: +SKIP
>>> print(format_explain(explain_envs(envs)))          # doctest: +SKIP
"""

from rideinfra.profiles.config import config_json_schema, load_config, parse_config
from rideinfra.profiles.explain import ExplainRow, explain, explain_envs, format_explain
from rideinfra.profiles.model import (
    AwsSourceConfig,
    ChainSourceConfig,
    Config,
    DirectorySourceConfig,
    Env,
    EnvSourceConfig,
    FileSourceConfig,
    OutputConfig,
    Profile,
    SecretConfig,
    SecretRef,
    SourceConfig,
    SsmSourceConfig,
    VaultSourceConfig,
)
from rideinfra.profiles.resolve import resolve, resolve_profile

__all__ = [
    "AwsSourceConfig",
    "ChainSourceConfig",
    "Config",
    "DirectorySourceConfig",
    "Env",
    "EnvSourceConfig",
    "ExplainRow",
    "FileSourceConfig",
    "OutputConfig",
    "Profile",
    "SecretConfig",
    "SecretRef",
    "SourceConfig",
    "SsmSourceConfig",
    "VaultSourceConfig",
    "config_json_schema",
    "explain",
    "explain_envs",
    "format_explain",
    "load_config",
    "parse_config",
    "resolve",
    "resolve_profile",
]
