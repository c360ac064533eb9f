"""Unit tests for the key transforms: names, provenance, refusals."""

from __future__ import annotations

import json
import types
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict

import rideinfra.secrets.transforms as transforms_pkg
from rideinfra.errors import TransformError
from rideinfra.secrets.model import Secret, SecretValue, parse_secret_string
from rideinfra.secrets.transforms import (
    Airflow,
    Drop,
    Entry,
    Flatten,
    Keys,
    Origin,
    Pipeline,
    Prefix,
    Qualify,
    Rename,
    Sanitize,
    Unflatten,
    Uppercase,
    _core,
    entries_from_secret,
    is_env_name,
    unflatten,
)


def entries(name: str = "app/db", **fields: Any) -> tuple[Entry, ...]:
    return entries_from_secret(parse_secret_string(name, json.dumps(fields), origin="memory"))


def names(out: tuple[Entry, ...]) -> list[str]:
    return [e.name for e in out]


def revealed(out: tuple[Entry, ...]) -> dict[str, str]:
    return {e.name: e.value.reveal() for e in out}


class TestEntries:
    def test_one_entry_per_field_with_origin(self) -> None:
        """Each field becomes an entry named after it, knowing its secret, field and source."""
        secret = Secret("app/db", {"USER": SecretValue("u"), "PASS": SecretValue("p")}, origin="x")
        out = entries_from_secret(secret)
        assert names(out) == ["USER", "PASS"]
        assert out[0].origin == Origin("app/db", "USER", (), "x")
        assert out[1].origin.ref == "app/db:PASS"

    def test_repr_hides_values(self) -> None:
        """An entry's repr names the variable and origin, never the value."""
        (entry,) = entries(TOKEN="hunter2-value")
        assert "hunter2-value" not in repr(entry)
        assert "TOKEN" in repr(entry)

    def test_input_is_not_mutated(self) -> None:
        """Transforms return new entries; the originals keep their names and origins."""
        before = entries(USER="u")
        after = Prefix("X_")(before)
        assert names(before) == ["USER"]
        assert before[0].origin.transforms == ()
        assert after[0].origin.transforms == ("prefix: X_",)


class TestRename:
    def test_renames_listed_and_keeps_others(self) -> None:
        """Listed fields get the new name, the rest keep theirs, values unchanged."""
        out = Rename({"POSTGRES_USER": "POSTGRES_AIRFLOW_USER"})(
            entries(POSTGRES_USER="airflow", POSTGRES_DB="db")
        )
        assert revealed(out) == {"POSTGRES_AIRFLOW_USER": "airflow", "POSTGRES_DB": "db"}
        assert out[0].origin.field == "POSTGRES_USER"

    def test_missing_field_is_an_error_naming_secret_and_field(self) -> None:
        """Renaming a field the secret lacks is a config mistake, reported by name."""
        with pytest.raises(TransformError, match=r"POSTGRES_USR.*app/db.*POSTGRES_USER"):
            Rename({"POSTGRES_USR": "X"})(entries(POSTGRES_USER="u"))

    def test_two_fields_to_one_name_is_an_error(self) -> None:
        """Renaming onto an existing field would lose one: refused, naming both origins."""
        with pytest.raises(TransformError, match=r"app/db:A.*app/db:B|app/db:B.*app/db:A"):
            Rename({"A": "B"})(entries(A="1", B="2"))

    def test_swap_is_fine(self) -> None:
        """Names are computed from the input, so a swap loses nothing."""
        out = Rename({"A": "B", "B": "A"})(entries(A="1", B="2"))
        assert revealed(out) == {"B": "1", "A": "2"}

    @pytest.mark.parametrize("mapping", [{}, {"A": "1X"}, {"A": "a-b"}, {"": "X"}])
    def test_bad_arguments_refused_at_construction(self, mapping: dict[str, str]) -> None:
        """Empty maps and targets that are not variable names are refused up front."""
        with pytest.raises(ValueError, match="rename"):
            Rename(mapping)

    def test_mapping_is_immutable(self) -> None:
        """A Rename cannot be changed after construction, even through its mapping."""
        source = {"A": "B"}
        rename = Rename(source)
        source["A"] = "C"
        assert dict(rename.mapping) == {"A": "B"}
        with pytest.raises(TypeError):
            rename.mapping["A"] = "D"  # type: ignore[index]


