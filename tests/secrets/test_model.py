"""The secret value model: values that never show themselves, and how stored text becomes fields."""

from __future__ import annotations

import base64
import copy
import copyreg
import dataclasses
import json
import logging
import pickle
import traceback
from typing import Any

import jsonpickle
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from rideinfra.errors import SecretFormatError, SerializationRefused
from rideinfra.secrets.model import (
    MASK,
    ParseOptions,
    Secret,
    SecretValue,
    _decoder,
    _DuplicateKey,
    _json_of,
    parse_secret_binary,
    parse_secret_string,
)

# A value that cannot appear in any message by accident.
SENTINEL = "s3cr3t-Sentinel-9f8e7d"

# Values to carry: unicode, quotes, $, backslashes, newlines, CR, tabs, NUL, empty, 64 KiB.
values = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from("'\"$`\\#= \t\r\n{}é日😀\x00"), max_size=40),
    st.just("x" * 65536),
)
field_names = st.text(min_size=1, max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


def jsonpickled(value: object, **options: Any) -> str:
    """jsonpickle.encode with keys=True (its 5.0 default; False warns)."""
    return str(jsonpickle.encode(value, keys=True, **options))


class TestSecretValue:
    def test_reveal_returns_the_exact_text(self) -> None:
        """reveal() is the one way to the text, and it is exact."""
        assert SecretValue(f" {SENTINEL}\n").reveal() == f" {SENTINEL}\n"

    @pytest.mark.parametrize(
        "show",
        [
            repr,
            str,
            ascii,
            lambda v: f"{v}",
            lambda v: f"{v!r}",
            lambda v: f"{v:>40}",
            "{}".format,
            lambda v: "%s" % v,  # noqa: UP031 - %-formatting is the point
            lambda v: "%r" % (v,),  # noqa: UP031
            lambda v: str([v, {"k": v}]),
        ],
    )
    def test_every_way_of_showing_it_prints_the_mask(self, show: object) -> None:
        """repr, str, format, f-strings, % and containers show the mask only."""
        text = show(SecretValue(SENTINEL))  # type: ignore[operator]
        assert SENTINEL not in text
        assert MASK in text

    def test_logging_shows_the_mask(self, caplog: pytest.LogCaptureFixture) -> None:
        """A value passed to a logger, as an argument or in extra, is masked in the output."""
        logger = logging.getLogger("rideinfra.test_model")
        with caplog.at_level(logging.DEBUG, logger="rideinfra.test_model"):
            logger.debug("value %s %r", SecretValue(SENTINEL), SecretValue(SENTINEL))
            logger.debug("fields %s", {"A": SecretValue(SENTINEL)})
        assert SENTINEL not in caplog.text
        assert caplog.text.count(MASK) == 3

    @pytest.mark.parametrize(
        "serialise",
        [
            pickle.dumps,
            lambda v: pickle.dumps(v, protocol=0),
            lambda v: pickle.dumps({"nested": [v]}),
            lambda v: copyreg._reduce_ex(v, 0),  # type: ignore[attr-defined]
            lambda v: v.__reduce_ex__(4),
            lambda v: v.__reduce__(),
            lambda v: v.__getstate__(),
            lambda v: v.__setstate__((None, {"_value": "x"})),
            jsonpickled,
            lambda v: jsonpickled(v, unpicklable=False),
            lambda v: jsonpickled(v, include_properties=True, warn=True),
            lambda v: jsonpickled({"k": v}),
            yaml.dump,
        ],
        ids=[
            "pickle",
            "pickle protocol 0",
            "pickle inside a container",
            "copyreg",
            "__reduce_ex__",
            "__reduce__",
            "__getstate__",
            "__setstate__",
            "jsonpickle",
            "jsonpickle unpicklable=False",
            "jsonpickle include_properties",
            "jsonpickle inside a dict",
            "yaml.dump",
        ],
    )
    def test_every_serialisation_route_is_refused(self, serialise: Any) -> None:
        """pickle, copyreg, the dunder hooks, jsonpickle and PyYAML all raise, naming no value.

        jsonpickle catches TypeError from the hooks and then reads the slots,
        so the refusal must not be a TypeError (it wrote the text before).
        """
        with pytest.raises(SerializationRefused, match="cannot be pickled or serialised") as info:
            serialise(SecretValue(SENTINEL))
        assert SENTINEL not in "".join(traceback.format_exception(info.value))

    @pytest.mark.parametrize(
        "serialise",
        [pickle.dumps, jsonpickled, yaml.dump],
        ids=["pickle", "jsonpickle", "yaml.dump"],
    )
    def test_a_secret_is_refused_too(self, serialise: Any) -> None:
        """A Secret holds values: refused by name, not by a mappingproxy accident."""
        with pytest.raises(SerializationRefused, match=r"^Secret cannot"):
            serialise(Secret("app/x", {"A": SecretValue(SENTINEL)}))

    def test_other_views_show_no_value(self) -> None:
        """json.dumps and vars() refuse; dataclasses.asdict and json default=str keep the mask."""
        value = SecretValue(SENTINEL)
        with pytest.raises(TypeError, match="not JSON serializable"):
            json.dumps({"k": value})
        assert json.dumps({"k": value}, default=str) == json.dumps({"k": MASK})
        with pytest.raises(TypeError):
            vars(value)
        assert not hasattr(value, "__dict__")

        @dataclasses.dataclass
        class Holder:
            token: SecretValue

        flat = dataclasses.asdict(Holder(value))
        assert flat["token"] is value
        assert SENTINEL not in repr(flat) + str(flat)

    def test_copies_are_the_same_object(self) -> None:
        """copy and deepcopy return the value itself (immutable; no second copy in memory)."""
        value = SecretValue(SENTINEL)
        assert copy.copy(value) is value
        assert copy.deepcopy({"v": value})["v"] is value

    def test_a_secret_copies_as_itself(self) -> None:
        """A Secret (immutable) copies and deep-copies as itself; it failed with AttributeError."""
        secret = Secret("app/x", {"A": SecretValue(SENTINEL)})
        assert copy.copy(secret) is secret
        assert copy.deepcopy([secret])[0] is secret

    def test_equality_and_hash_follow_the_text(self) -> None:
        """Equal texts are equal and hash alike; different texts and structured flags differ."""
        a, b = SecretValue(SENTINEL), SecretValue(SENTINEL)
        assert a == b
        assert hash(a) == hash(b)
        assert len({a, b}) == 1
        assert a != SecretValue(SENTINEL + "x")
        assert a != SecretValue(SENTINEL, structured=True)

    def test_not_equal_to_its_plain_text(self) -> None:
        """A SecretValue never equals a str, so a comparison cannot reveal it by accident."""
        assert SecretValue(SENTINEL) != SENTINEL
        assert SENTINEL != SecretValue(SENTINEL)  # noqa: SIM300 - the str side's __ne__ too

    def test_equality_handles_surrogates(self) -> None:
        """Lone surrogates (possible from JSON escapes) compare without an encoding error."""
        assert SecretValue("\ud800") == SecretValue("\ud800")
        assert SecretValue("\ud800") != SecretValue("\ud801")

    def test_length_and_truth_follow_the_text(self) -> None:
        """len() and bool() describe the text without showing it."""
        assert len(SecretValue("abc")) == 3
        assert not SecretValue("")
        assert SecretValue("x")

    def test_only_text_is_accepted(self) -> None:
        """Wrapping bytes or None is a TypeError that names the type only."""
        with pytest.raises(TypeError, match="bytes"):
            SecretValue(b"x")  # type: ignore[arg-type]

    @given(value=values)
    def test_any_value_is_masked_and_revealed_exactly(self, value: str) -> None:
        """For any text, repr and str are the mask and reveal() is the text."""
        secret_value = SecretValue(value)
        assert repr(secret_value) == f"SecretValue('{MASK}')"
        assert str(secret_value) == f"{secret_value}" == MASK
        assert secret_value.reveal() == value


class TestImmutableValues:
    def test_secret_value_init_again_is_refused(self) -> None:
        value = SecretValue("a")
        with pytest.raises(AttributeError, match="immutable"):
            value.__init__("b")  # type: ignore[misc]
        with pytest.raises(AttributeError, match="immutable"):
            value.__init__("a", structured=True)  # type: ignore[misc]
        assert value.reveal() == "a"
        assert value.structured is False

    def test_a_parsed_value_init_again_is_refused(self) -> None:
        """The fetch path builds values without __init__; a later call is still refused."""
        value = parse_secret_string("s", '{"A": "a", "N": 1}').fields["A"]
        number = parse_secret_string("s", '{"A": "a", "N": 1}').fields["N"]
        for held in (value, number):
            text = held.reveal()
            with pytest.raises(AttributeError, match="immutable"):
                held.__init__("b")  # type: ignore[misc]
            assert held.reveal() == text

    @given(values, st.booleans())
    def test_a_built_value_is_what_it_was_given(self, text: str, structured: bool) -> None:
        value = SecretValue(text, structured=structured)
        assert value.reveal() == text
        assert value.structured is structured

    def test_parse_options_init_again_is_refused(self) -> None:
        options = ParseOptions()
        with pytest.raises(AttributeError, match="immutable"):
            options.__init__(plain_field="X")  # type: ignore[misc]
        assert options == ParseOptions()

    @pytest.mark.parametrize("argument", ["plain_field", "binary_field"])
    @pytest.mark.parametrize("wrong", [5, b"F", ["F"]])
    def test_parse_options_field_names_are_str(self, argument: str, wrong: object) -> None:
        with pytest.raises(TypeError, match=f"{argument} must be a field name"):
            ParseOptions(**{argument: wrong})  # type: ignore[arg-type]


class TestSecret:
    def test_repr_lists_field_names_only(self) -> None:
        """repr shows the name, field names, version and origin, never a value."""
        secret = Secret("app/db", {"USER": SecretValue(SENTINEL)}, version_id="v1", origin="o")
        assert repr(secret) == "Secret(name='app/db', fields=['USER'], version_id='v1', origin='o')"
        assert secret.field_names == ("USER",)

    def test_is_immutable(self) -> None:
        """Neither the secret nor its fields can be changed after it is made."""
        fields = {"A": SecretValue("1")}
        secret = Secret("app/x", fields)
        fields["B"] = SecretValue("2")
        assert secret.field_names == ("A",)
        with pytest.raises(TypeError):
            secret.fields["A"] = SecretValue("3")  # type: ignore[index]
        with pytest.raises(AttributeError, match="immutable"):
            secret.name = "other"  # type: ignore[misc]

    @pytest.mark.parametrize(
        ("args", "kwargs", "names"),
        [
            (("n", {"F": SENTINEL}), {}, ["field 'F'", "SecretValue", "str"]),
            (("n", {"F": SecretValue("v"), "G": b"SENTINEL"}), {}, ["field 'G'", "bytes"]),
            ((5, {}), {}, ["name", "int"]),
            (("n", None), {}, ["fields", "NoneType"]),
            (("n", [("F", SecretValue("v"))]), {}, ["fields", "list"]),
            (("n", {1: SecretValue("v")}), {}, ["field names", "int"]),
            (("n", {}), {"version_id": 3}, ["version_id", "int"]),
            (("n", {}), {"origin": None}, ["origin", "NoneType"]),
        ],
    )
    def test_wrong_types_are_refused_by_name_never_by_value(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], names: list[str]
    ) -> None:
        """A value that is not a SecretValue would show itself in `.fields`: refused,
        the message naming the argument or field and the type, not the value."""
        with pytest.raises(TypeError) as info:
            Secret(*args, **kwargs)
        for name in names:
            assert name in str(info.value)
        assert SENTINEL not in str(info.value)

    def test_a_field_name_in_the_type_error_is_escaped(self) -> None:
        with pytest.raises(TypeError) as info:
            Secret("a\nb", {"F\x1b[2J": SENTINEL})  # type: ignore[dict-item]
        assert str(info.value).isprintable()
        assert "'a\\nb'" in str(info.value)
        assert "'F\\x1b[2J'" in str(info.value)

    def test_init_again_is_refused(self) -> None:
        """A built Secret (a cached one, held by every reader) cannot be re-initialised."""
        secret = Secret("app/x", {"A": SecretValue("1")}, version_id="v", origin="o")
        with pytest.raises(AttributeError, match="immutable"):
            secret.__init__("other", {"B": SecretValue("2")})  # type: ignore[misc]
        assert secret == Secret("app/x", {"A": SecretValue("1")}, version_id="v", origin="o")
        fetched = parse_secret_string("app/y", '{"A": "1"}')
        with pytest.raises(AttributeError, match="immutable"):
            fetched.__init__("other", {})  # type: ignore[misc]
        assert fetched.name == "app/y"
        assert fetched.field_names == ("A",)

    def test_equal_secrets_compare_equal(self) -> None:
        """Two secrets with the same name, fields and metadata are equal."""
        one = Secret("a", {"K": SecretValue("v")}, origin="x")
        assert one == Secret("a", {"K": SecretValue("v")}, origin="x")
        assert one != Secret("a", {"K": SecretValue("w")}, origin="x")


