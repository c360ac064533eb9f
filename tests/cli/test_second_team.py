"""Issue 15's trial, replayed: a second team's web app, from an empty store to `web.env`.

A Postgres secret of five fields, a Stripe key stored as a plain string (not
JSON), a Sentry DSN; profiles web, worker and monitoring. Seeded with
`rideinfra seed` into the moto server, fetched, and read back by sh, Compose
and python-dotenv byte for byte. The names-only commands (explain, check,
render k8s) work from the seed file itself, generated fields included.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from rideinfra import cli
from support.consumers import compose_binary, read_with
from support.eso_crd import assert_valid
from support.moto import MotoEndpoint

# Values distinctive enough to search output for; none is part of a name.
STRIPE = 'sk_test_51SENTINELstripe$HOME=x #c "d"'
PASSWORD = "pg-SENTINEL-pass"
DSN = "https://SENTINELdsn@o1.ingest.sentry.io/42"
VALUES = (STRIPE, PASSWORD, DSN, "SENTINEL")

CONFIG = """\
version: 1
source: {type: aws-secretsmanager}
secrets:
  webapp/stripe:
    plain: STRIPE_SECRET_KEY
  webapp/postgres:
    transforms: [{prefix: DATABASE_}]
profiles:
  web:
    secrets: [webapp/postgres, webapp/stripe, webapp/sentry]
  worker:
    secrets: [webapp/postgres, webapp/stripe]
  monitoring:
    secrets: [webapp/sentry]
