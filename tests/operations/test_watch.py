"""`watch` against a moto server through the counting proxy: what a poll costs, what it writes."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faults.kit import write_config
from rideinfra.errors import SourceError
from rideinfra.operations.watch import (
    StoreView,
    Watcher,
    WatchOptions,
    _send_signal,
    next_delay,
    read_pid,
    watch,
)
from rideinfra.profiles import load_config
from rideinfra.secrets import SecretsManagerSource
from support.moto import MotoEndpoint
from support.moto_rotation import rotation_fixed
from support.proxy import Fault, FaultProxy
from support.waiting import wait_for

SENTINEL = "s3ntinel-watch-value"

Poll = Callable[[], list[str]]


def rotate(client: Any, name: str, fields: dict[str, str]) -> str:
    """The rotation protocol by hand: AWSPENDING first, then move AWSCURRENT onto it."""
    current = client.describe_secret(SecretId=name)["VersionIdsToStages"]
    old = next(v for v, stages in current.items() if "AWSCURRENT" in stages)
    new = client.put_secret_value(
        SecretId=name, SecretString=json.dumps(fields), VersionStages=["AWSPENDING"]
    )["VersionId"]
    return move_current(client, name, old, new)


def move_current(client: Any, name: str, old: str, new: str) -> str:
    client.update_secret_version_stage(
        SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=new, RemoveFromVersionId=old
    )
    return str(new)


@pytest.fixture(autouse=True)
def _rotation() -> Any:
    with rotation_fixed():
        yield


@pytest.fixture(name="setup")
def _setup(tmp_path: Path, proxy: FaultProxy, sm: MotoEndpoint, aws_env: dict[str, str]) -> Any:
    sm.seed(
        {
            "app/db": {"DB_PASSWORD": "one"},
            "app/api": {"API_KEY": "k1"},
            "app/metrics": {"METRICS_TOKEN": "m1"},
        }
    )
    config = load_config(
        write_config(
            tmp_path / "rideinfra.yaml",
            {"core": ["app/db", "app/api"], "monitoring": ["app/metrics"]},
        )
    )
    source = SecretsManagerSource(endpoint_url=proxy.url, environ=aws_env)
    return config, source, tmp_path / "out"


def refreshed(view: StoreView) -> Any:
    """A refresh the caller has used: committed, as `watch` does after writing."""
    envs = view.refresh()
    view.commit()
    return envs


def whole_lines(path: Path) -> str | None:
    """The file's text once it ends a line (a writer creates the file before it writes)."""
    text = path.read_text() if path.exists() else ""
    return text if text.endswith("\n") else None


def poller(config: Any, source: Any, out: Path, **options: Any) -> tuple[Poll, list[str]]:
    """One poll of one `Watcher` per call of the result, in this process; hook runs recorded."""
    hooks: list[str] = []
    log = out.parent / "hooks.log"
    settings = WatchOptions(
        interval=0.01,
        on_change=f'echo "$RIDEINFRA_CHANGED" >> {log}',
        ready_file=out / ".ready",
        **options,
    )
    watcher = Watcher(config, source, out, settings)

    def poll() -> list[str]:
        watcher.poll()
        hooks[:] = log.read_text().splitlines() if log.exists() else []
        return hooks

    return poll, hooks


class TestPollCost:
    def test_unchanged_poll_reads_no_value(self, setup: Any, proxy: FaultProxy) -> None:
        """After the first pass, a poll is one ListSecrets and nothing else."""
        config, source, _out = setup
        view = StoreView(config, source)
        assert refreshed(view) is not None
        proxy.reset()
        for _ in range(3):
            assert refreshed(view) is None
        assert proxy.actions == ["ListSecrets"] * 3

    def test_a_change_reads_only_that_secret(
        self, setup: Any, proxy: FaultProxy, sm: MotoEndpoint
    ) -> None:
        config, source, _out = setup
        view = StoreView(config, source)
        refreshed(view)
        sm.client().put_secret_value(SecretId="app/api", SecretString='{"API_KEY": "k2"}')
        proxy.reset()
        envs = refreshed(view)
        assert envs is not None
        assert envs["core"]["API_KEY"].reveal() == "k2"
        assert proxy.actions == ["ListSecrets", "BatchGetSecretValue"]

    def test_100_unchanged_secrets_cost_at_most_two_requests(
        self, tmp_path: Path, proxy: FaultProxy, sm: MotoEndpoint, aws_env: dict[str, str]
    ) -> None:
        names = [f"fleet/s{i:03d}" for i in range(100)]
        sm.seed({name: {f"K{i}": str(i)} for i, name in enumerate(names)})
        sm.seed({f"other/x{i}": {"X": "1"} for i in range(30)})  # not ours: filtered out
        config = load_config(write_config(tmp_path / "c.yaml", {"fleet": names}))
        view = StoreView(config, SecretsManagerSource(endpoint_url=proxy.url, environ=aws_env))
        refreshed(view)
        proxy.reset()
        assert refreshed(view) is None
        assert proxy.count() <= 2
        assert set(proxy.actions) == {"ListSecrets"}


