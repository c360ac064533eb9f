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

__all__ = [
    "BaseSource",
    "CachedSource",
    "ChainSource",
    "DirectorySource",
    "EnvSource",
    "FetchResult",
    "FileSource",
    "OverrideSource",
    "ParseOptions",
    "Secret",
    "SecretSource",
    "SecretValue",
    "SecretsManagerSource",
    "SecretsManagerStore",
    "parse_secret_string",
]
