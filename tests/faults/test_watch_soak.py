"""Soak: `rideinfra watch` polling fast for 1,000+ polls while secrets rotate at random.

The default run soaks for 250 polls (about 35 changes); the 1,000-poll soak
is marked `long` (support/budget.py) and run by CI.

Every read of the output files (a reader thread, all the time) must be one
consistent set; hook runs must equal change sets (the watcher's `changed:`
log lines). The counts are printed for the closing note.
"""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from faults.kit import aws_environ, write_config
from support.budget import sizes
from support.killer import Torn, read_public
from support.moto import MotoEndpoint
from support.moto_rotation import rotation_fixed
from support.proxy import FaultProxy

pytestmark = pytest.mark.faults

PROFILES = {"core": ["soak/a", "soak/b"], "monitoring": ["soak/c"]}


@pytest.fixture(autouse=True)
def _rotation() -> Iterator[None]:
    with rotation_fixed():
        yield


def value(name: str, gen: int) -> str:
    key = name.split("/")[1].upper()
    return json.dumps({f"{key}_GEN": str(gen), f"{key}_PAYLOAD": f"{gen}." * 500})


def check(files: dict[str, bytes]) -> None:
    """Each file whole: every GEN matches its PAYLOAD."""
    for name, data in files.items():
        fields = dict(line.split("=", 1) for line in data.decode().splitlines())
        for key, gen in fields.items():
            if key.endswith("_GEN") and fields[key[:-4] + "_PAYLOAD"] != f"{gen}." * 500:
                raise Torn(f"{name}: {key} {gen} with another generation's payload")


@pytest.mark.parametrize("polls", sizes(250, 1000))
def test_soak(
    proxy: FaultProxy, sm: MotoEndpoint, aws_env: dict[str, str], tmp_path: Path, polls: int
) -> None:
    rng = random.Random(2026)
    client = sm.client()
    for names in PROFILES.values():
        for name in names:
            client.create_secret(Name=name, SecretString=value(name, 0))
    config = write_config(tmp_path / "rideinfra.yaml", PROFILES)
    out, hooks = tmp_path / "out", tmp_path / "hooks"
    env = aws_environ(aws_env, proxy.url)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rideinfra.cli",
            "watch",
            "--config",
            str(config),
            "--out",
            str(out),
            "--interval",
            "0.005",
            "--on-change",
            f'echo "$RIDEINFRA_CHANGED" >> {hooks}',
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    stop = threading.Event()
    reads, bad = [0], []

    def reader() -> None:
        while not stop.is_set():
            try:
                files = read_public(out)
                if files:
                    check(files)
                    reads[0] += 1
            except (Torn, ValueError, KeyError) as exc:
                bad.append(str(exc))
            except FileNotFoundError:
                pass
            time.sleep(0.002)  # moto and the proxy share this process's GIL

    thread = threading.Thread(target=reader, daemon=True)
    deadline = time.monotonic() + 30
    while not (out / ".ready").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    thread.start()
    rotations, in_progress = 0, 0
    gens = {n: 0 for names in PROFILES.values() for n in names}
    try:
        while proxy.count("ListSecrets") < polls and time.monotonic() < deadline + 300:
            name = rng.choice(sorted(gens))
            gens[name] += 1
            if rng.random() < 0.3:  # a rotation left in progress: AWSPENDING only
                client.put_secret_value(
                    SecretId=name, SecretString=value(name, -1), VersionStages=["AWSPENDING"]
                )
                in_progress += 1
                gens[name] -= 1
            else:
                client.put_secret_value(SecretId=name, SecretString=value(name, gens[name]))
                rotations += 1
            time.sleep(rng.uniform(0.02, 0.2))
        time.sleep(0.3)  # the last change reaches the files and its hook
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        stop.set()
        proc.kill()
    thread.join()
    polled = proxy.count("ListSecrets")
    change_sets = sum(1 for line in err.splitlines() if re.search(r"(?<!version )changed: ", line))
    hook_runs = len(hooks.read_text().splitlines()) if hooks.exists() else 0
    print(
        f"\nsoak: {polled} polls, {rotations} rotations, {in_progress} left in AWSPENDING, "
        f"{change_sets} change sets, {hook_runs} hook runs, {reads[0]} consistent reads, "
        f"{len(bad)} bad, {proxy.count('BatchGetSecretValue')} value requests"
    )
    assert proc.returncode == 0
    assert polled >= polls
    assert bad == []
    assert hook_runs == change_sets > 0
    assert change_sets <= rotations  # AWSPENDING-only versions never make one
    final = read_public(out)
    for profile, names in PROFILES.items():
        for name in names:
            key = name.split("/")[1].upper()
            assert f"{key}_GEN={gens[name]}\n".encode() in final[f"{profile}.env"]
    assert "-1." not in "".join(d.decode() for d in final.values())  # AWSPENDING never read
