"""`rideinfra watch`: the sidecar that keeps the output directory current.

Polls version metadata (not values), rewrites only the profiles whose bytes
changed in one atomic swap, then runs `--on-change` or sends `--signal` once
per change set. SIGTERM (or SIGINT) ends it after the write under way, stopping a
hook still running: exit 0.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from collections.abc import Mapping
from pathlib import Path

from rideinfra.cli import options

__all__ = ["COMMAND", "parse_interval_option", "parse_signal_option", "run"]


def parse_interval_option(text: str) -> float:
    """`--interval`: seconds, or a number with s/m/h (the rule of `output.refresh_interval`)."""
    from rideinfra.profiles.interval import parse_interval

    try:
        return parse_interval(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


#: No service can take these as "reload": KILL ends it, STOP freezes it, and neither
#: can be caught. A restart is what --watch does without --reload-signal.
NOT_A_RELOAD = frozenset({signal.SIGKILL, signal.SIGSTOP})


def parse_signal_option(text: str) -> int:
    """`HUP`, `SIGHUP` or `1` as a signal number; never one a service cannot catch."""
    name = text.strip().upper()
    number: signal.Signals | None = None
    if name.isdigit():
        with contextlib.suppress(ValueError):
            number = signal.Signals(int(name))
    else:
        with contextlib.suppress(KeyError):
            number = signal.Signals[name if name.startswith("SIG") else f"SIG{name}"]
    if number is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a signal name (HUP, USR1, TERM) or number"
        )
    if number in NOT_A_RELOAD:
        raise argparse.ArgumentTypeError(
            f"{number.name} cannot be caught, so no service can reload on it; "
            "use the service's reload signal (often HUP or USR1)"
        )
    return int(number)


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Watch until SIGTERM/SIGINT (or one pass with `--once`); exit 0, or 1 if `--once` failed."""
    from rideinfra.operations.watch import (
        DEFAULT_HOOK_TIMEOUT,
        DEFAULT_INTERVAL,
        READY_NAME,
        WatchOptions,
        watch,
    )
    from rideinfra.render import get_format

    if (args.signal is None) != (args.pid_file is None):
        raise options.usage_error(
            "--signal and --pid-file go together: the signal goes to the pid in the file"
        )
    config = options.config_from_args(args, environ)
    out = options.output_dir(args.out, environ, config)
    fmt = get_format(args.format or config.output.format)
    source = options.source_for(args, config, environ)
    interval = args.interval or config.output.refresh_interval or DEFAULT_INTERVAL
    ready = None if args.ready_file == "" else Path(args.ready_file or out / READY_NAME)
    settings = WatchOptions(
        interval=interval,
        once=args.once,
        on_change=args.on_change,
        hook_timeout=args.hook_timeout or DEFAULT_HOOK_TIMEOUT,
        signal=args.signal,
        pid_file=Path(args.pid_file) if args.pid_file else None,
        ready_file=ready,
        environ=dict(environ),
    )
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        watch(config, source, out, settings, profiles=args.profile, output_format=fmt, stop=stop)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def add_options(parser: argparse.ArgumentParser) -> None:
    """The watch options."""
    options.add_config(parser)
    options.add_out(parser, "output directory (default: SECRETS_OUTPUT_DIR, then output.dir)")
    options.add_profile(parser, "keep only this profile; repeatable (default: every profile)")
    options.add_format(parser)
    options.add_source(parser)
    parser.add_argument(
        "--interval",
        type=parse_interval_option,
        metavar="DURATION",
        help="between polls: seconds, or 30s, 5m, 1h (default: output.refresh_interval, "
        "else 60s); each wait is jittered +-10%%",
    )
    parser.add_argument(
        "--on-change",
        metavar="CMD",
        help="shell command run after each change set; RIDEINFRA_CHANGED holds the "
        "changed profiles' names, space-separated",
    )
    parser.add_argument(
        "--hook-timeout",
        type=parse_interval_option,
        metavar="DURATION",
        help="how long --on-change may run, then it and what it started get SIGTERM "
        "(SIGKILL 5s later) and the watch goes on (default: 5m)",
    )
    parser.add_argument(
        "--signal", type=parse_signal_option, metavar="SIG", help="send SIG after each change set"
    )
    parser.add_argument("--pid-file", metavar="FILE", help="the pid --signal goes to")
    parser.add_argument(
        "--ready-file",
        metavar="FILE",
        help=(
            "created, with its directory, after the first good poll "
            "(default: OUT/.ready; '' for none)"
        ),
    )
    parser.add_argument("--once", action="store_true", help="one pass, then exit (0, or 1/2)")


COMMAND = options.Command(
    "watch",
    "keep the output directory current as secrets rotate",
    "Poll the store's version metadata (Secrets Manager: ListSecrets, 100 secrets a "
    "request; no value is read unless a version moved), rewrite only the profiles whose "
    "files changed, in one atomic swap, then run --on-change or send --signal once per "
    "change set. A failed poll keeps the last good files, logs one line and backs off "
    "(up to 8 intervals). OUT/.ready appears after the first good poll. A hook that "
    "runs past --hook-timeout is stopped and logged. SIGTERM: finish the write under "
    "way, stop a hook still running, exit 0.",
    "  rideinfra watch --out /secrets --interval 60s\n"
    "  rideinfra watch --on-change 'docker kill -s HUP app'\n"
    "  rideinfra watch --signal HUP --pid-file /run/app.pid\n"
    "  rideinfra watch --once      # one pass (a readiness check, a cron job)",
    exit_codes={
        0: "stopped by SIGTERM or SIGINT after finishing any write; "
        "with --once, the pass succeeded",
        1: "with --once: a secret could not be fetched, transformed, rendered or written",
    },
    run=run,
    add_options=add_options,
    long_running=True,
)
