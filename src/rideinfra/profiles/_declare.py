"""A small declarative reader: each node of a file's declaration says what it accepts.

A file (rideinfra.yaml, a seed file) is declared once as a tree of nodes:
`Struct` (named `Field`s with descriptions and defaults), `MapOf`, `ListOf`,
`Str` / `Int` / `Number` / `Bool`, `Const`, `Enum`, `Optional`, `Union`
(tagged on a key such as `type`) and `Shorthand` (a string standing for a
mapping), plus converters and builders per node. From that one declaration:

- `read` walks parsed data and returns the built object (the frozen `Config`,
  a `SeedSpec`) when everything is valid;
- the same walk collects every problem with its path
  (`profiles.monitoring.secrets[0].transforms[0]`), and `refusal` turns them
  into one `ConfigError` naming the file, the path, the line, what is wrong,
  the valid choices and the closest name;
- `schema` gives the JSON Schema (`rideinfra schema`, docs/reference/config.md).

Why our own and not pydantic or msgspec: docs/design-notes.md ("One reader").
Converters and builders raise `Invalid` to refuse; a node never lets another
exception out for any input, which the tests check on generated files.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence, Sized
from pathlib import Path
from typing import Any, Protocol

from rideinfra._record import Record
from rideinfra.errors import ConfigError
from rideinfra.secrets._yaml import YamlDocument

__all__ = [
    "INVALID",
    "Bool",
    "Const",
    "Deferred",
    "Enum",
    "Field",
    "Int",
    "Invalid",
    "ListOf",
    "MapOf",
    "Node",
    "Number",
    "Optional",
    "Reading",
    "Shorthand",
    "Str",
    "Struct",
    "Union",
    "did_you_mean",
    "format_path",
    "kind_of",
    "read",
    "refusal",
]

Location = tuple[str | int, ...]


class _Marker:
    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: What a node returns when the value was refused (the problem is recorded).
INVALID: Any = _Marker("INVALID")
#: A field without a default: required.
REQUIRED: Any = _Marker("REQUIRED")


class Invalid(Exception):
    """Raised by a converter or builder: the value is refused, saying why.

    Args:
        message: what is wrong and how to fix it (never a secret value).
        at: where, relative to the node being read.
        more: further `(at, message)` problems found together.
    """

    def __init__(
        self, message: str, *, at: Location = (), more: Sequence[tuple[Location, str]] = ()
    ) -> None:
        super().__init__(message)
        self.problems = [(at, message), *more]


class Reading:
    """One walk over one file: the problems found so far, and what builders need.

    Attributes:
        base: the absolute directory relative paths in the file are relative to.
        doc: the YAML nodes, for line numbers and how a scalar was written.
        problems: (where, what) for each refusal so far, in the order found.
    """

    __slots__ = ("base", "doc", "problems")

    def __init__(self, base: Path, doc: YamlDocument | None = None) -> None:
        self.base = base
        self.doc = doc
        self.problems: list[tuple[Location, str]] = []

    def __repr__(self) -> str:
        return f"Reading(base={self.base!r}, {len(self.problems)} problem(s))"

    def refuse(self, at: Location, message: str) -> Any:
        """Record a problem at `at`; returns `INVALID` for the caller to return."""
        self.problems.append((at, message))
        return INVALID

    def path(self, text: str, *, at: Location = ()) -> Path:
        """A path from the file, relative to its directory, `~` expanded.

        Raises:
            Invalid: `~user` names no user (at `at`).
        """
        try:
            expanded = Path(text).expanduser()
        except RuntimeError:
            raise Invalid(
                "cannot expand `~` here: no such user, or no home directory; write the path out",
                at=at,
            ) from None
        # normpath, not resolve(): a symlinked output dir must stay the symlink.
        return Path(os.path.normpath(self.base / expanded))


def _segment(key: object) -> str:
    """A mapping key as a path segment: always text (an int segment is a list index)."""
    return key if isinstance(key, str) else str(key)


def kind_of(value: object) -> str:
    """`a mapping`, `a list`, `a string`, ...: what a value is, without showing it."""
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


def did_you_mean(word: object, choices: Sequence[str]) -> str:
    """`"; did you mean `x`?"` for the closest choice, or `""`."""
    if not isinstance(word, str):
        return ""
    import difflib  # only when refusing: a valid file's start-up need not pay for it

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def _choices(values: Sequence[object]) -> str:
    shown = [repr(v) for v in values]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


class Node(Protocol):
    """One place in a file: reads a value there, and describes itself as JSON Schema."""

    def read(self, value: Any, at: Location, reading: Reading) -> Any:
        """The built value, or `INVALID` after recording why in `reading`."""

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        """This node's JSON Schema; named structs go into `defs`."""


