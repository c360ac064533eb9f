"""Seed files (`rideinfra seed`): their one declaration, and loading them into `SeedSpec`.

A seed file (YAML):

    version: 1
    secrets:
      rideshare/redis:
        REDIS_PASSWORD: redis-dev-pass          # a literal value
      rideshare/airflow:
        FERNET_KEY: {generate: fernet}          # made once, kept on reruns
        JWT_SECRET: {generate: "hex:32"}        # 32 random bytes as 64 hex digits
        ADMIN_PASSWORD: {generate: "password:24"}
      webapp/stripe: sk_test_example            # a string, not a mapping: a plain SecretString

Read by the same declarative reader as rideinfra.yaml (`_declare`), so a
refusal names the file, the path (`secrets.app/db.PASSWORD`) and the line.
The values are secrets: no message here shows one, only names and kinds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rideinfra._record import Record
from rideinfra.errors import ConfigError
from rideinfra.profiles._declare import (
    INVALID,
    Const,
    Field,
    Invalid,
    Location,
    MapOf,
    Reading,
    Str,
    Struct,
    kind_of,
    read,
    refusal,
)
from rideinfra.profiles._read import read_yaml_file

__all__ = [
    "GENERATE_MAX",
    "GENERATE_MIN",
    "GENERATE_SPEC",
    "FieldSpec",
    "Generate",
    "SecretSpec",
    "SeedSpec",
    "load_seed_spec",
]

#: `fernet`, `hex:N` (N random bytes) or `password:N` (N letters and digits).
GENERATE_SPEC = re.compile(r"^(fernet|hex:(\d+)|password:(\d+))$")
# Bounds that keep a generated value useful and inside Secrets Manager's 64 KiB.
GENERATE_MIN, GENERATE_MAX = 8, 4096


class Generate(Record):
    """A field whose value is generated once: `fernet`, `hex:N` or `password:N`."""

    __slots__ = ("spec",)
    spec: str

    def __init__(self, spec: str) -> None:
        self._init(spec=spec)

    def __repr__(self) -> str:
        return f"Generate({self.spec!r})"


FieldSpec = str | Generate
#: One secret of a seed file: its fields, or (a string) the whole plain SecretString.
SecretSpec = Mapping[str, FieldSpec] | str


class SeedSpec(Record):
    """The parsed seed file: secret name -> fields (field -> literal or Generate), or a string.

    A string is a plain secret: stored as that SecretString, not a JSON object
    (read with `plain:` in rideinfra.yaml).
    """

    __slots__ = ("path", "secrets")
    path: str
    secrets: Mapping[str, SecretSpec]

    def __init__(self, path: str, secrets: Mapping[str, SecretSpec]) -> None:
        self._init(path=path, secrets=secrets)

    def __repr__(self) -> str:
        return f"SeedSpec(path={self.path!r}, secrets={list(self.secrets)})"


def _generate(spec: object) -> Generate:
    match = GENERATE_SPEC.match(spec) if isinstance(spec, str) else None
    if not match:
        raise Invalid("generate must be fernet, hex:N or password:N")
    size = int(match.group(2) or match.group(3) or 32)
    if not GENERATE_MIN <= size <= GENERATE_MAX:
        raise Invalid(f"generate size must be between {GENERATE_MIN} and {GENERATE_MAX}")
    assert isinstance(spec, str)  # noqa: S101 - matched above
    return Generate(spec)


def _secret_name(name: str) -> str:
    if not name:
        raise Invalid("a secret name must not be empty; write the name the store has it by")
    return name


class _FieldValue:
    """A field: a literal (text; numbers and booleans as their JSON text) or `{generate: ...}`."""

    def read(self, value: Any, at: Location, reading: Reading) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, bool | int | float):
            return json.dumps(value)
        if isinstance(value, dict) and set(value) == {"generate"}:
            try:
                return _generate(value["generate"])
            except Invalid as exc:
                return reading.refuse(at, str(exc))
        return reading.refuse(
            at, "a field is a string or {generate: fernet|hex:N|password:N}, not " + kind_of(value)
        )

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        generate = {"type": "string", "pattern": GENERATE_SPEC.pattern}
        return {
            "anyOf": [
                {"type": ["string", "number", "boolean"]},
                {
                    "type": "object",
                    "properties": {"generate": generate},
                    "required": ["generate"],
                    "additionalProperties": False,
                },
            ]
        }


_FIELD_NAME = Str(expected="a field name (text; quote it)")
_FIELDS = MapOf(
    _FieldValue(),
    key=_FIELD_NAME,
    min_items=1,
    expected="a mapping of field names to values",
)


class _SecretValue:
    """A secret: a mapping of fields, or a string (numbers as their JSON text): a plain secret."""

    def read(self, value: Any, at: Location, reading: Reading) -> Any:
        if isinstance(value, bool | int | float):
            value = json.dumps(value)
        if isinstance(value, str):
            # Secrets Manager refuses an empty SecretString, and so does every reader.
            return value if value else reading.refuse(at, "a plain secret must not be empty")
        if isinstance(value, dict):
            return _FIELDS.read(value, at, reading)
        return reading.refuse(
            at,
            "a secret is a mapping of field names to values, or a string (a plain "
            "secret), not " + kind_of(value),
        )

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {
            "anyOf": [
                {"type": ["string", "number", "boolean"], "minLength": 1},
                _FIELDS.schema(defs),
            ]
        }


SEED = Struct(
    {
        "version": Field(Const(1, message="version must be 1, not {value}"), gate=True),
        "secrets": Field(
            MapOf(
                _SecretValue(),
                # An empty name reached the store, which refused it (exit 1); a name
                # is the config's to get right.
                key=Str(convert=_secret_name, expected="a secret name (text; quote it)"),
                min_items=1,
                expected="a mapping of secret names to their fields",
            )
        ),
    },
    build=lambda f, _: f["secrets"],
    title="seed file",
    description="rideinfra seed file, version 1.",
)


def load_seed_spec(path: str | Path) -> SeedSpec:
    """Read and validate a seed file.

    Raises:
        ConfigError: the file is missing, not YAML, or not in the shape above;
            the message names the file, the path inside it and the line.
    """
    file = str(path)
    doc = read_yaml_file(Path(path), what="seed")
    if not isinstance(doc.data, dict):
        raise ConfigError("a seed file is a mapping with version and secrets", file=file)
    reading = Reading(Path(path).absolute().parent, doc)
    secrets = read(SEED, doc.data, reading)
    if secrets is INVALID:
        raise refusal(reading.problems, file, doc)
    return SeedSpec(file, secrets)
