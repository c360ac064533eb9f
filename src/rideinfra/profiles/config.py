"""rideinfra.yaml (version 1): its one declaration, and loading it into `Config`.

Every key is declared once below, as `rideinfra.profiles._declare` nodes:
its type, default, checks, message and description. The same declaration
builds the `Config` for a valid file, explains a refusal (file, dotted path,
line, what is wrong, the valid choices, the closest name) and gives the JSON
Schema. Adding a key is one `Field` here plus its test.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from yaml.nodes import ScalarNode

from rideinfra._record import replace
from rideinfra.errors import ConfigError
from rideinfra.profiles import model
from rideinfra.profiles._declare import (
    INVALID,
    Bool,
    Const,
    Deferred,
    Enum,
    Field,
    Int,
    Invalid,
    ListOf,
    MapOf,
    Number,
    Optional,
    Reading,
    Shorthand,
    Str,
    Struct,
    Union,
    did_you_mean,
    kind_of,
    read,
    refusal,
)
from rideinfra.profiles._read import read_yaml_file
from rideinfra.profiles._transform_spec import TEMPLATE_MAP, TRANSFORM_NAMES, TRANSFORMS_NODE
from rideinfra.profiles.file_mode import FILE_MODE_PATTERN, file_mode_problem, parse_file_mode
from rideinfra.profiles.interval import MAX_INTERVAL, parse_interval
from rideinfra.profiles.model import OUTPUT_FORMATS, Config, SecretConfig
from rideinfra.secrets._yaml import YamlDocument
from rideinfra.secrets.model import ParseOptions
from rideinfra.secrets.transforms import Pipeline, is_env_name

__all__ = ["TRANSFORM_NAMES", "config_json_schema", "load_config", "parse_config"]

PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

# --- checks and converters ------------------------------------------------------------------


def _endpoint_url(url: str) -> str:
    # The messages never quote the URL (it may hold a password); the reader prefixes the
    # key it came from (source.endpoint_url, source.address).
    try:
        parts = urlsplit(url)
    except ValueError:  # "Invalid IPv6 URL"
        raise Invalid(
            "the URL has a host in [ ] that is not closed; write an IPv6 address "
            "like http://[::1]:4566"
        ) from None
    if parts.scheme not in ("http", "https"):
        raise Invalid("the URL must start with http:// or https://")
    if "@" in parts.netloc:
        raise Invalid(
            "the URL holds a user name or password (user:password@ before the host), "
            "which is refused: the store authenticates by signature or token, and the URL is "
            "printed in logs; remove it"
        )
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise Invalid("the URL has a port that is not a number from 0 to 65535") from None
    if not parts.hostname:
        raise Invalid("the URL names no host; write it like http://127.0.0.1:4566")
    return url


def _profile_name(name: str) -> str:
    if not PROFILE_NAME.fullmatch(name):
        raise Invalid(
            f"profile name {name!r} is also a file name: use letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    return name


def _variable_names(names: list[str]) -> tuple[str, ...]:
    problems = []
    for i, name in enumerate(names):
        if not is_env_name(name):
            problems.append(((i,), f"{name!r} is not a valid variable name"))
        elif name in names[:i]:
            problems.append(((i,), f"{name} is listed twice"))
    if problems:
        (at, message), *more = problems
        raise Invalid(message, at=at, more=more)
    return tuple(names)


class _FileMode:
    """`output.file_mode`: an octal string (or YAML octal number) that passes the one rule."""

    def read(self, value: Any, at: tuple[str | int, ...], reading: Reading) -> Any:
        written = reading.doc.node_at(at) if reading.doc is not None else None
        if (
            isinstance(written, ScalarNode)
            and written.tag.endswith(":int")
            and not written.value.startswith("0")
        ):
            # YAML reads `file_mode: 600` as decimal 600, which is not the 0600 meant.
            digits = written.value
            meant = f"'0{digits}'" if set(digits) <= set("01234567") else "like '0600'"
            return reading.refuse(
                at,
                f"file_mode {digits} is a decimal number in YAML; write the octal "
                f"mode as a string: {meant}",
            )
        try:
            mode = parse_file_mode(value)
        except ValueError as exc:
            return reading.refuse(at, str(exc))
        problem = file_mode_problem(mode)
        return mode if problem is None else reading.refuse(at, problem)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {
            "anyOf": [{"type": "integer"}, {"type": "string", "pattern": FILE_MODE_PATTERN}],
            "description": "mode of written files, an octal string like '0600'",
        }


class _Interval:
    """`output.refresh_interval`: seconds, or a number with an s/m/h suffix (`parse_interval`)."""

    def read(self, value: Any, at: tuple[str | int, ...], reading: Reading) -> Any:
        try:
            return parse_interval(value)
        except ValueError as exc:
            return reading.refuse(at, str(exc))

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {
            "anyOf": [
                {"exclusiveMinimum": 0, "maximum": MAX_INTERVAL, "type": "number"},
                {"type": "string", "pattern": r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*[smh]?$"},
            ]
        }


# --- sources --------------------------------------------------------------------------------

_PATH = Str(min_length=1)
_SECONDS = Optional(Number(gt=0, le=300, unit=" seconds"))

_AWS = Struct(
    {
        "type": Field(
            Const("aws-secretsmanager"), description="AWS Secrets Manager (or LocalStack)"
        ),
        "region": Field(
            Optional(Str()),
            default=None,
            description="else AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1",
        ),
        "endpoint_url": Field(
            Optional(Str(convert=_endpoint_url)),
            default=None,
            description="else AWS_ENDPOINT_URL (LocalStack, moto); unset: real AWS",
        ),
        "retry_mode": Field(
            Optional(Enum(("standard", "adaptive"))),
            default=None,
            description="botocore retry mode (default standard)",
        ),
        "max_attempts": Field(
            Optional(Int(ge=1, le=20)),
            default=None,
            description="attempts per request, first included (default 5)",
        ),
        "max_concurrency": Field(
            Optional(Int(ge=1, le=64)),
            default=None,
            description="batch requests in flight at once (default 50)",
        ),
        "connect_timeout": Field(
            _SECONDS, default=None, description="seconds to wait for a connection (default 5)"
        ),
        "read_timeout": Field(
            _SECONDS, default=None, description="seconds to wait for an answer (default 10)"
        ),
        "deadline": Field(
            Optional(Number(gt=0, le=3600, unit=" seconds")),
            default=None,
            description="seconds one whole fetch may take, retries included (default 120)",
        ),
    },
    build=lambda f, _: model.AwsSourceConfig(
        region=f["region"],
        endpoint_url=f["endpoint_url"],
        retry_mode=f["retry_mode"],
        max_attempts=f["max_attempts"],
        max_concurrency=f["max_concurrency"],
        connect_timeout=f["connect_timeout"],
        read_timeout=f["read_timeout"],
        deadline=f["deadline"],
    ),
    title="aws-secretsmanager source",
    ref="_AwsSource",
)
_FILE = Struct(
    {
        "type": Field(Const("file"), description="one JSON, YAML or dotenv file"),
        "path": Field(_PATH, description="relative to the config file's directory"),
        "name": Field(
            Optional(Str(min_length=1)),
            default=None,
            description="for a dotenv file: the one secret's name",
        ),
    },
    build=lambda f, r: model.FileSourceConfig(r.path(f["path"], at=("path",)), f["name"]),
    title="file source",
    ref="_FileSource",
)
_DIRECTORY = Struct(
    {
        "type": Field(Const("directory"), description="<dir>/<secret>/<field> files (k8s, Docker)"),
        "path": Field(_PATH, description="relative to the config file's directory"),
    },
    build=lambda f, r: model.DirectorySourceConfig(r.path(f["path"], at=("path",))),
    title="directory source",
    ref="_DirectorySource",
)
_ENV = Struct(
    {
        "type": Field(Const("env"), description="secrets as JSON in environment variables"),
        "prefix": Field(
            Optional(Str()), default=None, description="variable prefix (default RIDEINFRA_SECRET_)"
        ),
    },
    build=lambda f, _: model.EnvSourceConfig(f["prefix"]),
    title="env source",
    ref="_EnvSource",
)
_CHAIN = Struct(
    {
        "type": Field(Const("chain"), description="first source that has the secret wins"),
        "sources": Field(
            ListOf(Deferred(lambda: SOURCE), min_items=1), description="sources, in order"
        ),
    },
    build=lambda f, _: model.ChainSourceConfig(tuple(f["sources"])),
    title="chain source",
    ref="_ChainSource",
)
# Parameter Store takes the AWS options of `aws-secretsmanager`, declared once above.
_AWS_OPTIONS = {key: field for key, field in _AWS.fields.items() if key != "type"}
_SSM = Struct(
    {
        "type": Field(Const("aws-ssm"), description="AWS Systems Manager Parameter Store"),
        **_AWS_OPTIONS,
        "max_concurrency": Field(
            Optional(Int(ge=1, le=64)),
            default=None,
            description="GetParameters requests in flight at once (default 10)",
        ),
        "prefix": Field(
            Str(), default="", description="put before each secret name: `/` for team/app names"
        ),
        "recursive": Field(
            Bool(), default=False, description="names ending in / read the whole subtree"
        ),
    },
    build=lambda f, _: model.SsmSourceConfig(**{k: v for k, v in f.items() if k != "type"}),
    title="aws-ssm source",
    ref="_SsmSource",
)
_VAULT = Struct(
    {
        "type": Field(Const("vault"), description="HashiCorp Vault or OpenBao, KV version 2"),
        "address": Field(
            Optional(Str(convert=_endpoint_url)), default=None, description="else VAULT_ADDR"
        ),
        "mount": Field(Str(min_length=1), default="secret", description="the KV v2 mount"),
        "namespace": Field(Optional(Str()), default=None, description="else VAULT_NAMESPACE"),
        "auth": Field(
            Enum(("token", "approle")),
            default="token",
            description="token: VAULT_TOKEN; approle: role_id and VAULT_SECRET_ID",
        ),
        "role_id": Field(Optional(Str()), default=None, description="else VAULT_ROLE_ID"),
        "approle_mount": Field(Str(min_length=1), default="approle", description="AppRole path"),
        "versions": Field(
            MapOf(Int(ge=1, le=2**31)), default={}, description="secret -> KV version to read"
        ),
        "max_concurrency": Field(
            Optional(Int(ge=1, le=64)), default=None, description="requests at once (default 16)"
        ),
        "timeout": Field(_SECONDS, default=None, description="seconds per request (default 10)"),
    },
    build=lambda f, _: model.VaultSourceConfig(**{k: v for k, v in f.items() if k != "type"}),
    title="vault source",
    ref="_VaultSource",
)
SOURCE: Union = Union((_AWS, _SSM, _VAULT, _FILE, _DIRECTORY, _ENV, _CHAIN), what="source")

# --- secrets, profiles, output --------------------------------------------------------------


def _secret(f: dict[str, Any], _: Reading) -> SecretConfig:
    if f["version_stage"] is not None and f["version_id"] is not None:
        raise Invalid("give version_stage or version_id, not both", at=("version_id",))
    # The name is set by `_config`, which knows the key.
    return SecretConfig(
        "",
        Pipeline(*f["transforms"]),
        version_stage=f["version_stage"],
        version_id=f["version_id"],
        version=f["version"],
        parse=_parse_options(f["plain"], f["binary"]),
    )


def _parse_options(plain: str | None, binary: tuple[str, str] | None) -> ParseOptions | None:
    """`plain:` and `binary:` as the sources' ParseOptions (None when neither is set)."""
    if plain is None and binary is None:
        return None
    field, encoding = binary if binary is not None else (None, "base64")
    return ParseOptions(plain, field, encoding, plain_always=plain is not None)  # type: ignore[arg-type]