Convert = Callable[[Any], Any]


def _container_problem(
    value: Any, kind: type[Sized], expected: str, min_items: int, unit: str
) -> str:
    """Why `value` is not a `kind` of at least `min_items` `unit`s; `""` when it is one."""
    if not isinstance(value, kind):
        return f"expected {expected}, got {kind_of(value)}"
    if len(value) < min_items:
        return f"needs at least {min_items} {unit}, has none"
    return ""


def _container_read(
    convert: Convert | None, built: Any, items: Iterable[Any], at: Location, reading: Reading
) -> Any:
    """`built` (a container of the read `items`) converted; `INVALID` if an item was refused."""
    if any(item is INVALID for item in items):
        return INVALID
    return _converted(convert, built, at, reading)


def _converted(convert: Convert | None, value: Any, at: Location, reading: Reading) -> Any:
    if convert is None:
        return value
    try:
        return convert(value)
    except Invalid as exc:
        for where, message in exc.problems:
            reading.refuse((*at, *where), message)
        return INVALID


class Str(Record):
    """A string, optionally non-empty, then `convert`ed (which may raise `Invalid`)."""

    __slots__ = ("min_length", "convert", "expected")
    min_length: int
    convert: Convert | None
    expected: str

    def __init__(
        self, min_length: int = 0, convert: Convert | None = None, expected: str = "a string"
    ) -> None:
        self._init(min_length=min_length, convert=convert, expected=expected)

    def read(self, value: Any, at: Location, reading: Reading) -> Any:
        if not isinstance(value, str):
            return reading.refuse(at, f"expected {self.expected}, got {kind_of(value)}")
        if len(value) < self.min_length:
            return reading.refuse(at, "must not be empty")
        return _converted(self.convert, value, at, reading)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", **({"minLength": self.min_length} if self.min_length else {})}


class Int(Record):
    """An integer (not a boolean) from `ge` to `le`."""

    __slots__ = ("ge", "le")
    ge: int
    le: int

    def __init__(self, ge: int, le: int) -> None:
        self._init(ge=ge, le=le)

    def read(self, value: Any, at: Location, reading: Reading) -> Any:
        if type(value) is not int:
            return reading.refuse(at, f"expected an integer, got {kind_of(value)}")
        if not self.ge <= value <= self.le:
            return reading.refuse(at, f"must be from {self.ge} to {self.le}, not {value}")
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"maximum": self.le, "minimum": self.ge, "type": "integer"}


class Number(Record):
    """A number above `gt` and at most `le`, as a float (an int is taken)."""

    __slots__ = ("gt", "le", "unit")
    gt: float
    le: float
    unit: str

    def __init__(self, gt: float, le: float, unit: str = "") -> None:
        self._init(gt=gt, le=le, unit=unit)

    def read(self, value: Any, at: Location, reading: Reading) -> Any:
        if type(value) not in (int, float):
            return reading.refuse(at, f"expected a number, got {kind_of(value)}")
        if not self.gt < value <= self.le:  # also refuses NaN
            return reading.refuse(
                at, f"must be more than {self.gt:g} and at most {self.le:g}{self.unit}"
            )
        return float(value)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"exclusiveMinimum": self.gt, "maximum": self.le, "type": "number"}


class Bool(Record):
    """`true` or `false`."""

    __slots__ = ()

    def read(self, value: Any, at: Location, reading: Reading) -> Any:
        if type(value) is not bool:
            return reading.refuse(at, f"expected true or false, got {kind_of(value)}")
        return value

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "boolean"}


class Const(Record):
    """Exactly `value` (of its type); `message` may use `{value}` for what was found."""

    __slots__ = ("value", "message")
    value: str | int
    message: str | None

    def __init__(self, value: str | int, message: str | None = None) -> None:
        self._init(value=value, message=message)

    def read(self, value: Any, at: Location, reading: Reading) -> Any:
        if type(value) is type(self.value) and value == self.value:
            return value
        if self.message is not None:
            shown = repr(value) if type(value) in (str, int, float, bool) else f"({kind_of(value)})"
            return reading.refuse(at, self.message.format(value=shown))
        return reading.refuse(at, f"must be {self.value!r}")

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        kind = "integer" if isinstance(self.value, int) else "string"
        return {"const": self.value, "type": kind}


