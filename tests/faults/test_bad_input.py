"""The bad-input catalogue, through the entrypoint: each refused by name, nothing written.

Every case runs ``fetch.main`` for real (secrets in a moto server over HTTP,
or in a secrets file where AWS cannot hold the input) and checks: the exit
code of DESIGN.md (1 for fetch/transform/render/write, 2 for config and
usage), exactly one error line naming the item, and the output directory
exactly as it was (the previous run's set intact, a missing one not created).
The table in docs/reliability.md lists each case with its test.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from faults.kit import (
    Run,
    aws_environ,
    previous_set,
    public_files,
    run_fetch,
    run_module,
    snapshot,
    write_config,
)
from rideinfra.render import MAX_ENV_ENTRY_BYTES
from support.consumers import read_with
from support.moto import MotoEndpoint
from support.unprivileged import readonly_tree

pytestmark = pytest.mark.faults


@dataclass
class Bench:
    """A seeded store (moto) or a secrets file, a config, and the entrypoint to run."""

    sm: MotoEndpoint
    aws_env: dict[str, str]
    tmp: Path
    capsys: pytest.CaptureFixture[str]

    def fetch(self, config: Path, out: Path, *extra: str) -> Run:
        argv = ["--config", str(config), "--out", str(out), "--log-format", "json", *extra]
        return run_fetch(self.capsys, argv, aws_environ(self.aws_env, self.sm.url))

    def store_config(
        self, secrets: Mapping[str, Any], profiles: Mapping[str, Sequence[Any]] | None = None
    ) -> Path:
        """Secrets in the moto store, and a config whose profile core uses them all."""
        self.sm.seed(secrets)
        return write_config(self.tmp / "rideinfra.yaml", profiles or {"core": list(secrets)})

    def file_config(self, secrets: Mapping[str, Any]) -> Path:
        """Secrets in a JSON secrets file (for what Secrets Manager cannot even store)."""
        path = self.tmp / "secrets.json"
        path.write_text(json.dumps(dict(secrets)), encoding="utf-8")
        return write_config(
            self.tmp / "rideinfra.yaml",
            {"core": list(secrets)},
            source={"type": "file", "path": str(path)},
        )

    def refused(self, config: Path, code: int, words: Sequence[str], *extra: str) -> str:
        """Run into a previous set and into a missing directory: ``code``, one line, untouched."""
        out = self.tmp / "out"
        before = previous_set(out)
        run = self.fetch(config, out, *extra)
        assert run.code == code, run.err
        (line,) = run.error_lines()
        assert "\n" not in line
        for word in words:
            assert word in line
        assert snapshot(out) == before
        missing = self.tmp / "missing"
        again = self.fetch(config, missing, *extra)
        assert (again.code, again.error_lines()) == (code, [line.replace(str(out), str(missing))])
        assert not missing.exists()
        return line


@pytest.fixture(name="bench")
def _bench(
    sm: MotoEndpoint, aws_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Bench:
    return Bench(sm, aws_env, tmp_path, capsys)


# id -> (what the store holds under b/s, words the error line must hold)
BAD_SECRETS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "malformed JSON": ('{"A": "x", "B": ', ("'b/s'", "not valid JSON", '{"FIELD": "value"')),
    "JSON array": ('["a", "b"]', ("'b/s'", "a JSON array", "not a JSON object")),
    "JSON number": ("12345", ("'b/s'", "a JSON number")),
    "JSON null": ("null", ("'b/s'", "a JSON null")),
    "JSON string": ('"just text"', ("'b/s'", "a JSON string")),
    "nested object without flatten": (
        {"CORE": {"FERNET_KEY": "k"}, "OK": "v"},
        ("b/s:CORE", "nested JSON object", "`flatten`", "drop: [CORE]"),
    ),
    "nested array without flatten": ({"HOSTS": ["a", "b"]}, ("b/s:HOSTS", "`flatten`")),
    "null field": ('{"A": "x", "B": null}', ("'b/s'", "field 'B' is null", "store a string")),
    "binary secret": (b"\x00\x01\xfe binary", ("'b/s'", "binary (SecretBinary)", "binary_field")),
    "empty JSON object": ("{}", ("'b/s'", "empty JSON object", "no fields")),
    "key with a dash": ({"my-key": "v"}, ("b/s:my-key", "not a valid environment variable name")),
    "key starting with a digit": ({"1ABC": "v"}, ("b/s:1ABC", "`rename` or `sanitize`")),
    "key with a space": ({"A B": "v"}, ("'A B'", "not a valid environment variable name")),
    "non-ASCII key": ({"ÄPFEL": "v"}, ("ÄPFEL", "not a valid environment variable name")),
    "empty key": ({"": "v"}, ("b/s:", "not a valid environment variable name")),
    "bash read-only name": ({"EUID": "0"}, ("EUID", "read-only")),
    "value with NUL": ({"TOKEN": "a\x00b"}, ("variable TOKEN", "NUL", "format json")),
}


class TestBadSecrets:
    @pytest.mark.parametrize(("stored", "words"), BAD_SECRETS.values(), ids=BAD_SECRETS.keys())
    def test_bad_secret_is_refused_by_name(
        self, bench: Bench, stored: Any, words: tuple[str, ...]
    ) -> None:
        """Exit 1, one line naming the secret (and field or variable), output untouched."""
        bench.refused(bench.store_config({"b/s": stored}), 1, words)

    def test_empty_secret_string(self, bench: Bench) -> None:
        """An empty SecretString (AWS cannot store one; a file can): refused by name."""
        bench.refused(bench.file_config({"b/s": ""}), 1, ("'b/s'", "is empty"))

    def test_variables_colliding_across_secrets(self, bench: Bench) -> None:
        """Two secrets giving one variable different values: both origins named."""
        config = bench.store_config({"b/one": {"SAME": "1"}, "b/two": {"SAME": "2"}})
        bench.refused(
            config,
            1,
            ("variable SAME", "profile 'core'", "b/one:SAME", "b/two:SAME", "rename"),
        )

    def test_value_over_the_kernel_limit(self, bench: Bench) -> None:
        """KEY=value of 131072 bytes: refused naming the variable and the limit."""
        value = "x" * (MAX_ENV_ENTRY_BYTES - len("BIG=") + 1)
        config = bench.file_config({"b/s": {"BIG": value}})
        bench.refused(config, 1, ("variable BIG", "131072 bytes", str(MAX_ENV_ENTRY_BYTES)))


class TestAcceptedEdges:
    """The other side of each refusal: what is close to it and must work exactly."""

    def test_numbers_and_booleans_become_json_text(self, bench: Bench) -> None:
        """A JSON number is written as the text it is stored with (1.50 stays 1.50)."""
        stored = (
            '{"PORT": 5432, "TLS": true, "OFF": false, "RATIO": 1.50, "EXP": 1e3, '
            '"BIG": 12345678901234567890, "NEG": -0, "HUGE": 1E400}'
        )
        out = bench.tmp / "out"
        assert bench.fetch(bench.store_config({"b/s": stored}), out).code == 0
        assert read_with("dotenv", out / "core.env") == {
            "PORT": "5432",
            "TLS": "true",
            "OFF": "false",
            "RATIO": "1.50",
            "EXP": "1e3",
            "BIG": "12345678901234567890",
            "NEG": "-0",
            "HUGE": "1E400",
        }

    def test_nested_object_with_flatten(self, bench: Bench) -> None:
        """With a flatten transform the nested object becomes CORE__FERNET_KEY."""
        bench.sm.seed({"b/s": {"core": {"fernet_key": "k"}}})
        config = write_config(
            bench.tmp / "rideinfra.yaml",
            {"core": ["b/s"]},
            secrets={"b/s": {"transforms": [{"flatten": {}}]}},
        )
        out = bench.tmp / "out"
        assert bench.fetch(config, out).code == 0
        assert read_with("dash", out / "core.env") == {"CORE__FERNET_KEY": "k"}

    def test_same_value_from_two_secrets_is_no_collision(self, bench: Bench) -> None:
        """Two origins agreeing on a value are fine."""
        out = bench.tmp / "out"
        config = bench.store_config({"b/one": {"SAME": "1"}, "b/two": {"SAME": "1"}})
        assert bench.fetch(config, out).code == 0
        assert public_files(out) == {"core.env": b"SAME=1\n"}

    def test_value_with_nul_in_json_format(self, bench: Bench) -> None:
        """The format the NUL refusal points to carries it exactly."""
        out = bench.tmp / "out"
        config = bench.store_config({"b/s": {"TOKEN": "a\x00b"}})
        assert bench.fetch(config, out, "--format", "json").code == 0
        assert json.loads((out / "core.json").read_bytes()) == {"TOKEN": "a\x00b"}

    def test_value_at_the_kernel_limit(self, bench: Bench) -> None:
        """KEY=value of exactly 131071 bytes is written, and dash reads it back exactly."""
        value = "y" * (MAX_ENV_ENTRY_BYTES - len("BIG="))
        out = bench.tmp / "out"
        assert bench.fetch(bench.file_config({"b/s": {"BIG": value}}), out).code == 0
        assert read_with("dash", out / "core.env") == {"BIG": value}

    def test_the_limit_is_the_kernels(self) -> None:
        """A process starts with a 131071-byte KEY=value and fails to with 131072 (E2BIG)."""
        name = "BIG"
        fits = "z" * (MAX_ENV_ENTRY_BYTES - len(name) - 1)
        done = subprocess.run(["/bin/sh", "-c", "exit 0"], env={name: fits}, check=False)
        assert done.returncode == 0
        with pytest.raises(OSError, match="Argument list too long") as info:
            subprocess.run(["/bin/sh", "-c", "exit 0"], env={name: fits + "z"}, check=False)
        assert info.value.errno == errno.E2BIG


def bomb(levels: int = 9, width: int = 9) -> str:
    """A billion-laughs YAML: each anchor a list of ``width`` aliases of the one before."""
    lines = ["version: 1", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels):
        aliases = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    return "\n".join(lines) + "\n"


GOOD = "version: 1\nsource: {type: aws-secretsmanager}\nprofiles:\n  core: {secrets: [b/s]}\n"
# id -> (config text, exit code, words the one error line must hold)
BAD_CONFIGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "unknown top-level key": (
        GOOD.replace("profiles:", "profils:"),
        ("profils", "unknown key", "did you mean `profiles`"),
    ),
    "unknown key in a profile": (
        GOOD.replace("{secrets: [b/s]}", "{secrets: [b/s], kyes: [A]}"),
        ("profiles.core.kyes", "line 4", "did you mean `keys`"),
    ),
    "unknown transform": (
        GOOD + "secrets:\n  b/s: {transforms: [{renam: {A: B}}]}\n",
        ("secrets.b/s.transforms[0]", "renam", "rename"),
    ),
    "secrets is a string, not a list": (
        GOOD.replace("[b/s]", "b/s"),
        ("profiles.core.secrets", "expected a list"),
    ),
    "max_attempts is a word": (
        GOOD.replace("aws-secretsmanager}", "aws-secretsmanager, max_attempts: many}"),
        ("source", "max_attempts"),
    ),
    "version is a string": (GOOD.replace("version: 1", "version: '1'"), ("version", "version: 1")),
    "duplicate profile names": (
        GOOD + "  core: {secrets: [b/other]}\n",
        ("'core' appears twice", "line 5", "line 4"),
    ),
    "YAML anchor bomb": (bomb(), ("alias bomb", "100000 YAML nodes")),
    "not YAML": (GOOD + "  oops: [unclosed\n", ("invalid YAML",)),
}


class TestBadConfig:
    @pytest.mark.parametrize(("text", "words"), BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
    def test_bad_config_is_exit_2_naming_file_and_path(
        self, bench: Bench, text: str, words: tuple[str, ...]
    ) -> None:
        """Exit 2 before the store is asked: one line naming the file and what is wrong."""
        config = bench.tmp / "rideinfra.yaml"
        config.write_text(text, encoding="utf-8")
        line = bench.refused(config, 2, (str(config), *words))
        assert "Traceback" not in line

    def test_unknown_profile(self, bench: Bench) -> None:
        """--profile that the config lacks: exit 2, the valid profiles listed."""
        config = bench.store_config({"b/s": {"A": "1"}})
        bench.refused(
            config, 2, ("no profile 'cor'", "profiles: core", "`core`"), "--profile", "cor"
        )

    def test_unknown_format(self, bench: Bench) -> None:
        """--format yaml: exit 2, the valid formats listed."""
        config = bench.store_config({"b/s": {"A": "1"}})
        bench.refused(
            config, 2, ("unknown output format 'yaml'", "env", "k8s-secret"), "--format", "yaml"
        )

    def test_missing_config_file(self, bench: Bench) -> None:
        """A config path that does not exist: exit 2 naming it."""
        config = bench.tmp / "nope.yaml"
        bench.refused(config, 2, (str(config), "not found"))

    def test_config_that_is_not_utf8(self, bench: Bench) -> None:
        """Latin-1 bytes: exit 2 naming the file and the byte."""
        config = bench.tmp / "rideinfra.yaml"
        config.write_bytes(GOOD.encode() + b"# caf\xe9\n")
        bench.refused(config, 2, (str(config), "not UTF-8"))

    def test_50_mib_config_is_refused_by_size(self, bench: Bench) -> None:
        """A 50 MiB config: exit 2 saying it is too large."""
        config = bench.tmp / "rideinfra.yaml"
        with config.open("w", encoding="utf-8") as handle:
            handle.write(GOOD)
            chunk = "# " + "x" * 1021 + "\n"
            for _ in range(50 * 1024):
                handle.write(chunk)
        assert config.stat().st_size > 50 << 20
        bench.refused(config, 2, (str(config), "larger than 1024 KiB"))


# Peak RSS from VmHWM: ru_maxrss would carry over the pytest process's size
# from before the exec (Linux keeps the forked child's high-water mark).
MEASURE = """
import re, sys, time, tracemalloc
from rideinfra.errors import ConfigError
from rideinfra.profiles import load_config
tracemalloc.start()
started = time.perf_counter()
try:
    load_config(sys.argv[1])
