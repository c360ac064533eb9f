"""Rotation keys of rideinfra.yaml: per-secret versions, `source.deadline`, refresh interval."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rideinfra._record import replace
from rideinfra.errors import ConfigError
from rideinfra.operations import build_source
from rideinfra.profiles import explain, load_config
from rideinfra.profiles.interval import go_duration, parse_interval
from rideinfra.render.eso import EsoOptions, eso_documents
from rideinfra.testing import MemorySource

BASE = "version: 1\nprofiles:\n  core:\n    secrets: [app/db]\n"


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "rideinfra.yaml"
    path.write_text(textwrap.dedent(text))
    return load_config(path)


def refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    assert info.value.exit_code == 2
    return str(info.value)


def test_version_stage_reaches_the_source(tmp_path: Path) -> None:
    config = load(tmp_path, BASE + "secrets:\n  app/db: {version_stage: AWSPREVIOUS}\n")
    assert config.secrets["app/db"].version_stage == "AWSPREVIOUS"  # type: ignore[attr-defined]
    source = build_source(config.source, {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"})  # type: ignore[attr-defined]
    assert source._pins == {"app/db": ("AWSPREVIOUS", None)}  # type: ignore[attr-defined]


def test_version_id_and_awscurrent_batch(tmp_path: Path) -> None:
    config = load(tmp_path, BASE + "secrets:\n  app/db: {version_id: v-1}\n")
    assert config.source.versions == {"app/db": (None, "v-1")}  # type: ignore[attr-defined]
    current = load(tmp_path, BASE + "secrets:\n  app/db: {version_stage: AWSCURRENT}\n")
    source = build_source(current.source, {})  # type: ignore[attr-defined]
    assert source._pins == {}  # type: ignore[attr-defined] # AWSCURRENT: the batch path


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("secrets:\n  app/db: {version_stage: AWSPREVIOUS, version_id: v}\n", "not both"),
        ("secrets:\n  app/db: {version_stage: ''}\n", "secrets.app/db.version_stage"),
        (
            "source: {type: env}\nsecrets:\n  app/db: {version_stage: AWSPREVIOUS}\n",
            "aws-secretsmanager",
        ),
        ("source: {type: aws-secretsmanager, deadline: 0}\n", "source.deadline"),
        ("output: {refresh_interval: 5 minutes}\n", "output.refresh_interval"),
        ("output: {refresh_interval: 0}\n", "more than 0"),
        ("output: {refresh_interval: 48h}\n", "24h"),
    ],
)
def test_refusals(tmp_path: Path, text: str, words: str) -> None:
    assert words in refused(tmp_path, BASE + text)


def test_deadline_and_interval(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        BASE
        + "source: {type: aws-secretsmanager, deadline: 30}\noutput: {refresh_interval: 1.5m}\n",
    )
    assert build_source(config.source, {})._client._deadline == 30.0  # type: ignore[attr-defined]
    assert config.output.refresh_interval == 90.0  # type: ignore[attr-defined]


def test_explain_shows_the_version(tmp_path: Path) -> None:
    config = load(tmp_path, BASE + "secrets:\n  app/db: {version_stage: AWSPREVIOUS}\n")
    (row,) = explain(config, MemorySource({"app/db": {"PASSWORD": "x"}}))  # type: ignore[arg-type]
    assert row.cells()[2] == "app/db:PASSWORD (AWSPREVIOUS)"


def test_eso_refresh_interval_follows_the_config(tmp_path: Path) -> None:
    config = load(tmp_path, BASE + "output: {refresh_interval: 90}\n")
    store = MemorySource({"app/db": {"PASSWORD": "x"}})
    from rideinfra.profiles import resolve

    envs = resolve(config, store)  # type: ignore[arg-type]

    def interval(options: EsoOptions, cfg: object) -> str:
        docs = eso_documents(cfg, envs, options)  # type: ignore[arg-type]
        (es,) = [d for d in docs if d["kind"] == "ExternalSecret"]
        return str(es["spec"]["refreshInterval"])

    assert interval(EsoOptions(), config) == "1m30s"
    assert interval(EsoOptions(refresh_interval="15m"), config) == "15m"
    assert (
        interval(
            EsoOptions(),
            replace(config, output=replace(config.output, refresh_interval=None)),
        )
        == "1h"
    )  # type: ignore[attr-defined]


@given(st.floats(min_value=0.001, max_value=86400), st.sampled_from(["", "s", "m", "h"]))
def test_interval_forms(number: float, unit: str) -> None:
    scale = {"": 1, "s": 1, "m": 60, "h": 3600}[unit]
    text = f"{number:.3f}{unit}"
    if 0 < float(f"{number:.3f}") * scale <= 86400:
        assert parse_interval(text) == pytest.approx(float(f"{number:.3f}") * scale)
    else:
        with pytest.raises(ValueError, match="interval"):
            parse_interval(text)


@given(st.integers(min_value=1, max_value=86_400_000))
def test_go_duration_round_trips(millis: int) -> None:
    """What `go_duration` writes is a Go duration that means the same seconds."""
    import re

    text = go_duration(millis / 1000)
    total = 0.0
    for count, unit in re.findall(r"(\d+)(ms|h|m|s)", text):
        total += int(count) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    assert re.fullmatch(r"(\d+ms)|(\d+h)?(\d+m)?(\d+s)?", text)
    assert total == pytest.approx(millis / 1000)
