"""Why a rideinfra.yaml is not valid: the pydantic models and their messages.

``parse_config`` builds most configs with ``_fast.build``, which checks the
same rules but explains nothing. Whatever it declines comes here: pydantic
checks the shape and this module turns its errors into one
:class:`~rideinfra.errors.ConfigError` naming the file, the path inside it
(``profiles.monitoring.secrets[0].transforms[0]``), the line, what is wrong
and, for a misspelt name, the valid choices and the closest one. These models
are also the source of the JSON Schema (``rideinfra schema``).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import attrs
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from rideinfra.errors import ConfigError
from rideinfra.profiles._fast import PROFILE_NAME, config_path, parse_file_mode
from rideinfra.profiles._yaml import YamlDocument
from rideinfra.profiles.model import (
    AwsSourceConfig,
    ChainSourceConfig,
    Config,
    DirectorySourceConfig,
    EnvSourceConfig,
    FileSourceConfig,
    OutputConfig,
    Profile,
    SecretConfig,
    SecretRef,
    SourceConfig,
)
from rideinfra.secrets.transforms import (
    Airflow,
    Drop,
    Flatten,
    Keys,
    Pipeline,
    Prefix,
    Qualify,
    Rename,
    Sanitize,
    Transform,
    Uppercase,
    is_env_name,
)

__all__ = ["TRANSFORM_NAMES", "config_json_schema", "decimal_mode_error", "validate"]


def did_you_mean(word: object, choices: Sequence[str]) -> str:
    """``"; did you mean `x`?"`` for the closest choice, or ``""``."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def _custom(kind: str, message: str, **ctx: Any) -> PydanticCustomError:
    # The message travels in ctx so braces in it are not read as a template.
    return PydanticCustomError(kind, "{message}", {"message": message, **ctx})


