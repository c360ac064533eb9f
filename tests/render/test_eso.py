"""ESO manifests: CRD-valid, the same variables as the env files, no values, deterministic."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from rideinfra.errors import ConfigError, KeyCollision, RenderError, TransformError
from rideinfra.operations.setup import config_source
from rideinfra.profiles import Config, Env, explain_envs, load_config, parse_config, resolve
from rideinfra.render import KubernetesSecret
from rideinfra.render.eso import (
    EsoOptions,
    dump_yaml,
    eso_documents,
    eso_from_source,
    external_secret,
    helm_values,
    render_eso,
)
from rideinfra.secrets import SecretsManagerSource
from rideinfra.secrets.files import FileSource
from rideinfra.secrets.model import Secret
from rideinfra.testing import MemorySource
from support.eso_crd import CRD_DIR, assert_valid, crd_errors, crd_schemas
from support.eso_eval import EsoEvalError, evaluate, go_regexp, go_replace_all
from support.moto import MotoEndpoint

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "rideshare" / "rideinfra.yaml"
SEED = REPO / "examples" / "rideshare" / "seed.yaml"
REFERENCE = yaml.safe_load((REPO / "tests" / "data" / "rideshare_reference.yaml").read_text())
MARK = "s3cr3t-v4lue-"  # every stored value contains it; no manifest may

SPARK_TESTING = {
    "MINIO_ROOT_USER": "rideshare/minio:MINIO_ROOT_USER",
    "MINIO_ROOT_PASSWORD": "rideshare/minio:MINIO_ROOT_PASSWORD",
    "HIVE_LDAP_USERNAME": "rideshare/hive-thrift:LDAP_USERNAME",
    "HIVE_LDAP_PASSWORD": "rideshare/hive-thrift:LDAP_PASSWORD",
}


# --- helpers ------------------------------------------------------------------


def marked(catalog: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """The catalog's field names with values that say they are values."""
    return {
        name: {field: f"{MARK}{i}-{j}" for j, field in enumerate(fields)}
        for i, (name, fields) in enumerate(catalog.items())
    }


