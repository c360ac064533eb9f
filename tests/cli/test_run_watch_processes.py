"""`rideinfra run` and `rideinfra watch` as real processes against moto: env, signals, statuses."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from faults.kit import aws_environ, write_config
from support.killer import read_public
from support.moto import MotoEndpoint
from support.moto_rotation import rotation_fixed
from support.waiting import wait_for

SENTINEL = "s3ntinel-run-value"
RIDEINFRA = [sys.executable, "-m", "rideinfra.cli"]

# A python child that records its environment and every signal it gets, then waits.
RECORDER = """\
import json, os, signal, sys, time
out = sys.argv[1]
def note(sig, _):
    with open(out + '.signals', 'a') as f:
        f.write(signal.Signals(sig).name + '\\n')
    if sig == signal.SIGTERM:
        sys.exit(int(os.environ.get('EXIT_ON_TERM', '0')))
for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGUSR1):
    signal.signal(s, note)
with open(out + '.env.tmp', 'w') as f:
    json.dump({'pid': os.getpid(), 'env': dict(os.environ)}, f)
os.replace(out + '.env.tmp', out + '.env.%d' % os.getpid())
while True:
    time.sleep(0.05)
"""


@pytest.fixture(autouse=True)
def _rotation() -> Iterator[None]:
    with rotation_fixed():
        yield


@pytest.fixture(name="env")
def _env(sm: MotoEndpoint, aws_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    sm.seed({"app/db": {"DB_PASSWORD": SENTINEL}, "app/api": {"API_KEY": "k1"}})
    write_config(tmp_path / "rideinfra.yaml", {"core": ["app/db", "app/api"]})
    return aws_environ(aws_env, sm.url, RIDEINFRA_CONFIG=str(tmp_path / "rideinfra.yaml"))


def started(record: Path) -> list[dict[str, Any]]:
    # `.env.<pid>` only: the recorder's `.env.tmp` is the file it is still writing.
    found = sorted(
        record.parent.glob(record.name + ".env.[0-9]*"), key=lambda p: p.stat().st_mtime_ns
    )
    return [json.loads(p.read_text()) for p in found]


class TestRun:
    def test_exec_keeps_the_pid_and_the_exit_status(self, env: dict[str, str]) -> None:
        """dash reports its own pid: the one rideinfra had; its exit status is ours."""
        proc = subprocess.Popen(
            [
                *RIDEINFRA,
                "run",
                "--profile",
                "core",
                "--",
                "dash",
                "-c",
                'echo "$$ $DB_PASSWORD $API_KEY"; exit 7',
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 7
        assert out == f"{proc.pid} {SENTINEL} k1\n"
        assert SENTINEL not in err

    def test_profile_wins_unless_keep_env(self, env: dict[str, str]) -> None:
        cmd = ["--", "dash", "-c", 'printf %s "$API_KEY"']
        base = {**env, "API_KEY": "from-env"}
        run = subprocess.run(
            [*RIDEINFRA, "run", *cmd], env=base, capture_output=True, text=True, check=False
        )
        kept = subprocess.run(
            [*RIDEINFRA, "run", "--keep-env", *cmd],
            env=base,
            capture_output=True,
            text=True,
            check=False,
        )
        assert (run.stdout, kept.stdout) == ("k1", "from-env")

    def test_fetch_failure_never_starts_the_command(
        self, env: dict[str, str], tmp_path: Path
    ) -> None:
        marker = tmp_path / "ran"
        write_config(tmp_path / "bad.yaml", {"core": ["app/missing"]})
        cmd = ["--", "dash", "-c", f"touch {marker}"]
        missing = subprocess.run(
            [*RIDEINFRA, "run", "--config", str(tmp_path / "bad.yaml"), *cmd],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        usage = subprocess.run(
            [*RIDEINFRA, "run", "--profile", "nope", *cmd],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert (missing.returncode, usage.returncode) == (1, 2)
        assert "app/missing" in missing.stderr
        assert not marker.exists()

    def test_command_not_found(self, env: dict[str, str]) -> None:
        done = subprocess.run(
            [*RIDEINFRA, "run", "--", "no-such-command-xyz"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 127
        assert "no-such-command-xyz" in done.stderr

    def test_watch_forwards_signals_and_returns_the_status(
        self, env: dict[str, str], tmp_path: Path
    ) -> None:
        record = tmp_path / "child"
        proc = subprocess.Popen(
            [
                *RIDEINFRA,
                "run",
                "--watch",
                "--interval",
                "0.2",
                "--",
                sys.executable,
                "-c",
                RECORDER,
                str(record),
            ],
            env={**env, "EXIT_ON_TERM": "3"},
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            (first,) = wait_for(lambda: started(record))
            assert first["env"]["DB_PASSWORD"] == SENTINEL
            assert first["pid"] != proc.pid
            proc.send_signal(signal.SIGHUP)
            wait_for(lambda: Path(f"{record}.signals").exists())
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=20)
        finally:
            proc.kill()
        assert proc.returncode == 3
        assert Path(f"{record}.signals").read_text() == "SIGHUP\nSIGTERM\n"
        assert SENTINEL not in err

    def test_watch_restarts_on_change(
        self, env: dict[str, str], tmp_path: Path, sm: MotoEndpoint
    ) -> None:
        record = tmp_path / "child"
        proc = subprocess.Popen(
            [
                *RIDEINFRA,
                "run",
                "--watch",
                "--interval",
                "0.1",
                "--grace-period",
                "5",
                "--",
                sys.executable,
                "-c",
                RECORDER,
                str(record),
            ],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for(lambda: started(record))
            sm.client().put_secret_value(SecretId="app/api", SecretString='{"API_KEY": "k2"}')
            first, second = wait_for(lambda: s if len(s := started(record)) == 2 else None)
            assert (first["env"]["API_KEY"], second["env"]["API_KEY"]) == ("k1", "k2")
            assert Path(f"{record}.signals").read_text() == "SIGTERM\n"  # the graceful stop
            time.sleep(0.5)
            assert len(started(record)) == 2  # no change: no restart
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=20)
        finally:
            proc.kill()
        assert proc.returncode == 0
        assert "API_KEY" in err
        assert "k2" not in err

    def test_watch_reload_signal(
        self, env: dict[str, str], tmp_path: Path, sm: MotoEndpoint
    ) -> None:
        record = tmp_path / "child"
        proc = subprocess.Popen(
            [
                *RIDEINFRA,
                "run",
                "--watch",
                "--interval",
                "0.1",
                "--reload-signal",
                "USR1",
                "--",
                sys.executable,
                "-c",
                RECORDER,
                str(record),
            ],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for(lambda: started(record))
            sm.client().put_secret_value(SecretId="app/db", SecretString='{"DB_PASSWORD": "p2"}')
            wait_for(lambda: Path(f"{record}.signals").exists())
            time.sleep(0.4)
            assert Path(f"{record}.signals").read_text() == "SIGUSR1\n"
            assert len(started(record)) == 1
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=20)
        finally:
            proc.kill()
        assert proc.returncode == 0

    def test_watch_child_killed_by_a_signal(self, env: dict[str, str]) -> None:
        done = subprocess.run(
            [*RIDEINFRA, "run", "--watch", "--", "dash", "-c", "kill -9 $$"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert done.returncode == 128 + 9


def start_watch(env: dict[str, str], out: Path, hook: str) -> subprocess.Popen[str]:
    """`rideinfra watch` polling every 50 ms with `hook` as --on-change; stderr piped."""
    return subprocess.Popen(
        [*RIDEINFRA, "watch", "--out", str(out), "--interval", "0.05", "--on-change", hook],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


class TestWatchProcess:
    def test_sigterm_exits_0_and_ready_marker(
        self, env: dict[str, str], tmp_path: Path, sm: MotoEndpoint
    ) -> None:
        out = tmp_path / "out"
        hooks = tmp_path / "hooks"
        proc = start_watch(env, out, f'echo "$RIDEINFRA_CHANGED" >> {hooks}')
        try:
            wait_for((out / ".ready").exists)
            assert SENTINEL.encode() in (out / "core.env").read_bytes()
            sm.client().put_secret_value(SecretId="app/api", SecretString='{"API_KEY": "k9"}')
            wait_for(hooks.exists)
            time.sleep(0.3)
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=20)
        finally:
            proc.kill()
        assert proc.returncode == 0
        assert hooks.read_text() == "core\n"
        assert b"API_KEY=k9" in (out / "core.env").read_bytes()
        assert SENTINEL not in err
        assert "k9" not in err

    def test_sigterm_during_a_hanging_hook_exits_0_promptly(
        self, env: dict[str, str], tmp_path: Path, sm: MotoEndpoint
    ) -> None:
        """A hook that would run for ten minutes does not hold the watcher past SIGTERM."""
        out = tmp_path / "out"
        started = tmp_path / "hook-started"
        proc = start_watch(env, out, f"touch {started}; sleep 600")
        try:
            wait_for((out / ".ready").exists)
            sm.client().put_secret_value(SecretId="app/api", SecretString='{"API_KEY": "k9"}')
            wait_for(started.exists)
            sent = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
            took = time.monotonic() - sent
        finally:
            proc.kill()
        assert proc.returncode == 0
        assert took < 10  # the hook's SIGTERM ends it: no grace, no ten minutes
        assert "--on-change stopped: the watch is ending (changed: core)" in err

    @pytest.mark.parametrize("value", ["0", "-1s", "soon", "25h"])
    def test_a_bad_hook_timeout_is_a_usage_error(
        self, env: dict[str, str], tmp_path: Path, value: str
    ) -> None:
        done = subprocess.run(
            [*RIDEINFRA, "watch", "--once", "--out", str(tmp_path), "--hook-timeout", value],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert done.returncode == 2
        assert "--hook-timeout" in done.stderr
        assert not (tmp_path / "core.env").exists()

    def test_once(self, env: dict[str, str], tmp_path: Path) -> None:
        out = tmp_path / "out"
        done = subprocess.run(
            [*RIDEINFRA, "watch", "--once", "--out", str(out)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert done.returncode == 0
        assert (out / ".ready").exists()
        assert (out / "core.env").exists()
        bad = subprocess.run(
            [*RIDEINFRA, "watch", "--once", "--out", str(out), "--profile", "nope"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert bad.returncode == 2

    def test_sigkill_during_writes_leaves_a_complete_set(
        self, env: dict[str, str], tmp_path: Path, sm: MotoEndpoint
    ) -> None:
        """Kill `watch` at random instants while every poll rewrites; each set read is whole."""
        import random

        rng = random.Random(17)
        names = [f"gen/p{i}" for i in range(6)]
        client = sm.client()
        gen = 0

        def value(g: int) -> str:
            return json.dumps({"GEN": str(g), "PAYLOAD": f"{g}-" * 4000})

        for name in names:
            client.create_secret(Name=name, SecretString=value(0))
        config = write_config(tmp_path / "gen.yaml", {f"p{i}": [n] for i, n in enumerate(names)})
        out = tmp_path / "out"
        for trial in range(6):
            proc = subprocess.Popen(
                [
                    *RIDEINFRA,
                    "watch",
                    "--config",
                    str(config),
                    "--out",
                    str(out),
                    "--interval",
                    "0.01",
                    "--log-level",
                    "error",
                ],
                env=env,
                stderr=subprocess.DEVNULL,
            )
            wait_for((out / ".ready").exists)
            for _ in range(rng.randint(1, 4)):
                gen += 1
                for name in names:
                    client.put_secret_value(SecretId=name, SecretString=value(gen))
            time.sleep(rng.uniform(0, 0.2))
            proc.kill()
            proc.wait()
            files = read_public(out)
            assert sorted(files) == sorted(f"p{i}.env" for i in range(6)), trial
            for data in files.values():
                lines = dict(line.split("=", 1) for line in data.decode().splitlines())
                assert lines["PAYLOAD"] == f"{lines['GEN']}-" * 4000  # whole, never torn
