"""rideinfra.settings: pydantic-settings models fed from the moto store or a rendered env file."""

from __future__ import annotations

import importlib.util
import json
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from rideinfra import fetch, seed
from rideinfra.errors import ConfigError, SecretNotFound
from rideinfra.profiles import SecretRef, load_config
from rideinfra.secrets import SecretsManagerSource
from rideinfra.secrets.transforms import Pipeline, Prefix
from rideinfra.settings import (
    FieldProblem,
    RideinfraSettingsSource,
    SettingsValidationError,
    read_env_file,
    settings_from,
)
from rideinfra.testing import MemorySource
from support.moto import MotoEndpoint

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "rideshare"
CONFIG = EXAMPLE / "rideinfra.yaml"
SENTINEL = "Sentinel-7f3a-do-not-print"


# --- models --------------------------------------------------------------------------------


class AirflowCore(BaseModel):
    fernet_key: SecretStr
    internal_api_secret_key: SecretStr


class AirflowApiAuth(BaseModel):
    jwt_secret: SecretStr


class AirflowApi(BaseModel):
    secret_key: SecretStr


class AirflowConfig(BaseModel):
    core: AirflowCore
    api_auth: AirflowApiAuth
    api: AirflowApi


class PipelineSettings(BaseSettings):
    """Profile data-pipeline: nested Airflow sections, aliases, SecretStr."""

    model_config = SettingsConfigDict(env_nested_delimiter="__", hide_input_in_errors=True)

    airflow: AirflowConfig
    admin_user: str = Field(alias="AIRFLOW_ADMIN_USERNAME")
    admin_password: SecretStr = Field(alias="AIRFLOW_ADMIN_PASSWORD")
    minio_user: str = Field(validation_alias=AliasChoices("MINIO_USER", "MINIO_ROOT_USER"))
    metastore_password: SecretStr = Field(alias="POSTGRES_METASTORE_PASSWORD")
    ldap_admin_password: SecretStr  # by field name, case-insensitively


class Small(BaseSettings):
    model_config = SettingsConfigDict(hide_input_in_errors=True)

    token: SecretStr = Field(alias="TOKEN")
    port: int = 1


class NeedsAirflow(BaseSettings):
    model_config = SettingsConfigDict(hide_input_in_errors=True, env_nested_delimiter="__")

    airflow: AirflowConfig


