"""Hypothesis strategies for values that break naive env files.

Fragments cover every character class some env reader treats specially:
quotes, ``$`` forms, command substitution, backslashes, comments, ``=``, line
ends, blanks, NBSP and other Unicode spaces, non-ASCII letters, emoji. A
``$(touch CANARY)`` fragment lets tests prove that nothing was ever run.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import strategies as st

from rideinfra.render import SHELL_RESERVED

__all__ = [
    "CANARY_PATH",
    "FRAGMENTS",
    "corpus",
    "env_names",
    "nasty_values",
    "one_line_values",
]

#: A file that exists only if a rendered value was executed by a reader.
CANARY_PATH = Path(tempfile.gettempdir(), f"rideinfra-canary-{os.getpid()}")

FRAGMENTS: tuple[str, ...] = (
    "'",
    '"',
    "$",
    "$$",
    "${",
    "}",
    "{",
    "${HOME}",
    "${CANARY_VAR}",
    "$CANARY_VAR",
    "$HOME",
    "${CANARY_VAR:-d}",
    "${X:-}",
    "${=}",
    ":-",
    "$1",
    "$@",
    "$*",
    "$#",
    "$?",
    "$-",
    "$!",
    "$[1]",
    "$_",
    "$é",
    "$ ",
    "$/",
    "$'",
    '$"',
    "$\\",
    "$}",
    f"$(touch {CANARY_PATH})",
    f"`touch {CANARY_PATH}`",
    "$((1+1))",
    "(",
    ")",
    "`",
    "\\",
    "\\\\",
    "\\n",
    "\\r",
    "\\t",
    "\\'",
    '\\"',
    "\\$",
    "\\`",
    "\\\n",
    "#",
    " #",
    "\t#",
    "=",
    "==",
    "\n",
    "\r",
    "\r\n",
    "\t",
    " ",
    "  ",
    "\x0b",
    "\x0c",
    "\u00a0",
    "\u0085",
    "\u2028",
    "\u2003",
    "\ufeff",
    "\x00",
    "\x1b",
    "\x7f",
    "~",
    "*",
    "?",
    "[",
    "]",
    "!",
    ";",
    "&",
    "|",
    "<",
    ">",
    "%",
    "^",
    ",",
    ":",
    "@",
    "+",
    "-",
    "export ",
    "é",
    "ß",
    "日本",
    "😀",
    "x",
    "A",
    "0",
    "_",
    "-x",
    "true",
)

_fragment = st.sampled_from(FRAGMENTS)

#: Strings made of tricky fragments and arbitrary text (NUL included).
nasty_values = st.lists(st.one_of(_fragment, _fragment, st.text(max_size=5)), max_size=8).map(
    "".join
)

#: Like nasty_values but without line ends or NUL.
one_line_values = nasty_values.map(
    lambda v: v.replace("\n", "").replace("\r", "").replace("\0", "")
)

#: Valid env names, minus those bash warns about (they still set, but the
#: strict sh reader counts stderr as failure) and those shells own.
env_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True).filter(
    lambda n: not n.startswith(("LC_", "LANG", "BASH")) and n not in SHELL_RESERVED
)


def corpus() -> list[str]:
    """Every fragment alone, every ordered pair, and each wrapped in blanks: ~11k values."""
    values = [""]
    values += FRAGMENTS
    values += [a + b for a in FRAGMENTS for b in FRAGMENTS]
    values += [f" {a} " for a in FRAGMENTS] + [f"x{a}x" for a in FRAGMENTS]
    return values
