"""Secret sources and the secret value model.

Importing this package does not import boto3: the AWS source builds its
client on first use.
"""

from rideinfra.secrets.aws import SecretsManagerSource, SecretsManagerStore
from rideinfra.secrets.base import BaseSource, FetchResult, SecretSource
from rideinfra.secrets.cached import CachedSource
from rideinfra.secrets.compose import ChainSource, OverrideSource
from rideinfra.secrets.env import EnvSource
from rideinfra.secrets.files import DirectorySource, FileSource
from rideinfra.secrets.model import ParseOptions, Secret, SecretValue, parse_secret_string
from rideinfra.secrets.ssm import ParameterStoreSource, ParameterStoreStore
from rideinfra.secrets.vault import VaultSource, VaultStore

__all__ = [
    "BaseSource",
    "CachedSource",
    "ChainSource",
    "DirectorySource",
    "EnvSource",
    "FetchResult",
    "FileSource",
    "OverrideSource",
    "ParameterStoreSource",
    "ParameterStoreStore",
    "ParseOptions",
    "Secret",
    "SecretSource",
    "SecretValue",
    "SecretsManagerSource",
    "SecretsManagerStore",
    "VaultSource",
    "VaultStore",
    "parse_secret_string",
]
