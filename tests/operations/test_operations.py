"""The operations as library calls: a Config, a source, plain arguments; no argparse, no stdout."""

from __future__ import annotations

import logging
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from rideinfra.errors import ConfigError, SecretNotFound, WriteError
from rideinfra.operations import (
    build_source,
    check_output,
    diff_output,
    fetch_and_render,
    fetch_and_write,
    read_config,
    run_demo,
    seed_secrets,
    seed_source,
    write_plain,
)
from rideinfra.operations.seed import load_seed_spec
from rideinfra.profiles import Config
from rideinfra.render import get_format
from rideinfra.secrets import ChainSource, EnvSource, FileSource
from rideinfra.testing import MemorySource
from support.consumers import read_with
from support.moto import MotoEndpoint

SENTINEL = "s3cr3t-Sentinel-9f2c"

CONFIG = """\
version: 1
source: {type: env}
profiles:
  core:
    secrets: [app/db]
  web:
    secrets: [app/db, app/web]
"""


@pytest.fixture(name="config")
def _config(tmp_path: Path) -> Config:
    path = tmp_path / "rideinfra.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return read_config(path)


@pytest.fixture(name="store")
def _store() -> MemorySource:
    return MemorySource(
        {"app/db": {"DB_USER": "app", "DB_PASSWORD": SENTINEL}, "app/web": {"PORT": "8080"}}
    )


