"""Vault / OpenBao KV v2: the source and the store against a real OpenBao dev server."""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from rideinfra.errors import ConfigError, RenderError, SourceError
from rideinfra.profiles import VaultSourceConfig, parse_config
from rideinfra.profiles.model import Env
from rideinfra.render.eso import EsoOptions, external_secret, secret_store
from rideinfra.render.iam import render_iam
from rideinfra.secrets import VaultSource, VaultStore
from rideinfra.secrets.model import SecretValue
from rideinfra.secrets.transforms import Entry, Origin
from support.http_proxy import HttpFaultProxy
from support.openbao import OpenBao

SENTINEL = "s3ntinel-VAULT-77ad"


def put(bao: OpenBao, path: str, data: dict[str, Any]) -> None:
    bao.request("POST", f"secret/data/{path}", {"data": data})


@pytest.fixture(name="proxy")
def _proxy(bao: OpenBao) -> Iterator[HttpFaultProxy]:
    proxy = HttpFaultProxy(bao.url).start()
    yield proxy
    proxy.stop()


class TestRead:
    def test_data_fields_are_the_secret_fields(self, bao: OpenBao) -> None:
        """Strings exact, numbers and booleans as JSON text, the version recorded."""
        put(bao, "app/db", {"USER": "u", "PASSWORD": "p\n'\"$x", "PORT": 5432, "TLS": True})
        secret = VaultSource(environ=bao.environ()).fetch("app/db")
        assert {k: v.reveal() for k, v in secret.fields.items()} == {
            "USER": "u",
            "PASSWORD": "p\n'\"$x",
            "PORT": "5432",
            "TLS": "true",
        }
        assert (secret.version_id, secret.origin) == ("1", "vault")

    def test_a_version_is_pinned_per_secret(self, bao: OpenBao) -> None:
        """`versions` reads the pinned version; other secrets read their latest."""
        put(bao, "app/db", {"V": "one"})
        put(bao, "app/db", {"V": "two"})
        put(bao, "app/other", {"V": "latest"})
        pinned = VaultSource(environ=bao.environ(), versions={"app/db": 1})
        got = pinned.fetch_many(["app/db", "app/other"])
        assert got["app/db"].fields["V"].reveal() == "one"
        assert got["app/other"].fields["V"].reveal() == "latest"

    def test_missing_secrets_are_named_each(self, bao: OpenBao) -> None:
        """404 is SecretNotFound (code NotFound) per name; the others are read."""
        put(bao, "app/db", {"A": "1"})
        result = VaultSource(environ=bao.environ()).fetch_many(["app/db", "app/x", "app/y"])
        assert list(result) == ["app/db"]
        assert sorted(result.missing) == ["app/x", "app/y"]
        assert result.errors["app/x"].code == "NotFound"

    def test_one_request_per_secret_in_parallel(self, bao: OpenBao, proxy: HttpFaultProxy) -> None:
        """20 secrets, 20 GETs, one each (how much they overlap is the benchmark's to show:
        docs/benchmarks.md, section 6, times it beside the sequential bound)."""
        names = [f"bulk/s{i:02d}" for i in range(20)]
        for name in names:
            put(bao, name, {"V": name})
        proxy.delay = 0.05
        result = VaultSource(environ={**bao.environ(), "VAULT_ADDR": proxy.url}).fetch_many(names)
        assert [result[n].fields["V"].reveal() for n in names] == names
        assert sum(1 for a in proxy.actions if a.startswith("GET /v1/secret/data/")) == 20

    def test_the_mount_is_configurable(self, bao: OpenBao) -> None:
        """A second KV v2 mount is read with `mount`."""
        with contextlib.suppress(OSError):  # already mounted by an earlier test
            bao.request("POST", "sys/mounts/kv2", {"type": "kv", "options": {"version": "2"}})
        bao.request("POST", "kv2/data/app/db", {"data": {"A": "b"}})
        secret = VaultSource(environ=bao.environ(), mount="kv2").fetch("app/db")
        assert secret.fields["A"].reveal() == "b"


