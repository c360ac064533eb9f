"""The `shell` format: POSIX sh, read by `set -a; . file; set +a` in dash, bash and zsh.

Exact for every value without NUL: a value is written bare when it is made of
characters no shell treats specially, else in single quotes, inside which sh
expands nothing; a `'` in the value is written `'\\''` (close, an escaped
quote, reopen). Nothing in the file can run a command. The first line is the
comment `# rideinfra: format=shell`, so that rideinfra's own reader
(`rideinfra.secrets.envfile.parse_env_file`) reads the file in this dialect.
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

_READONLY = "bash or zsh makes it read-only, so the file fails to load"
_DYNAMIC = "the shell computes its value, so what the file sets does not stay"
_MANAGED = "the shell sets it itself (start-up, cd, its own state), so the value does not stay"
_TYPED = (
    "zsh holds it as a number, array or table of its own, so the text does not stay "
    "(or the file fails to load)"
)
_CONTROL = (
    "the shell acts on it (locale, parsing, options, start-up files, prompts, history, "
    "timeouts), so it changes the shell that reads the file, not only the program"
)


def _names(text: str, why: str) -> dict[str, str]:
    return dict.fromkeys(text.split(), why)


#: Names a shell owns, refused by every format that a shell sources.
#:
#: The list is every variable that the manuals of bash 5.2 (bash(1), "Shell
#: Variables"), dash 0.5.12 (dash(1), "Variables and Parameters",
#: ENVIRONMENT) and zsh 5.9 (zshparam(1), "Parameters set by / used by the
#: shell", and zshmodules(1) for the modules zsh loads on demand) say the
#: shell sets or acts on, except the few that only describe the process's
#: environment to every program and that each shell merely reads: HOME, PATH,
#: TERM, SHELL, TMPDIR, LANG, LOGNAME, HOSTNAME, EDITOR.
#: tests/render/test_shell_sweep.py sources every name of those manuals with
#: dash, bash, bash --posix and zsh and shows that each name not listed here
#: is set exactly, with nothing on stderr and no other variable changed.
SHELL_RESERVED = MappingProxyType(
    {
        **_names(
            """
            ARGC BASHOPTS BASH_VERSINFO EUID PPID SHELLOPTS TTYIDLE UID ZSH_EVAL_CONTEXT
            ZSH_SUBSHELL builtins dis_builtins dis_functions_source dis_patchars
            dis_reswords funcfiletrace funcsourcetrace funcstack functions_source
            functrace history historywords jobdirs jobstates jobtexts keymaps modules
            parameters patchars reswords status termcap terminfo userdirs usergroups
            widgets zsh_eval_context zsh_scheduled_events
            """,
            _READONLY,
        ),
        **_names(
            """
            BASHPID BASH_ALIASES BASH_ARGC BASH_ARGV BASH_ARGV0 BASH_CMDS BASH_LINENO
            BASH_SOURCE BASH_SUBSHELL COMP_WORDBREAKS DIRSTACK EPOCHREALTIME
            EPOCHSECONDS ERRNO FUNCNAME GROUPS HISTCMD LINENO OPTIND PIPESTATUS RANDOM
            SECONDS SRANDOM
            """,
            _DYNAMIC,
        ),
        **_names(
            """
            _ BASH BASH_COMMAND BASH_EXECUTION_STRING BASH_REMATCH BASH_VERSION CPUTYPE
            EGID GID HOST HOSTTYPE MACHTYPE OLDPWD OSTYPE PWD SHLVL TTY USERNAME VENDOR
            ZSH_ARGZERO ZSH_EXECUTION_STRING ZSH_NAME ZSH_PATCHLEVEL ZSH_SCRIPT
            ZSH_VERSION
            """,
            _MANAGED,
        ),
        **_names(
            """
            COLUMNS DIRSTACKSIZE FUNCNEST HISTCHARS HISTSIZE KEYBOARD_HACK KEYTIMEOUT
            LINES LISTMAX MAILCHECK SAVEHIST TRY_BLOCK_ERROR TRY_BLOCK_INTERRUPT
            ZLE_RPROMPT_INDENT aliases argv cdpath commands dirstack dis_aliases
            dis_functions dis_galiases dis_saliases epochtime errnos fignore fpath
            functions galiases histchars langinfo mailpath manpath mapfile match mbegin
            mend module_path nameddirs options path pipestatus psvar reply saliases
            signals sysparams watch zcurses_attrs zcurses_colors zcurses_keycodes
            zcurses_windows zle_bracketed_paste zle_highlight
            """,
            _TYPED,
        ),
        **_names(
            """
            ARGV0 BASH_COMPAT BASH_ENV BASH_LOADABLES_PATH BASH_XTRACEFD BAUD CDPATH
            CHILD_MAX COMPREPLY COMP_CWORD COMP_KEY COMP_LINE COMP_POINT COMP_TYPE
            COMP_WORDS COPROC CORRECT_IGNORE CORRECT_IGNORE_FILE EMACS ENV EXECIGNORE
            FCEDIT FIGNORE FPATH GLOBIGNORE HISTCONTROL HISTFILE HISTFILESIZE HISTIGNORE
            HISTORY_IGNORE HISTTIMEFORMAT HOSTFILE IFS IGNOREEOF INPUTRC INSIDE_EMACS
            LC_ALL LC_COLLATE LC_CTYPE LC_MESSAGES LC_NUMERIC LC_TIME LOGCHECK MAIL
            MAILPATH MANPATH MAPFILE MATCH MBEGIN MEND MODULE_PATH NULLCMD OPTARG OPTERR
            POSIXLY_CORRECT POSTEDIT PROMPT PROMPT2 PROMPT3 PROMPT4 PROMPT_COMMAND
            PROMPT_DIRTRIM PROMPT_EOL_MARK PS0 PS1 PS2 PS3 PS4 PSVAR READLINE_ARGUMENT
            READLINE_LINE READLINE_MARK READLINE_POINT READNULLCMD REPLY REPORTMEMORY
            REPORTTIME RPROMPT RPROMPT2 RPS1 RPS2 SPROMPT STTY TERMINFO TERMINFO_DIRS
            TIMEFMT TIMEFORMAT TMOUT TMPPREFIX TMPSUFFIX WATCH WATCHFMT WORDCHARS ZBEEP
            ZCURSES_COLORS ZCURSES_COLOR_PAIRS ZDOTDIR ZFTP_ACCOUNT ZFTP_CODE ZFTP_HOST
            ZFTP_IP ZFTP_PORT ZFTP_PREFS ZFTP_PWD ZFTP_REPLY ZFTP_SESSION ZFTP_SYSTEM
            ZFTP_TMOUT ZFTP_TYPE ZFTP_USER ZFTP_VERBOSE ZLE_LINE_ABORTED
            ZLE_REMOVE_SUFFIX_CHARS ZLE_SPACE_SUFFIX_CHARS auto_resume prompt
            """,
            _CONTROL,
        ),
    }
)


def sh_bare_ok(text: str) -> bool:
    """True when `text` reads back unchanged as a bare (unquoted) sh word."""
    return _BARE.fullmatch(text) is not None


def sh_single_quote(text: str) -> str:
    """Quote `text` for sh: single quotes, each `'` written as `'\\''`."""
    return "'" + text.replace("'", "'\\''") + "'"


def render_shell(values: Values) -> str:
    """Render `NAME=value` lines that dash, bash and zsh read back exactly.

    Raises:
        RenderError: a name is invalid or reserved by the shell, a value holds
            NUL, is structured, or is over the kernel's size limit.
    """
    # Here: the `env` format uses this module's rules, not the marker (nor its parser module).
    from rideinfra.secrets.envfile import dialect_marker

    lines = [
        f"{name}={text if sh_bare_ok(text) else sh_single_quote(text)}\n"
        for name, text in env_entries(values, fmt="shell", reserved=SHELL_RESERVED)
    ]
    return dialect_marker("shell") + "".join(lines)
