"""Resolving profiles: the rideshare reference, merging, collisions, allow-lists, explain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from rideinfra.errors import ConfigError, FetchErrors, KeyCollision, SecretNotFound, TransformError
from rideinfra.profiles import (
    Config,
    Env,
    ExplainRow,
    explain,
    explain_envs,
    format_explain,
    load_config,
    parse_config,
    resolve,
)
from rideinfra.secrets.model import SecretValue
from rideinfra.secrets.transforms import Entry, Origin
from rideinfra.testing import MemorySource

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "rideshare" / "rideinfra.yaml"
REFERENCE = yaml.safe_load((REPO / "tests" / "data" / "rideshare_reference.yaml").read_text())

# The Spark test stack is not in the reference; its variables are defined here.
SPARK_TESTING = {
    "MINIO_ROOT_USER": "rideshare/minio:MINIO_ROOT_USER",
    "MINIO_ROOT_PASSWORD": "rideshare/minio:MINIO_ROOT_PASSWORD",
    "HIVE_LDAP_USERNAME": "rideshare/hive-thrift:LDAP_USERNAME",
    "HIVE_LDAP_PASSWORD": "rideshare/hive-thrift:LDAP_PASSWORD",
}


@pytest.fixture(name="config")
def _config() -> Config:
    return load_config(EXAMPLE)


@pytest.fixture(name="store")
def _store() -> MemorySource:
    return MemorySource(REFERENCE["catalog"])


def config_of(data: dict[str, Any]) -> Config:
    return parse_config({"version": 1, **data})


class TestRideshareReference:
    def test_every_profile_variable_and_origin_matches(
        self, config: Config, store: MemorySource
    ) -> None:
        """Each profile has exactly the reference variables, each from its reference field."""
        envs = resolve(config, store)
        expected = {**REFERENCE["profiles"], "spark-testing": SPARK_TESTING}
        assert list(envs) == list(expected)
        for profile, variables in expected.items():
            env = envs[profile]
            composed = REFERENCE["composed"].get(profile, {})
            assert sorted(env) == sorted([*variables, *composed]), profile
            for variable, origin in variables.items():
                secret, field = origin.rsplit(":", 1)
                assert env.origin(variable).ref == origin
                assert env[variable] == SecretValue(str(REFERENCE["catalog"][secret][field]))
            for variable, made in composed.items():
                assert env.origin(variable).ref == f"template({', '.join(made['from'])})"
                assert env[variable] == SecretValue(made["value"])

    def test_example_uses_exactly_the_reference_secrets(self, config: Config) -> None:
        """The example's profiles use the 11 catalog secrets, no more, no fewer."""
        assert set(config.secret_names(config.select())) == set(REFERENCE["catalog"])
        assert len(REFERENCE["catalog"]) == 11

    def test_one_fetch_for_all_profiles(self, config: Config, store: MemorySource) -> None:
        """All profiles are served by one fetch_many, each secret asked for once."""
        resolve(config, store)
        assert len(store.calls) == 1
        (names,) = store.calls
        assert sorted(names) == sorted(REFERENCE["catalog"])

    def test_selected_profiles_fetch_only_their_secrets(
        self, config: Config, store: MemorySource
    ) -> None:
        """Selecting profiles fetches only the secrets they use, still in one call."""
        envs = resolve(config, store, profiles=["monitoring", "core"])
        assert list(envs) == ["monitoring", "core"]
        assert store.calls == [
            (
                "rideshare/grafana",
                "rideshare/api-key",
                "rideshare/redis",
                "rideshare/kafka",
                "rideshare/schema-registry",
            )
        ]

    def test_seed_file_holds_the_reference_catalog(self, config: Config) -> None:
        """seed.yaml stores exactly the reference's secrets, fields and dev values."""
        assert config.seed is not None
        seed = yaml.safe_load(config.seed.read_text(encoding="utf-8"))
        assert seed == {"version": 1, "secrets": REFERENCE["catalog"]}

    def test_origins_record_transforms(self, config: Config, store: MemorySource) -> None:
        """Secret-bound and use-bound transforms show in the origin, in order."""
        envs = resolve(config, store)
        assert envs["data-pipeline"].origin("POSTGRES_METASTORE_USER") == Origin(
            "rideshare/postgres-metastore", "POSTGRES_USER", ("qualify: METASTORE",), "memory"
        )
        assert envs["monitoring"].origin("GF_SECURITY_ADMIN_USER").transforms == (
            "prefix: GF_SECURITY_",
        )
        assert envs["core"].origin("API_KEY").transforms == ()