class TestFetch:
    def test_writes_every_profile_read_back_exactly(
        self, config: Config, store: MemorySource, tmp_path: Path
    ) -> None:
        """fetch_and_write writes one file per profile that dash reads back byte for byte."""
        out = tmp_path / "out"
        report = fetch_and_write(config, store, out)
        assert report.changed == ("core.env", "web.env")
        assert read_with("dash", out / "core.env") == {"DB_USER": "app", "DB_PASSWORD": SENTINEL}
        assert read_with("dash", out / "web.env")["PORT"] == "8080"

    def test_a_second_run_and_a_dry_run_change_nothing(
        self, config: Config, store: MemorySource, tmp_path: Path
    ) -> None:
        """Unchanged files stay; a dry run of a change reports it and writes nothing."""
        out = tmp_path / "out"
        fetch_and_write(config, store, out)
        assert fetch_and_write(config, store, out).unchanged == ("core.env", "web.env")
        store.put("app/web", {"PORT": "9090"})
        report = fetch_and_write(config, store, out, dry_run=True)
        assert report.changed == ("web.env",)
        assert read_with("dash", out / "web.env")["PORT"] == "8080"

    def test_profiles_and_format_are_plain_arguments(
        self, config: Config, store: MemorySource, tmp_path: Path
    ) -> None:
        """profiles= and output_format= choose what is written, as --profile/--format do."""
        out = tmp_path / "out"
        fetch_and_write(config, store, out, profiles=["core"], output_format=get_format("json"))
        assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["core.json"]

    def test_check_output_names_the_stale_files(
        self, config: Config, store: MemorySource, tmp_path: Path
    ) -> None:
        """Empty when up to date; after a store change, the file that differs; nothing written."""
        out = tmp_path / "out"
        fetch_and_write(config, store, out)
        assert check_output(config, store, out) == ()
        store.put("app/web", {"PORT": "9090"})
        assert check_output(config, store, out) == ("web.env",)
        assert read_with("dash", out / "web.env")["PORT"] == "8080"

    def test_a_missing_secret_writes_nothing(self, config: Config, tmp_path: Path) -> None:
        """A secret the store lacks raises SourceError naming it; no directory is created."""
        out = tmp_path / "out"
        with pytest.raises(SecretNotFound, match="app/web"):
            fetch_and_write(config, MemorySource({"app/db": {"DB_USER": "app"}}), out)
        assert not out.exists()

    def test_rendered_repr_and_logs_hold_no_value(
        self,
        config: Config,
        store: MemorySource,
        tmp_path: Path,
        caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Rendered's repr leaves the files out; the step logs and stdout hold no value."""
        with caplog.at_level(logging.DEBUG, logger="rideinfra"):
            rendered = fetch_and_render(config, store)
            fetch_and_write(config, store, tmp_path / "out")
            check_output(config, store, tmp_path / "out")
            diff_output(config, store, tmp_path / "out")
        assert SENTINEL.encode() in rendered.files["core.env"]
        assert SENTINEL not in repr(rendered)
        assert "resolved 2 profile(s)" in caplog.text
        assert SENTINEL not in caplog.text
        assert capsys.readouterr().out == ""


class TestDiff:
    def test_names_changes_and_masks_values_on_request(
        self, config: Config, store: MemorySource, tmp_path: Path
    ) -> None:
        """diff_output lists added and changed variables; values only masked, only if asked."""
        out = tmp_path / "out"
        fetch_and_write(config, store, out)
        store.put("app/db", {"DB_USER": "app", "DB_PASSWORD": SENTINEL + "-2", "DB_HOST": "db"})
        diffs = {d.file: d for d in diff_output(config, store, out, profiles=["core"])}
        assert list(diffs) == ["core.env"]
        assert (diffs["core.env"].added, diffs["core.env"].changed) == (
            ("DB_HOST",),
            ("DB_PASSWORD",),
        )
        assert diffs["core.env"].shown == {}
        shown = diff_output(config, store, out, profiles=["core"], show_values=True)[0].shown
        assert shown["DB_PASSWORD"] == ("********2c", "********-2")


class TestSources:
    def test_build_source_follows_the_config(self, tmp_path: Path) -> None:
        """Each source type of the config becomes its SecretSource, chains included."""
        seed = tmp_path / "seed.yaml"
        seed.write_text("version: 1\nsecrets:\n  app/db: {DB_USER: app}\n", encoding="utf-8")
        path = tmp_path / "rideinfra.yaml"
        path.write_text(
            "version: 1\nsource:\n  type: chain\n  sources:\n"
            f"    - {{type: file, path: {seed}}}\n    - {{type: env}}\n"
            "profiles:\n  core:\n    secrets: [app/db]\n",
            encoding="utf-8",
        )
        source = build_source(read_config(path).source, {})
        assert isinstance(source, ChainSource)
        assert [type(s) for s in source.sources] == [FileSource, EnvSource]

    def test_seed_source_arguments_win_over_the_config(self, tmp_path: Path) -> None:
        """region/endpoint given beat the config's aws source, which beats the environment."""
        path = tmp_path / "rideinfra.yaml"
        path.write_text(
            "version: 1\nsource: {type: aws-secretsmanager, region: eu-west-1, "
            "endpoint_url: 'http://127.0.0.1:1'}\nprofiles:\n  core:\n    secrets: [app/db]\n",
            encoding="utf-8",
        )
        config = read_config(path)
        environ = {"AWS_DEFAULT_REGION": "us-east-2", "AWS_ENDPOINT_URL": "http://127.0.0.1:2"}
        assert (seed_source(config, environ).region, seed_source(config, environ).endpoint_url) == (
            "eu-west-1",
            "http://127.0.0.1:1",
        )
        given = seed_source(config, environ, region="ap-south-1", endpoint_url="http://127.0.0.1:3")
        assert (given.region, given.endpoint_url) == ("ap-south-1", "http://127.0.0.1:3")
        assert seed_source(None, environ).region == "us-east-2"


class TestSeed:
    def test_seed_secrets_creates_then_leaves_unchanged(
        self, sm: MotoEndpoint, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Seeding twice: created, then unchanged; the logs name secrets, never values."""
        path = tmp_path / "seed.yaml"
        path.write_text(f"version: 1\nsecrets:\n  app/db: {{DB_PASSWORD: {SENTINEL}}}\n")
        spec = load_seed_spec(path)
        source = seed_source(None, {}, endpoint_url=sm.url)
        with caplog.at_level(logging.INFO, logger="rideinfra"):
            assert seed_secrets(spec, source, {}) == {"app/db": "created"}
            assert seed_secrets(spec, source, {}) == {"app/db": "unchanged"}
        assert "seeded: 1 unchanged" in caplog.text
        assert SENTINEL not in caplog.text


class TestManifests:
    def test_write_plain_files_are_world_readable(self, tmp_path: Path) -> None:
        """Manifests hold names only, so they are 0644, written whole."""
        write_plain(tmp_path / "k8s", {"a.yaml": "kind: A\n", "b.yaml": "kind: B\n"})
        mode = stat.S_IMODE((tmp_path / "k8s" / "a.yaml").stat().st_mode)
        assert (mode, (tmp_path / "k8s" / "b.yaml").read_text()) == (0o644, "kind: B\n")
        assert sorted(p.name for p in (tmp_path / "k8s").iterdir()) == ["a.yaml", "b.yaml"]

    def test_write_plain_refuses_a_file_for_a_directory(self, tmp_path: Path) -> None:
        """A path that is a file is a WriteError naming it."""
        (tmp_path / "k8s").write_text("")
        with pytest.raises(WriteError, match="k8s"):
            write_plain(tmp_path / "k8s", {"a.yaml": "kind: A\n"})


class TestDemo:
    def test_run_demo_writes_the_example(self, tmp_path: Path, aws_env: dict[str, str]) -> None:
        """run_demo seeds its own endpoint and writes the example's four profiles."""
        report = run_demo(tmp_path / "demo", {"AWS_PROFILE": "not-used"}).report
        assert report.changed == (
            "core.env",
            "data-pipeline.env",
            "monitoring.env",
            "spark-testing.env",
        )

    def test_read_config_names_a_missing_file(self, tmp_path: Path) -> None:
        """read_config refuses a missing file with a ConfigError naming it."""
        with pytest.raises(ConfigError, match=r"nope\.yaml"):
            read_config(tmp_path / "nope.yaml")


def test_the_fetch_path_loads_no_other_operation() -> None:
    """fetch_and_write imports no other operation (seed's generators load OpenSSL)."""
    code = (
        "import sys\n"
        "from rideinfra.operations import fetch_and_write\n"
        "print(sorted(m for m in sys.modules if m.startswith('rideinfra.operations.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "['rideinfra.operations.fetch']"
