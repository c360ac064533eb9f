"""No value leaks from the entrypoints run in this process: fetch, explain, seed, file sources.

fetch in every mode and format, with logs at DEBUG; each way fetch fails with
values in the store; seed; file and directory sources broken around values.
The values, the forms searched and the ledgers are in `faults/leaks.py`; the
other paths are in test_no_leaks_processes.py and test_no_leaks_library.py.
The last test here holds the paths together to the acceptance figure: at
least 1,000 distinct values, none found.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from faults.kit import Run, write_config
from faults.leaks import (
    DISTINCT,
    PATHS,
    Bench,
    Ledger,
    Planted,
    _bench,  # noqa: F401 - fixture
    _ledger,  # noqa: F401 - fixture
    _no_stale_log_handlers,  # noqa: F401 - fixture
    fields_of,
    floor,
    leak_path,
    outputs,
)
from rideinfra import cli, seed
from support.proxy import Fault

pytestmark = pytest.mark.faults

BOTH_LOG_FORMATS = (("--log-format", "json"), ("--log-format", "text"))


class TestEntrypoints:
    @leak_path("fetch/explain")
    def test_fetch_explain_dry_run_check(
        self, bench: Bench, ledger: Ledger, items: list[Planted]
    ) -> None:
        """fetch in every mode and format, explain: 24 values each, logs at DEBUG, none shown."""
        tmp = bench.fresh()
        bench.sm.seed(
            {
                "leak/a": fields_of(items[:8], "A_"),
                "leak/b": fields_of(items[8:16], "B_"),
                "leak/c": fields_of(items[16:], "C_"),
            }
        )
        config = write_config(
            tmp / "rideinfra.yaml", {"core": ["leak/a", "leak/b"], "monitoring": ["leak/c"]}
        )
        out = tmp / "out"
        runs: dict[str, Run] = {}
        for fmt in ("json", "env", "shell", "k8s-secret"):
            for flag, kind in BOTH_LOG_FORMATS:
                runs[f"fetch {fmt} {kind}"] = bench.fetch(config, out, "--format", fmt, flag, kind)
        assert runs["fetch json json"].code == 0
        assert all(run.code in (0, 1) for run in runs.values())
        runs["dry-run"] = bench.fetch(config, tmp / "dry", "--format", "json", "--dry-run")
        bench.sm.client().put_secret_value(
            SecretId="leak/c", SecretString=json.dumps(fields_of(items[16:][::-1], "C_"))
        )
        runs["check"] = bench.fetch(config, out, "--format", "json", "--check")
        assert runs["check"].code == 1
        # One retry: botocore's backoff sleeps up to 2**n s a retry, and the
        # retry budget is test_fetch_faults.py's; here it is the logs around one.
        bench.proxy.on({1: Fault.throttle()})
        runs["retried"] = bench.fetch(
            config, out, "--format", "json", "--log-format", "json", via_proxy=True
        )
        assert runs["retried"].code == 0
        assert "after 1 retry" in runs["retried"].err
        runs["explain"] = bench.main(cli.main, ["explain", "--config", str(config)])
        runs["explain json"] = bench.main(cli.main, ["explain", "--config", str(config), "--json"])
        assert "leak/a:A_00" in runs["explain"].out
        ledger.scan(items, outputs(runs))

    @leak_path("fetch failures")
    def test_fetch_failure_paths(self, bench: Bench, ledger: Ledger, items: list[Planted]) -> None:
        """Each way fetch fails, with the values in the store: exit 1, none shown."""
        tmp = bench.fresh()
        v = [item.value for item in items]
        bench.sm.seed(
            {
                "bad/malformed": '{"A": ' + json.dumps(v[0]) + ', "B": ' + json.dumps(v[1])[:-1],
                "bad/array": json.dumps([v[2], v[3]]),
                "bad/plain": v[4] or "x",
                "bad/nested": {"N": {"inner": v[5]}},
                "bad/null": json.dumps({"A": v[6], "B": None}),
                "bad/one": {"SAME": v[7]},
                "bad/two": {"SAME": v[8] + "2"},
                "bad/render": {"R": v[9] + "`'$x"},
                "bad/nul": {"Z": v[10] + "\x00"},
                "good/g": {"G": v[11]},
                "good/h": {"H": v[12], "I": v[13]},
            }
        )
        cases = {
            "malformed": ["bad/malformed"],
            "array": ["bad/array"],
            "plain": ["bad/plain"],
            "nested": ["bad/nested"],
            "null": ["bad/null"],
            "collision": ["bad/one", "bad/two"],
            "render": ["bad/render"],
            "nul": ["bad/nul"],
            "several": ["bad/malformed", "bad/array", "bad/null", "good/g"],
        }
        runs: dict[str, Run] = {}
        for case, secrets in cases.items():
            config = write_config(tmp / f"{case}.yaml", {"core": secrets})
            for flag, kind in BOTH_LOG_FORMATS:
                run = bench.fetch(config, tmp / "out", flag, kind)
                assert run.code == 1, (case, run.err)
                runs[f"{case} {kind}"] = run
        good = write_config(tmp / "good.yaml", {"core": ["good/g", "good/h"]})
        (tmp / "afile").write_bytes(b"")
        runs["out is a file"] = bench.fetch(good, tmp / "afile", "--log-format", "json")
        (tmp / "link").symlink_to(tmp)
        runs["out is a link"] = bench.fetch(good, tmp / "link", "--log-format", "json")
        runs["check"] = bench.fetch(good, tmp / "never-written", "--check")
        # Two attempts, both failing: the failure's message without 4 backoffs' sleep.
        failing = write_config(
            tmp / "failing.yaml",
            {"core": ["good/g", "good/h"]},
            source={"type": "aws-secretsmanager", "max_attempts": 2},
        )
        bench.proxy.on({n: Fault.http(500) for n in range(1, 10)})
        runs["store fails"] = bench.fetch(failing, tmp / "out", via_proxy=True)
        for name in ("out is a file", "out is a link", "check", "store fails"):
            assert runs[name].code == 1, runs[name].err
        ledger.scan(items, outputs(runs))

    @leak_path("seed")
    def test_seed_paths(self, bench: Bench, ledger: Ledger, items: list[Planted]) -> None:
        """seed: create, rerun, OVERRIDE_, and bad seed files holding values; none shown."""
        tmp = bench.fresh()
        spec = tmp / "seed.yaml"
        spec.write_text(
            yaml.safe_dump(
                {
                    "version": 1,
                    "secrets": {
                        "seed/a": fields_of(items[:4], "A_"),
                        "seed/b": {**fields_of(items[4:6], "B_"), "G": {"generate": "hex:16"}},
                    },
                },
                allow_unicode=True,
            ),
            encoding="utf-8",
        )
        runs: dict[str, Run] = {}
        argv = ["--spec", str(spec), "--config", str(tmp / "none.yaml"), "--log-level", "DEBUG"]
        for flag, kind in BOTH_LOG_FORMATS:
            runs[f"seed {kind}"] = bench.main(seed.main, [*argv, flag, kind])
            assert runs[f"seed {kind}"].code == 0, runs[f"seed {kind}"].err
        env = {**bench.env(), "OVERRIDE_A_00": items[6].value}
        bench.capsys.readouterr()
        code = seed.main(argv, env)
        captured = bench.capsys.readouterr()
        runs["override"] = Run(code, captured.out, captured.err, 0.0)
        assert code == 0
        bad_list = tmp / "bad-list.yaml"
        bad_list.write_text(
            yaml.safe_dump({"version": 1, "secrets": {"s/x": {"A": [items[7].value]}}}),
            encoding="utf-8",
        )
        bad_yaml = tmp / "bad-yaml.yaml"
        bad_yaml.write_text(
            'version: 1\nsecrets:\n  s/x: {A: "' + items[8].token + "\n  B: '" + items[9].token,
            encoding="utf-8",
        )
        for name, path in (("list", bad_list), ("yaml", bad_yaml)):
            bad = ["--spec", str(path), "--config", str(tmp / "none.yaml"), "--log-level", "DEBUG"]
            runs[f"bad {name}"] = bench.main(seed.main, bad)
            assert runs[f"bad {name}"].code == 2, runs[f"bad {name}"].err
        ledger.scan(items, outputs(runs))

    @leak_path("file sources")
    def test_file_sources(self, bench: Bench, ledger: Ledger, items: list[Planted]) -> None:
        """File and directory sources, well-formed and broken around values; none shown."""
        tmp = bench.fresh()
        v = [item.value for item in items]
        t = [item.token for item in items]
        good = tmp / "good.json"
        good.write_text(json.dumps({"f/a": {"A": v[0], "B": v[1]}}), encoding="utf-8")
        broken = {
            "json": '{"f/a": {"A": "' + t[2] + '", "B": "' + t[3],
            "yaml": 'f/a:\n  A: "' + t[4] + '"\n  B: [' + t[5] + "\n\tC: " + t[6] + "\n",
            "env": "A='" + t[7] + "\nB=" + t[8] + " x'y\n",
        }
        runs: dict[str, Run] = {}
        for kind, text in [("json", None), *broken.items()]:
            path = good if text is None else tmp / f"broken.{kind}"
            if text is not None:
                path.write_text(text, encoding="utf-8")
            name = "f/a" if kind != "env" else "broken"
            source = {"type": "file", "path": str(path)}
            config = write_config(tmp / f"{kind}.yaml", {"core": [name]}, source=source)
            runs[kind] = bench.fetch(
                config, tmp / "out", "--format", "json", "--log-format", "json"
            )
            assert runs[kind].code == (0 if text is None else 1), runs[kind].err
        mount = tmp / "mount"
        (mount / "d" / "a").mkdir(parents=True)
        (mount / "d" / "a" / "X").write_text(v[9], encoding="utf-8")
        (mount / "d" / "b").write_text('{"Y": ' + json.dumps(v[10]) + ', "Z": ', encoding="utf-8")
        (mount / "d" / "c").write_text(json.dumps({"W": v[11]}), encoding="utf-8")
        source = {"type": "directory", "path": str(mount)}
        config = write_config(tmp / "dir.yaml", {"core": ["d/a", "d/b", "d/c"]}, source=source)
        runs["directory"] = bench.fetch(config, tmp / "out", "--format", "json")
        assert runs["directory"].code == 1
        ledger.scan(items, outputs(runs))


LEAK_FILES = ("test_no_leaks.py", "test_no_leaks_processes.py", "test_no_leaks_library.py")


def test_the_paths_scan_at_least_1000_distinct_values() -> None:
    """Acceptance (issue 5): >= 1,000 distinct generated values scanned on every path, 0 found.

    Each path's test scans its floor of distinct values and fails on any
    found (faults/leaks.py, `ledger`); the paths plant disjoint values, so
    the floors add up. This holds the sum, and that each path has its test.
    """
    here = Path(__file__).parent
    sources = "".join((here / name).read_text(encoding="utf-8") for name in LEAK_FILES)
    used = re.findall(r'@leak_path\("([^"]+)"\)', sources)
    assert sorted(used) == sorted(PATHS)
    assert 0 < DISTINCT <= 1
    assert sum(floor(path) for path in PATHS) >= 1000