except ConfigError as exc:
    message = str(exc)
else:
    message = "loaded"
peak = tracemalloc.get_traced_memory()[1]
with open("/proc/self/status", encoding="ascii") as status:
    rss = re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)
print(peak, rss, time.perf_counter() - started)
print(message)
"""


def measure(config: Path) -> tuple[int, int, float, str]:
    """Load ``config`` in a fresh interpreter: peak traced bytes, peak RSS KiB, seconds, result."""
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, str(config)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    numbers, message = proc.stdout.splitlines()
    peak, rss, seconds = numbers.split()
    return int(peak), int(rss), float(seconds), message


class TestConfigLimits:
    def test_50_mib_config_costs_no_memory(self, tmp_path: Path) -> None:
        """Refused by size after reading at most 1 MiB + 1: peak allocation under 4 MiB."""
        small = tmp_path / "small.yaml"
        small.write_text(GOOD, encoding="utf-8")
        big = tmp_path / "big.yaml"
        with big.open("w", encoding="utf-8") as handle:
            handle.write(GOOD)
            handle.write(("# " + "x" * 1021 + "\n") * (50 * 1024))
        peak, rss, seconds, message = measure(big)
        assert "larger than 1024 KiB" in message
        assert peak < 4 << 20
        _, small_rss, _, loaded = measure(small)
        assert loaded == "loaded"
        assert rss - small_rss < 8 * 1024  # KiB: the 50 MiB never came in
        assert seconds < 1.0

    def test_anchor_bomb_costs_no_memory(self, tmp_path: Path) -> None:
        """9**9 (387 million) nodes when expanded: refused in under 2 s and 16 MiB."""
        config = tmp_path / "bomb.yaml"
        config.write_text(bomb(), encoding="utf-8")
        peak, _, seconds, message = measure(config)
        assert "alias bomb" in message
        assert peak < 16 << 20
        assert seconds < 2.0


class TestOutputDirectory:
    """Entry-point level checks of the policy in docs/writing.md ("Output directory policy")."""

    def test_output_dir_that_is_a_file(self, bench: Bench) -> None:
        """--out naming a regular file: exit 1 naming it; the file is untouched."""
        config = bench.store_config({"b/s": {"A": "1"}})
        target = bench.tmp / "afile"
        target.write_bytes(b"keep me")
        run = bench.fetch(config, target)
        assert run.code == 1
        (line,) = run.error_lines()
        assert f"output directory {target} exists but is a regular file" in line
        assert target.read_bytes() == b"keep me"

    def test_output_dir_that_is_a_symlink(self, bench: Bench) -> None:
        """--out naming a symlink: exit 1 naming link, target and the path to pass instead."""
        config = bench.store_config({"b/s": {"A": "1"}})
        real = bench.tmp / "real"
        before = previous_set(real)
        link = bench.tmp / "link"
        link.symlink_to(real)
        run = bench.fetch(config, link)
        assert run.code == 1
        (line,) = run.error_lines()
        assert f"output directory {link} is a symlink" in line
        assert f"pass the resolved path {real}" in line
        assert snapshot(real) == before

    @pytest.fixture(name="shared")
    def _shared(self) -> Iterator[Path]:
        """A tree the unprivileged user can read but whose ro/ it cannot write."""
        with readonly_tree("rideinfra-faults-") as top:
            yield top

    def test_output_dir_not_writable(self, shared: Path) -> None:
        """A real process as an unprivileged user, --out not writable: exit 1, one line."""
        secrets = shared / "secrets.json"
        secrets.write_text('{"b/s": {"A": "1"}}', encoding="utf-8")
        secrets.chmod(0o644)
        config = write_config(
            shared / "rideinfra.yaml",
            {"core": ["b/s"]},
            source={"type": "file", "path": str(secrets)},
        )
        config.chmod(0o644)
        argv = ["--config", str(config), "--out", str(shared / "ro"), "--log-level", "ERROR"]
        environ = {"PATH": os.environ.get("PATH", ""), "HOME": str(shared)}
        if os.geteuid() == 0:
            if _as_nobody(["--version"], environ).code != 0:
                pytest.skip("uid 65534 cannot import rideinfra from this venv (a 0700 parent?)")
            run = _as_nobody(argv, environ)
        else:
            run = run_module("rideinfra.fetch", argv, environ)
        assert run.code == 1, run.err
        (line,) = run.err_lines
        assert f"output directory {shared / 'ro'} is not writable" in line
        assert "choose another output directory" in line
        assert os.listdir(shared / "ro") == []


def _as_nobody(argv: Sequence[str], environ: Mapping[str, str]) -> Run:
    # Root ignores permission bits; setpriv drops to uid/gid 65534 for the one process.
    command = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--",
        sys.executable,
        "-m",
        "rideinfra.fetch",
        *argv,
    ]
    proc = subprocess.run(
        command, env=dict(environ), capture_output=True, text=True, timeout=60, check=False
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, 0.0)
