"""rideinfra render k8s / iam / helm-values: files that pass the CRD and Kubernetes schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from rideinfra import cli, seed
from support.eso_crd import crd_errors
from support.moto import MotoEndpoint

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "examples" / "rideshare" / "rideinfra.yaml"
SEED = REPO / "examples" / "rideshare" / "seed.yaml"
REFERENCE = yaml.safe_load((REPO / "tests" / "data" / "rideshare_reference.yaml").read_text())


@pytest.fixture(name="seeded")
def _seeded(sm: MotoEndpoint, aws_env: dict[str, str]) -> dict[str, str]:
    env = {**aws_env, "AWS_ENDPOINT_URL": sm.url}
    assert seed.main(["--config", str(CONFIG)], env) == 0
    return env


def documents(directory: Path) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


class TestK8s:
    def test_manifests_from_the_store_pass_the_crds(
        self, seeded: dict[str, str], tmp_path: Path
    ) -> None:
        """render k8s --out k8s/: every object valid against ESO's CRD schemas; no values."""
        out = tmp_path / "k8s"
        argv = ["render", "k8s", "--config", str(CONFIG), "--out", str(out)]
        assert cli.main(argv, seeded) == 0
        docs = documents(out)
        kinds = sorted(d["kind"] for d in docs)
        assert kinds == ["ExternalSecret"] * 4 + ["SecretStore"]
        for doc in docs:
            assert crd_errors(doc) == [], doc["metadata"]["name"]
        text = "\n".join(p.read_text() for p in out.iterdir())
        for fields in REFERENCE["catalog"].values():
            for value in fields.values():
                if "pass" in value or value.endswith("="):
                    assert value not in text

    def test_split_and_file_source_give_the_same_objects(
        self, seeded: dict[str, str], tmp_path: Path
    ) -> None:
        """--split writes one file per object; --source file:seed.yaml needs no store."""
        assert (
            cli.main(
                ["render", "k8s", "--config", str(CONFIG), "--out", str(tmp_path / "a")], seeded
            )
            == 0
        )
        argv = ["render", "k8s", "--config", str(CONFIG), "--out", str(tmp_path / "b")]
        assert cli.main([*argv, "--split", "--source", f"file:{SEED}"], {}) == 0
        assert len(list((tmp_path / "b").glob("*.yaml"))) == 5
        canonical = {json.dumps(d, sort_keys=True) for d in documents(tmp_path / "a")}
        assert canonical == {json.dumps(d, sort_keys=True) for d in documents(tmp_path / "b")}

    def test_k8s_secret_format_is_a_valid_secret(
        self, seeded: dict[str, str], tmp_path: Path
    ) -> None:
        """fetch --format k8s-secret writes v1 Secrets that kubernetes-validate accepts."""
        kubernetes_validate = pytest.importorskip("kubernetes_validate")
        out = tmp_path / "s"
        argv = ["fetch", "--config", str(CONFIG), "--out", str(out), "--format", "k8s-secret"]
        assert cli.main([*argv, "--profile", "core", "--profile", "monitoring"], seeded) == 0
        for path in sorted(out.glob("*.yaml")):
            secret = yaml.safe_load(path.read_text())
            kubernetes_validate.validate(secret, kubernetes_validate.latest_version(), strict=True)
            assert secret["kind"] == "Secret"


class TestIamAndHelm:
    def test_iam_policy_per_profile(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """render iam: one policy per profile naming exactly that profile's secrets."""
        argv = ["render", "iam", "--config", str(CONFIG), "--account", "123456789012"]
        assert cli.main([*argv, "--region", "us-east-1", "--out", str(tmp_path)], {}) == 0
        policy = json.loads((tmp_path / "monitoring.iam.json").read_text())
        assert policy["Version"] == "2012-10-17"
        resources = policy["Statement"][0]["Resource"]
        assert resources == [
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:rideshare/grafana-??????"
        ]

    def test_helm_values_to_stdout(self, capsys: pytest.CaptureFixture[str]) -> None:
        """render helm-values prints the controller's endpoint variable."""
        argv = ["render", "helm-values", "--eso-endpoint", "http://localstack.localstack:4566"]
        assert cli.main(argv, {}) == 0
        values = yaml.safe_load(capsys.readouterr().out)
        assert values["extraEnv"] == [
            {"name": "AWS_SECRETSMANAGER_ENDPOINT", "value": "http://localstack.localstack:4566"}
        ]

    def test_bad_endpoint_is_exit_2(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A non-URL endpoint is a usage error."""
        assert cli.main(["render", "helm-values", "--eso-endpoint", "localstack"], {}) == 2
