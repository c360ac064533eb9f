"""IAM policies: valid policy grammar, exactly each profile's secrets, ARNs that match no other."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rideinfra.errors import ConfigError, RenderError
from rideinfra.profiles import Config, load_config, parse_config
from rideinfra.render.iam import (
    MAX_MANAGED_POLICY_CHARS,
    IamOptions,
    iam_policy,
    render_iam,
    secret_arn,
)
from support.moto import MotoEndpoint

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "rideshare" / "rideinfra.yaml"

_STRINGS = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
_ACTION = {"type": "string", "pattern": r"^([a-z0-9-]+:[A-Za-z0-9*]+|\*)$"}

#: The IAM policy grammar (the parts rideinfra uses), as a JSON Schema.
POLICY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["Version", "Statement"],
    "additionalProperties": False,
    "properties": {
        "Version": {"const": "2012-10-17"},
        "Id": {"type": "string"},
        "Statement": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["Effect", "Action", "Resource"],
                "additionalProperties": False,
                "properties": {
                    "Sid": {"type": "string", "pattern": "^[A-Za-z0-9]+$"},
                    "Effect": {"enum": ["Allow", "Deny"]},
                    "Action": {
                        "oneOf": [_ACTION, {"type": "array", "items": _ACTION, "minItems": 1}]
                    },
                    "Resource": _STRINGS,
                    "Condition": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "additionalProperties": _STRINGS,
                        },
                    },
                },
            },
        },
    },
}


def iam_match(pattern: str, value: str) -> bool:
    """IAM's ARN wildcard match: ``*`` any run of characters, ``?`` exactly one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def allowed(policy: dict[str, Any], action: str, arn: str) -> bool:
    for statement in policy["Statement"]:
        actions = statement["Action"]
        resources = statement["Resource"]
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        allows = statement["Effect"] == "Allow" and action in actions
        if allows and any(iam_match(r, arn) for r in resources):
            return True
    return False


def assert_policy(policy: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(POLICY_SCHEMA).validate(policy)
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids))


@pytest.fixture(name="config")
def _config() -> Config:
    return load_config(EXAMPLE)


class TestPolicyShape:
    def test_schema_catches_bad_policies(self) -> None:
        """The grammar check fails on a wrong version, effect, action or extra key."""
        good = iam_policy(["a"])
        assert_policy(good)
        statement = good["Statement"][0]
        for bad in (
            {**good, "Version": "2008-10-17"},
            {**good, "Statement": [{**statement, "Effect": "allow"}]},
            {**good, "Statement": [{**statement, "Action": "GetSecretValue"}]},
            {**good, "Statement": [{**statement, "Principal": "*"}]},
            {**good, "Statement": []},
        ):
            with pytest.raises(jsonschema.ValidationError):
                assert_policy(bad)

    def test_rideshare_profiles(self, config: Config) -> None:
        """One valid policy per profile granting only the two read actions, on its own secrets."""
        files = render_iam(config, IamOptions(account="123456789012", region="us-east-1"))
        assert sorted(files) == [f"{p}.iam.json" for p in sorted(config.profiles)]
        for profile in config.profiles.values():
            policy = json.loads(files[f"{profile.name}.iam.json"])
            assert_policy(policy)
            read, batch = policy["Statement"]
            assert read == {
                "Sid": "ReadSecrets",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": sorted(
                    f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{ref.name}-??????"
                    for ref in profile.secrets
                ),
            }
            # No resource-level permissions exist for the batch action; each secret is
            # still checked against GetSecretValue.
            assert batch == {
                "Sid": "BatchRead",
                "Effect": "Allow",
                "Action": "secretsmanager:BatchGetSecretValue",
                "Resource": "*",
            }
            assert "ListSecrets" not in files[f"{profile.name}.iam.json"]

    def test_text_is_deterministic(self, config: Config) -> None:
        """Same config, same bytes; one secret listed twice appears once."""
        assert render_iam(config) == render_iam(config)
        twice = iam_policy(["b", "a", "b"])
        assert twice["Statement"][0]["Resource"] == [
            "arn:aws:secretsmanager:*:*:secret:a-??????",
            "arn:aws:secretsmanager:*:*:secret:b-??????",
        ]

    def test_profiles_selection_and_unknown_profile(self, config: Config) -> None:
        """Only the asked profiles are written; an unknown one is a ConfigError."""
        assert list(render_iam(config, profiles=["monitoring"])) == ["monitoring.iam.json"]
        with pytest.raises(ConfigError, match="nope"):
            render_iam(config, profiles=["nope"])


