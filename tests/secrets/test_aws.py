"""SecretsManagerSource and SecretsManagerStore against a real moto server over HTTP."""

from __future__ import annotations

import base64
import json
import logging
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rideinfra import fetch
from rideinfra.errors import SecretFormatError, SecretNotFound, SourceError
from rideinfra.secrets import ParseOptions, SecretsManagerSource, SecretsManagerStore
from rideinfra.secrets.aws import _AskedIds, resolve_region
from support.moto import MotoEndpoint
from support.proxy import Fault, FaultProxy


def source_for(url: str, **kwargs: object) -> SecretsManagerSource:
    return SecretsManagerSource(endpoint_url=url, environ={}, **kwargs)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TestFetch:
    def test_json_fields_are_read_exactly(self, sm: MotoEndpoint) -> None:
        """A JSON object secret gives its fields, values byte for byte."""
        sm.seed({"app/db": {"USER": "u", "PASSWORD": "p'\"$`\\\n x"}})
        secret = source_for(sm.url).fetch("app/db")
        assert secret.name == "app/db"
        assert {k: v.reveal() for k, v in secret.fields.items()} == {
            "USER": "u",
            "PASSWORD": "p'\"$`\\\n x",
        }
        assert secret.origin == "aws-secretsmanager"
        assert secret.version_id

    def test_numbers_and_booleans_become_json_text(self, sm: MotoEndpoint) -> None:
        """Non-string scalars are kept as their JSON text, as stored (1.50 stays 1.50)."""
        sm.seed({"app/x": '{"PORT": 5432, "TLS": true, "RATIO": 1.50}'})
        fields = source_for(sm.url).fetch("app/x").fields
        assert [fields[k].reveal() for k in ("PORT", "TLS", "RATIO")] == ["5432", "true", "1.50"]

    def test_45_secrets_take_3_batch_requests(self, proxy: FaultProxy, sm: MotoEndpoint) -> None:
        """Batches of at most 20 ids: 45 secrets cost exactly 3 requests."""
        sm.seed({f"bulk/s{i:02}": {"K": str(i)} for i in range(45)})
        proxy.reset()
        result = source_for(proxy.url).fetch_many(f"bulk/s{i:02}" for i in range(45))
        assert len(result) == 45
        assert not result.errors
        assert proxy.count() == 3
        assert proxy.count("BatchGetSecretValue") == 3
        assert result["bulk/s44"].fields["K"].reveal() == "44"

    def test_one_missing_of_11_returns_10_and_names_it(
        self, proxy: FaultProxy, sm: MotoEndpoint
    ) -> None:
        """A missing secret is reported by name; the others are still returned."""
        sm.seed({f"r/s{i}": {"K": "v"} for i in range(10)})
        names = [f"r/s{i}" for i in range(10)] + ["r/missing"]
        proxy.reset()
        result = source_for(proxy.url).fetch_many(names)
        assert sorted(result) == sorted(names[:10])
        assert result.missing == ("r/missing",)
        assert proxy.count() == 1
        with pytest.raises(SecretNotFound, match="r/missing") as info:
            result.raise_errors()
        assert info.value.secret == "r/missing"
        assert info.value.code == "ResourceNotFoundException"

    def test_result_keeps_the_callers_order(self, sm: MotoEndpoint) -> None:
        """Results come in the order asked, duplicates once."""
        sm.seed({"o/b": {"K": "1"}, "o/a": {"K": "2"}, "o/c": {"K": "3"}})
        result = source_for(sm.url).fetch_many(["o/c", "o/a", "o/c", "o/b"])
        assert list(result) == ["o/c", "o/a", "o/b"]

    def test_fetch_by_arn(self, sm: MotoEndpoint) -> None:
        """A secret asked for by ARN is reported under that ARN."""
        sm.seed({"arn/me": {"K": "v"}})
        arn = sm.client().describe_secret(SecretId="arn/me")["ARN"]
        result = source_for(sm.url).fetch_many([arn])
        assert list(result) == [arn]

    @pytest.mark.parametrize("use_batch", [True, False], ids=["batch", "GetSecretValue"])
    def test_one_secret_by_name_full_and_partial_arn(
        self, sm: MotoEndpoint, use_batch: bool
    ) -> None:
        """Asked for in three forms at once, each form gets the secret (it failed the fetch)."""
        sm.seed({"app/db": {"K": "db"}, "app/db2": {"K": "db2"}})
        arn = sm.client().describe_secret(SecretId="app/db")["ARN"]
        partial = arn[: -len("-abcdef")]
        asked = ["app/db", arn, partial, "app/db2"]
        result = source_for(sm.url, use_batch=use_batch).fetch_many(asked)
        assert not result.errors
        assert list(result) == asked
        assert [result[form].fields["K"].reveal() for form in asked] == ["db", "db", "db", "db2"]
        assert [result[form].name for form in asked] == asked

    def test_a_partial_arn_is_not_a_prefix_of_another_name(self, sm: MotoEndpoint) -> None:
        """The partial ARN of app/db never answers for app/db2, whose ARN it prefixes."""
        sm.seed({"app/db": {"K": "db"}, "app/db2": {"K": "db2"}})
        partial2 = sm.client().describe_secret(SecretId="app/db2")["ARN"][: -len("-abcdef")]
        partial = partial2[: -len("2")]
        for asked in ([partial, partial2], [partial2, partial]):
            result = source_for(sm.url).fetch_many(asked)
            assert result[partial2].fields["K"].reveal() == "db2"
            assert result[partial].fields["K"].reveal() == "db"

    def test_profiles_naming_one_secret_by_name_and_by_arn(
        self, sm: MotoEndpoint, aws_env: dict[str, str], tmp_path: Path
    ) -> None:
        """The issue's case through `fetch.main`: both profiles written, exit 0."""
        sm.seed({"app/db": {"DB_PASSWORD": "pw"}})
        arn = sm.client().describe_secret(SecretId="app/db")["ARN"]
        config = tmp_path / "rideinfra.yaml"
        config.write_text(
            json.dumps(
                {
                    "version": 1,
                    "source": {"type": "aws-secretsmanager"},
                    "profiles": {"core": {"secrets": ["app/db"]}, "jobs": {"secrets": [arn]}},
                }
            ),
            encoding="utf-8",
        )
        out = tmp_path / "out"
        env = {**aws_env, "AWS_ENDPOINT_URL": sm.url}
        assert fetch.main(["--config", str(config), "--out", str(out)], env) == 0
        assert (out / "core.env").read_bytes() == (out / "jobs.env").read_bytes()
        assert "DB_PASSWORD=pw" in (out / "core.env").read_text("utf-8").splitlines()

    def test_deleted_secret_is_not_found(self, sm: MotoEndpoint) -> None:
        """A secret scheduled for deletion is SecretNotFound, saying so."""
        sm.seed({"gone/x": {"K": "v"}})
        sm.client().delete_secret(SecretId="gone/x")
        with pytest.raises(SecretNotFound, match=r"gone/x.*deletion"):
            source_for(sm.url).fetch("gone/x")

    @pytest.mark.parametrize(
        ("stored", "kind"),
        [
            ("not json at all: hunter2", "not valid JSON"),
            ('["hunter2"]', "JSON array"),
            ("12345", "JSON number"),
            ("null", "JSON null"),
            ("{}", "empty JSON object"),
        ],
    )
    def test_non_object_secret_is_a_format_error(
        self, sm: MotoEndpoint, stored: str, kind: str
    ) -> None:
        """A secret that is not a JSON object is refused, naming it and not its value."""
        sm.seed({"bad/x": stored})
        with pytest.raises(SecretFormatError, match=kind) as info:
            source_for(sm.url).fetch("bad/x")
        assert "bad/x" in str(info.value)
        assert "hunter2" not in str(info.value)
        assert "12345" not in str(info.value)

    def test_plain_string_with_a_field_name(self, sm: MotoEndpoint) -> None:
        """A non-JSON string becomes the one field the caller names."""
        sm.seed({"plain/token": "abc def"})
        secret = source_for(sm.url, parse=ParseOptions(plain_field="TOKEN")).fetch("plain/token")
        assert secret.fields["TOKEN"].reveal() == "abc def"

    def test_binary_refused_unless_asked_for(self, sm: MotoEndpoint) -> None:
        """SecretBinary is an error by default and base64 text when a field is named."""
        sm.seed({"bin/cert": b"\x00\xffcert"})
        with pytest.raises(SecretFormatError, match=r"bin/cert.*binary"):
            source_for(sm.url).fetch("bin/cert")
        secret = source_for(sm.url, parse=ParseOptions(binary_field="CERT")).fetch("bin/cert")
        assert base64.b64decode(secret.fields["CERT"].reveal()) == b"\x00\xffcert"

    def test_previous_version_stage(self, sm: MotoEndpoint) -> None:
        """version_stage selects AWSPREVIOUS through GetSecretValue."""
        sm.seed({"rot/x": {"K": "old"}})
        sm.client().put_secret_value(SecretId="rot/x", SecretString=json.dumps({"K": "new"}))
        current = source_for(sm.url).fetch("rot/x")
        previous = source_for(sm.url, version_stage="AWSPREVIOUS").fetch("rot/x")
        assert current.fields["K"].reveal() == "new"
        assert previous.fields["K"].reveal() == "old"


