"""Names from a store reach messages and reprs escaped: one printable line, the name still told.

A secret's name, its field names and the variables made from them come from
the store (or a config), and can hold anything: a line break that forges a log
record, ESC that drives the terminal, a comma that reads as two names. Every
refusal the transforms raise, `Secret`'s and `FetchResult`'s repr and
`FetchErrors`' message show them through `rideinfra.errors.printable` or
`shown_name` (quoted by `repr`), never raw.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rideinfra.errors import (
    FetchErrors,
    KeyCollision,
    SecretNotFound,
    TransformError,
    printable,
    shown_name,
)
from rideinfra.secrets import EnvSource, Secret, SecretValue
from rideinfra.secrets.base import FetchResult
from rideinfra.secrets.transforms import (
    Drop,
    Flatten,
    Keys,
    Pipeline,
    Prefix,
    Rename,
    Unflatten,
    entries_from_secret,
    is_env_name,
)
from rideinfra.secrets.transforms._core import unique

SENTINEL = "SENTINEL-VALUE-42"

_HOSTILE = st.sampled_from(
    [
        *("\n", "\r", "\x1b", "\x1b[2J", "\x00", "\x7f", "\x85", "\x9b", "\u2028", "\u202e"),
        *("\t", ",", ", ", " ", ";", ":", "'", '"', "\\", "\\n", "\ud800"),
    ]
)
#: Names with control characters, line breaks, ESC, commas, quotes, and anything else.
names = st.lists(
    _HOSTILE | st.characters() | st.sampled_from("AZ_az09/"), min_size=1, max_size=10
).map("".join)


def one_line(text: str) -> None:
    """`text` is one line of printable characters (no newline, no control character)."""
    assert text.isprintable(), repr(text)


def _secret(name: str, fields: list[str]) -> Secret:
    return Secret(name, {field: SecretValue(SENTINEL) for field in fields}, origin="o")


_fields = st.lists(names, min_size=1, max_size=4, unique=True)


class TestSecretAndFetchResult:
    @given(name=names, fields=_fields)
    def test_repr_is_one_line_and_names_each_field(self, name: str, fields: list[str]) -> None:
        text = repr(_secret(name, fields))
        one_line(text)
        assert SENTINEL not in text
        assert repr(name) in text
        for field in fields:
            assert repr(field) in text  # quoted: "B, C" is one field, not two

    def test_the_reviewed_secret(self) -> None:
        secret = _secret("app\nCRITICAL forged", ["A\nFORGED\x1b[2J", "B, C"])
        assert repr(secret) == (
            "Secret(name='app\\nCRITICAL forged', fields=['A\\nFORGED\\x1b[2J', 'B, C'], "
            "version_id=None, origin='o')"
        )

    @given(found=_fields, failed=_fields)
    def test_fetch_result_repr(self, found: list[str], failed: list[str]) -> None:
        result = FetchResult(
            {n: _secret(n, ["F"]) for n in found},
            {n: SecretNotFound(f"secret {n!r} not found", secret=n) for n in failed},
        )
        text = repr(result)
        one_line(text)
        for name in found + failed:
            assert repr(name) in text


class TestFetchErrors:
    @given(secrets=st.lists(names, min_size=2, max_size=5, unique=True))
    def test_one_printable_line_per_secret(self, secrets: list[str]) -> None:
        with pytest.raises(FetchErrors) as info:
            EnvSource({}).fetch_many(secrets).raise_errors()
        lines = str(info.value).split("\n")
        if len(lines) == 1:  # names that sanitise alike: one variable, one reason
            one_line(lines[0])
            assert "all for the same reason" in lines[0]
            return
        assert len(lines) == 1 + len(secrets)  # the heading, then one line per secret
        for line in lines:
            one_line(line)
        for name, line in zip(sorted(secrets), lines[1:], strict=True):
            assert line.startswith(f"  {shown_name(name)}: ")

    @given(secrets=st.lists(names, min_size=2, max_size=8, unique=True))
    def test_the_same_reason_is_one_line(self, secrets: list[str]) -> None:
        error = FetchErrors(
            {n: SecretNotFound(f"secret {n!r} not found", secret=n) for n in secrets}
        )
        text = str(error)
        one_line(text)
        assert "all for the same reason" in text
        for name in sorted(secrets)[:6]:
            assert repr(name) in text

    @given(secrets=st.lists(names, min_size=2, max_size=4, unique=True))
    def test_an_error_with_a_raw_line_break_is_escaped(self, secrets: list[str]) -> None:
        # A source's own message (not rideinfra's) that holds a name raw.
        error = FetchErrors(
            {n: SecretNotFound(f"no {n} here, {i}", secret=n) for i, n in enumerate(secrets)}
        )
        lines = str(error).split("\n")
        assert len(lines) == 1 + len(secrets)
        for line in lines:
            one_line(line)

    def test_the_reviewed_names(self) -> None:
        with pytest.raises(FetchErrors) as info:
            EnvSource({}).fetch_many(["a\nFORGED: ok", "b"]).raise_errors()
        lines = str(info.value).split("\n")
        assert len(lines) == 3
        assert lines[1].startswith("  'a\\nFORGED: ok': secret 'a\\nFORGED: ok' not found")
        assert lines[2].startswith("  b: secret 'b' not found")


def _refusal(transform: object, secret: Secret) -> str:
    with pytest.raises(TransformError) as info:
        transform(entries_from_secret(secret))  # type: ignore[operator]
    text = str(info.value)
    one_line(text)
    assert SENTINEL not in text
    return text


class TestTransformRefusals:
    @pytest.mark.parametrize(
        "make",
        [Keys, Drop, lambda names: Rename(dict.fromkeys(names, "X"))],
        ids=["keys", "drop", "rename"],
    )
    @given(name=names, fields=_fields, absent=names)
    def test_an_absent_field_names_the_secret_and_each_field(
        self, make: object, name: str, fields: list[str], absent: str
    ) -> None:
        if absent in fields:
            return
        text = _refusal(make([absent]), _secret(name, fields))  # type: ignore[operator]
        assert shown_name(absent) in text
        assert shown_name(name) in text
        have = text.split("has only: ", 1)[1]
        for field in fields:
            assert shown_name(field) in have

    def test_a_comma_in_a_field_is_one_field(self) -> None:
        text = _refusal(Keys(["NOPE"]), _secret("app/db", ["B, C", "D"]))
        assert "has only: 'B, C', D;" in text

    @given(name=names, fields=_fields)
    def test_an_invalid_variable_names_its_origin(self, name: str, fields: list[str]) -> None:
        fields = [f for f in fields if not is_env_name("P_" + f)] or ["a b"]
        text = _refusal(Pipeline(Prefix("P_")), _secret(name, fields))
        assert printable(f"{name}:{fields[0]}") in text
        assert repr("P_" + fields[0]) in text

    @given(name=names, field=names)
    def test_two_fields_becoming_one_name_names_both(self, name: str, field: str) -> None:
        if field == "X":
            return
        text = _refusal(Rename({field: "X"}), _secret(name, [field, "X"]))
        assert printable(f"{name}:{field}") in text
        assert printable(f"{name}:X") in text

    @given(name=names, step=names, variable=names, first=names, second=names)
    def test_unique_and_key_collision(
        self, name: str, step: str, variable: str, first: str, second: str
    ) -> None:
        entries = entries_from_secret(_secret(name, [first]))
        twice = (entries[0].renamed(variable, step), entries[0].renamed(variable, step))
        with pytest.raises(TransformError) as info:
            unique(twice, step)
        one_line(str(info.value))
        assert shown_name(variable) in str(info.value)
        collision = str(KeyCollision(variable, first, second, profile=name))
        one_line(collision)
        assert shown_name(variable) in collision
        assert printable(first) in collision
        assert printable(second) in collision

    @given(name=names, field=names, key=names)
    def test_flatten_null_and_unflatten_conflict(self, name: str, field: str, key: str) -> None:
        nested = SecretValue('{"k": {' + _json_str(key) + ": null}}", structured=True)
        secret = Secret(name, {field: nested})
        text = _refusal(Flatten(), secret)
        assert printable(f"{name}:{field}") in text
        word = "".join(ch for ch in key if ch != "_") or "k"  # one segment, whatever it holds
        clash = Secret(
            name, {"P__" + word: SecretValue("1"), "P__" + word + "__B": SecretValue("2")}
        )
        with pytest.raises(TransformError) as info:
            Unflatten(prefix="P", lowercase=False)(entries_from_secret(clash))
        one_line(str(info.value))


def _json_str(text: str) -> str:
    import json

    return json.dumps(text)


@settings(max_examples=50)
@given(name=names)
def test_shown_name_is_printable_and_reads_back(name: str) -> None:
    import ast

    shown = shown_name(name)
    one_line(shown)
    assert shown == name or ast.literal_eval(shown) == name
