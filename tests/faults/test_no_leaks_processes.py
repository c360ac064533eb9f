"""No value leaks from child processes: the entrypoints as containers run them, botocore at DEBUG.

`python -m rideinfra.seed` / `.fetch` with DEBUG JSON logs, and a process whose
root logger is at DEBUG calling the library and the entrypoints (botocore logs
requests and responses there). The values, the forms searched and the ledgers
are in `faults/leaks.py`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence

import pytest

from faults.kit import run_module, write_config
from faults.leaks import (
    Bench,
    Ledger,
    Planted,
    _bench,  # noqa: F401 - fixture
    _ledger,  # noqa: F401 - fixture
    _no_stale_log_handlers,  # noqa: F401 - fixture
    fields_of,
    leak_path,
    outputs,
)

pytestmark = pytest.mark.faults


class TestEntrypointProcesses:
    @leak_path("real processes")
    def test_real_processes(self, bench: Bench, ledger: Ledger, items: list[Planted]) -> None:
        """python -m rideinfra.fetch / .seed as containers run them, DEBUG JSON logs."""
        tmp = bench.fresh()
        spec = tmp / "seed.yaml"
        spec.write_text(
            json.dumps(
                {"version": 1, "secrets": {"p/a": fields_of(items[:20], "A_")}},
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        bench.sm.seed({"p/b": fields_of(items[20:], "B_")})
        config = write_config(tmp / "rideinfra.yaml", {"core": ["p/a", "p/b"]})
        env = bench.env()
        debug = ["--log-level", "DEBUG", "--log-format", "json"]
        runs = {
            "seed": run_module("rideinfra.seed", ["--spec", str(spec), *debug], env),
            "fetch json": run_module(
                "rideinfra.fetch",
                ["--config", str(config), "--out", str(tmp / "o"), "--format", "json", *debug],
                env,
            ),
            "fetch env": run_module(
                "rideinfra.fetch", ["--config", str(config), "--out", str(tmp / "e"), *debug], env
            ),
        }
        assert runs["seed"].code == 0, runs["seed"].err
        assert runs["fetch json"].code == 0, runs["fetch json"].err
        assert runs["fetch env"].code in (0, 1)
        assert all(run.out == "" for run in runs.values())
        ledger.scan(items, outputs(runs))


BOTO_DEBUG = r"""
import json, logging, sys
values = json.load(sys.stdin)
url, mode = sys.argv[1], sys.argv[2]
environ = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": "us-east-1",
           "PATH": "", "AWS_EC2_METADATA_DISABLED": "true"}
# What a service does when it debugs: everything at DEBUG, to stderr.
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr,
                    format="%(levelname)s %(name)s %(message)s")
half = len(values) // 2
if mode == "library":
    from rideinfra.secrets import SecretsManagerSource, SecretsManagerStore
    source = SecretsManagerSource(environ=environ)
    store = SecretsManagerStore(source)
    names = []
    for i in range(0, half, 10):
        names.append(f"lib/{i}")
        store.put(f"lib/{i}", {f"K{j}": v for j, v in enumerate(values[i:i + 10])})
    for i in range(0, half, 10):
        store.put(f"lib/{i}", {f"K{j}": v + "!" for j, v in enumerate(values[i:i + 10])})
    result = source.fetch_many(names)
    assert len(result) == len(names), result
    single = SecretsManagerSource(environ=environ, use_batch=False)
    assert len(single.fetch_many(names)) == len(names)
else:
    from rideinfra import fetch, seed
    spec, config, out = sys.argv[3:6]
    assert seed.main(["--spec", spec, "--log-level", "DEBUG"], environ) == 0
    assert fetch.main(["--config", config, "--out", out, "--format", "json",
                       "--log-level", "DEBUG"], environ) == 0
print("done", file=sys.stderr)
"""


class TestBotocoreDebug:
    @staticmethod
    def run(mode: str, url: str, values: Sequence[str], *args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-c", BOTO_DEBUG, url, mode, *args],
            input=json.dumps(values),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            # PYTHONPATH passed on: the child imports the tree under test (a worktree's src).
            env={
                "PATH": os.environ.get("PATH", ""),
                "HOME": tempfile.gettempdir(),
                **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"},
            },
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert proc.stderr.rstrip().endswith("done")
        return proc.stderr

    @leak_path("botocore debug (library)")
    def test_root_logger_at_debug_calling_the_library(
        self, bench: Bench, ledger: Ledger, items: list[Planted]
    ) -> None:
        """A service with logging at DEBUG: botocore logs requests and responses, no body."""
        bench.fresh()
        err = self.run("library", bench.sm.url, [item.value for item in items])
        # Not vacuous: botocore did log each request and response at DEBUG.
        assert (
            "DEBUG botocore.endpoint Making request for OperationModel(name=PutSecretValue)" in err
        )
        assert "DEBUG botocore.parsers Response body:" in err
        assert "not logged by rideinfra: it may hold secret values" in err
        assert "BatchGetSecretValue" in err
        ledger.scan(items, {"stderr": err})

    @leak_path("botocore debug (entrypoints)")
    def test_root_logger_at_debug_calling_the_entrypoints(
        self, bench: Bench, ledger: Ledger, items: list[Planted]
    ) -> None:
        """seed.main and fetch.main in a process whose root logger is at DEBUG."""
        tmp = bench.fresh()
        spec = tmp / "seed.yaml"
        secrets = {f"ep/{i}": fields_of(items[i : i + 10], f"K{i}_") for i in range(0, 100, 10)}
        spec.write_text(json.dumps({"version": 1, "secrets": secrets}), encoding="utf-8")
        config = write_config(tmp / "rideinfra.yaml", {"core": list(secrets)})
        err = self.run(
            "entrypoints",
            bench.sm.url,
            [item.value for item in items],
            str(spec),
            str(config),
            str(tmp / "out"),
        )
        assert "resolved 1 profile(s), 100 variable(s)" in err
        ledger.scan(items, {"stderr": err})
