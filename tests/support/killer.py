"""Crash and race harness for the atomic writer (rideinfra.render.write).

Used by tests/render/test_write_crash.py and test_write_race.py, and runnable
as a script so that writers are real, separately killable processes:

    python killer.py zygote DIR            fork a writer of gens N, N+1, ... per line N read
    python killer.py crashpoints SCENARIO  kill a writer at every file-system call
    python killer.py race DIR LABEL COUNT NAME...

Every file's content names itself and its "key" and carries a payload derived
from both, so a reader can tell a complete file from a torn one, and which run
wrote it. Readers here always open the public names (``DIR/core.env``), never
``..data`` or a version directory.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rideinfra.render.write import DATA_LINK, write_files

NAMES = ("core.env", "data-pipeline.env", "monitoring.env", "spark-testing.env")
_MAX_PAYLOAD = 48 * 1024


class Torn(Exception):
    """A file's bytes are not exactly what some run wrote."""


# --- contents -------------------------------------------------------------------


def content(name: str, key: str | int) -> bytes:
    """The exact bytes a run writes for ``name`` at ``key``; size varies with the key."""
    rng = random.Random(f"{name}:{key}")
    payload = rng.randbytes(rng.randrange(0, _MAX_PAYLOAD))
    return f"{name} {key}\n".encode() + payload + f"\nend {name} {key}\n".encode()


def parse(name: str, data: bytes) -> str:
    """Return the key of a complete file, or raise Torn."""
    head, sep, _ = data.partition(b"\n")
    parts = head.decode("utf-8", "replace").split(" ")
    if not sep or len(parts) != 2 or parts[0] != name:
        raise Torn(f"{name}: bad header ({len(data)} bytes)")
    if content(name, parts[1]) != data:
        raise Torn(f"{name}: {len(data)} bytes are not the whole content of key {parts[1]}")
    return parts[1]


# --- the generations of the random kill test --------------------------------------


