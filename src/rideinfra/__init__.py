"""rideinfra: composable secrets and config primitives.

Read secrets from a store (:mod:`rideinfra.secrets`), map their keys into
per-profile environments (:mod:`rideinfra.profiles`), render them exactly
(:mod:`rideinfra.render`) and write them atomically.
"""

from rideinfra.__about__ import __version__

__all__ = ["__version__"]