_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
# Ids and answer fields of a few secrets in every form, and some that are no form at all.
_forms_of = st.sampled_from(["app/db", "app/db2", "x"]).flatmap(
    lambda name: st.sampled_from(
        [name, f"{_ARN}{name}-AbCdEf", f"{_ARN}{name}", f"{_ARN}{name}-Ab", "", name + "-AbCdEf"]
    )
)


def _forms_as_specified(asked: list[str], item: dict[str, object]) -> list[str]:
    """`_AskedIds.forms` as its docstring says: asked ids equal to the name, then to the ARN,
    then to the ARN less `-` and 6 characters; each id once."""
    name, arn = str(item.get("Name", "")), str(item.get("ARN", ""))
    found = [one for one in asked if one == name]
    if arn and arn != name:
        found += [one for one in asked if one == arn]
        if len(arn) > 7 and arn[-7] == "-" and arn[:-7].startswith("arn:"):
            found += [one for one in dict.fromkeys(asked) if one == arn[:-7] and one not in found]
    return found


@given(
    asked=st.lists(_forms_of, max_size=6, unique=True),
    name=_forms_of | st.integers() | st.none(),
    arn=_forms_of | st.integers(),
)
def test_asked_ids_found_in_an_answer_are_those_it_names(
    asked: list[str], name: object, arn: object
) -> None:
    """Every answer (a field missing, or not a string from an endpoint that is not Secrets
    Manager) is matched to the asked ids that name its secret, in that order."""
    item: dict[str, object] = {"ARN": arn}
    if name is not None:
        item["Name"] = name
    assert _AskedIds(asked).forms(item) == _forms_as_specified(asked, item)