class TestExplain:
    def test_data_pipeline_has_17_rows_and_no_values(self, config: Config) -> None:
        """explain data-pipeline: 17 rows, a header, every origin, no value anywhere."""
        # Values unlike any name, so their absence from the table proves something.
        marked = {
            secret: {field: f"<value of {field}>" for field in fields}
            for secret, fields in REFERENCE["catalog"].items()
        }
        rows = explain(config, MemorySource(marked), ["data-pipeline"])
        assert len(rows) == 17
        expected = REFERENCE["profiles"]["data-pipeline"]
        assert {r.variable: f"{r.secret}:{r.field}" for r in rows if r.inputs is None} == expected
        composed = {r.variable: r.inputs for r in rows if r.inputs is not None}
        assert composed == {
            variable: tuple(made["from"])
            for variable, made in REFERENCE["composed"]["data-pipeline"].items()
        }
        text = format_explain(rows)
        lines = text.splitlines()
        assert len(lines) == 18
        assert lines[0].split() == ["PROFILE", "VARIABLE", "FROM", "VIA"]
        assert "<value of" not in text

    def test_table_is_aligned(self) -> None:
        """Columns line up; a row without transforms shows '-'."""
        rows = [
            ExplainRow("core", "A", "s", "A", ()),
            ExplainRow("core", "LONGER_NAME", "sec/ret", "F", ("prefix: X_", "uppercase")),
        ]
        assert format_explain(rows, header=False).splitlines() == [
            "core  A            s:A        -",
            "core  LONGER_NAME  sec/ret:F  prefix: X_ | uppercase",
        ]

    def test_explain_envs(self, config: Config, store: MemorySource) -> None:
        """Rows can be made from already-resolved envs (no second fetch)."""
        envs = resolve(config, store, profiles=["monitoring"])
        rows = explain_envs(envs)
        assert [r.variable for r in rows] == [
            "GF_SECURITY_ADMIN_PASSWORD",
            "GF_SECURITY_ADMIN_USER",
        ]
        assert len(store.calls) == 1


class TestMerging:
    def test_collision_names_variable_both_origins_and_profile(self) -> None:
        """Two secrets giving one variable different values: KeyCollision, never an overwrite."""
        config = config_of({"profiles": {"db": {"secrets": ["app/a", "app/b"]}}})
        store = MemorySource({"app/a": {"USER": "alice-secret"}, "app/b": {"USER": "bob-secret"}})
        with pytest.raises(KeyCollision) as info:
            resolve(config, store)
        err = info.value
        assert (err.variable, err.origins, err.profile) == (
            "USER",
            ("app/a:USER", "app/b:USER"),
            "db",
        )
        assert "alice-secret" not in str(err)
        assert "bob-secret" not in str(err)

    def test_equal_values_are_fine_first_origin_kept(self) -> None:
        """The same value from two origins merges; the first origin is the one recorded."""
        config = config_of({"profiles": {"db": {"secrets": ["app/a", "app/b"]}}})
        store = MemorySource({"app/a": {"USER": "u", "A": "1"}, "app/b": {"USER": "u", "B": "2"}})
        env = resolve(config, store)["db"]
        assert sorted(env) == ["A", "B", "USER"]
        assert env.origin("USER").ref == "app/a:USER"

    def test_same_secret_twice_with_different_transforms(self) -> None:
        """A profile may use one secret twice, e.g. raw and prefixed."""
        config = config_of(
            {"profiles": {"p": {"secrets": ["s", {"name": "s", "transforms": [{"prefix": "X_"}]}]}}}
        )
        store = MemorySource({"s": {"K": "v"}})
        assert sorted(resolve(config, store)["p"]) == ["K", "X_K"]
        assert store.calls == [("s",)]

    def test_profiles_are_independent(self) -> None:
        """A collision-free profile is unaffected by what another profile uses."""
        config = config_of({"profiles": {"one": {"secrets": ["a"]}, "two": {"secrets": ["b"]}}})
        store = MemorySource({"a": {"K": "1"}, "b": {"K": "2"}})
        envs = resolve(config, store)
        assert envs["one"]["K"].reveal() == "1"
        assert envs["two"]["K"].reveal() == "2"


class TestKeys:
    def test_allow_list_keeps_only_listed(self) -> None:
        """keys: keeps the listed variables and drops the rest."""
        config = config_of({"profiles": {"p": {"secrets": ["s"], "keys": ["A"]}}})
        env = resolve(config, MemorySource({"s": {"A": "1", "B": "2"}}))["p"]
        assert list(env) == ["A"]

    def test_allow_list_applies_after_merge_so_dropped_collisions_still_fail(self) -> None:
        """Collisions are checked before the allow-list: a hidden conflict is still a conflict."""
        config = config_of({"profiles": {"p": {"secrets": ["s", "t"], "keys": ["A"]}}})
        with pytest.raises(KeyCollision):
            resolve(config, MemorySource({"s": {"A": "1", "B": "x"}, "t": {"B": "y"}}))

    def test_missing_key_names_profile_and_variable(self) -> None:
        """A keys entry no secret produced is a TransformError with a close match."""
        config = config_of({"profiles": {"mon": {"secrets": ["s"], "keys": ["ADMIN_USR"]}}})
        with pytest.raises(TransformError, match=r"'mon'.*ADMIN_USR.*did you mean ADMIN_USER"):
            resolve(config, MemorySource({"s": {"ADMIN_USER": "u"}}))


