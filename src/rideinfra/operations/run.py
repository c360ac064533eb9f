"""`rideinfra run`: a command with the profiles' variables in its environment, nothing on disk.

`command_environment` builds the environment: the given one plus the
profiles' variables, which win unless `keep_env` (then a variable already
set keeps its value). `exec_command` replaces this process with the command
(same pid: its signals and exit status are its own). `supervise` keeps a
child instead, forwards SIGTERM, SIGINT and SIGHUP to it, and when the
profiles' values change restarts it gracefully (SIGTERM, a grace period,
SIGKILL) or sends it a reload signal.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from rideinfra._record import Record
from rideinfra.errors import ConfigError, KeyCollision, RenderError, RideinfraError
from rideinfra.operations.watch import DEFAULT_INTERVAL, StoreView, next_delay

if TYPE_CHECKING:
    from rideinfra.profiles import Env

__all__ = [
    "FORWARDED",
    "Supervision",
    "command_environment",
    "exec_command",
    "profile_variables",
    "supervise",
]

log = logging.getLogger("rideinfra.run")

#: Signals `supervise` passes on to the child.
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def profile_variables(envs: Mapping[str, Env]) -> dict[str, str]:
    """The profiles' variables as one plain mapping (the values revealed: handle with care).

    Raises:
        KeyCollision: two profiles give one variable different values; names both.
        RenderError: a value holds a NUL character, which no environment can carry.
    """
    merged: dict[str, str] = {}
    origin: dict[str, str] = {}
    for profile, env in envs.items():
        for name in env:
            value = env[name].reveal()
            if "\0" in value:
                raise RenderError(
                    f"profile {profile}: {name} holds a NUL character, which no environment "
                    "variable can carry; write it to a file with `rideinfra fetch` instead",
                    variable=name,
                )
            if name in merged and merged[name] != value:
                raise KeyCollision(name, f"profile {origin[name]}", f"profile {profile}")
            merged[name] = value
            origin.setdefault(name, profile)
    return merged


def command_environment(
    base: Mapping[str, str], variables: Mapping[str, str], *, keep_env: bool = False
) -> dict[str, str]:
    """`base` plus `variables`; the profiles win unless `keep_env`."""
    return {**variables, **base} if keep_env else {**base, **variables}


def exec_command(argv: Sequence[str], env: Mapping[str, str]) -> NoReturn:
    """Replace this process with `argv` (looked up on the PATH of `env`).

    Raises:
        OSError: the command could not be executed (FileNotFoundError: not
            found; PermissionError: not executable); nothing ran.
    """
    for handler in logging.getLogger().handlers + logging.getLogger("rideinfra").handlers:
        handler.flush()
    os.execvpe(argv[0], list(argv), dict(env))  # noqa: S606 - running the user's command is the job


class Supervision(Record):
    """How `supervise` keeps the child current.

    Attributes:
        interval: seconds between polls of the store (jittered +-10%).
        grace: seconds a restarted child has between SIGTERM and SIGKILL.
        reload_signal: send this instead of restarting (the child re-reads by itself).
        keep_env: a variable already in the environment keeps its value.
    """

    __slots__ = ("interval", "grace", "reload_signal", "keep_env")
    interval: float
    grace: float
    reload_signal: int | None
    keep_env: bool

    def __init__(
        self,
        interval: float = DEFAULT_INTERVAL,
        grace: float = 10.0,
        reload_signal: int | None = None,
        keep_env: bool = False,
    ) -> None:
        self._init(interval=interval, grace=grace, reload_signal=reload_signal, keep_env=keep_env)


class _Child:
    """The running child and the signals to forward to it."""

    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = list(argv)
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()

    def start(self, env: Mapping[str, str]) -> None:
        # Its own process group: a terminal's Ctrl-C reaches it once, forwarded by us.
        self.process = subprocess.Popen(self.argv, env=dict(env), process_group=0)
        log.info("started %s (pid %d)", self.argv[0], self.process.pid)

    def forward(self, signum: int, _: FrameType | None) -> None:
        if signum != signal.SIGHUP:
            self.stopping.set()  # the child is ending on our say: do not restart it
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signum)

    def stop(self, grace: float) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            log.warning("pid %d still running %gs after SIGTERM; SIGKILL", process.pid, grace)
            process.kill()
            process.wait()


def _status(returncode: int) -> int:
    """A child killed by signal N exits 128+N, as a shell reports it."""
    return 128 - returncode if returncode < 0 else returncode


def _read_variables(view: StoreView, current: dict[str, str]) -> dict[str, str]:
    """The variables as the store holds them now (`current` if nothing moved).

    The view takes the read as seen only once the variables pass their
    checks: a refused value is read again at the next poll.

    Raises:
        RideinfraError: the store could not be read, or a value is refused.
    """
    envs = view.refresh()
    fresh = profile_variables(envs) if envs is not None else current
    view.commit()
    return fresh


def supervise(
    argv: Sequence[str],
    view: StoreView,
    base_env: Mapping[str, str],
    options: Supervision,
    *,
    rng: random.Random | None = None,
) -> int:
    """Run `argv` with the profiles' variables; keep it current; return its exit status.

    Installs handlers for SIGTERM, SIGINT and SIGHUP that forward them to the
    child (restored on return): after a forwarded SIGTERM or SIGINT the
    child is not restarted and its status is returned. A failed poll keeps
    the child as it is and is retried later.

    Args:
        argv: the command.
        view: the profiles in the store (`StoreView`).
        base_env: the environment the command gets besides the variables.
        options: interval, grace period, reload signal, precedence.
        rng: the jitter's random source.

    Returns:
        The child's exit status (128+N when signal N ended it).

    Raises:
        RideinfraError: the first read failed; the command never started.
        OSError: the command could not be executed.
    """
    rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
    current = _read_variables(view, {})  # the first refresh always reads
    child = _Child(argv)
    previous = {signum: signal.signal(signum, child.forward) for signum in FORWARDED}
    try:
        child.start(command_environment(base_env, current, keep_env=options.keep_env))
        failures = 0
        while True:
            assert child.process is not None  # noqa: S101 - started above
            try:
                returncode = child.process.wait(next_delay(options.interval, failures, rng))
            except subprocess.TimeoutExpired:
                pass
            else:
                log.info("%s exited %d", argv[0], _status(returncode))
                return _status(returncode)
            if child.stopping.is_set():
                continue  # wait for the child to end
            try:
                fresh = _read_variables(view, current)
            except ConfigError:
                raise
            except RideinfraError as exc:
                failures += 1
                log.error(
                    "poll failed (%d in a row); the command keeps its values: %s", failures, exc
                )
                continue
            if failures:
                log.info("poll succeeded again after %d failed poll(s)", failures)
            failures = 0
            if fresh == current:
                continue
            changed = sorted(
                k for k in fresh.keys() | current.keys() if fresh.get(k) != current.get(k)
            )
            current = fresh
            if options.reload_signal is not None:
                log.info(
                    "values changed (%s); sending %s",
                    ", ".join(changed),
                    signal.Signals(options.reload_signal).name,
                )
                child.process.send_signal(options.reload_signal)
                continue
            log.info("values changed (%s); restarting %s", ", ".join(changed), argv[0])
            child.stop(options.grace)
            if child.stopping.is_set():
                continue  # a SIGTERM came during the restart: end, do not start again
            child.start(command_environment(base_env, current, keep_env=options.keep_env))
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
