"""What the commands share, declared once: the parser, their options, the help's exit codes.

Each `add_*` adds one option; a command whose help says more about it passes
`help_text=`. Each command module declares itself once as a `Command` (its
exit codes included; `exit_codes_help` prints them). The lookups
(`config_path`, `output_dir`, `source_for`) say which option, variable or
config key wins, so each precedence rule is in one place.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from rideinfra._record import Record
from rideinfra.errors import ConfigError

if TYPE_CHECKING:
    from rideinfra.cli.base import Handler
    from rideinfra.profiles import Config
    from rideinfra.secrets.base import SecretSource

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_OUTPUT_DIR",
    "USAGE_ERROR",
    "Command",
    "ExitCodes",
    "Parser",
    "ParserOptions",
    "SubParsers",
    "add_choice",
    "add_config",
    "add_format",
    "add_json",
    "add_log",
    "add_out",
    "add_parser",
    "add_profile",
    "add_source",
    "add_version",
    "config_from_args",
    "config_if_present",
    "config_path",
    "exit_codes_help",
    "output_dir",
    "source_for",
    "source_from_option",
    "subcommands",
    "usage_error",
]

DEFAULT_CONFIG = "rideinfra.yaml"
DEFAULT_OUTPUT_DIR = "/secrets"

#: What exit code 2 means unless a command says more: argparse exits 2 on bad usage.
USAGE_ERROR = "bad usage or bad configuration"

#: The exit codes a command can return, each with what it means there (2: `USAGE_ERROR`
#: unless it is given).
ExitCodes = Mapping[int, str]


def exit_codes_help(codes: ExitCodes) -> str:
    """The `exit codes:` block that ends a command's `--help`; a newline in a meaning wraps."""
    lines = ["exit codes:"]
    for code, meaning in sorted({2: USAGE_ERROR, **codes}.items()):
        first, *rest = meaning.splitlines()
        lines.append(f"  {code}  {first}")
        lines += [f"     {line}" for line in rest]
    return "\n".join(lines) + "\n"


def subcommands(
    parser: argparse.ArgumentParser,
) -> argparse._SubParsersAction[argparse.ArgumentParser] | None:
    """The parser's subcommands (for `help` and completion), or None for a leaf command."""
    for action in parser._actions:  # argparse has no public walk of its subparsers
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


#: Options whose empty value has a documented meaning: none (`--ready-file ''`).
EMPTY_MEANS_NONE = frozenset({"ready_file"})


class Parser(argparse.ArgumentParser):
    """The parser of `rideinfra` and each subcommand: a mistake gets the closest name.

    argparse hands a subcommand's unknown options up to the root parser, whose
    usage it then prints; here every parser refuses its own leftovers, so the
    usage shown is the command's. An unknown choice or command names the
    closest one (`fetc` -> `fetch`), as git and kubectl do.
    """

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """Parse as argparse does, but refuse arguments this parser does not know."""
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}{self._closest(extras)}")
        return parsed, extras

    def _closest(self, extras: Sequence[str]) -> str:
        """`(did you mean --dry-run?)` for the first unknown option that is close to one."""
        import difflib  # only on the error path

        known = [option for option in self._option_string_actions if option.startswith("--")]
        for extra in extras:
            if extra.startswith("-"):
                close = difflib.get_close_matches(extra.partition("=")[0], known, n=1, cutoff=0.75)
                if close:
                    return f" (did you mean {close[0]}?)"
        return ""

    def _get_values(self, action: argparse.Action, arg_strings: list[str]) -> Any:
        """An option given an empty value (`--out ''`, `--config=`) is a usage error.

        Every command reads an empty option as unset (`args.out or ...`), so
        `--out ''` would silently mean the default; here, once for every option
        that takes a value, it is refused instead; so is an empty positional
        (`explain ''` would mean every profile).
        """
        if (
            arg_strings == [""]
            and action.nargs in (None, "?")
            and action.dest not in EMPTY_MEANS_NONE
        ):
            name = (
                max(action.option_strings, key=len)
                if action.option_strings
                else str(action.metavar or action.dest).upper()
            )
            self.error(f"{name} is empty; give it a value, or leave it out to use its default")
        return super()._get_values(action, arg_strings)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if action.choices is None or value in action.choices:
            return
        import difflib  # only on the error path

        shown = [str(choice) for choice in action.choices if not str(choice).startswith("_")]
        close = difflib.get_close_matches(str(value), shown, n=1)
        what = "command" if isinstance(action, argparse._SubParsersAction) else "choice"
        hint = f"; did you mean {close[0]!r}?" if close else ""
        choose = ", ".join(repr(choice) for choice in shown)
        raise argparse.ArgumentError(
            action, f"unknown {what} {value!r}{hint} (choose from {choose})"
        )


SubParsers = argparse._SubParsersAction  # argparse names the type of add_subparsers() privately


if TYPE_CHECKING:

    class ParserOptions(TypedDict):
        """What a command's parser is made with, so a `python -m` module and a subcommand
        share it."""

        description: str
        epilog: str
        formatter_class: type[argparse.HelpFormatter]