seed: seed.yaml
"""


def seed_text() -> str:
    return yaml.safe_dump(
        {
            "version": 1,
            "secrets": {
                "webapp/postgres": {
                    "HOST": "db.internal",
                    "PORT": 5432,
                    "NAME": "webapp",
                    "USER": "webapp",
                    "PASSWORD": PASSWORD,
                },
                "webapp/stripe": STRIPE,
                "webapp/sentry": {"SENTRY_DSN": DSN, "SENTRY_TOKEN": {"generate": "hex:16"}},
            },
        },
        sort_keys=False,
    )


EXPECTED_WEB = {
    "DATABASE_HOST": "db.internal",
    "DATABASE_PORT": "5432",
    "DATABASE_NAME": "webapp",
    "DATABASE_USER": "webapp",
    "DATABASE_PASSWORD": PASSWORD,
    "STRIPE_SECRET_KEY": STRIPE,
    "SENTRY_DSN": DSN,
}


@pytest.fixture(name="app")
def _app(tmp_path: Path) -> Path:
    (tmp_path / "rideinfra.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "seed.yaml").write_text(seed_text(), encoding="utf-8")
    return tmp_path


@pytest.fixture(name="env")
def _env(sm: MotoEndpoint, aws_env: dict[str, str]) -> dict[str, str]:
    return {**aws_env, "AWS_ENDPOINT_URL": sm.url, "PATH": os.environ.get("PATH", "")}


@pytest.fixture(name="in_empty_dir")
def _in_empty_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def run(argv: list[str], env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> int:
    code = cli.main(argv, env)
    captured = capsys.readouterr()
    leaked = [v for v in VALUES if v in captured.out or v in captured.err]
    assert leaked == [], argv
    return code


class TestTrial:
    def test_seed_fetch_and_read_back(
        self,
        app: Path,
        env: dict[str, str],
        sm: MotoEndpoint,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Seeded, fetched, and read back by dash, bash, Compose and python-dotenv exactly."""
        config = str(app / "rideinfra.yaml")
        out = app / "secrets"
        assert run(["seed", "--config", config], env, capsys) == 0
        stored = sm.client().get_secret_value(SecretId="webapp/stripe")["SecretString"]
        assert stored == STRIPE  # a plain SecretString, not JSON
        assert run(["fetch", "--config", config, "--out", str(out)], env, capsys) == 0
        consumers = ["dash", "bash", "dotenv"] + (["compose"] if compose_binary() else [])
        for consumer in consumers:
            web = read_with(consumer, out / "web.env")
            token = web.pop("SENTRY_TOKEN")
            assert web == EXPECTED_WEB, consumer
            assert len(token) == 32
        assert set(read_with("dash", out / "worker.env")) == {
            *(k for k in EXPECTED_WEB if k.startswith("DATABASE_")),
            "STRIPE_SECRET_KEY",
        }

    def test_reseeding_adds_no_version(
        self,
        app: Path,
        env: dict[str, str],
        sm: MotoEndpoint,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """A second seed leaves every secret, the plain one included, at one version."""
        config = str(app / "rideinfra.yaml")
        assert run(["seed", "--config", config], env, capsys) == 0
        assert run(["seed", "--config", config], env, capsys) == 0
        for name in ("webapp/stripe", "webapp/postgres", "webapp/sentry"):
            versions = sm.client().list_secret_version_ids(SecretId=name)["Versions"]
            assert len(versions) == 1, name

    def test_check_against_the_store(
        self, app: Path, env: dict[str, str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`check` is clean once seeded: the plain secret is not a format problem."""
        config = str(app / "rideinfra.yaml")
        assert run(["seed", "--config", config], env, capsys) == 0
        assert run(["check", "--config", config], env, capsys) == 0


class TestNamesFromTheSeedFile:
    """explain, check and render k8s read names only: generated fields count as present."""

    def test_explain_exits_0_and_shows_the_whole_secret(
        self, app: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        argv = ["explain", "--config", str(app / "rideinfra.yaml")]
        argv += ["--source", f"file:{app / 'seed.yaml'}", "--json"]
        code = cli.main(argv, {})
        out = capsys.readouterr().out
        assert code == 0
        rows = {(row["profile"], row["variable"]): row for row in json.loads(out)}
        assert rows[("web", "SENTRY_TOKEN")]["secret"] == "webapp/sentry"
        stripe = rows[("web", "STRIPE_SECRET_KEY")]
        assert (stripe["secret"], stripe["stored_as"]) == ("webapp/stripe", "plain")
        assert not any(v in out for v in VALUES)

    def test_explain_table_says_plain(self, app: Path, capsys: pytest.CaptureFixture[str]) -> None:
        argv = ["explain", "web", "--config", str(app / "rideinfra.yaml")]
        assert cli.main([*argv, "--source", f"file:{app / 'seed.yaml'}"], {}) == 0
        line = next(x for x in capsys.readouterr().out.splitlines() if "STRIPE" in x)
        assert "webapp/stripe (plain)" in line

    def test_check_from_the_seed_file(self, app: Path, capsys: pytest.CaptureFixture[str]) -> None:
        argv = ["check", "--config", str(app / "rideinfra.yaml")]
        assert cli.main([*argv, "--source", f"file:{app / 'seed.yaml'}"], {}) == 0

    def test_render_k8s_plain_secret_has_no_property(
        self, app: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The plain secret is a remoteRef without `property`; the manifests fit the CRDs."""
        argv = ["render", "k8s", "--config", str(app / "rideinfra.yaml")]
        assert cli.main([*argv, "--source", f"file:{app / 'seed.yaml'}"], {}) == 0
        docs = list(yaml.safe_load_all(capsys.readouterr().out))
        assert_valid(docs)
        web = next(
            d for d in docs if d["kind"] == "ExternalSecret" and d["metadata"]["name"] == "web"
        )
        refs = {entry["secretKey"]: entry["remoteRef"] for entry in web["spec"]["data"]}
        assert "property" not in refs["STRIPE_SECRET_KEY"]
        assert refs["STRIPE_SECRET_KEY"]["key"] == "webapp/stripe"
        # The generated field is a name like any other: here in the compact `extract`.
        extracted = [item["extract"]["key"] for item in web["spec"]["dataFrom"]]
        assert "webapp/sentry" in extracted

    @pytest.mark.parametrize("command", [["fetch", "--out", "OUT"], ["diff", "--out", "OUT"]])
    def test_commands_that_need_values_still_refuse(
        self, app: Path, command: list[str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """fetch (through a file source) and diff (--source) refuse a generated field, by name."""
        config = app / "rideinfra.yaml"
        config.write_text(
            CONFIG.replace("{type: aws-secretsmanager}", "{type: file, path: seed.yaml}"),
            encoding="utf-8",
        )
        argv = [arg.replace("OUT", str(app / "out")) for arg in command]
        argv += ["--config", str(config)]
        if command[0] == "diff":
            argv += ["--source", f"file:{app / 'seed.yaml'}"]
        # diff exits 2 for any error: its 1 means "a fetch would change something".
        assert cli.main(argv, {}) == (2 if command[0] == "diff" else 1)
        err = capsys.readouterr().err
        assert "'webapp/sentry'" in err
        assert "'SENTRY_TOKEN'" in err
        assert "generated value" in err
        assert not (app / "out").exists()


@pytest.mark.usefixtures("in_empty_dir")
class TestErrorsThatSayWhatToDo:
    @pytest.mark.parametrize(
        ("argv", "environ", "came"),
        [
            (["--config", "nope.yaml"], {}, "named by --config"),
            ([], {"RIDEINFRA_CONFIG": "nope.yaml"}, "named by RIDEINFRA_CONFIG"),
            ([], {}, "the default ./rideinfra.yaml (neither --config nor RIDEINFRA_CONFIG"),
        ],
        ids=["--config", "RIDEINFRA_CONFIG", "default"],
    )
    @pytest.mark.parametrize("command", ["fetch", "explain", "check", "seed"])
    def test_missing_config_names_the_ways_to_give_one(
        self,
        capsys: pytest.CaptureFixture[str],
        command: str,
        argv: list[str],
        environ: dict[str, str],
        came: str,
    ) -> None:
        assert cli.main([command, *argv], environ) == 2
        err = capsys.readouterr().err
        assert "config file not found" in err
        assert came in err
        assert "pass --config PATH, or set RIDEINFRA_CONFIG=PATH" in err
        assert "internal error" not in err

    def test_check_reports_a_non_json_secret_as_its_format(
        self, app: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without `plain:`, `check` says secret-format (and how to fix it), not missing-secret."""
        config = app / "rideinfra.yaml"
        config.write_text(
            CONFIG.replace("  webapp/stripe:\n    plain: STRIPE_SECRET_KEY\n", ""),
            encoding="utf-8",
        )
        argv = ["check", "--config", str(config), "--source", f"file:{app / 'seed.yaml'}"]
        assert cli.main(argv, {}) == 1
        out = capsys.readouterr().out
        (line,) = [x for x in out.splitlines() if "webapp/stripe" in x]
        assert line.startswith("secret-format")
        assert "missing-secret" not in out
        assert f"the config file {config}" in out
        assert "{plain: FIELD}" in out
        assert not any(v in out for v in VALUES)