def plan(gen: int) -> dict[str, str]:
    """Which files generation ``gen`` writes (name -> key).

    Every 4th run writes core.env only (as ``--profile core``: the others must
    be kept); spark-testing.env is added by gen 2 and rewritten rarely;
    data-pipeline.env changes every 3rd run, so it is often carried unchanged.
    """
    files = {"core.env": str(gen)}
    if gen % 4:
        files["monitoring.env"] = str(gen)
        files["data-pipeline.env"] = str(gen // 3)
    if gen % 4 == 2:
        files["spark-testing.env"] = str(gen // 5)
    return files


def legacy_state() -> dict[str, str]:
    """What the old platform script left: plain files, key "legacy"."""
    return {"core.env": "legacy", "monitoring.env": "legacy"}


class History:
    """The visible state after each complete generation, from a legacy start."""

    def __init__(self) -> None:
        self._states = [legacy_state()]
        self._lock = threading.Lock()

    def state(self, gen: int) -> dict[str, str]:
        with self._lock:
            while len(self._states) <= gen:
                nxt = dict(self._states[-1])
                nxt.update(plan(len(self._states)))
                self._states.append(nxt)
            return self._states[gen]

    def generation_of(self, seen: Mapping[str, str], lowest: int, highest: int) -> int | None:
        """The generation in [lowest, highest] whose state is exactly ``seen``."""
        for gen in range(lowest, highest + 1):
            if self.state(gen) == seen:
                return gen
        return None


def make_legacy(directory: Path) -> None:
    """Plain 0644 files as the platform's old script wrote them."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, key in legacy_state().items():
        (directory / name).write_bytes(content(name, key))
        (directory / name).chmod(0o644)


# --- readers -----------------------------------------------------------------------


def read_public(directory: Path) -> dict[str, bytes]:
    """Read every public file by its public name; a dangling link reads as absent."""
    found = {}
    for name in sorted(os.listdir(directory)):
        if name.startswith("."):
            continue
        try:
            found[name] = (directory / name).read_bytes()
        except FileNotFoundError:
            continue
    return found


def keys_of(files: Mapping[str, bytes]) -> dict[str, str]:
    """name -> key of each file; raises Torn for any incomplete file."""
    return {name: parse(name, data) for name, data in files.items()}


def leftovers(directory: Path) -> list[str]:
    """Entries a finished run would not leave: temp links, extra versions, dangling links."""
    current = os.readlink(directory / DATA_LINK) if os.path.lexists(directory / DATA_LINK) else None
    in_current = set(os.listdir(directory / current)) if current else set()
    found, versions = [], []
    for entry in sorted(os.listdir(directory)):
        if entry.startswith("..tmp."):
            found.append(entry)
        elif entry.startswith("..") and entry != DATA_LINK:
            versions.append(entry)
        elif (
            not entry.startswith(".")
            and os.path.islink(directory / entry)
            and os.readlink(directory / entry).split("/")[-1] not in in_current
        ):
            found.append(entry)
    # Version names sort by time. One version older than the current one is the
    # previous, kept on purpose (keep_previous); a newer one is a killed run's.
    older = [v for v in versions if current is None or v < current]
    found += older[:-1] + [v for v in versions if current is not None and v > current]
    return found


@dataclass
class ReaderStats:
    """What a concurrent reader saw."""

    reads: int = 0
    same_version_reads: int = 0
    torn: list[str] = field(default_factory=list)
    mixed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def concurrent_reader(
    directory: Path,
    stop: threading.Event,
    judge: Callable[[dict[str, str]], bool],
    guard: threading.Lock | None = None,
) -> ReaderStats:
    """Read all public files in a loop until ``stop``; check each file and each set.

    A set is judged only when ``..data`` named the same version before and
    after the reads (names are never reused, so then no swap happened between
    them); ``judge`` says whether that set is one complete run's. The reader
    holds ``guard`` while it reads, so the test can rebuild the directory.
    """
    stats = ReaderStats()
    guard = guard or threading.Lock()
    while not stop.is_set():
        with guard:
            _read_once(directory, judge, stats)
        time.sleep(0.0002)  # a Lock is not fair: let a waiting rebuild take it
    return stats


def _read_once(
    directory: Path, judge: Callable[[dict[str, str]], bool], stats: ReaderStats
) -> None:
    try:
        before = os.readlink(directory / DATA_LINK)
        files = read_public(directory)
        after = os.readlink(directory / DATA_LINK)
    except FileNotFoundError:
        return  # before the first commit
    except OSError as exc:
        stats.errors.append(repr(exc))
        return
    stats.reads += 1
    try:
        seen = keys_of(files)
    except Torn as exc:
        stats.torn.append(str(exc))
        return
    if before == after:
        stats.same_version_reads += 1
        if not judge(seen):
            stats.mixed.append(repr(seen))


# --- the random SIGKILL trials -------------------------------------------------------


@dataclass
class KillStats:
    """Outcome of run_kill_trials; every list must be empty."""

    trials: int = 0
    generations: int = 0
    torn: list[str] = field(default_factory=list)
    mixed: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    left_over: list[str] = field(default_factory=list)
    trials_with_debris: int = 0
    reader: ReaderStats = field(default_factory=ReaderStats)

    @property
    def bad(self) -> int:
        return (
            len(self.torn)
            + len(self.mixed)
            + len(self.lost)
            + len(self.reader.torn)
            + len(self.reader.mixed)
        )

    def line(self) -> str:
        return (
            f"{self.trials} SIGKILL trials, {self.generations} generations committed, "
            f"{self.trials_with_debris} kills left debris (cleaned next run), "
            f"{self.reader.reads} concurrent reads ({self.reader.same_version_reads} judged): "
            f"{self.bad} partial or mixed"
        )


class Zygote:
    """A process with everything imported that forks one writer per trial on request.

    Forking from this single-threaded process costs a millisecond, where a
    fresh interpreter costs a tenth of a second; each writer is still a real,
    separate process that the test SIGKILLs by pid.
    """

    def __init__(self, directory: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "zygote", str(directory)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._early: list[str] = []

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the zygote process died")
        return line.strip()

    def start(self, gen: int) -> int:
        """Fork a writer of generations ``gen``, ``gen + 1``, ...; return its pid."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{gen}\n")
        self.proc.stdin.flush()
        self._early = []
        while True:
            line = self._line()
            kind, _, pid = line.partition(" ")
            if kind == "pid":
                return int(pid)
            self._early.append(line)  # the writer finished a run before the pid came

    def reap(self) -> tuple[list[int], int]:
        """Wait for the writer to die; return the generations it finished, and its signal."""
        done = []
        while True:
            line = self._early.pop(0) if self._early else self._line()
            kind, _, value = line.partition(" ")
            if kind not in ("done", "dead") or not value.lstrip("-").isdigit():
                raise RuntimeError(f"unexpected line from the writer: {line!r}")
            if kind == "dead":
                return done, int(value)
            done.append(int(value))

    def close(self) -> None:
        self.proc.kill()
        self.proc.communicate()


def _zygote(directory: str) -> None:
    for line in sys.stdin:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the writer runs until it is killed
            try:
                _loop(directory, int(line))
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(1)
        # Whole lines in one write(2) each, as the writer's own lines interleave.
        os.write(sys.stdout.fileno(), f"pid {pid}\n".encode())
        _, status = os.waitpid(pid, 0)
        signum = os.WTERMSIG(status) if os.WIFSIGNALED(status) else -1
        os.write(sys.stdout.fileno(), f"dead {signum}\n".encode())


def run_kill_trials(
    directory: Path, trials: int, *, seed: int = 0, max_delay: float = 0.08, restart_every: int = 10
) -> KillStats:
    """SIGKILL a looping writer at random instants; after each kill check what is visible.

    Each trial starts a writer process that writes generation g+1, g+2, ...
    (printing each one it finished), sleeps a random time, kills it with
    SIGKILL, and reads the public files: each must be whole, and together they
    must be exactly the state after one generation, no earlier than the last
    one the writer reported done. A reader thread checks the same while the
    writer runs. Every ``restart_every`` trials the directory starts again
    from the old script's plain files, so adopting them is killed too.
    """
    rng = random.Random(seed)
    stats = KillStats()
    history = History()
    stop = threading.Event()
    gen = 0
    holder: dict[str, ReaderStats] = {}
    guard = threading.Lock()

    def judge(seen: dict[str, str]) -> bool:
        return history.generation_of(seen, max(gen - 2, 0), gen + 200) is not None

    reader = threading.Thread(
        target=lambda: holder.setdefault("stats", concurrent_reader(directory, stop, judge, guard)),
        daemon=True,
    )
    make_legacy(directory)
    zygote = Zygote(directory)
    reader.start()
    try:
        for trial in range(trials):
            if trial and trial % restart_every == 0:
                with guard:
                    _reset_to_legacy(directory)
                    gen = 0
            stats.trials += 1
            pid = zygote.start(gen + 1)
            time.sleep(rng.uniform(0, max_delay))
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            done, signum = zygote.reap()
            if signum != signal.SIGKILL:
                stats.failed.append(f"trial {trial}: the writer failed on its own (see stderr)")
                break
            last_done = max(done, default=gen)
            stats.generations += len(done)
            try:
                seen = keys_of(read_public(directory))
            except Torn as exc:
                stats.torn.append(f"trial {trial}: {exc}")
                break
            found = history.generation_of(seen, gen, last_done + 1)
            if found is None:
                stats.mixed.append(f"trial {trial}: {seen} after gen {last_done}")
                break
            if found < last_done:
                stats.lost.append(f"trial {trial}: gen {last_done} reported done, {found} visible")
            if leftovers(directory):
                stats.trials_with_debris += 1
            gen = found
        write_files(directory, {n: content(n, k) for n, k in history.state(gen).items()})
        stats.left_over = leftovers(directory)
    finally:
        stop.set()
        reader.join()
        zygote.close()
    stats.reader = holder.get("stats", ReaderStats())
    return stats


def _reset_to_legacy(directory: Path) -> None:
    for entry in os.listdir(directory):
        path = directory / entry
        if path.is_dir() and not path.is_symlink():
            for inner in os.listdir(path):
                (path / inner).unlink()
            path.rmdir()
        else:
            path.unlink()
    make_legacy(directory)


def _loop(directory: str, start: int) -> None:
    gen = start
    while True:
        write_files(directory, {n: content(n, k) for n, k in plan(gen).items()})
        # One write(2) per line: a kill can then never cut a line in half
        # (print() may issue one write per piece, e.g. under PYTHONUNBUFFERED).
        os.write(sys.stdout.fileno(), f"done {gen}\n".encode())
        gen += 1


# --- deterministic crash points ------------------------------------------------------

#: The calls the writer changes the file system with; a crash point is "just before
#: the k-th of them" (a write is cut half way).
PATCHED = (
    "fchmod",
    "fsync",
    "link",
    "mkdir",
    "rename",
    "rmdir",
    "symlink",
    "unlink",
    "utime",
    "write",
)


@dataclass(frozen=True)
class Scenario:
    """A directory state before the run, and the run's files."""

    name: str
    setup: Callable[[Path], None]
    files: dict[str, bytes]


def _managed(*runs: dict[str, str]) -> Callable[[Path], None]:
    def setup(directory: Path) -> None:
        for run in runs:
            write_files(directory, {n: content(n, k) for n, k in run.items()})

    return setup


def _with_debris(directory: Path) -> None:
    _managed({"core.env": "0", "data-pipeline.env": "0"}, {"core.env": "1"})(directory)
    os.symlink("..2020_01_01_00_00_00.000000000_deadbeef", directory / "..tmp.0123456789abcdef")
    orphan = directory / "..2020_01_01_00_00_00.000000000_deadbeef"
    orphan.mkdir(mode=0o700)
    (orphan / "core.env").write_bytes(b"torn")
    os.symlink("..data/gone.env", directory / "gone.env")


def _files(**keys: str) -> dict[str, bytes]:
    return {
        n.replace("_", "-") + ".env": content(n.replace("_", "-") + ".env", k)
        for n, k in keys.items()
    }


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("fresh", lambda d: None, _files(core="1", monitoring="1")),
        Scenario("legacy", make_legacy, _files(core="1", monitoring="legacy")),
        Scenario(
            "update",
            _managed({"core.env": "0", "data-pipeline.env": "0", "monitoring.env": "0"}),
            _files(core="1", monitoring="0", spark_testing="1"),
        ),
        Scenario("debris", _with_debris, _files(core="2", monitoring="2")),
    )
}


