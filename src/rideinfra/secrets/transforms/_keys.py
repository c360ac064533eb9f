"""Transforms that rename, select or drop fields one by one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rideinfra._lazy import LazyPattern
from rideinfra.errors import TransformError, shown_name
from rideinfra.secrets.transforms._core import (
    BaseTransform,
    Entry,
    config_line,
    frozen_str_map,
    is_env_name,
    require_present,
    str_tuple,
    unique,
)

__all__ = ["Airflow", "Drop", "Keys", "Prefix", "Qualify", "Rename", "Sanitize", "Uppercase"]

_WORD = LazyPattern(r"[A-Za-z0-9_]+")
_SECTION = LazyPattern(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?")


def _env_prefix(what: str, value: str) -> str:
    if not is_env_name(value):
        raise ValueError(
            f"{what} {value!r} must start a valid variable name: ASCII letters, "
            "digits and _, not starting with a digit"
        )
    return value


def _word(value: str) -> str:
    if _WORD.fullmatch(value) is None:
        raise ValueError(f"word {value!r} must be ASCII letters, digits and _")
    return value


def _rename_map(value: Mapping[str, str]) -> Mapping[str, str]:
    if not value:
        raise ValueError("rename needs at least one OLD: NEW pair")
    for old, new in value.items():
        if not isinstance(old, str) or not isinstance(new, str) or not old:
            raise ValueError("rename maps field names to variable names, both strings")
        if not is_env_name(new):
            raise ValueError(
                f"rename target {new!r} (for {shown_name(old)}) is not a valid variable name: "
                "ASCII letters, digits and _, not starting with a digit"
            )
    return value


def _names(value: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        raise ValueError("names needs at least one name")
    for name in value:
        if not isinstance(name, str) or not name:
            raise ValueError("names holds non-empty field names (strings)")
    if len(set(value)) != len(value):
        raise ValueError("names lists a name twice")
    return value


class Rename(BaseTransform):
    """Rename fields: `Rename({"POSTGRES_USER": "POSTGRES_AIRFLOW_USER"})`.

    Unlisted fields keep their names. Naming a field the secret lacks is a
    TransformError (a config mistake, not something to skip quietly).
    """

    __slots__ = ("mapping",)
    mapping: Mapping[str, str]

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self._init(mapping=_rename_map(frozen_str_map(mapping)))

    def __call__(self, entries: tuple[Entry, ...], /) -> tuple[Entry, ...]:
        step = repr(self)
        require_present(entries, self.mapping, step)
        return unique((e.renamed(self.mapping.get(e.name, e.name), step) for e in entries), step)

    def __repr__(self) -> str:
        return config_line("rename", dict(self.mapping))


class Prefix(BaseTransform):
    """Put `prefix` before every name.

    `Prefix("GF_SECURITY_")`: ADMIN_USER -> GF_SECURITY_ADMIN_USER.
    """

    __slots__ = ("prefix",)
    prefix: str

    def __init__(self, prefix: str) -> None:
        self._init(prefix=_env_prefix("prefix", prefix))

    def __call__(self, entries: tuple[Entry, ...], /) -> tuple[Entry, ...]:
        step = repr(self)
        return unique((e.renamed(self.prefix + e.name, step) for e in entries), step)

    def __repr__(self) -> str:
        return config_line("prefix", self.prefix)


class Qualify(BaseTransform):
    """Insert a word after the first `_`-separated segment.

    `Qualify("AIRFLOW")`: POSTGRES_USER -> POSTGRES_AIRFLOW_USER. A name
    with no `_` is one segment, so the word goes at its end: TOKEN ->
    TOKEN_AIRFLOW. A leading `_` makes an empty first segment: _X -> _AIRFLOW_X.
    The mapping is one-to-one, so it never merges two fields.
    """

    __slots__ = ("word",)
    word: str

    def __init__(self, word: str) -> None:
        self._init(word=_word(word))

    def __call__(self, entries: tuple[Entry, ...], /) -> tuple[Entry, ...]:
        step = repr(self)
        return unique((e.renamed(self._qualified(e.name), step) for e in entries), step)

    def _qualified(self, name: str) -> str:
        head, sep, tail = name.partition("_")
        return f"{head}_{self.word}{sep}{tail}"

    def __repr__(self) -> str:
        return config_line("qualify", self.word)


class Uppercase(BaseTransform):
    """Upper-case every name (two fields differing only in case are a TransformError)."""

    __slots__ = ()

    def __call__(self, entries: tuple[Entry, ...], /) -> tuple[Entry, ...]:
        step = repr(self)
        return unique((e.renamed(e.name.upper(), step) for e in entries), step)

    def __repr__(self) -> str:
        return "uppercase"


_INVALID = LazyPattern(r"[^A-Za-z0-9_]")


class Sanitize(BaseTransform):
    """Replace each character invalid in a variable name with `_`: `api-key` -> `api_key`.

    Non-ASCII letters count as invalid. A result that is still invalid (empty,
    or starting with a digit) is a TransformError naming the field, and so is
    two fields becoming one name (`a-b` and `a_b`).
    """

    __slots__ = ()

    def __call__(self, entries: tuple[Entry, ...], /) -> tuple[Entry, ...]:
        step = repr(self)
        out = []
        for entry in entries:
            name = _INVALID.sub("_", entry.name)
            if not is_env_name(name):
                raise TransformError(
                    f"`sanitize`: {entry.origin.ref} gives {name!r}, still not a valid variable "
                    "name (empty or starting with a digit); add a `rename` or `prefix` before it"
                )
            out.append(entry.renamed(name, step))
        return unique(out, step)

    def __repr__(self) -> str:
        return "sanitize"


class Keys(BaseTransform):
    """Keep only the named fields (an allow-list); naming one that is absent is a TransformError."""

    __slots__ = ("names",)
    names: tuple[str, ...]

    def __init__(self, names: Iterable[str]) -> None:
        self._init(names=_names(str_tuple(names)))

    def __call__(self, entries: tuple[Entry, ...], /) -> tuple[Entry, ...]:
        step = repr(self)
        require_present(entries, self.names, step)
        wanted = set(self.names)
        return tuple(e.renamed(e.name, step) for e in entries if e.name in wanted)

    def __repr__(self) -> str:
        return config_line("keys", list(self.names))


class Drop(BaseTransform):
    """Remove the named fields; naming one that is absent is a TransformError (likely a typo)."""

    __slots__ = ("names",)
    names: tuple[str, ...]

    def __init__(self, names: Iterable[str]) -> None:
        self._init(names=_names(str_tuple(names)))

    def __call__(self, entries: tuple[Entry, ...], /) -> tuple[Entry, ...]:
        step = repr(self)
        require_present(entries, self.names, step)
        dropped = set(self.names)
        return tuple(e.renamed(e.name, step) for e in entries if e.name not in dropped)

    def __repr__(self) -> str:
        return config_line("drop", list(self.names))


def _sections(value: Mapping[str, str]) -> Mapping[str, str]:
    if not value:
        raise ValueError("airflow needs at least one KEY: section entry in sections")
    for key, section in value.items():
        if not isinstance(key, str) or not key:
            raise ValueError("airflow sections keys are field names (non-empty strings)")
        if not isinstance(section, str) or _SECTION.fullmatch(section) is None:
            raise ValueError(
                f"airflow section for {shown_name(key)} must be `section` or `section.option` "
                f"(ASCII letters, digits, _), not {section!r}"
            )
    return value


class Airflow(BaseTransform):
    """Name fields the way Airflow reads its configuration from the environment.

    A field mapped to `section` becomes `AIRFLOW__<SECTION>__<FIELD>`; one
    mapped to `section.option` becomes `AIRFLOW__<SECTION>__<OPTION>`; all
    upper-cased (Airflow's `AIRFLOW__{SECTION}__{KEY}`). Unlisted fields
    become `others_prefix + FIELD` (upper-cased), or keep their names when
    `others_prefix` is None. A listed field the secret lacks is a TransformError.
    """

    __slots__ = ("sections", "others_prefix")
    sections: Mapping[str, str]
    others_prefix: str | None

    def __init__(self, sections: Mapping[str, str], others_prefix: str | None = "AIRFLOW_") -> None:
        sections = _sections(frozen_str_map(sections))
        if others_prefix is not None:
            _env_prefix("others_prefix", others_prefix)
        self._init(sections=sections, others_prefix=others_prefix)

    def __call__(self, entries: tuple[Entry, ...], /) -> tuple[Entry, ...]:
        step = repr(self)
        require_present(entries, self.sections, step)
        return unique((e.renamed(self._name(e.name), step) for e in entries), step)

    def _name(self, field: str) -> str:
        target = self.sections.get(field)
        if target is None:
            return field if self.others_prefix is None else (self.others_prefix + field).upper()
        section, _, option = target.partition(".")
        return f"AIRFLOW__{section}__{option or field}".upper()

    def __repr__(self) -> str:
        args: dict[str, Any] = {"sections": dict(self.sections)}
        if self.others_prefix != "AIRFLOW_":
            args["others_prefix"] = self.others_prefix
        return config_line("airflow", args)
