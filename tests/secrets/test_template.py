"""The `template` transform: syntax, refusals, origins, each escaper read back by its parser."""

from __future__ import annotations

import json
import string
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from rideinfra.errors import ConfigError, TransformError
from rideinfra.profiles.config import parse_config
from rideinfra.profiles.explain import explain, format_explain
from rideinfra.profiles.resolve import resolve
from rideinfra.secrets.model import Secret, SecretValue
from rideinfra.secrets.transforms import Drop, Keys, Prefix, Template, entries_from_secret
from rideinfra.secrets.transforms._template import escape_json, escape_libpq, escape_url
from rideinfra.testing import MemorySource

SENTINEL = "SENTINEL-v4lue-9f3"
HOSTILE = "a b+c@d:e/f?g#h%"

# Passwords as people make them: every ASCII punctuation, spaces, %, non-ASCII, empty.
PUNCTUATION = st.text(alphabet=string.punctuation + " %", max_size=30)
PRINTABLE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"),
    max_size=40,
)
PASSWORDS = st.one_of(st.just(""), st.just(HOSTILE), PUNCTUATION, PRINTABLE)


def composed(template: str, **fields: str) -> str:
    secret = Secret("app/db", {k: SecretValue(v) for k, v in fields.items()})
    out = Template({"OUT": template})(entries_from_secret(secret))
    return next(e for e in out if e.name == "OUT").value.reveal()


def config(data: dict[str, Any]) -> Any:
    return parse_config({"version": 1, **data})


class TestComposition:
    def test_fields_placeholders_and_literal_braces(self) -> None:
        """`{F}` raw, `{F|url}` encoded, `{{`/`}}` literal; the source fields stay."""
        secret = Secret("app/db", {"U": SecretValue("u"), "P": SecretValue(HOSTILE)})
        out = Template({"URL": "x://{U}:{P|url}@h/{{db}}"})(entries_from_secret(secret))
        assert [(e.name, e.value.reveal()) for e in out] == [
            ("U", "u"),
            ("P", HOSTILE),
            ("URL", "x://u:a%20b%2Bc%40d%3Ae%2Ff%3Fg%23h%25@h/{db}"),
        ]

    def test_later_steps_see_the_new_variable_and_may_drop_sources(self) -> None:
        """`keys`/`drop`/`prefix` after a template treat its variable like any other."""
        secret = Secret("app/db", {"P": SecretValue("p")})
        pipeline = Template({"URL": "r://:{P|url}@r"}) | Drop(["P"]) | Prefix("APP_")
        assert [e.name for e in pipeline(entries_from_secret(secret))] == ["APP_URL"]
        keep = Template({"URL": "r://:{P|url}@r"}) | Keys(["URL"])
        assert [e.name for e in keep(entries_from_secret(secret))] == ["URL"]

    def test_origin_records_the_template_and_every_field(self) -> None:
        secret = Secret("app/db", {"U": SecretValue("u"), "P": SecretValue("p")})
        step = Template({"URL": "{U}:{P|url}:{U}"})
        (url,) = [e for e in step(entries_from_secret(secret)) if e.name == "URL"]
        assert url.origin.composed
        assert url.origin.ref == "template(app/db:U, app/db:P)"
        assert url.origin.transforms == (repr(step),)
        assert url.origin.field == "{U}:{P|url}:{U}"

    def test_repr_is_its_config_line(self) -> None:
        step = Template({"URL": "x://{U|url}@h/{{x}}"})
        assert yaml.safe_load("{" + repr(step) + "}") == {
            "template": {"URL": "x://{U|url}@h/{{x}}"}
        }
        assert SENTINEL not in repr(step)

    def test_a_new_name_that_is_taken_is_refused(self) -> None:
        secret = Secret("app/db", {"URL": SecretValue("old")})
        with pytest.raises(TransformError, match="URL"):
            Template({"URL": "new"})(entries_from_secret(secret))


