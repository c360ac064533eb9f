"""The ``rideinfra`` subcommands beyond fetch/seed/demo: explain, diff, check, schema, completion.

Each has an ``add_*`` function that declares its parser and a handler that
calls the library; the handlers print tables (aligned on a terminal,
tab-separated when piped) or JSON with ``--json``. Names only, never values,
except ``diff --show-values``, which masks all but the last two characters.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import attrs

from rideinfra.errors import ConfigError
from rideinfra.runner import (
    EXIT_CODES_HELP,
    add_config_arguments,
    add_log_arguments,
    build_source,
    load_config_from_args,
    output_dir,
    render_files,
)
from rideinfra.tables import format_table, use_color

if TYPE_CHECKING:
    from rideinfra.profiles import Config
    from rideinfra.secrets.base import SecretSource

__all__ = ["add_check", "add_completion", "add_diff", "add_explain", "add_schema"]


def _parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
    examples: str,
) -> argparse.ArgumentParser:
    return sub.add_parser(
        name,
        help=summary,
        description=description,
        epilog=f"examples:\n{examples}\n\n{EXIT_CODES_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _print_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], environ: Mapping[str, str]
) -> None:
    tty = sys.stdout.isatty()
    print(format_table(headers, rows, aligned=tty, color=use_color(sys.stdout, environ)))


def _source(args: argparse.Namespace, config: Config, environ: Mapping[str, str]) -> SecretSource:
    option = getattr(args, "source", None)
    if option:
        return source_from_option(option, environ)
    return build_source(config.source, environ)


def source_from_option(option: str, environ: Mapping[str, str]) -> SecretSource:
    """``file:PATH``, ``directory:PATH``, ``env`` or ``aws`` for --source.

    Raises:
        ConfigError: any other value.
    """
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


def _add_source_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        metavar="SPEC",
        help="read secrets from file:PATH, directory:PATH, env or aws "
        "instead of the config's source",
    )


# ----------------------------------------------------------------------------- explain


def _explain(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from rideinfra.profiles import explain
    from rideinfra.profiles.explain import EXPLAIN_HEADERS

    config = load_config_from_args(args, environ)
    rows = explain(
        config, _source(args, config, environ), profiles=[args.profile] if args.profile else None
    )
    if args.json:
        print(json.dumps([attrs.asdict(row) for row in rows], indent=2))
        return 0
    _print_table(EXPLAIN_HEADERS, [row.cells() for row in rows], environ)
    return 0


def add_explain(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``rideinfra explain [PROFILE]``."""
    parser = _parser(
        sub,
        "explain",
        "show where each variable comes from (no values)",
        "A table of variable <- secret:field via transforms, per profile. Reads the "
        "secrets (their field names decide some variable names) but never shows a value.",
        "  rideinfra explain data-pipeline\n"
        "  rideinfra explain --source file:examples/rideshare/seed.yaml --json",
    )
    parser.add_argument("profile", nargs="?", help="one profile (default: all)")
    add_config_arguments(parser)
    _add_source_option(parser)
    parser.add_argument("--json", action="store_true", help="one JSON array instead of a table")
    add_log_arguments(parser)
    parser.set_defaults(handler=_explain)


# -------------------------------------------------------------------------------- diff


