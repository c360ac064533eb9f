"""The `env` format: one file that dash, bash, Compose v2 and python-dotenv read alike.

Each value takes the first of three forms that all four readers read back
exactly, or is refused:

1. bare `NAME=value` when every character is in `[A-Za-z0-9_@%+,./:=-]`;
2. single quotes `NAME='value'` when the value has no `'`, no `\\\\`,
   does not end in `\\` (python-dotenv decodes `\\\\` and `\\'` inside
   single quotes; Compose reads a final `\\'` as an escaped quote) and has
   no `${NAME}` / `${NAME:-x}` (python-dotenv interpolates those even in
   single quotes, and has no escape);
3. double quotes `NAME="value"` with `\\` and `"` escaped, when the value
   has no backtick and every `$` is followed by a character that no reader
   expands (sh needs `\\$` and `` \\` `` escaped; python-dotenv keeps those
   backslashes).

A CR is refused outright: python-dotenv reads the file with universal
newlines, so only its `\\r` escape carries a CR, which sh reads as `\\r`.
tests/render/test_render_env.py shows that every refused value breaks at least
one reader in every form considered.
"""

from __future__ import annotations

import re

from rideinfra.errors import RenderError
from rideinfra.render.base import Values, env_entries
from rideinfra.render.shell import SHELL_RESERVED, sh_bare_ok

__all__ = [
    "DIALECTS",
    "env_form",
    "render_env",
]

#: The formats that carry everything `env` refuses, each for its own reader.
DIALECTS = ("shell", "compose", "dotenv", "json")

# python-dotenv's interpolation: ${name} or ${name:-default}, name without } or :.
_DOTENV_REF = re.compile(r"\$\{[^}:]*(?::-[^}]*)?\}")

# After a `$`, these make dash, bash or Compose expand: letters, digits and
# `_` start a name, `{ ( [` an expansion (bash's `$[` is arithmetic), `@ * # ?
# - $ !` are special parameters. Anything else, non-ASCII included (tested in
# the C and C.UTF-8 locales), leaves the `$` literal in all of them.
_EXPANDS_AFTER_DOLLAR = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_{([@*#?-$!"
)


def _single_quote_blocker(text: str) -> str | None:
    if "'" in text:
        return "a single quote"
    if "\\\\" in text:
        return "two backslashes in a row (python-dotenv reads them as one)"
    if text.endswith("\\"):
        return "a final backslash (it would escape the closing quote)"
    if _DOTENV_REF.search(text):
        return "a ${...} reference (python-dotenv expands it in any quotes)"
    return None


def _double_quote_blocker(text: str) -> str | None:
    if "`" in text:
        return "a backtick (sh runs it; escaped, Compose and python-dotenv keep the backslash)"
    for i, char in enumerate(text):
        if char == "$" and i + 1 < len(text) and text[i + 1] in _EXPANDS_AFTER_DOLLAR:
            return (
                "a $ followed by a name, digit, brace or special character "
                "(sh expands it; escaped, python-dotenv keeps the backslash)"
            )
    return None


def env_form(name: str, text: str) -> str:
    """Return `text` written the way all four readers read it back, or refuse.

    Raises:
        RenderError: no form is read alike by dash, bash, Compose and
            python-dotenv; the message names the variable and the formats
            that can carry it.
    """
    if sh_bare_ok(text):
        return text
    if "\r" in text:
        raise _refusal(name, "a carriage return (python-dotenv reads it as a newline)")
    single = _single_quote_blocker(text)
    if single is None:
        return f"'{text}'"
    double = _double_quote_blocker(text)
    if double is None:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise _refusal(name, f"{single}, which rules out single quotes, and {double}")


def _refusal(name: str, why: str) -> RenderError:
    return RenderError(
        f"variable {name} cannot be written in format env so that sh, Docker Compose and "
        f"python-dotenv all read the same value: it contains {why}. Use the format of "
        f"the one reader that reads this file: {', '.join(DIALECTS[:-1])} (each exact for "
        "any value), or json",
        variable=name,
    )


def render_env(values: Values) -> str:
    """Render `NAME=value` lines that dash, bash, Compose v2 and python-dotenv read alike.

    Raises:
        RenderError: a variable cannot be written in a form all four read the
            same (see `env_form()`), or a shell/env rule fails.
    """
    return "".join(
        f"{name}={env_form(name, text)}\n"
        for name, text in env_entries(values, fmt="env", reserved=SHELL_RESERVED)
    )
