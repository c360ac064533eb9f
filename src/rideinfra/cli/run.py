"""`rideinfra run -- CMD ...`: the profiles' variables in CMD's environment, nothing on disk.

Without `--watch` this process becomes CMD (exec: same pid, its signals
and exit status are its own); with it, rideinfra stays as CMD's parent and
restarts or signals it when the values change. If the fetch fails, CMD
never starts: exit 1 (store, transform, or a value the environment cannot
carry byte for byte: not UTF-8 text, NUL, over MAX_ARG_STRLEN or ARG_MAX)
or 2 (usage, config); 127 when CMD is not found and 126 when it is found
but cannot be run (not executable, a directory, no #! line), as `env` and
shells do, with and without --watch.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping

from rideinfra.cli import options
from rideinfra.cli.watch import parse_interval_option, parse_signal_option

__all__ = ["COMMAND", "run"]

_log = logging.getLogger("rideinfra.run")


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Fetch, then exec (or supervise) the command; returns only on failure or with `--watch`."""
    from rideinfra.operations.run import (
        Supervision,
        command_environment,
        exec_command,
        profile_variables,
        supervise,
    )
    from rideinfra.operations.watch import DEFAULT_INTERVAL, StoreView

    argv = args.command[1:] if args.command[:1] == ["--"] else list(args.command)
    if not argv:
        raise options.usage_error("no command given: rideinfra run [--profile P] -- CMD [ARGS...]")
    if not args.watch and (args.reload_signal is not None or args.interval is not None):
        raise options.usage_error("--reload-signal and --interval need --watch")
    config = options.config_from_args(args, environ)
    source = options.source_for(args, config, environ)
    view = StoreView(config, source, args.profile)
    if args.watch:
        settings = Supervision(
            interval=args.interval or config.output.refresh_interval or DEFAULT_INTERVAL,
            grace=args.grace_period,
            reload_signal=args.reload_signal,
            keep_env=args.keep_env,
        )
        return supervise(argv, view, environ, settings)
    envs = view.refresh()
    assert envs is not None  # noqa: S101 - the first refresh always reads
    variables = profile_variables(envs)
    _log.info("exec %s with %d variable(s)", argv[0], len(variables))
    # CommandError (126/127) and RenderError (1) reach run_command, which logs and exits.
    env = command_environment(environ, variables, keep_env=args.keep_env)
    return exec_command(argv, env, variables)


def add_options(parser: argparse.ArgumentParser) -> None:
    """The run options, then the command."""
    options.add_config(parser)
    options.add_profile(parser, "put this profile's variables in; repeatable (default: every one)")
    options.add_source(parser)
    parser.add_argument(
        "--keep-env",
        action="store_true",
        help="a variable already in the environment keeps its value (default: the "
        "profiles' values win)",
    )
    parser.add_argument(
        "--watch", action="store_true", help="stay CMD's parent; restart or signal it on a change"
    )
    parser.add_argument(
        "--interval",
        type=parse_interval_option,
        metavar="DURATION",
        help="with --watch: between polls (default: output.refresh_interval, else 60s)",
    )
    parser.add_argument(
        "--reload-signal",
        type=parse_signal_option,
        metavar="SIG",
        help="with --watch: send SIG on a change instead of restarting",
    )
    parser.add_argument(
        "--grace-period",
        type=parse_interval_option,
        default=10.0,
        metavar="DURATION",
        help="with --watch: from SIGTERM to SIGKILL when restarting (default 10s)",
    )
    parser.add_argument(
        "command", nargs=argparse.REMAINDER, metavar="-- CMD [ARGS...]", help="the command"
    )


COMMAND = options.Command(
    "run",
    "run a command with the profiles' variables (nothing on disk)",
    "Fetch the profiles, then run CMD with the environment plus their variables; the "
    "profiles' values win over variables already set (--keep-env: the reverse). No file "
    "is written. Without --watch rideinfra becomes CMD (exec: same pid, CMD's own "
    "signals and exit status); with --watch it forwards SIGTERM, SIGINT and SIGHUP, "
    "returns CMD's status, and on a change restarts CMD (SIGTERM, --grace-period, "
    "SIGKILL) or sends --reload-signal. If the fetch fails, or a value cannot be passed "
    "byte for byte (not UTF-8 text, NUL, over the kernel's size limits), CMD never starts "
    "(exit 1 or 2); 127: CMD not found, 126: found but cannot be run.",
    "  rideinfra run --profile core -- gunicorn app:wsgi\n"
    "  rideinfra run --profile core --keep-env -- env\n"
    "  rideinfra run --profile core --watch --interval 5m -- ./server\n"
    "  rideinfra run --profile core --watch --reload-signal HUP -- nginx -g 'daemon off;'",
    exit_codes={
        0: "CMD's own status: without --watch rideinfra becomes CMD; with it, CMD's last status",
        1: "a secret could not be fetched, transformed or rendered (CMD never started)",
        126: "CMD was found but cannot be run (not executable, a directory, no #! line)",
        127: "CMD was not found",
    },
    run=run,
    add_options=add_options,
    long_running=True,
)