class Strict(BaseSettings):
    """Fields a secret can fail: an int, a length, a pattern, a custom validator."""

    model_config = SettingsConfigDict(hide_input_in_errors=True, env_nested_delimiter="__")

    port: int = Field(alias="PORT")
    token: SecretStr = Field(alias="TOKEN", min_length=64)
    code: str = Field(alias="CODE", pattern=r"^[0-9]+$")
    name: str = Field(alias="NAME")
    airflow: AirflowConfig | None = None

    @field_validator("name")
    @classmethod
    def _no_dash(cls, value: str) -> str:
        if "-" in value:
            raise ValueError(f"no dash allowed in {value!r}")  # quotes the value, as people do
        return value


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(name="store_env")
def _store_env(sm: MotoEndpoint, aws_env: dict[str, str]) -> dict[str, str]:
    """The moto server seeded with the example's seed.yaml; the environment to reach it."""
    env = {**aws_env, "AWS_ENDPOINT_URL": sm.url}
    assert seed.main(["--config", str(CONFIG)], env) == 0
    return env


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "rideshare_service_settings", EXAMPLE / "service_settings.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def secrets_of(model: BaseModel) -> dict[str, Any]:
    """Every field, SecretStr revealed, nested models as dicts: for exact comparison."""

    def reveal(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        if isinstance(value, BaseModel):
            return {k: reveal(getattr(value, k)) for k in type(value).model_fields}
        return value

    return reveal(model)  # type: ignore[no-any-return]


# --- tests ---------------------------------------------------------------------------------


class TestFromTheStore:
    def test_nested_airflow_aliases_and_secret_str_load_exactly(
        self, store_env: dict[str, str]
    ) -> None:
        """Profile data-pipeline fills nested Airflow sections, aliased and named fields."""
        loaded = settings_from(
            PipelineSettings, config=CONFIG, profile="data-pipeline", environ=store_env
        )
        assert type(loaded) is PipelineSettings
        assert secrets_of(loaded) == {
            "airflow": {
                "core": {
                    "fernet_key": "ZGV2LWZlcm5ldC1rZXktMDAwMDAwMDAwMDAwMDAwMDA=",
                    "internal_api_secret_key": "ZGV2LWludGVybmFsLWFwaQ==",
                },
                "api_auth": {"jwt_secret": "ZGV2LWp3dC1zZWNyZXQ="},
                "api": {"secret_key": "ZGV2LWFwaS1zZWNyZXQ="},
            },
            "admin_user": "admin",
            "admin_password": "airflow-admin-pass",
            "minio_user": "minio",
            "metastore_password": "metastore-db-pass",
            "ldap_admin_password": "ldap-admin-pass",
        }
        assert SENTINEL not in repr(loaded)
        assert "airflow-admin-pass" not in repr(loaded) + str(loaded)

    def test_awkward_values_arrive_byte_for_byte(self, sm: MotoEndpoint) -> None:
        """Quotes, $, backslashes, newlines, unicode and empty values are not touched."""
        value = "a'b\"c $HOME ${X} `id` \\n #x = y\nline2\r\tü€ "
        sm.seed({"app/token": {"TOKEN": value, "PORT": "8080"}})
        loaded = settings_from(
            Small, SecretsManagerSource(endpoint_url=sm.url), secrets=["app/token"]
        )
        assert loaded.token.get_secret_value() == value
        assert loaded.port == 8080

    def test_secret_refs_with_transforms_and_env_prefix(self, sm: MotoEndpoint) -> None:
        """A SecretRef's transforms apply, then the model's env_prefix strips the prefix."""

        class Prefixed(BaseSettings):
            model_config = SettingsConfigDict(env_prefix="APP_", hide_input_in_errors=True)
            token: SecretStr

        sm.seed({"app/token": {"TOKEN": "t-1"}})
        loaded = settings_from(
            Prefixed,
            SecretsManagerSource(endpoint_url=sm.url),
            secrets=[SecretRef("app/token", Pipeline(Prefix("APP_")))],
        )
        assert loaded.token.get_secret_value() == "t-1"

    def test_case_sensitive_model(self) -> None:
        """case_sensitive=True matches names exactly, as for environment variables."""

        class Exact(BaseSettings):
            model_config = SettingsConfigDict(case_sensitive=True, hide_input_in_errors=True)
            TOKEN: str
            token: str = "default"

        source = MemorySource({"s": {"TOKEN": "upper"}})
        loaded = settings_from(Exact, source, secrets=["s"])
        assert (loaded.TOKEN, loaded.token) == ("upper", "default")

    def test_a_missing_secret_is_the_stores_error(self, sm: MotoEndpoint) -> None:
        """A secret the store lacks raises SecretNotFound naming it, not a validation error."""
        with pytest.raises(SecretNotFound, match="app/none"):
            settings_from(Small, SecretsManagerSource(endpoint_url=sm.url), secrets=["app/none"])

    @settings(max_examples=60, deadline=None)
    @given(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40))
    def test_any_text_value_is_exact(self, value: str) -> None:
        """Whatever text a secret holds, the SecretStr field holds exactly that."""
        loaded = settings_from(Small, MemorySource({"s": {"TOKEN": value}}), secrets=["s"])
        assert loaded.token.get_secret_value() == value


