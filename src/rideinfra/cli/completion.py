"""Shell completion: `rideinfra completion bash|zsh|fish`, and the `__complete` it calls.

Each shell's script is a thin adapter: on TAB it runs `rideinfra __complete
WORD...` with the words before the cursor (the last one being completed, maybe
empty) and shows what comes back. What to offer is decided once, here, from
the parser itself, so it cannot drift from the commands: subcommands,
options, the values of options with fixed choices, output formats, and
profile names read from the config the command line names (`--config`, else
`RIDEINFRA_CONFIG`, else ./rideinfra.yaml).

The answer of `__complete` is one directive line, then one candidate a line
(`word<TAB>description`, as fish reads it):

- `words`: offer the candidates (possibly none);
- `files` / `dirs`: let the shell complete a file or directory name.

It never fails loudly: a bad config or a bug offers nothing, and exits 0.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence

from rideinfra._record import Record, replace
from rideinfra.cli import options

__all__ = [
    "SCRIPTS",
    "SHELLS",
    "Completion",
    "bash_completion",
    "complete",
    "complete_command",
    "fish_completion",
    "register",
    "zsh_completion",
]

SHELLS = ("bash", "zsh", "fish")

#: What a `--source` value starts with (`source_from_option` reads it).
_SOURCE_KINDS = (
    ("file:", "a JSON or YAML file of secrets"),
    ("directory:", "one file per secret"),
    ("env", "the environment"),
    ("aws", "AWS Secrets Manager"),
)
#: Options (by dest) whose value the shell completes as a file or directory name.
_PATHS = {"config": "files", "spec": "files", "out": "dirs"}


class Completion(Record):
    """What to offer for the word under the cursor.

    Attributes:
        directive: `words` (the candidates), `files` or `dirs` (the shell's own).
        candidates: `(word, description)` pairs, descriptions maybe empty.
    """

    __slots__ = ("directive", "candidates")
    directive: str
    candidates: tuple[tuple[str, str], ...]

    def __init__(self, directive: str = "words", candidates: tuple[tuple[str, str], ...] = ()):
        self._init(directive=directive, candidates=candidates)

    def lines(self) -> str:
        """The answer of `__complete`: the directive, then `word<TAB>description` lines."""
        rows = [
            self.directive,
            *(f"{word}\t{about}".rstrip("\t") for word, about in self.candidates),
        ]
        return "\n".join(rows) + "\n"


def _shown_options(parser: argparse.ArgumentParser) -> Iterator[tuple[str, str]]:
    for action in parser._actions:
        if action.option_strings and action.help != argparse.SUPPRESS:
            for option in action.option_strings:
                yield option, _one_line(action.help)


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _takes_value(action: argparse.Action) -> bool:
    return action.nargs != 0


class _Walk:
    """Where the words before the cursor lead: the (sub)parser, a pending option, positionals."""

    __slots__ = ("parser", "pending", "positionals", "config")

    def __init__(self, parser: argparse.ArgumentParser, *, config: str | None = None) -> None:
        self.parser = parser
        self.pending: argparse.Action | None = None
        self.positionals: list[str] = []
        self.config = config


def _walk(root: argparse.ArgumentParser, words: Sequence[str]) -> _Walk:
    walk = _Walk(root)
    for word in words:
        if walk.pending is not None:
            if walk.pending.dest == "config":
                walk.config = word
            walk.pending = None
            continue
        if word.startswith("-") and word != "-":
            name, inline, value = word.partition("=")
            action = walk.parser._option_string_actions.get(name)
            if action is not None and _takes_value(action):
                if not inline:
                    walk.pending = action
                elif action.dest == "config":
                    walk.config = value
            continue
        sub = options.subcommands(walk.parser)
        if sub is not None and word in sub.choices:
            walk = _Walk(sub.choices[word], config=walk.config)
        else:
            walk.positionals.append(word)
    return walk


def _profiles(config: str | None, environ: Mapping[str, str]) -> tuple[str, ...]:
    """The profile names of the config, or none when it cannot be read."""
    from rideinfra.profiles import load_config

    try:
        return tuple(load_config(options.config_path(config, environ)).profiles)
    except Exception:  # noqa: BLE001 - a missing or broken config offers no names
        return ()


def _values(
    action: argparse.Action,
    walk: _Walk,
    root: argparse.ArgumentParser,
    environ: Mapping[str, str],
) -> Completion:
    """What a value of `action` may be."""
    if action.dest in _PATHS:
        return Completion(_PATHS[action.dest])
    if action.dest == "topic":  # `rideinfra help render k8s`
        return _commands(_walk(root, walk.positionals).parser)
    candidates: tuple[tuple[str, str], ...] = ()
    if action.choices is not None:
        candidates = tuple((str(choice), "") for choice in action.choices)
    elif action.dest == "profile":
        candidates = tuple((name, "profile") for name in _profiles(walk.config, environ))
    elif action.dest == "format":
        from rideinfra.render import FORMATS

        candidates = tuple((name, "output format") for name in FORMATS)
    elif action.dest == "source":
        candidates = _SOURCE_KINDS
    return Completion(candidates=candidates)


def _commands(parser: argparse.ArgumentParser) -> Completion:
    sub = options.subcommands(parser)
    if sub is None:
        return Completion()
    return Completion(
        candidates=tuple((choice.dest, _one_line(choice.help)) for choice in sub._choices_actions)
    )


def complete(
    root: argparse.ArgumentParser, words: Sequence[str], environ: Mapping[str, str]
) -> Completion:
    """What to offer for the last of `words` (the command line after the program's name).

    Args:
        root: the `rideinfra` parser.
        words: the words before the cursor; the last is the one being completed ("" for a new one).
        environ: where `RIDEINFRA_CONFIG` is looked up.
    """
    *before, current = words or [""]
    walk = _walk(root, before)
    if walk.pending is not None:
        return _values(walk.pending, walk, root, environ)
    if current.startswith("-"):
        name, inline, _ = current.partition("=")
        action = walk.parser._option_string_actions.get(name)
        if inline and action is not None and _takes_value(action):
            shown = _values(action, walk, root, environ)
            prefixed = tuple((f"{name}={word}", about) for word, about in shown.candidates)
            return replace(shown, candidates=prefixed)
        return Completion(candidates=tuple(_shown_options(walk.parser)))
    if options.subcommands(walk.parser) is not None:
        return _commands(walk.parser)
    positional = [a for a in walk.parser._actions if not a.option_strings]
    if positional and (positional[0].nargs in ("*", "+") or not walk.positionals):
        return _values(positional[0], walk, root, environ)  # each command has at most one
    return Completion(candidates=tuple(_shown_options(walk.parser)))


def complete_command(
    build_parser: Callable[[], argparse.ArgumentParser],
    words: Sequence[str],
    environ: Mapping[str, str],
) -> int:
    """`rideinfra __complete WORD...`: print what `complete` offers; always exits 0.

    Args:
        build_parser: makes the `rideinfra` parser.
        words: the words before the cursor, the last being completed.
        environ: the environment.
    """
    logging.getLogger("rideinfra").addHandler(logging.NullHandler())
    logging.getLogger("rideinfra").propagate = False  # nothing on the user's prompt
    try:
        answer = complete(build_parser(), words, environ)
    except Exception:  # noqa: BLE001 - a TAB must never print a traceback
        answer = Completion()
    sys.stdout.write(answer.lines())
    return 0


def _function(prog: str) -> str:
    return "_" + re.sub(r"\W", "_", prog)


def bash_completion(prog: str) -> str:
    """The bash script: `complete -F` a function that asks `PROG __complete`.

    The function reads COMP_LINE up to COMP_POINT rather than COMP_WORDS,
    because bash splits COMP_WORDS at `=` and `:` (COMP_WORDBREAKS); the
    candidates are whole words, so what bash already holds of the current word
    before such a break is taken off them. The line is split at blanks only
    (a quoted path holding a space is two words to it; this command line has
    no such values but paths, which bash's own `compgen -f` completes).
    """
    func = _function(prog)
    return f"""\
# bash completion for {prog}; generated by '{prog} completion bash'.
{func}() {{
    local line="${{COMP_LINE:0:COMP_POINT}}" item directive cur held
    local -a words reply
    read -ra words <<< "$line"
    if [[ -z "$line" || "$line" == *[[:space:]] ]]; then words+=(""); fi
    cur="${{words[${{#words[@]}}-1]}}"
    held="${{cur%"${{cur##*[=:]}}"}}"
    mapfile -t reply < <({prog} __complete "${{words[@]:1}}" 2>/dev/null)
    directive="${{reply[0]}}"
    COMPREPLY=()
    case "$directive" in
        files|dirs)
            local flag=-f
            [[ "$directive" == dirs ]] && flag=-d
            mapfile -t COMPREPLY < <(compgen "$flag" -- "${{cur#"$held"}}")
            compopt -o filenames 2>/dev/null
            ;;
        *)
            for item in "${{reply[@]:1}}"; do
                item="${{item%%$'\\t'*}}"
                [[ "$item" == "$cur"* ]] && COMPREPLY+=("${{item#"$held"}}")
            done
            ;;
    esac
}}
complete -F {func} {prog}
"""


def zsh_completion(prog: str) -> str:
    """The zsh script (`#compdef`): `_describe` what `PROG __complete` offers, with descriptions."""
    func = _function(prog)
    return f"""\
#compdef {prog}
# zsh completion for {prog}; generated by '{prog} completion zsh'.
{func}() {{
    local -a reply candidates
    local item word about
    reply=("${{(@f)$({prog} __complete "${{(@)words[2,CURRENT]}}" 2>/dev/null)}}")
    case "${{reply[1]}}" in
        files|dirs)
            [[ "$PREFIX" == -*=* ]] && compset -P '*='
            if [[ "${{reply[1]}}" == dirs ]]; then _files -/; else _files; fi
            ;;
        *)
            for item in "${{(@)reply[2,-1]}}"; do
                word="${{item%%$'\\t'*}}"
                about=""
                [[ "$item" == *$'\\t'* ]] && about="${{item#*$'\\t'}}"
                candidates+=("${{word//:/\\\\:}}${{about:+:$about}}")
            done
            (( ${{#candidates}} )) && _describe '{prog}' candidates
            ;;
    esac
}}
if [[ "${{funcstack[1]}}" == "{func}" ]]; then
    {func} "$@"
else
    compdef {func} {prog}
fi
"""


def fish_completion(prog: str) -> str:
    """The fish script: `complete -a` the words `PROG __complete` prints (fish's own format)."""
    func = "_" + _function(prog) + "_complete"
    return f"""\
# fish completion for {prog}; generated by '{prog} completion fish'.
function {func}
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    set -l reply ({prog} __complete $words[2..-1] "$current" 2>/dev/null)
    set -l prefix (string match -r -- '^-[^=]*=' $current)
    set -l value (string replace -r -- '^-[^=]*=' '' $current)
    switch "$reply[1]"
        case files
            __fish_complete_path $value | string replace -r -- '^' "$prefix"
        case dirs
            __fish_complete_directories $value | string replace -r -- '^' "$prefix"
        case '*'
            printf '%s\\n' $reply[2..-1]
    end
end
complete -c {prog} -f -a '({func})'
"""


SCRIPTS: Mapping[str, Callable[[str], str]] = {
    "bash": bash_completion,
    "zsh": zsh_completion,
    "fish": fish_completion,
}


def register(
    sub: options.SubParsers[argparse.ArgumentParser], root: argparse.ArgumentParser
) -> None:
    """`rideinfra completion bash|zsh|fish`, for the program `root` is."""

    def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
        del environ
        sys.stdout.write(SCRIPTS[args.shell](root.prog))
        return 0

    options.Command(
        "completion",
        "print a bash, zsh or fish completion script",
        "Print a shell completion script. On TAB it completes commands, options, their "
        "values (formats, render targets, log levels, shells) and the profile names of "
        "the config (--config, else RIDEINFRA_CONFIG, else ./rideinfra.yaml).",
        '  eval "$(rideinfra completion bash)"            # in ~/.bashrc\n'
        "  rideinfra completion zsh > ~/.zfunc/_rideinfra  # a directory in $fpath\n"
        "  rideinfra completion fish > ~/.config/fish/completions/rideinfra.fish",
        exit_codes={0: "the script was printed", 2: "bad usage (a shell it does not know)"},
        run=run,
        add_options=lambda parser: parser.add_argument(
            "shell", choices=SHELLS, help="the shell to complete for"
        ),
    ).register(sub)
