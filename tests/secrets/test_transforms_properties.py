"""Hypothesis properties of transforms: valid names or an error, nothing lost, no value shown."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rideinfra.errors import TransformError
from rideinfra.secrets.model import Secret, SecretValue, parse_secret_string
from rideinfra.secrets.transforms import (
    Airflow,
    Drop,
    Entry,
    Flatten,
    Keys,
    Pipeline,
    Prefix,
    Qualify,
    Rename,
    Sanitize,
    Transform,
    Unflatten,
    Uppercase,
    entries_from_secret,
    is_env_name,
)

# Field names mix valid characters with ones a variable name cannot hold.
NAME_CHARS = st.sampled_from(list("ABCXYZabcxyz0189_-. éß/"))
field_names = st.text(NAME_CHARS, max_size=8)
WORD_CHARS = "ABCXYZabcxyz0189_"
words = st.text(st.sampled_from(WORD_CHARS), min_size=1, max_size=6)
env_names = st.builds(
    str.__add__, st.sampled_from("ABXYabxy_"), st.text(st.sampled_from(WORD_CHARS), max_size=6)
)
sections = st.builds(str.__add__, words, st.one_of(st.just(""), words.map(lambda w: "." + w)))

# Values hold everything a renderer must survive; the marker proves they never leak.
MARKER = "§VALUE§"
values = st.text(
    st.one_of(st.sampled_from(list("'\"$`\\#= \n\r\t{}[]:é😀\x00")), st.characters()), max_size=12
).map(lambda text: MARKER + text)


def leaves(max_leaves: int = 6) -> st.SearchStrategy[Any]:
    """Values as a JSON secret holds them: strings, numbers, booleans, lists, nested objects."""
    scalar = st.one_of(values, st.integers(), st.booleans())
    return st.recursive(
        scalar,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(field_names, inner, max_size=3)
        ),
        max_leaves=max_leaves,
    )


flat_secrets = st.dictionaries(field_names, values, min_size=1, max_size=6)
nested_secrets = st.dictionaries(field_names, leaves(), min_size=1, max_size=5)


def as_entries(fields: dict[str, Any], name: str = "app/secret") -> tuple[Entry, ...]:
    return entries_from_secret(parse_secret_string(name, json.dumps(fields), origin="memory"))


@st.composite
def transforms(  # noqa: PLR0911 - one return per kind of transform reads best
    draw: st.DrawFn, fields: list[str]
) -> Transform:
    """Any transform, with arguments that sometimes fit the secret and sometimes do not."""
    some_field = st.sampled_from(fields) if fields else field_names
    some = st.lists(some_field, min_size=1, unique=True)
    kind = draw(st.sampled_from(["rename", "prefix", "qualify", "upper", "sanitize", "keys",
                                 "drop", "airflow", "flatten"]))  # fmt: skip
    if kind == "rename":
        olds = draw(
            st.lists(st.one_of(some_field, field_names), min_size=1, max_size=3, unique=True)
        )
        assume("" not in olds)
        return Rename({old: draw(env_names) for old in olds})
    if kind == "prefix":
        return Prefix(draw(env_names))
    if kind == "qualify":
        return Qualify(draw(words))
    if kind == "upper":
        return Uppercase()
    if kind == "sanitize":
        return Sanitize()
    if kind in ("keys", "drop"):
        names = draw(some.filter(lambda n: "" not in n))
        return Keys(names) if kind == "keys" else Drop(names)
    if kind == "airflow":
        listed = draw(some.filter(lambda n: "" not in n))
        prefix = draw(st.one_of(st.none(), env_names))
        return Airflow({k: draw(sections) for k in listed}, others_prefix=prefix)
    return Flatten(prefix=draw(st.one_of(st.none(), env_names)),
                   sep=draw(st.sampled_from(["__", "_", "."])))  # fmt: skip


@st.composite
def secret_and_pipeline(draw: st.DrawFn) -> tuple[dict[str, Any], Pipeline]:
    fields = draw(nested_secrets)
    steps = draw(st.lists(transforms(list(fields)), max_size=4))
    return fields, Pipeline(*steps)


def assert_no_value_shown(text: str) -> None:
    assert MARKER not in text


@given(secret_and_pipeline())
def test_random_pipeline_gives_valid_names_or_transform_error(
    case: tuple[dict[str, Any], Pipeline],
) -> None:
    """Any pipeline over any secret yields valid, distinct variable names or a TransformError."""
    fields, pipeline = case
    try:
        out = pipeline(as_entries(fields))
    except TransformError as exc:
        assert_no_value_shown(str(exc))
        return
    names = [e.name for e in out]
    assert all(is_env_name(n) for n in names)
    assert len(set(names)) == len(names)
    assert_no_value_shown(repr(out))
    assert all(len(e.origin.transforms) == len(pipeline.steps) for e in out)


def _no_loss(before: tuple[Entry, ...], after: tuple[Entry, ...]) -> None:
    """Every (origin, value) comes out exactly once and names stay distinct."""
    assert Counter((e.origin.ref, e.value) for e in before) == Counter(
        (e.origin.ref, e.value) for e in after
    )
    assert len({e.name for e in after}) == len(after)


@given(flat_secrets, st.data())
def test_rename_never_loses_or_duplicates(fields: dict[str, str], data: st.DataObject) -> None:
    """Rename maps each field to exactly one variable, or refuses."""
    olds = data.draw(st.lists(st.sampled_from(sorted(fields)), unique=True, min_size=1))
    assume("" not in olds)
    existing = st.sampled_from(sorted(fields)).filter(is_env_name)
    mapping = {old: data.draw(st.one_of(env_names, existing)) for old in olds}
    before = as_entries(fields)
    try:
        after = Rename(mapping)(before)
    except TransformError as exc:
        assert_no_value_shown(str(exc))
        targets = Counter(mapping.get(f, f) for f in fields)
        assert max(targets.values()) > 1  # refused only when two fields really collide
        return
    _no_loss(before, after)
    assert {e.origin.field: e.name for e in after} == {f: mapping.get(f, f) for f in fields}


@given(flat_secrets, env_names)
def test_prefix_never_loses_or_duplicates(fields: dict[str, str], prefix: str) -> None:
    """Prefix is one-to-one."""
    before = as_entries(fields)
    after = Prefix(prefix)(before)
    _no_loss(before, after)
    assert all(e.name == prefix + e.origin.field for e in after)


@given(flat_secrets, words)
def test_qualify_never_loses_or_duplicates(fields: dict[str, str], word: str) -> None:
    """Qualify is one-to-one and puts the word after the first segment."""
    before = as_entries(fields)
    after = Qualify(word)(before)
    _no_loss(before, after)
    for entry in after:
        head = entry.origin.field.split("_", 1)[0]
        assert entry.name.startswith(f"{head}_{word}")


def _leaf_count(value: Any) -> int:
    if isinstance(value, dict) and value:
        return sum(_leaf_count(v) for v in value.values())
    return 1


def _has_null_or_sep_key(value: Any, sep: str) -> bool:
    if isinstance(value, dict):
        return any(sep in k or _has_null_or_sep_key(v, sep) for k, v in value.items())
    return value is None


@given(nested_secrets, st.one_of(st.none(), env_names), st.sampled_from(["__", "_", "."]))
def test_flatten_never_loses_or_duplicates(
    fields: dict[str, Any], prefix: str | None, sep: str
) -> None:
    """Flatten gives one variable per leaf (lists and {} are leaves), or refuses."""
    before = as_entries(fields)
    try:
        after = Flatten(prefix=prefix, sep=sep)(before)
    except TransformError as exc:
        assert_no_value_shown(str(exc))
        return
    expected = sum(_leaf_count(v) for v in fields.values())
    assert len(after) == expected
    assert len({e.name for e in after}) == len(after)
    assert Counter(e.origin.field for e in after) == Counter(
        {f: _leaf_count(v) for f, v in fields.items()}
    )
    assert not any(e.value.structured for e in after)


# Round trip: keys without the separator's character, string leaves, non-empty objects.
rt_keys = st.text(st.sampled_from(list("abcxyz019")), min_size=1, max_size=5)
rt_tree = st.recursive(
    values, lambda inner: st.dictionaries(rt_keys, inner, min_size=1, max_size=3), max_leaves=8
)


@given(st.dictionaries(rt_keys, rt_tree, min_size=1, max_size=4), st.one_of(st.none(), env_names))
def test_flatten_then_unflatten_round_trips(fields: dict[str, Any], prefix: str | None) -> None:
    """Unflatten(Flatten(x)) gives back every field, nested values as the same JSON objects."""
    before = as_entries(fields)
    flat = Flatten(prefix=prefix)(before)
    back = {e.name: e for e in Unflatten(prefix=prefix)(flat)}
    assert set(back) == set(fields)
    for name, value in fields.items():
        entry = back[name]
        assert entry.origin.field == name
        if isinstance(value, dict):
            assert entry.value.structured
            assert json.loads(entry.value.reveal()) == value
        else:
            assert entry.value == SecretValue(value)


@given(flat_secrets)
def test_sanitize_valid_or_error(fields: dict[str, str]) -> None:
    """Sanitize output names are valid; when it refuses, it says why without values."""
    try:
        out = Sanitize()(as_entries(fields))
    except TransformError as exc:
        assert_no_value_shown(str(exc))
        return
    assert all(is_env_name(e.name) for e in out)


@given(flat_secrets)
def test_values_pass_through_untouched(fields: dict[str, str]) -> None:
    """Name transforms never change a value, byte for byte."""
    secret = Secret("s", {k: SecretValue(v) for k, v in fields.items()})
    named = Qualify("Q")(Prefix("P_")(entries_from_secret(secret)))
    if len({e.name.upper() for e in named}) < len(named):
        # Two fields differing only in case meet in one name: refused, never merged.
        with pytest.raises(TransformError):
            Uppercase()(named)
        return
    out = Uppercase()(named)
    assert {e.origin.field: e.value.reveal() for e in out} == fields
