"""Entries, their provenance, and the pipeline that runs transforms over them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import yaml

from rideinfra._record import Record
from rideinfra.errors import TransformError, printable, shown_name, shown_names
from rideinfra.secrets.model import Secret, SecretValue

__all__ = [
    "BaseTransform",
    "Entry",
    "Origin",
    "Pipeline",
    "Transform",
    "check_env_names",
    "config_line",
    "entries_from_secret",
    "is_env_name",
]

_set = object.__setattr__  # how a hot Record's `__init__` stores its fields (see Entry)

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_env_name(name: str) -> bool:
    """True when `name` is a portable environment variable name (POSIX sh can assign it).

    Letters, digits and `_`, not starting with a digit; ASCII only.
    """
    return _ENV_NAME.fullmatch(name) is not None


class Origin(Record):
    """Where a variable came from: safe to log, it holds names only.

    Attributes:
        secret: the secret's name.
        field: the secret's field the value was read from.
        transforms: the config line of each transform applied, in order.
        source: which source read the secret (`Secret.origin`).
        inputs: for a variable a `template` composed, the origin of the entry
            each placeholder read, in order (then `field` is the template text);
            None for a variable read from a field.
    """

    __slots__ = ("secret", "field", "transforms", "source", "inputs")
    secret: str
    field: str
    transforms: tuple[str, ...]
    source: str
    inputs: tuple[Origin, ...] | None

    def __init__(
        self,
        secret: str,
        field: str,
        transforms: tuple[str, ...] = (),
        source: str = "",
        inputs: tuple[Origin, ...] | None = None,
    ) -> None:
        # One per variable per step: each field set directly (`_init` costs twice as much).
        _set(self, "secret", secret)
        _set(self, "field", field)
        _set(self, "transforms", transforms)
        _set(self, "source", source)
        _set(self, "inputs", inputs)

    @property
    def composed(self) -> bool:
        """True for a variable a `template` built (its value is no one field's text)."""
        return self.inputs is not None

    @property
    def ref(self) -> str:
        """`secret:field` (composed: `template(secret:field, ...)`), for errors and explain.

        Escaped by `rideinfra.errors.printable`: a name from the store can hold a
        line break or a terminal escape.
        """
        if self.inputs is not None:
            refs = dict.fromkeys(origin.ref for origin in self.inputs)
            return "template(" + ", ".join(refs) + ")"
        return printable(f"{self.secret}:{self.field}")

    def applied(self, step: str) -> Origin:
        """A copy with one more transform recorded."""
        return Origin(self.secret, self.field, (*self.transforms, step), self.source, self.inputs)


class Entry(Record):
    """One future variable: a name, its (redacted) value, and where it came from."""

    __slots__ = ("name", "value", "origin")
    _hidden = frozenset({"value"})
    name: str
    value: SecretValue
    origin: Origin

    def __init__(self, name: str, value: SecretValue, origin: Origin) -> None:
        # One per variable per step: each field set directly (`_init` costs twice as much).
        _set(self, "name", name)
        _set(self, "value", value)
        _set(self, "origin", origin)

    def renamed(self, name: str, step: str) -> Entry:
        """A new entry called `name` with `step` recorded in its origin."""
        return Entry(name, self.value, self.origin.applied(step))


def entries_from_secret(secret: Secret) -> tuple[Entry, ...]:
    """One entry per field of `secret`, named after the field, in store order."""
    return tuple(
        Entry(field, value, Origin(secret.name, field, (), secret.origin))
        for field, value in secret.fields.items()
    )


@runtime_checkable
class Transform(Protocol):
    """Anything that maps entries to new entries; it must never mutate its input."""

    def __call__(self, entries: tuple[Entry, ...], /) -> tuple[Entry, ...]:
        """Return the new entries."""
        ...


def config_line(name: str, args: Any = None) -> str:
    """The transform as one line of rideinfra.yaml, e.g. `prefix: GF_SECURITY_`.

    YAML flow style, so the text is also valid YAML inside a `[...]` list.
    A transform names itself by this line in every entry it touches (`repr`,
    the step of an `Origin`), once per secret it runs on; the same arguments
    give the same line, so each is written by PyYAML once and then read from
    a small cache (a dump costs 0.2-0.3 ms: with a transform bound to every
    tenth secret, a quarter to a third of `resolve`'s time).
    """
    if args is None:
        return name
    key = (name, _cache_key(args))
    line = _LINES.get(key)
    if line is None:
        if len(_LINES) >= _LINES_KEPT:  # a long `watch` re-reads its config: keep it bounded
            _LINES.clear()
        text = _flow_yaml({name: args}, plain=True)
        if not text.isprintable():
            # A name with a line break or a terminal escape: every string quoted and
            # escaped, so the line is still one line, and still reads back as YAML.
            text = _flow_yaml({name: args}, plain=False)
        line = _LINES[key] = text[1:-1]  # drop the outer "{...}" of the one-key mapping
    return line


def _flow_yaml(data: object, *, plain: bool) -> str:
    return str(
        yaml.safe_dump(
            data,
            default_flow_style=True,
            default_style=None if plain else '"',
            width=1 << 30,
            sort_keys=False,
            allow_unicode=plain,
        )
    ).strip()


_LINES: dict[tuple[str, object], str] = {}
_LINES_KEPT = 1024


def _cache_key(value: Any) -> object:
    """A hashable stand-in for `value`, equal only for values PyYAML writes alike.

    Types are kept at every level (True and 1, or 1 and 1.0, are equal in
    Python and written differently), mappings keep their order (the line
    does), and a scalar is keyed by its repr (0.0 and -0.0 are equal, and
    written `0.0` and `-0.0`).
    """
    if isinstance(value, Mapping):
        return (type(value), tuple((_cache_key(k), _cache_key(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return (type(value), tuple(_cache_key(v) for v in value))
    return (type(value), repr(value))


class BaseTransform(Record):
    """What the built-in transforms share: each is a frozen `Record`; `a | b` makes a `Pipeline`."""

    __slots__ = ()

    def __or__(self, other: Transform) -> Pipeline:
        return Pipeline(self, other)  # type: ignore[arg-type]

    def __ror__(self, other: Transform) -> Pipeline:
        return Pipeline(other, self)  # type: ignore[arg-type]


def unique(entries: Iterable[Entry], step: str) -> tuple[Entry, ...]:
    """The entries, or a TransformError when two of them share a name.

    Every transform that names things calls this, so no field is ever lost
    by silently overwriting another.
    """
    out = tuple(entries)
    seen: dict[str, Entry] = {}
    for entry in out:
        first = seen.setdefault(entry.name, entry)
        if first is not entry:
            raise TransformError(
                f"`{printable(step)}` gives variable {shown_name(entry.name)} from both "
                f"{first.origin.ref} and "
                f"{entry.origin.ref}; a field would be lost: rename or drop one of them"
            )
    return out


def require_present(entries: tuple[Entry, ...], names: Iterable[str], step: str) -> None:
    """Raise a TransformError for a name the transform lists but no entry has."""
    have = {entry.name for entry in entries}
    missing = [name for name in names if name not in have]
    if missing:
        secrets = sorted({entry.origin.secret for entry in entries}) or ["(no secret)"]
        raise TransformError(
            f"`{printable(step)}` names field(s) {shown_names(missing)} but secret "
            f"{shown_names(secrets)} has only: {shown_names(sorted(have)) or '(none)'}; "
            "fix the name in the config"
        )


def check_env_names(entries: Sequence[Entry]) -> tuple[Entry, ...]:
    """The entries, or a TransformError naming the first invalid variable name.

    Raises:
        TransformError: a name is not letters, digits and `_` (or starts with a digit).
    """
    for entry in entries:
        if not is_env_name(entry.name):
            raise TransformError(
                f"{entry.origin.ref} becomes {entry.name!r}, which is not a valid environment "
                "variable name (ASCII letters, digits and _, not starting with a digit); "
                "add a `rename` or `sanitize` transform"
            )
    return tuple(entries)


def _flatten_steps(steps: Iterable[Transform]) -> tuple[Transform, ...]:
    out: list[Transform] = []
    for step in steps:
        if isinstance(step, Pipeline):
            out.extend(step.steps)
        elif callable(step):
            out.append(step)
        else:
            raise TypeError(f"a pipeline step must be a transform, not {type(step).__name__}")
    return tuple(out)


class Pipeline(BaseTransform):
    """Transforms run in order: `Pipeline(a, b)` or `a | b`.

    Nested pipelines are spliced in, so `(a | b) | c` has three steps. A
    pipeline is where variables are finished: after its last step every name
    must be a valid environment variable name.
    """

    __slots__ = ("steps",)
    steps: tuple[Transform, ...]

    def __init__(self, *steps: Transform) -> None:
        self._init(steps=_flatten_steps(steps))

    def __call__(self, entries: tuple[Entry, ...], /) -> tuple[Entry, ...]:
        """Run each step on the previous step's output, then check the names.

        Raises:
            TransformError: a step failed, or a final name is not a valid variable name.
        """
        out = tuple(entries)
        for step in self.steps:
            out = step(out)
        return check_env_names(out)

    def __or__(self, other: Transform) -> Pipeline:
        return Pipeline(*self.steps, other)

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return "[" + ", ".join(repr(step) for step in self.steps) + "]"


def frozen_str_map(value: Mapping[str, str]) -> Mapping[str, str]:
    """An immutable copy."""
    return MappingProxyType(dict(value))


def str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    """A tuple copy that refuses a bare string."""
    if isinstance(value, str):
        raise TypeError("expected a list of names, not one string")
    return tuple(value)