def field_names(store: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    return {name: list(fields) for name, fields in store.items()}


def fetched(store: MemorySource, names: list[str]) -> Mapping[str, Secret]:
    result = store.fetch_many(names)
    result.raise_errors()
    return result


def origins(envs: Mapping[str, Env]) -> dict[str, dict[str, tuple[str, str]]]:
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for row in explain_envs(dict(envs)):
        origin = (row.secret, row.field) if row.inputs is None else ("template", *row.inputs)
        out.setdefault(row.profile, {})[row.variable] = origin
    return out


def render_all(
    config: Config, catalog: Mapping[str, Mapping[str, Any]], options: EsoOptions | None = None
) -> tuple[dict[str, Env], list[dict[str, Any]]]:
    store = MemorySource(catalog)
    envs = resolve(config, store)
    secrets = fetched(store, list(catalog))
    text = render_eso(config, envs, options, secrets=secrets)
    docs = [d for t in text.values() for d in yaml.safe_load_all(t)]
    return envs, docs


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def config_of(data: dict[str, Any]) -> Config:
    return parse_config({"version": 1, "source": {"type": "aws-secretsmanager"}, **data})


@pytest.fixture(name="config")
def _config() -> Config:
    return load_config(EXAMPLE)


# --- the evaluator itself -------------------------------------------------------


class TestEvaluator:
    @pytest.mark.parametrize(
        ("template", "expected"),
        [("T", "-T-T-"), ("$1", "--xx-"), ("$1W", "---"), ("${1}W", "-W-xxW-")],
    )
    def test_go_documented_replace_all(self, template: str, expected: str) -> None:
        """Go's documented ReplaceAllString examples give Go's results."""
        assert go_replace_all(go_regexp("a(x*)b"), "-ab-axxb-", template) == expected

    def test_empty_match_after_a_match_is_skipped(self) -> None:
        """Go skips an empty match right after a previous match (Python's re.sub does not)."""
        assert go_replace_all(go_regexp("x*"), "abxd", "-") == "-a-b-d-"
        assert re.sub("x*", "-", "abxd") == "-a-b--d-"

    def test_dollar_is_end_of_text(self) -> None:
        """Go's $ matches only at the very end, never before a final newline."""
        assert go_replace_all(go_regexp("a$"), "a\n", "X") == "a\n"

    @pytest.mark.parametrize("source", [r"(?=a)", r"\1", r"(?m)^a", r"\pL", r"(?<n>a)"])
    def test_unsupported_syntax_is_refused(self, source: str) -> None:
        """Syntax Go lacks or reads differently is an error, not a guess."""
        with pytest.raises(EsoEvalError):
            go_regexp(source)

    def test_data_overrides_data_from_and_rewrites_chain(self) -> None:
        """dataFrom merges in order, rewrites chain, data entries win."""
        doc = {
            "spec": {
                "dataFrom": [
                    {
                        "extract": {"key": "a"},
                        "rewrite": [
                            {"regexp": {"source": "^X$", "target": "Y"}},
                            {"regexp": {"source": "^Y$", "target": "Z"}},
                        ],
                    },
                    {"extract": {"key": "b"}},
                ],
                "data": [{"secretKey": "W", "remoteRef": {"key": "a", "property": "W"}}],
            }
        }
        store = {"a": ["X", "W"], "b": ["W", "Q"]}
        assert evaluate(doc, store) == {"Z": ("a", "X"), "W": ("a", "W"), "Q": ("b", "Q")}

    def test_missing_property_and_invalid_key_fail(self) -> None:
        """What ESO refuses, the evaluator refuses."""
        ref = {"spec": {"data": [{"secretKey": "K", "remoteRef": {"key": "a", "property": "N"}}]}}
        with pytest.raises(EsoEvalError, match="property"):
            evaluate(ref, {"a": ["M"]})
        bad = {
            "spec": {
                "dataFrom": [
                    {
                        "extract": {"key": "a"},
                        "rewrite": [{"regexp": {"source": "^", "target": "/"}}],
                    }
                ]
            }
        }
        with pytest.raises(EsoEvalError, match="valid Secret key"):
            evaluate(bad, {"a": ["M"]})


# --- the CRD validator can fail ---------------------------------------------------


class TestCrdValidation:
    def test_catches_unknown_fields_bad_enums_and_missing_required(self, config: Config) -> None:
        """A typo, a bad enum value or a missing required field is reported."""
        _, docs = render_all(config, marked(REFERENCE["catalog"]))
        store = by_kind(docs, "SecretStore")["aws-secretsmanager"]
        es = by_kind(docs, "ExternalSecret")["monitoring"]
        assert crd_errors({**es, "spec": {**es["spec"], "dataFromm": []}})
        bad_policy = {**es["spec"], "target": {"name": "x", "creationPolicy": "Sometimes"}}
        assert crd_errors({**es, "spec": bad_policy})
        no_key = [{"secretKey": "A", "remoteRef": {"property": "A"}}]
        assert crd_errors({**es, "spec": {**es["spec"], "data": no_key}})
        aws = store["spec"]["provider"]["aws"]
        assert crd_errors({**store, "spec": {"provider": {"aws": {"service": aws["service"]}}}})
        assert crd_errors({**es, "metadata": {"name": "Not_Valid"}})

    def test_v1beta1_is_kept_but_not_served(self) -> None:
        """Both versions' schemas are loaded; v1 is the one ESO serves."""
        assert {("ExternalSecret", "v1"), ("ExternalSecret", "v1beta1")} <= set(crd_schemas())
        crd = yaml.safe_load((CRD_DIR / "external-secrets.io_externalsecrets.yaml").read_text())
        served = {v["name"]: v["served"] for v in crd["spec"]["versions"]}
        assert served == {"v1": True, "v1beta1": False}


# --- the rideshare example ------------------------------------------------------------


class TestRideshare:
    def test_target_keys_equal_the_reference_variables(self, config: Config) -> None:
        """Each ExternalSecret yields exactly the reference env file's variables and fields."""
        catalog = marked(REFERENCE["catalog"])
        _, docs = render_all(config, catalog)
        expected = {**REFERENCE["profiles"], "spark-testing": SPARK_TESTING}
        externals = by_kind(docs, "ExternalSecret")
        assert set(externals) == set(expected)
        for profile, variables in expected.items():
            got = evaluate(externals[profile], field_names(catalog))
            want = {var: tuple(ref.split(":", 1)) for var, ref in variables.items()}
            for var, made in REFERENCE["composed"].get(profile, {}).items():
                want[var] = ("template", *made["from"])
            assert got == want, profile

    def test_equal_to_explain_for_the_seed_file_source(self, config: Config) -> None:
        """From the seed file (FileSource), the pairs equal explain's origins per profile."""
        source = FileSource(SEED)
        envs = resolve(config, source)
        text = eso_from_source(config, source)
        docs = list(yaml.safe_load_all(text["external-secrets.yaml"]))
        secrets = source.fetch_many(config.secret_names(config.select()))
        store = {name: list(s.field_names) for name, s in secrets.items()}
        for profile, want in origins(envs).items():
            assert evaluate(by_kind(docs, "ExternalSecret")[profile], store) == want

    def test_every_object_is_valid_for_the_crds(self, config: Config) -> None:
        """Every generated SecretStore and ExternalSecret passes the v1 CRD schema."""
        _, docs = render_all(config, marked(REFERENCE["catalog"]))
        assert [d["kind"] for d in docs] == ["SecretStore"] + ["ExternalSecret"] * 4
        assert_valid(docs)

    def test_compact_where_the_config_guarantees_it(self, config: Config) -> None:
        """Whole secrets (plain or prefixed) use dataFrom; renames and allow-lists use data."""
        _, docs = render_all(config, marked(REFERENCE["catalog"]))
        es = by_kind(docs, "ExternalSecret")
        assert "data" not in es["core"]["spec"]
        assert len(es["core"]["spec"]["dataFrom"]) == 4
        hive = [d for d in es["spark-testing"]["spec"]["dataFrom"] if "rewrite" in d]
        assert hive == [
            {
                "extract": {
                    "key": "rideshare/hive-thrift",
                    "conversionStrategy": "Default",
                    "decodingStrategy": "None",
                },
                "rewrite": [{"regexp": {"source": "^(.*)$", "target": "HIVE_${1}"}}],
            }
        ]
        # monitoring keeps an allow-list: a new grafana field must not appear in the Secret.
        assert "dataFrom" not in es["monitoring"]["spec"]
        pipeline = es["data-pipeline"]["spec"]
        assert {d["remoteRef"]["key"] for d in pipeline["data"]} == {
            "rideshare/airflow",
            "rideshare/postgres-airflow",
            "rideshare/postgres-metastore",
        }

    def test_no_value_in_any_manifest_or_layout(self, config: Config) -> None:
        """No stored value appears in any file, whatever the options."""
        catalog = marked(REFERENCE["catalog"])
        store = MemorySource(catalog)
        for options in (
            EsoOptions(),
            EsoOptions(split=True, compact=False, api_version="v1beta1"),
            EsoOptions(auth="service-account", service_account_template="eso-reader"),
        ):
            for name, text in eso_from_source(config, store, options).items():
                assert MARK not in text, name
                assert MARK not in name

    def test_matches_the_k8s_secret_path(self, config: Config) -> None:
        """The Secret ESO writes has the k8s-secret format's name and exactly its keys."""
        kubernetes_validate = pytest.importorskip("kubernetes_validate")
        catalog = marked(REFERENCE["catalog"])
        envs, docs = render_all(config, catalog)
        for profile, env in envs.items():
            secret = yaml.safe_load(KubernetesSecret().render(env, profile=profile))
            kubernetes_validate.validate(secret, kubernetes_validate.latest_version(), strict=True)
            es = by_kind(docs, "ExternalSecret")[profile]
            assert es["spec"]["target"]["name"] == secret["metadata"]["name"]
            assert set(evaluate(es, field_names(catalog))) == set(secret["stringData"])

    def test_against_a_secrets_manager_endpoint(
        self, config: Config, sm: MotoEndpoint, aws_env: dict[str, str]
    ) -> None:
        """Field names read over the Secrets Manager API give the catalog's manifests."""
        catalog = marked(REFERENCE["catalog"])
        sm.seed(catalog)
        source = SecretsManagerSource(endpoint_url=sm.url, environ=aws_env)
        from_aws = eso_from_source(config, source)
        assert from_aws == eso_from_source(config, MemorySource(catalog))
        assert MARK not in from_aws["external-secrets.yaml"]


# --- version pins ------------------------------------------------------------------------


def refs_by_secret(docs: list[dict[str, Any]]) -> dict[str, set[str | None]]:
    """Every ExternalSecret reference's `version`, per secret key (None: no version given)."""
    versions: dict[str, set[str | None]] = {}
    for es in by_kind(docs, "ExternalSecret").values():
        refs = [d["remoteRef"] for d in es["spec"].get("data", [])]
        refs += [d["extract"] for d in es["spec"].get("dataFrom", [])]
        for ref in refs:
            versions.setdefault(ref["key"], set()).add(ref.get("version"))
    return versions


def read_as_eso(client: Any, ref_key: str, version: str | None) -> str:
    """GetSecretValue as ESO's Secrets Manager provider asks it for `remoteRef.version`."""
    ask: dict[str, str] = {"SecretId": ref_key}
    if version is not None and version.startswith("uuid/"):
        ask["VersionId"] = version.removeprefix("uuid/")
    elif version is not None:
        ask["VersionStage"] = version
    return str(client.get_secret_value(**ask)["SecretString"])


class TestVersionPins:
    VERSION_ID = "0c9e7f36-5f3b-4c0f-9d7e-2b8f4a1d6e21"

    def pinned_config(self, version_id: str) -> Config:
        return config_of(
            {
                "secrets": {
                    "staged": {"version_stage": "AWSPREVIOUS"},
                    "by-id": {"version_id": version_id},
                },
                "profiles": {
                    "app": {"secrets": ["staged", "by-id", "current"]},
                    "other": {"secrets": [{"name": "staged", "transforms": [{"prefix": "O_"}]}]},
                },
            }
        )

    @pytest.mark.parametrize("compact", [True, False])
    def test_every_reference_reads_the_pinned_version(self, compact: bool) -> None:
        """A stage pin is `version` as given, an id pin `uuid/<id>`, no pin no `version`."""
        catalog = {"staged": {"A": MARK}, "by-id": {"B": MARK}, "current": {"C": MARK}}
        _envs, docs = render_all(
            self.pinned_config(self.VERSION_ID), catalog, EsoOptions(compact=compact)
        )
        assert refs_by_secret(docs) == {
            "staged": {"AWSPREVIOUS"},
            "by-id": {f"uuid/{self.VERSION_ID}"},
            "current": {None},
        }
        assert_valid(docs)

    def test_eso_reads_what_fetch_reads(self, sm: MotoEndpoint, aws_env: dict[str, str]) -> None:
        """Against a store holding two versions of each secret, every reference, read the way
        ESO reads `version`, gives the value `fetch` wrote; without the pins it would not."""
        client = sm.client()
        old = {"staged": {"A": "old-a"}, "by-id": {"B": "old-b"}, "current": {"C": "old-c"}}
        sm.seed(old)
        [first_id] = client.describe_secret(SecretId="by-id")["VersionIdsToStages"]
        for name, fields in old.items():  # the first version becomes AWSPREVIOUS
            new = {field: value.replace("old", "new") for field, value in fields.items()}
            client.put_secret_value(SecretId=name, SecretString=json.dumps(new))
        config = self.pinned_config(first_id)
        # The source the config builds, pins and all, as `fetch` and `render k8s` build it.
        source = config_source(config, {**aws_env, "AWS_ENDPOINT_URL": sm.url})
        envs = resolve(config, source)
        docs = [d for t in eso_from_source(config, source).values() for d in yaml.safe_load_all(t)]
        versions = refs_by_secret(docs)
        for profile, env in envs.items():
            for entry in env.entries:
                name, field = entry.origin.secret, entry.origin.field
                [version] = versions[name]
                read = json.loads(read_as_eso(client, name, version))[field]
                assert read == entry.value.reveal(), (profile, entry.name)
        assert {e.name: e.value.reveal() for e in envs["app"].entries} == {
            "A": "old-a",
            "B": "old-b",
            "C": "new-c",
        }


# --- options -----------------------------------------------------------------------------


class TestOptions:
    def test_every_option_lands_in_valid_objects(self, config: Config) -> None:
        """Namespace, templates, labels, refresh, policy and v1beta1 are applied and stay valid."""
        options = EsoOptions(
            api_version="v1beta1",
            namespace="rides",
            name_template="{profile}-secrets",
            target_template="{profile}-env",
            labels={"app.kubernetes.io/part-of": "rideshare", "tier": "y"},
            refresh_interval="15m",
            creation_policy="Merge",
            region="eu-west-1",
        )
        _, docs = render_all(config, marked(REFERENCE["catalog"]), options)
        assert_valid(docs)
        es = by_kind(docs, "ExternalSecret")["core-secrets"]
        assert es["apiVersion"] == "external-secrets.io/v1beta1"
        assert es["metadata"] == {
            "name": "core-secrets",
            "namespace": "rides",
            "labels": {"app.kubernetes.io/part-of": "rideshare", "tier": "y"},
        }
        assert es["spec"]["refreshInterval"] == "15m"
        assert es["spec"]["target"] == {"name": "core-env", "creationPolicy": "Merge"}
        store = by_kind(docs, "SecretStore")["aws-secretsmanager"]
        assert store["spec"]["provider"]["aws"]["region"] == "eu-west-1"
        assert store["metadata"]["namespace"] == "rides"

    def test_cluster_store_with_irsa(self, config: Config) -> None:
        """A ClusterSecretStore has no namespace and names the service account's namespace."""
        options = EsoOptions(
            store_kind="ClusterSecretStore",
            auth="service-account",
            service_account_template="eso-reader",
            credentials_namespace="external-secrets",
            namespace="rides",
        )
        _, docs = render_all(config, marked(REFERENCE["catalog"]), options)
        assert_valid(docs)
        store = by_kind(docs, "ClusterSecretStore")["aws-secretsmanager"]
        assert "namespace" not in store["metadata"]
        assert store["spec"]["provider"]["aws"]["auth"] == {
            "jwt": {"serviceAccountRef": {"name": "eso-reader", "namespace": "external-secrets"}}
        }
        for es in by_kind(docs, "ExternalSecret").values():
            assert es["spec"]["secretStoreRef"]["kind"] == "ClusterSecretStore"

    def test_a_store_per_profile_gives_each_its_own_identity(self, config: Config) -> None:
        """With {profile} in the store template, each profile reads through its own store."""
        options = EsoOptions(
            store_template="{profile}-aws", auth="service-account", role="arn:aws:iam::1:role/r"
        )
        _, docs = render_all(config, marked(REFERENCE["catalog"]), options)
        assert_valid(docs)
        stores = by_kind(docs, "SecretStore")
        assert set(stores) == {f"{p}-aws" for p in config.profiles}
        account = stores["core-aws"]["spec"]["provider"]["aws"]["auth"]["jwt"]
        assert account == {"serviceAccountRef": {"name": "rideinfra-core"}}
        for name, es in by_kind(docs, "ExternalSecret").items():
            assert es["spec"]["secretStoreRef"]["name"] == f"{name}-aws"

    def test_namespaced_store_reads_its_own_namespace(self, config: Config) -> None:
        """A SecretStore's credentials reference carries no namespace (ESO reads its own)."""
        options = EsoOptions(namespace="rides", credentials_namespace="elsewhere")
        _, docs = render_all(config, marked(REFERENCE["catalog"]), options)
        aws = by_kind(docs, "SecretStore")["aws-secretsmanager"]["spec"]["provider"]["aws"]
        assert aws["auth"]["secretRef"]["accessKeyIDSecretRef"] == {
            "name": "aws-credentials",
            "key": "access-key-id",
        }

    def test_no_profiles_is_an_error(self, config: Config) -> None:
        """Rendering nothing is a mistake, not an empty file."""
        with pytest.raises(RenderError, match="no profiles"):
            render_eso(config, {})

    def test_controller_auth_has_no_auth_block(self, config: Config) -> None:
        """With the controller's own identity, the store carries no credentials reference."""
        _, docs = render_all(config, marked(REFERENCE["catalog"]), EsoOptions(auth="controller"))
        assert_valid(docs)
        aws = by_kind(docs, "SecretStore")["aws-secretsmanager"]["spec"]["provider"]["aws"]
        assert aws == {"service": "SecretsManager", "region": "us-east-1"}

    def test_region_comes_from_the_config(self) -> None:
        """Without a region option, the config's source region is used."""
        config = config_of(
            {
                "source": {"type": "aws-secretsmanager", "region": "ap-south-1"},
                "profiles": {"app": {"secrets": ["a"]}},
            }
        )
        _, docs = render_all(config, {"a": {"K": MARK}})
        assert (
            by_kind(docs, "SecretStore")["aws-secretsmanager"]["spec"]["provider"]["aws"]["region"]
            == "ap-south-1"
        )

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"namespace": "Rides"}, "namespace"),
            ({"name_template": "{name}-x"}, "placeholder"),
            ({"refresh_interval": "1 hour"}, "duration"),
            ({"creation_policy": "Always"}, "creation_policy"),
            ({"api_version": "v2"}, "api_version"),
            ({"labels": {"bad key!": "x"}}, "label"),
            ({"store_kind": "ClusterSecretStore"}, "credentials_namespace"),
            ({"auth": "service-account"}, "shared store"),
        ],
    )
    def test_bad_options_are_config_errors(self, kwargs: dict[str, Any], match: str) -> None:
        """Each invalid option is refused up front, naming what is wrong."""
        with pytest.raises(ConfigError, match=match):
            EsoOptions(**kwargs)

    def test_split_files_and_determinism(self, config: Config) -> None:
        """One file per object, named by kind and name; same input, same bytes, any order."""
        catalog = marked(REFERENCE["catalog"])
        store = MemorySource(catalog)
        envs = resolve(config, store)
        secrets = fetched(store, list(catalog))
        split = render_eso(config, envs, EsoOptions(split=True), secrets=secrets)
        assert sorted(split) == [
            "externalsecret-core.yaml",
            "externalsecret-data-pipeline.yaml",
            "externalsecret-monitoring.yaml",
            "externalsecret-spark-testing.yaml",
            "secretstore-aws-secretsmanager.yaml",
        ]
        single = render_eso(config, envs, secrets=secrets)
        backwards = dict(reversed(list(envs.items())))
        assert render_eso(config, backwards, secrets=secrets) == single
        docs = list(yaml.safe_load_all(single["external-secrets.yaml"]))
        assert [yaml.safe_load(t) for t in split.values()] == docs

    def test_invalid_profile_name_and_clashing_templates(self) -> None:
        """A profile that cannot name an object, or two profiles on one name, are refused."""
        config = config_of({"profiles": {"App_1": {"secrets": ["a"]}}})
        with pytest.raises(RenderError, match="App_1"):
            render_all(config, {"a": {"K": MARK}})
        two = config_of({"profiles": {"a": {"secrets": ["a"]}, "b": {"secrets": ["a"]}}})
        with pytest.raises(RenderError, match="same ExternalSecret"):
            render_all(two, {"a": {"K": MARK}}, EsoOptions(name_template="shared"))