class TestArns:
    def test_region_from_options_config_or_wildcard(self) -> None:
        """The region option wins, then the config's source.region, then '*'."""
        with_region = parse_config(
            {
                "version": 1,
                "source": {"type": "aws-secretsmanager", "region": "eu-central-1"},
                "profiles": {"app": {"secrets": ["x"]}},
            }
        )
        text = render_iam(with_region)["app.iam.json"]
        assert ":eu-central-1:*:secret:x-??????" in text
        text = render_iam(with_region, IamOptions(region="us-west-2"))["app.iam.json"]
        assert ":us-west-2:" in text
        bare = parse_config(
            {
                "version": 1,
                "source": {"type": "file", "path": "s.yaml"},
                "profiles": {"app": {"secrets": ["x"]}},
            }
        )
        assert ":secretsmanager:*:*:secret:x-??????" in render_iam(bare)["app.iam.json"]

    def test_placeholders_and_partition(self) -> None:
        """${VAR} placeholders are kept for a later substitution; other partitions work."""
        options = IamOptions(
            region="${AWS_REGION}", account="${AWS_ACCOUNT_ID}", partition="aws-cn"
        )
        arn = iam_policy(["a/b"], options)["Statement"][0]["Resource"][0]
        assert arn == "arn:aws-cn:secretsmanager:${AWS_REGION}:${AWS_ACCOUNT_ID}:secret:a/b-??????"

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"account": "12345"}, "account"),
            ({"region": "mars"}, "region"),
            ({"partition": "gcp"}, "partition"),
            ({"kms_keys": ["key-1"]}, "KMS key ARN"),
        ],
    )
    def test_bad_options(self, kwargs: dict[str, Any], match: str) -> None:
        """Malformed ARN parts are refused before any policy is written."""
        with pytest.raises(ConfigError, match=match):
            IamOptions(**kwargs)

    @pytest.mark.parametrize("name", ["a*b", "a?b", "has space", "", "é"])
    def test_names_that_cannot_be_matched_exactly(self, name: str) -> None:
        """A name with characters Secrets Manager forbids (wildcards among them) is refused."""
        with pytest.raises(ConfigError, match="secret name"):
            secret_arn(name, region="*", account="*")

    def test_full_arns_are_kept(self) -> None:
        """A secret configured by its full ARN is granted by exactly that ARN."""
        arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf"
        assert secret_arn(arn, region="*", account="*") == arn
        with pytest.raises(ConfigError, match="ARN"):
            secret_arn("arn:aws:secretsmanager:us-east-1:1:secret:*", region="*", account="*")

    @given(
        names=st.lists(
            st.from_regex(r"[A-Za-z0-9/_+=.@-]{1,30}", fullmatch=True), min_size=2, unique=True
        ),
        suffix=st.from_regex(r"[A-Za-z0-9]{6}", fullmatch=True),
    )
    def test_pattern_matches_its_secret_and_no_other(self, names: list[str], suffix: str) -> None:
        """name-?????? matches name's ARN (any 6-char suffix) and never another name's."""
        mine, others = names[0], names[1:]
        policy = iam_policy([mine], IamOptions(region="us-east-1", account="123456789012"))
        base = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
        assert allowed(policy, "secretsmanager:GetSecretValue", f"{base}{mine}-{suffix}")
        for other in others:
            assert not allowed(policy, "secretsmanager:GetSecretValue", f"{base}{other}-{suffix}")


class TestAgainstSecretsManager:
    def test_real_arns_of_each_profile_and_only_those(
        self, config: Config, sm: MotoEndpoint
    ) -> None:
        """With the ARNs a Secrets Manager API assigns, each policy reads its secrets only."""
        client = sm.client()
        names = sorted({ref.name for p in config.profiles.values() for ref in p.secrets})
        # Neighbours whose names start like real ones must stay out of reach.
        decoys = ["rideshare/minio-old", "rideshare/postgres", "rideshare/airflow-x1"]
        arns = {n: client.create_secret(Name=n, SecretString="{}")["ARN"] for n in names + decoys}
        account = arns["rideshare/minio"].split(":")[4]
        options = IamOptions(region="us-east-1", account=account)
        for profile in config.profiles.values():
            policy = json.loads(render_iam(config, options)[f"{profile.name}.iam.json"])
            mine = {ref.name for ref in profile.secrets}
            readable = {
                n
                for n, arn in arns.items()
                if allowed(policy, "secretsmanager:GetSecretValue", arn)
            }
            assert readable == mine, profile.name


class TestExtras:
    def test_without_batch(self) -> None:
        """For ESO stores, which only call GetSecretValue, the batch statement can be left out."""
        policy = iam_policy(["a"], IamOptions(batch=False))
        assert_policy(policy)
        assert [s["Action"] for s in policy["Statement"]] == ["secretsmanager:GetSecretValue"]

    def test_kms_decrypt_only_via_secrets_manager(self) -> None:
        """Customer-managed keys get kms:Decrypt, only when Secrets Manager calls KMS."""
        key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        policy = iam_policy(["a"], IamOptions(region="us-east-1", kms_keys=[key]))
        assert_policy(policy)
        assert policy["Statement"][-1] == {
            "Sid": "DecryptViaSecretsManager",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": [key],
            "Condition": {
                "StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
            },
        }

    def test_size_limit(self) -> None:
        """A profile whose policy IAM would refuse for size is an error naming the profile."""
        secrets = [f"team/service-{i:03d}/credentials" for i in range(120)]
        config = parse_config(
            {
                "version": 1,
                "source": {"type": "aws-secretsmanager"},
                "profiles": {"huge": {"secrets": secrets}},
            }
        )
        with pytest.raises(RenderError, match=f"'huge'.*{MAX_MANAGED_POLICY_CHARS}"):
            render_iam(config)

    def test_no_secrets(self) -> None:
        """A policy must allow something."""
        with pytest.raises(RenderError, match="at least one"):
            iam_policy([])