class _Compared(str):
    """A secret name that counts how often it is compared for equality."""

    __hash__ = str.__hash__
    count = 0

    def __eq__(self, other: object) -> bool:
        _Compared.count += 1
        return str.__eq__(self, other)


class _AnswersAll:
    """A client answering every id of a batch read (the only call a fetch of names makes)."""

    def batch_get_secret_value(self, SecretIdList: list[str], **_: object) -> dict[str, object]:
        return {
            "SecretValues": [
                {"Name": one, "ARN": f"{_ARN}{one}-AbCdEf", "SecretString": '{"K": "v"}'}
                for one in SecretIdList
            ]
        }


def test_a_fetch_compares_each_name_a_bounded_number_of_times() -> None:
    """Sorting names into batched and single reads is linear: `in` a tuple of the batched
    names made it quadratic (at 5,000 names, 12.5M string comparisons before any request)."""
    names = [_Compared(f"app/s{i:04d}") for i in range(2_000)]
    source = SecretsManagerSource(client=_AnswersAll())
    _Compared.count = 0
    result = source.fetch_many(names)
    assert len(result) == len(names)
    assert _Compared.count <= 10 * len(names)


class TestFallbackAndFaults:
    def test_batch_denied_falls_back_to_get(self, proxy: FaultProxy, sm: MotoEndpoint) -> None:
        """AccessDenied on BatchGetSecretValue: every secret is read with GetSecretValue."""
        sm.seed({f"d/s{i:02}": {"K": str(i)} for i in range(25)})
        proxy.reset()
        proxy.on({1: Fault.aws("AccessDeniedException")}, action="BatchGetSecretValue")
        source = source_for(proxy.url, max_concurrency=1)
        result = source.fetch_many(f"d/s{i:02}" for i in range(25))
        assert len(result) == 25
        assert not result.errors
        assert proxy.count("GetSecretValue") == 25
        assert proxy.count("BatchGetSecretValue") == 1
        # Later fetches go straight to GetSecretValue.
        source.fetch("d/s00")
        assert proxy.count("BatchGetSecretValue") == 1

    def test_denied_secret_is_reported_by_name(self, proxy: FaultProxy, sm: MotoEndpoint) -> None:
        """AccessDenied on one GetSecretValue is that secret's error, with the code."""
        sm.seed({"d/a": {"K": "1"}})
        proxy.reset()
        proxy.on({1: Fault.aws("AccessDeniedException")}, action="GetSecretValue")
        result = source_for(proxy.url, use_batch=False).fetch_many(["d/a"])
        assert result.errors["d/a"].code == "AccessDeniedException"
        assert "GetSecretValue" in str(result.errors["d/a"])

    def test_short_throttling_is_retried(
        self, proxy: FaultProxy, sm: MotoEndpoint, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Two throttles then success: the fetch succeeds and the retries are logged."""
        sm.seed({"t/a": {"K": "v"}})
        proxy.reset()
        proxy.on({1: Fault.throttle(), 2: Fault.http(503)})
        with caplog.at_level(logging.INFO, logger="rideinfra"):
            secret = source_for(proxy.url).fetch("t/a")
        assert secret.fields["K"].reveal() == "v"
        assert proxy.count() == 3
        assert "after 2 retries" in caplog.text

    def test_long_throttling_fails_with_the_code(self, proxy: FaultProxy, sm: MotoEndpoint) -> None:
        """Throttling past the retry budget is one clear store error."""
        sm.seed({"t/a": {"K": "v"}})
        proxy.reset()
        proxy.on({n: Fault.throttle() for n in range(1, 10)})
        with pytest.raises(SourceError, match="ThrottlingException") as info:
            source_for(proxy.url, max_attempts=3).fetch("t/a")
        assert info.value.code == "ThrottlingException"
        assert proxy.count() == 3

    def test_endpoint_down_fails_fast(self, aws_env: dict[str, str]) -> None:
        """Nothing listening: a clear error naming the endpoint, in bounded time."""
        url = f"http://127.0.0.1:{free_port()}"
        started = time.monotonic()
        with pytest.raises(SourceError, match=r"127\.0\.0\.1") as info:
            source_for(url, max_attempts=2).fetch("any/secret")
        assert time.monotonic() - started < 30
        assert info.value.code == "EndpointConnectionError"

    def test_stalled_endpoint_times_out(self, proxy: FaultProxy, sm: MotoEndpoint) -> None:
        """A server that never answers hits the read timeout, not a hang."""
        proxy.on({n: Fault.stall(3) for n in range(1, 5)})
        started = time.monotonic()
        with pytest.raises(SourceError, match="ReadTimeout"):
            source_for(proxy.url, read_timeout=0.5, max_attempts=2).fetch("any/secret")
        assert time.monotonic() - started < 10

    def test_connection_reset_is_retried(self, proxy: FaultProxy, sm: MotoEndpoint) -> None:
        """A reset connection is retried like any transient network error."""
        sm.seed({"r/a": {"K": "v"}})
        proxy.reset()
        proxy.on({1: Fault.reset()})
        assert source_for(proxy.url).fetch("r/a").fields["K"].reveal() == "v"
        assert proxy.count() == 2

    def test_invalid_credentials_say_so(self, proxy: FaultProxy, sm: MotoEndpoint) -> None:
        """An unrecognised key gives one line telling what to check."""
        proxy.on({1: Fault.aws("UnrecognizedClientException")})
        with pytest.raises(SourceError, match="access key is not valid"):
            source_for(proxy.url).fetch("any/secret")


class TestStore:
    def test_put_is_idempotent(self, sm: MotoEndpoint) -> None:
        """Creating, then putting the same fields again, writes no new version."""
        store = SecretsManagerStore(source_for(sm.url))
        assert store.put("s/x", {"A": "1"}) == "created"
        assert store.put("s/x", {"A": "1"}) == "unchanged"
        assert store.put("s/x", {"A": "2"}) == "updated"
        versions = sm.client().list_secret_version_ids(SecretId="s/x")["Versions"]
        assert len(versions) == 2
        assert store.read("s/x") == {"A": "2"}
        assert store.read("s/none") is None

    def test_put_restores_a_deleted_secret(self, sm: MotoEndpoint) -> None:
        """A name held by a secret scheduled for deletion is restored and written."""
        store = SecretsManagerStore(source_for(sm.url))
        store.put("s/y", {"A": "1"})
        sm.client().delete_secret(SecretId="s/y")
        assert store.put("s/y", {"A": "3"}) == "restored"
        assert store.read("s/y") == {"A": "3"}

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        fields=st.dictionaries(
            st.text(min_size=1, max_size=20),
            st.text(
                st.characters(blacklist_categories=("Cs",)),
                max_size=200,
            )
            | st.sampled_from(["", "$HOME", "${X}", "a\nb", "'\"`\\", "\u00a0 \t\r"]),
            min_size=1,
            max_size=8,
        )
    )
    def test_any_fields_survive_store_and_fetch(
        self, sm: MotoEndpoint, fields: dict[str, str]
    ) -> None:
        """Whatever the fields, put then fetch returns them exactly."""
        name = "prop/x"
        store = SecretsManagerStore(source_for(sm.url))
        store.put(name, fields)
        got = source_for(sm.url).fetch(name)
        assert {k: v.reveal() for k, v in got.fields.items()} == fields

    def test_a_64_kib_secret_survives(self, sm: MotoEndpoint) -> None:
        """A value filling Secrets Manager's 64 KiB limit comes back exactly."""
        value = ("é$`'\"\\\n" * 9000)[: 65536 // 2 - 20]  # two bytes per char in JSON at most
        sm.seed({"big/x": {"V": value}})
        assert source_for(sm.url).fetch("big/x").fields["V"].reveal() == value


class TestConfiguration:
    def test_region_precedence(self) -> None:
        """Argument, then AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1."""
        env = {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-central-1"}
        assert resolve_region("ap-south-1", env) == "ap-south-1"
        assert resolve_region(None, env) == "eu-west-1"
        assert resolve_region(None, {"AWS_DEFAULT_REGION": "eu-central-1"}) == "eu-central-1"
        assert resolve_region(None, {}) == "us-east-1"

    def test_endpoint_from_environ(self) -> None:
        """AWS_ENDPOINT_URL is the only difference between LocalStack and AWS."""
        env = {"AWS_ENDPOINT_URL": "http://localstack:4566"}
        assert SecretsManagerSource(environ=env).endpoint_url == "http://localstack:4566"
        assert SecretsManagerSource(environ={}).endpoint_url is None
        assert repr(SecretsManagerSource(environ=env)) == (
            "SecretsManagerSource(region='us-east-1', endpoint_url='http://localstack:4566')"
        )

    def test_clients_share_botocore_data_per_data_path(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Every client reads botocore's endpoint data and model once per process.

        A fresh loader per client read about 1 MB of JSON again for each
        source built (150-300 ms each); AWS_DATA_PATH still gets its own.
        """
        environ = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}
        monkeypatch.delenv("AWS_DATA_PATH", raising=False)
        first = SecretsManagerSource(region="eu-west-1", environ=environ)._client.get()
        second = SecretsManagerSource(region="us-east-1", environ=environ)._client.get()
        assert first is not second
        assert first._loader is second._loader  # type: ignore[attr-defined]
        monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
        own = SecretsManagerSource(environ=environ)._client.get()._loader  # type: ignore[attr-defined]
        assert own is not first._loader  # type: ignore[attr-defined]
        assert str(tmp_path) in own.search_paths

    def test_import_does_not_load_botocore(self) -> None:
        """import rideinfra.secrets stays free of boto3 and botocore."""
        code = "import sys, rideinfra.secrets; print(sorted(m for m in sys.modules if 'boto' in m))"
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        assert out.strip() == "[]"

    def test_import_loads_none_of_the_heavy_modules(self) -> None:
        """The service start-up path: none of what costs milliseconds and is not needed yet.

        The import-time benchmark (bench/, docs/benchmarks.md) measures the
        milliseconds; this keeps a later change from quietly adding one back.
        """
        heavy = ["asyncio", "attr", "json", "logging", "pathlib", "pydantic", "yaml"]
        code = f"import sys, rideinfra.secrets; print([m for m in {heavy!r} if m in sys.modules])"
        out = subprocess.run(
            [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
        ).stdout
        assert out.strip() == "[]"
