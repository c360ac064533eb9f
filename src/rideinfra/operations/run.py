"""`rideinfra run`: a command with the profiles' variables in its environment, nothing on disk.

`profile_variables` checks every value as every env-like format does
(`render.base.env_entries`: UTF-8 text, no NUL, `NAME=value` within
MAX_ARG_STRLEN) and `command_environment` builds the environment as bytes:
the given one as it came (os.fsencode) plus the profiles' variables in
UTF-8, whichever the locale, which win unless `keep_env`. `check_size`
refuses an environment the kernel would refuse (E2BIG) before anything
runs. `exec_command` replaces this process with the command (same pid: its
signals and exit status are its own; the dispositions Python changed at
start-up are put back first). `supervise` keeps a child instead, forwards
SIGTERM, SIGINT and SIGHUP to it, and when the profiles' values change
restarts it gracefully (SIGTERM, a grace period, SIGKILL) or sends it a
reload signal. A command that cannot be started is a `CommandError`: exit
127 not found, 126 found but not runnable, as env(1) and POSIX shells.
"""

from __future__ import annotations

import errno
import logging
import os
import random
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from rideinfra._record import Record
from rideinfra.errors import ConfigError, KeyCollision, RenderError, RideinfraError
from rideinfra.operations.watch import DEFAULT_INTERVAL, StoreView, next_delay
from rideinfra.render.base import env_entries

if TYPE_CHECKING:
    from rideinfra.profiles import Env

__all__ = [
    "FORWARDED",
    "CommandError",
    "Supervision",
    "check_size",
    "command_environment",
    "exec_command",
    "profile_variables",
    "supervise",
]

log = logging.getLogger("rideinfra.run")

#: Signals `supervise` passes on to the child.
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


#: Signals Python's start-up sets to SIG_IGN; an ignored signal stays ignored
#: across exec, so CMD gets them back as SIG_DFL (what subprocess's
#: restore_signals does for the --watch child).
RESTORED = tuple(
    getattr(signal, name) for name in ("SIGPIPE", "SIGXFSZ", "SIGXFZ") if hasattr(signal, name)
)

#: Environment as execve takes it: name -> value, bytes.
ExecEnv = dict[bytes, bytes]


class CommandError(RideinfraError):
    """CMD could not be started; `exit_code` 127 (not found) or 126 (found, not runnable)."""

    def __init__(self, message: str, *, exit_code: int) -> None:
        self.exit_code = exit_code
        super().__init__(message)


def profile_variables(envs: Mapping[str, Env]) -> dict[str, str]:
    """The profiles' variables as one plain mapping (the values revealed: handle with care).

    Every value passes the checks of every env-like format (`env_entries`),
    so what the command gets is the value, byte for byte, in UTF-8.

    Raises:
        KeyCollision: two profiles give one variable different values; names both.
        RenderError: a value is not UTF-8 text (a lone surrogate), holds a
            NUL, or `NAME=value` is over MAX_ARG_STRLEN; names the variable.
    """
    merged: dict[str, str] = {}
    origin: dict[str, str] = {}
    for profile, env in envs.items():
        try:
            checked = list(env_entries(env, fmt="run"))
        except RenderError as exc:
            raise RenderError(f"profile {profile}: {exc}", variable=exc.variable) from None
        for name, value in checked:
            if name in merged and merged[name] != value:
                raise KeyCollision(name, f"profile {origin[name]}", f"profile {profile}")
            merged[name] = value
            origin.setdefault(name, profile)
    return merged