_BINARY = Struct(
    {
        "field": Field(Str(min_length=1), description="the one field the bytes become"),
        "encoding": Field(
            Enum(("base64", "utf-8")),
            default="base64",
            description="base64: the field is the bytes' base64 text; utf-8: the bytes as "
            "text (refused if not UTF-8)",
        ),
    },
    build=lambda f, _: (f["field"], f["encoding"]),
    title="a SecretBinary as one field",
    ref="_Binary",
)
_SECRET = Struct(
    {
        "transforms": Field(
            TRANSFORMS_NODE, default=[], description="applied wherever the secret is used"
        ),
        "version_stage": Field(
            Optional(Str(min_length=1)),
            default=None,
            description="staging label to read, e.g. AWSPREVIOUS (default AWSCURRENT)",
        ),
        "version_id": Field(
            Optional(Str(min_length=1)), default=None, description="one version to read"
        ),
        "version": Field(
            Optional(Int(ge=1, le=2**31)),
            default=None,
            description="vault: the KV v2 version to read (default: the latest)",
        ),
        "plain": Field(
            Optional(Str(min_length=1)),
            default=None,
            description="the whole SecretString is this one field (even a JSON object)",
        ),
        "binary": Field(
            Optional(_BINARY),
            default=None,
            description="a SecretBinary becomes one field: {field: NAME, encoding: base64 "
            "(default) or utf-8}",
        ),
    },
    build=_secret,
    title="what is bound to a secret",
    ref="_Secret",
)
_SECRET_REF = Struct(
    {
        "name": Field(Str(min_length=1), description="the secret's name in the store"),
        "transforms": Field(
            TRANSFORMS_NODE,
            default=[],
            description="applied after the secret-bound ones, for this use only",
        ),
    },
    build=lambda f, _: model.SecretRef(f["name"], Pipeline(*f["transforms"])),
    title="a secret used by a profile",
    ref="_SecretRef",
)
_PROFILE = Struct(
    {
        "secrets": Field(
            ListOf(Shorthand(_SECRET_REF, key="name"), min_items=1),
            description="names, or {name, transforms}; merged in this order",
        ),
        "keys": Field(
            Optional(ListOf(Str(), min_items=1, convert=_variable_names)),
            default=None,
            description="allow-list of variables to keep",
        ),
        "template": Field(
            Optional(TEMPLATE_MAP),
            default=None,
            description="VARIABLE: text with {VARIABLE} placeholders, after the merge (config.md)",
        ),
    },
    build=lambda f, _: (tuple(f["secrets"]), f["keys"], f["template"]),
    title="profile",
    ref="_Profile",
)
_OUTPUT = Struct(
    {
        "dir": Field(
            Optional(Str(min_length=1)),
            default=None,
            description="after --out and SECRETS_OUTPUT_DIR; else /secrets",
        ),
        "format": Field(
            Enum(OUTPUT_FORMATS), default="env", description="file format (see formats.md)"
        ),
        "file_mode": Field(_FileMode(), default=0o600),
        "refresh_interval": Field(
            Optional(_Interval()),
            default=None,
            description="seconds (or 60s, 5m, 1h) between `watch` polls and ESO refreshes "
            "(default 60s for watch, 1h for ESO)",
        ),
    },
    build=lambda f, r: model.OutputConfig(
        r.path(f["dir"], at=("dir",)) if f["dir"] else None,
        f["format"],
        f["file_mode"],
        f["refresh_interval"],
    ),
    title="output",
    ref="_Output",
)


