"""`python -m rideinfra.fetch`: the secrets-init job (the same as `rideinfra fetch`)."""

import sys

from rideinfra.cli.fetch import COMMAND, main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(COMMAND.main_of_process())
