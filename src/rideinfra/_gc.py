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
- The same process's exit. The interpreter's shutdown runs full collections
  whether the collector is on or off (it clears the modules, then collects
  their cycles), each a walk over every object alive: for a rideshare fetch,
  about 70M instructions, the most cache-hungry of its run. The entry points
  freeze the heap as the process exits (`gc.freeze` at exit), so those
  collections walk only what the shutdown itself frees. What is lost: a
  cycle alive at exit is not collected, so a `__del__` in one does not run;
  the operating system takes the memory back all the same, and rideinfra
  closes what it writes itself instead of leaving it to a finalizer.

Measured on the rideshare example (docs/benchmarks.md, section 9).
"""

from __future__ import annotations

import atexit
import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused", "pause_for_this_process", "resume_for_long_run"]

#: Set by `pause_for_this_process`: the collector is off because this process will exit soon.
_paused_for_process = False
#: Set by `pause_for_this_process`: the exit freezes the heap (registered once a process).
_freeze_at_exit_registered = False


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

    It also freezes the heap at the exit, for the shutdown's collections to
    skip (this module's docstring), as an exit handler (`atexit`): a freeze
    only moves objects out of the collector's sight, so the other handlers
    (the logging module's flush) run the same before or after it.
    """
    global _paused_for_process, _freeze_at_exit_registered  # noqa: PLW0603 - process-wide facts
    if gc.isenabled():
        gc.disable()
        _paused_for_process = True
    if not _freeze_at_exit_registered:
        atexit.register(gc.freeze)
        _freeze_at_exit_registered = True


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
