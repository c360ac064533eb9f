"""Python's cyclic garbage collector, paused where rideinfra allocates much and frees little.

The collector runs when allocations outnumber frees by a threshold, and now
and then walks every object alive; none of that frees anything where
nothing but allocation happens. Two such places:

- Building the environments of many secrets (`profiles.resolve`): paused for
  the build (`collector_paused`), back on after.
- A command-line process that runs one command and exits: its run is imports,
  botocore's endpoint data (1.25 MB of JSON decoded into objects) and the
  fetched secrets. The entry points turn the collector off before the
  command's imports (botocore, PyYAML) and for good (`pause_for_this_process`):
  turning it back on at the end
  would cost as much as it saved, the first collection then walking all that
  was allocated meanwhile. A command that runs until stopped (`watch`,
  `run --watch`) turns it back on once started (`resume_for_long_run`).
  Measured on the rideshare example, `python -m rideinfra.fetch` took
  8-10% less time (docs/benchmarks.md, section 9).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused", "pause_for_this_process", "resume_for_long_run"]

#: Set by `pause_for_this_process`: the collector is off because this process will exit soon.
_paused_for_process = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off for the block, and back on after if it was on.

    Reference counting still frees everything that is not in a cycle; a
    cycle made meanwhile waits for the next collection after the block.
    Another thread's code that needs a collection meanwhile waits as long.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def pause_for_this_process() -> None:
    """The collector off until the process exits: for a command-line entry point, before its work.

    Only the entry points call it (`python -m rideinfra.fetch`, `.seed`,
    `.cli` and the `rideinfra` console script), never code a program imports:
    a program that runs a command in process keeps its collector. Memory is
    bounded by what the one command allocates, which reference counting
    frees as it goes but for cycles (few: botocore's clients, tracebacks).
    """
    global _paused_for_process  # noqa: PLW0603 - one process-wide fact
    if gc.isenabled():
        gc.disable()
        _paused_for_process = True


def resume_for_long_run() -> None:
    """The collector back on, for a command that runs until stopped, if the entry point paused it.

    What start-up built (modules, botocore's data, the config) lives as long
    as the process: it is frozen first (`gc.freeze`), so that no later
    collection walks it again.
    """
    global _paused_for_process  # noqa: PLW0603 - one process-wide fact
    if _paused_for_process:
        gc.freeze()
        gc.enable()
        _paused_for_process = False