def _template(templates: dict[str, str] | None) -> Any:
    if not templates:
        return None
    from rideinfra.secrets.transforms import Template  # only a config with templates loads it

    return Template(templates)


def _config(f: dict[str, Any], reading: Reading) -> Config:
    profiles = {
        name: model.Profile(name, refs, keys, _template(template))
        for name, (refs, keys, template) in f["profiles"].items()
    }
    used = sorted({ref.name for p in profiles.values() for ref in p.secrets})
    unused = [
        (
            ("secrets", name),
            f"secret {name!r} is configured but no profile uses it{did_you_mean(name, used)} "
            "(a misspelt name here would silently skip what is set for it)",
        )
        for name in f["secrets"]
        if name not in used
    ]
    if unused:
        (at, message), *more = unused
        raise Invalid(message, at=at, more=more)
    secrets = {name: replace(s, name=name) for name, s in f["secrets"].items()}
    return Config(
        source=_pinned(f["source"], secrets),
        secrets=secrets,
        profiles=profiles,
        output=f["output"],
        seed=reading.path(f["seed"], at=("seed",)) if f["seed"] else None,
        path=None,
        version=f["version"],
    )


def _pinned(source: Any, secrets: dict[str, SecretConfig]) -> Any:
    """The source with the secrets' own versions, so every command built from it reads them.

    Secrets Manager keeps stages and ids (`version_stage`, `version_id`); Vault's
    KV v2 numbers its versions (`version`). Asking a store for what it does not
    keep is refused, naming the secret and the key.
    """
    stages = {
        name: (s.version_stage, s.version_id)
        for name, s in secrets.items()
        if s.version_stage is not None or s.version_id is not None
    }
    numbers = {name: s.version for name, s in secrets.items() if s.version is not None}
    if isinstance(source, model.ChainSourceConfig):
        kinds = _store_types(source)
        if "aws-secretsmanager" not in kinds:
            _refuse(stages, "version_stage", "aws-secretsmanager")
        if "vault" not in kinds:
            _refuse(numbers, "version", "vault")
        parts = tuple(_pinned(part, _keeping(secrets, part)) for part in source.sources)
        return replace(source, sources=parts) if stages or numbers else source
    if isinstance(source, model.AwsSourceConfig):
        _refuse(numbers, "version", "vault")
        return replace(source, versions=stages) if stages else source
    if isinstance(source, model.VaultSourceConfig):
        _refuse(stages, "version_stage", "aws-secretsmanager")
        return replace(source, versions={**source.versions, **numbers}) if numbers else source
    _refuse(stages, "version_stage", "aws-secretsmanager")
    _refuse(numbers, "version", "vault")
    return source