class TestPrefixQualifyUppercase:
    def test_prefix(self) -> None:
        """Prefix goes before every name."""
        out = Prefix("GF_SECURITY_")(entries(ADMIN_USER="g", ADMIN_PASSWORD="p"))
        assert names(out) == ["GF_SECURITY_ADMIN_USER", "GF_SECURITY_ADMIN_PASSWORD"]

    @pytest.mark.parametrize("prefix", ["", "1A", "A-B", "É"])
    def test_prefix_must_start_a_variable_name(self, prefix: str) -> None:
        """A prefix that cannot start a variable name is refused."""
        with pytest.raises(ValueError, match="prefix"):
            Prefix(prefix)

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("POSTGRES_USER", "POSTGRES_AIRFLOW_USER"),
            ("POSTGRES_SUPER_USER", "POSTGRES_AIRFLOW_SUPER_USER"),
            ("TOKEN", "TOKEN_AIRFLOW"),
            ("_X", "_AIRFLOW_X"),
            ("A_", "A_AIRFLOW_"),
        ],
    )
    def test_qualify(self, name: str, expected: str) -> None:
        """The word goes after the first _ segment; a name without _ gets it at the end."""
        assert names(Qualify("AIRFLOW")(entries(**{name: "v"}))) == [expected]

    def test_qualify_word_validated(self) -> None:
        """The word must be letters, digits or _."""
        with pytest.raises(ValueError, match="word"):
            Qualify("AIR FLOW")

    def test_uppercase_collision_is_an_error(self) -> None:
        """Two fields differing only in case cannot both become one name."""
        with pytest.raises(TransformError, match="USER"):
            Uppercase()(entries(user="a", USER="b"))

    def test_uppercase(self) -> None:
        """Every name is upper-cased."""
        assert names(Uppercase()(entries(db_user="a"))) == ["DB_USER"]


class TestSanitize:
    def test_invalid_characters_become_underscores(self) -> None:
        """Dashes, dots, spaces and non-ASCII letters become _."""
        out = Sanitize()(entries(**{"api-key": "a", "db.host name": "b", "clé": "c"}))
        assert names(out) == ["api_key", "db_host_name", "cl_"]
        assert all(is_env_name(n) for n in names(out))

    @pytest.mark.parametrize("field", ["1abc", "9"])
    def test_still_invalid_is_an_error_naming_the_field(self, field: str) -> None:
        """A name starting with a digit cannot be fixed by replacing characters."""
        with pytest.raises(TransformError, match=f"app/db:{field}"):
            Sanitize()(entries(**{field: "v"}))

    def test_merging_two_fields_is_an_error(self) -> None:
        """a-b and a_b would both become a_b: refused."""
        with pytest.raises(TransformError, match="a_b"):
            Sanitize()(entries(**{"a-b": "1", "a_b": "2"}))


class TestKeysDrop:
    def test_keys_keeps_only_listed_in_input_order(self) -> None:
        """Keys is an allow-list; order follows the secret."""
        out = Keys(["C", "A"])(entries(A="1", B="2", C="3"))
        assert names(out) == ["A", "C"]

    def test_drop(self) -> None:
        """Drop removes the listed fields."""
        assert names(Drop(["B"])(entries(A="1", B="2"))) == ["A"]

    @pytest.mark.parametrize("transform", [Keys(["NOPE"]), Drop(["NOPE"])])
    def test_absent_name_is_an_error(self, transform: Keys | Drop) -> None:
        """Listing a field the secret lacks is reported (likely a typo)."""
        with pytest.raises(TransformError, match=r"NOPE.*app/db"):
            transform(entries(A="1"))

    def test_bare_string_refused(self) -> None:
        """Keys("ABC") would mean A, B, C: refused."""
        with pytest.raises(TypeError):
            Keys("ABC")


