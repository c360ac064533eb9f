"""rideinfra.yaml to :class:`Config` without pydantic, for configs that are valid.

Every ``python -m rideinfra.fetch`` reads the config, and importing pydantic
and building its models for it costs ~95 ms of a ~330 ms init container: more
than the whole fetch. So :func:`build` reads the common case, a valid file,
directly: it checks exactly what the pydantic models in ``_validate.py`` check
and builds the same objects, but it explains nothing. At the first thing it
does not accept it returns None, and ``parse_config`` hands the data to the
pydantic models, which name the key, the line and the fix.

The two must agree: tests/profiles/test_config_fast.py generates configs,
valid and broken, and checks that this builds exactly what the pydantic path
builds, and builds nothing where it refuses. Types are checked exactly
(``type(x) is str``): anything unusual, a str subclass say, goes the slow way.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rideinfra.profiles.model import (
    OUTPUT_FORMATS,
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

__all__ = ["PROFILE_NAME", "TRANSFORM_NAMES", "build", "config_path", "parse_file_mode"]

PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_OCTAL = re.compile(r"(0o?)?[0-7]{1,4}")


class _Refused(Exception):
    """Not accepted here; the pydantic path says why."""


def config_path(base: Path, text: str) -> Path:
    """A path from the config, relative to its directory; ``~`` expanded."""
    # normpath, not resolve(): a symlinked output dir must stay the symlink.
    return Path(os.path.normpath(base / Path(text).expanduser()))


def parse_file_mode(value: object) -> int:
    """``'0600'``, ``'0o600'``, ``'600'`` or an int, as permission bits.

    Raises:
        ValueError: not an octal string or int, or outside 0..0o777.
    """
    if isinstance(value, str) and _OCTAL.fullmatch(value):
        mode = int(value.removeprefix("0o"), 8)
    elif isinstance(value, int) and not isinstance(value, bool):
        mode = value
    else:
        raise ValueError("file_mode is an octal string like '0600'")
    if not 0 <= mode <= 0o777:
        raise ValueError("file_mode must be between '0000' and '0777' (octal)")
    return mode


# --- exact type checks ----------------------------------------------------------------------


def _require(ok: bool) -> None:
    if not ok:
        raise _Refused


def _mapping(
    value: object, keys: frozenset[str], required: frozenset[str] = frozenset()
) -> dict[Any, Any]:
    if type(value) is not dict:
        raise _Refused
    _require(keys.issuperset(value) and required.issubset(value))
    return value


def _str(value: object, *, min_length: int = 0) -> str:
    if type(value) is not str or len(value) < min_length:
        raise _Refused
    return value


def _opt_str(value: object, *, min_length: int = 0) -> str | None:
    return None if value is None else _str(value, min_length=min_length)


def _opt_int(value: object, low: int, high: int) -> int | None:
    if value is None:
        return None
    if type(value) is not int or not low <= value <= high:
        raise _Refused
    return value


def _opt_seconds(value: object) -> float | None:
    """None, or a number of seconds in (0, 300]; an int becomes a float, as pydantic does."""
    if value is None:
        return None
    if type(value) is not int and type(value) is not float:
        raise _Refused
    _require(0 < value <= 300)  # also refuses NaN
    return float(value)


def _list(value: object, *, min_length: int = 0) -> list[Any]:
    if type(value) is not list or len(value) < min_length:
        raise _Refused
    return value


def _str_list(value: object) -> list[str]:
    items = _list(value)
    _require(all(type(v) is str for v in items))
    return items


def _str_map(value: object) -> dict[str, str]:
    if type(value) is not dict:
        raise _Refused
    _require(all(type(k) is str and type(v) is str for k, v in value.items()))
    return value


# --- transforms -----------------------------------------------------------------------------


def _airflow(args: object) -> Transform:
    args = _mapping(args, frozenset({"sections", "others_prefix"}), frozenset({"sections"}))
    return Airflow(_str_map(args["sections"]), _opt_str(args.get("others_prefix", "AIRFLOW_")))


def _flatten(args: object) -> Transform:
    if args is None:
        return Flatten()
    args = _mapping(args, frozenset({"prefix", "sep", "uppercase"}))
    uppercase = args.get("uppercase", True)
    _require(type(uppercase) is bool)
    return Flatten(_opt_str(args.get("prefix")), _str(args.get("sep", "__")), uppercase)


def _no_args(factory: Callable[[], Transform]) -> Callable[[object], Transform]:
    def build(args: object) -> Transform:
        _require(args is None or args == {})
        return factory()

    return build


# name -> builds the transform from its arguments. A bare name (`- uppercase`) has
# None for arguments, which the transforms that need arguments refuse.
_TRANSFORMS: dict[str, Callable[[Any], Transform]] = {
    "airflow": _airflow,
    "drop": lambda args: Drop(_str_list(args)),
    "flatten": _flatten,
    "keys": lambda args: Keys(_str_list(args)),
    "prefix": lambda args: Prefix(_str(args)),
    "qualify": lambda args: Qualify(_str(args)),
    "rename": lambda args: Rename(_str_map(args)),
    "sanitize": _no_args(Sanitize),
    "uppercase": _no_args(Uppercase),
}
TRANSFORM_NAMES = tuple(sorted(_TRANSFORMS))


def _transform(item: object) -> Transform:
    args: object = None
    if type(item) is str:
        name: object = item
    elif type(item) is dict and len(item) == 1:
        ((name, args),) = item.items()
    else:
        raise _Refused
    make = _TRANSFORMS.get(name) if type(name) is str else None
    if make is None:
        raise _Refused
    try:
        return make(args)
    except (ValueError, TypeError) as exc:  # the transform's own checks
        raise _Refused from exc


def _pipeline(value: object) -> Pipeline:
    return Pipeline(*(_transform(item) for item in _list(value)))


# --- sources, profiles, output --------------------------------------------------------------

_AWS_KEYS = frozenset(
    {
        "type",
        "region",
        "endpoint_url",
        "retry_mode",
        "max_attempts",
        "max_concurrency",
        "connect_timeout",
        "read_timeout",
    }
)


def _source(value: object, base: Path) -> SourceConfig:
    kind = value.get("type") if type(value) is dict else None
    if kind == "aws-secretsmanager":
        data = _mapping(value, _AWS_KEYS)
        url = _opt_str(data.get("endpoint_url"))
        _require(url is None or url.startswith(("http://", "https://")))
        mode = data.get("retry_mode")
        _require(mode in (None, "standard", "adaptive"))
        return AwsSourceConfig(
            region=_opt_str(data.get("region")),
            endpoint_url=url,
            retry_mode=mode,
            max_attempts=_opt_int(data.get("max_attempts"), 1, 20),
            max_concurrency=_opt_int(data.get("max_concurrency"), 1, 64),
            connect_timeout=_opt_seconds(data.get("connect_timeout")),
            read_timeout=_opt_seconds(data.get("read_timeout")),
        )
    if kind == "file":
        data = _mapping(value, frozenset({"type", "path", "name"}), frozenset({"path"}))
        path = config_path(base, _str(data["path"], min_length=1))
        return FileSourceConfig(path, _opt_str(data.get("name"), min_length=1))
    if kind == "directory":
        data = _mapping(value, frozenset({"type", "path"}), frozenset({"path"}))
        return DirectorySourceConfig(config_path(base, _str(data["path"], min_length=1)))
    if kind == "env":
        data = _mapping(value, frozenset({"type", "prefix"}))
        return EnvSourceConfig(_opt_str(data.get("prefix")))
    if kind == "chain":
        data = _mapping(value, frozenset({"type", "sources"}), frozenset({"sources"}))
        sources = _list(data["sources"], min_length=1)
        return ChainSourceConfig(tuple(_source(s, base) for s in sources))
    raise _Refused


def _ref(value: object) -> SecretRef:
    if type(value) is str:
        return SecretRef(_str(value, min_length=1), Pipeline())
    data = _mapping(value, frozenset({"name", "transforms"}), frozenset({"name"}))
    return SecretRef(_str(data["name"], min_length=1), _pipeline(data.get("transforms", [])))


def _profile(name: object, value: object) -> Profile:
    name = _str(name)
    _require(PROFILE_NAME.fullmatch(name) is not None)
    data = _mapping(value, frozenset({"secrets", "keys"}), frozenset({"secrets"}))
    refs = tuple(_ref(r) for r in _list(data["secrets"], min_length=1))
    keys = None
    if data.get("keys") is not None:
        keys = tuple(_str_list(data["keys"]))
        _require(len(keys) > 0 and len(set(keys)) == len(keys))
        _require(all(is_env_name(k) for k in keys))
    return Profile(name, refs, keys)


def _output(value: object, base: Path) -> OutputConfig:
    data = _mapping(value, frozenset({"dir", "format", "file_mode"}))
    out_dir = _opt_str(data.get("dir"), min_length=1)
    fmt = _str(data.get("format", "env"))
    _require(fmt in OUTPUT_FORMATS)
    try:
        mode = parse_file_mode(data.get("file_mode", 0o600))
    except ValueError:
        raise _Refused from None
    return OutputConfig(config_path(base, out_dir) if out_dir else None, fmt, mode)


_TOP_KEYS = frozenset({"version", "source", "secrets", "profiles", "output", "seed"})


def _config(data: object, base: Path, path: Path | None) -> Config:
    top = _mapping(data, _TOP_KEYS, frozenset({"version", "profiles"}))
    _require(type(top["version"]) is int and top["version"] == 1)
    profiles_data = top["profiles"]
    _require(type(profiles_data) is dict and len(profiles_data) > 0)
    profiles = {name: _profile(name, p) for name, p in profiles_data.items()}
    used = {ref.name for p in profiles.values() for ref in p.secrets}
    secrets = {}
    for name, bound in _mapping(top.get("secrets", {}), frozenset(used)).items():
        # keys within `used`: a binding no profile uses is an error
        transforms = _mapping(bound, frozenset({"transforms"})).get("transforms", [])
        secrets[name] = SecretConfig(name, _pipeline(transforms))
    source = _source(top["source"], base) if "source" in top else AwsSourceConfig()
    output = _output(top["output"], base) if "output" in top else OutputConfig()
    seed = _opt_str(top.get("seed"), min_length=1)
    return Config(
        source=source,
        secrets=secrets,
        profiles=profiles,
        output=output,
        seed=config_path(base, seed) if seed else None,
        path=path,
        version=1,
    )


def build(data: object, base: Path, path: Path | None) -> Config | None:
    """The Config for ``data`` if it is a valid version 1 config, else None.

    Args:
        data: the parsed file.
        base: the absolute directory relative paths are relative to.
        path: the file it came from, if any.
    """
    try:
        return _config(data, base, path)
    except _Refused:
        return None