def _store_types(source: Any) -> set[str]:
    if isinstance(source, model.ChainSourceConfig):
        return set().union(*(_store_types(part) for part in source.sources))
    return {source.type}


def _keeping(secrets: dict[str, SecretConfig], part: Any) -> dict[str, SecretConfig]:
    """In a chain, each store's pins go to the stores that keep that kind of version."""
    if isinstance(part, model.AwsSourceConfig):
        return {n: replace(s, version=None) for n, s in secrets.items()}
    if isinstance(part, model.VaultSourceConfig):
        return {n: replace(s, version_stage=None, version_id=None) for n, s in secrets.items()}
    if isinstance(part, model.ChainSourceConfig):
        return secrets
    return {
        n: replace(s, version=None, version_stage=None, version_id=None) for n, s in secrets.items()
    }


def _refuse(pins: Mapping[str, Any], key: str, store: str) -> None:
    if not pins:
        return
    name = next(iter(pins))
    if key == "version_stage" and pins[name][0] is None:
        key = "version_id"
    raise Invalid(
        f"secret {name!r} asks for a {key}, which only a {store} source keeps; remove it "
        "or change the source",
        at=("secrets", name, key),
    )


CONFIG = Struct(
    {
        "version": Field(
            Const(1, message="unsupported version {value}; this rideinfra reads `version: 1`"),
            description="the config format version",
            gate=True,
        ),
        "source": Field(
            SOURCE,
            default={"type": "aws-secretsmanager"},
            show_default=False,
            description="where secrets are read (default aws-secretsmanager)",
        ),
        "secrets": Field(
            MapOf(_SECRET),
            default={},
            description="what is bound to a secret (transforms, plain, binary), by name",
        ),
        "profiles": Field(
            MapOf(_PROFILE, key=Str(convert=_profile_name), min_items=1),
            description="profile name -> its secrets; one output file each",
        ),
        "output": Field(_OUTPUT, default={}, description="where and how files are written"),
        "seed": Field(
            Optional(Str(min_length=1)),
            default=None,
            description="seed file for `rideinfra seed`, relative",
        ),
    },
    build=_config,
    title="rideinfra.yaml",
    description="rideinfra.yaml, version 1.",
)

