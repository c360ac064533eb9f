"""What the seeding stores (`SecretsManagerStore`, `ParameterStoreStore`, `VaultStore`) share."""

from __future__ import annotations

from typing import Literal

from rideinfra.errors import ConfigError, SecretNotFound
from rideinfra.secrets.base import SecretSource

#: What a store's `put` did with one secret.
StoreResult = Literal["created", "updated", "unchanged", "restored"]


def current_fields(source: SecretSource, name: str) -> dict[str, str] | None:
    """The secret's current fields as plain strings, or None when it does not exist.

    Raises:
        SourceError: the store could not be read, or the value is not fields.
    """
    try:
        secret = source.fetch(name)
    except SecretNotFound:
        return None
    return {key: value.reveal() for key, value in secret.fields.items()}


def refuse_plain(name: str, store: str) -> ConfigError:
    """The error for a plain seed entry given to a store that keeps only fields."""
    return ConfigError(
        f"seed entry {name!r} is a plain string, which only Secrets Manager stores as "
        f"it is; in {store} write it as a mapping of one field (FIELD: value) "
        "and read it with that field"
    )