class TestWatch:
    def test_change_sets_and_hook(self, setup: Any, sm: MotoEndpoint) -> None:
        """First pass: files and the ready marker, no hook; each change: one hook run."""
        config, source, out = setup
        poll, _hooks = poller(config, source, out)
        assert poll() == []
        assert (out / ".ready").exists()
        assert (out / "core.env").read_bytes() == b"API_KEY=k1\nDB_PASSWORD=one\n"
        mtime = (out / "monitoring.env").stat().st_mtime_ns
        assert poll() == []  # unchanged: no hook
        client = sm.client()
        client.put_secret_value(SecretId="app/db", SecretString='{"DB_PASSWORD": "two"}')
        assert poll() == ["core"]
        assert (out / "core.env").read_bytes() == b"API_KEY=k1\nDB_PASSWORD=two\n"
        assert (out / "monitoring.env").stat().st_mtime_ns == mtime  # not rewritten
        assert poll() == ["core"]
        rotate(client, "app/db", {"DB_PASSWORD": "three"})
        rotate(client, "app/metrics", {"METRICS_TOKEN": "m2"})
        assert poll() == ["core", "core monitoring"]  # two secrets moved: one change set

    def test_rotation_in_progress_changes_nothing(
        self, setup: Any, sm: MotoEndpoint, proxy: FaultProxy
    ) -> None:
        config, source, out = setup
        poll, _hooks = poller(config, source, out)
        poll()
        client = sm.client()
        old = client.describe_secret(SecretId="app/db")["VersionIdsToStages"]
        (current,) = [v for v, s in old.items() if "AWSCURRENT" in s]
        pending = client.put_secret_value(
            SecretId="app/db", SecretString='{"DB_PASSWORD": "next"}', VersionStages=["AWSPENDING"]
        )["VersionId"]
        proxy.reset()
        for _ in range(3):
            assert poll() == []
        assert set(proxy.actions) == {"ListSecrets"}  # AWSPENDING is not read
        assert b"one" in (out / "core.env").read_bytes()
        move_current(client, "app/db", current, pending)
        assert poll() == ["core"]
        assert poll() == ["core"]  # exactly one change
        assert b"next" in (out / "core.env").read_bytes()

    def test_store_down_then_back(
        self, setup: Any, sm: MotoEndpoint, proxy: FaultProxy, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Failed polls: one line each, the last good files stay; then recovery."""
        config, source, out = setup
        source = SecretsManagerSource(
            endpoint_url=proxy.url, environ=source._client._environ, max_attempts=1
        )
        poll, _hooks = poller(config, source, out)
        poll()
        before = (out / "core.env").read_bytes()
        sm.client().put_secret_value(SecretId="app/db", SecretString='{"DB_PASSWORD": "late"}')
        proxy.reset()
        proxy.on({n: Fault.http(503) for n in range(1, 4)})
        caplog.set_level(logging.INFO)
        caplog.clear()
        stats = watch(
            config, source, out, WatchOptions(interval=0.01, max_polls=5), stop=threading.Event()
        )
        assert (stats.polls, stats.failures, stats.changes) == (5, 3, 1)
        failed = [r for r in caplog.records if "poll failed" in r.getMessage()]
        assert [r.getMessage().split(" (")[1][:12] for r in failed] == [
            "1 in a row),",
            "2 in a row),",
            "3 in a row),",
        ]
        assert any("succeeded again after 3" in r.getMessage() for r in caplog.records)
        assert (out / "core.env").read_bytes() != before
        assert b"late" in (out / "core.env").read_bytes()

    def test_a_change_that_does_not_render_keeps_the_old_files(
        self, setup: Any, sm: MotoEndpoint, caplog: pytest.LogCaptureFixture
    ) -> None:
        config, source, out = setup
        poll, hooks = poller(config, source, out)
        poll()
        snapshot = {p.name: p.read_bytes() for p in out.glob("*.env")}
        # app/api now also gives DB_PASSWORD, with another value: a collision in core.
        sm.client().put_secret_value(
            SecretId="app/api", SecretString=json.dumps({"API_KEY": "k", "DB_PASSWORD": SENTINEL})
        )
        caplog.set_level(logging.INFO)
        stats = watch(
            config, source, out, WatchOptions(interval=0.01, max_polls=2), stop=threading.Event()
        )
        assert (stats.failures, stats.changes) == (2, 0)
        assert {p.name: p.read_bytes() for p in out.glob("*.env")} == snapshot
        messages = " ".join(r.getMessage() for r in caplog.records)
        assert "DB_PASSWORD" in messages
        assert "core" in messages
        assert SENTINEL not in messages
        assert hooks == []

    def test_a_change_that_reads_but_does_not_write_is_tried_at_every_poll(
        self, setup: Any, sm: MotoEndpoint, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The value is read, then refused by the renderer: no poll may take it as seen.

        Found by a hostile review: the view took the new version as current
        before the files were written, so the poll after the failed one found
        nothing new, said "succeeded again", and the old password stayed for good.
        """
        config, source, out = setup
        poll, _hooks = poller(config, source, out)
        poll()
        snapshot = {p.name: p.read_bytes() for p in out.glob("*.env")}
        lone = "new\ud800"  # no UTF-8 for it: every file format refuses it
        sm.client().put_secret_value(
            SecretId="app/db", SecretString=json.dumps({"DB_PASSWORD": lone})
        )
        caplog.set_level(logging.INFO)
        stats = watch(
            config, source, out, WatchOptions(interval=0.01, max_polls=3), stop=threading.Event()
        )
        assert (stats.polls, stats.failures, stats.changes) == (3, 3, 0)
        assert {p.name: p.read_bytes() for p in out.glob("*.env")} == snapshot
        assert not any("succeeded again" in r.getMessage() for r in caplog.records)
        assert all(
            "DB_PASSWORD" in r.getMessage()
            for r in caplog.records
            if "poll failed" in r.getMessage()
        )
        sm.client().put_secret_value(SecretId="app/db", SecretString='{"DB_PASSWORD": "fixed"}')
        assert poll() == ["core"]
        assert b"fixed" in (out / "core.env").read_bytes()

    def test_no_ready_file_until_a_first_pass_is_written(
        self, setup: Any, sm: MotoEndpoint, tmp_path: Path
    ) -> None:
        config, source, out = setup
        sm.client().put_secret_value(
            SecretId="app/db", SecretString=json.dumps({"DB_PASSWORD": "x\udc80"})
        )
        ready = tmp_path / "ready"
        options = WatchOptions(interval=0.01, max_polls=3, ready_file=ready)
        stats = watch(config, source, out, options, stop=threading.Event())
        assert stats.failures == 3
        assert not ready.exists()
        assert not list(out.glob("*.env")) if out.exists() else True

    def test_signal_to_pid_file(self, setup: Any, sm: MotoEndpoint, tmp_path: Path) -> None:
        import signal
        import subprocess
        import sys

        config, source, out = setup
        record = tmp_path / "signals"
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import signal,sys,time\n"
                f"note = lambda *a: open({str(record)!r}, 'a').write('HUP\\n')\n"
                "signal.signal(signal.SIGHUP, note)\n"
                "print('up', flush=True)\n"
                "time.sleep(30)\n",
            ],
            stdout=subprocess.PIPE,
        )
        try:
            assert child.stdout is not None
            assert child.stdout.readline() == b"up\n"
            pid_file = tmp_path / "app.pid"
            pid_file.write_text(f"{child.pid}\n")
            poll, _hooks = poller(config, source, out, signal=signal.SIGHUP, pid_file=pid_file)
            poll()
            poll()
            sm.client().put_secret_value(SecretId="app/db", SecretString='{"DB_PASSWORD": "x"}')
            poll()
            # The child's handler creates the file before it writes the line: wait
            # for the line, not for the file (an empty read was a flake under load).
            assert wait_for(lambda: whole_lines(record), 5, every=0.01) == "HUP\n"
        finally:
            child.kill()
            child.wait()