class _Strict(BaseModel):
    """Base of the config models: frozen, strict types, unknown keys refused by name."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            valid = list(cls.model_fields)
            for key in data:
                if key not in cls.model_fields:
                    raise _custom(
                        "unknown_key",
                        f"unknown key `{key}` (valid keys here: {', '.join(valid)})"
                        + did_you_mean(key, valid),
                        key=key,
                    )
        return data


# --- transforms ---------------------------------------------------------------------------


class _AirflowArgs(_Strict):
    model_config = ConfigDict(title="airflow arguments")

    sections: dict[str, str]
    others_prefix: str | None = "AIRFLOW_"


class _FlattenArgs(_Strict):
    model_config = ConfigDict(title="flatten arguments")

    prefix: str | None = None
    sep: str = "__"
    uppercase: bool = True


@attrs.frozen
class _TransformSpec:
    args: TypeAdapter[Any] | None  # None: takes no arguments
    build: Callable[[Any], Transform]
    bare: bool  # may be written as just its name


def _no_args(factory: Callable[[], Transform]) -> _TransformSpec:
    return _TransformSpec(None, lambda _: factory(), bare=True)


_TRANSFORMS: dict[str, _TransformSpec] = {
    "airflow": _TransformSpec(
        TypeAdapter(_AirflowArgs), lambda a: Airflow(a.sections, a.others_prefix), bare=False
    ),
    "drop": _TransformSpec(TypeAdapter(list[str], config={"strict": True}), Drop, bare=False),
    "flatten": _TransformSpec(
        TypeAdapter(_FlattenArgs),
        lambda a: Flatten() if a is None else Flatten(a.prefix, a.sep, a.uppercase),
        bare=True,
    ),
    "keys": _TransformSpec(TypeAdapter(list[str], config={"strict": True}), Keys, bare=False),
    "prefix": _TransformSpec(TypeAdapter(str, config={"strict": True}), Prefix, bare=False),
    "qualify": _TransformSpec(TypeAdapter(str, config={"strict": True}), Qualify, bare=False),
    "rename": _TransformSpec(
        TypeAdapter(dict[str, str], config={"strict": True}), Rename, bare=False
    ),
    "sanitize": _no_args(Sanitize),
    "uppercase": _no_args(Uppercase),
}
TRANSFORM_NAMES = tuple(sorted(_TRANSFORMS))


def _kind(value: object) -> str:
    kinds = {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }
    if value is None:
        return "nothing (null)"
    return kinds.get(type(value), f"a {type(value).__name__}")


def _build_transform(item: Any) -> Transform:
    if isinstance(item, str):
        name, args, bare = item, None, True
    elif isinstance(item, dict) and len(item) == 1:
        ((name, args),) = item.items()
        bare = False
    else:
        raise _custom(
            "transform_shape",
            "a transform is one `name: arguments` pair (like `rename: {OLD: NEW}`) or a bare "
            f"name (like `uppercase`), not {_kind(item)}"
            + (f" with {len(item)} keys" if isinstance(item, dict) else ""),
        )
    spec = _TRANSFORMS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise _custom(
            "unknown_transform",
            f"unknown transform `{name}` (valid transforms: {', '.join(TRANSFORM_NAMES)})"
            + did_you_mean(name, TRANSFORM_NAMES),
        )
    if bare and not spec.bare:
        raise _custom("transform_args", f"`{name}` needs arguments: write `{name}: ...`")
    if spec.args is None:
        if args not in (None, {}):
            raise _custom("transform_args", f"`{name}` takes no arguments", sub=(name,))
        return spec.build(None)
    if args is None and spec.bare:
        return spec.build(None)  # `flatten` or `flatten: null`: the defaults
    try:
        parsed = spec.args.validate_python(args)
    except ValidationError as exc:
        first = exc.errors()[0]
        sub = (name, *first["loc"])
        if first["type"] == "unknown_key":
            sub = (*sub, first["ctx"]["key"])
        raise _custom("transform_args", f"`{name}`: {_message(first)}", sub=sub) from None
    try:
        return spec.build(parsed)
    except (ValueError, TypeError) as exc:
        raise _custom("transform_args", f"`{name}`: {exc}", sub=(name,)) from None


def _transform_schema() -> dict[str, Any]:
    options: list[dict[str, Any]] = [
        {"type": "string", "enum": [n for n in TRANSFORM_NAMES if _TRANSFORMS[n].bare]}
    ]
    for name in TRANSFORM_NAMES:
        spec = _TRANSFORMS[name]
        if spec.args is None:
            args: dict[str, Any] = {"type": ["object", "null"], "maxProperties": 0}
        elif spec.bare:
            args = {"anyOf": [spec.args.json_schema(), {"type": "null"}]}
        else:
            args = spec.args.json_schema()
        options.append(
            {
                "type": "object",
                "properties": {name: args},
                "required": [name],
                "additionalProperties": False,
            }
        )
    return {"oneOf": options, "description": "a transform: `name: arguments` or a bare name"}


_TransformItem = Annotated[
    Any, PlainValidator(_build_transform), WithJsonSchema(_transform_schema())
]

# --- sources ------------------------------------------------------------------------------


class _AwsSource(_Strict):
    model_config = ConfigDict(title="aws-secretsmanager source")

    type: Literal["aws-secretsmanager"] = Field(description="AWS Secrets Manager (or LocalStack)")
    region: str | None = Field(
        default=None, description="else AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1"
    )
    endpoint_url: str | None = Field(
        default=None, description="else AWS_ENDPOINT_URL (LocalStack, moto); unset: real AWS"
    )
    retry_mode: Literal["standard", "adaptive"] | None = Field(
        default=None, description="botocore retry mode (default standard)"
    )
    max_attempts: int | None = Field(
        default=None, ge=1, le=20, description="attempts per request, first included (default 5)"
    )
    max_concurrency: int | None = Field(
        default=None, ge=1, le=64, description="batch requests in flight at once (default 50)"
    )
    connect_timeout: float | None = Field(
        default=None, gt=0, le=300, description="seconds to wait for a connection (default 5)"
    )
    read_timeout: float | None = Field(
        default=None, gt=0, le=300, description="seconds to wait for an answer (default 10)"
    )

    @field_validator("endpoint_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise _custom("url", "endpoint_url must start with http:// or https://")
        return value


class _FileSource(_Strict):
    model_config = ConfigDict(title="file source")

    type: Literal["file"] = Field(description="one JSON, YAML or dotenv file")
    path: str = Field(min_length=1, description="relative to the config file's directory")
    name: str | None = Field(
        default=None, min_length=1, description="for a dotenv file: the one secret's name"
    )


class _DirectorySource(_Strict):
    model_config = ConfigDict(title="directory source")

    type: Literal["directory"] = Field(description="<dir>/<secret>/<field> files (k8s, Docker)")
    path: str = Field(min_length=1, description="relative to the config file's directory")


class _EnvSource(_Strict):
    model_config = ConfigDict(title="env source")

    type: Literal["env"] = Field(description="secrets as JSON in environment variables")
    prefix: str | None = Field(
        default=None, description="variable prefix (default RIDEINFRA_SECRET_)"
    )


class _ChainSource(_Strict):
    model_config = ConfigDict(title="chain source")

    type: Literal["chain"] = Field(description="first source that has the secret wins")
    sources: list[_Source] = Field(min_length=1, description="sources, in order")


_Source = Annotated[
    _AwsSource | _FileSource | _DirectorySource | _EnvSource | _ChainSource,
    Field(discriminator="type"),
]
_ChainSource.model_rebuild()

# --- profiles, output, the file -----------------------------------------------------------


class _SecretRef(_Strict):
    model_config = ConfigDict(title="a secret used by a profile")

    name: str = Field(min_length=1, description="the secret's name in the store")
    transforms: list[_TransformItem] = Field(
        default=[], description="applied after the secret-bound ones, for this use only"
    )


def _name_to_ref(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


class _Profile(_Strict):
    model_config = ConfigDict(title="profile")

    secrets: list[
        Annotated[
            _SecretRef, BeforeValidator(_name_to_ref, json_schema_input_type=str | _SecretRef)
        ]
    ] = Field(min_length=1, description="names, or {name, transforms}; merged in this order")
    keys: list[str] | None = Field(
        default=None, min_length=1, description="allow-list of variables to keep"
    )


class _Secret(_Strict):
    model_config = ConfigDict(title="transforms bound to a secret")

    transforms: list[_TransformItem] = Field(
        default=[], description="applied wherever the secret is used"
    )


def _file_mode(value: Any) -> int:
    try:
        return parse_file_mode(value)
    except ValueError as exc:
        raise _custom("file_mode", str(exc)) from None


class _Output(_Strict):
    model_config = ConfigDict(title="output")

    dir: str | None = Field(
        default=None, min_length=1, description="after --out and SECRETS_OUTPUT_DIR; else /secrets"
    )
    format: Literal["env", "shell", "compose", "dotenv", "raw", "json", "k8s-secret"] = Field(
        default="env", description="file format (see formats.md)"
    )
    file_mode: Annotated[
        int,
        PlainValidator(_file_mode),
        WithJsonSchema(
            {
                "anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^(0o?)?[0-7]{1,4}$"}],
                "description": "mode of written files, an octal string like '0600'",
            }
        ),
    ] = 0o600


class _ConfigFile(_Strict):
    """rideinfra.yaml, version 1."""

    model_config = ConfigDict(title="rideinfra.yaml")

    version: Literal[1] = Field(description="the config format version")
    source: _Source = Field(
        default_factory=lambda: _AwsSource(type="aws-secretsmanager"),
        description="where secrets are read (default aws-secretsmanager)",
    )
    secrets: dict[str, _Secret] = Field(
        default={}, description="transforms bound to a secret, by secret name"
    )
    profiles: dict[str, _Profile] = Field(
        min_length=1, description="profile name -> its secrets; one output file each"
    )
    output: _Output = Field(default=_Output(), description="where and how files are written")
    seed: str | None = Field(
        default=None, min_length=1, description="seed file for `rideinfra seed`, relative"
    )


# --- errors -------------------------------------------------------------------------------

_FRIENDLY = {
    "model_type": "expected a mapping (key: value), got {kind}",
    "model_attributes_type": "expected a mapping (key: value), got {kind}",
    "dict_type": "expected a mapping (key: value), got {kind}",
    "list_type": "expected a list, got {kind}",
    "string_type": "expected a string, got {kind}",
    "int_type": "expected an integer, got {kind}",
    "bool_type": "expected true or false, got {kind}",
}


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return f"required key `{error['loc'][-1]}` is missing"
    if kind in _FRIENDLY:
        return _FRIENDLY[kind].format(kind=_kind(error.get("input")))
    ctx = error.get("ctx") or {}
    if kind == "union_tag_invalid":
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        tag = ctx.get("tag")
        return f"unknown type `{tag}` (valid types: {', '.join(tags)})" + did_you_mean(tag, tags)
    if kind == "union_tag_not_found":
        return "a source needs `type:` (aws-secretsmanager, file, directory, env or chain)"
    if kind == "literal_error":
        return f"{error['msg']}, got {error.get('input')!r}" + did_you_mean(
            error.get("input"), re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        )
    return str(error["msg"])


def _real_loc(loc: Sequence[str | int], data: Any) -> list[str | int]:
    """The loc without pydantic's union tags and validator names, as a path into ``data``."""
    out: list[str | int] = []
    node = data
    for i, segment in enumerate(loc):
        in_dict = isinstance(node, dict) and segment in node
        in_list = isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node)
        if in_dict or in_list:
            node = node[segment]
        elif segment == "[key]" or i < len(loc) - 1:
            continue
        else:
            node = None
        out.append(segment)
    return out