class TestRefusals:
    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("{P|urll}", r"unknown escaper `urll`.*did you mean `url`\?"),
            ("a}b", r"lone `}`"),
            ("{P", r"opens no placeholder"),
            ("{}", r"names no field"),
            ("{P|url|json}", r"`\{P\|url\|json\}` at character 1 has more than one `\|`"),
            ("x{P|URL}", r"unknown escaper `URL`.*did you mean `url`\?"),
            ("{P|Json}", r"unknown escaper `Json`.*did you mean `json`\?"),
        ],
    )
    def test_malformed_template_is_a_config_error_at_load(self, text: str, message: str) -> None:
        """Secret-bound and profile-level: exit 2, the path names the variable."""
        for data in (
            {
                "secrets": {"app/db": {"transforms": [{"template": {"URL": text}}]}},
                "profiles": {"p": {"secrets": ["app/db"]}},
            },
            {"profiles": {"p": {"secrets": ["app/db"], "template": {"URL": text}}}},
        ):
            with pytest.raises(ConfigError, match=message) as info:
                config(data)
            assert "template" in str(info.value)
            assert "URL" in str(info.value)
            assert info.value.exit_code == 2

    def test_bad_variable_name_is_a_config_error(self) -> None:
        with pytest.raises(ConfigError, match="'1URL' is not a valid variable name"):
            config({"profiles": {"p": {"secrets": ["a"], "template": {"1URL": "x"}}}})

    def test_missing_field_names_secret_placeholder_and_closest(self) -> None:
        """At fetch: exit 1, the secret, the placeholder and the closest field; no value."""
        cfg = config(
            {
                "secrets": {"app/db": {"transforms": [{"template": {"URL": "{pasword|url}"}}]}},
                "profiles": {"p": {"secrets": ["app/db"]}},
            }
        )
        with pytest.raises(TransformError) as info:
            resolve(cfg, MemorySource({"app/db": {"password": SENTINEL}}))
        text = str(info.value)
        assert "'app/db'" in text
        assert "{pasword|url}" in text
        assert "did you mean password?" in text
        assert SENTINEL not in text
        assert info.value.exit_code == 1

    def test_missing_variable_at_profile_level_names_the_profile(self) -> None:
        cfg = config(
            {"profiles": {"p": {"secrets": ["app/db"], "template": {"URL": "{PASSWROD|url}"}}}}
        )
        with pytest.raises(TransformError) as info:
            resolve(cfg, MemorySource({"app/db": {"PASSWORD": SENTINEL}}))
        text = str(info.value)
        assert "profile 'p'" in text
        assert "{PASSWROD|url}" in text
        assert "PASSWORD?" in text
        assert SENTINEL not in text

    @pytest.mark.parametrize(
        ("escaper", "value", "why"),
        [
            ("libpq", f"{SENTINEL}\0x", "NUL"),
            ("url", f"{SENTINEL}\udc80", "surrogate"),
            ("json", f"{SENTINEL}\ud800", "surrogate"),
        ],
    )
    def test_a_value_the_escaper_cannot_carry_is_refused_by_name(
        self, escaper: str, value: str, why: str
    ) -> None:
        secret = Secret("app/db", {"P": SecretValue(value)})
        with pytest.raises(TransformError, match=why) as info:
            Template({"DSN": f"password='{{P|{escaper}}}'"})(entries_from_secret(secret))
        text = str(info.value)
        assert "DSN" in text
        assert f"{{P|{escaper}}}" in text
        assert "'app/db'" in text
        assert SENTINEL not in text

    def test_a_nested_field_is_refused(self) -> None:
        secret = Secret("app/db", {"P": SecretValue('{"a": 1}', structured=True)})
        with pytest.raises(TransformError, match="nested JSON"):
            Template({"X": "{P}"})(entries_from_secret(secret))


class TestProfileLevel:
    def test_combines_secrets_after_merge_before_keys(self, tmp_path: Path) -> None:
        """A host from one secret, a password from another; `keys` may keep only the URL."""
        cfg = config(
            {
                "profiles": {
                    "p": {
                        "secrets": ["db/host", "db/creds"],
                        "template": {"URL": "postgresql://{USER|url}:{PASS|url}@{HOST}/x"},
                        "keys": ["URL"],
                    }
                }
            }
        )
        store = MemorySource(
            {"db/host": {"HOST": "pg"}, "db/creds": {"USER": "u", "PASS": HOSTILE}}
        )
        env = resolve(cfg, store)["p"]
        assert list(env) == ["URL"]
        assert env["URL"].reveal() == f"postgresql://u:{escape_url(HOSTILE)}@pg/x"
        assert env.origin("URL").ref == "template(db/creds:USER, db/creds:PASS, db/host:HOST)"
        rows = explain(
            cfg,
            MemorySource(
                {"db/host": {"HOST": SENTINEL}, "db/creds": {"USER": SENTINEL, "PASS": SENTINEL}}
            ),
        )
        table = format_explain(rows)
        assert "template(db/creds:USER, db/creds:PASS, db/host:HOST)" in table
        assert "{PASS|url}" in table
        assert SENTINEL not in table

    def test_collision_with_a_merged_variable_is_refused(self) -> None:
        cfg = config({"profiles": {"p": {"secrets": ["a"], "template": {"K": "x"}}}})
        with pytest.raises(TransformError, match="K"):
            resolve(cfg, MemorySource({"a": {"K": SENTINEL}}))