class TestAuth:
    def test_a_token_without_the_policy_is_permission_denied(self, bao: OpenBao) -> None:
        """403 names the secret and the fix, code PermissionDenied, and never the token."""
        put(bao, "app/db", {"A": SENTINEL})
        bao.request(
            "PUT",
            "sys/policies/acl/only-other",
            {"policy": 'path "secret/data/other" {capabilities = ["read"]}'},
        )
        answer = bao.request("POST", "auth/token/create", {"policies": ["only-other"]})
        assert isinstance(answer, dict)
        token = answer["auth"]["client_token"]
        with pytest.raises(SourceError, match="permission denied") as caught:
            VaultSource(environ={**bao.environ(), "VAULT_TOKEN": token}).fetch("app/db")
        assert caught.value.code == "PermissionDenied"
        assert token not in str(caught.value)
        assert SENTINEL not in str(caught.value)

    def test_approle_logs_in_and_reads(self, bao: OpenBao) -> None:
        """AppRole: role id and secret id exchanged for a token, then reads as usual."""
        put(bao, "app/db", {"A": "approle"})
        with contextlib.suppress(OSError):  # enabled by an earlier test
            bao.request("POST", "sys/auth/approle", {"type": "approle"})
        bao.request(
            "PUT",
            "sys/policies/acl/read-app",
            {"policy": 'path "secret/data/app/*" {capabilities = ["read"]}'},
        )
        bao.request("POST", "auth/approle/role/rideinfra", {"token_policies": ["read-app"]})
        role = bao.request("GET", "auth/approle/role/rideinfra/role-id")
        secret = bao.request("POST", "auth/approle/role/rideinfra/secret-id")
        assert isinstance(role, dict)
        assert isinstance(secret, dict)
        environ = {
            "VAULT_ADDR": bao.url,
            "VAULT_ROLE_ID": role["data"]["role_id"],
            "VAULT_SECRET_ID": secret["data"]["secret_id"],
        }
        got = VaultSource(environ=environ, auth="approle").fetch("app/db")
        assert got.fields["A"].reveal() == "approle"

    def test_a_wrong_secret_id_is_permission_denied(self, bao: OpenBao) -> None:
        """A failed AppRole login is a named error without the secret id."""
        environ = {"VAULT_ADDR": bao.url, "VAULT_ROLE_ID": "nope", "VAULT_SECRET_ID": SENTINEL}
        with pytest.raises(SourceError) as caught:
            VaultSource(environ=environ, auth="approle").fetch("app/db")
        assert caught.value.code in ("PermissionDenied", "VaultServerError")
        assert SENTINEL not in str(caught.value)

    @pytest.mark.parametrize(
        ("environ", "message"),
        [
            ({"VAULT_TOKEN": "t"}, "no Vault address"),
            ({"VAULT_ADDR": "http://127.0.0.1:1"}, "no Vault token"),
            ({"VAULT_ADDR": "127.0.0.1:8200", "VAULT_TOKEN": "t"}, "not an http"),
        ],
    )
    def test_missing_settings_are_config_errors(
        self, environ: dict[str, str], message: str
    ) -> None:
        """No address, no token, or an address without a scheme: ConfigError (exit 2)."""
        with pytest.raises(ConfigError, match=message):
            VaultSource(environ=environ)


class TestStore:
    def test_put_is_idempotent(self, bao: OpenBao) -> None:
        """created, unchanged (no new version), updated."""
        store = VaultStore(VaultSource(environ=bao.environ()))
        assert store.put("seed/one", {"A": "1"}) == "created"
        assert store.put("seed/one", {"A": "1"}) == "unchanged"
        assert store.put("seed/one", {"A": "2"}) == "updated"
        meta = bao.request("GET", "secret/metadata/seed/one")
        assert isinstance(meta, dict)
        assert meta["data"]["current_version"] == 2