# --- falling back, refusing --------------------------------------------------------------


class TestFallbackAndRefusals:
    def test_same_value_collision_falls_back_and_keeps_parity(self) -> None:
        """A variable two secrets give with one value comes from the first, as in the env file."""
        config = config_of({"profiles": {"app": {"secrets": ["a", "b"]}}})
        catalog = {"a": {"X": "same", "Y": MARK}, "b": {"X": "same", "Z": MARK}}
        envs, docs = render_all(config, catalog)
        es = by_kind(docs, "ExternalSecret")["app"]
        assert evaluate(es, field_names(catalog)) == origins(envs)["app"]
        assert [d["extract"]["key"] for d in es["spec"]["dataFrom"]] == ["a"]

    def test_secret_used_twice_in_a_profile(self) -> None:
        """The same secret under two prefixes gives both sets of names, per variable."""
        config = config_of(
            {
                "profiles": {
                    "app": {
                        "secrets": [
                            {"name": "a", "transforms": [{"prefix": "ONE_"}]},
                            {"name": "a", "transforms": [{"prefix": "TWO_"}]},
                        ]
                    }
                }
            }
        )
        catalog = {"a": {"K": MARK}}
        _envs, docs = render_all(config, catalog)
        es = by_kind(docs, "ExternalSecret")["app"]
        assert evaluate(es, field_names(catalog)) == {"ONE_K": ("a", "K"), "TWO_K": ("a", "K")}
        assert "dataFrom" not in es["spec"]

    def test_without_the_fetched_secrets_everything_is_data(self, config: Config) -> None:
        """With no field list, nothing can be proven whole: every variable is a data entry."""
        catalog = marked(REFERENCE["catalog"])
        envs = resolve(config, MemorySource(catalog))
        docs = eso_documents(config, envs)
        for es in by_kind(docs, "ExternalSecret").values():
            assert "dataFrom" not in es["spec"]
            assert evaluate(es, field_names(catalog)) == origins(envs)[es["metadata"]["name"]]

    def test_flattened_nested_field_is_refused(self) -> None:
        """A leaf of nested JSON cannot be read exactly by ESO: the error names the variable."""
        config = config_of(
            {"profiles": {"app": {"secrets": [{"name": "a", "transforms": [{"flatten": None}]}]}}}
        )
        catalog = {"a": {"core": {"fernet_key": MARK}, "PLAIN": MARK}}
        with pytest.raises(RenderError, match="CORE__FERNET_KEY") as info:
            render_all(config, catalog)
        assert MARK not in str(info.value)
        envs = resolve(config, MemorySource(catalog))
        with pytest.raises(RenderError, match="CORE__FERNET_KEY"):
            eso_documents(config, envs)  # shape unknown: still refused

    def test_flatten_of_a_flat_field_is_fine(self) -> None:
        """flatten on a plain field renames it; ESO reads the field itself."""
        config = config_of(
            {
                "profiles": {
                    "app": {
                        "secrets": [{"name": "a", "transforms": [{"flatten": {"prefix": "APP"}}]}]
                    }
                }
            }
        )
        catalog = {"a": {"port": MARK}}
        _envs, docs = render_all(config, catalog)
        assert evaluate(by_kind(docs, "ExternalSecret")["app"], field_names(catalog)) == {
            "APP__PORT": ("a", "port")
        }

    @pytest.mark.parametrize("field", ["a*b", "x|y", "#n", "@this", ".lead", "a..b", "sp ace"])
    def test_field_names_esos_path_syntax_would_misread(self, field: str) -> None:
        """A field name gjson reads as a path is refused, naming the variable and field."""
        config = config_of(
            {"profiles": {"app": {"secrets": [{"name": "a", "transforms": ["sanitize"]}]}}}
        )
        assume_ok = re.sub(r"[^A-Za-z0-9_]", "_", field)
        with pytest.raises(RenderError, match=re.escape(repr(field))) as info:
            render_all(config, {"a": {field: MARK}}, EsoOptions(compact=False))
        assert assume_ok in str(info.value)

    def test_dotted_and_dashed_fields_are_read_as_keys(self) -> None:
        """Inner dots and dashes are fine: ESO tries the escaped literal key first."""
        config = config_of(
            {"profiles": {"app": {"secrets": [{"name": "a", "transforms": ["sanitize"]}]}}}
        )
        catalog = {"a": {"db.port": MARK, "api-key": MARK + "2"}}
        _envs, docs = render_all(config, catalog)
        assert evaluate(by_kind(docs, "ExternalSecret")["app"], field_names(catalog)) == {
            "db_port": ("a", "db.port"),
            "api_key": ("a", "api-key"),
        }

    @pytest.mark.parametrize(
        "transforms",
        [[{"keys": ["A", "B"]}], ["uppercase"], [{"rename": {"A": "A"}}], [{"drop": ["C"]}]],
    )
    def test_transforms_that_select_or_rename_are_never_compact(
        self, transforms: list[Any]
    ) -> None:
        """Even when today's fields pass unchanged, a selecting or renaming step means data entries.

        A field added to the secret later would reach the Secret through dataFrom
        but not the env file (keys, drop), or under another name (uppercase, rename).
        """
        config = config_of(
            {"profiles": {"app": {"secrets": [{"name": "a", "transforms": transforms}]}}}
        )
        catalog = {
            "a": {"A": MARK, "B": MARK, **({"C": MARK} if "drop" in str(transforms) else {})}
        }
        envs, docs = render_all(config, catalog)
        es = by_kind(docs, "ExternalSecret")["app"]
        assert "dataFrom" not in es["spec"]
        assert evaluate(es, field_names(catalog)) == origins(envs)["app"]

    def test_stacked_prefixes_are_one_rewrite(self) -> None:
        """A secret-bound prefix then a use-bound prefix give one rewrite in the right order."""
        config = config_of(
            {
                "secrets": {"a": {"transforms": [{"prefix": "INNER_"}]}},
                "profiles": {
                    "app": {"secrets": [{"name": "a", "transforms": [{"prefix": "OUT_"}]}]}
                },
            }
        )
        _envs, docs = render_all(config, {"a": {"K": MARK}})
        es = by_kind(docs, "ExternalSecret")["app"]
        assert es["spec"]["dataFrom"][0]["rewrite"] == [
            {"regexp": {"source": "^(.*)$", "target": "OUT_INNER_${1}"}}
        ]
        assert evaluate(es, {"a": ["K"]}) == {"OUT_INNER_K": ("a", "K")}

    def test_empty_profile_is_refused(self) -> None:
        """A profile with no variables cannot be an ExternalSecret."""
        env = Env((), profile="empty")
        with pytest.raises(RenderError, match="empty"):
            external_secret(env, EsoOptions())


