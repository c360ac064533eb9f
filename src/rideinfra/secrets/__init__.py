"""Secret sources and the secret value model.

Importing this package does not import boto3: the AWS source builds its
client on first use. Each name is imported from its module on first use,
so a fetch from one source loads that source alone.
"""

import typing

from rideinfra import _lazy

if typing.TYPE_CHECKING:
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

#: Where each public name lives (tests/test_public_api.py holds this, the imports above
#: and `__all__` to the same names).
_HOME = {
    "BaseSource": "rideinfra.secrets.base",
    "CachedSource": "rideinfra.secrets.cached",
    "ChainSource": "rideinfra.secrets.compose",
    "DirectorySource": "rideinfra.secrets.files",
    "EnvSource": "rideinfra.secrets.env",
    "FetchResult": "rideinfra.secrets.base",
    "FileSource": "rideinfra.secrets.files",
    "OverrideSource": "rideinfra.secrets.compose",
    "ParameterStoreSource": "rideinfra.secrets.ssm",
    "ParameterStoreStore": "rideinfra.secrets.ssm",
    "ParseOptions": "rideinfra.secrets.model",
    "Secret": "rideinfra.secrets.model",
    "SecretSource": "rideinfra.secrets.base",
    "SecretValue": "rideinfra.secrets.model",
    "SecretsManagerSource": "rideinfra.secrets.aws",
    "SecretsManagerStore": "rideinfra.secrets.aws",
    "VaultSource": "rideinfra.secrets.vault",
    "VaultStore": "rideinfra.secrets.vault",
    "parse_secret_string": "rideinfra.secrets.model",
}

__getattr__, __dir__ = _lazy.lazy_exports(__name__, _HOME)