def test_versions_per_secret(
    setup: Any, sm: MotoEndpoint, proxy: FaultProxy, tmp_path: Path
) -> None:
    """`version_stage: AWSPREVIOUS` reads the old value; the other secrets still batch."""
    _config, source, _out = setup
    rotate(sm.client(), "app/db", {"DB_PASSWORD": "rotated"})
    path = write_config(
        tmp_path / "pinned.yaml",
        {"core": ["app/db", "app/api"]},
        secrets={"app/db": {"version_stage": "AWSPREVIOUS"}},
    )
    from rideinfra.operations import build_source

    pinned = load_config(path)
    src = build_source(pinned.source, {**source._client._environ, "AWS_ENDPOINT_URL": proxy.url})
    proxy.reset()
    view = StoreView(pinned, src)
    envs = refreshed(view)
    assert envs is not None
    assert envs["core"]["DB_PASSWORD"].reveal() == "one"
    assert sorted(proxy.actions) == ["BatchGetSecretValue", "GetSecretValue", "ListSecrets"]
    proxy.reset()
    assert refreshed(view) is None
    rotate(sm.client(), "app/db", {"DB_PASSWORD": "again"})  # AWSPREVIOUS moves to "rotated"
    envs = refreshed(view)
    assert envs is not None
    assert envs["core"]["DB_PASSWORD"].reveal() == "rotated"


