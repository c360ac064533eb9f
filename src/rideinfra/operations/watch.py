"""`rideinfra watch`: keep an output directory current while secrets rotate.

Each poll asks the store which version each secret is at, from metadata
only (`StoreView`: Secrets Manager's `ListSecrets`, 100 secrets a request);
values are read only for secrets whose version moved. The profiles are
rendered again and `write_files` swaps in the ones whose bytes changed, all
at once; then the hook runs (or the signal is sent) once for that change
set. An unchanged poll reads no value and writes nothing.

The hook runs in a process group of its own with a time limit (`hook_timeout`):
a hook that hangs would otherwise stop every later poll, and a SIGTERM would
wait on it. Past the limit, or when the watch is told to stop, the group gets
SIGTERM, then SIGKILL after `HOOK_GRACE` seconds; either is logged, not fatal.

A failed poll (the store is down, a change that does not render) keeps the
last good files, logs one line, and the next poll comes later (doubling up to
8 intervals); the first poll that works again says so. Polls are jittered
(each wait is the interval +-10%) so sidecars started together drift apart.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from rideinfra._record import Record
from rideinfra.errors import ConfigError, RideinfraError

if TYPE_CHECKING:
    from rideinfra.profiles import Config, Env
    from rideinfra.render import OutputFormat
    from rideinfra.secrets.base import SecretSource
    from rideinfra.secrets.model import Secret

__all__ = [
    "DEFAULT_HOOK_TIMEOUT",
    "DEFAULT_INTERVAL",
    "READY_NAME",
    "StoreView",
    "VersionedSource",
    "WatchOptions",
    "WatchStats",
    "Watcher",
    "next_delay",
    "watch",
]

log = logging.getLogger("rideinfra.watch")

#: Seconds between polls when neither `--interval` nor `output.refresh_interval` is set.
DEFAULT_INTERVAL = 60.0
#: The readiness marker written into the output directory after the first good poll.
READY_NAME = ".ready"
#: A failing store is polled at most this many intervals apart.
MAX_BACKOFF = 8
#: Seconds an `--on-change` hook may run before it is stopped.
DEFAULT_HOOK_TIMEOUT = 300.0
#: Seconds between the SIGTERM that stops a hook's process group and its SIGKILL.
HOOK_GRACE = 5.0


@runtime_checkable
class VersionedSource(Protocol):
    """A source that can say which version each secret is at without reading values."""

    def list_versions(self, names: Sequence[str]) -> Mapping[str, str | None]:
        """Secret name -> the version id it would be read at (None: not found)."""
        ...


class StoreView:
    """The selected profiles as the store holds them, re-read only where versions moved.

    With a `VersionedSource` (Secrets Manager) a refresh is one metadata
    listing and, only for the secrets whose version moved, one value read.
    Any other source (files, environment) is cheap to read whole: every
    refresh reads it and the caller compares what it renders.

    A refresh is only staged: the caller calls `commit` once it has used
    the result (written the files, started the command). Until then the
    next refresh reads the same secrets again, so a change that could be
    read but not used (a value the output format refuses, a failed write)
    is tried at every poll, not taken as seen.

    Args:
        config: the loaded config.
        source: where the secrets are read.
        profiles: the profiles to keep (default: all).

    Raises:
        ConfigError: a profile is unknown.
    """

    def __init__(
        self, config: Config, source: SecretSource, profiles: Sequence[str] | None = None
    ) -> None:
        self._config = config
        self._source = source
        self._chosen = config.select(list(profiles) if profiles is not None else None)
        self._names = config.secret_names(self._chosen)
        self._versioned = source if isinstance(source, VersionedSource) else None
        self._versions: dict[str, str | None] = {}
        self._secrets: dict[str, Secret] = {}
        self._staged: tuple[dict[str, Secret], dict[str, str | None]] | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The secrets the selected profiles use."""
        return self._names

    def refresh(self) -> dict[str, Env] | None:
        """Each profile's `Env` if a secret may have changed since the last commit, else None.

        The first refresh always reads everything. What it read is staged;
        `commit` makes it the view's. A failed refresh, or one not committed,
        is tried again whole next time.

        Raises:
            SourceError: the store could not be listed or a secret not read.
            TransformError: a changed secret does not transform or merge (names it).
        """
        from rideinfra.profiles.resolve import resolve_profile
        from rideinfra.secrets.base import FetchResult

        self._staged = None
        versions: dict[str, str | None] = {}
        stale = list(self._names)
        if self._versioned is not None:
            versions = dict(self._versioned.list_versions(self._names))
            stale = [
                name
                for name in self._names
                if name not in self._secrets or versions.get(name) != self._versions.get(name)
            ]
            if not stale:
                return None
            log.info("version changed: %s", ", ".join(stale))
        result = self._source.fetch_many(stale)
        result.raise_errors()
        secrets = {**self._secrets, **{name: result[name] for name in stale}}
        merged = FetchResult(secrets)
        envs = {p.name: resolve_profile(self._config, p, merged) for p in self._chosen}
        for name in stale:
            # The version read wins over the one listed: a rotation between the
            # two calls then shows as a change at the next poll, not never.
            versions[name] = secrets[name].version_id or versions.get(name)
        self._staged = (secrets, versions)
        return envs

    def commit(self) -> None:
        """Take the last refresh's secrets as seen: the next refresh compares with them."""
        if self._staged is not None:
            self._secrets, self._versions = self._staged
            self._staged = None