def command_environment(
    base: Mapping[str, str], variables: Mapping[str, str], *, keep_env: bool = False
) -> ExecEnv:
    """`base` plus `variables` as bytes; the profiles win unless `keep_env`.

    `base` (the process's own environment) is encoded back to the bytes it
    came as (os.fsencode); `variables` in UTF-8, not the locale's encoding,
    which might change or refuse a value (an ASCII locale refuses any
    non-ASCII one). An entry of `base` no process can be given (an empty
    name, `=` or NUL in it, or text with no byte form) is left out, with a
    warning naming it.
    """
    env: ExecEnv = {}
    for key, value in base.items():
        try:
            name, text = os.fsencode(key), os.fsencode(value)
        except UnicodeEncodeError:  # only from a caller's mapping: os.environ round-trips
            name = text = b""
        if not name or b"=" in name or b"\0" in name or b"\0" in text:
            log.warning(
                "environment entry %r cannot be passed on (execve refuses it); left out", key
            )
            continue
        env[name] = text
    ours = {name.encode(): value.encode() for name, value in variables.items()}
    return {**ours, **env} if keep_env else {**env, **ours}


def _limit() -> int | None:
    """Linux's bound on argv + envp (fs/exec.c bprm_stack_limits), or None if unknown."""
    if not sys.platform.startswith("linux"):
        return None
    stack = resource.getrlimit(resource.RLIMIT_STACK)[0]
    cap = 6 * 1024 * 1024  # _STK_LIM / 4 * 3
    limit = cap if stack == resource.RLIM_INFINITY else min(cap, stack // 4)
    return max(limit, 32 * 4096)  # ARG_MAX: never less


def _arg_bytes(argv: Sequence[bytes], env: ExecEnv) -> int:
    # As the kernel counts: each string with its NUL, one pointer each, and the
    # file name (at least argv[0]; a PATH search adds the directory).
    strings = sum(len(a) + 1 for a in argv) + sum(len(k) + len(v) + 2 for k, v in env.items())
    return strings + len(argv[0]) + 1 + (len(argv) + len(env)) * 8


def _too_big(size: int, limit: int | None, variables: Mapping[str, str]) -> RenderError:
    largest = sorted(variables, key=lambda n: len(variables[n].encode()), reverse=True)[:3]
    sizes = ", ".join(f"{n} ({len(n) + 1 + len(variables[n].encode())} bytes)" for n in largest)
    over = f"{size} bytes, over the system's limit of {limit}" if limit else "over the limit"
    return RenderError(
        f"the command's arguments and environment together are {over} (ARG_MAX: execve "
        f"fails with E2BIG); the largest variables: {sizes or 'none'}; mount big values as "
        "files with `rideinfra fetch` instead",
        variable=largest[0] if largest else None,
    )


def check_size(argv: Sequence[bytes], env: ExecEnv, variables: Mapping[str, str]) -> None:
    """Refuse, before anything runs, arguments plus environment the kernel would refuse.

    Raises:
        RenderError: over the limit; names the largest of `variables`.
    """
    limit = _limit()
    size = _arg_bytes(argv, env)
    if limit is not None and size > limit:
        raise _too_big(size, limit, variables)


def encode_argv(argv: Sequence[str]) -> list[bytes]:
    """The command line as bytes (os.fsencode: what this process was given).

    Raises:
        ConfigError: an argument has no bytes form or holds NUL (only from a caller's
            str, never from this process's own argv).
    """
    try:
        args = [os.fsencode(arg) for arg in argv]
    except UnicodeEncodeError:
        raise ConfigError(
            "the command line holds text with no byte form (a lone surrogate)"
        ) from None
    if any(b"\0" in arg for arg in args):
        raise ConfigError("the command line holds a NUL character, which no argument can carry")
    return args


def _shown(argv0: bytes) -> str:
    name = os.fsdecode(argv0)
    return name if name and name.isprintable() else repr(name)


def command_error(argv0: bytes, exc: OSError, variables: Mapping[str, str]) -> RideinfraError:
    """The error for `exc` from starting `argv0`: 127 not found, 126 not runnable, as env(1).

    A search on PATH that found nothing is "not found" whatever the last
    directory tried said (ENOTDIR: a PATH entry that is a file); a path
    given with a `/` that is not there is too.
    """
    name = _shown(argv0)
    code = exc.errno
    if code == errno.E2BIG:
        return _too_big(_arg_bytes([argv0], {}), None, variables)
    if code == errno.ENOENT or (code == errno.ENOTDIR and b"/" not in argv0):
        if b"/" in argv0 and os.path.lexists(argv0):
            return CommandError(
                f"command not found: {name}: its #! interpreter is missing", exit_code=127
            )
        return CommandError(f"command not found: {name}", exit_code=127)
    if code in (errno.EACCES, errno.EPERM) and os.path.isdir(argv0):
        why = "it is a directory"
    elif code in (errno.EACCES, errno.EPERM):
        why = "permission denied (not executable, or on a noexec mount)"
    elif code == errno.ENOEXEC:
        why = "exec format error (not a binary this system runs, and no #! line)"
    else:
        why = os.strerror(code) if code else type(exc).__name__
    return CommandError(f"command not executable: {name}: {why}", exit_code=126)


def exec_command(
    argv: Sequence[str], env: ExecEnv, variables: Mapping[str, str] | None = None
) -> NoReturn:
    """Replace this process with `argv` (looked up on the PATH of `env`).

    SIGPIPE and SIGXFSZ, which Python ignores, are set back to their
    default first: an ignored signal stays ignored across exec.

    Raises:
        RenderError: `argv` plus `env` is over the kernel's limit (nothing ran).
        CommandError: the command was not found (127) or cannot run (126); nothing ran.
    """
    args = encode_argv(argv)
    variables = variables or {}
    if not args[0]:
        raise CommandError("command not found: ''", exit_code=127)
    check_size(args, env, variables)
    for handler in logging.getLogger().handlers + logging.getLogger("rideinfra").handlers:
        handler.flush()
    # A caught signal (SIGINT's KeyboardInterrupt) is reset by exec itself; an ignored one is not.
    previous = {signum: signal.signal(signum, signal.SIG_DFL) for signum in RESTORED}
    try:
        os.execvpe(args[0], args, env)  # noqa: S606 - running the user's command is the job
    except OSError as exc:
        raise command_error(args[0], exc, variables) from None
    finally:
        for signum, disposition in previous.items():
            if disposition is not None:
                signal.signal(signum, disposition)


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

    def __init__(self, argv: Sequence[bytes]) -> None:
        self.argv = list(argv)
        self.name = os.fsdecode(self.argv[0])
        self.process: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()

    def start(self, env: ExecEnv, variables: Mapping[str, str]) -> None:
        """Start the command (restore_signals: SIGPIPE and SIGXFSZ at their default).

        Raises:
            CommandError: not found (127) or cannot run (126).
            RenderError: over the kernel's size limit.
        """
        if not self.argv[0]:
            raise CommandError("command not found: ''", exit_code=127)
        try:
            # Its own process group: a terminal's Ctrl-C reaches it once, forwarded by us.
            self.process = subprocess.Popen(
                self.argv, env=env, process_group=0, restore_signals=True
            )
        except OSError as exc:
            raise command_error(self.argv[0], exc, variables) from None
        log.info("started %s (pid %d)", self.name, self.process.pid)

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


def _read_variables(
    view: StoreView, current: dict[str, str], usable: Callable[[dict[str, str]], object]
) -> dict[str, str]:
    """The variables as the store holds them now (`current` if nothing moved).

    The view takes the read as seen only once the variables pass their
    checks and `usable` (the command's environment fits): a refused value
    is read again at the next poll.

    Raises:
        RideinfraError: the store could not be read, or a value is refused.
    """
    envs = view.refresh()
    fresh = profile_variables(envs) if envs is not None else current
    usable(fresh)
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
        RideinfraError: the first read failed, or a value or the environment's
            size is refused; the command never started.
        CommandError: the command was not found (127) or cannot run (126).
    """
    rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
    args = encode_argv(argv)

    def environment(variables: Mapping[str, str]) -> ExecEnv:
        env = command_environment(base_env, variables, keep_env=options.keep_env)
        check_size(args, env, variables)
        return env

    current = _read_variables(view, {}, environment)  # the first refresh always reads
    child = _Child(args)
    previous = {signum: signal.signal(signum, child.forward) for signum in FORWARDED}
    try:
        child.start(environment(current), current)
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
                fresh = _read_variables(view, current, environment)
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
            child.start(environment(current), current)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