else:
    # At run time a plain dict: a TypedDict class evaluates its (string) annotations
    # through typing, which compiles each one, and the first compile() in a process sets
    # up the ast module's types, about 2 ms (docs/design-notes.md, "Value objects").
    ParserOptions = dict


def add_parser(
    sub: SubParsers[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
    epilog: str,
    *,
    exit_codes: ExitCodes,
) -> argparse.ArgumentParser:
    """A subparser whose help shows its text as written, ending in `epilog` and its exit codes."""
    return sub.add_parser(
        name,
        help=summary,
        description=description,
        epilog=f"{epilog}\n\n{exit_codes_help(exit_codes)}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


class Command(Record):
    """A subcommand, declared once by its module (`COMMAND`); `build_parser` registers each.

    Its own options come first, then the log options; its help ends with its
    examples and exit codes.

    Attributes:
        name: the command's word (`rideinfra NAME`).
        summary: its line in `rideinfra --help`.
        description: the top of its own `--help`.
        examples: command lines, indented by two spaces, one a line.
        exit_codes: each code the command can return and what it means there.
        run: what the command does with its parsed arguments.
        add_options: adds the command's own arguments.
        long_running: runs until stopped (`watch`, `run`): `run_command` turns
            back on the garbage collector the entry point paused (rideinfra/_gc.py).
    """

    __slots__ = (
        "name",
        "summary",
        "description",
        "examples",
        "exit_codes",
        "run",
        "add_options",
        "long_running",
    )
    name: str
    summary: str
    description: str
    examples: str
    exit_codes: ExitCodes
    run: Handler
    add_options: Callable[[argparse.ArgumentParser], object] | None
    long_running: bool

    def __init__(
        self,
        name: str,
        summary: str,
        description: str,
        examples: str,
        exit_codes: ExitCodes,
        run: Handler,
        add_options: Callable[[argparse.ArgumentParser], object] | None = None,
        *,
        long_running: bool = False,
    ) -> None:
        self._init(
            name=name,
            summary=summary,
            description=description,
            examples=examples,
            exit_codes=exit_codes,
            run=run,
            add_options=add_options,
            long_running=long_running,
        )

    def register(self, sub: SubParsers[argparse.ArgumentParser]) -> None:
        """Add `rideinfra NAME` to the root parser's subcommands `sub`."""
        parser = add_parser(
            sub,
            self.name,
            self.summary,
            self.description,
            f"examples:\n{self.examples}",
            exit_codes=self.exit_codes,
        )
        if self.add_options is not None:
            self.add_options(parser)
        add_log(parser)
        parser.set_defaults(handler=self.run, long_running=self.long_running)


def usage_error(message: str) -> ConfigError:
    """The error of a command line whose options do not go together: exit 2, `message` logged."""
    return ConfigError(message)


def add_choice(
    parser: argparse.ArgumentParser, option: str, choices: Sequence[str], help_text: str
) -> None:
    """`option`, one of `choices`; the first is the default."""
    parser.add_argument(option, choices=choices, default=choices[0], help=help_text)


def add_config(parser: argparse.ArgumentParser) -> None:
    """`--config`, for every command that reads rideinfra.yaml."""
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: RIDEINFRA_CONFIG, then ./rideinfra.yaml)",
    )


def add_log(parser: argparse.ArgumentParser) -> None:
    """`--log-format`, `--log-level` and its shorthands `-v`, `-q`, for every command.

    All three set `log_level` (which `run_command` reads), so the last one on
    the command line wins. They change the log lines on stderr only, never
    what a command prints on stdout (its result).
    """
    add_choice(
        parser,
        "--log-format",
        ("text", "json"),
        "log lines on stderr as text (default) or one JSON object per line",
    )
    parser.add_argument(
        "--log-level",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        default="INFO",
        type=str.upper,
        help="least severe level logged (default INFO); no level ever logs a value",
    )
    for short, long, level, help_text in _LEVEL_SHORTHANDS:
        parser.add_argument(
            short,
            long,
            dest="log_level",
            action="store_const",
            const=level,
            default=argparse.SUPPRESS,
            help=help_text,
        )


#: The shorthands of `--log-level`: the flags, the level each sets, its help.
_LEVEL_SHORTHANDS = (
    (
        "-v",
        "--verbose",
        "DEBUG",
        "log every step: --log-level DEBUG (the last of -v, -q, --log-level wins)",
    ),
    (
        "-q",
        "--quiet",
        "WARNING",
        "log only warnings and errors: --log-level WARNING; stdout is unchanged",
    ),
)


def add_version(parser: argparse.ArgumentParser) -> None:
    """`-V`, `--version`: print `rideinfra VERSION` and exit 0 (`rideinfra version` is this)."""
    from rideinfra.__about__ import __version__

    parser.add_argument("-V", "--version", action="version", version=f"rideinfra {__version__}")


def add_out(parser: argparse.ArgumentParser, help_text: str) -> None:
    """`--out DIR`; what it defaults to differs by command, so each says it."""
    parser.add_argument("--out", metavar="DIR", help=help_text)


