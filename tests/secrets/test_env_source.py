"""EnvSource: secrets from an environment mapping, by prefix or by explicit mapping."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rideinfra.errors import SecretFormatError, SecretNotFound
from rideinfra.secrets.env import EnvSource, env_var_for
from rideinfra.secrets.model import ParseOptions, Secret

SENTINEL = "s3cr3t-Sentinel-9f8e7d"
env_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\0"))


def revealed(secret: Secret) -> dict[str, str]:
    return {name: value.reveal() for name, value in secret.fields.items()}


class TestEnvVarFor:
    @pytest.mark.parametrize(
        ("name", "variable"),
        [
            ("rideshare/api-key", "RIDEINFRA_SECRET_RIDESHARE_API_KEY"),
            ("app.db", "RIDEINFRA_SECRET_APP_DB"),
            ("café", "RIDEINFRA_SECRET_CAF_"),
            ("straße", "RIDEINFRA_SECRET_STRA_E"),
            ("A_b-9", "RIDEINFRA_SECRET_A_B_9"),
        ],
    )
    def test_normalises_names(self, name: str, variable: str) -> None:
        """Non-ASCII-alphanumerics become _, then letters are upper-cased."""
        assert env_var_for(name) == variable

    def test_custom_prefix(self) -> None:
        """The prefix is put in front as given."""
        assert env_var_for("a/b", "S_") == "S_A_B"


class TestEnvSourceByPrefix:
    def test_reads_the_json_secret_string(self) -> None:
        """The variable holds the SecretString; its fields and origin come back."""
        environ = {"RIDEINFRA_SECRET_RIDESHARE_REDIS": '{"REDIS_PASSWORD": "p w"}'}
        secret = EnvSource(environ).fetch("rideshare/redis")
        assert revealed(secret) == {"REDIS_PASSWORD": "p w"}
        assert secret.origin == "env:RIDEINFRA_SECRET_RIDESHARE_REDIS"

    def test_custom_prefix(self) -> None:
        """prefix= changes the variable looked up."""
        secret = EnvSource({"MY_A": '{"K": "v"}'}, prefix="MY_").fetch("a")
        assert revealed(secret) == {"K": "v"}

    def test_unset_variable_is_not_found_naming_it(self) -> None:
        """An unset variable is SecretNotFound naming the variable."""
        with pytest.raises(SecretNotFound, match="RIDEINFRA_SECRET_APP_X is not set"):
            EnvSource({}).fetch("app/x")

    def test_non_json_names_secret_and_variable_not_value(self) -> None:
        """A variable that is not a JSON object is refused without showing it."""
        environ = {"RIDEINFRA_SECRET_APP": SENTINEL}
        with pytest.raises(SecretFormatError, match="RIDEINFRA_SECRET_APP") as info:
            EnvSource(environ).fetch("app")
        assert "'app'" in str(info.value)
        assert SENTINEL not in str(info.value)

    def test_plain_field_admits_plain_text(self) -> None:
        """With plain_field, a plain variable is that one field, exactly."""
        source = EnvSource(
            {"RIDEINFRA_SECRET_TOKEN": " t\n"}, options=ParseOptions(plain_field="T")
        )
        assert revealed(source.fetch("token")) == {"T": " t\n"}

    def test_reads_the_mapping_live(self) -> None:
        """The environment mapping is read at each fetch, not copied at construction."""
        environ: dict[str, str] = {}
        source = EnvSource(environ)
        with pytest.raises(SecretNotFound):
            source.fetch("a")
        environ["RIDEINFRA_SECRET_A"] = '{"K": "v"}'
        assert revealed(source.fetch("a")) == {"K": "v"}

    @given(fields=st.dictionaries(st.text(min_size=1), env_text, min_size=1, max_size=5))
    def test_any_fields_survive(self, fields: dict[str, str]) -> None:
        """Any fields stored as a JSON variable read back exactly."""
        environ = {"RIDEINFRA_SECRET_APP_X": json.dumps(fields)}
        assert revealed(EnvSource(environ).fetch("app/x")) == fields


class TestEnvSourceByMapping:
    mapping = {"rideshare/postgres": {"USER": "PGUSER", "PASSWORD": "PGPASSWORD"}}  # noqa: RUF012

    def test_fields_are_exact_variable_values(self) -> None:
        """Each field is its variable's exact text; the origin lists the variables."""
        environ = {"PGUSER": "u", "PGPASSWORD": '{"not": "parsed"}'}
        secret = EnvSource(environ, mapping=self.mapping).fetch("rideshare/postgres")
        assert revealed(secret) == {"USER": "u", "PASSWORD": '{"not": "parsed"}'}
        assert secret.origin == "env:PGUSER,PGPASSWORD"

    def test_unlisted_secret_is_not_found(self) -> None:
        """Only listed secrets exist; the prefix is not consulted in mapping mode."""
        environ = {"RIDEINFRA_SECRET_OTHER": '{"K": "v"}'}
        with pytest.raises(SecretNotFound, match="does not list it"):
            EnvSource(environ, mapping=self.mapping).fetch("other")

    def test_none_set_is_not_found(self) -> None:
        """A secret none of whose variables is set is SecretNotFound naming them."""
        with pytest.raises(SecretNotFound, match="PGPASSWORD, PGUSER"):
            EnvSource({}, mapping=self.mapping).fetch("rideshare/postgres")

    def test_partly_set_is_a_format_error(self) -> None:
        """A half-set secret is a SecretFormatError naming the missing variable."""
        environ = {"PGUSER": SENTINEL}
        with pytest.raises(SecretFormatError, match="PGPASSWORD are missing") as info:
            EnvSource(environ, mapping=self.mapping).fetch("rideshare/postgres")
        assert SENTINEL not in str(info.value)

    def test_empty_values_are_values(self) -> None:
        """A variable set to the empty string is an empty field, not an unset one."""
        environ = {"PGUSER": "", "PGPASSWORD": ""}
        secret = EnvSource(environ, mapping=self.mapping).fetch("rideshare/postgres")
        assert revealed(secret) == {"USER": "", "PASSWORD": ""}

    @given(user=env_text, password=env_text)
    def test_any_values_survive(self, user: str, password: str) -> None:
        """Any variable values come back exactly."""
        environ = {"PGUSER": user, "PGPASSWORD": password}
        secret = EnvSource(environ, mapping=self.mapping).fetch("rideshare/postgres")
        assert revealed(secret) == {"USER": user, "PASSWORD": password}

    def test_repr_shows_no_values(self) -> None:
        """repr lists the mode and names only."""
        source = EnvSource({"PGUSER": SENTINEL}, mapping=self.mapping)
        assert repr(source) == "EnvSource(mapping=['rideshare/postgres'])"
        assert repr(EnvSource({})) == "EnvSource(prefix='RIDEINFRA_SECRET_')"
