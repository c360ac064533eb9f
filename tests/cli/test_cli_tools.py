"""rideinfra diff and check; table output rules (completion: test_completion.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from rideinfra import cli, fetch, seed
from rideinfra.cli.tables import format_table, use_color
from rideinfra.operations import mask_tail
from support.moto import MotoEndpoint

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "examples" / "rideshare" / "rideinfra.yaml"


@pytest.fixture(name="seeded")
def _seeded(sm: MotoEndpoint, aws_env: dict[str, str]) -> dict[str, str]:
    env = {**aws_env, "AWS_ENDPOINT_URL": sm.url}
    assert seed.main(["--config", str(CONFIG)], env) == 0
    return env


def put(sm: MotoEndpoint, name: str, fields: dict[str, str]) -> None:
    sm.client().put_secret_value(SecretId=name, SecretString=json.dumps(fields))


class TestDiff:
    def test_reports_files_and_variables_by_name(
        self,
        seeded: dict[str, str],
        sm: MotoEndpoint,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """New files, then per-variable changed/added/removed after the store changes."""
        out = tmp_path / "secrets"
        base = ["diff", "--config", str(CONFIG), "--out", str(out), "--json"]
        assert cli.main(base, seeded) == 1  # differs: exit 1, as diff(1)
        first = json.loads(capsys.readouterr().out)
        assert {d["file"]: d["state"] for d in first} == {
            "core.env": "new",
            "data-pipeline.env": "new",
            "monitoring.env": "new",
            "spark-testing.env": "new",
        }
        assert fetch.main(["--config", str(CONFIG), "--out", str(out)], seeded) == 0
        put(sm, "rideshare/grafana", {"ADMIN_USER": "grafana", "ADMIN_PASSWORD": "new-secret-99"})
        put(sm, "rideshare/kafka", {"KAFKA_SASL_USERNAME": "kafka", "KAFKA_SASL_EXTRA": "x1"})
        capsys.readouterr()
        assert cli.main(base, seeded) == 1
        diffs = {d["file"]: d for d in json.loads(capsys.readouterr().out)}
        assert diffs["monitoring.env"]["changed"] == ["GF_SECURITY_ADMIN_PASSWORD"]
        assert diffs["core.env"]["added"] == ["KAFKA_SASL_EXTRA"]
        assert diffs["core.env"]["removed"] == ["KAFKA_SASL_PASSWORD"]
        assert diffs["data-pipeline.env"]["state"] == "unchanged"
        assert "new-secret-99" not in json.dumps(diffs)
        assert not (out / "monitoring.env").read_text().count("new-secret-99")

    def test_show_values_masks_all_but_two(
        self,
        seeded: dict[str, str],
        sm: MotoEndpoint,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """--show-values is opt-in and shows only the last two characters."""
        out = tmp_path / "secrets"
        assert fetch.main(["--config", str(CONFIG), "--out", str(out)], seeded) == 0
        put(sm, "rideshare/grafana", {"ADMIN_USER": "grafana", "ADMIN_PASSWORD": "new-secret-99"})
        capsys.readouterr()
        argv = ["diff", "--config", str(CONFIG), "--out", str(out), "--profile", "monitoring"]
        assert cli.main(argv, seeded) == 1
        plain = capsys.readouterr().out
        assert "GF_SECURITY_ADMIN_PASSWORD" in plain
        assert "ss" not in plain.split("GF_SECURITY_ADMIN_PASSWORD")[1]
        assert cli.main([*argv, "--show-values"], seeded) == 1
        shown = capsys.readouterr().out
        assert "********ss" in shown  # grafana-dev-pass
        assert "********99" in shown
        assert "new-secret" not in shown
        assert "grafana-dev" not in shown

    def test_mask_tail(self) -> None:
        """Short values are masked whole; longer ones keep two characters."""
        assert mask_tail("abcdefgh") == "********gh"
        assert mask_tail("abcde") == "**********"
        assert mask_tail("") == "**********"


class TestCheck:
    def test_clean_store_passes(
        self, seeded: dict[str, str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A store seeded from the example has no drift: exit 0."""
        assert cli.main(["check", "--config", str(CONFIG)], seeded) == 0
        assert capsys.readouterr().out.startswith("ok:")

    def test_drift_is_reported_and_exits_1(
        self, seeded: dict[str, str], sm: MotoEndpoint, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Missing secret, missing field and unused secret all reported, exit 1."""
        client = sm.client()
        client.delete_secret(SecretId="rideshare/ldap", ForceDeleteWithoutRecovery=True)
        put(sm, "rideshare/postgres-airflow", {"POSTGRES_USER": "airflow"})
        client.create_secret(Name="rideshare/legacy", SecretString='{"K": "v"}')
        client.create_secret(Name="other/unrelated", SecretString='{"K": "v"}')
        assert cli.main(["check", "--config", str(CONFIG), "--json"], seeded) == 1
        report = json.loads(capsys.readouterr().out)
        assert report["ok"] is False
        assert [name for name, _ in report["missing_secrets"]] == ["rideshare/ldap"]
        assert any("POSTGRES_PASSWORD" in why for _, why in report["problems"])
        assert report["unused"] == ["rideshare/legacy"]
        assert report["prefix"] == "rideshare/"


class TestTables:
    def test_aligned_and_plain(self) -> None:
        """Aligned columns on a terminal; tab-separated when piped."""
        rows = [("a", "long-value"), ("bbb", "x")]
        assert format_table(("H1", "H2"), rows, aligned=True) == (
            "H1   H2\na    long-value\nbbb  x"
        )
        assert format_table(("H1", "H2"), rows, aligned=False) == "H1\tH2\na\tlong-value\nbbb\tx"
        assert "\033[1m" in format_table(("H",), [("v",)], aligned=True, color=True)

    def test_no_color(self) -> None:
        """NO_COLOR and TERM=dumb turn colour off; a pipe never gets colour."""

        class Tty(io.StringIO):
            def isatty(self) -> bool:
                return True

        assert use_color(Tty(), {}) is True
        assert use_color(Tty(), {"NO_COLOR": "1"}) is False
        assert use_color(Tty(), {"TERM": "dumb"}) is False
        assert use_color(io.StringIO(), {}) is False


class TestProgress:
    @pytest.mark.parametrize(("count", "shown"), [(50, False), (51, True)])
    def test_progress_line_above_50_secrets(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], count: int, shown: bool
    ) -> None:
        """Fetching more than 50 secrets says so on stderr, with the request count."""
        store = {f"app/s{i:03}": {f"K{i:03}": "v"} for i in range(count)}
        (tmp_path / "store.json").write_text(json.dumps(store))
        names = "\n".join(f"      - app/s{i:03}" for i in range(count))
        config = tmp_path / "rideinfra.yaml"
        config.write_text(
            "version: 1\nsource: {type: file, path: store.json}\n"
            f"profiles:\n  big:\n    secrets:\n{names}\n"
        )
        assert (
            fetch.main(["--config", str(config), "--out", str(tmp_path / "o"), "--dry-run"], {})
            == 0
        )
        err = capsys.readouterr().err
        assert (f"fetching {count} secrets (3 batch request(s)" in err) is shown
