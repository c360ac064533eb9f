"""Every variable bash, dash and zsh treat specially, as their manuals list them.

This table is the test's own, written from the manuals and independent of
`rideinfra.render.shell.SHELL_RESERVED`: the sweep in
tests/render/test_shell_sweep.py sources each of these names with each shell
and checks that rideinfra either refuses the name or the shell leaves it
(and nothing else) as written.

Sources (the versions installed on the test machine):

- bash 5.2 `bash(1)`, PARAMETERS > "Shell Variables" (every `.TP` entry,
  both "set by the shell" and "used by the shell");
- dash 0.5.12 `dash(1)`, "Variables and Parameters", "Special Parameters"
  and ENVIRONMENT;
- zsh 5.9 `zshparam(1)`, "PARAMETERS SET BY THE SHELL" and "PARAMETERS
  USED BY THE SHELL", plus the parameters `zshmodules(1)` documents for the
  modules a stock zsh loads on demand (zsh/parameter, zsh/zleparameter,
  zsh/datetime, zsh/system, zsh/mapfile, zsh/langinfo, zsh/termcap,
  zsh/terminfo, zsh/watch, zsh/sched, zsh/zftp, zsh/curses).

Special parameters that are not names (`$? $# $! $- $* $@ $$ $0`) cannot be
written by any env-like format and are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["BASH", "DASH", "ZSH", "ZSH_TIED", "all_names"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


BASH = _words(
    """
    _ BASH BASHOPTS BASHPID BASH_ALIASES BASH_ARGC BASH_ARGV BASH_ARGV0 BASH_CMDS
    BASH_COMMAND BASH_EXECUTION_STRING BASH_LINENO BASH_LOADABLES_PATH BASH_REMATCH
    BASH_SOURCE BASH_SUBSHELL BASH_VERSINFO BASH_VERSION COMP_CWORD COMP_KEY COMP_LINE
    COMP_POINT COMP_TYPE COMP_WORDBREAKS COMP_WORDS COPROC DIRSTACK EPOCHREALTIME
    EPOCHSECONDS EUID FUNCNAME GROUPS HISTCMD HOSTNAME HOSTTYPE LINENO MACHTYPE MAPFILE
    OLDPWD OPTARG OPTIND OSTYPE PIPESTATUS PPID PWD RANDOM READLINE_ARGUMENT
    READLINE_LINE READLINE_MARK READLINE_POINT REPLY SECONDS SHELLOPTS SHLVL SRANDOM UID
    BASH_COMPAT BASH_ENV BASH_XTRACEFD CDPATH CHILD_MAX COLUMNS COMPREPLY EMACS ENV
    EXECIGNORE FCEDIT FIGNORE FUNCNEST GLOBIGNORE HISTCONTROL HISTFILE HISTFILESIZE
    HISTIGNORE HISTSIZE HISTTIMEFORMAT HOME HOSTFILE IFS IGNOREEOF INPUTRC INSIDE_EMACS
    LANG LC_ALL LC_COLLATE LC_CTYPE LC_MESSAGES LC_NUMERIC LC_TIME LINES MAIL MAILCHECK
    MAILPATH OPTERR PATH POSIXLY_CORRECT PROMPT_COMMAND PROMPT_DIRTRIM PS0 PS1 PS2 PS3
    PS4 SHELL TIMEFORMAT TMOUT TMPDIR auto_resume histchars
    """
)

DASH = _words(
    """
    CDPATH EDITOR ENV FCEDIT HISTSIZE HOME IFS LINENO MAIL MAILCHECK MAILPATH OLDPWD
    OPTARG OPTIND PATH PPID PS1 PS2 PS4 PWD TERM
    """
)

ZSH = _words(
    """
    ARGC argv status pipestatus _ CPUTYPE EGID EUID ERRNO FUNCNEST GID HISTCMD HOST
    LINENO LOGNAME MACHTYPE OLDPWD OPTARG OPTIND OSTYPE PPID PWD RANDOM SECONDS SHLVL
    signals TRY_BLOCK_ERROR TRY_BLOCK_INTERRUPT TTY TTYIDLE UID USERNAME VENDOR
    zsh_eval_context ZSH_EVAL_CONTEXT ZSH_ARGZERO ZSH_EXECUTION_STRING ZSH_NAME
    ZSH_PATCHLEVEL zsh_scheduled_events ZSH_SCRIPT ZSH_SUBSHELL ZSH_VERSION
    ARGV0 BAUD cdpath CDPATH COLUMNS CORRECT_IGNORE CORRECT_IGNORE_FILE DIRSTACKSIZE
    ENV FCEDIT fignore FIGNORE fpath FPATH histchars HISTCHARS HISTFILE HISTORY_IGNORE
    HISTSIZE HOME IFS KEYBOARD_HACK KEYTIMEOUT LANG LC_ALL LC_COLLATE LC_CTYPE
    LC_MESSAGES LC_NUMERIC LC_TIME LINES LISTMAX MAIL MAILCHECK mailpath MAILPATH
    manpath MANPATH match mbegin mend MATCH MBEGIN MEND module_path MODULE_PATH NULLCMD
    path PATH POSTEDIT PROMPT PROMPT2 PROMPT3 PROMPT4 prompt PROMPT_EOL_MARK PS1 PS2 PS3
    PS4 psvar PSVAR READNULLCMD REPORTMEMORY REPORTTIME REPLY reply RPROMPT RPS1
    RPROMPT2 RPS2 SAVEHIST SPROMPT STTY TERM TERMINFO TERMINFO_DIRS TIMEFMT TMOUT
    TMPPREFIX TMPSUFFIX WORDCHARS ZBEEP ZDOTDIR zle_bracketed_paste zle_highlight
    ZLE_LINE_ABORTED ZLE_REMOVE_SUFFIX_CHARS ZLE_SPACE_SUFFIX_CHARS ZLE_RPROMPT_INDENT
    options commands functions dis_functions functions_source dis_functions_source
    builtins dis_builtins reswords dis_reswords patchars dis_patchars aliases
    dis_aliases galiases dis_galiases saliases dis_saliases parameters modules dirstack
    history historywords jobdirs jobtexts jobstates nameddirs userdirs usergroups
    funcfiletrace funcsourcetrace funcstack functrace
    keymaps widgets
    EPOCHREALTIME EPOCHSECONDS epochtime
    errnos sysparams
    mapfile
    langinfo
    termcap terminfo
    LOGCHECK watch WATCH WATCHFMT
    ZFTP_TMOUT ZFTP_IP ZFTP_HOST ZFTP_PORT ZFTP_SYSTEM ZFTP_TYPE ZFTP_USER ZFTP_ACCOUNT
    ZFTP_PWD ZFTP_CODE ZFTP_REPLY ZFTP_SESSION ZFTP_PREFS ZFTP_VERBOSE
    ZCURSES_COLORS ZCURSES_COLOR_PAIRS zcurses_attrs zcurses_colors zcurses_keycodes
    zcurses_windows
    """
)

#: zsh's tied parameters (zshparam(1), "typeset -T"; and the PROMPT/PS1
#: aliases): setting one sets the other, which is the same variable seen in
#: another form, not a second change.
ZSH_TIED: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        name: frozenset(group) - {name}
        for group in (
            ("PATH", "path"),
            ("CDPATH", "cdpath"),
            ("FPATH", "fpath"),
            ("FIGNORE", "fignore"),
            ("MAILPATH", "mailpath"),
            ("MANPATH", "manpath"),
            ("MODULE_PATH", "module_path"),
            ("PSVAR", "psvar"),
            ("WATCH", "watch"),
            ("HISTCHARS", "histchars"),
            ("ZSH_EVAL_CONTEXT", "zsh_eval_context"),
            ("PS1", "PROMPT", "prompt"),
            ("PS2", "PROMPT2"),
            ("PS3", "PROMPT3"),
            ("PS4", "PROMPT4"),
            ("RPS1", "RPROMPT"),
            ("RPS2", "RPROMPT2"),
        )
        for name in group
    }
)


def all_names() -> list[str]:
    """Every name in the three lists, sorted."""
    return sorted(BASH | DASH | ZSH)