class TestAirflow:
    SECTIONS = {  # noqa: RUF012 - read-only test data
        "FERNET_KEY": "core",
        "INTERNAL_API_SECRET_KEY": "core",
        "JWT_SECRET": "api_auth",
        "API_SECRET_KEY": "api.secret_key",
    }

    def test_reference_mapping(self) -> None:
        """Sections, section.option and others_prefix give the platform's names."""
        fields = dict.fromkeys([*self.SECTIONS, "ADMIN_USERNAME", "ADMIN_PASSWORD"], "v")
        out = Airflow(self.SECTIONS)(entries("rideshare/airflow", **fields))
        assert names(out) == [
            "AIRFLOW__CORE__FERNET_KEY",
            "AIRFLOW__CORE__INTERNAL_API_SECRET_KEY",
            "AIRFLOW__API_AUTH__JWT_SECRET",
            "AIRFLOW__API__SECRET_KEY",
            "AIRFLOW_ADMIN_USERNAME",
            "AIRFLOW_ADMIN_PASSWORD",
        ]

    def test_upper_cases_and_others_prefix_none(self) -> None:
        """Lower-case keys and sections are upper-cased; others_prefix=None keeps names."""
        out = Airflow({"fernet_key": "core"}, others_prefix=None)(entries(fernet_key="k", x="y"))
        assert names(out) == ["AIRFLOW__CORE__FERNET_KEY", "x"]

    def test_listed_field_missing_is_an_error(self) -> None:
        """A section entry for a field the secret lacks is reported."""
        with pytest.raises(TransformError, match="FERNET_KEY"):
            Airflow({"FERNET_KEY": "core"})(entries(OTHER="x"))

    @pytest.mark.parametrize("section", ["", "a.b.c", "a b", "a.", ".b"])
    def test_bad_section_refused(self, section: str) -> None:
        """Sections are `section` or `section.option`."""
        with pytest.raises(ValueError, match="section"):
            Airflow({"K": section})

    def test_collision_with_others_is_an_error(self) -> None:
        """ADMIN and AIRFLOW_ADMIN... cannot silently merge."""
        with pytest.raises(TransformError):
            Airflow({"X": "core"}, others_prefix="A_")(entries(X="1", B="2", A_B="3", a_b="4"))


