"""The benchmark's fixture: a moto server process behind the latency proxy.

moto runs as its own ``moto_server`` process so its request handling does not
share the GIL with the client under test; the proxy (bench/latency.py, over
tests/support/proxy.py) runs in a third process, adds a fixed delay per request
(a round trip to a remote Secrets Manager) and counts requests by action.
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import shlex
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "bench"
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(HERE))

from latency import ProxyProcess  # noqa: E402

CONFIG = ROOT / "examples" / "rideshare" / "rideinfra.yaml"
#: The whole-process command the comparisons run; the output directory is appended.
FETCH_COMMAND = [sys.executable, "-m", "rideinfra.fetch", "--config", str(CONFIG), "--out"]

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def synthetic_names(n: int) -> list[str]:
    """The names of the first `n` synthetic secrets (up to 10,000)."""
    return [f"bench/synthetic-{i:04d}" for i in range(n)]


def synthetic(n: int) -> dict[str, dict[str, str]]:
    """`n` secrets of 5 fields each, values of 24 random characters (the same every run)."""
    rng = random.Random(8)
    alphabet = string.ascii_letters + string.digits
    return {
        name: {f"FIELD_{j}": "".join(rng.choice(alphabet) for _ in range(24)) for j in range(5)}
        for name in synthetic_names(n)
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Store:
    """A running moto_server with the proxy in front; ``url`` is the proxy's."""

    def __init__(self, moto_url: str, proxy: ProxyProcess, moto_pid: int) -> None:
        self.moto_url = moto_url
        self.proxy = proxy
        self.moto_pid = moto_pid

    def moto_cpu(self) -> float:
        """CPU seconds (user + system) the moto server has used so far, from /proc."""
        fields = Path(f"/proc/{self.moto_pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
        return ticks / os.sysconf("SC_CLK_TCK")

    @property
    def url(self) -> str:
        return self.proxy.url

    def environ(self) -> dict[str, str]:
        """What a client needs to reach the store through the proxy."""
        return {**AWS_ENV, "AWS_ENDPOINT_URL": self.url}

    def client(self) -> Any:
        """A boto3 client straight to moto (no delay), for seeding."""
        import boto3

        return boto3.client(
            "secretsmanager",
            endpoint_url=self.moto_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's placeholder credentials
        )

    def seed(self, secrets: Mapping[str, Mapping[str, str]]) -> None:
        """Create the secrets, one at a time: moto's state is not safe for concurrent
        writes (8 at a time, some CreateSecret calls failed with a 500). About 6 ms of
        moto CPU and 12 ms in all a secret: 5,000 take a minute or more."""
        client = self.client()
        for name, fields in secrets.items():
            client.create_secret(Name=name, SecretString=json.dumps(dict(fields)))


@contextmanager
def store(*, indexed: bool = False) -> Iterator[Store]:
    """moto_server behind the latency proxy; `indexed`: with its secret store indexed
    (bench/moto_indexed.py), so moto's CPU per request does not grow with the secrets."""
    port = _free_port()
    env = {**os.environ, **AWS_ENV}
    server = [str(HERE / "moto_indexed.py")] if indexed else ["-m", "moto.server"]
    process = subprocess.Popen(
        [sys.executable, *server, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):  # noqa: S310
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        proxy = ProxyProcess(url)
        try:
            yield Store(url, proxy, process.pid)
        finally:
            proxy.stop()
    finally:
        process.terminate()
        process.wait(10)


def run_process(argv: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user+sys) and peak RSS (MiB) of one fresh process.

    A new temporary output directory is appended to `argv`.
    """
    time_bin = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    with tempfile.TemporaryDirectory() as out:
        full = [*argv, out]
        if time_bin:
            full = [time_bin, "-v", *full]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(full, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise RuntimeError(f"{shlex.join(argv)} failed:\n{done.stderr[-2000:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        rss = int(found.group(1)) / 1024 if found else after.ru_maxrss / 1024
        return wall, cpu, rss


class ImportLine(NamedTuple):
    module: str
    self_us: int  # microseconds in the module's own body, its imports excluded
    depth: int  # nesting: 0 for a module imported by the program itself


def self_times(importtime_stderr: str) -> list[ImportLine]:
    """The `-X importtime` lines, in the order printed (a module after those it imported)."""
    rows = []
    for line in importtime_stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[0].strip().isdigit():
            name = parts[2].rstrip()
            depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
            rows.append(ImportLine(name.strip(), int(parts[0]), depth))
    return rows