class Enum(Record):
    """One of `choices` (strings)."""

    __slots__ = ("choices",)
    choices: tuple[str, ...]

    def __init__(self, choices: tuple[str, ...]) -> None:
        self._init(choices=choices)

    def read(self, value: Any, at: Location, reading: Reading) -> Any:
        if isinstance(value, str) and value in self.choices:
            return value
        got = repr(value) if isinstance(value, str | int | float | bool) else kind_of(value)
        return reading.refuse(
            at,
            f"must be {_choices(self.choices)}, not {got}" + did_you_mean(value, self.choices),
        )

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"enum": list(self.choices), "type": "string"}


class Optional(Record):
    """`null` (None), or what `node` accepts."""

    __slots__ = ("node",)
    node: Node

    def __init__(self, node: Node) -> None:
        self._init(node=node)

    def read(self, value: Any, at: Location, reading: Reading) -> Any:
        return None if value is None else self.node.read(value, at, reading)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"anyOf": [self.node.schema(defs), {"type": "null"}]}


class ListOf(Record):
    """A list of `item`s, at least `min_items`, the built list then `convert`ed."""

    __slots__ = ("item", "min_items", "convert")
    item: Node
    min_items: int
    convert: Convert | None

    def __init__(self, item: Node, min_items: int = 0, convert: Convert | None = None) -> None:
        self._init(item=item, min_items=min_items, convert=convert)

    def read(self, value: Any, at: Location, reading: Reading) -> Any:
        if problem := _container_problem(value, list, "a list", self.min_items, "item(s)"):
            return reading.refuse(at, problem)
        built = [self.item.read(item, (*at, i), reading) for i, item in enumerate(value)]
        return _container_read(self.convert, built, built, at, reading)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        out = {"items": self.item.schema(defs), "type": "array"}
        return out | ({"minItems": self.min_items} if self.min_items else {})


class MapOf(Record):
    """A mapping of string keys (each read by `key`) to `value`s; the dict then `convert`ed."""

    __slots__ = ("value", "key", "min_items", "convert", "expected")
    value: Node
    key: Node
    min_items: int
    convert: Convert | None
    expected: str

    def __init__(
        self,
        value: Node,
        key: Node | None = None,
        min_items: int = 0,
        convert: Convert | None = None,
        expected: str = "a mapping (key: value)",
    ) -> None:
        self._init(
            value=value,
            key=Str() if key is None else key,
            min_items=min_items,
            convert=convert,
            expected=expected,
        )

    def read(self, value: Any, at: Location, reading: Reading) -> Any:
        if problem := _container_problem(value, dict, self.expected, self.min_items, "entry(s)"):
            return reading.refuse(at, problem)
        built: dict[Any, Any] = {}
        for raw_key, item in value.items():
            where = (*at, _segment(raw_key))
            key = self.key.read(raw_key, where, reading)
            built_item = self.value.read(item, where, reading)
            built[raw_key if key is INVALID else key] = INVALID if key is INVALID else built_item
        return _container_read(self.convert, built, built.values(), at, reading)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        out = {"additionalProperties": self.value.schema(defs), "type": "object"}
        return out | ({"minProperties": self.min_items} if self.min_items else {})


class Field(Record):
    """One key of a `Struct`.

    Attributes:
        node: what the key's value must be.
        default: the value (as written in a file) used when the key is absent;
            `REQUIRED` if it must be there.
        description: for the schema and the reference page.
        show_default: put the default in the schema.
        gate: if present and refused, nothing else in the struct is checked
            (`version`: a file of another version is not read further).
    """

    __slots__ = ("node", "default", "description", "show_default", "gate")
    node: Node
    default: Any
    description: str | None
    show_default: bool
    gate: bool

    def __init__(
        self,
        node: Node,
        default: Any = REQUIRED,
        description: str | None = None,
        show_default: bool = True,
        gate: bool = False,
    ) -> None:
        self._init(
            node=node,
            default=default,
            description=description,
            show_default=show_default,
            gate=gate,
        )


