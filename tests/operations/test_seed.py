"""Seed files and idempotent seeding, against the moto server."""

from __future__ import annotations

import base64
import re
import string
from pathlib import Path

import pytest

from rideinfra.errors import ConfigError
from rideinfra.operations.seed import Generate, apply_seed, generate_value, load_seed_spec
from rideinfra.secrets import SecretsManagerSource, SecretsManagerStore
from support.moto import MotoEndpoint


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "seed.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(name="store")
def _store(sm: MotoEndpoint) -> SecretsManagerStore:
    return SecretsManagerStore(SecretsManagerSource(endpoint_url=sm.url, environ={}))


class TestSpec:
    def test_literals_and_generated(self, tmp_path: Path) -> None:
        """Literal values stay text; generate: fields become Generate."""
        spec = load_seed_spec(
            write(
                tmp_path,
                "version: 1\nsecrets:\n  app/x:\n    USER: u\n    PORT: 5432\n"
                "    KEY: {generate: fernet}\n",
            )
        )
        assert spec.secrets["app/x"] == {"USER": "u", "PORT": "5432", "KEY": Generate("fernet")}
        assert "u" not in repr(spec)

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("version: 1\nsecrets: {a: {K: {generate: rot13}}}\n", r"secrets\.a\.K.*fernet"),
            ("version: 1\nsecrets: {a: {K: {generate: 'hex:2'}}}\n", "between 8 and 4096"),
            ("version: 2\nsecrets: {a: {K: v}}\n", "version must be 1"),
            ("version: 1\nsecret: {a: {K: v}}\n", "unknown key.*secret"),
            ("version: 1\nsecrets: {a: [1, 2]}\n", r"secrets\.a.*field names"),
            ("version: 1\nsecrets: {a: {K: v}, a: {K: w}}\n", "appears twice"),
        ],
    )
    def test_bad_specs_name_the_place(self, tmp_path: Path, text: str, message: str) -> None:
        """A bad seed file is a ConfigError naming the file and the path in it."""
        path = write(tmp_path, text)
        with pytest.raises(ConfigError, match=message) as info:
            load_seed_spec(path)
        assert str(path) in str(info.value)
        assert info.value.exit_code == 2

    def test_generated_values_have_their_shape(self) -> None:
        """fernet is 32 url-safe base64 bytes; hex:N is N bytes; password:N is N letters/digits."""
        assert len(base64.urlsafe_b64decode(generate_value("fernet"))) == 32
        assert re.fullmatch(r"[0-9a-f]{64}", generate_value("hex:32"))
        password = generate_value("password:24")
        assert len(password) == 24
        assert set(password) <= set(string.ascii_letters + string.digits)
        assert generate_value("password:24") != password


class TestApply:
    def test_rerun_is_idempotent_and_keeps_generated(
        self, tmp_path: Path, store: SecretsManagerStore, sm: MotoEndpoint
    ) -> None:
        """The second run changes nothing: no new version, same generated key."""
        spec = load_seed_spec(
            write(tmp_path, "version: 1\nsecrets:\n  a/x: {U: u, K: {generate: fernet}}\n")
        )
        assert apply_seed(spec, store, {}) == {"a/x": "created"}
        first = store.read("a/x")
        assert apply_seed(spec, store, {}) == {"a/x": "unchanged"}
        assert store.read("a/x") == first
        versions = sm.client().list_secret_version_ids(SecretId="a/x")["Versions"]
        assert len(versions) == 1

    def test_override_replaces_a_field_everywhere(
        self, tmp_path: Path, store: SecretsManagerStore
    ) -> None:
        """OVERRIDE_<FIELD> replaces that field in every secret that has it."""
        spec = load_seed_spec(
            write(tmp_path, "version: 1\nsecrets:\n  a/x: {PW: one}\n  b/y: {PW: two, U: u}\n")
        )
        outcome = apply_seed(spec, store, {"OVERRIDE_PW": "p$'\"`\n"})
        assert outcome == {"a/x": "created", "b/y": "created"}
        assert store.read("a/x") == {"PW": "p$'\"`\n"}
        assert store.read("b/y") == {"PW": "p$'\"`\n", "U": "u"}

    def test_changed_literal_is_updated(self, tmp_path: Path, store: SecretsManagerStore) -> None:
        """Editing a literal in the seed file puts a new version."""
        apply_seed(
            load_seed_spec(write(tmp_path, "version: 1\nsecrets: {a/x: {U: u}}\n")), store, {}
        )
        spec = load_seed_spec(write(tmp_path, "version: 1\nsecrets: {a/x: {U: v}}\n"))
        assert apply_seed(spec, store, {}) == {"a/x": "updated"}
        assert store.read("a/x") == {"U": "v"}
