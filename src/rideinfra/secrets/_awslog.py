"""Keep secret values out of botocore's DEBUG logging.

At DEBUG, botocore logs every request's parameters ("Making request for
... with params: {... 'body': b'{"SecretString": ...}'}") and every
response body ("Response body: b'{"SecretValues": [...]}'"): the values
themselves. The entrypoints pin botocore to WARNING, but a service that
uses the library with its root logger at DEBUG would print them. A filter on
the loggers that log bodies replaces each body by its size; everything else
botocore logs (operations, retries, endpoints, headers) is kept for debugging.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

__all__ = ["BODY_LOGGERS", "BodyRedactor", "redact_botocore_bodies"]

#: botocore loggers whose DEBUG records carry request or response bodies.
BODY_LOGGERS = ("botocore.endpoint", "botocore.parsers", "botocore.awsrequest")

_INSTALL = threading.Lock()


def _hidden(body: object) -> str:
    size = len(body) if isinstance(body, bytes | bytearray | str) else None
    what = f"{size} bytes" if size is not None else type(body).__name__
    return f"<body: {what}, not logged by rideinfra: it may hold secret values>"


def _scrub(value: object) -> object:
    if isinstance(value, bytes | bytearray):
        return _hidden(value)
    if isinstance(value, Mapping):
        return {k: _hidden(v) if k == "body" else _scrub(v) for k, v in value.items()}
    return value


class BodyRedactor(logging.Filter):
    """A logging filter that replaces bodies in a record's arguments by their size."""

    def filter(self, record: logging.LogRecord) -> bool:
        args: Any = record.args
        if isinstance(args, tuple):
            record.args = tuple(_scrub(arg) for arg in args)
        elif isinstance(args, Mapping):
            record.args = dict(_scrub(args))  # type: ignore[call-overload]
        return True


def redact_botocore_bodies() -> None:
    """Install `BodyRedactor` on `BODY_LOGGERS`, once per logger."""
    with _INSTALL:
        for name in BODY_LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(f, BodyRedactor) for f in logger.filters):
                logger.addFilter(BodyRedactor())
