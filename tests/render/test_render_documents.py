"""json and k8s-secret: read back with json.loads / yaml.safe_load, exactly."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from rideinfra.errors import RenderError
from rideinfra.render import KubernetesSecret, render, render_json
from rideinfra.secrets.model import SecretValue
from support.render_values import nasty_values

# Unicode without lone surrogates, which no UTF-8 file can hold.
any_text = st.one_of(nasty_values, st.text())
k8s_keys = st.from_regex(r"[-._a-zA-Z0-9]{1,40}", fullmatch=True)


class TestJson:
    @settings(max_examples=150)
    @given(values=st.dictionaries(st.text(), any_text, max_size=20))
    def test_json_round_trip(self, values: dict[str, str]) -> None:
        """json.loads reads back every string, NUL included, keys sorted."""
        text = render_json(values)
        assert json.loads(text) == values
        assert list(json.loads(text)) == sorted(values)
        assert text.endswith("\n")

    def test_readable_utf8(self) -> None:
        """Non-ASCII stays readable; the layout is stable."""
        assert render_json({"B": "é", "A": "1"}) == '{\n  "A": "1",\n  "B": "é"\n}\n'

    @settings(max_examples=150)
    @given(values=st.dictionaries(st.text(), any_text, max_size=20))
    def test_same_text_as_json_dumps(self, values: dict[str, str]) -> None:
        """Byte for byte what json.dumps(indent=2, sort_keys=True) writes, which it replaced."""
        expected = json.dumps(values, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        assert render_json(values) == expected

    @settings(max_examples=150)
    @given(values=st.dictionaries(st.text(), any_text, max_size=20))
    def test_secret_values_give_the_same_text_as_json_dumps(self, values: dict[str, str]) -> None:
        """The same bytes when the values are SecretValues, as an Env holds them."""
        expected = json.dumps(values, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        assert render_json({k: SecretValue(v) for k, v in values.items()}) == expected

    def test_empty_profile_is_an_empty_object(self) -> None:
        assert render_json({}) == "{}\n"

    @pytest.mark.parametrize("n", [1, 255, 256, 257, 512, 513, 1000])
    def test_sizes_around_the_join_chunk(self, n: int) -> None:
        """The output is joined in chunks of 256 lines: no line lost or doubled at an edge."""
        values = {f"K{i:04d}": f"v{i}" for i in range(n)}
        expected = json.dumps(values, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        assert render_json(values) == expected


class TestKubernetesSecret:
    @settings(max_examples=150)
    @given(values=st.dictionaries(k8s_keys, any_text.filter(lambda v: "\0" not in v), max_size=20))
    def test_yaml_round_trip(self, values: dict[str, str]) -> None:
        """yaml.safe_load gives back every value exactly, as strings."""
        doc = yaml.safe_load(KubernetesSecret().render(values, profile="core"))
        assert doc["stringData"] == values
        assert doc["apiVersion"] == "v1"
        assert doc["kind"] == "Secret"
        assert doc["type"] == "Opaque"
        assert doc["metadata"] == {"name": "core"}

    @pytest.mark.parametrize(
        "value",
        [
            "true",
            "no",
            "null",
            "~",
            "0x1F",
            "1e3",
            "012",
            "- a",
            "a: b",
            "#x",
            "@x",
            "*x",
            "&a",
            "!!binary",
            "|",
            ">",
            "'",
            '"',
            "% x",
            "\u0085",
            "\u2028",
            "\ufeff",
            "\x7f",
            "\t",
            " ",
        ],
    )
    def test_yaml_lookalikes_stay_strings(self, value: str) -> None:
        """Values YAML would read as bools, numbers, null, anchors or breaks stay strings."""
        doc = yaml.safe_load(KubernetesSecret().render({"K": value}, profile="p"))
        assert doc["stringData"] == {"K": value}

    def test_metadata_options(self) -> None:
        """Name, namespace and labels are written; name defaults to the profile."""
        fmt = KubernetesSecret(
            secret_name="app-secrets", namespace="prod", labels={"app.kubernetes.io/name": "x"}
        )
        doc = yaml.safe_load(fmt.render({"A": "1"}, profile="core"))
        assert doc["metadata"] == {
            "name": "app-secrets",
            "namespace": "prod",
            "labels": {"app.kubernetes.io/name": "x"},
        }

    def test_empty_profile(self) -> None:
        """No variables is an empty stringData mapping, still a valid Secret."""
        doc = yaml.safe_load(render("k8s-secret", {}, profile="core"))
        assert doc["stringData"] == {}

    def test_profile_name_must_be_a_valid_secret_name(self) -> None:
        """A profile name Kubernetes would refuse is a RenderError pointing at the option."""
        with pytest.raises(RenderError, match="Secret name"):
            render("k8s-secret", {"A": "1"}, profile="spark_testing")

    def test_invalid_key_is_refused(self) -> None:
        """Secret keys must match [-._a-zA-Z0-9]."""
        with pytest.raises(RenderError, match="Secret key") as info:
            render("k8s-secret", {"A B": "1"}, profile="p")
        assert info.value.variable == "A B"

    def test_over_one_mebibyte_is_refused(self) -> None:
        """The API server refuses Secrets over 1 MiB; so do we, before writing."""
        with pytest.raises(RenderError, match="1048576"):
            render("k8s-secret", {"A": "x" * 600_000, "B": "y" * 600_000}, profile="p")