def format_path(loc: Sequence[str | int]) -> str:
    """``profiles.monitoring.secrets[0]`` from ``("profiles", "monitoring", "secrets", 0)``."""
    text = ""
    for segment in loc:
        if isinstance(segment, int):
            text += f"[{segment}]"
        elif re.fullmatch(r"[\w/@+-]+", segment):
            text += f".{segment}" if text else segment
        else:
            text += f"[{json.dumps(segment)}]"
    return text


def _fail(problems: list[tuple[list[str | int], str]], doc: YamlDocument) -> ConfigError:
    def where(loc: list[str | int]) -> str:
        line = doc.line(loc)
        return f"line {line}: " if line else ""

    (loc, message), rest = problems[0], problems[1:]
    text = where(loc) + message
    for more_loc, more in rest[:9]:
        text += f"\n  also {format_path(more_loc) or '(top)'}: {where(more_loc)}{more}"
    if len(rest) > 9:
        text += f"\n  ... and {len(rest) - 9} more"
    return ConfigError(text, file=doc.file, path=format_path(loc) or None)


def _problems(exc: ValidationError, data: Any) -> list[tuple[list[str | int], str]]:
    out = []
    for error in exc.errors():
        loc = list(error["loc"])
        ctx = error.get("ctx") or {}
        if error["type"] == "unknown_key":
            loc.append(ctx["key"])
        loc = [*loc, *ctx.get("sub", ())]
        out.append((_real_loc(loc, data), _message(error)))
    return out


