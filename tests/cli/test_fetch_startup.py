"""What `python -m rideinfra.fetch` loads on a plain fetch: counted, not timed (issue 19).

A real fetch of the rideshare example (aws-secretsmanager source, `env`
output) from moto, in a child process that reports, when it exits, the
modules it imported, every rideinfra class with generated methods, every
regex a rideinfra module compiled at import and every `compile()` rideinfra
code called. The milliseconds are in
bench/ and docs/benchmarks.md; this keeps a change from quietly loading
back what a fetch does not use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rideinfra import seed
from support.moto import MotoEndpoint

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "examples" / "rideshare" / "rideinfra.yaml"

#: The child: report at exit (after the fetch and its own exit path), then run the module.
CHILD = """
import atexit, builtins, json, os, re, runpy, sys

REPORT = sys.argv.pop(1)
COMPILED = []
_compile = builtins.compile

def compile(*args, **kwargs):
    # Who asked: the first caller outside typing (a string annotation or bound
    # evaluated at runtime becomes a ForwardRef, which compiles it).
    frame = sys._getframe(1)
    while frame is not None and os.path.basename(frame.f_code.co_filename) == "typing.py":
        frame = frame.f_back
    name = frame.f_globals.get("__name__", "") if frame is not None else ""
    if name.split(".")[0] == "rideinfra":
        COMPILED.append(f"{name}:{frame.f_lineno}")
    return _compile(*args, **kwargs)

builtins.compile = compile

def report():
    ours = {n: m for n, m in sorted(sys.modules.items()) if n.split(".")[0] == "rideinfra"}
    generated = [
        f"{n}.{name}"
        for n, m in ours.items()
        for name, value in vars(m).items()
        if isinstance(value, type) and value.__module__ == n
        and (hasattr(value, "__attrs_attrs__") or hasattr(value, "__dataclass_fields__")
             or (issubclass(value, tuple) and hasattr(value, "_fields")))
    ]
    patterns = [
        f"{n}.{name}" for n, m in ours.items()
        for name, value in vars(m).items() if isinstance(value, re.Pattern)
    ]
    with open(REPORT, "w") as out:
        json.dump({"modules": sorted(sys.modules), "generated": generated,
                   "patterns": patterns, "compiled": COMPILED}, out)

atexit.register(report)
sys.argv[0] = "rideinfra.fetch"
runpy.run_module("rideinfra.fetch", run_name="__main__")
"""

#: Modules a plain fetch has no use for: other sources, formats, transforms,
#: operations, the seed file's reader, and the third-party packages behind them.
NOT_LOADED = (
    "attr",
    "attrs",
    "rideinfra.operations.demo",
    "rideinfra.operations.drift",
    "rideinfra.operations.manifests",
    "rideinfra.operations.run",
    "rideinfra.operations.seed",
    "rideinfra.operations.watch",
    "rideinfra.profiles.seedfile",
    "rideinfra.render.compose",
    "rideinfra.render.dotenv",
    "rideinfra.render.eso",
    "rideinfra.render.iam",
    "rideinfra.render.jsonfmt",
    "rideinfra.render.kubernetes",
    "rideinfra.render.raw",
    "rideinfra.secrets._seedstore",
    "rideinfra.secrets.cached",
    "rideinfra.secrets.compose",
    "rideinfra.secrets.env",
    "rideinfra.secrets.envfile",
    "rideinfra.secrets.files",
    "rideinfra.secrets.ssm",
    "rideinfra.secrets.transforms._nested",
    "rideinfra.secrets.vault",
    "boto3",
    "hvac",
    "pydantic",
)

#: The regexes a fetch compiles when it imports rideinfra: each one is used by
#: every fetch (names, profile names, templates, the env renderer, the writer,
#: the region). Any other belongs in a `rideinfra._lazy.LazyPattern`.
EAGER_PATTERNS = {
    "rideinfra.profiles.config.PROFILE_NAME",
    "rideinfra.render.base.NAME_PATTERN",
    "rideinfra.render.envfile._DOTENV_REF",
    "rideinfra.render.shell._BARE",
    "rideinfra.render.write._VERSION_RE",
    "rideinfra.secrets._awsclient._REGION",
    "rideinfra.secrets.transforms._core._ENV_NAME",
    "rideinfra.secrets.transforms._template._PLACEHOLDER",
}


@pytest.fixture(scope="module", name="loaded")
def _loaded(
    moto_endpoint: MotoEndpoint, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """One real fetch of the rideshare example; what its process loaded."""
    moto_endpoint.reset()
    tmp = tmp_path_factory.mktemp("startup")
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": moto_endpoint.url,
        "PATH": os.environ.get("PATH", ""),
        # The tree under test (a worktree's src) rather than the installed package.
        **({"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}),
    }
    assert seed.main(["--config", str(CONFIG)], env) == 0
    report = tmp / "report.json"
    argv = [sys.executable, "-c", CHILD, str(report), "--config", str(CONFIG)]
    done = subprocess.run(
        [*argv, "--out", str(tmp / "out")], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(p.name for p in (tmp / "out").glob("*.env")) == [
        "core.env",
        "data-pipeline.env",
        "monitoring.env",
        "spark-testing.env",
    ]
    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return data


def test_no_module_a_plain_fetch_does_not_use(loaded: dict[str, Any]) -> None:
    """No other source, format, transform or operation, nor attrs, boto3 or pydantic."""
    modules = set(loaded["modules"])
    assert "rideinfra.secrets.aws" in modules  # the check below sees the real fetch path
    assert "rideinfra.render.envfile" in modules
    assert sorted(modules & set(NOT_LOADED)) == []


def test_no_class_with_generated_methods(loaded: dict[str, Any]) -> None:
    """No attrs, dataclass or namedtuple class: each compiles its methods at import."""
    assert loaded["generated"] == []


def test_only_the_regexes_every_fetch_uses_are_compiled_at_import(loaded: dict[str, Any]) -> None:
    """A module-level pattern a fetch may not need is a `LazyPattern` (compiled on first use)."""
    assert sorted(set(loaded["patterns"]) - EAGER_PATTERNS) == []


def test_rideinfra_calls_no_compile(loaded: dict[str, Any]) -> None:
    """No `compile()` from rideinfra: a string evaluated at runtime (a TypeVar's bound, a
    NamedTuple's annotations) is compiled by typing, and the first compile() in a process
    sets up the ast module's types, about 2 ms."""
    assert loaded["compiled"] == []
