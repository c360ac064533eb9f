"""Plain-text and binary secrets, declared per secret (rideinfra.yaml's `plain:` / `binary:`).

Every source takes `per_secret`: name -> ParseOptions. A SecretString
declared plain is one field whatever it holds, a JSON object included; the
parsing is the one `parse_secret_string`, so every source agrees.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rideinfra.errors import SecretFormatError
from rideinfra.secrets import (
    CachedSource,
    ChainSource,
    DirectorySource,
    EnvSource,
    FileSource,
    ParseOptions,
    SecretsManagerSource,
)
from rideinfra.secrets.model import (
    NOT_JSON_OBJECT,
    is_json_object,
    options_for,
    parse_secret_binary,
    parse_secret_string,
)
from support.moto import MotoEndpoint

PLAIN = ParseOptions("STRIPE_SECRET_KEY", plain_always=True)
SENTINEL = "sk_test_SENTINEL_4242"


class TestModel:
    @given(st.text(min_size=1))
    def test_plain_always_is_the_whole_text(self, text: str) -> None:
        """Declared plain, any non-empty text (JSON or not) is the one field, exactly."""
        secret = parse_secret_string("webapp/stripe", text, options=PLAIN)
        assert secret.field_names == ("STRIPE_SECRET_KEY",)
        assert secret.fields["STRIPE_SECRET_KEY"].reveal() == text

    def test_plain_always_needs_a_field(self) -> None:
        with pytest.raises(ValueError, match="plain_field"):
            ParseOptions(plain_always=True)

    def test_empty_plain_secret_is_refused_by_name(self) -> None:
        with pytest.raises(SecretFormatError, match=r"'webapp/stripe' is empty; store its value"):
            parse_secret_string("webapp/stripe", "", options=PLAIN)

    def test_hint_names_plain_and_the_config_file(self) -> None:
        """Not a JSON object, not declared: the message says `plain:` and where, not the value."""
        with pytest.raises(SecretFormatError) as info:
            parse_secret_string("webapp/stripe", SENTINEL)
        message = str(info.value)
        assert "`secrets: {webapp/stripe: {plain: FIELD}}`" in message
        assert "the config file (rideinfra.yaml)" in message
        assert SENTINEL not in message
        assert info.value.code == NOT_JSON_OBJECT

    def test_binary_hint_names_binary(self) -> None:
        with pytest.raises(SecretFormatError, match=r"binary: \{field: FIELD"):
            parse_secret_binary("webapp/cert", b"\x00")

    @given(st.binary())
    def test_binary_base64_round_trips(self, data: bytes) -> None:
        options = ParseOptions(binary_field="CERT")
        secret = parse_secret_binary("webapp/cert", data, options=options)
        assert base64.b64decode(secret.fields["CERT"].reveal(), validate=True) == data

    @given(st.text())
    def test_binary_utf8_is_the_text(self, text: str) -> None:
        options = ParseOptions(binary_field="PEM", binary_encoding="utf-8")
        data = text.encode("utf-8", "surrogatepass")
        if not _valid_utf8(data):
            return
        secret = parse_secret_binary("webapp/pem", data, options=options)
        assert secret.fields["PEM"].reveal().encode("utf-8") == data

    def test_binary_not_utf8_is_refused_by_name(self) -> None:
        options = ParseOptions(binary_field="PEM", binary_encoding="utf-8")
        with pytest.raises(
            SecretFormatError, match=r"'webapp/pem' is binary and not UTF-8"
        ) as info:
            parse_secret_binary("webapp/pem", b"SENTINEL\xff", options=options)
        assert "SENTINEL" not in str(info.value)
        assert "encoding: base64" in str(info.value)

    @given(
        st.one_of(
            st.text(),
            st.dictionaries(st.text(), st.text()).map(json.dumps),
            st.lists(st.integers()).map(json.dumps),
        )
    )
    def test_is_json_object_is_what_json_reads_as_an_object(self, text: str) -> None:
        try:
            expected = isinstance(json.loads(text), dict)
        except ValueError:
            expected = False
        assert is_json_object(text) == expected

    def test_options_for(self) -> None:
        default = ParseOptions()
        assert options_for("a", default, {"a": PLAIN}) is PLAIN
        assert options_for("b", default, {"a": PLAIN}) is default
        assert options_for("a", default, None) is default


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class TestAws:
    @pytest.mark.parametrize("use_batch", [True, False], ids=["batch", "get"])
    def test_plain_and_json_as_plain(self, sm: MotoEndpoint, use_batch: bool) -> None:
        """Batch and single get: a plain string, and a JSON object declared plain, are one field."""
        sm.seed(
            {
                "webapp/stripe": SENTINEL,
                "webapp/jsonish": '{"A": "1"}',
                "webapp/db": {"USER": "u"},
            }
        )
        per_secret = {
            "webapp/stripe": PLAIN,
            "webapp/jsonish": ParseOptions("J", plain_always=True),
        }
        source = SecretsManagerSource(
            endpoint_url=sm.url, environ={}, per_secret=per_secret, use_batch=use_batch
        )
        result = source.fetch_many(["webapp/stripe", "webapp/jsonish", "webapp/db"])
        result.raise_errors()
        assert result["webapp/stripe"].fields["STRIPE_SECRET_KEY"].reveal() == SENTINEL
        assert result["webapp/jsonish"].fields["J"].reveal() == '{"A": "1"}'
        assert result["webapp/db"].field_names == ("USER",)

    @pytest.mark.parametrize("use_batch", [True, False], ids=["batch", "get"])
    def test_binary_base64_and_utf8(self, sm: MotoEndpoint, use_batch: bool) -> None:
        sm.seed({"webapp/cert": b"\x00\xffcert", "webapp/pem": b"-----BEGIN-----"})
        per_secret = {
            "webapp/cert": ParseOptions(binary_field="CERT"),
            "webapp/pem": ParseOptions(binary_field="PEM", binary_encoding="utf-8"),
        }
        source = SecretsManagerSource(
            endpoint_url=sm.url, environ={}, per_secret=per_secret, use_batch=use_batch
        )
        result = source.fetch_many(["webapp/cert", "webapp/pem"])
        result.raise_errors()
        assert base64.b64decode(result["webapp/cert"].fields["CERT"].reveal()) == b"\x00\xffcert"
        assert result["webapp/pem"].fields["PEM"].reveal() == "-----BEGIN-----"

    def test_binary_not_utf8_refused_by_name(self, sm: MotoEndpoint) -> None:
        sm.seed({"webapp/pem": b"SENTINEL\xfe"})
        per_secret = {"webapp/pem": ParseOptions(binary_field="PEM", binary_encoding="utf-8")}
        source = SecretsManagerSource(endpoint_url=sm.url, environ={}, per_secret=per_secret)
        with pytest.raises(SecretFormatError, match="'webapp/pem' is binary and not UTF-8") as info:
            source.fetch("webapp/pem")
        assert "SENTINEL" not in str(info.value)


class TestOtherSources:
    def test_file(self, tmp_path: Path) -> None:
        """A string in a secrets file; a mapping declared plain is its JSON text (as stored)."""
        path = tmp_path / "secrets.yaml"
        path.write_text(f"webapp/stripe: {SENTINEL}\nwebapp/obj: {{A: '1'}}\n", encoding="utf-8")
        per_secret = {"webapp/stripe": PLAIN, "webapp/obj": ParseOptions("O", plain_always=True)}
        source = FileSource(path, per_secret=per_secret)
        assert source.fetch("webapp/stripe").fields["STRIPE_SECRET_KEY"].reveal() == SENTINEL
        assert json.loads(source.fetch("webapp/obj").fields["O"].reveal()) == {"A": "1"}

    def test_file_without_plain_names_plain_and_keeps_the_code(self, tmp_path: Path) -> None:
        path = tmp_path / "secrets.yaml"
        path.write_text(f"webapp/stripe: {SENTINEL}\n", encoding="utf-8")
        with pytest.raises(SecretFormatError, match=r"plain: FIELD.*in .*secrets.yaml") as info:
            FileSource(path).fetch("webapp/stripe")
        assert info.value.code == NOT_JSON_OBJECT
        assert SENTINEL not in str(info.value)

    def test_directory_whole_file(self, tmp_path: Path) -> None:
        """A `<dir>/<name>` file declared plain is one field; its bytes exactly."""
        (tmp_path / "webapp").mkdir()
        (tmp_path / "webapp" / "stripe").write_text(SENTINEL + "\n", encoding="utf-8")
        source = DirectorySource(tmp_path, per_secret={"webapp/stripe": PLAIN})
        assert source.fetch("webapp/stripe").fields["STRIPE_SECRET_KEY"].reveal() == SENTINEL + "\n"

    def test_directory_of_fields_stays_fields(self, tmp_path: Path) -> None:
        (tmp_path / "webapp" / "stripe").mkdir(parents=True)
        (tmp_path / "webapp" / "stripe" / "KEY").write_text("k", encoding="utf-8")
        source = DirectorySource(tmp_path, per_secret={"webapp/stripe": PLAIN})
        assert source.fetch("webapp/stripe").field_names == ("KEY",)

    def test_env(self) -> None:
        environ = {"RIDEINFRA_SECRET_WEBAPP_STRIPE": SENTINEL}
        source = EnvSource(environ, per_secret={"webapp/stripe": PLAIN})
        assert source.fetch("webapp/stripe").fields["STRIPE_SECRET_KEY"].reveal() == SENTINEL

    def test_chain_and_cache_pass_it_through(self, tmp_path: Path) -> None:
        """Chain and cache hold no parsing of their own: the leaves' options apply."""
        environ = {"RIDEINFRA_SECRET_WEBAPP_STRIPE": SENTINEL}
        empty = tmp_path / "empty.yaml"
        empty.write_text("{}\n", encoding="utf-8")
        chain = ChainSource(
            FileSource(empty, per_secret={"webapp/stripe": PLAIN}),
            EnvSource(environ, per_secret={"webapp/stripe": PLAIN}),
        )
        with CachedSource(chain) as cached:
            secret = cached.fetch("webapp/stripe")
        assert secret.fields["STRIPE_SECRET_KEY"].reveal() == SENTINEL
