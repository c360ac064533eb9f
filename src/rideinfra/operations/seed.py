"""Seed files: the secrets a store should hold, with literal or generated values.

A seed file (YAML):

    version: 1
    secrets:
      rideshare/redis:
        REDIS_PASSWORD: redis-dev-pass          # a literal value
      rideshare/airflow:
        FERNET_KEY: {generate: fernet}          # made once, kept on reruns
        JWT_SECRET: {generate: "hex:32"}        # 32 random bytes as 64 hex digits
        ADMIN_PASSWORD: {generate: "password:24"}

Seeding is idempotent: a secret whose fields already equal the plan gets no
new version; a generated field that already exists in the store keeps its
stored value. `OVERRIDE_<FIELD>` in the environment replaces that field's
value in every secret that has it (the platform's existing convention).
"""

from __future__ import annotations

import base64
import logging
import secrets as random
import string
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, Protocol

# The seed file's reading and checks live with rideinfra.yaml's, in one declarative reader.
from rideinfra.profiles.seedfile import (
    GENERATE_SPEC as _GENERATE,
)
from rideinfra.profiles.seedfile import (
    FieldSpec,
    Generate,
    SeedSpec,
    load_seed_spec,
)

__all__ = ["Generate", "SeedSpec", "SeedStore", "apply_seed", "generate_value", "load_seed_spec"]

log = logging.getLogger("rideinfra.seed")

_PASSWORD_ALPHABET = string.ascii_letters + string.digits


def generate_value(spec: str) -> str:
    """Make a new random value for a `generate:` spec.

    Raises:
        ValueError: the spec is not `fernet`, `hex:N` or `password:N`.
    """
    match = _GENERATE.match(spec)
    if not match:
        raise ValueError(f"unknown generate spec {spec!r}; use fernet, hex:N or password:N")
    if spec == "fernet":
        # A Fernet key is 32 random bytes, URL-safe base64 (what Airflow's FERNET_KEY wants).
        return base64.urlsafe_b64encode(random.token_bytes(32)).decode("ascii")
    if match.group(2):
        return random.token_hex(int(match.group(2)))
    return "".join(random.choice(_PASSWORD_ALPHABET) for _ in range(int(match.group(3))))


class SeedStore(Protocol):
    """What seeding needs of a store (SecretsManagerStore fits)."""

    def read(self, name: str) -> dict[str, str] | None: ...

    def put(
        self, name: str, fields: Mapping[str, str], *, description: str | None = None
    ) -> Literal["created", "updated", "unchanged", "restored"]: ...


def plan_fields(
    spec: Mapping[str, FieldSpec],
    current: Mapping[str, str] | None,
    environ: Mapping[str, str],
    *,
    override_prefix: str = "OVERRIDE_",
) -> dict[str, str]:
    """The fields one secret should hold: overrides, then kept generated values, then literals."""
    planned: dict[str, str] = {}
    for field, value in spec.items():
        override = environ.get(override_prefix + field)
        if override is not None:
            planned[field] = override
        elif isinstance(value, Generate):
            kept = (current or {}).get(field)
            planned[field] = kept if kept else generate_value(value.spec)
        else:
            planned[field] = value
    return planned


def apply_seed(
    spec: SeedSpec,
    store: SeedStore,
    environ: Mapping[str, str],
    *,
    override_prefix: str = "OVERRIDE_",
) -> dict[str, str]:
    """Create or update every secret of `spec`; return name -> what happened.

    Raises:
        SourceError: the store could not be read or written; names the secret.
    """
    outcome: dict[str, str] = {}
    for name, fields in spec.secrets.items():
        current = store.read(name)
        planned = plan_fields(fields, current, environ, override_prefix=override_prefix)
        overridden = sorted(f for f in fields if override_prefix + f in environ)
        result = store.put(name, planned)
        outcome[name] = result
        extra = f" (overridden: {', '.join(overridden)})" if overridden else ""
        log.info("seed %s: %s, %d field(s)%s", name, result, len(planned), extra)
    return outcome


# The seed operation (`rideinfra seed`): which store, and seeding it with a report.

if TYPE_CHECKING:
    from rideinfra.profiles import Config
    from rideinfra.secrets import SecretsManagerSource

__all__ += ["seed_secrets", "seed_source"]


def seed_source(
    config: Config | None,
    environ: Mapping[str, str],
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> SecretsManagerSource:
    """The Secrets Manager a seed writes to.

    Args:
        config: the loaded config, if any; its `aws-secretsmanager` source
            gives the region and endpoint not passed here.
        environ: the environment (AWS_ENDPOINT_URL, AWS_DEFAULT_REGION, credentials).
        region: wins over the config's.
        endpoint_url: wins over the config's.
    """
    from rideinfra.profiles import AwsSourceConfig
    from rideinfra.secrets import SecretsManagerSource

    if config is not None and isinstance(config.source, AwsSourceConfig):
        region = region or config.source.region
        endpoint_url = endpoint_url or config.source.endpoint_url
    return SecretsManagerSource(region=region, endpoint_url=endpoint_url, environ=environ)


def seed_secrets(
    spec: SeedSpec, source: SecretsManagerSource, environ: Mapping[str, str]
) -> dict[str, str]:
    """Seed: create or update every secret of `spec` in `source`; return name -> what happened.

    Args:
        spec: the parsed seed file (`load_seed_spec`).
        source: the store written to (`seed_source`).
        environ: where `OVERRIDE_<FIELD>` values are looked up.

    Raises:
        SourceError: the store could not be read or written; names the secret.
    """
    from rideinfra.secrets import SecretsManagerStore

    log.info(
        "seeding %d secret(s) from %s into %s, region %s",
        len(spec.secrets),
        spec.path,
        source.endpoint_url or "AWS",
        source.region,
    )
    outcome = apply_seed(spec, SecretsManagerStore(source), environ)
    counts = {
        state: sum(1 for s in outcome.values() if s == state) for state in set(outcome.values())
    }
    log.info("seeded: %s", ", ".join(f"{n} {state}" for state, n in sorted(counts.items())))
    return outcome