def test_deleted_secret_is_a_failed_poll(setup: Any, sm: MotoEndpoint) -> None:
    config, source, _out = setup
    view = StoreView(config, source)
    refreshed(view)
    sm.client().delete_secret(SecretId="app/api", ForceDeleteWithoutRecovery=True)
    with pytest.raises(SourceError, match="app/api"):
        refreshed(view)


def test_jitter_and_backoff() -> None:
    rng = random.Random(1)
    waits = [next_delay(10, 0, rng) for _ in range(200)]
    assert 9 <= min(waits) < 9.5
    assert 10.5 < max(waits) <= 11
    assert [
        round(next_delay(1, n, random.Random(0)) / next_delay(1, 0, random.Random(0)))
        for n in range(5)
    ] == [1, 2, 4, 8, 8]


# --- the hook's time limit --------------------------------------------------------------


def running(pid: int) -> bool:
    """The process exists and is not a zombie (an orphan killed here may wait for its reaper)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def gone(pid: int) -> bool:
    """The process ends within 10 s (a signal is delivered asynchronously)."""
    return wait_for(lambda: not running(pid), 10)


def hook_child_pid(path: Path) -> int:
    """The pid the hook wrote (its background child), once the whole line is there."""
    return int(wait_for(lambda: whole_lines(path)))


class TestHookLimit:
    # A hook that starts a child and waits on it: stopping the shell alone would leave it.
    HANGS = "sleep 120 & echo $! > {pids}; wait"

    def change(self, sm: MotoEndpoint) -> None:
        sm.client().put_secret_value(SecretId="app/db", SecretString='{"DB_PASSWORD": "two"}')

    def test_a_hook_past_its_time_is_stopped_with_what_it_started(
        self, setup: Any, sm: MotoEndpoint, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The hook's whole group gets SIGTERM at the limit; the change is logged, the watch
        goes on (the next change runs the hook again)."""
        config, source, out = setup
        pids = tmp_path / "pids"
        options = WatchOptions(on_change=self.HANGS.format(pids=pids), hook_timeout=0.5)
        watcher = Watcher(config, source, out, options)
        watcher.poll()
        self.change(sm)
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="rideinfra.watch"):
            assert watcher.poll() == ["core"]
        assert 0.5 <= time.monotonic() - started < 10
        child = hook_child_pid(pids)
        assert gone(child)
        assert "--on-change still running after 0.5s: stopped (changed: core)" in caplog.text
        assert b"DB_PASSWORD=two" in (out / "core.env").read_bytes()
        pids.unlink()
        sm.client().put_secret_value(SecretId="app/db", SecretString='{"DB_PASSWORD": "3"}')
        assert watcher.poll() == ["core"]
        assert gone(hook_child_pid(pids))

    def test_a_hook_that_ignores_sigterm_is_killed(
        self,
        setup: Any,
        sm: MotoEndpoint,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        config, source, out = setup
        monkeypatch.setattr("rideinfra.operations.watch.HOOK_GRACE", 0.3)
        pids = tmp_path / "pids"
        hook = "trap '' TERM; " + self.HANGS.format(pids=pids)
        watcher = Watcher(config, source, out, WatchOptions(on_change=hook, hook_timeout=0.3))
        watcher.poll()
        self.change(sm)
        started = time.monotonic()
        watcher.poll()
        assert 0.6 <= time.monotonic() - started < 10  # the limit, then the grace
        assert gone(hook_child_pid(pids))

    def test_stopping_the_watch_stops_a_running_hook(
        self, setup: Any, sm: MotoEndpoint, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """What SIGTERM does to `rideinfra watch`: the hook is stopped, the watch returns."""
        config, source, out = setup
        pids = tmp_path / "pids"
        options = WatchOptions(interval=0.05, on_change=self.HANGS.format(pids=pids))
        stop = threading.Event()
        done: list[Any] = []

        def run() -> None:
            done.append(watch(config, source, out, options, stop=stop))

        thread = threading.Thread(target=run)
        with caplog.at_level(logging.WARNING, logger="rideinfra.watch"):
            thread.start()
            try:
                wait_for((out / "core.env").exists)
                self.change(sm)
                child = hook_child_pid(pids)  # the hook runs (for 5 minutes, by default)
                stop.set()
                thread.join(10)
            finally:
                stop.set()
                thread.join(30)
        assert not thread.is_alive()
        assert [stats.changes for stats in done] == [1]
        assert gone(child)
        assert "--on-change stopped: the watch is ending (changed: core)" in caplog.text

    def test_a_failing_hook_is_logged_with_its_status(
        self, setup: Any, sm: MotoEndpoint, caplog: pytest.LogCaptureFixture
    ) -> None:
        config, source, out = setup
        watcher = Watcher(config, source, out, WatchOptions(on_change="exit 3"))
        watcher.poll()
        self.change(sm)
        with caplog.at_level(logging.WARNING, logger="rideinfra.watch"):
            assert watcher.poll() == ["core"]
        assert "--on-change exited 3 (changed: core)" in caplog.text


class TestPidFile:
    """What `--pid-file` may name: one process, never a group or every process."""

    @pytest.mark.parametrize("content", [b"42", b"42\n", b" 42 \r\n", b"1\n"])
    def test_one_process_id(self, content: bytes) -> None:
        assert read_pid(content) == int(content.strip())

    @pytest.mark.parametrize(
        "content",
        [
            b"-1\n",
            b"0\n",
            b"00",
            b"+5",
            b"5_0",
            b"\xd9\xa5",
            b"",
            b"\n",
            b"4 2",
            b"42\n43\n",
            b"1" * 11,
            b"0x10",
            "\u0665".encode(),  # ARABIC-INDIC DIGIT FIVE: int() would take it
        ],
    )
    def test_anything_else_is_refused(self, content: bytes) -> None:
        with pytest.raises(ValueError, match="one process id"):
            read_pid(content)

    @given(st.binary(max_size=12))
    def test_never_zero_or_negative(self, content: bytes) -> None:
        try:
            pid = read_pid(content)
        except ValueError:
            return
        assert pid > 0
        assert (
            content.strip() == str(pid).encode()
            or content.strip().lstrip(b"0") == str(pid).encode()
        )

    def test_a_pid_file_of_minus_one_signals_nothing(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        import signal

        pid_file = tmp_path / "app.pid"
        pid_file.write_text("-1\n")
        caplog.set_level(logging.WARNING)
        received: list[int] = []
        previous = signal.signal(signal.SIGUSR1, lambda signum, _frame: received.append(signum))
        try:
            _send_signal(signal.SIGUSR1, pid_file)
        finally:
            signal.signal(signal.SIGUSR1, previous)
        assert received == []
        (record,) = caplog.records
        assert "could not send SIGUSR1" in record.getMessage()
        assert str(pid_file) in record.getMessage()
