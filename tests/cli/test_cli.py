"""The rideinfra console script: explain, schema, help, version; resolve against moto."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from rideinfra import cli, seed
from rideinfra.profiles import load_config, resolve
from rideinfra.secrets import SecretsManagerSource
from support.moto import MotoEndpoint

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "examples" / "rideshare" / "rideinfra.yaml"
SEED = REPO / "examples" / "rideshare" / "seed.yaml"
REFERENCE = REPO / "tests" / "data" / "rideshare_reference.yaml"
SUBCOMMANDS = (
    ("fetch",),
    ("seed",),
    ("explain",),
    ("diff",),
    ("check",),
    ("schema",),
    ("render",),
    ("render", "k8s"),
    ("render", "iam"),
    ("render", "helm-values"),
    ("demo",),
    ("completion",),
)


def reference() -> dict[str, Any]:
    return dict(yaml.safe_load(REFERENCE.read_text(encoding="utf-8")))


@pytest.fixture(name="seeded")
def _seeded(sm: MotoEndpoint, aws_env: dict[str, str]) -> dict[str, str]:
    env = {**aws_env, "AWS_ENDPOINT_URL": sm.url}
    assert seed.main(["--config", str(CONFIG)], env) == 0
    return env


class TestResolveAgainstTheStore:
    def test_example_resolves_to_the_reference(self, seeded: dict[str, str]) -> None:
        """Seeded from seed.yaml, the example gives exactly the reference variables and origins."""
        envs = resolve(load_config(CONFIG), SecretsManagerSource(environ=seeded))
        ref = reference()
        for profile, variables in ref["profiles"].items():
            env = envs[profile]
            composed = ref["composed"].get(profile, {})
            assert sorted(env) == sorted([*variables, *composed]), profile
            for variable, made in composed.items():
                assert env[variable].reveal() == made["value"]
            for variable, origin in variables.items():
                secret, _, field = origin.rpartition(":")
                assert env.origin(variable).secret == secret
                assert env.origin(variable).field == field
                assert env[variable].reveal() == ref["catalog"][secret][field]


class TestExplain:
    def test_data_pipeline_has_17_rows_and_no_value(
        self, seeded: dict[str, str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """explain data-pipeline: a header and 17 rows, variable <- secret:field, no values."""
        assert cli.main(["explain", "data-pipeline", "--config", str(CONFIG)], seeded) == 0
        lines = capsys.readouterr().out.strip().splitlines()
        assert lines[0].split() == ["PROFILE", "VARIABLE", "FROM", "VIA"]
        rows = lines[1:]
        assert len(rows) == 17
        assert any("POSTGRES_METASTORE_USER" in r and "qualify: METASTORE" in r for r in rows)
        conn = [r for r in rows if "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" in r]
        assert len(conn) == 1
        assert "template(rideshare/postgres-airflow:POSTGRES_USER" in conn[0]
        assert "{POSTGRES_AIRFLOW_PASSWORD|url}" in conn[0]
        for fields in reference()["catalog"].values():
            for value in fields.values():
                if "pass" in value or value.endswith("="):
                    assert all(value not in row for row in rows)

    def test_json_and_file_source(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--source file: reads fields from the seed file; --json gives machine output."""
        argv = ["explain", "monitoring", "--config", str(CONFIG), "--json"]
        assert cli.main([*argv, "--source", f"file:{SEED}"], {}) == 0
        rows = json.loads(capsys.readouterr().out)
        assert [(r["variable"], r["secret"], r["field"]) for r in rows] == [
            ("GF_SECURITY_ADMIN_PASSWORD", "rideshare/grafana", "ADMIN_PASSWORD"),
            ("GF_SECURITY_ADMIN_USER", "rideshare/grafana", "ADMIN_USER"),
        ]

    def test_misspelt_transform_exits_2(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """renam: is exit 2 naming the file, the path in it and `rename`."""
        bad = tmp_path / "bad.yaml"
        bad.write_text(
            CONFIG.read_text(encoding="utf-8").replace("- rename:", "- renam:", 1),
            encoding="utf-8",
        )
        assert cli.main(["explain", "--config", str(bad), "--source", f"file:{SEED}"], {}) == 2
        err = capsys.readouterr().err
        assert f"{bad}: secrets.rideshare/postgres-airflow.transforms[0]" in err
        assert "did you mean `rename`?" in err

    def test_bad_source_option_exits_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An unknown --source kind is a usage error naming the valid kinds."""
        assert cli.main(["explain", "--config", str(CONFIG), "--source", "s3:x"], {}) == 2
        assert "file:PATH, directory:PATH, env or aws" in capsys.readouterr().err


class TestSchemaHelpVersion:
    def test_schema_validates_the_example(self, capsys: pytest.CaptureFixture[str]) -> None:
        """rideinfra schema is a JSON Schema that accepts the example and rejects a typo."""
        assert cli.main(["schema"], {}) == 0
        schema = json.loads(capsys.readouterr().out)
        config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
        jsonschema.validate(config, schema)
        config["profiles"]["core"]["secrets"].append({"name": "x", "transforms": [{"renam": {}}]})
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(config, schema)

    @pytest.mark.parametrize("command", SUBCOMMANDS)
    def test_every_subcommand_has_help_with_an_example(
        self, command: tuple[str, ...], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """COMMAND --help exits 0, shows an example and the exit codes."""
        with pytest.raises(SystemExit) as info:
            cli.main([*command, "--help"], {})
        assert info.value.code == 0
        text = capsys.readouterr().out
        assert "example" in text
        assert "exit codes:" in text

    def test_version_and_console_script(self) -> None:
        """The installed console script answers --version."""
        script = Path(sys.executable).with_name("rideinfra")
        proc = subprocess.run(
            [str(script), "--version"],
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": os.environ.get("PATH", "")},
        )
        assert proc.stdout.startswith("rideinfra ")