# --- the YAML writer ----------------------------------------------------------------------


class TestYaml:
    @given(
        keys=st.lists(
            st.one_of(
                st.sampled_from(
                    ["y", "n", "on", "off", "yes", "no", "true", "null", "0755", "1e3"]
                ),
                st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True),
            ),
            min_size=1,
            max_size=8,
            unique=True,
        ),
        text=st.text(),
    )
    def test_round_trip_keeps_every_string_a_string(self, keys: list[str], text: str) -> None:
        """Names YAML 1.1 would read as bools, nulls or numbers come back as the same strings."""
        doc = {"data": [{"secretKey": k, "remoteRef": {"key": text}} for k in keys], "m": {}}
        assert yaml.safe_load(dump_yaml([doc])) == doc

    def test_helm_values(self) -> None:
        """The values put the endpoints on the controller; real AWS needs none."""
        values = yaml.safe_load(
            helm_values(
                endpoint="http://localstack.localstack.svc.cluster.local:4566",
                sts_endpoint="http://localstack.localstack.svc.cluster.local:4566",
                role_arn="arn:aws:iam::123456789012:role/eso",
            )
        )
        assert values == {
            "extraEnv": [
                {
                    "name": "AWS_SECRETSMANAGER_ENDPOINT",
                    "value": "http://localstack.localstack.svc.cluster.local:4566",
                },
                {
                    "name": "AWS_STS_ENDPOINT",
                    "value": "http://localstack.localstack.svc.cluster.local:4566",
                },
            ],
            "serviceAccount": {
                "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/eso"}
            },
        }
        assert yaml.safe_load(helm_values()) == {"extraEnv": []}
        with pytest.raises(ConfigError, match="http"):
            helm_values(endpoint="localstack:4566")


