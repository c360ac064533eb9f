"""The `rideinfra.secrets` logger, without importing `logging` with the package.

`import rideinfra.secrets` is on every service's start-up path and logging
costs it ~8 ms; the logger is only needed once something goes wrong or is
retried, by which time logging is loaded anyway (botocore imports it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging

NAME = "rideinfra.secrets"


def logger() -> logging.Logger:
    """The logger every source reports to."""
    import logging

    return logging.getLogger(NAME)