class Struct(Record):
    """A mapping with known keys, each a `Field`; `build` makes the object from them.

    Attributes:
        fields: key -> field, in the order the schema and messages use.
        build: the built field values (by key) -> the object; may raise `Invalid`.
        title: the schema's title.
        ref: the name under `$defs` (None: the schema is inline).
        description: the schema's description.
        expected: what a value of the wrong type is told it should be.
    """

    __slots__ = ("fields", "build", "title", "ref", "description", "expected")
    fields: Mapping[str, Field]
    build: Callable[[dict[str, Any], Reading], Any]
    title: str
    ref: str | None
    description: str | None
    expected: str

    def __init__(
        self,
        fields: Mapping[str, Field],
        build: Callable[[dict[str, Any], Reading], Any],
        title: str,
        ref: str | None = None,
        description: str | None = None,
        expected: str = "a mapping (key: value)",
    ) -> None:
        self._init(
            fields=fields,
            build=build,
            title=title,
            ref=ref,
            description=description,
            expected=expected,
        )

    def read(self, value: Any, at: Location, reading: Reading) -> Any:
        if not isinstance(value, dict):
            return reading.refuse(at, f"expected {self.expected}, got {kind_of(value)}")
        if self._gate_refused(value, at, reading) or self._unknown_keys(value, at, reading):
            return INVALID
        built: dict[str, Any] = {}
        for name, field in self.fields.items():
            if name in value:
                built[name] = field.node.read(value[name], (*at, name), reading)
            elif field.default is REQUIRED:
                built[name] = reading.refuse((*at, name), f"required key `{name}` is missing")
            else:
                built[name] = field.node.read(_copy(field.default), (*at, name), reading)
        if any(item is INVALID for item in built.values()):
            return INVALID
        try:
            return self.build(built, reading)
        except Invalid as exc:
            for where, message in exc.problems:
                reading.refuse((*at, *where), message)
            return INVALID

    def _gate_refused(self, value: dict[Any, Any], at: Location, reading: Reading) -> bool:
        """A gate field (`version`) present and refused: its one problem, and nothing more."""
        for name, field in self.fields.items():
            if field.gate and name in value:
                before = len(reading.problems)
                if field.node.read(value[name], (*at, name), reading) is INVALID:
                    del reading.problems[before + 1 :]
                    return True
        return False

    def _unknown_keys(self, value: dict[Any, Any], at: Location, reading: Reading) -> bool:
        """Unknown keys, each with the valid ones and the closest: a struct with one is not read.

        A misspelt key would otherwise also be reported as a required one missing.
        """
        valid = list(self.fields)
        unknown = [key for key in value if key not in self.fields]
        for key in unknown:
            reading.refuse(
                (*at, _segment(key)),
                f"unknown key `{key}` (valid keys here: {', '.join(valid)})"
                + did_you_mean(key, valid),
            )
        return bool(unknown)

    def defaults(self) -> dict[str, Any]:
        """The defaults of the fields that have one, as written in a file."""
        return {n: f.default for n, f in self.fields.items() if f.default is not REQUIRED}

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        if self.ref is not None and self.ref in defs:
            return {"$ref": f"#/$defs/{self.ref}"}
        if self.ref is not None:
            defs[self.ref] = {}  # placeholder: a struct may contain itself (chain sources)
        properties = {name: self._property(name, f, defs) for name, f in self.fields.items()}
        required = [name for name, f in self.fields.items() if f.default is REQUIRED]
        out: dict[str, Any] = {
            "additionalProperties": False,
            "properties": properties,
            **({"required": required} if required else {}),
            "title": self.title,
            "type": "object",
            **({"description": self.description} if self.description else {}),
        }
        if self.ref is None:
            return out
        defs[self.ref] = out
        return {"$ref": f"#/$defs/{self.ref}"}

    @staticmethod
    def _property(name: str, field: Field, defs: dict[str, Any]) -> dict[str, Any]:
        out = dict(field.node.schema(defs))
        if field.default is not REQUIRED and field.show_default:
            node = field.node
            shown = field.default
            if isinstance(node, Struct) and field.default == {}:
                shown = node.defaults()
            out["default"] = shown
        if field.description:
            out["description"] = field.description
        if "$ref" not in out:
            out["title"] = name.replace("_", " ").title()
        return out


