"""Parameter Store: the source and the store against real endpoints (moto's server, LocalStack)."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rideinfra.errors import ConfigError, SecretFormatError, SecretNotFound, SourceError
from rideinfra.profiles import SsmSourceConfig, parse_config
from rideinfra.render.eso import EsoOptions, secret_store
from rideinfra.render.iam import IamOptions, parameter_arn, render_iam
from rideinfra.secrets import ParameterStoreSource, ParameterStoreStore
from support.backends import AwsBackend
from support.proxy import Fault, FaultProxy

SENTINEL = "s3ntinel-VALUE-9f2c"


@pytest.fixture(name="proxy")
def _proxy(aws_backend: AwsBackend) -> Iterator[FaultProxy]:
    """A fault proxy in front of the backend under test, counting requests by action."""
    proxy = FaultProxy(aws_backend.url).start()
    yield proxy
    proxy.stop()


def source(url: str, aws_env: dict[str, str], **options: Any) -> ParameterStoreSource:
    return ParameterStoreSource(endpoint_url=url, environ=aws_env, prefix="/", **options)


class TestRead:
    def test_json_object_gives_fields_and_securestring_is_decrypted(
        self, aws_backend: AwsBackend, aws_env: dict[str, str]
    ) -> None:
        """A SecureString holding a JSON object: one field per key, values decrypted, exact."""
        aws_backend.seed_ssm({"app/db": {"USER": "u", "PASSWORD": "p\n'\"$x", "PORT": 5432}})
        secret = source(aws_backend.url, aws_env).fetch("app/db")
        assert {k: v.reveal() for k, v in secret.fields.items()} == {
            "USER": "u",
            "PASSWORD": "p\n'\"$x",
            "PORT": "5432",
        }
        assert secret.version_id == "1"
        assert secret.origin == "aws-ssm"

    def test_plain_value_needs_a_field_name(
        self, aws_backend: AwsBackend, aws_env: dict[str, str]
    ) -> None:
        """A value that is not a JSON object is refused by name, or becomes the `plain` field."""
        aws_backend.seed_ssm({"app/key": SENTINEL})
        with pytest.raises(SecretFormatError, match="app/key") as caught:
            source(aws_backend.url, aws_env).fetch("app/key")
        assert SENTINEL not in str(caught.value)
        plain = source(aws_backend.url, aws_env, plain_fields={"app/key": "API_KEY"})
        assert plain.fetch("app/key").fields["API_KEY"].reveal() == SENTINEL

    def test_missing_parameters_are_named_each(
        self, aws_backend: AwsBackend, aws_env: dict[str, str]
    ) -> None:
        """Names listed in InvalidParameters are SecretNotFound, each by its name; others read."""
        aws_backend.seed_ssm({"app/db": {"A": "1"}})
        result = source(aws_backend.url, aws_env).fetch_many(["app/db", "app/gone", "app/nope"])
        assert list(result) == ["app/db"]
        assert sorted(result.missing) == ["app/gone", "app/nope"]
        assert "'/app/gone'" in str(result.errors["app/gone"])

    def test_requests_are_ceil_n_over_10(
        self, aws_backend: AwsBackend, aws_env: dict[str, str], proxy: FaultProxy
    ) -> None:
        """25 names take 3 GetParameters requests (10 names each at most), all answered."""
        names = [f"bulk/s{i:02d}" for i in range(25)]
        aws_backend.seed_ssm({n: {"V": n} for n in names})
        result = source(proxy.url, aws_env).fetch_many(names)
        assert [result[n].fields["V"].reveal() for n in names] == names
        assert proxy.count("GetParameters") == math.ceil(25 / 10)


class TestPaths:
    def test_a_path_is_one_secret_of_its_children(
        self, aws_backend: AwsBackend, aws_env: dict[str, str]
    ) -> None:
        """`app/redis/` reads the parameters directly under it; fields are their last segments."""
        aws_backend.seed_ssm(
            {"app/redis/HOST": "h", "app/redis/PASSWORD": SENTINEL, "app/redis/deep/X": "x"}
        )
        secret = source(aws_backend.url, aws_env).fetch("app/redis/")
        assert {k: v.reveal() for k, v in secret.fields.items()} == {
            "HOST": "h",
            "PASSWORD": SENTINEL,
        }
        deep = source(aws_backend.url, aws_env, recursive=True).fetch("app/redis/")
        assert set(deep.fields) == {"HOST", "PASSWORD", "X"}

    def test_a_path_is_paginated_to_its_end(
        self, aws_backend: AwsBackend, aws_env: dict[str, str], proxy: FaultProxy
    ) -> None:
        """35 parameters under a path: every one read, over several pages."""
        aws_backend.seed_ssm({f"big/F{i:02d}": str(i) for i in range(35)})
        secret = source(proxy.url, aws_env).fetch("big/")
        assert len(secret.fields) == 35
        assert proxy.count("GetParametersByPath") >= 2

    def test_an_empty_path_is_not_found(
        self, aws_backend: AwsBackend, aws_env: dict[str, str]
    ) -> None:
        """A path with no parameters under it is a SecretNotFound naming the secret."""
        with pytest.raises(SecretNotFound, match="empty/"):
            source(aws_backend.url, aws_env).fetch("empty/")

    def test_two_children_with_one_last_segment_are_refused(
        self, aws_backend: AwsBackend, aws_env: dict[str, str]
    ) -> None:
        """Recursive: `/t/a/X` and `/t/b/X` would both be field X: refused, naming both."""
        aws_backend.seed_ssm({"t/a/X": "1", "t/b/X": "2"})
        with pytest.raises(SecretFormatError, match="both end in"):
            source(aws_backend.url, aws_env, recursive=True).fetch("t/")

    def test_endless_pagination_stops(
        self, aws_env: dict[str, str], aws_backend: AwsBackend
    ) -> None:
        """A store answering NextToken for ever is stopped at MAX_PATH_PAGES, by name."""
        aws_backend.seed_ssm({"loop/A": "1"})
        proxy = FaultProxy(aws_backend.url).start()
        try:
            proxy.on(
                {n: Fault.rewritten(lambda a: {**a, "NextToken": "again"}) for n in range(1, 200)}
            )
            with pytest.raises(SourceError, match="kept paginating") as caught:
                source(proxy.url, aws_env).fetch("loop/")
            assert caught.value.code == "PaginationNotEnding"
        finally:
            proxy.stop()


class TestStore:
    def test_put_is_idempotent_and_keeps_versions(
        self, aws_backend: AwsBackend, aws_env: dict[str, str]
    ) -> None:
        """created, unchanged, updated; a path secret writes one parameter per field."""
        store = ParameterStoreStore(source(aws_backend.url, aws_env))
        assert store.put("seed/one", {"A": "1"}) == "created"
        assert store.put("seed/one", {"A": "1"}) == "unchanged"
        assert store.put("seed/one", {"A": "2"}) == "updated"
        assert store.put("seed/tree/", {"A": "1", "B": "2"}) == "created"
        assert store.put("seed/tree/", {"A": "1", "B": "2"}) == "unchanged"
        ssm = aws_backend.client("ssm")
        assert ssm.get_parameter(Name="/seed/tree/B", WithDecryption=True)["Parameter"] == {
            **ssm.get_parameter(Name="/seed/tree/B", WithDecryption=True)["Parameter"],
            "Value": "2",
            "Type": "SecureString",
            "Version": 1,
        }
        assert json.loads(
            ssm.get_parameter(Name="/seed/one", WithDecryption=True)["Parameter"]["Value"]
        ) == {"A": "2"}


class TestNoValueInLogs:
    def test_debug_logging_holds_no_value(
        self, aws_backend: AwsBackend, aws_env: dict[str, str], caplog: pytest.LogCaptureFixture
    ) -> None:
        """botocore at DEBUG logs request and response bodies: the sentinel is not among them."""
        aws_backend.seed_ssm({"log/a": {"K": SENTINEL}, "log/p/K": SENTINEL})
        # botocore's own level too: an earlier test in this process may have quieted it.
        with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="botocore"):
            got = source(aws_backend.url, aws_env).fetch_many(["log/a", "log/p/"])
        assert got["log/a"].fields["K"].reveal() == SENTINEL
        assert len(caplog.records) > 5
        assert SENTINEL not in caplog.text


class TestConfig:
    def test_the_config_reads_the_ssm_source(self) -> None:
        """`type: aws-ssm` takes the AWS options plus prefix and recursive."""
        config = parse_config(
            {
                "version": 1,
                "source": {"type": "aws-ssm", "prefix": "/", "recursive": True, "max_attempts": 3},
                "profiles": {"p": {"secrets": ["a"]}},
            }
        )
        assert config.source == SsmSourceConfig(prefix="/", recursive=True, max_attempts=3)

    def test_an_unknown_key_is_refused_with_the_choices(self) -> None:
        """A misspelt key names the closest one."""
        with pytest.raises(ConfigError, match="prefx"):
            parse_config(
                {
                    "version": 1,
                    "source": {"type": "aws-ssm", "prefx": "/"},
                    "profiles": {"p": {"secrets": ["a"]}},
                }
            )


def ssm_config(names: list[str], **source: Any) -> Any:
    return parse_config(
        {
            "version": 1,
            "source": {"type": "aws-ssm", "prefix": "/", "region": "eu-west-1", **source},
            "profiles": {"app": {"secrets": names}},
        }
    )


class TestRenderIam:
    def test_exactly_the_parameters_and_paths(self) -> None:
        """GetParameters on each parameter, GetParametersByPath on each path, kms via SSM only."""
        config = ssm_config(["app/db", "app/redis/"])
        policy = json.loads(render_iam(config, IamOptions(account="123456789012"))["app.iam.json"])
        arn = "arn:aws:ssm:eu-west-1:123456789012:parameter/"
        assert policy["Statement"] == [
            {
                "Sid": "ReadParameters",
                "Effect": "Allow",
                "Action": "ssm:GetParameters",
                "Resource": [arn + "app/db"],
            },
            {
                "Sid": "ReadParameterPaths",
                "Effect": "Allow",
                "Action": "ssm:GetParametersByPath",
                "Resource": [arn + "app/redis"],
            },
            {
                "Sid": "DecryptViaParameterStore",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": ["arn:aws:kms:eu-west-1:123456789012:key/*"],
                "Condition": {"StringEquals": {"kms:ViaService": "ssm.eu-west-1.amazonaws.com"}},
            },
        ]

    @settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.from_regex(r"[A-Za-z0-9_.\-]{1,20}(/[A-Za-z0-9_.\-]{1,20}){0,3}/?", fullmatch=True))
    def test_every_valid_name_has_one_exact_arn(self, name: str) -> None:
        """Any valid parameter name maps to an ARN without wildcards, ending in the name."""
        arn = parameter_arn(name, region="us-east-1", account="123456789012", prefix="/")
        assert "*" not in arn
        assert "?" not in arn
        assert arn.endswith(name.rstrip("/"))
        assert arn.count("parameter/") == 1
        assert "parameter//" not in arn

    @pytest.mark.parametrize("name", ["app/*", "app/db?", "a b"])
    def test_a_name_iam_cannot_match_exactly_is_refused(self, name: str) -> None:
        """Wildcard characters are refused, naming the secret."""
        with pytest.raises(ConfigError, match="Parameter Store does not allow"):
            render_iam(ssm_config([name]))


class TestRenderEso:
    def test_the_store_is_parameter_store(self) -> None:
        """`render k8s` for an aws-ssm source emits `service: ParameterStore` in the region."""
        store = secret_store(EsoOptions(), profile="app", config=ssm_config(["a"]))
        assert store["spec"]["provider"]["aws"]["service"] == "ParameterStore"
        assert store["spec"]["provider"]["aws"]["region"] == "eu-west-1"

    @settings(max_examples=50)
    @given(
        prefix=st.sampled_from(["", "/", "/prod/"]),
        name=st.from_regex(r"[a-z]{1,8}(/[a-z]{1,8}){0,2}/?", fullmatch=True),
        field=st.from_regex(r"[A-Z][A-Z0-9_]{0,10}", fullmatch=True),
    )
    def test_remote_refs_name_the_parameter_read(self, prefix: str, name: str, field: str) -> None:
        """remoteRef.key is the parameter fetch reads: prefix + name, + the field for a path."""
        from rideinfra.profiles.model import Env
        from rideinfra.render.eso import external_secret
        from rideinfra.secrets.model import SecretValue
        from rideinfra.secrets.transforms import Entry, Origin

        config = ssm_config([name], prefix=prefix)
        entry = Entry("VAR", SecretValue("x"), Origin(name, field, ()))
        doc = external_secret(Env([entry], profile="app"), EsoOptions(), config=config)
        ref = doc["spec"]["data"][0]["remoteRef"]
        parameter = ParameterStoreSource(prefix=prefix, environ={}).parameter_name(name)
        if name.endswith("/"):
            assert (ref["key"], "property" in ref) == (parameter + field, False)
        else:
            assert (ref["key"], ref["property"]) == (parameter, field)


class TestEnvironmentMistakes:
    """Parameter Store shares Secrets Manager's checks (secrets/_awsclient.py), before requests."""

    def test_an_unknown_region_names_the_closest(
        self, proxy: FaultProxy, aws_env: dict[str, str]
    ) -> None:
        """`us-esat-1`: a ConfigError naming the setting and `us-east-1`, and no request."""
        ssm = ParameterStoreSource(
            endpoint_url=proxy.url, environ={**aws_env, "AWS_REGION": "us-esat-1"}
        )
        with pytest.raises(ConfigError, match=r"AWS_REGION.*did you mean us-east-1\?"):
            ssm.fetch_many(["app/db"])
        assert proxy.count() == 0

    def test_no_credentials_says_what_to_set(
        self, proxy: FaultProxy, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """No credentials anywhere: a ConfigError naming the variables, and no request."""
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            monkeypatch.delenv(name, raising=False)  # botocore's chain reads os.environ too
        environ = {
            k: v
            for k, v in aws_env.items()
            if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        }
        ssm = ParameterStoreSource(endpoint_url=proxy.url, environ=environ)
        with pytest.raises(ConfigError, match=r"AWS_ACCESS_KEY_ID"):
            ssm.fetch_many(["app/db"])
        assert proxy.count() == 0
