"""Seed files: the secrets a store should hold, with literal or generated values.

The seed file's format and its reader are in `rideinfra.profiles.seedfile`.

Seeding is idempotent: a secret whose fields already equal the plan gets no
new version; a generated field that already exists in the store keeps its
stored value. `OVERRIDE_<FIELD>` in the environment replaces that field's
value in every secret that has it (the platform's existing convention); a
plain secret has no fields, so no override applies to it. A secret whose
shape changes (the store holds a plain string and the seed file gives fields,
or the other way) gets a new version in the new shape, with a WARNING naming
it: its readers' rideinfra.yaml must say `plain:` exactly when it is plain.
"""

from __future__ import annotations

import base64
import logging
import secrets
import string
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

# The seed file's reading and checks live with rideinfra.yaml's, in one declarative reader.
from rideinfra.profiles.seedfile import (
    GENERATE_SPEC as _GENERATE,
)
from rideinfra.profiles.seedfile import (
    FieldSpec,
    Generate,
    SecretSpec,
    SeedSpec,
    load_seed_spec,
)
from rideinfra.secrets.model import is_json_object

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
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
    if match.group(2):
        return secrets.token_hex(int(match.group(2)))
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(int(match.group(3))))


class SeedStore(Protocol):
    """What seeding needs of a store (SecretsManagerStore fits).

    `read` gives a secret's fields, or its SecretString when that is not a
    JSON object (a plain secret), or None when absent; `put` takes either.
    """

    def read(self, name: str) -> dict[str, str] | str | None: ...

    def put(
        self, name: str, fields: Mapping[str, str] | str, *, description: str | None = None
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
        planned: dict[str, str] | str
        if isinstance(fields, str):
            planned, overridden = fields, []
        else:
            kept = current if isinstance(current, dict) else None
            planned = plan_fields(fields, kept, environ, override_prefix=override_prefix)
            overridden = sorted(f for f in fields if override_prefix + f in environ)
        if current is not None and _shape(current) != _shape(planned):
            log.warning(
                "seed %s: the store holds a %s, the seed file gives a %s: writing a new "
                "version as a %s (readers' rideinfra.yaml: `plain:` exactly when plain)",
                name,
                _shape(current),
                _shape(planned),
                _shape(planned),
            )
        result = store.put(name, planned)
        outcome[name] = result
        extra = f" (overridden: {', '.join(overridden)})" if overridden else ""
        size = "plain" if isinstance(planned, str) else f"{len(planned)} field(s)"
        log.info("seed %s: %s, %s%s", name, result, size, extra)
    return outcome


def _shape(value: SecretSpec | dict[str, str]) -> str:
    # Text that is a JSON object reads as fields wherever it is stored: that is its shape.
    plain = isinstance(value, str) and not is_json_object(value)
    return "plain string" if plain else "JSON object of fields"


# The seed operation (`rideinfra seed`): which store, and seeding it with a report.

if TYPE_CHECKING:
    from rideinfra.profiles import Config, SourceConfig
    from rideinfra.secrets import ParameterStoreSource, SecretsManagerSource, VaultSource

    #: A store `rideinfra seed` can write to.
    SeedTarget = SecretsManagerSource | ParameterStoreSource | VaultSource

__all__ += ["seed_secrets", "seed_source"]

#: Source types that are also stores seeding can write to.
_STORES = ("aws-secretsmanager", "aws-ssm", "vault")


def _store_config(config: Config | None) -> SourceConfig | None:
    """The config's store: its source, or the first store of a chain; None for no store."""
    from rideinfra.profiles import ChainSourceConfig

    spec: SourceConfig | None = config.source if config is not None else None
    if isinstance(spec, ChainSourceConfig):
        stores = [part for part in spec.sources if part.type in _STORES]
        return stores[0] if stores else None
    return spec if spec is not None and spec.type in _STORES else None


def seed_source(
    config: Config | None,
    environ: Mapping[str, str],
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> SeedTarget:
    """The store a seed writes to: the config's source (Secrets Manager, Parameter Store or
    Vault; in a chain, its first such source), else Secrets Manager.

    Args:
        config: the loaded config, if any.
        environ: the environment (AWS_ENDPOINT_URL, AWS_DEFAULT_REGION, VAULT_ADDR, credentials).
        region: wins over the config's (AWS stores).
        endpoint_url: wins over the config's (AWS stores).

    Raises:
        ConfigError: the store's settings are malformed.
    """
    from rideinfra._record import replace
    from rideinfra.operations.setup import build_source
    from rideinfra.profiles import AwsSourceConfig

    spec = _store_config(config) or AwsSourceConfig()
    if spec.type != "vault":
        aws: Any = spec
        spec = replace(
            aws, region=region or aws.region, endpoint_url=endpoint_url or aws.endpoint_url
        )
    return cast("SeedTarget", build_source(spec, environ))


def seed_secrets(spec: SeedSpec, source: SeedTarget, environ: Mapping[str, str]) -> dict[str, str]:
    """Seed: create or update every secret of `spec` in `source`; return name -> what happened.

    Args:
        spec: the parsed seed file (`load_seed_spec`).
        source: the store written to (`seed_source`).
        environ: where `OVERRIDE_<FIELD>` values are looked up.

    Raises:
        SourceError: the store could not be read or written; names the secret.
    """
    from rideinfra.secrets import (
        ParameterStoreSource,
        ParameterStoreStore,
        SecretsManagerStore,
        VaultSource,
        VaultStore,
    )

    store: SeedStore
    if isinstance(source, ParameterStoreSource):
        store, where = (
            ParameterStoreStore(source),
            f"Parameter Store at {source.endpoint_url or 'AWS'}, region {source.region}",
        )
    elif isinstance(source, VaultSource):
        store = VaultStore(source)
        where = f"Vault at {source.address}, mount {source.mount}"
    else:
        store = SecretsManagerStore(source)
        where = f"{source.endpoint_url or 'AWS'}, region {source.region}"
    log.info("seeding %d secret(s) from %s into %s", len(spec.secrets), spec.path, where)
    outcome = apply_seed(spec, store, environ)
    counts = {
        state: sum(1 for s in outcome.values() if s == state) for state in set(outcome.values())
    }
    log.info("seeded: %s", ", ".join(f"{n} {state}" for state, n in sorted(counts.items())))
    return outcome
