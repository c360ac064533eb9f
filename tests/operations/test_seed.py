"""Seed files and idempotent seeding, against the moto server."""

from __future__ import annotations

import base64
import re
import string
from pathlib import Path

import pytest

from rideinfra.errors import ConfigError, SecretFormatError
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


class TestPlain:
    """A seed entry that is a string is a plain SecretString; shape changes are updates."""

    SENTINEL = "sk_test_SENTINEL_seed"

    def test_string_entry_is_stored_plain_and_rerun_is_unchanged(
        self, tmp_path: Path, store: SecretsManagerStore, sm: MotoEndpoint
    ) -> None:
        spec = load_seed_spec(write(tmp_path, f"version: 1\nsecrets:\n  w/s: {self.SENTINEL}\n"))
        assert spec.secrets["w/s"] == self.SENTINEL
        assert self.SENTINEL not in repr(spec)
        assert apply_seed(spec, store, {}) == {"w/s": "created"}
        assert sm.client().get_secret_value(SecretId="w/s")["SecretString"] == self.SENTINEL
        assert store.read("w/s") == self.SENTINEL
        assert apply_seed(spec, store, {"OVERRIDE_w/s": "x"}) == {"w/s": "unchanged"}
        versions = sm.client().list_secret_version_ids(SecretId="w/s")["Versions"]
        assert len(versions) == 1

    def test_json_looking_plain_string_is_idempotent(
        self, tmp_path: Path, store: SecretsManagerStore, sm: MotoEndpoint
    ) -> None:
        """A string entry holding JSON text is stored as that text, once: reruns change nothing."""
        spec = load_seed_spec(write(tmp_path, 'version: 1\nsecrets:\n  w/s: \'{"A":  "1"}\'\n'))
        assert apply_seed(spec, store, {}) == {"w/s": "created"}
        assert apply_seed(spec, store, {}) == {"w/s": "unchanged"}
        assert sm.client().get_secret_value(SecretId="w/s")["SecretString"] == '{"A":  "1"}'

    @pytest.mark.parametrize(
        ("first", "second"),
        [("{K: v}", "SENTINELplain"), ("SENTINELplain", "{K: v, G: {generate: 'hex:8'}}")],
        ids=["json-to-plain", "plain-to-json"],
    )
    def test_shape_change_is_an_update_with_a_warning(
        self,
        tmp_path: Path,
        store: SecretsManagerStore,
        caplog: pytest.LogCaptureFixture,
        first: str,
        second: str,
    ) -> None:
        """Never a crash or "not valid JSON": a new version in the new shape, a WARNING by name."""
        apply_seed(
            load_seed_spec(write(tmp_path, f"version: 1\nsecrets: {{w/s: {first}}}\n")), store, {}
        )
        spec = load_seed_spec(write(tmp_path, f"version: 1\nsecrets: {{w/s: {second}}}\n"))
        with caplog.at_level("WARNING", logger="rideinfra.seed"):
            assert apply_seed(spec, store, {}) == {"w/s": "updated"}
        (warning,) = [r for r in caplog.records if r.levelname == "WARNING"]
        assert "w/s" in warning.getMessage()
        assert "plain" in warning.getMessage()
        assert "SENTINEL" not in caplog.text
        current = store.read("w/s")
        assert isinstance(current, str) == (second == "SENTINELplain")
        assert apply_seed(spec, store, {}) == {"w/s": "unchanged"}

    def test_binary_in_the_store_is_refused_by_name(
        self, tmp_path: Path, store: SecretsManagerStore, sm: MotoEndpoint
    ) -> None:
        sm.seed({"w/bin": b"SENTINEL\x00"})
        spec = load_seed_spec(write(tmp_path, "version: 1\nsecrets: {w/bin: {K: v}}\n"))
        with pytest.raises(SecretFormatError, match=r"'w/bin' is binary.*delete") as info:
            apply_seed(spec, store, {})
        assert "SENTINEL" not in str(info.value)

    @pytest.mark.parametrize(
        ("entry", "message"),
        [("''", "plain secret must not be empty"), ("[a]", "or a string")],
    )
    def test_bad_plain_entries(self, tmp_path: Path, entry: str, message: str) -> None:
        path = write(tmp_path, f"version: 1\nsecrets:\n  w/s: {entry}\n")
        with pytest.raises(ConfigError, match=rf"secrets\.w/s.*{re.escape(message)}"):
            load_seed_spec(path)
