"""`resolve` pauses the cyclic garbage collector while it builds, and leaves nothing for it."""

from __future__ import annotations

import gc
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rideinfra.errors import KeyCollision
from rideinfra.profiles import parse_config, resolve
from rideinfra.testing import MemorySource

# The module, not the function `rideinfra.profiles.resolve` that shadows its name.
resolve_module = importlib.import_module("rideinfra.profiles.resolve")
ROOT = Path(__file__).resolve().parents[2]

SECRETS = {f"app/s{i}": {f"S{i}_F{j}": f"v{i}{j}" for j in range(3)} for i in range(50)}
CONFIG = {
    "version": 1,
    "source": {"type": "aws-secretsmanager"},
    "secrets": {"app/s0": {"transforms": [{"prefix": "P_"}]}},
    "profiles": {"all": {"secrets": list(SECRETS)}, "some": {"secrets": ["app/s1", "app/s2"]}},
}


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_the_collector_is_off_while_building_and_on_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Off while each profile is built (no full pass over the heap), as it was for the fetch."""
    fetching: list[bool] = []
    building: list[bool] = []
    source = MemorySource(SECRETS)
    fetch_many = source.fetch_many

    def watched_fetch(names: object) -> object:
        fetching.append(gc.isenabled())
        return fetch_many(names)  # type: ignore[arg-type]

    build = resolve_module.resolve_profile

    def watched_build(*args: object) -> object:
        building.append(gc.isenabled())
        return build(*args)  # type: ignore[arg-type]

    source.fetch_many = watched_fetch  # type: ignore[method-assign]
    monkeypatch.setattr(resolve_module, "resolve_profile", watched_build)
    gc.enable()
    envs = resolve(parse_config(CONFIG), source)
    assert fetching == [True]
    assert building == [False, False]
    assert len(envs["all"]) == 150
    assert gc.isenabled()


def test_on_again_after_a_failure() -> None:
    """A collision raised mid-build still turns the collector back on."""
    gc.enable()
    clash = {"a/x": {"K": "1"}, "a/y": {"K": "2"}}
    config = {
        "version": 1,
        "source": {"type": "aws-secretsmanager"},
        "profiles": {"p": {"secrets": ["a/x", "a/y"]}},
    }
    with pytest.raises(KeyCollision):
        resolve(parse_config(config), MemorySource(clash))
    assert gc.isenabled()


def test_left_off_when_the_caller_had_it_off() -> None:
    gc.disable()
    resolve(parse_config(CONFIG), MemorySource(SECRETS))
    assert not gc.isenabled()


def test_the_build_leaves_no_reference_cycle() -> None:
    """What pausing relies on: nothing built is garbage only the collector could free.

    In a process of its own: `gc.collect()` counts every thread's garbage, and
    a pytest-xdist worker has threads of its own (execnet's) that made some.
    """
    probe = (
        "import gc, sys\n"
        "from tests.profiles.test_resolve_gc import CONFIG, SECRETS\n"
        "from rideinfra.profiles import parse_config, resolve\n"
        "from rideinfra.testing import MemorySource\n"
        "config, source = parse_config(CONFIG), MemorySource(SECRETS)\n"
        "resolve(config, source)  # first-call caches out of the way\n"
        "gc.collect()\n"
        "gc.disable()\n"
        "envs = resolve(config, source)\n"
        "del envs\n"
        "print(gc.collect())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "0\n"