# --- building the frozen model ------------------------------------------------------------


def _source(model: Any, base: Path) -> SourceConfig:
    if isinstance(model, _AwsSource):
        return AwsSourceConfig(
            region=model.region,
            endpoint_url=model.endpoint_url,
            retry_mode=model.retry_mode,
            max_attempts=model.max_attempts,
            max_concurrency=model.max_concurrency,
            connect_timeout=model.connect_timeout,
            read_timeout=model.read_timeout,
        )
    if isinstance(model, _FileSource):
        return FileSourceConfig(config_path(base, model.path), model.name)
    if isinstance(model, _DirectorySource):
        return DirectorySourceConfig(config_path(base, model.path))
    if isinstance(model, _EnvSource):
        return EnvSourceConfig(model.prefix)
    assert isinstance(model, _ChainSource)  # noqa: S101 - the union is closed
    return ChainSourceConfig(tuple(_source(s, base) for s in model.sources))


def _check(model: _ConfigFile) -> list[tuple[list[str | int], str]]:
    """Rules that span several keys, which pydantic's per-field checks cannot see."""
    problems: list[tuple[list[str | int], str]] = []
    used = {ref.name for p in model.profiles.values() for ref in p.secrets}
    for name in model.profiles:
        if not PROFILE_NAME.fullmatch(name):
            problems.append(
                (
                    ["profiles", name],
                    f"profile name {name!r} is also a file name: use letters, digits, "
                    "'.', '_' or '-', starting with a letter or digit",
                )
            )
    for name, profile in model.profiles.items():
        for i, key in enumerate(profile.keys or ()):
            if not is_env_name(key):
                problems.append(
                    (["profiles", name, "keys", i], f"{key!r} is not a valid variable name")
                )
            elif key in (profile.keys or ())[:i]:
                problems.append((["profiles", name, "keys", i], f"{key} is listed twice"))
    for name in model.secrets:
        if name not in used:
            problems.append(
                (
                    ["secrets", name],
                    f"secret {name!r} has transforms but no profile uses it"
                    f"{did_you_mean(name, sorted(used))} (a misspelt name here would "
                    "silently skip its transforms)",
                )
            )
    return problems


