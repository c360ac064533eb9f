"""Logging for the command line: one line per step on stderr, text or JSON, never a value.

The library itself only creates loggers under `rideinfra`; it never
configures handlers. The command line (`rideinfra.cli.base`) logs through
`command_logging` for the length of one command, and leaves the `rideinfra`
logger as it found it.

One record is always one line, whatever its message holds: names come from
the store and the config (a field name can hold a newline or an escape
sequence), so both formats escape every character `rideinfra.errors.printable`
escapes, in the whole formatted record. A message of several lines (a
config error listing its problems) shows its line breaks as `\\n`.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal, TextIO

from rideinfra.errors import printable

__all__ = ["LogFormat", "command_logging", "configure"]

LogFormat = Literal["text", "json"]

# botocore at DEBUG logs whole response bodies, i.e. secret values; hvac and
# requests (under it) log request URLs and retries. Whatever level the user
# asks for, these stay at WARNING.
_QUIET = ("botocore", "boto3", "urllib3", "s3transfer", "werkzeug", "moto", "hvac", "requests")


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[1] is not None:
            entry["error"] = type(record.exc_info[1]).__name__
        # json.dumps escapes C0 controls only; DEL, C1, separators and bidi
        # controls would reach the terminal raw. They can occur only inside
        # strings, so JSON's own \uXXXX escape keeps the record valid and exact.
        return printable(json.dumps(entry, ensure_ascii=False), escape=_json_escape)


def _json_escape(ch: str) -> str:
    return json.dumps(ch)[1:-1]  # ensure_ascii: \u0085, or a surrogate pair


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


def configure(
    fmt: LogFormat = "text", level: int | str = logging.INFO, stream: TextIO | None = None
) -> logging.Handler:
    """Send `rideinfra` logs to `stream` (stderr) in `fmt`; returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if fmt == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(_TextFormatter("rideinfra: %(message)s"))
    logger = logging.getLogger("rideinfra")
    for old in list(logger.handlers):
        if getattr(old, "_rideinfra", False):
            logger.removeHandler(old)
    handler._rideinfra = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


@contextmanager
def command_logging(
    fmt: LogFormat = "text", level: int | str = logging.INFO, stream: TextIO | None = None
) -> Iterator[logging.Handler]:
    """`configure` for the length of one command, then the `rideinfra` logger as it was.

    A handler left behind keeps the stream it was given. A request a failed
    fetch left to finish on its own (`rideinfra.secrets._deadline`) can log
    after the command returned; in a process that goes on (a test suite, a
    program calling `main()`), that stream may be closed by then (a test's
    captured stderr), and logging answers with "--- Logging error ---" and the
    thread's stack on whatever stderr is current. Without the handler such a
    late record goes where the program's own logging sends it. The quiet
    levels of botocore and the others stay: they keep values out of logs
    while those late requests finish.
    """
    logger = logging.getLogger("rideinfra")
    saved_level, saved_propagate = logger.level, logger.propagate
    handler = configure(fmt, level, stream)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved_level)
        logger.propagate = saved_propagate
