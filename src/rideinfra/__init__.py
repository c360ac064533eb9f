"""rideinfra: composable secrets and config primitives.

Read secrets from a store (`rideinfra.secrets`), map their keys into
per-profile environments (`rideinfra.profiles`), render them exactly
(`rideinfra.render`) and write them atomically.
"""

from rideinfra.__about__ import __version__

__all__ = ["__version__"]