def add_profile(parser: argparse.ArgumentParser, help_text: str = "repeatable") -> None:
    """`--profile NAME`, repeatable; none given means every profile."""
    parser.add_argument("--profile", action="append", metavar="NAME", help=help_text)


def add_format(parser: argparse.ArgumentParser, help_text: str = "as for fetch") -> None:
    """`--format FORMAT`: one of the render formats (default: the config's `output.format`)."""
    parser.add_argument("--format", metavar="FORMAT", help=help_text)


def add_source(
    parser: argparse.ArgumentParser,
    help_text: str = "read secrets from file:PATH, directory:PATH, env or aws "
    "instead of the config's source",
) -> None:
    """`--source SPEC`, read by `source_for`."""
    parser.add_argument("--source", metavar="SPEC", help=help_text)


def add_json(parser: argparse.ArgumentParser, help_text: str = "JSON instead of a table") -> None:
    """`--json`: machine-readable output instead of a table."""
    parser.add_argument("--json", action="store_true", help=help_text)


def config_path(cli_value: str | None, environ: Mapping[str, str]) -> Path:
    """--config, else RIDEINFRA_CONFIG, else ./rideinfra.yaml."""
    return Path(cli_value or environ.get("RIDEINFRA_CONFIG") or DEFAULT_CONFIG)


def config_from_args(args: argparse.Namespace, environ: Mapping[str, str]) -> Config:
    """Load the config `--config` (or the environment) names, logging what it holds.

    Raises:
        ConfigError: the file is missing (saying where the path came from and
            how to name another) or invalid.
    """
    from rideinfra.operations import read_config
    from rideinfra.profiles._read import FileMissing

    path = config_path(args.config, environ)
    try:
        return read_config(path)
    except FileMissing:
        raise ConfigError(_no_config(args.config, environ), file=str(path)) from None


def config_if_present(args: argparse.Namespace, environ: Mapping[str, str]) -> Config | None:
    """As `config_from_args`, but None when the config file does not exist.

    Raises:
        ConfigError: the file exists but cannot be read, or is invalid.
    """
    from rideinfra.operations import read_config
    from rideinfra.profiles._read import FileMissing

    try:
        return read_config(config_path(args.config, environ))
    except FileMissing:
        return None


def _no_config(cli_value: str | None, environ: Mapping[str, str]) -> str:
    """What a missing config file is told: where its path came from, and the other ways."""
    if cli_value:
        came = "named by --config"
    elif environ.get("RIDEINFRA_CONFIG"):
        came = "named by RIDEINFRA_CONFIG"
    else:
        came = f"the default ./{DEFAULT_CONFIG} (neither --config nor RIDEINFRA_CONFIG is set)"
    return (
        f"config file not found ({came}); pass --config PATH, or set RIDEINFRA_CONFIG=PATH, "
        f"or run where ./{DEFAULT_CONFIG} is"
    )


def output_dir(cli_value: str | None, environ: Mapping[str, str], config: Config) -> Path:
    """--out, else SECRETS_OUTPUT_DIR, else output.dir of the config, else /secrets."""
    return Path(
        cli_value or environ.get("SECRETS_OUTPUT_DIR") or config.output.dir or DEFAULT_OUTPUT_DIR
    )


def source_from_option(
    option: str,
    environ: Mapping[str, str],
    config: Config | None = None,
    *,
    names_only: bool = False,
) -> SecretSource:
    """`file:PATH`, `directory:PATH`, `env` or `aws` for --source.

    Args:
        option: the --source value.
        environ: the environment the source reads.
        config: the loaded config, whose secrets' `plain:` / `binary:` apply.
        names_only: the command needs names only: a seed file's generated
            fields are present (explain, check, render k8s), not refused.

    Raises:
        ConfigError: any other value.
    """
    from rideinfra.secrets import DirectorySource, EnvSource, FileSource, SecretsManagerSource

    per_secret = config.parse_options if config is not None else None
    kind, _, value = option.partition(":")
    if kind == "file" and value:
        return FileSource(value, per_secret=per_secret, names_only=names_only)
    if kind == "directory" and value:
        return DirectorySource(value, per_secret=per_secret)
    if option == "env":
        return EnvSource(environ, per_secret=per_secret)
    if option == "aws":
        return SecretsManagerSource(environ=environ, per_secret=per_secret)
    after = " (env and aws take nothing after them)" if kind in ("env", "aws") else ""
    raise ConfigError(
        f"--source {option!r}: use file:PATH, directory:PATH, env or aws{after}", path="--source"
    )


def source_for(
    args: argparse.Namespace,
    config: Config,
    environ: Mapping[str, str],
    *,
    names_only: bool = False,
) -> SecretSource:
    """--source when given, else the source the config describes.

    Args:
        args: the parsed command line (`--source`).
        config: the loaded config.
        environ: the environment the source reads.
        names_only: the command reads names, never values (explain, check,
            render k8s): a seed file's generated fields count as present.
            Commands that write or compare values leave it False.

    Raises:
        ConfigError: a --source this does not know.
    """
    if args.source:
        return source_from_option(args.source, environ, config, names_only=names_only)
    from rideinfra.operations import config_source

    return config_source(config, environ, names_only=names_only)