class TestFailures:
    def test_unknown_profile_lists_profiles(self, config: Config, store: MemorySource) -> None:
        """An unknown profile name is a ConfigError listing the profiles; nothing is fetched."""
        with pytest.raises(ConfigError, match=r"'data'.*core, data-pipeline, monitoring"):
            resolve(config, store, profiles=["data"])
        assert store.calls == []

    def test_missing_secret(self, config: Config) -> None:
        """A secret the store lacks raises its SecretNotFound."""
        catalog = dict(REFERENCE["catalog"])
        del catalog["rideshare/redis"]
        with pytest.raises(SecretNotFound, match="rideshare/redis"):
            resolve(config, MemorySource(catalog))

    def test_several_missing_secrets(self, config: Config) -> None:
        """Several failures are reported together."""
        with pytest.raises(FetchErrors) as info:
            resolve(config, MemorySource({}), profiles=["core"])
        assert set(info.value.errors) == {
            "rideshare/api-key",
            "rideshare/redis",
            "rideshare/kafka",
            "rideshare/schema-registry",
        }

    def test_nested_value_without_flatten(self) -> None:
        """A nested JSON field must be flattened: the error names secret and field and says how."""
        config = config_of({"profiles": {"p": {"secrets": ["app/cfg"]}}})
        store = MemorySource({"app/cfg": {"core": {"fernet_key": "k-secret"}}})
        with pytest.raises(TransformError, match=r"app/cfg:core.*`flatten`") as info:
            resolve(config, store)
        assert "k-secret" not in str(info.value)

    def test_nested_value_with_flatten(self) -> None:
        """With `flatten`, a nested secret becomes one variable per leaf."""
        config = config_of(
            {
                "secrets": {"app/cfg": {"transforms": [{"flatten": {"prefix": "AIRFLOW"}}]}},
                "profiles": {"p": {"secrets": ["app/cfg"]}},
            }
        )
        store = MemorySource({"app/cfg": {"core": {"fernet_key": "k", "parallelism": 4}}})
        env = resolve(config, store)["p"]
        assert {k: v.reveal() for k, v in env.items()} == {
            "AIRFLOW__CORE__FERNET_KEY": "k",
            "AIRFLOW__CORE__PARALLELISM": "4",
        }

    def test_invalid_field_name_needs_sanitize(self) -> None:
        """A field that is not a variable name fails until sanitized."""
        config = config_of({"profiles": {"p": {"secrets": ["s"]}}})
        store = MemorySource({"s": {"api-key": "v"}})
        with pytest.raises(TransformError, match=r"s:api-key.*sanitize"):
            resolve(config, store)
        fixed = config_of(
            {"profiles": {"p": {"secrets": [{"name": "s", "transforms": ["sanitize"]}]}}}
        )
        assert list(resolve(fixed, store)["p"]) == ["api_key"]

    def test_rename_of_absent_field(self) -> None:
        """A rename naming a field the secret lacks fails naming both."""
        config = config_of(
            {
                "secrets": {"db": {"transforms": [{"rename": {"PASSWD": "DB_PASSWORD"}}]}},
                "profiles": {"p": {"secrets": ["db"]}},
            }
        )
        with pytest.raises(TransformError, match=r"PASSWD.*secret db.*PASSWORD"):
            resolve(config, MemorySource({"db": {"PASSWORD": "x"}}))


class TestEnv:
    def entries(self) -> list[Entry]:
        return [
            Entry("B", SecretValue("two-secret"), Origin("s", "b")),
            Entry("A", SecretValue("one-secret"), Origin("s", "a")),
        ]

    def test_sorted_read_only_mapping(self) -> None:
        """An Env is a Mapping sorted by name, with origins, and cannot be changed."""
        env = Env(self.entries(), profile="p")
        assert list(env) == ["A", "B"]
        assert env["A"].reveal() == "one-secret"
        assert env.origin("B").ref == "s:b"
        assert [e.name for e in env.entries] == ["A", "B"]
        assert env == {"A": SecretValue("one-secret"), "B": SecretValue("two-secret")}
        with pytest.raises(TypeError):
            env["C"] = SecretValue("x")  # type: ignore[index]

    def test_repr_shows_names_only(self) -> None:
        """repr(env) names variables and never values."""
        text = repr(Env(self.entries(), profile="p"))
        assert text == "Env(profile='p', names=['A', 'B'])"

    def test_duplicate_names_refused(self) -> None:
        """An Env cannot hold two entries with one name."""
        entries = self.entries()
        with pytest.raises(ValueError, match="distinct"):
            Env([*entries, entries[0]])