class TestParseSecretString:
    def test_json_object_gives_fields_in_order(self) -> None:
        """Each key of a JSON object is a field, in the stored order, with its exact text."""
        secret = parse_secret_string("app/db", '{"USER": "u", "PASSWORD": " p\\n"}', origin="t")
        assert secret.field_names == ("USER", "PASSWORD")
        assert secret.fields["PASSWORD"].reveal() == " p\n"
        assert secret.origin == "t"

    @pytest.mark.parametrize(
        ("stored", "text"),
        [("5432", "5432"), ("1.5", "1.5"), ("1.0", "1.0"), ("true", "true"), ("false", "false")],
    )
    def test_numbers_and_booleans_become_their_json_text(self, stored: str, text: str) -> None:
        """Numbers and booleans are their JSON text (true, not Python's True)."""
        secret = parse_secret_string("app/x", f'{{"V": {stored}}}')
        assert secret.fields["V"].reveal() == text
        assert not secret.fields["V"].structured

    def test_nested_values_stay_structured(self) -> None:
        """Nested objects and arrays are kept as structured JSON text for flatten."""
        secret = parse_secret_string("app/x", '{"core": {"fernet_key": "k"}, "hosts": ["a", 1]}')
        assert secret.fields["core"].structured
        assert json.loads(secret.fields["core"].reveal()) == {"fernet_key": "k"}
        assert json.loads(secret.fields["hosts"].reveal()) == ["a", 1]

    def test_null_field_is_an_error_naming_secret_and_field(self) -> None:
        """A null field is refused, naming the secret and the field."""
        with pytest.raises(SecretFormatError, match=r"'app/x' field 'K' is null") as info:
            parse_secret_string("app/x", '{"K": null}')
        assert info.value.secret == "app/x"

    def test_non_json_names_the_secret_not_the_value(self) -> None:
        """Text that is not JSON is refused; the message names the secret and hides the text."""
        with pytest.raises(SecretFormatError, match="not valid JSON") as info:
            parse_secret_string("app/x", f"{SENTINEL} {{")
        assert "'app/x'" in str(info.value)
        assert SENTINEL not in str(info.value)
        assert SENTINEL not in "".join(traceback.format_exception(info.value))

    @pytest.mark.parametrize(
        ("text", "kind"),
        [("[1, 2]", "array"), ("42", "number"), ("null", "null"), ('"s"', "string")],
    )
    def test_other_json_top_levels_are_refused(self, text: str, kind: str) -> None:
        """A JSON array, number, null or string is not a secret of fields."""
        with pytest.raises(SecretFormatError, match=f"a JSON {kind}"):
            parse_secret_string("app/x", text)

    @pytest.mark.parametrize("text", ["plain text", "[1, 2]", "42", "null", '"quoted"', "{"])
    def test_plain_field_takes_any_non_object_verbatim(self, text: str) -> None:
        """With plain_field, text that is not a JSON object is that one field, exactly."""
        secret = parse_secret_string("app/x", text, options=ParseOptions(plain_field="VALUE"))
        assert secret.field_names == ("VALUE",)
        assert secret.fields["VALUE"].reveal() == text

    def test_plain_field_leaves_objects_alone(self) -> None:
        """A JSON object still gives its fields when plain_field is set."""
        secret = parse_secret_string("app/x", '{"A": "1"}', options=ParseOptions(plain_field="V"))
        assert secret.field_names == ("A",)

    @pytest.mark.parametrize("text", ["", "{}"])
    def test_empty_is_refused(self, text: str) -> None:
        """An empty string or empty object has no fields to use."""
        with pytest.raises(SecretFormatError, match=r"'app/x' is (an )?empty"):
            parse_secret_string("app/x", text)

    @given(fields=st.dictionaries(field_names, values, min_size=1, max_size=5))
    def test_any_fields_survive_json_exactly(self, fields: dict[str, str]) -> None:
        """Any dict of text fields, stored as JSON, parses back to the same texts."""
        secret = parse_secret_string("app/x", json.dumps(fields))
        assert {k: v.reveal() for k, v in secret.fields.items()} == fields

    @pytest.mark.parametrize(
        ("text", "key"),
        [
            (f'{{"TOKEN": "first", "TOKEN": "{SENTINEL}"}}', "TOKEN"),
            (f'{{"A": "1", "B": "{SENTINEL}", "A": "{SENTINEL}"}}', "A"),
            (f'{{"core": {{"key": "x", "key": "{SENTINEL}"}}}}', "key"),
            (f'{{"list": [{{"k": 1, "k": "{SENTINEL}"}}]}}', "k"),
            ('{"a\\u0000b": 1, "a\\u0000b": 2}', "a\x00b"),
        ],
        ids=["top level", "apart", "nested object", "object in an array", "control character"],
    )
    def test_duplicate_keys_are_refused_naming_the_key(self, text: str, key: str) -> None:
        """A repeated key (json would keep the last silently) names secret and key, no value."""
        with pytest.raises(SecretFormatError) as info:
            parse_secret_string("app/dup", text)
        message = str(info.value)
        assert message.startswith(f"secret 'app/dup' has the key {key!r} twice")
        assert info.value.secret == "app/dup"
        assert info.value.__cause__ is None
        assert SENTINEL not in "".join(traceback.format_exception(info.value))

    @given(
        fields=st.dictionaries(field_names, values, min_size=1, max_size=5),
        data=st.data(),
    )
    def test_any_repeated_key_is_refused(self, fields: dict[str, str], data: st.DataObject) -> None:
        """Whatever the fields, repeating one of them anywhere in the object is refused."""
        pairs = list(fields.items())
        repeated = data.draw(st.sampled_from(pairs))
        at = data.draw(st.integers(0, len(pairs)))
        pairs.insert(at, (repeated[0], SENTINEL))
        text = "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in pairs) + "}"
        with pytest.raises(SecretFormatError, match="twice") as info:
            parse_secret_string("app/x", text)
        assert repr(repeated[0]) in str(info.value)
        assert SENTINEL not in str(info.value)

    @given(
        data=json_values,
        indent=st.none() | st.integers(0, 2),
        before=st.text(alphabet=" \t\r\n", max_size=2),
        after=st.text(alphabet=" \t\r\n", max_size=2),
        junk=st.sampled_from(["", "}", "x", ",{}", '"']),
        cut=st.integers(0, 3),
    )
    def test_the_fast_object_scan_decodes_as_json_does(
        self, data: Any, indent: int | None, before: str, after: str, junk: str, cut: int
    ) -> None:
        """`_json_of`'s shortcut for a bare object: the same value or the same error as the
        decoder's own `decode`, whatever whitespace, truncation or junk surrounds the text."""
        text = before + json.dumps(data, indent=indent) + after + junk
        text = text[: len(text) - cut] if cut and len(text) > cut else text

        def outcome(decode: Any) -> Any:
            try:
                return ("value", decode(text))
            except json.JSONDecodeError as exc:
                return ("invalid", exc.msg, exc.pos)
            except ValueError as exc:  # NaN, Infinity: Python's json reads them, JSON has none
                return ("refused", str(exc))
            except _DuplicateKey as exc:
                return ("duplicate", exc.key)

        assert outcome(_json_of) == outcome(_decoder().decode)

    @given(value=st.text(min_size=1).filter(lambda v: not v.lstrip().startswith(("{", "["))))
    def test_format_errors_never_contain_the_text(self, value: str) -> None:
        """Whatever non-object text is stored, the error names the secret and not the text."""
        marked = SENTINEL + value
        with pytest.raises(SecretFormatError) as info:
            parse_secret_string("app/x", marked)
        assert SENTINEL not in str(info.value)


