"""Real PostgreSQL and Redis servers on 127.0.0.1 for tests, started from Debian's packages.

Each server listens on 127.0.0.1 only, on a free port, with its files in a
fresh temporary directory, and is stopped when the context ends. A server
that cannot start skips the test with the reason, except under CI
(`CI=true`), where a missing server is a failure: CI installs them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def unavailable(reason: str) -> None:
    """Skip with `reason`; fail instead under CI, which must run these tests."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run this test, but {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclasses.dataclass(frozen=True)
class Postgres:
    """A running server: superuser over the unix socket (trust), others over TCP (scram)."""

    port: int
    socket_dir: Path
    psql: str

    def admin(self) -> object:
        import psycopg

        return psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user="postgres",
            dbname="postgres",
            autocommit=True,
        )


def _pg_bin() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


@contextlib.contextmanager
def postgres() -> Iterator[Postgres]:
    """PostgreSQL (Debian `postgresql`), initdb'd and run as the `postgres` user."""
    bindir = _pg_bin()
    if bindir is None or shutil.which("psql") is None:
        unavailable("PostgreSQL is not installed (apt-get install postgresql)")
    assert bindir is not None
    try:
        import pwd

        pw = pwd.getpwnam("postgres")
    except KeyError:
        unavailable("there is no `postgres` user to run the server as")
    if os.geteuid() not in (0, pw.pw_uid):
        unavailable("the server must run as `postgres`, and these tests are neither root nor it")
    # Not under pytest's tmp (0700 root): the postgres user must reach its own directory.
    root = Path(tempfile.mkdtemp(prefix="rideinfra-pg-"))
    os.chown(root, pw.pw_uid, pw.pw_gid)
    data, sockets = root / "data", root / "run"
    as_postgres = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
    port = free_port()
    started = False
    try:
        subprocess.run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
            cwd=root,
            **as_postgres,  # type: ignore[arg-type]
        )
        subprocess.run(["mkdir", str(sockets)], check=True, **as_postgres)  # type: ignore[arg-type]
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sockets} "
            "-c password_encryption=scram-sha-256 -c fsync=off"
        )
        proc = subprocess.run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(root / "log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            check=False,
            capture_output=True,
            cwd=root,
            **as_postgres,  # type: ignore[arg-type]
        )
        if proc.returncode != 0:
            log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
            unavailable(f"PostgreSQL did not start: {proc.stderr.decode()[-500:]} {log[-500:]}")
        started = True
        yield Postgres(port, sockets, shutil.which("psql") or "psql")
    except subprocess.CalledProcessError as exc:
        unavailable(f"initdb failed: {exc.stderr.decode(errors='replace')[-500:]}")
    finally:
        if started:
            subprocess.run(
                [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                check=False,
                capture_output=True,
                cwd=root,
                **as_postgres,  # type: ignore[arg-type]
            )
        shutil.rmtree(root, ignore_errors=True)


@dataclasses.dataclass(frozen=True)
class Redis:
    port: int


@contextlib.contextmanager
def redis_server() -> Iterator[Redis]:
    """Redis (Debian `redis-server`): no persistence, 127.0.0.1 only."""
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if binary is None:
        unavailable("redis-server is not installed (apt-get install redis-server)")
    assert binary is not None
    import redis

    root = Path(tempfile.mkdtemp(prefix="rideinfra-redis-"))
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(root),
            "--protected-mode",
            "yes",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis(host="127.0.0.1", port=port).ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    unavailable("redis-server did not start")
                time.sleep(0.05)
        yield Redis(port)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
