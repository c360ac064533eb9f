"""Settings of the rideshare simulation service, fed by rideinfra.

The same model loads in three deployments, with the same values:

- from the store (no init container): ``load()`` with no env file reads
  profile ``core`` of rideinfra.yaml from Secrets Manager (``AWS_ENDPOINT_URL``
  selects LocalStack/moto);
- from the file the ``secrets-init`` container wrote: ``load("/secrets/core.env")``;
- from the environment, when Compose passed ``core.env`` as ``env_file:``:
  ``SimulationSettings()``, plain pydantic-settings.

Run it against a store:  ``python examples/rideshare/service_settings.py``
or a file:               ``python examples/rideshare/service_settings.py secrets/core.env``
It prints which fields were loaded, never their values.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from rideinfra.settings import settings_from

CONFIG = Path(__file__).with_name("rideinfra.yaml")


class SimulationSettings(BaseSettings):
    """What the simulation service needs from profile ``core``."""

    # hide_input_in_errors: a value that fails validation is not printed by
    # pydantic (rideinfra refuses a model without it). extra="ignore": profile
    # core also carries the schema-registry credentials, which this service
    # does not use.
    model_config = SettingsConfigDict(hide_input_in_errors=True, extra="ignore")

    api_key: SecretStr = Field(alias="API_KEY", min_length=1)
    redis_password: SecretStr = Field(alias="REDIS_PASSWORD")
    kafka_username: str = Field(alias="KAFKA_SASL_USERNAME", min_length=1)
    kafka_password: SecretStr = Field(alias="KAFKA_SASL_PASSWORD")
    redis_host: str = "redis"  # not a secret: a default, or the REDIS_HOST variable


def load(
    env_file: str | os.PathLike[str] | None = None,
    *,
    environ: dict[str, str] | None = None,
) -> SimulationSettings:
    """The service's settings: from ``env_file`` if given, else from the store.

    Environment variables still win over both (docs/services.md, precedence).
    """
    if env_file is not None:
        return settings_from(SimulationSettings, env_file=env_file)
    return settings_from(SimulationSettings, config=CONFIG, profile="core", environ=environ)


if __name__ == "__main__":
    settings = load(sys.argv[1] if len(sys.argv) > 1 else None)
    print(settings)  # SecretStr fields print as '**********'
