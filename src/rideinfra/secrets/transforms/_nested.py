"""Nested JSON secrets to flat variables and back (pydantic-settings' `env_nested_delimiter`).

The convention, shared by `Flatten`, `Unflatten` and `unflatten()`:

* each level of a nested object is one name segment, joined by `sep`
  (`{"core": {"fernet_key": "x"}}` -> `CORE__FERNET_KEY=x`), after an
  optional `prefix` segment;
* a string leaf is its text; a number is its text as stored (`1.50`,
  `1e5`), a boolean `true` or `false`, which pydantic parses back to the
  field's type;
* a list, or an empty object, is not split: it becomes one variable holding
  its JSON text (`HOSTS=["a", "b"]`), which is how pydantic-settings reads
  complex values (and `{}` keeps an empty section from vanishing);
* a null is refused (it has no text), as is a nested key containing `sep`
  (it would read back as two levels).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from rideinfra.errors import TransformError, shown_name
from rideinfra.secrets.model import SecretValue, json_text, read_json
from rideinfra.secrets.transforms._core import (
    BaseTransform,
    Entry,
    config_line,
    is_env_name,
    unique,
)

__all__ = ["Flatten", "Unflatten", "unflatten"]


def _sep(value: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("sep must be a non-empty string")
    return value


def _prefix(value: str | None) -> str | None:
    if value is not None and not is_env_name(value):
        raise ValueError(
            f"prefix {value!r} must start a valid variable name: ASCII letters, digits and _"
        )
    return value


def _json_text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)  # built from variables: strings only


class Flatten(BaseTransform):
    """One variable per leaf of nested JSON fields: `Flatten(prefix="AIRFLOW")`.

    `{"core": {"fernet_key": "x"}}` becomes `AIRFLOW__CORE__FERNET_KEY=x`.
    Plain (non-nested) fields become `PREFIX__FIELD`. Names are upper-cased
    unless `uppercase=False`. See the module docstring for lists, scalars and
    what is refused.
    """

    __slots__ = ("prefix", "sep", "uppercase")
    prefix: str | None
    sep: str
    uppercase: bool

    def __init__(self, prefix: str | None = None, sep: str = "__", uppercase: bool = True) -> None:
        self._init(prefix=_prefix(prefix), sep=_sep(sep), uppercase=uppercase)

    def __call__(self, entries: tuple[Entry, ...], /) -> tuple[Entry, ...]:
        step = repr(self)
        out: list[Entry] = []
        head = [self.prefix] if self.prefix else []
        for entry in entries:
            if entry.value.structured:
                data = read_json(entry.value.reveal())  # numbers as stored
                leaves = self._leaves(data, [entry.name], entry)
            else:
                leaves = iter([([entry.name], entry.value)])
            for path, value in leaves:
                name = self.sep.join(head + path)
                out.append(Entry(name.upper() if self.uppercase else name, value, entry.origin))
        return unique((e.renamed(e.name, step) for e in out), step)

    def _leaves(
        self, data: Any, path: list[str], entry: Entry
    ) -> Iterator[tuple[list[str], SecretValue]]:
        if isinstance(data, dict) and data:
            for key, child in data.items():
                if self.sep in key:
                    raise TransformError(
                        f"`flatten`: {entry.origin.ref} has a nested key {key!r} containing the "
                        f"separator {self.sep!r}; it would read back as two levels: "
                        "choose another sep"
                    )
                yield from self._leaves(child, [*path, key], entry)
        elif isinstance(data, str):  # a number too: its text as stored
            yield path, SecretValue(str(data))
        elif data is None:
            where = shown_name(".".join(path[1:])) if path[1:] else "the top"
            raise TransformError(
                f"`flatten`: {entry.origin.ref} has a null at {where}; "
                "store a string there or remove the key"
            )
        else:  # boolean, list, empty object
            yield path, SecretValue(json_text(data))

    def __repr__(self) -> str:
        args: dict[str, Any] = {}
        if self.prefix is not None:
            args["prefix"] = self.prefix
        if self.sep != "__":
            args["sep"] = self.sep
        if not self.uppercase:
            args["uppercase"] = False
        return config_line("flatten", args or None)


class _Conflict(Exception):
    def __init__(self, name: str) -> None:
        self.name = name


def _nest(pairs: list[tuple[list[str], Any, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for path, value, name in pairs:
        node = root
        for segment in path[:-1]:
            child = node.setdefault(segment, {})
            if not isinstance(child, dict):
                raise _Conflict(name)
            node = child
        if path[-1] in node:
            raise _Conflict(name)
        node[path[-1]] = value
    return root


def _split(name: str, prefix: str | None, sep: str, lowercase: bool) -> list[str] | None:
    if prefix is not None:
        head = prefix + sep
        # Case-insensitive like pydantic-settings, unless case is being kept.
        if not (name.lower().startswith(head.lower()) if lowercase else name.startswith(head)):
            return None
        name = name[len(prefix) + len(sep) :]
    return (name.lower() if lowercase else name).split(sep)


def unflatten(
    variables: Mapping[str, str],
    *,
    prefix: str | None = None,
    sep: str = "__",
    lowercase: bool = True,
) -> dict[str, Any]:
    """Read flat variables back into nested dicts: the reverse of `Flatten`.

    `{"AIRFLOW__CORE__FERNET_KEY": "x"}` with `prefix="AIRFLOW"` gives
    `{"core": {"fernet_key": "x"}}`. Variables without the prefix are
    skipped (the prefix matches in any case when `lowercase`); leaves
    stay strings (JSON text of lists and numbers is for the consumer, e.g.
    pydantic, to parse).

    Raises:
        ValueError: a name is both a value and a section (`A=1` and `A__B=2`).
    """
    pairs = []
    for name, value in variables.items():
        path = _split(name, prefix, sep, lowercase)
        if path is not None:
            pairs.append((path, value, name))
    try:
        return _nest(pairs)
    except _Conflict as exc:
        raise ValueError(
            f"variable {shown_name(exc.name)} clashes with another: one name is both a value "
            "and a section"
        ) from None


class Unflatten(BaseTransform):
    """Gather `PREFIX__A__B` entries into one nested JSON entry per top-level segment.

    The reverse of `Flatten` on entries: the result is `structured`
    JSON text (leaves as strings), for code that reads nested settings.
    Entries without the prefix pass through. A gathered entry keeps the origin
    of its first variable.
    """

    __slots__ = ("prefix", "sep", "lowercase")
    prefix: str | None
    sep: str
    lowercase: bool

    def __init__(self, prefix: str | None = None, sep: str = "__", lowercase: bool = True) -> None:
        self._init(prefix=_prefix(prefix), sep=_sep(sep), lowercase=lowercase)

    def __call__(self, entries: tuple[Entry, ...], /) -> tuple[Entry, ...]:
        step = repr(self)
        pairs: list[tuple[list[str], Any, str]] = []
        first: dict[str, Entry] = {}
        out: list[Entry | str] = []  # a str marks where a gathered top-level entry goes
        for entry in entries:
            path = _split(entry.name, self.prefix, self.sep, self.lowercase)
            if path is None:
                out.append(entry.renamed(entry.name, step))
                continue
            pairs.append((path, entry.value.reveal(), entry.name))
            if path[0] not in first:
                first[path[0]] = entry
                out.append(path[0])
        try:
            tree = _nest(pairs)
        except _Conflict as exc:
            raise TransformError(
                f"`unflatten`: variable {shown_name(exc.name)} is both a value and a section "
                "of another"
            ) from None
        result = []
        for item in out:
            if isinstance(item, Entry):
                result.append(item)
                continue
            node = tree[item]
            value = (
                SecretValue(_json_text(node), structured=True)
                if isinstance(node, dict)
                else SecretValue(node)
            )
            result.append(Entry(item, value, first[item].origin.applied(step)))
        return unique(result, step)

    def __repr__(self) -> str:
        args: dict[str, Any] = {}
        if self.prefix is not None:
            args["prefix"] = self.prefix
        if self.sep != "__":
            args["sep"] = self.sep
        if not self.lowercase:
            args["lowercase"] = False
        return config_line("unflatten", args or None)