class _Tripwire:
    def __init__(self, kill_at: int | None) -> None:
        self.calls = 0
        self.kill_at = kill_at
        self.real = {name: getattr(os, name) for name in PATCHED}

    def install(self) -> None:
        for name, real in self.real.items():
            setattr(os, name, self._wrap(name, real))

    def uninstall(self) -> None:
        for name, real in self.real.items():
            setattr(os, name, real)

    def _wrap(self, name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if self.calls == self.kill_at:
                if name == "write" and len(args[1]) > 1:
                    real(args[0], args[1][: len(args[1]) // 2])
                os.kill(os.getpid(), signal.SIGKILL)
            self.calls += 1
            return real(*args, **kwargs)

        return call


def _b64(files: Mapping[str, bytes]) -> dict[str, str]:
    return {n: base64.b64encode(c).decode() for n, c in files.items()}


def _inodes(directory: Path) -> dict[str, list[int]]:
    return {
        n: [st.st_ino, st.st_mtime_ns]
        for n in os.listdir(directory)
        if not n.startswith(".") and os.path.exists(directory / n)
        for st in [os.stat(directory / n)]
    }


def crash_points(scenario: Scenario, root: Path) -> Iterator[dict[str, Any]]:
    """Kill a forked writer before each of its file-system calls in turn; report each.

    Yields, per crash point: how the writer ended, the public files after the
    crash, after a clean rerun, the debris the rerun left, and inode/mtime of
    every public file before, after the crash and after the rerun.
    """
    scratch = root / "count"
    scenario.setup(scratch)
    counter = _Tripwire(None)
    counter.install()
    try:
        write_files(scratch, scenario.files)
    finally:
        counter.uninstall()
    for point in range(counter.calls + 1):
        directory = root / f"p{point}"
        scenario.setup(directory)
        before = read_public(directory) if directory.exists() else {}
        inodes_before = _inodes(directory) if directory.exists() else {}
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child dies here
            try:
                _Tripwire(point).install()
                write_files(directory, scenario.files)
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        after_crash = read_public(directory) if directory.exists() else {}
        inodes_crash = _inodes(directory) if directory.exists() else {}
        try:
            write_files(directory, scenario.files)
            rerun_error = None
        except Exception as exc:  # reported, and failed on, by the test
            rerun_error = repr(exc)
        yield {
            "point": point,
            "calls": counter.calls,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "before": _b64(before),
            "after_crash": _b64(after_crash),
            "rerun_error": rerun_error,
            "after_rerun": _b64(read_public(directory)),
            "leftovers": leftovers(directory),
            "inodes_before": inodes_before,
            "inodes_crash": inodes_crash,
            "inodes_rerun": _inodes(directory),
        }


def run_crash_points(scenario: str, root: Path) -> list[dict[str, Any]]:
    """Run crash_points in a fresh single-threaded process (fork is safe there)."""
    done = subprocess.run(
        [sys.executable, __file__, "crashpoints", scenario, str(root)],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise RuntimeError(f"crash points of {scenario} failed:\n{done.stderr}")
    return [json.loads(line) for line in done.stdout.splitlines()]


# --- two writers racing -------------------------------------------------------------


def race_content(name: str, label: str, index: int) -> bytes:
    return content(name, f"{label}.{index}")


def start_racer(
    directory: Path, label: str, count: int, names: tuple[str, ...]
) -> subprocess.Popen[str]:
    """A writer process that waits for a line on stdin, then writes ``count`` runs."""
    return subprocess.Popen(
        [sys.executable, __file__, "race", str(directory), label, str(count), *names],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _race(directory: str, label: str, count: int, names: list[str]) -> None:
    print("ready", flush=True)
    sys.stdin.readline()
    for index in range(count):
        write_files(directory, {n: race_content(n, label, index) for n in names})
    print("done", flush=True)


def main(argv: list[str]) -> None:
    command = argv[0]
    if command == "zygote":
        _zygote(argv[1])
    elif command == "crashpoints":
        for result in crash_points(SCENARIOS[argv[1]], Path(argv[2])):
            print(json.dumps(result), flush=True)
    elif command == "race":
        _race(argv[1], argv[2], int(argv[3]), argv[4:])
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