def _copy(value: Any) -> Any:
    """Defaults are shared declarations: never hand one out to be changed."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


class Deferred(Record):
    """A node declared later (a union that contains itself); `get` returns it."""

    __slots__ = ("get",)
    get: Callable[[], Node]

    def __init__(self, get: Callable[[], Node]) -> None:
        self._init(get=get)

    def read(self, value: Any, at: Location, reading: Reading) -> Any:
        return self.get().read(value, at, reading)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return self.get().schema(defs)


class Union(Record):
    """Mappings told apart by the `tag` key (`type: file`); each variant a `Struct`."""

    __slots__ = ("variants", "tag", "what")
    variants: tuple[Struct, ...]
    tag: str
    what: str

    def __init__(
        self, variants: tuple[Struct, ...], tag: str = "type", what: str = "value"
    ) -> None:
        self._init(variants=variants, tag=tag, what=what)

    def _tags(self) -> dict[str, Struct]:
        out = {}
        for variant in self.variants:
            tag = variant.fields[self.tag].node
            assert isinstance(tag, Const)  # noqa: S101 - a declaration error, not input
            out[str(tag.value)] = variant
        return out

    def read(self, value: Any, at: Location, reading: Reading) -> Any:
        tags = self._tags()
        if not isinstance(value, dict):
            return reading.refuse(at, f"expected a mapping (key: value), got {kind_of(value)}")
        if self.tag not in value:
            choices = list(tags)
            return reading.refuse(
                at,
                f"a {self.what} needs `{self.tag}:` ({', '.join(choices[:-1])} or {choices[-1]})",
            )
        tag = value[self.tag]
        variant = tags.get(tag) if isinstance(tag, str) else None
        if variant is None:
            return reading.refuse(
                at,
                f"unknown {self.tag} `{tag}` (valid {self.tag}s: {', '.join(tags)})"
                + did_you_mean(tag, list(tags)),
            )
        return variant.read(value, at, reading)

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        refs = [variant.schema(defs) for variant in self.variants]
        return {
            "discriminator": {
                "mapping": {tag: ref["$ref"] for tag, ref in zip(self._tags(), refs, strict=True)},
                "propertyName": self.tag,
            },
            "oneOf": refs,
        }


class Shorthand(Record):
    """A string standing for `{key: string}` of `struct` (`- app/db` for `- name: app/db`)."""

    __slots__ = ("struct", "key")
    struct: Struct
    key: str

    def __init__(self, struct: Struct, key: str) -> None:
        self._init(struct=struct, key=key)

    def read(self, value: Any, at: Location, reading: Reading) -> Any:
        if not isinstance(value, str):
            return self.struct.read(value, at, reading)
        before = len(reading.problems)
        built = self.struct.read({self.key: value}, at, reading)
        # Problems with the string are the item's, not a `name:` the file does not have.
        inner = (*at, self.key)
        reading.problems[before:] = [
            (at if where[: len(inner)] == inner else where, message)
            for where, message in reading.problems[before:]
        ]
        return built

    def schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"anyOf": [{"type": "string"}, self.struct.schema(defs)]}


def read(node: Node, data: Any, reading: Reading) -> Any:
    """Walk `data` with `node`: the built object, or `INVALID` with `reading.problems` set."""
    return node.read(data, (), reading)


def format_path(loc: Sequence[str | int]) -> str:
    """`profiles.monitoring.secrets[0]` from `("profiles", "monitoring", "secrets", 0)`."""
    text = ""
    for segment in loc:
        if isinstance(segment, int):
            text += f"[{segment}]"
        elif re.fullmatch(r"[\w/@+-]+", segment):
            text += f".{segment}" if text else segment
        else:
            import json

            text += f"[{json.dumps(segment)}]"
    return text


#: How many problems one error lists before "... and N more".
MAX_LISTED = 10


def refusal(
    problems: Sequence[tuple[Location, str]], file: str, doc: YamlDocument | None
) -> ConfigError:
    """One ConfigError for the problems: the first in full, the rest as `also ...` lines."""

    def where(loc: Location) -> str:
        line = doc.line(loc) if doc is not None else None
        return f"line {line}: " if line else ""

    (loc, message), rest = problems[0], problems[1:]
    text = where(loc) + message
    for more_loc, more in rest[: MAX_LISTED - 1]:
        text += f"\n  also {format_path(more_loc) or '(top)'}: {where(more_loc)}{more}"
    if len(rest) > MAX_LISTED - 1:
        text += f"\n  ... and {len(rest) - (MAX_LISTED - 1)} more"
    return ConfigError(text, file=file, path=format_path(loc) or None)
