"""Acceptance: the rideshare example, seeded into and fetched from each store, gives the same files.

The same seed file goes into moto's Secrets Manager, LocalStack's Secrets
Manager, Parameter Store (moto's and LocalStack's) and OpenBao's KV v2 with
`rideinfra seed`; `rideinfra fetch` from each writes every profile's env
file; all are byte-identical. Only the config's `source:` differs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from rideinfra import fetch, seed
from support.backends import AwsBackend
from support.moto import MotoEndpoint
from support.openbao import OpenBao

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "rideshare"
PROFILES = ("core", "data-pipeline", "monitoring", "spark-testing")


def config_with(tmp_path: Path, label: str, source: dict[str, Any]) -> Path:
    """The example's config with another `source:` (and the example's seed file)."""
    data = yaml.safe_load((EXAMPLE / "rideinfra.yaml").read_text(encoding="utf-8"))
    data["source"] = source
    data["seed"] = str(EXAMPLE / "seed.yaml")
    path = tmp_path / f"{label}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def seed_and_fetch(config: Path, out: Path, environ: dict[str, str]) -> dict[str, bytes]:
    """Seed twice (the second changes nothing), fetch, and read back every file's bytes."""
    assert seed.main(["--config", str(config)], environ) == 0
    assert seed.main(["--config", str(config)], environ) == 0
    assert fetch.main(["--config", str(config), "--out", str(out)], environ) == 0
    return {p: (out / f"{p}.env").read_bytes() for p in PROFILES}


@pytest.mark.localstack
def test_every_store_gives_byte_identical_env_files(
    tmp_path: Path,
    sm: MotoEndpoint,
    aws_env: dict[str, str],
    localstack_server: AwsBackend,
    bao: OpenBao,
) -> None:
    """moto SM, LocalStack SM, moto SSM, LocalStack SSM and OpenBao: the same bytes per profile."""
    localstack_server.reset()
    stores: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
        "moto-sm": ({"type": "aws-secretsmanager"}, {"AWS_ENDPOINT_URL": sm.url}),
        "localstack-sm": (
            {"type": "aws-secretsmanager"},
            {"AWS_ENDPOINT_URL": localstack_server.url},
        ),
        "moto-ssm": ({"type": "aws-ssm", "prefix": "/"}, {"AWS_ENDPOINT_URL": sm.url}),
        "localstack-ssm": (
            {"type": "aws-ssm", "prefix": "/"},
            {"AWS_ENDPOINT_URL": localstack_server.url},
        ),
        "openbao": ({"type": "vault"}, bao.environ()),
    }
    files = {}
    for label, (source, extra) in stores.items():
        config = config_with(tmp_path, label, source)
        files[label] = seed_and_fetch(config, tmp_path / label, {**aws_env, **extra})
    baseline = files.pop("moto-sm")
    assert all(len(text) > 20 for text in baseline.values())
    for label, got in files.items():
        assert got == baseline, label


@pytest.mark.parametrize("label", ["moto-ssm", "openbao"])
def test_a_second_seed_writes_no_new_version(
    tmp_path: Path, label: str, sm: MotoEndpoint, aws_env: dict[str, str], bao: OpenBao
) -> None:
    """Seeding twice leaves every parameter at version 1 and every KV secret at version 1."""
    if label == "openbao":
        source, extra = {"type": "vault"}, bao.environ()
    else:
        source, extra = {"type": "aws-ssm", "prefix": "/"}, {"AWS_ENDPOINT_URL": sm.url}
    config = config_with(tmp_path, label, source)
    environ = {**aws_env, **extra}
    assert seed.main(["--config", str(config)], environ) == 0
    assert seed.main(["--config", str(config)], environ) == 0
    if label == "openbao":
        meta = bao.request("GET", "secret/metadata/rideshare/redis")
        assert isinstance(meta, dict)
        assert meta["data"]["current_version"] == 1
    else:
        ssm = AwsBackend("moto", sm.url).client("ssm")
        assert ssm.get_parameter(Name="/rideshare/redis")["Parameter"]["Version"] == 1