class TestParseSecretBinary:
    def test_refused_unless_a_field_is_named(self) -> None:
        """Binary is refused by default, naming the secret and the option to use."""
        with pytest.raises(SecretFormatError, match=r"'app/bin' is binary.*binary_field"):
            parse_secret_binary("app/bin", b"\x00\xff")

    def test_base64_by_default(self) -> None:
        """Any bytes become their base64 text in the named field."""
        secret = parse_secret_binary("app/bin", b"\x00\xff", options=ParseOptions(binary_field="B"))
        assert base64.b64decode(secret.fields["B"].reveal()) == b"\x00\xff"

    def test_utf8_text_when_asked(self) -> None:
        """binary_encoding='utf-8' keeps UTF-8 bytes as text and refuses the rest."""
        options = ParseOptions(binary_field="B", binary_encoding="utf-8")
        assert parse_secret_binary("a", "é".encode(), options=options).fields["B"].reveal() == "é"
        with pytest.raises(SecretFormatError, match="not UTF-8"):
            parse_secret_binary("a", b"\xff", options=options)


# JSON's number grammar (RFC 8259, section 6): every text a JSON writer may store.
json_numbers = st.from_regex(r"\A-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,4})?\Z")


class TestNumbersAsStored:
    """A number field is the text the store holds: read as a float, 1e5 came out 100000.0."""

    @pytest.mark.parametrize(
        ("stored", "field"),
        [("1e5", "1e5"), ("1.10", "1.10"), ("-0", "-0"), ("1E400", "1E400"), ("0.1e-3", "0.1e-3")],
    )
    def test_the_cases_the_review_found(self, stored: str, field: str) -> None:
        secret = parse_secret_string("app/x", '{"N": ' + stored + "}")
        assert secret.fields["N"].reveal() == field

    @given(json_numbers)
    def test_any_json_number_is_its_text(self, number: str) -> None:
        secret = parse_secret_string("app/x", '{"N": ' + number + ', "S": "s"}')
        assert secret.fields["N"].reveal() == number
        assert secret.fields["S"].reveal() == "s"

    @given(json_numbers, st.lists(json_numbers, max_size=4))
    def test_a_nested_number_is_its_text_after_flatten(
        self, number: str, listed: list[str]
    ) -> None:
        from rideinfra.secrets.transforms import Flatten, entries_from_secret

        text = '{"core": {"n": ' + number + ', "l": [' + ", ".join(listed) + "]}}"
        out = Flatten()(entries_from_secret(parse_secret_string("app/x", text)))
        values = {e.name: e.value.reveal() for e in out}
        assert values["CORE__N"] == number
        assert values["CORE__L"] == "[" + ", ".join(listed) + "]"

    @pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
    def test_nan_and_infinity_are_not_json(self, constant: str) -> None:
        with pytest.raises(SecretFormatError, match="not valid JSON") as caught:
            parse_secret_string("app/x", '{"N": ' + constant + "}")
        assert "app/x" in str(caught.value)
        plain = parse_secret_string(
            "app/x", '{"N": ' + constant + "}", options=ParseOptions(plain_field="V")
        )
        assert plain.fields["V"].reveal() == '{"N": ' + constant + "}"

    def test_a_bare_number_is_named_a_number(self) -> None:
        with pytest.raises(SecretFormatError, match="a JSON number"):
            parse_secret_string("app/x", "1.5")