# --- loading --------------------------------------------------------------------------------


def parse_config(
    data: Any,
    *,
    file: str = "<config>",
    base_dir: Path | None = None,
    document: YamlDocument | None = None,
) -> Config:
    """Validate already-parsed config data (a dict, as from YAML) into a `Config`.

    Args:
        data: the parsed file.
        file: the name errors use.
        base_dir: what relative paths are relative to (default: the working directory).
        document: the YAML nodes, so errors can name lines (and the Config its file).

    Raises:
        ConfigError: the data is not a valid version 1 config.
    """
    if data is None:
        raise ConfigError("the config is empty; it starts with `version: 1`", file=file)
    if not isinstance(data, dict):
        raise ConfigError(f"the config must be a mapping of keys, not {kind_of(data)}", file=file)
    reading = Reading((base_dir or Path.cwd()).absolute(), document)
    config: Config = read(CONFIG, data, reading)
    if config is INVALID:
        raise refusal(reading.problems, file, document)
    # The Config names its file only when it came from one (load_config passes the nodes).
    return config if document is None else replace(config, path=Path(file))


def load_config(path: str | Path) -> Config:
    """Load and validate a rideinfra.yaml file.

    Relative paths in it (source paths, output dir, seed) are relative to the
    file's directory.

    Raises:
        ConfigError: the file is missing, too large, bad YAML, or not a valid
            version 1 config; the message names the file, path and line.
    """
    path = Path(path)
    doc = read_yaml_file(path)
    return parse_config(doc.data, file=str(path), base_dir=path.parent, document=doc)


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema of rideinfra.yaml version 1, for editors and CI checks."""
    defs: dict[str, Any] = {}
    schema = CONFIG.schema(defs)
    return {
        "$defs": dict(sorted(defs.items())),
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
    }