def _build(model: _ConfigFile, base: Path, path: Path | None) -> Config:
    secrets = {
        name: SecretConfig(name, Pipeline(*s.transforms)) for name, s in model.secrets.items()
    }
    profiles = {
        name: Profile(
            name,
            tuple(SecretRef(r.name, Pipeline(*r.transforms)) for r in p.secrets),
            tuple(p.keys) if p.keys is not None else None,
        )
        for name, p in model.profiles.items()
    }
    output = OutputConfig(
        config_path(base, model.output.dir) if model.output.dir else None,
        model.output.format,
        model.output.file_mode,
    )
    return Config(
        source=_source(model.source, base),
        secrets=secrets,
        profiles=profiles,
        output=output,
        seed=config_path(base, model.seed) if model.seed else None,
        path=path,
        version=model.version,
    )


def validate(data: Any, doc: YamlDocument, base: Path, path: Path | None) -> Config:
    """``parse_config``'s slow path: pydantic says what is wrong; builds the Config if valid.

    ``doc`` names the file and lines in errors; ``base`` and ``path`` are as
    ``parse_config`` derived them for the fast path.

    Raises:
        ConfigError: the data is not a valid version 1 config.
    """
    if data is None:
        raise _fail([([], "the config is empty; it starts with `version: 1`")], doc)
    if not isinstance(data, dict):
        raise _fail([([], f"the config must be a mapping of keys, not {_kind(data)}")], doc)
    version = data.get("version", 1)
    if type(version) is not int or version != 1:
        raise _fail(
            [(["version"], f"unsupported version {version!r}; this rideinfra reads `version: 1`")],
            doc,
        )
    try:
        model = _ConfigFile.model_validate(data)
    except ValidationError as exc:
        raise _fail(_problems(exc, data), doc) from None
    problems = _check(model)
    if problems:
        raise _fail(problems, doc)
    return _build(model, base, path)


def decimal_mode_error(doc: YamlDocument, text: str) -> ConfigError:
    """The error for ``file_mode: 600``: YAML reads it as decimal 600, not octal 0600."""
    return _fail(
        [
            (
                ["output", "file_mode"],
                f"file_mode {text} is a decimal number in YAML; write the octal "
                f"mode as a string: '0{text}'",
            )
        ],
        doc,
    )


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema of rideinfra.yaml version 1, for editors and CI checks."""
    schema = _ConfigFile.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
    }
