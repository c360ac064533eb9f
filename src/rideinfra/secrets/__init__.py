"""Secret sources and the secret value model.

Importing this package does not import boto3: the AWS source builds its
client on first use.
"""

from rideinfra.secrets.aws import SecretsManagerSource, SecretsManagerStore
from rideinfra.secrets.base import BaseSource, FetchResult, SecretSource
from rideinfra.secrets.model import ParseOptions, Secret, SecretValue, parse_secret_string

__all__ = [
    "BaseSource",
    "FetchResult",
    "ParseOptions",
    "Secret",
    "SecretSource",
    "SecretValue",
    "SecretsManagerSource",
    "SecretsManagerStore",
    "parse_secret_string",
]