class TestNoSecretInLogs:
    def test_debug_logging_holds_no_value_and_no_token(
        self, bao: OpenBao, caplog: pytest.LogCaptureFixture
    ) -> None:
        """hvac, requests and urllib3 at DEBUG: neither the value nor the token is logged."""
        put(bao, "log/a", {"K": SENTINEL})
        with caplog.at_level(logging.DEBUG):
            got = VaultSource(environ=bao.environ()).fetch_many(["log/a", "log/missing"])
        assert got["log/a"].fields["K"].reveal() == SENTINEL
        assert SENTINEL not in caplog.text
        assert bao.token not in caplog.text
        assert bao.token not in repr(VaultSource(environ=bao.environ()))

    def test_importing_the_secrets_package_does_not_import_hvac(self) -> None:
        """hvac (and requests) load only when a Vault client is built."""
        code = (
            "import sys, rideinfra.secrets; print('hvac' in sys.modules, 'requests' in sys.modules)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert out.stdout.split() == ["False", "False"]


def vault_config(**source: Any) -> Any:
    return parse_config(
        {
            "version": 1,
            "source": {"type": "vault", "address": "http://vault.vault:8200", **source},
            "profiles": {"app": {"secrets": ["app/db"]}},
        }
    )


class TestVersionPerSecret:
    """`secrets.<name>.version: N` pins a KV v2 version, as the issue's contract asks."""

    @staticmethod
    def config(source: dict[str, Any], **secret: Any) -> Any:
        return parse_config(
            {
                "version": 1,
                "source": source,
                "secrets": {"app/db": secret},
                "profiles": {"app": {"secrets": ["app/db"]}},
            }
        )

    def test_version_reaches_the_vault_source(self) -> None:
        """The secret's `version` becomes the source's pin, beside `versions:`."""
        config = self.config(
            {"type": "vault", "address": "http://vault.vault:8200", "versions": {"x/y": 2}},
            version=3,
        )
        assert config.source.versions == {"x/y": 2, "app/db": 3}

    def test_a_pinned_version_is_read_from_openbao(self, bao: OpenBao) -> None:
        """Fetched through the config, the pinned secret gives its first version's value."""
        from rideinfra.operations import config_source

        put(bao, "app/db", {"V": "one"})
        put(bao, "app/db", {"V": "two"})
        config = self.config({"type": "vault"}, version=1)
        got = config_source(config, bao.environ()).fetch("app/db")
        assert got.fields["V"].reveal() == "one"

    @pytest.mark.parametrize(
        ("source", "secret", "key"),
        [
            ({"type": "aws-secretsmanager"}, {"version": 2}, "version"),
            ({"type": "vault"}, {"version_stage": "AWSPREVIOUS"}, "version_stage"),
            ({"type": "vault"}, {"version_id": "abc"}, "version_id"),
            ({"type": "env"}, {"version": 2}, "version"),
            ({"type": "chain", "sources": [{"type": "env"}]}, {"version": 2}, "version"),
        ],
    )
    def test_a_version_the_store_does_not_keep_is_refused(
        self, source: dict[str, Any], secret: dict[str, Any], key: str
    ) -> None:
        """Exit 2 naming the secret and the key, never silently ignored."""
        with pytest.raises(ConfigError, match=rf"secrets\.app/db\.{key}.*asks for a {key}"):
            self.config(source, **secret)


class TestConfigAndRender:
    def test_the_config_reads_the_vault_source(self) -> None:
        """address, mount, namespace, auth and versions from the config."""
        config = vault_config(
            mount="kv", namespace="team", auth="approle", role_id="r", versions={"app/db": 3}
        )
        assert config.source == VaultSourceConfig(
            address="http://vault.vault:8200",
            mount="kv",
            namespace="team",
            auth="approle",
            role_id="r",
            versions={"app/db": 3},
        )

    def test_eso_store_is_vault_kv_v2_with_kubernetes_auth(self) -> None:
        """The SecretStore's provider is vault (kv v2 at the mount); remoteRef pins the version."""
        config = vault_config(mount="kv", versions={"app/db": 3})
        store = secret_store(EsoOptions(), profile="app", config=config)
        assert store["spec"]["provider"] == {
            "vault": {
                "server": "http://vault.vault:8200",
                "path": "kv",
                "version": "v2",
                "auth": {
                    "kubernetes": {
                        "mountPath": "kubernetes",
                        "role": "rideinfra-app",
                        "serviceAccountRef": {"name": "rideinfra-app"},
                    }
                },
            }
        }
        entry = Entry("DB_USER", SecretValue("x"), Origin("app/db", "USER", ()))
        doc = external_secret(Env([entry], profile="app"), EsoOptions(), config=config)
        assert doc["spec"]["data"][0]["remoteRef"] == {
            "key": "app/db",
            "property": "USER",
            "version": "3",
            "conversionStrategy": "Default",
            "decodingStrategy": "None",
        }

    def test_iam_is_refused_for_vault(self) -> None:
        """IAM policies do not govern Vault: a clear RenderError."""
        with pytest.raises(RenderError, match="Vault policies"):
            render_iam(vault_config())