class TestFlatten:
    def test_nested_object(self) -> None:
        """Each leaf becomes PREFIX__SECTION__KEY, upper-cased."""
        out = Flatten(prefix="AIRFLOW")(entries(core={"fernet_key": "x", "dags": {"n": "1"}}))
        assert revealed(out) == {"AIRFLOW__CORE__FERNET_KEY": "x", "AIRFLOW__CORE__DAGS__N": "1"}
        assert {e.origin.field for e in out} == {"core"}

    def test_scalars_lists_and_empty_objects(self) -> None:
        """Numbers and booleans are JSON text; lists and {} stay one JSON variable."""
        out = Flatten()(entries(a={"n": 1, "f": 1.5, "t": True, "l": ["x", 2], "e": {}}, b="s"))
        assert revealed(out) == {
            "A__N": "1",
            "A__F": "1.5",
            "A__T": "true",
            "A__L": '["x", 2]',
            "A__E": "{}",
            "B": "s",
        }
        assert not any(e.value.structured for e in out)

    def test_top_level_list_is_one_variable(self) -> None:
        """A list field is JSON text, not indexed variables."""
        assert revealed(Flatten()(entries(hosts=["a", "b"]))) == {"HOSTS": '["a", "b"]'}

    def test_null_refused_naming_the_place(self) -> None:
        """A null has no text: an error naming secret, field and path."""
        with pytest.raises(TransformError, match=r"app/db:core.*a\.b"):
            Flatten()(entries(core={"a": {"b": None}}))

    def test_key_containing_separator_refused(self) -> None:
        """A nested key containing sep would read back as two levels."""
        with pytest.raises(TransformError, match="separator"):
            Flatten()(entries(core={"a__b": "x"}))

    def test_ambiguous_paths_refused(self) -> None:
        """A plain field and a nested leaf giving one name is a collision, not an overwrite."""
        with pytest.raises(TransformError, match="CORE__X"):
            Flatten()(entries(core={"x": "1"}, CORE__X="2"))

    def test_case_kept_when_asked(self) -> None:
        """uppercase=False keeps the keys' case."""
        assert names(Flatten(uppercase=False, sep="_")(entries(a={"b": "c"}))) == ["a_b"]

    def test_pydantic_settings_reads_the_output(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """pydantic-settings with env_nested_delimiter="__" reads flattened variables back."""

        class Core(BaseModel):
            fernet_key: str
            parallelism: int
            hosts: list[str]
            extra: dict[str, str]

        class Settings(BaseSettings):
            model_config = SettingsConfigDict(env_prefix="AIRFLOW__", env_nested_delimiter="__")
            core: Core

        secret = {"core": {"fernet_key": 'k$"`\\', "parallelism": 4, "hosts": ["a"], "extra": {}}}
        for entry in Flatten(prefix="AIRFLOW")(entries(**secret)):
            monkeypatch.setenv(entry.name, entry.value.reveal())
        core = Settings().core  # type: ignore[call-arg]
        assert core == Core(fernet_key='k$"`\\', parallelism=4, hosts=["a"], extra={})


class TestUnflatten:
    def test_unflatten_mapping(self) -> None:
        """Flat variables with the prefix become nested dicts; others are skipped."""
        got = unflatten(
            {"AIRFLOW__CORE__FERNET_KEY": "x", "AIRFLOW__API__PORT": "1", "OTHER": "y"},
            prefix="AIRFLOW",
        )
        assert got == {"core": {"fernet_key": "x"}, "api": {"port": "1"}}

    def test_unflatten_conflict(self) -> None:
        """A name that is both a value and a section is refused."""
        with pytest.raises(ValueError, match="both a value and a section"):
            unflatten({"A": "1", "A__B": "2"})

    def test_unflatten_transform(self) -> None:
        """The transform gathers prefixed entries into structured JSON entries."""
        flat = Flatten(prefix="APP")(entries(core={"k": "v"}, PLAIN="p"))
        out = Unflatten(prefix="APP")(flat + entries("other", KEEP="k"))
        by_name = {e.name: e for e in out}
        assert set(by_name) == {"core", "plain", "KEEP"}
        assert by_name["core"].value.structured
        assert json.loads(by_name["core"].value.reveal()) == {"k": "v"}
        assert by_name["KEEP"].origin.secret == "other"


class TestPipeline:
    def test_or_and_nesting_flatten(self) -> None:
        """a | b | c and Pipeline(Pipeline(a, b), c) have the same three steps."""
        a, b, c = Rename({"A": "B"}), Prefix("P_"), Uppercase()
        assert (a | b | c).steps == (a, b, c)
        assert Pipeline(Pipeline(a, b), c) == a | b | c
        assert Pipeline(a, Pipeline(), Pipeline(b, c)).steps == (a, b, c)

    def test_origin_records_each_step_in_order(self) -> None:
        """The origin lists each transform's config line in order."""
        out = (Qualify("X") | Prefix("P_"))(entries(A_B="v"))
        assert out[0].name == "P_A_X_B"
        assert out[0].origin.transforms == ("qualify: X", "prefix: P_")

    def test_pipeline_checks_final_names(self) -> None:
        """Intermediate names may be invalid; the pipeline's output may not."""
        assert names((Uppercase() | Sanitize())(entries(**{"a-b": "v"}))) == ["A_B"]
        with pytest.raises(TransformError, match=r"app/db:a-b becomes 'A-B'.*sanitize"):
            Pipeline(Uppercase())(entries(**{"a-b": "v"}))

    def test_plain_function_step(self) -> None:
        """Any callable over entries can be a step."""

        def drop_all(es: tuple[Entry, ...]) -> tuple[Entry, ...]:
            return ()

        assert (Prefix("X_") | drop_all)(entries(A="1")) == ()
        assert (drop_all | Prefix("X_"))(entries(A="1")) == ()

    def test_not_a_transform(self) -> None:
        """A non-callable step is refused when the pipeline is built."""
        with pytest.raises(TypeError):
            Pipeline("rename")  # type: ignore[arg-type]


class TestRepr:
    @pytest.mark.parametrize(
        ("transform", "line"),
        [
            (Rename({"A": "B"}), "rename: {A: B}"),
            (Prefix("GF_"), "prefix: GF_"),
            (Qualify("AIRFLOW"), "qualify: AIRFLOW"),
            (Uppercase(), "uppercase"),
            (Sanitize(), "sanitize"),
            (Keys(["A", "B"]), "keys: [A, B]"),
            (Drop(["A"]), "drop: [A]"),
            (Airflow({"K": "core"}), "airflow: {sections: {K: core}}"),
            (
                Airflow({"K": "core"}, others_prefix=None),
                "airflow: {sections: {K: core}, others_prefix: null}",
            ),
            (Flatten(), "flatten"),
            (Flatten(prefix="AIRFLOW"), "flatten: {prefix: AIRFLOW}"),
            (Unflatten(prefix="A", sep="_"), "unflatten: {prefix: A, sep: _}"),
        ],
    )
    def test_repr_is_the_config_line(self, transform: object, line: str) -> None:
        """Each transform's repr reads as its line in rideinfra.yaml."""
        assert repr(transform) == line

    def test_pipeline_repr_is_a_yaml_transforms_list(self) -> None:
        """A pipeline's repr parses as the YAML transforms list that configures it."""
        pipeline = Rename({"A": "yes"}) | Prefix("GF_") | Uppercase() | Flatten(prefix="X")
        assert yaml.safe_load(repr(pipeline)) == [
            {"rename": {"A": "yes"}},
            {"prefix": "GF_"},
            "uppercase",
            {"flatten": {"prefix": "X"}},
        ]


def test_all_is_sorted_and_complete() -> None:
    """The package re-exports every public name, sorted."""
    assert transforms_pkg.__all__ == sorted(transforms_pkg.__all__)
    public = {
        n
        for n in dir(transforms_pkg)
        if not n.startswith("_") and not isinstance(getattr(transforms_pkg, n), types.ModuleType)
    }
    assert set(transforms_pkg.__all__) == public - {"annotations"}


# --- the config line's cache ---------------------------------------------------------------

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
_args = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _as_read(data: Any) -> Any:
    """`data` as a YAML reader can give it back: tuples as lists, NaN as a marker (NaN != NaN)."""
    if isinstance(data, list | tuple):
        return [_as_read(item) for item in data]
    if isinstance(data, dict):
        return {key: _as_read(value) for key, value in data.items()}
    if isinstance(data, float) and data != data:  # noqa: PLR0124 - the NaN test
        return "NaN"
    return data


def _dumped(name: str, args: Any) -> str:
    """What PyYAML writes for the line, with no cache in the way.

    A line that is not printable (a line break, a terminal escape, a bidi
    override in a name) is written again with every string double-quoted and
    escaped, so it stays one printable line.
    """
    text = yaml.safe_dump(
        {name: args}, default_flow_style=True, width=1 << 30, sort_keys=False, allow_unicode=True
    ).strip()
    if not text.isprintable():
        text = yaml.safe_dump(
            {name: args},
            default_flow_style=True,
            default_style='"',
            width=1 << 30,
            sort_keys=False,
            allow_unicode=False,
        ).strip()
    return text[1:-1]


class TestConfigLineCache:
    """`config_line` keeps each line it wrote: a transform names itself once per secret."""

    @settings(max_examples=300)
    @given(first=_args.filter(lambda a: a is not None), second=_args)
    def test_a_cached_line_is_the_line_pyyaml_writes(self, first: Any, second: Any) -> None:
        # Twice each, interleaved: the second answer of each comes from the cache.
        for args in (first, second, first, second):
            expected = "step" if args is None else _dumped("step", args)  # None: no arguments
            assert _core.config_line("step", args) == expected

    @settings(max_examples=300)
    @given(args=_args.filter(lambda a: a is not None))
    def test_a_line_is_printable_and_reads_back_as_the_arguments(self, args: Any) -> None:
        """Whatever the names hold (a line break, ESC, U+2028, U+0085), the line is one
        printable line, and YAML reads the arguments back from it.

        Not "as PyYAML's own line reads": PyYAML writes U+0085 bare, and reads it
        back as a space.
        """
        line = _core.config_line("step", args)
        assert line.isprintable()
        assert _as_read(yaml.safe_load("{" + line + "}")) == _as_read({"step": args})

    @pytest.mark.parametrize(
        ("one", "other"),
        [(True, 1), (1, 1.0), (0.0, -0.0), ({"a": 1, "b": 2}, {"b": 2, "a": 1})],
    )
    def test_equal_arguments_written_differently_do_not_share_a_line(
        self, one: Any, other: Any
    ) -> None:
        assert one == other
        for args in (one, other, one, other):
            assert _core.config_line("step", args) == _dumped("step", args)

    def test_the_same_arguments_are_written_once(self, monkeypatch: pytest.MonkeyPatch) -> None:
        dumps: list[Any] = []
        real = yaml.safe_dump

        def counting(data: Any, **kwargs: Any) -> Any:
            dumps.append(data)
            return real(data, **kwargs)

        monkeypatch.setattr(_core.yaml, "safe_dump", counting)
        monkeypatch.setattr(_core, "_LINES", {})
        step = Prefix("CACHE_ONCE_")
        for _ in range(5):
            step(entries(A="1"))
        assert repr(Prefix("CACHE_ONCE_")) == "prefix: CACHE_ONCE_"
        assert dumps == [{"prefix": "CACHE_ONCE_"}]

    def test_the_cache_stays_bounded(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(_core, "_LINES", {})
        for i in range(_core._LINES_KEPT * 2 + 5):
            assert _core.config_line("prefix", f"P{i}_") == f"prefix: P{i}_"
        assert 0 < len(_core._LINES) <= _core._LINES_KEPT
