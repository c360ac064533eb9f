"""pydantic-settings models fed by rideinfra: from the store, or from a rendered env file.

    >>> store = settings_from(Model, config="rideinfra.yaml", profile="core")  # doctest: +SKIP
    >>> file = settings_from(Model, env_file="/secrets/core.env")  # doctest: +SKIP

`RideinfraSettingsSource` is pydantic-settings' own environment source
fed with rideinfra's variables instead of `os.environ`, so a model's field
aliases, `env_prefix`, `env_nested_delimiter` (`AIRFLOW__CORE__FERNET_KEY`
-> `airflow.core.fernet_key`), case sensitivity and `SecretStr` fields
work exactly as they do for environment variables.

Precedence, highest first, with `settings_from()` (docs/services.md):

    init keyword arguments > environment variables > rideinfra > dotenv (model's env_file)
    > secrets_dir > field defaults

Values: pydantic's `ValidationError` quotes the input. A source built here
refuses a model without `hide_input_in_errors=True` (which keeps the input
out of `str()`/`repr()`), and `settings_from()` turns a failure into
`SettingsValidationError`, which names fields and variables only and
keeps no reference to pydantic's error (it still holds the input in
`.errors()`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, NamedTuple, TypeVar, Union, cast, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource
from pydantic_settings import SettingsError as PydanticSettingsError

from rideinfra._record import Record
from rideinfra.errors import ConfigError, RideinfraError, printable
from rideinfra.profiles.config import load_config
from rideinfra.profiles.model import Config, EnvSourceConfig, Profile, SecretRef
from rideinfra.profiles.resolve import resolve, resolve_profile
from rideinfra.secrets.base import SecretSource
from rideinfra.secrets.envfile import parse_env_file

try:  # where recent pydantic-settings releases keep it (sources became a package)
    from pydantic_settings.sources.utils import parse_env_vars
except ImportError:  # pragma: no cover - older releases
    from pydantic_settings.sources import parse_env_vars  # type: ignore[attr-defined,no-redef]

__all__ = [
    "FieldProblem",
    "RideinfraSettingsSource",
    "SettingsValidationError",
    "read_env_file",
    "settings_from",
]

_S = TypeVar("_S", bound=BaseSettings)

# pydantic error types whose message is built from the model's constraints only
# (never from the input); any other type's message is replaced, since a custom
# validator or a parser (uuid, dates) may quote the value.
_SAFE_MESSAGES = frozenset(
    {
        "bool_parsing",
        "bool_type",
        "dict_type",
        "enum",
        "extra_forbidden",
        "finite_number",
        "float_parsing",
        "float_type",
        "greater_than",
        "greater_than_equal",
        "int_from_float",
        "int_parsing",
        "int_parsing_size",
        "int_type",
        "json_invalid",
        "json_type",
        "less_than",
        "less_than_equal",
        "list_type",
        "literal_error",
        "missing",
        "model_attributes_type",
        "model_type",
        "multiple_of",
        "string_pattern_mismatch",
        "string_too_long",
        "string_too_short",
        "string_type",
        "url_parsing",
        "url_scheme",
        "url_type",
    }
)
# Length checks report the input's length ("not 7"); say only the bound.
_LENGTH_MESSAGES = {
    "too_short": ("should have at least {} item(s)", "min_length"),
    "too_long": ("should have at most {} item(s)", "max_length"),
}


class FieldProblem(NamedTuple):
    """One field that did not validate, without its value.

    Attributes:
        location: the field's path in the model (`airflow.core.fernet_key`):
            declared fields only, never a key or position inside a value.
        variable: the rideinfra variable it was read from, or None when
            rideinfra has no variable for it.
        type: pydantic's error type (`int_parsing`, `missing`, ...).
        message: what is wrong, never quoting the value.
    """

    location: str
    variable: str | None
    type: str
    message: str


class SettingsValidationError(RideinfraError):
    """A settings model could not be built from its sources; names fields, never values.

    Raised by `settings_from()` in place of pydantic's `ValidationError`
    (whose `errors()` and `json()` carry the input) and of
    pydantic-settings' `SettingsError` (whose cause carries the text that
    failed to parse). It is raised with no `__cause__` or `__context__`,
    so no traceback, log handler or error tracker can reach the value.

    Attributes:
        model: the settings class name.
        problems: one `FieldProblem` per failing field (a field pydantic reports
            more than once, a union's members or two extra keys, is one problem
            whose `type` and `message` list each of pydantic's, joined by ` | `
            and `; `).
    """

    def __init__(self, model: str, problems: Sequence[FieldProblem]) -> None:
        self.model = model
        self.problems = _per_field(problems)
        lines = [f"settings {model}: {len(self.problems)} field(s) invalid (values not shown):"]
        for problem in self.problems:
            where = (
                f"variable {printable(problem.variable)}"
                if problem.variable
                else "not a rideinfra variable"
            )
            lines.append(
                f"  {printable(problem.location)} ({where}): {printable(problem.message)} "
                f"[type={printable(problem.type)}]"
            )
        super().__init__("\n".join(lines))


#: Said after a message when pydantic's location went on into the value.
_INSIDE = (
    " (inside the field; the rest of its location is not shown: it can hold keys from the value)"
)


def _per_field(problems: Sequence[FieldProblem]) -> tuple[FieldProblem, ...]:
    # pydantic reports a union field once per member (`int | Literal["auto"]`: two
    # errors), and a trimmed location can repeat: one problem per field and variable.
    grouped: dict[tuple[str, str | None], list[FieldProblem]] = {}
    for problem in problems:
        grouped.setdefault((problem.location, problem.variable), []).append(problem)
    out = []
    for (location, variable), group in grouped.items():
        if len(group) == 1:
            out.append(group[0])
            continue
        inside = any(p.message.endswith(_INSIDE) for p in group)
        messages = dict.fromkeys(p.message.removesuffix(_INSIDE) for p in group)
        kinds = dict.fromkeys(p.type for p in group)
        message = "; ".join(messages) + (_INSIDE if inside else "")
        out.append(FieldProblem(location, variable, " | ".join(kinds), message))
    return tuple(out)


class RideinfraSettingsSource(EnvSettingsSource):
    """A pydantic-settings source reading rideinfra variables as if they were the environment.

    Give it one of:

    - `config` (a `Config` or a path to
      rideinfra.yaml) and `profile`: the profile's variables, exactly as
      `rideinfra fetch` would write them;
    - `secrets`: secret names or `SecretRef`
      (with transforms); a `config`, if given, adds its secret-bound
      transforms;
    - `env_file`: a file rendered by `rideinfra fetch` (`env`, or a
      `shell`/`compose`/`dotenv`/`raw` file, which names its format on its
      first line and is read exactly in it, by
      `rideinfra.secrets.envfile.parse_env_file`; `.json` files as
      `{VAR: value}`).

    The variables are read once, when the source is built (pydantic-settings
    builds its sources at each model instantiation). Values are revealed only
    into this source's state. Like the environment source, only variables that
    match a field are passed to the model (so a profile may hold more
    variables than the model has fields, even with `extra="forbid"`).

    Args:
        settings_cls: the model; it must set `hide_input_in_errors=True`.
        source: where secrets are read; default the config's `source:`
            section (built with `environ`). Not used with `env_file`.
        config: a loaded config or the path of rideinfra.yaml.
        profile: the profile to load (needs `config`).
        secrets: secrets to load instead of a profile.
        env_file: a rendered env (or `.json`) file to read instead of a store.
        environ: the environment for building the config's source
            (`AWS_ENDPOINT_URL`...); `os.environ` when None.
        case_sensitive, env_prefix, env_nested_delimiter, env_nested_max_split,
        env_ignore_empty, env_parse_none_str, env_parse_enums: as for
            pydantic-settings' `EnvSettingsSource`; default the model's config.

    Raises:
        ConfigError: the arguments do not say what to load, the model would
            print values in its errors, or the config/env file is unusable.
        SourceError: a secret could not be fetched.
        TransformError: a transform failed or two secrets collide.
    """

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        source: SecretSource | None = None,
        *,
        config: Config | str | os.PathLike[str] | None = None,
        profile: str | None = None,
        secrets: Sequence[str | SecretRef] | None = None,
        env_file: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
        case_sensitive: bool | None = None,
        env_prefix: str | None = None,
        env_nested_delimiter: str | None = None,
        env_nested_max_split: int | None = None,
        env_ignore_empty: bool | None = None,
        env_parse_none_str: str | None = None,
        env_parse_enums: bool | None = None,
    ) -> None:
        _require_hidden_input(settings_cls)
        spec = _Spec(source, config, profile, secrets, env_file, environ)
        self._read = spec.reader(settings_cls)
        self._what = spec.describe()
        # Normalised name -> the name as rideinfra wrote it, for error messages.
        self._names: dict[str, str] = {}
        options: dict[str, Any] = {
            "case_sensitive": case_sensitive,
            "env_prefix": env_prefix,
            "env_nested_delimiter": env_nested_delimiter,
            "env_nested_max_split": env_nested_max_split,
            "env_ignore_empty": env_ignore_empty,
            "env_parse_none_str": env_parse_none_str,
            "env_parse_enums": env_parse_enums,
        }
        # Only what was given, so older pydantic-settings releases (fewer options) still work.
        super().__init__(settings_cls, **{k: v for k, v in options.items() if v is not None})

    def _load_env_vars(self) -> Mapping[str, str | None]:
        variables = self._read()
        self._names = {(name if self.case_sensitive else name.lower()): name for name in variables}
        return parse_env_vars(
            variables, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )

    def __call__(self) -> dict[str, Any]:
        message: str | None = None
        try:
            return super().__call__()
        except PydanticSettingsError as exc:
            message = str(exc)  # names the field and this source only
        # Raised outside the except block: the cause (a JSON decode error
        # holding the text) must not travel with it.
        raise PydanticSettingsError(message)

    @property
    def variables(self) -> tuple[str, ...]:
        """The names of the variables this source read (never the values)."""
        return tuple(self._names.values())

    def variable_for(self, location: Sequence[str | int]) -> str | None:
        """The rideinfra variable a model location (pydantic `loc`) is read from, if any."""
        if not location:
            return None
        head = location[0]
        for field_name, field in self.settings_cls.model_fields.items():
            if head not in (field_name, field.alias, field.validation_alias):
                continue
            for _, env_name, _ in self._extract_field_info(field, field_name):
                parts = [env_name, *(self._apply_case_sensitive(str(p)) for p in location[1:])]
                candidate = (self.env_nested_delimiter or "").join(parts)
                if len(parts) > 1 and not self.env_nested_delimiter:
                    continue
                if candidate in self._names:
                    return self._names[candidate]
        return None

    def __repr__(self) -> str:
        return f"RideinfraSettingsSource({self._what})"


def settings_from(
    model: type[_S],
    source: SecretSource | None = None,
    *,
    config: Config | str | os.PathLike[str] | None = None,
    profile: str | None = None,
    secrets: Sequence[str | SecretRef] | None = None,
    env_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    **values: Any,
) -> _S:
    """Build a settings model with rideinfra's variables added to its own sources.

    The model needs no change: its `settings_customise_sources` (default:
    init, env, dotenv, secrets_dir) is used, with a
    `RideinfraSettingsSource` placed right after the environment
    source. With no `config`/`secrets`/`env_file` it only adds the
    error safety below.

    Args:
        model: the `BaseSettings` class.
        source, config, profile, secrets, env_file, environ: what to load, as
            for `RideinfraSettingsSource`.
        **values: field values, taking precedence over every source.

    Returns:
        An instance of `model` (exactly that class).

    Raises:
        SettingsValidationError: a field did not validate; names the field and
            variable, never the value, and chains no pydantic error.
        ConfigError: the arguments or the config / env file are unusable.
        SourceError: a secret could not be fetched.
        TransformError: a transform failed or two secrets collide.
    """
    built: list[RideinfraSettingsSource] = []
    wanted = any(arg is not None for arg in (source, config, profile, secrets, env_file))

    def add_rideinfra(
        cls: type[BaseSettings], chosen: tuple[Any, ...], env: Any
    ) -> tuple[Any, ...]:
        if not wanted:
            return chosen
        ours = RideinfraSettingsSource(
            cls,
            source,
            config=config,
            profile=profile,
            secrets=secrets,
            env_file=env_file,
            environ=environ,
        )
        built.append(ours)
        at = chosen.index(env) + 1 if env in chosen else min(1, len(chosen))
        return (*chosen[:at], ours, *chosen[at:])

    loader = _loader(model, add_rideinfra)
    problems: list[FieldProblem] | None = None
    try:
        instance = loader(**values)
    except ValidationError as exc:
        problems = _problems(model, exc, built[0] if built else None)
    except PydanticSettingsError as exc:
        problems = [_unparsed(model, str(exc), built[0] if built else None)]
    except RideinfraError:
        raise  # ours: names only (a source's, a transform's, a config's error)
    except Exception as exc:  # noqa: BLE001 - re-raised below, without its message
        # pydantic wraps a validator's ValueError and AssertionError; anything else
        # (a TypeError, a KeyError) comes through as raised, its message free to
        # quote the value. Its type and where it was raised are safe to say.
        problems = [_uncaught(exc)]
        del exc
    if problems is not None:
        # Outside the except blocks, so neither __cause__ nor __context__ is set.
        raise SettingsValidationError(model.__name__, problems)
    result = model.__new__(model)
    result.__setstate__(instance.__getstate__())  # the pickle path: no validation, no hooks
    return result


def _loader(
    model: type[_S], add: Callable[[type[BaseSettings], tuple[Any, ...], Any], tuple[Any, ...]]
) -> type[_S]:
    """A subclass of `model` that hides input in errors and adds rideinfra's source."""
    own = model.settings_customise_sources.__func__  # type: ignore[attr-defined]

    def settings_customise_sources(
        cls: type[BaseSettings],
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        chosen = own(
            cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
        )
        return add(settings_cls, tuple(chosen), env_settings)

    namespace = {
        "__module__": model.__module__,
        "__qualname__": model.__qualname__,
        "__doc__": model.__doc__,
        "model_config": {**model.model_config, "hide_input_in_errors": True},
        "settings_customise_sources": classmethod(settings_customise_sources),
    }
    metaclass: Any = type(model)
    return cast("type[_S]", metaclass(model.__name__, (model,), namespace))


def _problems(
    model: type[BaseModel], exc: ValidationError, ours: RideinfraSettingsSource | None
) -> list[FieldProblem]:
    problems = []
    for error in exc.errors(include_input=False, include_url=False, include_context=True):
        kind = error["type"]
        loc = tuple(error["loc"])
        if kind in _SAFE_MESSAGES:
            message = error["msg"]
        elif kind in _LENGTH_MESSAGES:
            text, key = _LENGTH_MESSAGES[kind]
            message = text.format(error.get("ctx", {}).get(key, "?"))
        else:
            message = "invalid (the validator's message is not shown: it may quote the value)"
        path = _field_path(model, loc)
        if len(path) < len(loc):
            message += _INSIDE
        location = ".".join(path) or "<model>"
        variable = None
        if ours is not None:
            # Else the variable whose (JSON) value holds the field.
            variable = ours.variable_for(loc) or ours.variable_for(loc[:1])
        problems.append(FieldProblem(location, variable, kind, message))
    return problems


def _field_path(model: type[BaseModel], loc: Sequence[str | int]) -> tuple[str, ...]:
    """The start of a pydantic `loc` that names the model's own fields, nothing from a value.

    pydantic's `loc` goes on into the input: a dict field's keys (`tokens.sk_live_...`),
    list positions, union member tags. The first part is a field, or the name
    of an input the model refused (a variable or keyword name); after it, a part
    is kept only while it is a declared field of a nested model.
    """
    if not loc:
        return ()
    path = [str(loc[0])]
    models = _nested_models(model, path[0])
    for part in loc[1:]:
        if not isinstance(part, str):
            break
        matched = [m for m in models if _declared(m, part)]
        if not matched:
            break
        path.append(part)
        models = [nested for m in matched for nested in _nested_models(m, part)]
    return tuple(path)


def _declared(model: type[BaseModel], name: str) -> bool:
    return any(
        name in (field_name, field.alias, field.validation_alias)
        for field_name, field in model.model_fields.items()
    )


def _nested_models(model: type[BaseModel], name: str) -> list[type[BaseModel]]:
    """The pydantic models a field of `model` (by name or alias) is typed as."""
    for field_name, field in model.model_fields.items():
        if name in (field_name, field.alias, field.validation_alias):
            return _models_in(field.annotation)
    return []


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    # `Db`, `Db | None`, `Optional[Db]`, `Annotated[Db, ...]`; not a container's items.
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = get_origin(annotation)
    if origin is Union or origin is UnionType or origin is Annotated:
        args = get_args(annotation)
        return [m for arg in (args[:1] if origin is Annotated else args) for m in _models_in(arg)]
    return []


def _field_in(message: str) -> str:
    # pydantic-settings says: error parsing value for field "<name>" from source "<source>"
    _, _, rest = message.partition('field "')
    return rest.partition('"')[0] or "<model>"


def _source_in(message: str) -> str:
    _, _, rest = message.partition('from source "')
    return rest.partition('"')[0]


def _unparsed(
    model: type[BaseModel], message: str, ours: RideinfraSettingsSource | None
) -> FieldProblem:
    """pydantic-settings' SettingsError (a complex field's value is not JSON), by field.

    Its message names the field by its Python name and the source. The
    location is the field as pydantic's own errors name it (its alias, if it
    has one); when the source is rideinfra's, the variable is the one rideinfra
    read for the field (`X` for `x: Nested = Field(alias="X")`).
    """
    field = _field_in(message)
    info = model.model_fields.get(field)
    location = info.alias if info is not None and isinstance(info.alias, str) else field
    variable = None
    if ours is not None and _source_in(message) == type(ours).__name__:
        variable = ours.variable_for((field,))
    if variable is not None:
        message = (
            f"the value of variable {variable} is not valid JSON, which this field's type "
            f"needs ({message})"
        )
    return FieldProblem(location, variable, "settings_error", message)


#: Frames of these packages are not where a service's validator raised.
_LIBRARIES = ("pydantic", "pydantic_core", "pydantic_settings", "rideinfra")


def _uncaught(exc: BaseException) -> FieldProblem:
    """An exception pydantic did not wrap, by its type and the frame that raised it."""
    where = ""
    tb = exc.__traceback__
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.partition(".")[0] not in _LIBRARIES:
            code = tb.tb_frame.f_code
            where = f" in {code.co_qualname} ({Path(code.co_filename).name}:{tb.tb_lineno})"
        tb = tb.tb_next
    return FieldProblem(
        "<model>",
        None,
        type(exc).__name__,
        f"{type(exc).__name__} raised{where} while building the model (its message is not "
        "shown: it may quote the value); a validator should raise ValueError, which pydantic "
        "reports by field",
    )


def _require_hidden_input(settings_cls: type[BaseSettings]) -> None:
    if settings_cls.model_config.get("hide_input_in_errors") is not True:
        raise ConfigError(
            f"settings model {settings_cls.__name__} would print secret values in its "
            "validation errors: set model_config = SettingsConfigDict(hide_input_in_errors=True, "
            "...) on it, or load it with rideinfra.settings.settings_from(), which does so"
        )


class _Spec(Record):
    """What a RideinfraSettingsSource was asked to load."""

    __slots__ = ("source", "config", "profile", "secrets", "env_file", "environ")
    _hidden = frozenset({"environ"})
    source: SecretSource | None
    config: Config | str | os.PathLike[str] | None
    profile: str | None
    secrets: Sequence[str | SecretRef] | None
    env_file: str | os.PathLike[str] | None
    environ: Mapping[str, str] | None

    def __init__(
        self,
        source: SecretSource | None,
        config: Config | str | os.PathLike[str] | None,
        profile: str | None,
        secrets: Sequence[str | SecretRef] | None,
        env_file: str | os.PathLike[str] | None,
        environ: Mapping[str, str] | None,
    ) -> None:
        self._init(
            source=source,
            config=config,
            profile=profile,
            secrets=secrets,
            env_file=env_file,
            environ=environ,
        )

    def reader(self, settings_cls: type[BaseSettings]) -> Callable[[], dict[str, str]]:
        """Check the arguments now; return what reads the variables (pydantic-settings calls it)."""
        label = f"settings source for {settings_cls.__name__}"
        source, config, profile, secrets = self.source, self.config, self.profile, self.secrets
        if self.env_file is not None:
            if (
                source is not None
                or config is not None
                or profile is not None
                or secrets is not None
            ):
                raise ConfigError(
                    f"{label}: give env_file alone, or a store (config/profile/secrets)"
                )
            path = Path(self.env_file)
            return lambda: read_env_file(path)
        if (profile is None) == (secrets is None):
            raise ConfigError(
                f"{label}: say what to load: profile= (with config=), secrets=, or env_file="
            )
        if isinstance(secrets, str):
            raise ConfigError(f"{label}: secrets= takes a list of names, not one string")
        loaded = load_config(Path(config)) if isinstance(config, str | os.PathLike) else config
        if profile is not None and loaded is None:
            raise ConfigError(f"{label}: profile={profile!r} needs config= (rideinfra.yaml)")
        if source is None:
            if loaded is None:
                raise ConfigError(f"{label}: secrets= needs source= or config=")
            from rideinfra.operations import build_source

            environ = os.environ if self.environ is None else self.environ
            source = build_source(loaded.source, environ)
        store = source
        if profile is not None:
            assert loaded is not None  # noqa: S101 - checked above
            cfg = loaded
            cfg.select([profile])  # an unknown profile is a ConfigError now
            return lambda: _reveal(resolve(cfg, store, profiles=[profile])[profile])
        refs = tuple(SecretRef(ref) if isinstance(ref, str) else ref for ref in secrets or ())
        bound = loaded or Config(source=EnvSourceConfig(), secrets={}, profiles={})
        group = Profile(name=f"{settings_cls.__name__} secrets", secrets=refs)

        def read() -> dict[str, str]:
            result = store.fetch_many(ref.name for ref in refs)
            result.raise_errors()
            return _reveal(resolve_profile(bound, group, result))

        return read

    def describe(self) -> str:
        """The arguments, for the source's repr (names and paths only)."""
        if self.env_file is not None:
            return f"env_file={str(self.env_file)!r}"
        parts = []
        if self.profile is not None:
            parts.append(f"profile={self.profile!r}")
        if self.secrets is not None:
            names = [r if isinstance(r, str) else r.name for r in self.secrets]
            parts.append(f"secrets={names!r}")
        if isinstance(self.config, Config):
            parts.append(f"config={str(self.config.path) if self.config.path else '<Config>'!r}")
        elif self.config is not None:
            parts.append(f"config={str(self.config)!r}")
        if self.source is not None:
            parts.append(f"source={self.source!r}")
        return ", ".join(parts)


def _reveal(env: Mapping[str, Any]) -> dict[str, str]:
    return {name: value.reveal() for name, value in env.items()}


def read_env_file(path: Path) -> dict[str, str]:
    """The variables of a file written by `rideinfra fetch` (an env-like format, or `.json`).

    Raises:
        ConfigError: the file is missing, not UTF-8, or not in the format;
            the message names the file (and line), never a value.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            "env file not found; write it with `rideinfra fetch` (the secrets-init step) or "
            "load the settings from the store instead",
            file=str(path),
        ) from None
    except OSError as exc:
        raise ConfigError(f"env file cannot be read: {exc.strerror}", file=str(path)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 (byte {exc.start})", file=str(path)) from None
    if path.suffix != ".json":
        return parse_env_file(text, file=str(path))
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not JSON (line {exc.lineno})", file=str(path)) from None
    if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
        raise ConfigError("a JSON env file must be an object of strings", file=str(path))
    return loaded
