"""The secrets-init job end to end: seed moto, fetch over HTTP, read with real consumers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from rideinfra import cli, fetch, seed
from support.consumers import compose_binary, read_with
from support.moto import MotoEndpoint

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "rideshare"
CONFIG = EXAMPLE / "rideinfra.yaml"
REFERENCE = REPO / "tests" / "data" / "rideshare_reference.yaml"
PROFILES = ("core", "data-pipeline", "monitoring")


def reference() -> dict[str, Any]:
    return dict(yaml.safe_load(REFERENCE.read_text(encoding="utf-8")))


def expected_values(profile: str) -> dict[str, str]:
    """The reference's variables for ``profile`` with the catalog's values."""
    ref = reference()
    out = {}
    for variable, origin in ref["profiles"][profile].items():
        secret, _, field = origin.rpartition(":")
        out[variable] = ref["catalog"][secret][field]
    for variable, made in ref["composed"].get(profile, {}).items():
        out[variable] = made["value"]
    return out


def all_reference_values() -> set[str]:
    """Values distinctive enough to search logs for: not part of any secret or variable name."""
    ref = reference()
    names = " ".join([*ref["catalog"], *(v for p in ref["profiles"].values() for v in p)])
    values = {str(v) for fields in ref["catalog"].values() for v in fields.values()}
    return {value for value in values if value not in names}


@pytest.fixture(name="env")
def _env(sm: MotoEndpoint, aws_env: dict[str, str]) -> dict[str, str]:
    """The environment an init container gets: endpoint, region, credentials."""
    return {**aws_env, "AWS_ENDPOINT_URL": sm.url, "PATH": os.environ.get("PATH", "")}


@pytest.fixture(name="seeded")
def _seeded(env: dict[str, str]) -> dict[str, str]:
    assert seed.main(["--config", str(CONFIG)], env) == 0
    return env


def run_fetch(env: dict[str, str], out: Path, *extra: str) -> int:
    return fetch.main(["--config", str(CONFIG), "--out", str(out), *extra], env)


def no_values_in(text: str) -> None:
    leaked = [value for value in all_reference_values() if len(value) > 3 and value in text]
    assert leaked == []


class TestRideshare:
    def test_profiles_equal_the_reference(
        self, seeded: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Each profile file, read by dash, bash, python-dotenv and Compose, is the reference."""
        out = tmp_path / "secrets"
        assert run_fetch(seeded, out) == 0
        names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
        assert names == [
            "core.env",
            "data-pipeline.env",
            "monitoring.env",
            "spark-testing.env",
        ]
        for profile in PROFILES:
            for consumer in ("dash", "bash", "dotenv", "compose"):
                assert read_with(consumer, out / f"{profile}.env") == expected_values(profile), (
                    profile,
                    consumer,
                )
        captured = capsys.readouterr()
        no_values_in(captured.out + captured.err)

    def test_files_are_private(self, seeded: dict[str, str], tmp_path: Path) -> None:
        """Files are 0600 and a created directory 0700."""
        out = tmp_path / "secrets"
        assert run_fetch(seeded, out) == 0
        assert (out.stat().st_mode & 0o777) == 0o700
        assert (os.stat(out / "core.env").st_mode & 0o777) == 0o600

    def test_second_run_changes_nothing(self, seeded: dict[str, str], tmp_path: Path) -> None:
        """Running twice leaves bytes and mtimes as they were."""
        out = tmp_path / "secrets"
        assert run_fetch(seeded, out) == 0
        before = {p.name: (os.stat(p).st_mtime_ns, p.read_bytes()) for p in out.glob("*.env")}
        assert run_fetch(seeded, out) == 0
        after = {p.name: (os.stat(p).st_mtime_ns, p.read_bytes()) for p in out.glob("*.env")}
        assert after == before

    def test_missing_secret_exits_1_and_keeps_files(
        self,
        seeded: dict[str, str],
        sm: MotoEndpoint,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """A deleted secret: exit 1, the message names it, earlier files untouched."""
        out = tmp_path / "secrets"
        assert run_fetch(seeded, out) == 0
        before = {p.name: (os.stat(p).st_mtime_ns, p.read_bytes()) for p in out.glob("*.env")}
        sm.client().delete_secret(SecretId="rideshare/grafana", ForceDeleteWithoutRecovery=True)
        capsys.readouterr()
        assert run_fetch(seeded, out) == 1
        err = capsys.readouterr().err
        assert "rideshare/grafana" in err
        after = {p.name: (os.stat(p).st_mtime_ns, p.read_bytes()) for p in out.glob("*.env")}
        assert after == before

    def test_profile_selection_keeps_the_others(
        self, seeded: dict[str, str], sm: MotoEndpoint, tmp_path: Path
    ) -> None:
        """--profile core rewrites core.env only; the other files stay."""
        out = tmp_path / "secrets"
        assert run_fetch(seeded, out) == 0
        monitoring = (out / "monitoring.env").read_bytes()
        sm.client().put_secret_value(
            SecretId="rideshare/api-key", SecretString=json.dumps({"API_KEY": 'rotated #1 = "ok"'})
        )
        assert run_fetch(seeded, out, "--profile", "core") == 0
        assert read_with("dash", out / "core.env")["API_KEY"] == 'rotated #1 = "ok"'
        assert (out / "monitoring.env").read_bytes() == monitoring

    def test_uncarriable_value_is_refused_by_name(
        self,
        seeded: dict[str, str],
        sm: MotoEndpoint,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """A value no shared env form carries: exit 1 naming the variable, not the value."""
        out = tmp_path / "secrets"
        assert run_fetch(seeded, out) == 0
        before = {p.name: p.read_bytes() for p in out.glob("*.env")}
        value = "it's `uname` $HOME"
        sm.client().put_secret_value(
            SecretId="rideshare/api-key", SecretString=json.dumps({"API_KEY": value})
        )
        capsys.readouterr()
        assert run_fetch(seeded, out) == 1
        err = capsys.readouterr().err
        assert "API_KEY" in err
        assert "shell" in err
        assert value not in err
        assert {p.name: p.read_bytes() for p in out.glob("*.env")} == before
        assert run_fetch(seeded, tmp_path / "sh", "--format", "shell") == 0

    def test_dry_run_writes_nothing(
        self, seeded: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--dry-run names the files that would change, with counts, and writes nothing."""
        out = tmp_path / "secrets"
        capsys.readouterr()
        assert run_fetch(seeded, out, "--dry-run") == 0
        assert not out.exists()
        err = capsys.readouterr().err
        assert "core.env: would change (6 variable(s))" in err
        assert "data-pipeline.env: would change (17 variable(s))" in err
        no_values_in(err)

    def test_check_detects_drift(
        self, seeded: dict[str, str], sm: MotoEndpoint, tmp_path: Path
    ) -> None:
        """--check: 0 when the files match the store, 1 after the store changes."""
        out = tmp_path / "secrets"
        assert run_fetch(seeded, out) == 0
        assert run_fetch(seeded, out, "--check") == 0
        sm.client().put_secret_value(
            SecretId="rideshare/redis", SecretString=json.dumps({"REDIS_PASSWORD": "new"})
        )
        assert run_fetch(seeded, out, "--check") == 1

    def test_json_logs_one_object_per_line(
        self, seeded: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--log-format json: every stderr line is a JSON object with a message."""
        capsys.readouterr()
        assert (
            run_fetch(seeded, tmp_path / "s", "--log-format", "json", "--log-level", "debug") == 0
        )
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) >= 4
        assert all("message" in json.loads(line) for line in lines)
        no_values_in("\n".join(lines))

    def test_output_dir_from_environment(self, seeded: dict[str, str], tmp_path: Path) -> None:
        """SECRETS_OUTPUT_DIR is used when --out is absent."""
        env = {**seeded, "SECRETS_OUTPUT_DIR": str(tmp_path / "from-env")}
        assert fetch.main(["--config", str(CONFIG)], env) == 0
        assert (tmp_path / "from-env" / "core.env").exists()

    def test_other_formats(self, seeded: dict[str, str], tmp_path: Path) -> None:
        """--format json and shell carry the same values."""
        assert run_fetch(seeded, tmp_path / "j", "--format", "json") == 0
        data = json.loads((tmp_path / "j" / "monitoring.json").read_text(encoding="utf-8"))
        assert data == expected_values("monitoring")
        assert run_fetch(seeded, tmp_path / "sh", "--format", "shell") == 0
        shell_files = [p for p in (tmp_path / "sh").iterdir() if p.name.startswith("core")]
        assert read_with("bash", shell_files[0]) == expected_values("core")


class TestErrors:
    def test_misspelt_transform_is_exit_2(
        self, env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """renam: fails with exit 2 naming the file, the path and `rename`."""
        bad = tmp_path / "rideinfra.yaml"
        bad.write_text(
            CONFIG.read_text(encoding="utf-8").replace("- rename:", "- renam:", 1),
            encoding="utf-8",
        )
        assert fetch.main(["--config", str(bad), "--out", str(tmp_path / "o")], env) == 2
        err = capsys.readouterr().err
        assert str(bad) in err
        assert "transforms[0]" in err
        assert "rename" in err
        assert not (tmp_path / "o").exists()

    def test_unknown_profile_is_exit_2(self, seeded: dict[str, str], tmp_path: Path) -> None:
        """--profile with a name the config lacks is a config error."""
        assert run_fetch(seeded, tmp_path / "o", "--profile", "nope") == 2

    def test_bad_usage_is_exit_2(self) -> None:
        """An unknown option exits 2 (argparse's usage error)."""
        with pytest.raises(SystemExit) as info:
            fetch.main(["--no-such-option"], {})
        assert info.value.code == 2

    def test_help_documents_every_option_and_exit_code(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--help lists each option, the environment and the three exit codes."""
        with pytest.raises(SystemExit):
            fetch.main(["--help"], {})
        text = capsys.readouterr().out
        for option in (
            "--config",
            "--out",
            "--profile",
            "--format",
            "--dry-run",
            "--check",
            "--log-format",
            "--log-level",
            "SECRETS_OUTPUT_DIR",
            "AWS_ENDPOINT_URL",
            "RIDEINFRA_CONFIG",
        ):
            assert option in text
        for code in ("0  done", "1  a secret", "2  bad usage"):
            assert code in text


class TestProcesses:
    def test_module_entrypoint_in_a_real_process(
        self, seeded: dict[str, str], tmp_path: Path
    ) -> None:
        """python -m rideinfra.fetch runs as an init container would run it."""
        out = tmp_path / "secrets"
        proc = subprocess.run(
            [sys.executable, "-m", "rideinfra.fetch", "--config", str(CONFIG), "--out", str(out)],
            env=seeded,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == ""
        no_values_in(proc.stderr)
        assert read_with("dash", out / "core.env") == expected_values("core")

    def test_compose_example_reads_the_written_file(
        self, seeded: dict[str, str], tmp_path: Path
    ) -> None:
        """docker-compose config on the example compose.yml gives grafana the monitoring values."""
        shutil.copy(EXAMPLE / "compose.yml", tmp_path / "compose.yml")
        assert run_fetch(seeded, tmp_path / "secrets") == 0
        proc = subprocess.run(
            [compose_binary(), "-f", str(tmp_path / "compose.yml"), "config", "--format", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=tmp_path,
            env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
        )
        assert proc.returncode == 0, proc.stderr
        services = json.loads(proc.stdout)["services"]
        assert services["grafana"]["environment"] == expected_values("monitoring")
        assert services["simulation"]["depends_on"]["secrets-init"]["condition"] == (
            "service_completed_successfully"
        )

    def test_demo_writes_four_files_and_masks_values(
        self, aws_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """rideinfra demo seeds an embedded endpoint, fetches, lists names with masks."""
        out = tmp_path / "demo"
        assert cli.main(["demo", "--out", str(out)], dict(aws_env)) == 0
        captured = capsys.readouterr()
        assert "core.env  (6 variables)" in captured.out
        assert "data-pipeline.env  (17 variables)" in captured.out
        assert "monitoring.env  (2 variables)" in captured.out
        assert "spark-testing.env  (4 variables)" in captured.out
        assert "API_KEY=**********" in captured.out
        no_values_in(captured.out + captured.err)
        first = {p.name: os.stat(p).st_mtime_ns for p in out.glob("*.env")}
        assert len(first) == 4
        assert cli.main(["demo", "--out", str(out)], dict(aws_env)) == 0
        assert {p.name: os.stat(p).st_mtime_ns for p in out.glob("*.env")} == first