# --- random configurations: parity with explain --------------------------------------------

FIELDS = ["USER", "PASSWORD", "HOST", "TOKEN", "KEY", "db.port", "api-key", "x", "Y_2"]
PREFIXES = ["APP_", "DB_", "X_", "Y_"]


@st.composite
def configs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    n = draw(st.integers(1, 4))
    catalog: dict[str, dict[str, str]] = {}
    same = draw(st.booleans())  # equal values make same-value collisions legal
    for i in range(n):
        fields = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4, unique=True))
        catalog[f"app/s{i}"] = {f: (f"{MARK}same" if same else f"{MARK}{i}-{f}") for f in fields}
    bound: dict[str, Any] = {}
    for name, fields in catalog.items():
        steps: list[Any] = []
        kind = draw(
            st.sampled_from(["none", "prefix", "rename", "keys", "drop", "qualify", "upper"])
        )
        chosen = draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, unique=True))
        if kind == "prefix":
            steps.append({"prefix": draw(st.sampled_from(PREFIXES))})
        elif kind == "rename":
            steps.append({"rename": {f: f"R_{j}" for j, f in enumerate(chosen)}})
        elif kind in ("keys", "drop"):
            steps.append({kind: chosen})
        elif kind == "qualify":
            steps.append({"qualify": "Q"})
        elif kind == "upper":
            steps.append("uppercase")
        if any(not f.isidentifier() for f in fields):
            steps.append("sanitize")
        if draw(st.booleans()):
            bound[name] = {"transforms": steps}
        else:
            bound[name] = {"use": steps}
    profiles: dict[str, Any] = {}
    used: set[str] = set()
    for p in range(draw(st.integers(1, 3))):
        names = draw(st.lists(st.sampled_from(sorted(catalog)), min_size=1, unique=True))
        used.update(names)
        refs: list[Any] = []
        for name in names:
            use = bound[name].get("use")
            extra = [{"prefix": draw(st.sampled_from(PREFIXES))}] if draw(st.booleans()) else []
            refs.append({"name": name, "transforms": (use or []) + extra} if use or extra else name)
        profiles[f"p{p}"] = {"secrets": refs}
    secrets = {k: v for k, v in bound.items() if "transforms" in v and k in used}
    return {"secrets": secrets, "profiles": profiles}, catalog


