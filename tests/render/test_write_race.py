"""Concurrency: writers of the same directory in separate processes, and the lock's bounds."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from rideinfra.errors import WriteError
from rideinfra.render.write import LOCK_NAME, write_files
from support.killer import (
    concurrent_reader,
    keys_of,
    leftovers,
    race_content,
    read_public,
    start_racer,
)

RUNS = 40
NAMES = ("core.env", "data-pipeline.env", "monitoring.env")


def race(directory: Path, plans: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Start one writer process per label at the same moment; wait for all of them."""
    racers = {label: start_racer(directory, label, RUNS, names) for label, names in plans.items()}
    for proc in racers.values():
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n"
    for proc in racers.values():
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    errors = {}
    for label, proc in racers.items():
        out, err = proc.communicate(timeout=120)
        if proc.returncode or out != "done\n":
            errors[label] = err
    assert errors == {}
    return keys_of(read_public(directory))


class TestTwoWriters:
    def test_same_files_end_as_one_complete_set(self, tmp_path: Path) -> None:
        """Two processes writing all files at once end with one writer's last set, whole."""
        out = tmp_path / "out"
        stop = threading.Event()

        def one_run(seen: dict[str, str]) -> bool:
            return len(set(seen.values())) == 1 and set(seen) == set(NAMES)

        holder = {}
        reader = threading.Thread(
            target=lambda: holder.setdefault("s", concurrent_reader(out, stop, one_run))
        )
        reader.start()
        try:
            final = race(out, {"a": NAMES, "b": NAMES})
        finally:
            stop.set()
            reader.join()
        assert sorted(final) == sorted(NAMES)
        assert set(final.values()) in ({f"a.{RUNS - 1}"}, {f"b.{RUNS - 1}"})
        stats = holder["s"]
        assert (stats.torn, stats.mixed, stats.errors) == ([], [], [])
        assert stats.same_version_reads > 0
        assert leftovers(out) == []

    def test_different_profiles_are_both_kept(self, tmp_path: Path) -> None:
        """Writers of different files (--profile a / --profile b) lose neither's update."""
        out = tmp_path / "out"
        final = race(out, {"a": ("core.env",), "b": ("monitoring.env",), "c": ("spark.env",)})
        assert final == {
            "core.env": f"a.{RUNS - 1}",
            "monitoring.env": f"b.{RUNS - 1}",
            "spark.env": f"c.{RUNS - 1}",
        }
        assert (out / "core.env").read_bytes() == race_content("core.env", "a", RUNS - 1)


HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(600)
"""


class TestLockBounds:
    @pytest.fixture(name="held")
    def _held(self, tmp_path: Path) -> subprocess.Popen[str]:
        """Another process holding the directory's lock (as a stuck writer would)."""
        out = tmp_path / "out"
        write_files(out, {"core.env": b"A=1\n"})
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(out / LOCK_NAME)], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None
        assert proc.stdout.readline() == "locked\n"
        yield proc
        proc.kill()
        proc.wait()

    def test_wait_is_bounded_then_write_error(
        self, tmp_path: Path, held: subprocess.Popen[str]
    ) -> None:
        """A held lock makes the writer give up after lock_timeout with a WriteError."""
        out = tmp_path / "out"
        started = time.monotonic()
        with pytest.raises(WriteError) as info:
            write_files(out, {"core.env": b"A=2\n"}, lock_timeout=0.3)
        assert 0.3 <= time.monotonic() - started < 3
        assert f"holds {out / LOCK_NAME}" in str(info.value)
        assert "wait for it to finish" in str(info.value)
        assert (out / "core.env").read_bytes() == b"A=1\n"

    def test_lock_of_a_killed_writer_is_released(
        self, tmp_path: Path, held: subprocess.Popen[str]
    ) -> None:
        """When the holder dies (even by SIGKILL) the kernel frees the lock: no stale lock."""
        held.kill()
        held.wait()
        write_files(tmp_path / "out", {"core.env": b"A=2\n"}, lock_timeout=2)
        assert (tmp_path / "out" / "core.env").read_bytes() == b"A=2\n"

    def test_a_waiting_writer_proceeds_when_the_lock_is_freed(
        self, tmp_path: Path, held: subprocess.Popen[str]
    ) -> None:
        """A writer that waits gets the lock as soon as the holder ends, within its bound."""
        timer = threading.Timer(0.3, held.kill)
        timer.start()
        try:
            report = write_files(tmp_path / "out", {"core.env": b"A=3\n"}, lock_timeout=10)
        finally:
            timer.cancel()
        assert report.changed == ("core.env",)
        assert not os.path.exists(tmp_path / "out" / "..tmp")