class WatchOptions(Record):
    """What `watch` does besides writing.

    Attributes:
        interval: seconds between polls (jittered +-10%).
        once: one pass, then return (its exit code).
        on_change: a shell command run after each change set, with the changed
            profiles' names, space-separated, in `RIDEINFRA_CHANGED`.
        hook_timeout: seconds `on_change` may run; then its process group is
            stopped (SIGTERM, SIGKILL `HOOK_GRACE` seconds later) and the
            watch goes on.
        signal: a signal to send after each change set to the pid in `pid_file`.
        pid_file: the file holding the pid to signal (read at each change).
        ready_file: the marker created after the first good poll (and removed
            at start, so it means this watcher's files); None for none.
        environ: the environment the hook runs with (default: a copy of
            `os.environ`); left out of the repr.
        max_polls: stop after this many polls (tests and benchmarks); None: never.
    """

    __slots__ = (
        "interval",
        "once",
        "on_change",
        "hook_timeout",
        "signal",
        "pid_file",
        "ready_file",
        "environ",
        "max_polls",
    )
    _hidden = frozenset({"environ"})
    interval: float
    once: bool
    on_change: str | None
    hook_timeout: float
    signal: int | None
    pid_file: Path | None
    ready_file: Path | None
    environ: Mapping[str, str]
    max_polls: int | None

    def __init__(
        self,
        interval: float = DEFAULT_INTERVAL,
        once: bool = False,
        on_change: str | None = None,
        hook_timeout: float = DEFAULT_HOOK_TIMEOUT,
        signal: int | None = None,
        pid_file: Path | None = None,
        ready_file: Path | None = None,
        environ: Mapping[str, str] | None = None,
        max_polls: int | None = None,
    ) -> None:
        self._init(
            interval=interval,
            once=once,
            on_change=on_change,
            hook_timeout=hook_timeout,
            signal=signal,
            pid_file=pid_file,
            ready_file=ready_file,
            environ=dict(os.environ) if environ is None else environ,
            max_polls=max_polls,
        )


class WatchStats:
    """What a watch did: polls, change sets (= hook runs), failed polls."""

    __slots__ = ("polls", "changes", "failures")

    def __init__(self, polls: int = 0, changes: int = 0, failures: int = 0) -> None:
        self.polls = polls
        self.changes = changes
        self.failures = failures

    def __repr__(self) -> str:
        return f"WatchStats(polls={self.polls}, changes={self.changes}, failures={self.failures})"


def next_delay(interval: float, failures: int, rng: random.Random) -> float:
    """The wait before the next poll: the interval, doubled per failure up to 8x, +-10%."""
    factor: int = min(2 ** max(failures, 0), MAX_BACKOFF)
    return interval * factor * rng.uniform(0.9, 1.1)


