"""Command-line processes run with the cyclic garbage collector off; long-running ones turn it on.

The pause is a start-up cost cut (rideinfra/_gc.py) that only the entry
points make: a program that runs a command in process keeps its collector,
and `watch` and `run`, which run for days, turn it back on once started.
"""

from __future__ import annotations

import gc
import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

from rideinfra import _gc
from rideinfra.cli import build_parser
from rideinfra.cli.base import run_command
from rideinfra.cli.fetch import COMMAND as FETCH

LOG = logging.getLogger("rideinfra.test")


@pytest.fixture(autouse=True)
def _collector_restored(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    was = gc.isenabled()
    monkeypatch.setattr(_gc, "_paused_for_process", False)
    # An in-process pause must not register the exit freeze in the test process itself.
    monkeypatch.setattr(_gc, "_freeze_at_exit_registered", True)
    gc.enable()
    yield
    gc.unfreeze()
    (gc.enable if was else gc.disable)()


def _recording(seen: list[bool]) -> object:
    def handler(args: object, environ: object) -> int:
        seen.append(gc.isenabled())
        return 0

    return handler


@pytest.mark.parametrize(
    "entry",
    [
        "runpy.run_module('rideinfra.fetch', run_name='__main__')",
        "runpy.run_module('rideinfra.seed', run_name='__main__')",
        "runpy.run_module('rideinfra.cli', run_name='__main__')",
        "from rideinfra.cli import console_main; console_main()",
    ],
    ids=[
        "python -m rideinfra.fetch",
        "python -m rideinfra.seed",
        "python -m rideinfra.cli",
        "rideinfra console script",
    ],
)
def test_each_entry_point_runs_its_process_without_the_collector(entry: str) -> None:
    """Off from before the command's imports to the exit (`--help` exits while parsing), and
    the heap frozen at the exit, before the shutdown's own collections.

    The probe's exit handler is registered before the entry point's, so it
    runs after it (`atexit` runs them last in, first out).
    """
    probe = (
        "import atexit, gc, runpy, sys\n"
        "atexit.register(lambda: print('collector on:', gc.isenabled(),"
        " 'frozen:', gc.get_freeze_count() > 0))\n"
        "sys.argv = ['prog', '--help']\n"
        f"{entry}\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("collector on: False frozen: True\n")


def test_importing_an_entry_point_leaves_the_collector_alone() -> None:
    """`from rideinfra.fetch import main` in a program: its collector stays on, and its exit
    collects as Python's does."""
    probe = (
        "import atexit, gc\n"
        "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0))\n"
        "import rideinfra.fetch, rideinfra.seed, rideinfra.cli\n"
        "print(gc.isenabled())\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout == "True\nfrozen at exit: False\n"


def test_the_exit_freeze_is_registered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paused again (a command run twice in one process): one exit handler, not one a call."""
    registered: list[object] = []
    monkeypatch.setattr(_gc, "_freeze_at_exit_registered", False)
    monkeypatch.setattr(_gc.atexit, "register", registered.append)
    _gc.pause_for_this_process()
    gc.enable()
    _gc.pause_for_this_process()
    assert registered == [gc.freeze]


def test_a_command_run_in_process_changes_nothing() -> None:
    seen: list[bool] = []
    assert run_command(FETCH.build_parser(), [], {}, LOG, _recording(seen)) == 0  # type: ignore[arg-type]
    assert seen == [True]
    assert gc.isenabled()


def test_a_long_running_command_turns_it_back_on() -> None:
    """After the entry point's pause, `watch`/`run` resume it, start-up frozen first."""
    _gc.pause_for_this_process()
    assert not gc.isenabled()
    parser = FETCH.build_parser()
    parser.set_defaults(long_running=True)
    seen: list[bool] = []
    run_command(parser, [], {}, LOG, _recording(seen))  # type: ignore[arg-type]
    assert seen == [True]
    assert gc.get_freeze_count() > 0


def test_a_one_shot_command_leaves_it_off() -> None:
    _gc.pause_for_this_process()
    seen: list[bool] = []
    run_command(FETCH.build_parser(), [], {}, LOG, _recording(seen))  # type: ignore[arg-type]
    assert seen == [False]


def test_resume_does_nothing_where_no_entry_point_paused() -> None:
    """A caller's own `gc.disable()` is the caller's: not undone by a long-running command."""
    gc.disable()
    _gc.resume_for_long_run()
    assert not gc.isenabled()
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize(
    ("argv", "long_running"),
    [
        (["watch", "--once"], True),
        (["run", "--", "true"], True),
        (["fetch"], False),
        (["seed"], False),
        (["check"], False),
        (["explain", "X"], False),
    ],
)
def test_which_commands_are_long_running(argv: list[str], long_running: bool) -> None:
    """`watch` and `run` are declared long-running; the rest are one-shot."""
    assert build_parser().parse_args(argv).long_running is long_running