class TestPrecedence:
    """init kwargs > environment > rideinfra > dotenv (model env_file) > defaults."""

    def test_order(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """Each layer wins over the ones below it."""
        dotenv = tmp_path / ".env"
        dotenv.write_text("TOKEN=from-dotenv\nPORT=2\n")

        class Layered(BaseSettings):
            model_config = SettingsConfigDict(env_file=dotenv, hide_input_in_errors=True)
            token: SecretStr = Field(alias="TOKEN")
            port: int = 1
            user: str = "default-user"
            host: str = "default-host"

        source = MemorySource({"s": {"TOKEN": "from-store", "PORT": "3", "USER": "store-user"}})
        for name in ("TOKEN", "PORT", "USER", "HOST"):
            monkeypatch.delenv(name, raising=False)
        loaded = settings_from(Layered, source, secrets=["s"])
        assert (loaded.token.get_secret_value(), loaded.port, loaded.user) == (
            "from-store",
            3,
            "store-user",
        )
        monkeypatch.setenv("PORT", "4")
        monkeypatch.setenv("HOST", "env-host")
        loaded = settings_from(Layered, source, secrets=["s"])
        assert (loaded.token.get_secret_value(), loaded.port, loaded.host) == (
            "from-store",
            4,
            "env-host",
        )
        loaded = settings_from(Layered, source, secrets=["s"], port=5)
        assert loaded.port == 5
        loaded = settings_from(Layered)  # no rideinfra: the dotenv layer shows through
        assert (loaded.token.get_secret_value(), loaded.port) == ("from-dotenv", 4)

    def test_in_settings_customise_sources(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A model can place the source itself; here the store outranks the environment."""
        store = MemorySource({"s": {"TOKEN": "from-store"}})

        class StoreFirst(BaseSettings):
            model_config = SettingsConfigDict(hide_input_in_errors=True)
            token: SecretStr = Field(alias="TOKEN")

            @classmethod
            def settings_customise_sources(
                cls,
                settings_cls: type[BaseSettings],
                init_settings: PydanticBaseSettingsSource,
                env_settings: PydanticBaseSettingsSource,
                dotenv_settings: PydanticBaseSettingsSource,
                file_secret_settings: PydanticBaseSettingsSource,
            ) -> tuple[PydanticBaseSettingsSource, ...]:
                ours = RideinfraSettingsSource(settings_cls, store, secrets=["s"])
                return (init_settings, ours, env_settings, dotenv_settings)

        monkeypatch.setenv("TOKEN", "from-env")
        assert StoreFirst().token.get_secret_value() == "from-store"
        assert StoreFirst(TOKEN="init").token.get_secret_value() == "init"


class TestEnvFile:
    def test_example_model_loads_the_same_from_store_and_core_env(
        self, store_env: dict[str, str], tmp_path: Path
    ) -> None:
        """The simulation service gets identical settings from moto and from fetch's core.env."""
        example = load_example()
        assert fetch.main(["--config", str(CONFIG), "--out", str(tmp_path)], store_env) == 0
        from_file = example.load(tmp_path / "core.env")
        from_store = example.load(environ=store_env)
        assert (
            secrets_of(from_file)
            == secrets_of(from_store)
            == {
                "api_key": "dev-api-key",
                "redis_password": "redis-dev-pass",
                "kafka_username": "kafka",
                "kafka_password": "kafka-dev-pass",
                "redis_host": "redis",
            }
        )

    def test_json_env_file(self, tmp_path: Path) -> None:
        """A .json file written by `fetch --format json` is read as {VAR: value}."""
        path = tmp_path / "core.json"
        path.write_text(json.dumps({"TOKEN": "j\n$x", "PORT": "9"}))
        loaded = settings_from(Small, env_file=path)
        assert (loaded.token.get_secret_value(), loaded.port) == ("j\n$x", 9)

    @pytest.mark.parametrize(
        ("name", "content", "match"),
        [
            ("missing.env", None, "env file not found"),
            ("bad.env", b"TOKEN='" + SENTINEL.encode() + b"\n", "line 1"),
            ("latin.env", b"TOKEN=\xe9" + SENTINEL.encode(), "not UTF-8"),
            ("list.json", b'["' + SENTINEL.encode() + b'"]', "object of strings"),
            ("broken.json", b'{"TOKEN": "' + SENTINEL.encode(), "not JSON"),
        ],
    )
    def test_unreadable_files_name_the_file_not_the_value(
        self, tmp_path: Path, name: str, content: bytes | None, match: str
    ) -> None:
        """A missing or malformed env file is a ConfigError with its path, never its content."""
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        with pytest.raises(ConfigError, match=match) as info:
            read_env_file(path)
        assert str(path) in str(info.value)
        assert SENTINEL not in str(info.value)


class TestArguments:
    @pytest.mark.parametrize(
        ("options", "match"),
        [
            ({}, "say what to load"),
            ({"profile": "core"}, "needs config="),
            ({"secrets": ["a"]}, "needs source= or config="),
            ({"secrets": "a", "source": MemorySource()}, "not one string"),
            ({"env_file": "x.env", "profile": "core"}, "env_file alone"),
            ({"config": CONFIG, "profile": "nope"}, "no profile 'nope'"),
            ({"config": CONFIG, "profile": "core", "secrets": ["a"]}, "say what to load"),
        ],
    )
    def test_bad_arguments(self, options: dict[str, Any], match: str) -> None:
        """Each incomplete or contradictory call is a ConfigError saying what to give."""
        with pytest.raises(ConfigError, match=match):
            RideinfraSettingsSource(Small, **options)

    def test_model_must_hide_input(self) -> None:
        """A model that would print inputs in its errors is refused, with the fix."""

        class Loud(BaseSettings):
            token: str = ""

        with pytest.raises(ConfigError, match="hide_input_in_errors=True"):
            RideinfraSettingsSource(Loud, MemorySource(), secrets=[])

    def test_repr_names_what_is_loaded(self, store_env: dict[str, str]) -> None:
        """The source's repr shows profile, config and variable names' source, no value."""
        source = RideinfraSettingsSource(
            Small, config=load_config(CONFIG), profile="core", environ=store_env
        )
        text = repr(source)
        assert text.startswith(f"RideinfraSettingsSource(profile='core', config='{CONFIG}'")
        assert "dev-api-key" not in text
        assert set(source.variables) >= {"API_KEY", "REDIS_PASSWORD"}

    def test_settings_from_without_the_loud_config(self) -> None:
        """settings_from works on a model lacking hide_input_in_errors (it adds it)."""

        class Plain(BaseSettings):
            token: SecretStr = Field(alias="TOKEN")

        loaded = settings_from(Plain, MemorySource({"s": {"TOKEN": "v"}}), secrets=["s"])
        assert type(loaded) is Plain
        assert loaded.token.get_secret_value() == "v"


class TestValuesNeverEchoed:
    def failing(self) -> MemorySource:
        return MemorySource(
            {
                "app/bad": {
                    "PORT": f"{SENTINEL}-port",
                    "TOKEN": f"{SENTINEL}-short",
                    "CODE": f"{SENTINEL}-code",
                    "NAME": f"{SENTINEL}-name",
                }
            }
        )

    def test_settings_from_raises_names_only(self) -> None:
        """Every failing field is named with its variable; no value anywhere reachable."""
        with pytest.raises(SettingsValidationError) as info:
            settings_from(Strict, self.failing(), secrets=["app/bad"])
        error = info.value
        assert error.__cause__ is None
        assert error.__context__ is None
        assert error.model == "Strict"
        assert {(p.location, p.variable, p.type) for p in error.problems} == {
            ("PORT", "PORT", "int_parsing"),
            ("TOKEN", "TOKEN", "too_short"),
            ("CODE", "CODE", "string_pattern_mismatch"),
            ("NAME", "NAME", "value_error"),
        }
        shown = "".join(traceback.format_exception(error)) + repr(error) + repr(error.problems)
        assert SENTINEL not in shown
        assert "should have at least 64 item(s)" in str(error)
        assert "TOKEN (variable TOKEN)" in str(error)

    def test_nested_field_names_its_variable(self) -> None:
        """A failing nested field names the AIRFLOW__SECTION__KEY variable it came from."""
        source = MemorySource(
            {
                "a": {
                    "PORT": "1",
                    "TOKEN": "t" * 64,
                    "CODE": "1",
                    "NAME": "n",
                    "AIRFLOW__CORE__FERNET_KEY": "k",
                }
            }
        )
        with pytest.raises(SettingsValidationError) as info:
            settings_from(Strict, source, secrets=["a"])
        locations = {(p.location, p.type) for p in info.value.problems}
        assert ("airflow.core.internal_api_secret_key", "missing") in locations
        assert all(p.variable is None for p in info.value.problems)

    def test_a_nested_value_names_its_delimited_variable(self) -> None:
        """db.port failing names DB__PORT, the variable it was read from."""

        class Db(BaseModel):
            port: int

        class Deep(BaseSettings):
            model_config = SettingsConfigDict(env_nested_delimiter="__")
            db: Db

        source = MemorySource({"a": {"DB__PORT": SENTINEL}})
        with pytest.raises(SettingsValidationError) as info:
            settings_from(Deep, source, secrets=["a"])
        assert info.value.problems == (
            FieldProblem(
                "db.port",
                "DB__PORT",
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer",
            ),
        )
        assert SENTINEL not in str(info.value)

    def test_locations_name_fields_never_keys_from_a_value(self) -> None:
        """A JSON value's keys and positions stay out of every location (they held tokens)."""

        class Db(BaseModel):
            model_config = ConfigDict(extra="forbid")
            port: int

        class Keyed(BaseSettings):
            model_config = SettingsConfigDict(env_nested_delimiter="__")
            tokens: dict[str, int]
            items: list[int] = []
            db: Db | None = None
            either: int | bool = 0

        source = MemorySource(
            {
                "a": {
                    "TOKENS": json.dumps({f"sk_live_{SENTINEL}": "x"}),
                    "ITEMS": json.dumps([1, f"{SENTINEL}-item"]),
                    "DB": json.dumps({"port": "p", f"extra_{SENTINEL}": 1}),
                    "EITHER": SENTINEL,
                }
            }
        )
        with pytest.raises(SettingsValidationError) as info:
            settings_from(Keyed, source, secrets=["a"])
        problems = info.value.problems
        assert {(p.location, p.variable, p.type) for p in problems} == {
            ("tokens", "TOKENS", "int_parsing"),
            ("items", "ITEMS", "int_parsing"),
            ("db.port", "DB", "int_parsing"),
            ("db", "DB", "extra_forbidden"),
            ("either", "EITHER", "int_parsing | bool_parsing"),  # one field, both members
        }
        assert "rest of its location is not shown" in problems[0].message
        shown = str(info.value) + repr(problems) + "".join(traceback.format_exception(info.value))
        assert SENTINEL not in shown
        assert "sk_live" not in shown

    def test_unparsable_json_for_a_nested_field(self) -> None:
        """A complex field given broken JSON: named, no value, nothing chained."""
        source = MemorySource({"a": {"AIRFLOW": SENTINEL}})
        with pytest.raises(SettingsValidationError) as info:
            settings_from(NeedsAirflow, source, secrets=["a"])
        assert info.value.problems == (
            FieldProblem(
                "airflow",
                "AIRFLOW",
                "settings_error",
                "the value of variable AIRFLOW is not valid JSON, which this field's type needs "
                '(error parsing value for field "airflow" from source "RideinfraSettingsSource")',
            ),
        )
        assert info.value.__context__ is None
        assert SENTINEL not in "".join(traceback.format_exception(info.value))

    def test_unparsable_json_names_the_aliased_variable(self) -> None:
        """`x: Nested = Field(alias="X")` given `{bad`: the variable X, rideinfra's, is named
        (pydantic-settings' own message names the field x and no variable)."""

        class Nested(BaseModel):
            a: int = 1

        class Aliased(BaseSettings):
            x: Nested = Field(alias="X")

        with pytest.raises(SettingsValidationError) as info:
            settings_from(Aliased, MemorySource({"s": {"X": "{bad" + SENTINEL}}), secrets=["s"])
        (problem,) = info.value.problems
        assert (problem.location, problem.variable, problem.type) == ("X", "X", "settings_error")
        assert "X (variable X): the value of variable X is not valid JSON" in str(info.value)
        assert "not a rideinfra variable" not in str(info.value)
        assert SENTINEL not in "".join(traceback.format_exception(info.value))

    def test_unparsable_json_from_the_environment_is_not_rideinfras(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The same failure in an environment variable names no rideinfra variable."""
        monkeypatch.setenv("AIRFLOW", SENTINEL)
        with pytest.raises(SettingsValidationError) as info:
            settings_from(NeedsAirflow, MemorySource({"s": {"OTHER": "1"}}), secrets=["s"])
        (problem,) = info.value.problems
        assert (problem.location, problem.variable) == ("airflow", None)
        assert "EnvSettingsSource" in problem.message
        assert SENTINEL not in str(info.value)

    def test_a_union_field_counts_once(self) -> None:
        """`int | Literal["auto"]` failing both members is one field, listed once."""

        class Union(BaseSettings):
            x: int | Literal["auto"] = Field(alias="X")
            y: int = 0

        with pytest.raises(SettingsValidationError) as info:
            settings_from(Union, MemorySource({"s": {"X": SENTINEL, "Y": SENTINEL}}), secrets=["s"])
        text = str(info.value)
        assert text.startswith("settings Union: 2 field(s) invalid (values not shown):\n")
        lines = text.splitlines()[1:]
        assert len(lines) == 2
        assert lines[0].startswith("  X (variable X): Input should be a valid integer")
        assert "Input should be 'auto'" in lines[0]
        assert lines[0].endswith("[type=int_parsing | literal_error]")
        assert lines[1].startswith("  y (variable Y): ")
        assert [p.location for p in info.value.problems] == ["X", "y"]
        assert SENTINEL not in text + repr(info.value.problems)

    @pytest.mark.parametrize("kind", [TypeError, KeyError, RuntimeError])
    def test_a_validator_raising_what_pydantic_does_not_wrap(self, kind: type[Exception]) -> None:
        """pydantic lets a validator's TypeError through, message (and value) and all:
        re-raised as SettingsValidationError naming the validator, without the message."""

        class Raising(BaseSettings):
            x: str = Field(alias="X")

            @field_validator("x")
            @classmethod
            def check(cls, value: str) -> str:
                raise kind(f"bad {value}")

        with pytest.raises(SettingsValidationError) as info:
            settings_from(Raising, MemorySource({"s": {"X": SENTINEL}}), secrets=["s"])
        error = info.value
        assert error.__cause__ is None
        assert error.__context__ is None
        (problem,) = error.problems
        assert problem.type == kind.__name__
        assert "Raising.check (test_settings.py:" in problem.message
        shown = "".join(traceback.format_exception(error)) + repr(error) + repr(error.problems)
        assert SENTINEL not in shown

    def test_a_source_error_is_still_the_sources(self) -> None:
        with pytest.raises(SecretNotFound):
            settings_from(Small, MemorySource({}), secrets=["absent"])

    def test_direct_use_hides_input_in_str_and_repr(self) -> None:
        """Built by pydantic itself, the ValidationError's str/repr/traceback show no value."""
        store = self.failing()

        class Direct(Strict):
            @classmethod
            def settings_customise_sources(
                cls,
                settings_cls: type[BaseSettings],
                init_settings: PydanticBaseSettingsSource,
                env_settings: PydanticBaseSettingsSource,
                dotenv_settings: PydanticBaseSettingsSource,
                file_secret_settings: PydanticBaseSettingsSource,
            ) -> tuple[PydanticBaseSettingsSource, ...]:
                return (init_settings, RideinfraSettingsSource(settings_cls, store, secrets=["s"]))

        store.put("s", {"PORT": SENTINEL, "TOKEN": "t" * 64, "CODE": "1", "NAME": "n"})
        with pytest.raises(ValidationError) as info:
            Direct()
        shown = str(info.value) + repr(info.value) + "".join(traceback.format_exception(info.value))
        assert SENTINEL not in shown
        # pydantic keeps the input in errors() by design; ask without it.
        assert SENTINEL in json.dumps(info.value.errors(include_url=False))
        assert SENTINEL not in json.dumps(info.value.errors(include_input=False))

    def test_direct_use_settings_error_has_no_cause(self) -> None:
        """The source's own SettingsError (bad JSON) carries no chained decode error."""
        store = MemorySource({"s": {"AIRFLOW": SENTINEL}})
        source = RideinfraSettingsSource(NeedsAirflow, store, secrets=["s"])
        with pytest.raises(SettingsError) as info:
            source()
        assert info.value.__cause__ is None
        assert info.value.__context__ is None
        assert SENTINEL not in "".join(traceback.format_exception(info.value))
