"""`python -m rideinfra.cli`: the `rideinfra` command."""

import sys

from rideinfra.cli import main

sys.exit(main())