class TestParityProperty:
    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
    @given(case=configs(), compact=st.booleans())
    def test_target_keys_equal_explain(
        self, case: tuple[dict[str, Any], dict[str, dict[str, str]]], compact: bool
    ) -> None:
        """Random configs: ESO's (key -> secret, property) equals explain's; valid; no values."""
        data, catalog = case
        config = config_of(data)
        store = MemorySource(catalog)
        try:
            envs = resolve(config, store)
        except (KeyCollision, TransformError):
            assume(False)
            raise
        assume(all(len(env) for env in envs.values()))
        text = render_eso(
            config, envs, EsoOptions(compact=compact), secrets=fetched(store, list(catalog))
        )
        assert MARK not in "".join(text.values())
        docs = list(yaml.safe_load_all(text["external-secrets.yaml"]))
        assert_valid(docs)
        want = origins(envs)
        for name, es in by_kind(docs, "ExternalSecret").items():
            assert evaluate(es, field_names(catalog)) == want[name]
            if not compact:
                assert "dataFrom" not in es["spec"]
            event("dataFrom" if "dataFrom" in es["spec"] else "data only")
        self.check_still_equal_when_fields_are_added(config, catalog, docs)

    @staticmethod
    def check_still_equal_when_fields_are_added(
        config: Config, catalog: dict[str, dict[str, str]], docs: list[dict[str, Any]]
    ) -> None:
        """dataFrom is used only where the env file would gain a new field the same way."""
        grown = {name: {**fields, "NEWF": f"{MARK}new-{name}"} for name, fields in catalog.items()}
        try:
            grown_envs = resolve(config, MemorySource(grown))
        except (KeyCollision, TransformError):
            return
        want = origins(grown_envs)
        for name, es in by_kind(docs, "ExternalSecret").items():
            whole = {item["extract"]["key"] for item in es["spec"].get("dataFrom", [])}
            got = evaluate(es, field_names(grown))
            assert {k: v for k, v in got.items() if v[0] in whole} == {
                k: v for k, v in want[name].items() if v[0] in whole
            }
