"""`render k8s` with templates: ESO's `target.template` gives the Secret the env file's bytes."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from rideinfra.errors import RenderError
from rideinfra.profiles.config import load_config, parse_config
from rideinfra.profiles.resolve import resolve
from rideinfra.render.eso import eso_from_source
from rideinfra.testing import MemorySource
from support.eso_crd import assert_valid
from support.eso_eval import evaluate
from support.go_template import execute

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "rideshare" / "rideinfra.yaml"
REFERENCE = yaml.safe_load((REPO / "tests" / "data" / "rideshare_reference.yaml").read_text())
HOSTILE = "a b+c@d:e/f?g#h%"
SENTINEL = "SENTINEL-v4lue-77"

VALUES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=30
) | st.text(alphabet=string.punctuation + " %{}", max_size=30)
LITERALS = st.text(alphabet="ab:/@{}'\\\" %-", max_size=8)


def externals(text: dict[str, str]) -> dict[str, dict[str, Any]]:
    docs = [d for t in text.values() for d in yaml.safe_load_all(t)]
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == "ExternalSecret"}


def secret_eso_writes(es: dict[str, Any], env: Any) -> dict[str, str]:
    """The Secret's data: fetched keys (the env's plain values), then each template run by Go."""
    fetched = {name: env[name].reveal() for name in env if not env.origin(name).composed}
    templates = es["spec"]["target"].get("template", {}).get("data", {})
    outputs = execute([(text, fetched) for text in templates.values()])
    return {**fetched, **dict(zip(templates, outputs, strict=True))}


def one_profile(template: dict[str, str], **extra: Any) -> Any:
    return parse_config(
        {
            "version": 1,
            "profiles": {"app": {"secrets": ["app/db"], "template": template, **extra}},
        }
    )


class TestRideshare:
    def test_the_secret_holds_the_env_files_bytes(self) -> None:
        """With the issue's password, ESO's Secret (Go text/template) equals the env file."""
        config = load_config(EXAMPLE)
        catalog = {**REFERENCE["catalog"]}
        catalog["rideshare/postgres-airflow"] = {
            "POSTGRES_USER": "air flow@",
            "POSTGRES_PASSWORD": HOSTILE,
        }
        store = MemorySource(catalog)
        env = resolve(config, store, profiles=["data-pipeline"])["data-pipeline"]
        es = externals(eso_from_source(config, store, profiles=["data-pipeline"]))["data-pipeline"]
        assert_valid([es])
        template = es["spec"]["target"]["template"]
        assert (template["engineVersion"], template["mergePolicy"]) == ("v2", "Merge")
        assert secret_eso_writes(es, env) == {name: env[name].reveal() for name in env}
        conn = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].reveal()
        assert conn == (
            "postgresql+psycopg2://air%20flow%40:a%20b%2Bc%40d%3Ae%2Ff%3Fg%23h%25"
            "@postgres-airflow:5432/airflow"
        )
        assert HOSTILE not in str(es)


@settings(max_examples=60, deadline=None)
@given(user=VALUES, password=VALUES, lead=LITERALS, tail=LITERALS)
def test_go_text_template_gives_the_same_bytes(
    user: str, password: str, lead: str, tail: str
) -> None:
    """url, libpq and raw placeholders, literal braces anywhere: Go's output equals rideinfra's."""
    lead, tail = (
        lead.replace("{", "{{").replace("}", "}}"),
        tail.replace("{", "{{").replace("}", "}}"),
    )
    template = {
        "URL": f"{lead}x://{{USER|url}}:{{PASS|url}}@h/{{{{{{USER|url}}}}}}{tail}",
        "DSN": f"{tail}user='{{USER|libpq}}' password='{{PASS|libpq}}'{lead}",
        "RAW": f"{lead}{{USER}}{tail}{{PASS}}",
    }
    config = one_profile(template)
    store = MemorySource({"app/db": {"USER": user, "PASS": password}})
    env = resolve(config, store)["app"]
    es = externals(eso_from_source(config, store))["app"]
    assert_valid([es])
    store_fields = {"app/db": ["USER", "PASS"]}
    assert set(evaluate(es, store_fields)) == set(env)
    assert secret_eso_writes(es, env) == {name: env[name].reveal() for name in env}


class TestRefusals:
    def test_json_escaper_is_refused_by_name(self) -> None:
        config = one_profile({"BODY": '{{"p": "{PASS|json}"}}'})
        store = MemorySource({"app/db": {"PASS": SENTINEL}})
        with pytest.raises(RenderError, match=r"BODY.*json") as info:
            eso_from_source(config, store)
        assert info.value.variable == "BODY"
        assert SENTINEL not in str(info.value)

    def test_an_input_that_is_not_a_variable_is_refused(self) -> None:
        """`keys` keeps only the URL: ESO could read PASS only by putting it in the Secret."""
        config = one_profile({"URL": "r://:{PASS|url}@r"}, keys=["URL"])
        store = MemorySource({"app/db": {"PASS": SENTINEL}})
        with pytest.raises(RenderError, match=r"URL.*app/db:PASS.*not itself a variable") as info:
            eso_from_source(config, store)
        assert SENTINEL not in str(info.value)

    def test_a_template_over_a_template_is_refused(self) -> None:
        config = parse_config(
            {
                "version": 1,
                "secrets": {"app/db": {"transforms": [{"template": {"A": "{PASS|url}"}}]}},
                "profiles": {"app": {"secrets": ["app/db"], "template": {"B": "x{A}"}}},
            }
        )
        store = MemorySource({"app/db": {"PASS": SENTINEL}})
        with pytest.raises(RenderError, match=r"B.*another template") as info:
            eso_from_source(config, store)
        assert SENTINEL not in str(info.value)