class Watcher:
    """One output directory kept current, one `poll` at a time (`watch` loops over it).

    Args:
        config: the loaded config (its `output.file_mode` applies).
        source: where the secrets are read.
        out: the output directory.
        options: hook, signal, readiness (the interval is `watch`'s).
        profiles: the profiles to keep (default: all).
        output_format: default: the config's `output.format`.
        stop: once set, a hook still running is stopped (see the module docs).

    Raises:
        ConfigError: an unknown profile or format.
    """

    def __init__(
        self,
        config: Config,
        source: SecretSource,
        out: str | os.PathLike[str],
        options: WatchOptions,
        *,
        profiles: Sequence[str] | None = None,
        output_format: OutputFormat | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        from rideinfra.render import get_format

        self._stop = stop or threading.Event()
        self._config = config
        self._out = out
        self._options = options
        self._format = output_format or get_format(config.output.format)
        self._view = StoreView(config, source, profiles)
        self.ready = False
        self.stats = WatchStats()
        if options.ready_file is not None:
            _clear_ready(options.ready_file)

    def poll(self) -> list[str]:
        """One poll: the profiles whose files changed (the hook ran), or none.

        Raises:
            RideinfraError: the store could not be read, or the change does
                not transform, render or write; the files are as they were.
        """
        self.stats.polls += 1
        try:
            changed = _poll(self._view, self._config, self._format, self._out, first=not self.ready)
        except RideinfraError:
            self.stats.failures += 1
            raise
        if not self.ready:
            self.ready = True
            _mark_ready(self._options.ready_file)
        if changed:
            self.stats.changes += 1
            _notify(changed, self._options, self._stop)
        return changed


def watch(
    config: Config,
    source: SecretSource,
    out: str | os.PathLike[str],
    options: WatchOptions,
    *,
    profiles: Sequence[str] | None = None,
    output_format: OutputFormat | None = None,
    stop: threading.Event | None = None,
    rng: random.Random | None = None,
) -> WatchStats:
    """Poll the store and keep `out` current until `stop` is set (or after one pass).

    Setting `stop` (what SIGTERM does in `rideinfra watch`) ends the wait
    between polls and stops a hook still running; a write under way finishes first.

    Args:
        config: the loaded config (its `output.file_mode` applies).
        source: where the secrets are read.
        out: the output directory.
        options: interval, hook, signal, readiness.
        profiles: the profiles to keep (default: all).
        output_format: default: the config's `output.format`.
        stop: set it to end the watch.
        rng: the jitter's random source.

    Returns:
        Counts of polls, change sets and failed polls.

    Raises:
        ConfigError: an unknown profile or format, or a setting the source
            refuses (then no poll is retried).
        RideinfraError: with `once`, what the one pass failed with.
    """
    stop = stop or threading.Event()
    watcher = Watcher(
        config, source, out, options, profiles=profiles, output_format=output_format, stop=stop
    )
    rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
    failures = 0
    while not stop.is_set():
        try:
            watcher.poll()
        except ConfigError:
            raise
        except RideinfraError as exc:
            if options.once:
                raise
            failures += 1
            delay = next_delay(options.interval, failures, rng)
            log.error(
                "poll failed (%d in a row), the last good files stay; next poll in %.1fs: %s",
                failures,
                delay,
                exc,
            )
        else:
            if failures:
                log.info("poll succeeded again after %d failed poll(s)", failures)
            failures = 0
            delay = next_delay(options.interval, 0, rng)
        polls = watcher.stats.polls
        if options.once or (options.max_polls is not None and polls >= options.max_polls):
            break
        stop.wait(delay)
    return watcher.stats


def _poll(
    view: StoreView, config: Config, fmt: OutputFormat, out: str | os.PathLike[str], *, first: bool
) -> list[str]:
    """One poll; the profiles whose files changed (none on an unchanged poll)."""
    from rideinfra.operations.fetch import render_files
    from rideinfra.render import write_files

    envs = view.refresh()
    if envs is None:
        return []
    report = write_files(out, render_files(envs, fmt), file_mode=config.output.file_mode)
    view.commit()  # only now: a change that did not render or write is read again next poll
    # The first pass fills the directory: only files that were there before count as a
    # change (a restarted watcher fixing stale files); later ones, every changed file.
    counted = [n for n in report.changed if not (first and n in report.added)]
    changed = [profile for profile in envs if f"{profile}{fmt.extension}" in counted]
    if changed:
        log.info("changed: %s (%s)", " ".join(changed), report.summary())
    elif report.changed:
        log.info("%s", report.summary())
    return changed


def _clear_ready(path: Path) -> None:
    """Remove a ready file left by an earlier watcher: readiness is this one's to say.

    Raises:
        ConfigError: the path cannot be a ready file (a directory, under a
            file, a name too long, no access); before any poll.
    """

    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"the ready file {path} cannot be removed at start: {exc.strerror}; "
            "give --ready-file a path a file can be created at (or '' for none)"
        ) from None


