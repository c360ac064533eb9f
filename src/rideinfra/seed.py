"""`python -m rideinfra.seed`: create or update secrets from a seed file (as `rideinfra seed`)."""

import sys

from rideinfra.cli.seed import COMMAND, main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(COMMAND.main_of_process())
