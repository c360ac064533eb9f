"""Scale: 1,000 secrets of 100 fields each through fetch, in bounded memory; 200 via moto.

The big run is a real ``python -m rideinfra.fetch``-equivalent process
(``fetch.main`` in a fresh interpreter) reading a secrets file, so its peak
RSS (VmHWM) is the run's alone; a one-secret run in the same way is
the baseline. The bounds are in docs/reliability.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from faults.kit import aws_environ, public_files, run_fetch, write_config
from support.consumers import read_with
from support.moto import MotoEndpoint
from support.proxy import FaultProxy

pytestmark = pytest.mark.faults

SECRETS = 1000
FIELDS = 100
PROFILES = 10
#: Peak RSS the 100,000-variable run may add over a one-variable run, in MiB.
EXTRA_RSS_MIB = 96
#: And the time it may take on a 2-core CI machine, in seconds.
SECONDS = 30

# Peak RSS from VmHWM: ru_maxrss would carry over the pytest process's size
# from before the exec (Linux keeps the forked child's high-water mark).
MEASURED_FETCH = """
import re, sys, time
from rideinfra import fetch
started = time.perf_counter()
code = fetch.main(sys.argv[1:], {"PATH": ""})
seconds = time.perf_counter() - started
with open("/proc/self/status", encoding="ascii") as status:
    peak = re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)
print(code, peak, round(seconds, 2))
"""


def value(secret: int, field: int) -> str:
    # Distinct, and 32 characters like a typical token.
    return f"v{secret:04d}.{field:02d}-" + f"{secret * 7919 + field * 104729:023x}"


def build(tmp: Path, secrets: int, fields: int, profiles: int) -> tuple[Path, dict[str, bytes]]:
    """A secrets file, a config using it, and the exact files a run must write."""
    store = {
        f"scale/s{s:04d}": {f"S{s:04d}_F{f:02d}": value(s, f) for f in range(fields)}
        for s in range(secrets)
    }
    path = tmp / "secrets.json"
    path.write_text(json.dumps(store), encoding="utf-8")
    names = list(store)
    per = max(1, secrets // profiles)
    groups = {f"p{p:02d}": names[p * per : (p + 1) * per] for p in range(profiles)}
    config = write_config(
        tmp / "rideinfra.yaml", groups, source={"type": "file", "path": str(path)}
    )
    expected = {}
    for profile, members in groups.items():
        lines = sorted(f"{key}={text}\n" for name in members for key, text in store[name].items())
        expected[f"{profile}.env"] = "".join(lines).encode()
    return config, expected


def measured(config: Path, out: Path) -> tuple[int, int, float]:
    """Exit code, peak RSS (KiB) and seconds of fetch.main in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-c", MEASURED_FETCH, "--config", str(config), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    code, rss, seconds = proc.stdout.split()
    assert int(code) == 0, proc.stderr[-2000:]
    return int(code), int(rss), float(seconds)


class TestScale:
    def test_1000_secrets_of_100_fields(self, tmp_path: Path) -> None:
        """100,000 variables in 10 files: exact bytes, bounded extra memory and time."""
        (tmp_path / "small").mkdir()
        small_config, _ = build(tmp_path / "small", 1, 1, 1)
        _, small_rss, _ = measured(small_config, tmp_path / "small-out")
        big = tmp_path / "big"
        big.mkdir()
        config, expected = build(big, SECRETS, FIELDS, PROFILES)
        _, rss, seconds = measured(config, tmp_path / "out")
        extra_mib = (rss - small_rss) / 1024
        print(
            f"scale: {SECRETS} secrets x {FIELDS} fields in {seconds:.1f}s, peak RSS "
            f"{rss / 1024:.0f} MiB ({extra_mib:.0f} MiB over a one-variable run)"
        )
        assert public_files(tmp_path / "out") == expected
        assert sum(len(data.splitlines()) for data in expected.values()) == SECRETS * FIELDS
        assert extra_mib < EXTRA_RSS_MIB
        assert seconds < SECONDS
        # And a consumer reads a 10,000-variable file back exactly.
        first = read_with("dotenv", tmp_path / "out" / "p00.env")
        assert len(first) == SECRETS * FIELDS // PROFILES
        assert first["S0099_F99"] == value(99, 99)

    def test_200_secrets_through_moto_in_10_batches(
        self,
        sm: MotoEndpoint,
        proxy: FaultProxy,
        aws_env: dict[str, str],
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """200 secrets over HTTP: 10 BatchGetSecretValue requests of 20, every value exact."""
        store = {
            f"scale/s{s:03d}": {f"S{s:03d}_F{f}": value(s, f) for f in range(5)} for s in range(200)
        }
        client = sm.client()
        for name, fields in store.items():
            client.create_secret(Name=name, SecretString=json.dumps(fields))
        proxy.reset()
        names = list(store)
        config = write_config(tmp_path / "rideinfra.yaml", {"a": names[:100], "b": names[100:]})
        out = tmp_path / "out"
        argv = ["--config", str(config), "--out", str(out)]
        run = run_fetch(capsys, argv, aws_environ(aws_env, proxy.url))
        assert run.code == 0, run.err
        assert proxy.count("BatchGetSecretValue") == 10
        assert proxy.count() == 10
        got = {**read_with("dotenv", out / "a.env"), **read_with("dotenv", out / "b.env")}
        assert got == {key: text for fields in store.values() for key, text in fields.items()}
