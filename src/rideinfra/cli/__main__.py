"""`python -m rideinfra.cli`: the `rideinfra` command."""

import sys

from rideinfra.cli import console_main

sys.exit(console_main())
