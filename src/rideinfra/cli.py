"""The ``rideinfra`` command: one console script, one subcommand per job.

Each subcommand is thin: it parses its arguments and calls the same library
functions ``python -m rideinfra.fetch`` / ``.seed`` use.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from rideinfra import demo, fetch, seed
from rideinfra.__about__ import __version__
from rideinfra.errors import ConfigError, RideinfraError
from rideinfra.logs import configure
from rideinfra.runner import (
    EXIT_CODES_HELP,
    add_config_arguments,
    add_log_arguments,
    build_source,
    internal_error,
    load_config_from_args,
)

if TYPE_CHECKING:
    from rideinfra.secrets.base import SecretSource

__all__ = ["build_parser", "main"]

log = logging.getLogger("rideinfra.cli")

Handler = Callable[[argparse.Namespace, Mapping[str, str]], int]


def _explain(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from rideinfra.profiles import explain, format_explain

    config = load_config_from_args(args, environ)
    source = (
        _source_from_option(args.source, environ)
        if args.source
        else build_source(config.source, environ)
    )
    rows = explain(config, source, profiles=[args.profile] if args.profile else None)
    if args.json:
        print(json.dumps([_row_dict(row) for row in rows], indent=2))
    else:
        print(format_explain(rows).rstrip("\n"))
    return 0


def _row_dict(row: object) -> dict[str, object]:
    import attrs

    if attrs.has(type(row)):
        return attrs.asdict(row)  # type: ignore[arg-type]
    return dict(vars(row))


def _source_from_option(option: str, environ: Mapping[str, str]) -> SecretSource:
    """``file:PATH``, ``directory:PATH``, ``env`` or ``aws`` for --source."""
    from rideinfra.secrets import DirectorySource, EnvSource, FileSource, SecretsManagerSource

    kind, _, value = option.partition(":")
    if kind == "file" and value:
        return FileSource(value)
    if kind == "directory" and value:
        return DirectorySource(value)
    if kind == "env":
        return EnvSource(environ)
    if kind == "aws":
        return SecretsManagerSource(environ=environ)
    raise ConfigError(
        f"--source {option!r}: use file:PATH, directory:PATH, env or aws", path="--source"
    )


def _schema(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from rideinfra.profiles import config_json_schema

    del environ
    print(json.dumps(config_json_schema(), indent=2, sort_keys=True))
    return 0


def _add_explain(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "explain",
        help="show where each variable comes from (no values)",
        description="A table of variable <- secret:field via transforms, per profile. "
        "Fetches the secrets (to know their fields) but never shows a value.",
        epilog="examples:\n  rideinfra explain data-pipeline\n"
        "  rideinfra explain --source file:examples/rideshare/seed.yaml\n\n" + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("profile", nargs="?", help="one profile (default: all)")
    add_config_arguments(parser)
    parser.add_argument(
        "--source",
        metavar="SPEC",
        help="read fields from file:PATH, directory:PATH, env or aws "
        "instead of the config's source",
    )
    parser.add_argument("--json", action="store_true", help="one JSON array instead of a table")
    add_log_arguments(parser)
    parser.set_defaults(handler=_explain)


def build_parser() -> argparse.ArgumentParser:
    """The ``rideinfra`` parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="rideinfra",
        description="Fetch, transform, render and write secrets for every deployment profile.",
        epilog="Run 'rideinfra COMMAND --help' for a command's options and examples.\n\n"
        + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"rideinfra {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    fetch_parser = sub.add_parser(
        "fetch", help="fetch secrets and write one file per profile", **fetch.parser_options()
    )
    fetch.add_arguments(fetch_parser)
    fetch_parser.set_defaults(handler=fetch.run)

    seed_parser = sub.add_parser(
        "seed", help="create or update secrets from a seed file", **seed.parser_options()
    )
    seed.add_arguments(seed_parser)
    seed_parser.set_defaults(handler=seed.run)

    _add_explain(sub)

    schema_parser = sub.add_parser(
        "schema",
        help="print the JSON Schema of rideinfra.yaml",
        description="Print the JSON Schema of rideinfra.yaml, for editor completion.",
        epilog="example:\n  rideinfra schema > rideinfra.schema.json\n\n" + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_log_arguments(schema_parser)
    schema_parser.set_defaults(handler=_schema)

    demo_parser = sub.add_parser(
        "demo",
        help="seed an embedded Secrets Manager and run the real fetch against it",
        description=demo.__doc__,
        epilog="example:\n  rideinfra demo --out demo-secrets\n\n" + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_arguments(demo_parser)
    add_log_arguments(demo_parser)
    demo_parser.set_defaults(handler=demo.run)
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Console script entry: parse, dispatch, map errors to exit codes."""
    env = os.environ if environ is None else environ
    args = build_parser().parse_args(argv)
    configure(args.log_format, args.log_level)
    handler: Handler = args.handler
    try:
        return handler(args, env)
    except RideinfraError as exc:
        log.error("%s", exc)
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the last line of defence; see internal_error
        return internal_error(log, exc)


if __name__ == "__main__":
    sys.exit(main())
