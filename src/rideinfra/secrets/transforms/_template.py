"""`template`: new variables composed from fields, each placeholder escaped for its reader.

A template is text with placeholders: `{FIELD}` (the field's text as it is)
or `{FIELD|escaper}`; `{{` and `}}` are literal braces. Each escaper is
defined by the parser that reads its result, so the reader gives back the
field byte for byte, or the value is refused (naming the variable and the
placeholder, never the value):

- `url`: every UTF-8 byte outside RFC 3986 unreserved (`A-Za-z0-9-._~`) as
  `%XX`: exact in a URL's user-info, a path segment and a query value.
- `json`: the body of a JSON string (between its quotes).
- `libpq`: a libpq conninfo value inside single quotes (`password='...'`):
  `\\` and `'` backslash-escaped; a NUL is refused (conninfo is a C string).

Every escaper refuses a lone surrogate (not UTF-8 text). Placeholders are
looked up in the entries *before* the step, so one template cannot read
another's result; the source fields stay (a later `drop` or `keys` removes
them).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping

from rideinfra._lazy import LazyPattern
from rideinfra._record import Record
from rideinfra.errors import TransformError, printable, shown_name, shown_names
from rideinfra.secrets.model import SecretValue
from rideinfra.secrets.transforms._core import (
    BaseTransform,
    Entry,
    Origin,
    config_line,
    is_env_name,
    unique,
)

__all__ = ["ESCAPERS", "Literal", "Placeholder", "Template", "parse_template"]

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


class Unfit(Exception):
    """The value cannot be carried by the escaper; the message says why (never the value)."""


def _utf8(value: str) -> bytes:
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise Unfit("it is not valid Unicode text (a lone surrogate has no UTF-8 form)") from None


def escape_url(value: str) -> str:
    """RFC 3986 percent-encoding of every byte outside the unreserved set, upper-case hex."""
    _utf8(value)
    return "".join(
        char if char in _UNRESERVED else "".join(f"%{byte:02X}" for byte in char.encode())
        for char in value
    )


def escape_json(value: str) -> str:
    """The body of a JSON string holding `value` (non-ASCII kept as UTF-8)."""
    _utf8(value)
    return json.dumps(value, ensure_ascii=False)[1:-1]


def escape_libpq(value: str) -> str:
    """A conninfo value for inside single quotes: `\\` and `'` backslash-escaped."""
    _utf8(value)
    if "\0" in value:
        raise Unfit("it holds a NUL character, which a libpq conninfo string cannot carry")
    return value.replace("\\", "\\\\").replace("'", "\\'")


#: Escaper name -> function; what each guarantees is in the module docstring and docs/config.md.
ESCAPERS: Mapping[str, Callable[[str], str]] = {
    "json": escape_json,
    "libpq": escape_libpq,
    "url": escape_url,
}


class Literal(Record):
    """Text copied as it is (braces already unescaped)."""

    __slots__ = ("text",)
    text: str

    def __init__(self, text: str) -> None:
        self._init(text=text)


class Placeholder(Record):
    """`{field}` or `{field|escaper}`."""

    __slots__ = ("field", "escaper")
    field: str
    escaper: str | None

    def __init__(self, field: str, escaper: str | None = None) -> None:
        self._init(field=field, escaper=escaper)

    def __str__(self) -> str:
        return "{" + self.field + (f"|{self.escaper}" if self.escaper else "") + "}"


Part = Literal | Placeholder

_PLACEHOLDER = re.compile(r"\{([^{}|]*)(?:\|([^{}|]*))?\}")
# Any braced text: to tell a placeholder with two escapers from a stray `{`
# (only on that error's path, so compiled on first use).
_BRACED = LazyPattern(r"\{[^{}]*\}")


def parse_template(text: str) -> tuple[Part, ...]:
    """The parts of a template, or ValueError saying what is wrong and where.

    Raises:
        ValueError: an unclosed `{`, a lone `}`, an empty field name, more
            than one `|`, or an unknown escaper (with the closest name).
    """
    if not isinstance(text, str):
        raise TypeError("a template is a string")
    parts: list[Part] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if text.startswith(("{{", "}}"), i):
            literal.append(char)
            i += 2
        elif char == "}":
            raise ValueError(f"a lone `}}` at character {i + 1}; write `}}}}` for a literal brace")
        elif char == "{":
            match = _PLACEHOLDER.match(text, i)
            if match is None:
                braced = _BRACED.match(text, i)
                if braced is not None and braced.group(0).count("|") > 1:
                    raise ValueError(
                        f"the placeholder `{printable(braced.group(0))}` at character {i + 1} "
                        "has more "
                        "than one `|`: a placeholder takes one escaper, `{FIELD|escaper}`"
                    )
                raise ValueError(
                    f"the `{{` at character {i + 1} opens no placeholder `{{FIELD}}` or "
                    "`{FIELD|escaper}`; write `{{` for a literal brace"
                )
            field, escaper = match.group(1), match.group(2)
            if not field:
                raise ValueError(f"the placeholder at character {i + 1} names no field")
            if escaper is not None and escaper not in ESCAPERS:
                # Lower-cased first: `URL` is a typo of `url`, whatever difflib's ratio says.
                close = difflib.get_close_matches(escaper.lower(), list(ESCAPERS), n=1, cutoff=0.5)
                hint = f"; did you mean `{close[0]}`?" if close else ""
                raise ValueError(
                    f"unknown escaper `{printable(escaper)}` in `{printable(match.group(0))}` "
                    "(escapers: "
                    f"{', '.join(sorted(ESCAPERS))}){hint}"
                )
            if literal:
                parts.append(Literal("".join(literal)))
                literal = []
            parts.append(Placeholder(field, escaper))
            i = match.end()
        else:
            literal.append(char)
            i += 1
    if literal:
        parts.append(Literal("".join(literal)))
    return tuple(parts)


def _templates(value: Mapping[str, str]) -> Mapping[str, tuple[Part, ...]]:
    if not isinstance(value, Mapping) or not value:
        raise ValueError('template needs at least one VARIABLE: "text with {FIELD|escaper}"')
    out = {}
    for name, text in value.items():
        if not isinstance(name, str) or not is_env_name(name):
            raise ValueError(
                f"template variable {name!r} is not a valid variable name: ASCII letters, "
                "digits and _, not starting with a digit"
            )
        try:
            out[name] = parse_template(text)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    return out


def _unparse(parts: Iterable[Part]) -> str:
    return "".join(
        str(p) if isinstance(p, Placeholder) else p.text.replace("{", "{{").replace("}", "}}")
        for p in parts
    )


class Template(BaseTransform):
    """New variables composed from fields: `Template({"URL": "redis://:{PASSWORD|url}@r:6379"})`.

    Each placeholder names an entry present before this step; the new
    variables' origins record the template and every entry used. Naming an
    absent field is a TransformError naming the secret (or profile), the
    placeholder and the closest field; a value an escaper cannot carry is
    one naming the variable and placeholder. Neither shows a value.
    """

    __slots__ = ("templates",)
    templates: Mapping[str, tuple[Part, ...]]

    def __init__(self, templates: Mapping[str, str]) -> None:
        self._init(templates=_templates(templates))

    def __call__(self, entries: tuple[Entry, ...], /) -> tuple[Entry, ...]:
        secrets = sorted({e.origin.secret for e in entries if e.origin.secret})
        scope = f"secret {', '.join(secrets)!r}" if secrets else "(no secret)"
        return self.compose(entries, scope)

    def compose(
        self, entries: tuple[Entry, ...], scope: str, *, secret: str | None = None
    ) -> tuple[Entry, ...]:
        """The entries plus one per template variable.

        Args:
            entries: what the placeholders read, by name.
            scope: who has these fields, for messages (`secret 'app/db'`, `profile 'core'`).
            secret: the new entries' `Origin.secret` (default: the one secret all
                inputs come from, else empty).

        Raises:
            TransformError: a placeholder names no entry, an escaper cannot carry
                a value, or a new variable's name is taken.
        """
        step = repr(self)
        by_name = {entry.name: entry for entry in entries}
        made = []
        for variable, parts in self.templates.items():
            text: list[str] = []
            used: list[Origin] = []
            for part in parts:
                if isinstance(part, Literal):
                    text.append(part.text)
                    continue
                entry = by_name.get(part.field)
                if entry is None:
                    raise TransformError(self._missing(scope, variable, part, by_name))
                text.append(self._escaped(scope, variable, part, entry))
                used.append(entry.origin)  # one per placeholder, in order (render/eso reads them)
            owners = {origin.secret for origin in used}
            owner = secret if secret is not None else (owners.pop() if len(owners) == 1 else "")
            origin = Origin(owner, _unparse(parts), (step,), inputs=tuple(used))
            made.append(Entry(variable, SecretValue("".join(text)), origin))
        return unique((*entries, *made), step)

    @staticmethod
    def _missing(scope: str, variable: str, part: Placeholder, have: Mapping[str, Entry]) -> str:
        close = difflib.get_close_matches(part.field, list(have), n=1, cutoff=0.5)
        hint = f"; did you mean {shown_name(close[0])}?" if close else ""
        return (
            f"`template` {variable}: placeholder {printable(part)} names no field of {scope} "
            f"at this step (it has: {shown_names(sorted(have)) or 'nothing'}){hint}"
        )

    @staticmethod
    def _escaped(scope: str, variable: str, part: Placeholder, entry: Entry) -> str:
        if entry.value.structured:
            raise TransformError(
                f"`template` {variable}: placeholder {printable(part)} of {scope} is a nested JSON "
                "object or array; `flatten` it first and name a leaf"
            )
        value = entry.value.reveal()
        if part.escaper is None:
            return value
        try:
            return ESCAPERS[part.escaper](value)
        except Unfit as exc:
            raise TransformError(
                f"`template` {variable}: placeholder {printable(part)} of {scope} cannot be "
                f"escaped exactly: {exc}"
            ) from None

    def __repr__(self) -> str:
        return config_line("template", {k: _unparse(v) for k, v in self.templates.items()})

    @property
    def texts(self) -> dict[str, str]:
        """Variable -> template text, as written in the config."""
        return {name: _unparse(parts) for name, parts in self.templates.items()}
