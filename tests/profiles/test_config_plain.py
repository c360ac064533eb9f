"""rideinfra.yaml's `plain:` and `binary:`: declared, validated, and carried to the sources."""

from __future__ import annotations

import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml

from rideinfra.errors import ConfigError, RenderError, SecretFormatError
from rideinfra.operations import config_source
from rideinfra.profiles import config_json_schema, load_config
from rideinfra.profiles.explain import explain, format_explain
from rideinfra.profiles.resolve import resolve
from rideinfra.render.eso import EsoOptions, eso_from_source
from rideinfra.secrets import EnvSource, FileSource, ParseOptions
from support.eso_crd import assert_valid

SENTINEL = "sk_live_SENTINEL_999"

BASE = """\
version: 1
source: {type: file, path: secrets.yaml}
secrets:
%s
profiles:
  web:
    secrets: [webapp/stripe]
"""


def write(tmp_path: Path, secrets: str, stored: str = f"webapp/stripe: {SENTINEL}\n") -> Path:
    (tmp_path / "secrets.yaml").write_text(stored, encoding="utf-8")
    path = tmp_path / "rideinfra.yaml"
    path.write_text(BASE % textwrap.indent(secrets, "  "), encoding="utf-8")
    return path


class TestDeclaration:
    def test_plain(self, tmp_path: Path) -> None:
        config = load_config(write(tmp_path, "webapp/stripe: {plain: STRIPE_SECRET_KEY}\n"))
        bound = config.secrets["webapp/stripe"]
        assert bound.parse == ParseOptions("STRIPE_SECRET_KEY", plain_always=True)
        assert bound.stored_as == "plain"
        assert config.parse_options == {"webapp/stripe": bound.parse}

    def test_binary_default_encoding_is_base64(self, tmp_path: Path) -> None:
        config = load_config(write(tmp_path, "webapp/stripe: {binary: {field: CERT}}\n"))
        assert config.secrets["webapp/stripe"].parse == ParseOptions(binary_field="CERT")
        assert config.stored_as("webapp/stripe") == "binary"

    def test_plain_and_binary_together(self, tmp_path: Path) -> None:
        text = "webapp/stripe: {plain: K, binary: {field: K, encoding: utf-8}}\n"
        parse = load_config(write(tmp_path, text)).secrets["webapp/stripe"].parse
        assert parse == ParseOptions("K", "K", "utf-8", plain_always=True)

    def test_transforms_only_has_no_parse(self, tmp_path: Path) -> None:
        config = load_config(write(tmp_path, "webapp/stripe: {transforms: [uppercase]}\n"))
        assert config.secrets["webapp/stripe"].parse is None
        assert config.parse_options == {}

    @pytest.mark.parametrize(
        ("secrets", "message"),
        [
            ("webapp/stripe: {plain: ''}", r"secrets\.webapp/stripe\.plain.*must not be empty"),
            ("webapp/stripe: {plain: [A]}", r"secrets\.webapp/stripe\.plain.*expected a string"),
            (
                "webapp/stripe: {binary: {field: C, encoding: base46}}",
                r"binary\.encoding.*base64.*did you mean",
            ),
            ("webapp/stripe: {binary: {encoding: utf-8}}", r"binary\.field.*required"),
            ("webapp/stripe: {plian: K}", r"unknown key `plian`.*did you mean"),
            ("webapp/strip: {plain: K}", r"configured but no profile uses it.*webapp/stripe"),
        ],
        ids=["empty", "not-text", "encoding", "no-field", "misspelt", "unused"],
    )
    def test_mistakes_are_refused_by_path(self, tmp_path: Path, secrets: str, message: str) -> None:
        path = write(tmp_path, secrets + "\n")
        with pytest.raises(ConfigError, match=message) as info:
            load_config(path)
        assert str(path) in str(info.value)

    def test_schema_knows_the_keys(self) -> None:
        data = {
            "version": 1,
            "secrets": {"a": {"plain": "K", "binary": {"field": "B", "encoding": "utf-8"}}},
            "profiles": {"p": {"secrets": ["a"]}},
        }
        jsonschema.validate(data, config_json_schema())
        data["secrets"] = {"a": {"binary": {"field": "B", "encoding": "hex"}}}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(data, config_json_schema())


class TestUse:
    def test_resolve_applies_bound_and_use_transforms(self, tmp_path: Path) -> None:
        """The plain field goes through the secret-bound, then the use-bound transforms."""
        path = write(tmp_path, "webapp/stripe: {plain: key, transforms: [uppercase]}\n")
        text = path.read_text(encoding="utf-8").replace(
            "secrets: [webapp/stripe]",
            "secrets: [{name: webapp/stripe, transforms: [{prefix: STRIPE_}]}]",
        )
        path.write_text(text, encoding="utf-8")
        config = load_config(path)
        env = resolve(config, config_source(config, {}))["web"]
        assert env["STRIPE_KEY"].reveal() == SENTINEL

    def test_without_plain_the_error_names_this_config_file(self, tmp_path: Path) -> None:
        path = write(tmp_path, "webapp/other: {transforms: []}\n").parent / "rideinfra.yaml"
        path.write_text(BASE.replace("secrets:\n%s\n", ""), encoding="utf-8")
        config = load_config(path)
        with pytest.raises(SecretFormatError) as info:
            resolve(config, config_source(config, {}))
        message = str(info.value)
        assert f"the config file {path}" in message
        assert "{plain: FIELD}" in message
        assert SENTINEL not in message

    def test_explain_says_plain(self, tmp_path: Path) -> None:
        config = load_config(write(tmp_path, "webapp/stripe: {plain: STRIPE_SECRET_KEY}\n"))
        rows = explain(config, config_source(config, {}, names_only=True))
        assert [row.cells()[2] for row in rows] == ["webapp/stripe (plain)"]
        assert "webapp/stripe (plain)" in format_explain(rows)

    def test_eso_plain_has_no_property_and_is_never_compact(self, tmp_path: Path) -> None:
        """Even with only `prefix` steps (which make JSON secrets compact), no `extract`."""
        secrets = "webapp/stripe: {plain: KEY, transforms: [{prefix: STRIPE_}]}\n"
        config = load_config(write(tmp_path, secrets))
        files = eso_from_source(config, config_source(config, {}), EsoOptions())
        docs = list(yaml.safe_load_all(next(iter(files.values()))))
        assert_valid(docs)
        (external,) = [d for d in docs if d["kind"] == "ExternalSecret"]
        assert "dataFrom" not in external["spec"]
        (entry,) = external["spec"]["data"]
        assert entry["secretKey"] == "STRIPE_KEY"
        assert entry["remoteRef"] == {
            "key": "webapp/stripe",
            "conversionStrategy": "Default",
            "decodingStrategy": "None",
        }

    def test_eso_refuses_binary_as_base64(self, tmp_path: Path) -> None:
        """ESO would put the bytes, not their base64 text: refused naming the variable."""
        config = load_config(write(tmp_path, "webapp/stripe: {binary: {field: CERT}}\n"))
        source = EnvSource({"RIDEINFRA_SECRET_WEBAPP_STRIPE": '{"CERT": "x"}'})
        with pytest.raises(RenderError, match=r"variable CERT .*'webapp/stripe'.*encoding: utf-8"):
            eso_from_source(config, source, EsoOptions())

    def test_a_secrets_file_source_gets_the_options(self, tmp_path: Path) -> None:
        config = load_config(write(tmp_path, "webapp/stripe: {plain: K}\n"))
        source = config_source(config, {})
        assert isinstance(source, FileSource)
        assert source.fetch("webapp/stripe").fields["K"].reveal() == SENTINEL
