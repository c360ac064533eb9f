"""The test doubles shipped to users: MemorySource and HandlerSource."""

from __future__ import annotations

import base64
import threading

import pytest

from rideinfra.errors import SecretFormatError, SecretNotFound, SourceError
from rideinfra.secrets.base import SecretSource
from rideinfra.secrets.model import ParseOptions, Secret, SecretValue
from rideinfra.testing import HandlerResult, HandlerSource, MemorySource


def revealed(secret: Secret) -> dict[str, str]:
    return {name: value.reveal() for name, value in secret.fields.items()}


class TestMemorySource:
    def test_put_fetch_delete(self) -> None:
        """Secrets put in are fetched with store parsing; deleted ones are not found."""
        source = MemorySource({"a": {"K": "v", "N": 1}})
        assert revealed(source.fetch("a")) == {"K": "v", "N": "1"}
        source.delete("a")
        with pytest.raises(SecretNotFound):
            source.fetch("a")

    def test_records_batches(self) -> None:
        """calls records each fetch_many batch, deduplicated."""
        source = MemorySource({"a": {"K": "v"}})
        source.fetch_many(["a", "b", "a"])
        assert source.calls == [("a", "b")]

    def test_is_a_secret_source(self) -> None:
        """It satisfies the SecretSource protocol."""
        assert isinstance(MemorySource(), SecretSource)

    def test_repr_shows_names_only(self) -> None:
        """repr lists secret names, never values."""
        assert repr(MemorySource({"b": {"K": "hidden"}})) == "MemorySource(secrets=['b'])"


class TestHandlerSource:
    def test_mapping_is_parsed_like_a_json_secret(self) -> None:
        """A returned mapping becomes fields as a JSON SecretString would."""
        source = HandlerSource(lambda name: {"K": "v", "N": 2, "T": True, "X": {"y": 1}})
        secret = source.fetch("a")
        assert revealed(secret)["N"] == "2"
        assert revealed(secret)["T"] == "true"
        assert secret.fields["X"].structured
        assert secret.origin == "handler"

    def test_string_is_the_secret_string(self) -> None:
        """A returned str is parsed as a SecretString, honouring plain_field."""
        assert revealed(HandlerSource(lambda name: '{"K": "v"}').fetch("a")) == {"K": "v"}
        with pytest.raises(SecretFormatError):
            HandlerSource(lambda name: "plain").fetch("a")
        plain = HandlerSource(lambda name: "plain", options=ParseOptions(plain_field="V"))
        assert revealed(plain.fetch("a")) == {"V": "plain"}

    def test_bytes_are_a_secret_binary(self) -> None:
        """Returned bytes are a SecretBinary: refused unless binary_field names a field."""
        with pytest.raises(SecretFormatError, match="binary"):
            HandlerSource(lambda name: b"\x00").fetch("a")
        source = HandlerSource(lambda name: b"\x00", options=ParseOptions(binary_field="B"))
        assert base64.b64decode(source.fetch("a").fields["B"].reveal()) == b"\x00"

    def test_secret_is_used_as_is(self) -> None:
        """A returned Secret is passed through unchanged."""
        secret = Secret("a", {"K": SecretValue("v")}, version_id="v9", origin="custom")
        assert HandlerSource(lambda name: secret).fetch("a") is secret

    def test_none_is_not_found(self) -> None:
        """None means the store has no such secret."""
        result = HandlerSource(lambda name: None).fetch_many(["a"])
        assert result.missing == ("a",)

    @pytest.mark.parametrize("raise_it", [False, True])
    def test_source_errors_are_per_name(self, raise_it: bool) -> None:
        """A SourceError, returned or raised, is that name's error; other names still work."""

        def handler(name: str) -> HandlerResult:
            if name == "denied":
                error = SourceError("denied", secret=name, code="AccessDeniedException")
                if raise_it:
                    raise error
                return error
            return {"K": name}

        result = HandlerSource(handler).fetch_many(["ok", "denied"])
        assert revealed(result["ok"]) == {"K": "ok"}
        assert result.errors["denied"].code == "AccessDeniedException"

    @pytest.mark.parametrize("raise_it", [False, True])
    def test_other_exceptions_escape(self, raise_it: bool) -> None:
        """Any other exception, returned or raised, comes out of fetch_many like a crash."""

        def handler(name: str) -> HandlerResult:
            if raise_it:
                raise TimeoutError("read timed out")
            return TimeoutError("read timed out")

        with pytest.raises(TimeoutError):
            HandlerSource(handler).fetch_many(["a"])

    def test_unsupported_answers_are_type_errors(self) -> None:
        """Returning something that is not a documented answer is a TypeError naming the type."""
        with pytest.raises(TypeError, match="returned a int"):
            HandlerSource(lambda name: 5).fetch("a")  # type: ignore[arg-type,return-value]

    def test_records_every_batch_from_many_threads(self) -> None:
        """calls records each batch, in order of arrival, even from concurrent threads."""
        source = HandlerSource(lambda name: {"K": name})
        threads = [
            threading.Thread(target=source.fetch_many, args=([f"s{i}", "shared"],))
            for i in range(20)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert source.call_count == 20
        assert sorted(batch[0] for batch in source.calls) == sorted(f"s{i}" for i in range(20))

    def test_handler_sees_names_in_batch_order(self) -> None:
        """The handler is called once per unique name, in the order asked."""
        seen: list[str] = []

        def handler(name: str) -> HandlerResult:
            seen.append(name)
            return {"K": "v"}

        HandlerSource(handler).fetch_many(["b", "a", "b"])
        assert seen == ["b", "a"]

    def test_repr_names_the_handler(self) -> None:
        """repr shows the handler's name."""

        def store(name: str) -> HandlerResult:
            return None

        assert repr(HandlerSource(store)) == (
            "HandlerSource(TestHandlerSource.test_repr_names_the_handler.<locals>.store)"
        )