def _mark_ready(path: Path | None) -> None:
    """Create the ready file, and its directory if missing.

    Raises:
        ConfigError: it cannot be created; the first files are written.
    """

    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError as exc:
        raise ConfigError(
            f"the ready file {path} cannot be created: {exc.strerror} (the files themselves "
            "were written); give --ready-file a path a file can be created at (or '' for none)"
        ) from None
    os.close(fd)
    log.info("ready: %s", path)


def _notify(changed: Sequence[str], options: WatchOptions, stop: threading.Event) -> None:
    """The hook and the signal, once per change set; their failures are logged, not fatal."""
    names = " ".join(changed)
    if options.on_change is not None:
        env = {**options.environ, "RIDEINFRA_CHANGED": names}
        _run_hook(options.on_change, env, options.hook_timeout, stop, names)
    if options.signal is not None and options.pid_file is not None:
        _send_signal(options.signal, options.pid_file)


def _run_hook(
    command: str, env: Mapping[str, str], timeout: float, stop: threading.Event, names: str
) -> None:
    """`command` under /bin/sh in a process group of its own, for at most `timeout` seconds."""
    try:
        # Its own group, so stopping it reaches what the shell started, too.
        hook = subprocess.Popen(["/bin/sh", "-c", command], env=env, process_group=0)
    except OSError as exc:
        log.warning("--on-change could not start: %s", exc.strerror)
        return
    deadline = time.monotonic() + timeout
    while (code := hook.poll()) is None:
        if stop.is_set():
            log.warning("--on-change stopped: the watch is ending (changed: %s)", names)
            _stop_group(hook)
            return
        left = deadline - time.monotonic()
        if left <= 0:
            log.warning(
                "--on-change still running after %gs: stopped (changed: %s); "
                "raise --hook-timeout if it needs longer",
                timeout,
                names,
            )
            _stop_group(hook)
            return
        # Short waits, so a stop is seen within a tenth of a second.
        with contextlib.suppress(subprocess.TimeoutExpired):
            hook.wait(min(left, 0.1))
    if code != 0:
        log.warning("--on-change exited %d (changed: %s)", code, names)


def _stop_group(hook: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the hook's group; SIGKILL to it `HOOK_GRACE` seconds later if the shell is
    still there. The shell is reaped last, so its pid (the group's id) is not reused meanwhile."""
    try:
        os.killpg(hook.pid, signal.SIGTERM)
        hook.wait(HOOK_GRACE)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(hook.pid, signal.SIGKILL)
    hook.wait()


def _send_signal(signum: int, pid_file: Path) -> None:
    name = signal.Signals(signum).name
    try:
        pid = read_pid(pid_file.read_bytes())
        os.kill(pid, signum)
    except (OSError, ValueError) as exc:
        what = exc.strerror if isinstance(exc, OSError) else str(exc)
        log.warning("could not send %s to the pid in %s: %s", name, pid_file, what)
        return
    log.info("sent %s to pid %d (from %s)", name, pid, pid_file)


def read_pid(content: bytes) -> int:
    """The one process id a pid file names: ASCII digits, white space around them.

    Anything else is refused, not read leniently: `os.kill` takes 0 as our own
    process group and -1 as every process we may signal, and `int()` would
    also take "+5", "5_0" or non-ASCII digits.

    Raises:
        ValueError: the content is not one process id above 0.
    """
    text = content.strip()  # bytes: ASCII white space only; isdigit: ASCII digits only
    if not (text.isdigit() and len(text) <= 10) or int(text) == 0:
        raise ValueError("it does not hold one process id (digits, above 0)")
    return int(text)