def _diff(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from rideinfra.drift import diff_files
    from rideinfra.profiles import resolve
    from rideinfra.render import get_format

    config = load_config_from_args(args, environ)
    fmt = get_format(args.format or config.output.format)
    envs = resolve(config, _source(args, config, environ), profiles=args.profile)
    out = output_dir(args.out, environ, config)
    diffs = diff_files(
        out, envs, render_files(envs, fmt), extension=fmt.extension, show_values=args.show_values
    )
    if args.json:
        print(json.dumps([attrs.asdict(d) for d in diffs], indent=2))
        return 0
    rows: list[tuple[str, ...]] = []
    for d in diffs:
        if d.state != "changed" or not d.detailed:
            detail = "" if d.detailed else "(old file not readable as variables)"
            rows.append((d.file, d.state, detail, "", ""))
            continue
        for change, names in (("added", d.added), ("removed", d.removed), ("changed", d.changed)):
            for name in names:
                old, new = d.shown.get(name, ("", ""))
                rows.append((d.file, change, name, old, new))
    headers: tuple[str, ...] = ("FILE", "CHANGE", "VARIABLE", "OLD", "NEW")
    if not args.show_values:
        headers, rows = headers[:3], [row[:3] for row in rows]
    _print_table(headers, rows, environ)
    return 0


def add_diff(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``rideinfra diff``."""
    parser = _parser(
        sub,
        "diff",
        "what a fetch would change, per file and variable (names only)",
        "Fetch and render as `fetch` would, and compare with the files in the output "
        "directory: files new, changed or unchanged, and per changed file the variables "
        "added, removed or changed. Writes nothing.",
        "  rideinfra diff --out /secrets\n"
        "  rideinfra diff --profile core --show-values   # masked: ********ab",
    )
    add_config_arguments(parser)
    parser.add_argument("--out", metavar="DIR", help="output directory (as for fetch)")
    parser.add_argument("--profile", action="append", metavar="NAME", help="repeatable")
    parser.add_argument("--format", metavar="FORMAT", help="as for fetch")
    _add_source_option(parser)
    parser.add_argument(
        "--show-values",
        action="store_true",
        help="also show old and new values of changed variables, all but the last 2 "
        "characters masked (an explicit opt-in: do not use it in shared logs)",
    )
    parser.add_argument("--json", action="store_true", help="JSON instead of a table")
    add_log_arguments(parser)
    parser.set_defaults(handler=_diff)


# ------------------------------------------------------------------------------- check


def _check(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from rideinfra.drift import check_store

    config = load_config_from_args(args, environ)
    report = check_store(
        config, _source(args, config, environ), profiles=args.profile, prefix=args.prefix
    )
    if args.json:
        print(json.dumps(attrs.asdict(report) | {"ok": report.ok}, indent=2))
    else:
        rows = [("missing-secret", name, why) for name, why in report.missing_secrets]
        rows += [("profile", name, why) for name, why in report.problems]
        rows += [("unused-secret", name, f"under {report.prefix}") for name in report.unused]
        if rows:
            _print_table(("PROBLEM", "NAME", "DETAIL"), rows, environ)
        else:
            print("ok: the store has every secret and field the config uses")
    return 0 if report.ok else 1


def add_check(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``rideinfra check``."""
    parser = _parser(
        sub,
        "check",
        "compare the store with the config; exit 1 on drift (for CI)",
        "Report every secret the config needs that the store lacks, every field a "
        "transform expects that a secret lacks (and other per-profile problems), and "
        "the secrets under the config's common prefix (e.g. rideshare/) that no profile "
        "uses. Exit 1 when there is any. Never shows a value.",
        "  rideinfra check --config rideinfra.yaml\n  rideinfra check --json --prefix rideshare/",
    )
    add_config_arguments(parser)
    parser.add_argument("--profile", action="append", metavar="NAME", help="repeatable")
    parser.add_argument(
        "--prefix",
        help="where to look for unused secrets (default: the configured names' common prefix)",
    )
    _add_source_option(parser)
    parser.add_argument("--json", action="store_true", help="JSON instead of a table")
    add_log_arguments(parser)
    parser.set_defaults(handler=_check)


# ------------------------------------------------------------------------------ schema


def _schema(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from rideinfra.profiles import config_json_schema

    del args, environ
    print(json.dumps(config_json_schema(), indent=2, sort_keys=True))
    return 0


def add_schema(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``rideinfra schema``."""
    parser = _parser(
        sub,
        "schema",
        "print the JSON Schema of rideinfra.yaml",
        "Print the JSON Schema of rideinfra.yaml, for editor completion and validation.",
        "  rideinfra schema > rideinfra.schema.json",
    )
    add_log_arguments(parser)
    parser.set_defaults(handler=_schema)


# -------------------------------------------------------------------------- completion


def add_completion(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], root: argparse.ArgumentParser
) -> None:
    """``rideinfra completion bash|zsh``, generated from ``root``."""
    parser = _parser(
        sub,
        "completion",
        "print a bash or zsh completion script",
        "Print a shell completion script generated from this command's own parser.",
        '  eval "$(rideinfra completion bash)"\n  rideinfra completion zsh > ~/.zfunc/_rideinfra',
    )
    parser.add_argument("shell", choices=("bash", "zsh"))
    add_log_arguments(parser)

    def handler(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
        from rideinfra.completion import bash_completion, zsh_completion

        del environ
        script = bash_completion(root) if args.shell == "bash" else zsh_completion(root)
        sys.stdout.write(script)
        return 0

    parser.set_defaults(handler=handler)
