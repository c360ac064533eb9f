"""The ``shell`` format: POSIX sh, read by ``set -a; . file; set +a`` in dash and bash.

Exact for every value without NUL: a value is written bare when it is made of
characters no shell treats specially, else in single quotes, inside which sh
expands nothing; a ``'`` in the value is written ``'\\''`` (close, an escaped
quote, reopen). Nothing in the file can run a command.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from rideinfra.render.base import Values, env_entries

__all__ = [
    "SHELL_RESERVED",
    "render_shell",
    "sh_bare_ok",
    "sh_single_quote",
]

# Characters no sh treats specially in the value of an assignment. `~` (tilde
# expansion after `=` or `:`), `#`, whitespace, quotes, `$`, `` ` ``, `\`, glob
# and brace characters are all left out.
_BARE = re.compile(r"[A-Za-z0-9_@%+,./:=-]*")

_READONLY = "bash makes it read-only, so the file fails to load in bash"
_DYNAMIC = "bash or dash computes its value, so what the file sets does not stay"
_MANAGED = "the shell sets it itself (start-up, cd), so the value does not reach the program"

#: Names `set -a; . file` cannot set exactly in bash or dash, found by
#: experiment (tests/render/test_render_names.py shows each one fails).
SHELL_RESERVED = MappingProxyType(
    {
        **dict.fromkeys(
            ("BASHOPTS", "BASH_VERSINFO", "EUID", "PPID", "SHELLOPTS", "UID"), _READONLY
        ),
        **dict.fromkeys(
            (
                "BASHPID",
                "BASH_ALIASES",
                "BASH_ARGC",
                "BASH_ARGV",
                "BASH_ARGV0",
                "BASH_CMDS",
                "BASH_LINENO",
                "BASH_SOURCE",
                "BASH_SUBSHELL",
                "COMP_WORDBREAKS",
                "DIRSTACK",
                "EPOCHREALTIME",
                "EPOCHSECONDS",
                "FUNCNAME",
                "GROUPS",
                "HISTCMD",
                "LINENO",
                "OPTIND",
                "PIPESTATUS",
                "RANDOM",
                "SECONDS",
                "SRANDOM",
            ),
            _DYNAMIC,
        ),
        **dict.fromkeys(("OLDPWD", "PWD", "SHLVL", "_"), _MANAGED),
    }
)


def sh_bare_ok(text: str) -> bool:
    """True when ``text`` reads back unchanged as a bare (unquoted) sh word."""
    return _BARE.fullmatch(text) is not None


def sh_single_quote(text: str) -> str:
    """Quote ``text`` for sh: single quotes, each ``'`` written as ``'\\''``."""
    return "'" + text.replace("'", "'\\''") + "'"


def render_shell(values: Values) -> str:
    """Render ``NAME=value`` lines that dash and bash read back exactly.

    Raises:
        RenderError: a name is invalid or reserved by the shell, a value holds
            NUL, is structured, or is over the kernel's size limit.
    """
    lines = [
        f"{name}={text if sh_bare_ok(text) else sh_single_quote(text)}\n"
        for name, text in env_entries(values, fmt="shell", reserved=SHELL_RESERVED)
    ]
    return "".join(lines)