# --- each escaper, read back by the parser that defines it ------------------------------------


@settings(max_examples=300, deadline=None)
@given(user=PASSWORDS, password=PASSWORDS, db=PASSWORDS)
def test_url_read_back_by_sqlalchemy_make_url(user: str, password: str, db: str) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(
        composed(
            "postgresql+psycopg2://{U|url}:{P|url}@db.example:5432/{D|url}",
            U=user,
            P=password,
            D=db,
        )
    )
    assert (url.username or "", url.password or "", url.database or "") == (user, password, db)
    assert (url.host, url.port) == ("db.example", 5432)


@settings(max_examples=300, deadline=None)
@given(user=PASSWORDS.filter(bool), password=PASSWORDS, db=PASSWORDS.filter(bool))
def test_url_read_back_by_libpq_conninfo(user: str, password: str, db: str) -> None:
    """psycopg's conninfo_to_dict is libpq's own URI parser (an empty password reads as none)."""
    from psycopg.conninfo import conninfo_to_dict

    parsed = conninfo_to_dict(
        composed("postgresql://{U|url}:{P|url}@db.example:5432/{D|url}", U=user, P=password, D=db)
    )
    assert (parsed["user"], parsed.get("password", ""), parsed["dbname"]) == (user, password, db)


@settings(max_examples=300, deadline=None)
@given(user=PASSWORDS, password=PASSWORDS)
def test_url_read_back_by_redis_from_url(user: str, password: str) -> None:
    import redis

    client = redis.Redis.from_url(composed("redis://{U|url}:{P|url}@r:6379/0", U=user, P=password))
    kwargs = client.connection_pool.connection_kwargs
    assert (kwargs.get("username") or "", kwargs.get("password") or "") == (user, password)


@settings(max_examples=300, deadline=None)
@given(user=PASSWORDS, password=PASSWORDS, path=PASSWORDS, query=PASSWORDS)
def test_url_read_back_by_urllib_in_userinfo_path_and_query(
    user: str, password: str, path: str, query: str
) -> None:
    text = composed("s://{U|url}:{P|url}@h/{S|url}?q={Q|url}", U=user, P=password, S=path, Q=query)
    parts = urllib.parse.urlsplit(text)
    unquote = urllib.parse.unquote
    assert unquote(parts.username or "") == user
    assert unquote(parts.password or "") == password
    assert parts.hostname == "h"
    assert unquote(parts.path) == "/" + path
    assert urllib.parse.parse_qs(parts.query, keep_blank_values=True)["q"] == [query]
    assert set(escape_url(password)) <= set(string.ascii_letters + string.digits + "-._~%ABCDEF")


@settings(max_examples=300, deadline=None)
@given(value=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_json_body_read_back_by_json(value: str) -> None:
    assert json.loads(composed('{{"password": "{P|json}"}}', P=value)) == {"password": value}
    assert escape_json(value) == json.dumps(value, ensure_ascii=False)[1:-1]


@settings(max_examples=300, deadline=None)
@given(user=PASSWORDS, password=PASSWORDS)
def test_libpq_value_read_back_by_conninfo(user: str, password: str) -> None:
    from psycopg.conninfo import conninfo_to_dict

    dsn = composed("host=db user='{U|libpq}' password='{P|libpq}' dbname=x", U=user, P=password)
    parsed = conninfo_to_dict(dsn)
    assert (parsed["user"], parsed["password"]) == (user, password)
    assert escape_libpq(password).count("\\") >= password.count("'")


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{PASWORD|url}", "did you mean PASSWORD?"),
        ("password='{NUL|libpq}'", "NUL character"),
    ],
    ids=["missing field", "NUL for libpq"],
)
def test_fetch_exits_1_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], template: str, message: str
) -> None:
    """A placeholder without a field, or a value its escaper cannot carry: exit 1, no file."""
    from rideinfra import fetch

    (tmp_path / "store.json").write_text(
        json.dumps({"app/db": {"PASSWORD": SENTINEL, "NUL": f"{SENTINEL}\u0000"}})
    )
    (tmp_path / "rideinfra.yaml").write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "source": {"type": "file", "path": "store.json"},
                "profiles": {"app": {"secrets": ["app/db"], "template": {"URL": template}}},
            }
        )
    )
    out = tmp_path / "out"
    argv = ["--config", str(tmp_path / "rideinfra.yaml"), "--out", str(out)]
    assert fetch.main(argv, {}) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "profile 'app'" in err
    assert SENTINEL not in err
    assert not out.exists()
