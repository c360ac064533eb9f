"""render k8s / helm-values against a hostile review: what kubectl reads, limits, exit codes.

Every manifest must be read by its consumer exactly as meant (kubectl's YAML
1.1 reader included), or the render fails naming what is wrong: exit 2 for an
option or setting, 1 for a profile that cannot be rendered.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rideinfra import cli
from rideinfra.errors import ConfigError
from rideinfra.profiles import parse_config, resolve
from rideinfra.render.eso import EsoOptions, eso_documents, helm_values, render_eso
from rideinfra.testing import MemorySource
from support.eso_crd import crd_errors

# --- a YAML 1.1 reader as kubectl's -------------------------------------------------


class Yaml11Loader(yaml.SafeLoader):
    """PyYAML's safe loader plus YAML 1.1's `y`/`n` booleans, which go-yaml (kubectl) reads.

    PyYAML leaves out `y|Y|n|N` from the YAML 1.1 bool type; kubectl's
    sigs.k8s.io/yaml does not, so a bare `y:` key is `true` there.
    """


def _bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    return str(loader.construct_scalar(node)).lower() in {"y", "yes", "true", "on"}


Yaml11Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:y|Y|n|N)$"), list("yYnN")
)
Yaml11Loader.add_constructor("tag:yaml.org,2002:bool", _bool)

#: Each spelling YAML 1.1 or 1.2 reads as a bool or null, in some case.
WORDS = [
    "y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE",
    "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL",
]  # fmt: skip


def load_all(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.load_all(text, Loader=Yaml11Loader) if d]


def test_the_yaml_11_loader_reads_what_kubectl_reads() -> None:
    """The test's reader itself: a bare `y`, `ON` or `NULL` key is not a string there."""
    for word in WORDS:
        read = yaml.load(f"{word}: 1", Loader=Yaml11Loader)  # noqa: S506 - a SafeLoader
        assert list(read) in ([True], [False], [None]), word
        assert yaml.load(f'"{word}": 1', Loader=Yaml11Loader) == {word: 1}  # noqa: S506


# --- the CLI on a file source ----------------------------------------------------------


def project(tmp_path: Path, config: dict[str, Any], store: dict[str, Any]) -> Path:
    """A rideinfra.yaml with a file source holding `store`; returns the config's path."""
    (tmp_path / "secrets.json").write_text(json.dumps(store))
    path = tmp_path / "rideinfra.yaml"
    body = {"version": 1, "source": {"type": "file", "path": "secrets.json"}, **config}
    path.write_text(json.dumps(body))
    return path


def render(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = cli.main(["render", *argv], {"PATH": os.environ.get("PATH", "")})
    out, err = capsys.readouterr()
    return code, out, err


TEMPLATED = {"profiles": {"p": {"secrets": ["s"], "template": {"ON": "{USER}", "Y": "{A}"}}}}
STORE = {"s": {"USER": "u", "A": "a"}}


class TestKeysReadAsStrings:
    def test_label_and_template_keys_survive_a_yaml_11_reader(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`--label y=n` and template keys ON / Y come back as those strings, not `true`."""
        config = project(tmp_path, TEMPLATED, STORE)
        code, out, err = render(capsys, ["k8s", "--config", str(config), "--label", "y=n"])
        assert code == 0, err
        store, external = load_all(out)
        assert store["metadata"]["labels"] == {"y": "n"}
        assert external["metadata"]["labels"] == {"y": "n"}
        data = external["spec"]["target"]["template"]["data"]
        assert sorted(data) == ["ON", "Y"]
        for doc in (store, external):
            assert crd_errors(yaml.safe_load(yaml.safe_dump(doc))) == []

    @pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
    def test_kubectl_reads_the_same_keys(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """kubectl itself (offline: `label --local`) reads every key as written."""
        config = project(tmp_path, TEMPLATED, STORE)
        labels = [arg for word in ("y", "ON", "off", "Null") for arg in ("--label", f"{word}=n")]
        code, out, err = render(capsys, ["k8s", "--config", str(config), *labels])
        assert code == 0, err
        manifest = tmp_path / "es.yaml"
        manifest.write_text(out)
        env = {"PATH": os.environ.get("PATH", ""), "KUBECONFIG": "/nonexistent"}
        run = subprocess.run(
            ["kubectl", "label", "--local", "-f", str(manifest), "z=1", "-o", "json"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=60,
        )
        text = run.stdout
        decoder = json.JSONDecoder()
        docs, at = [], 0
        while at < len(text.strip()):
            doc, at = decoder.raw_decode(text, at)
            docs.append(doc)
            while at < len(text) and text[at].isspace():
                at += 1
        assert len(docs) == 2
        for doc in docs:
            assert doc["metadata"]["labels"] == {
                "y": "n",
                "ON": "n",
                "off": "n",
                "Null": "n",
                "z": "1",
            }
        assert sorted(docs[1]["spec"]["target"]["template"]["data"]) == ["ON", "Y"]


NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True) | st.sampled_from(WORDS)
LABEL_KEY = st.tuples(
    st.sampled_from(["", "example.com/", "a.b/"]),
    st.from_regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?", fullmatch=True)
    | st.sampled_from(WORDS),
).map("".join)
LABEL_VALUE = st.from_regex(
    r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,8}[A-Za-z0-9])?)?", fullmatch=True
) | st.sampled_from(WORDS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    labels=st.dictionaries(LABEL_KEY, LABEL_VALUE, max_size=4),
    fields=st.sets(NAME, min_size=1, max_size=4),
    composed=st.sets(NAME, max_size=3),
    compact=st.booleans(),
)
def test_every_accepted_key_reads_back_as_written(
    labels: dict[str, str], fields: set[str], composed: set[str], compact: bool
) -> None:
    """For any labels and variables the renderer accepts, a YAML 1.1 reader gets them back.

    Fields become `data` secretKeys (or an extract), templates become
    `target.template.data` keys; every key and value is a string, as given.
    """
    composed -= fields
    first = sorted(fields)[0]
    template = dict.fromkeys(composed, "{" + first + "}")
    config = parse_config(
        {
            "version": 1,
            "source": {"type": "aws-secretsmanager"},
            "profiles": {"p": {"secrets": ["s"], **({"template": template} if template else {})}},
        }
    )
    store = MemorySource({"s": dict.fromkeys(fields, "v")})
    envs = resolve(config, store)
    secrets = store.fetch_many(["s"])
    options = EsoOptions(labels=labels, compact=compact)
    text = render_eso(config, envs, options, secrets=secrets)["external-secrets.yaml"]
    docs = load_all(text)
    expected = eso_documents(config, envs, options, secrets=secrets)
    assert docs == expected  # every key and value, as the renderer meant it
    for doc in docs:
        assert doc["metadata"].get("labels", {}) == labels
        assert crd_errors(doc) == []
    spec = docs[1]["spec"]
    keys = {item["secretKey"] for item in spec.get("data", [])}
    assert keys <= fields
    assert set(spec["target"].get("template", {}).get("data", {})) == composed


# --- Secret key length -------------------------------------------------------------------


class TestSecretKeyLength:
    @pytest.mark.parametrize("length", [253, 254])
    def test_a_field_name_over_253_is_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], length: int
    ) -> None:
        """A variable from `keys: [...]` is a Secret key: at most 253, as k8s-secret says."""
        name = "K" * length
        config = project(
            tmp_path, {"profiles": {"p": {"secrets": ["s"], "keys": [name]}}}, {"s": {name: "v"}}
        )
        code, out, err = render(capsys, ["k8s", "--config", str(config)])
        if length == 253:
            assert code == 0, err
            assert all(crd_errors(d) == [] for d in load_all(out))
        else:
            assert code == 1
            assert "not a valid Kubernetes Secret key" in err
            assert "at most 253" in err

    def test_a_template_variable_over_253_is_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A template's variable is a key of the target Secret too."""
        name = "T" * 254
        config = project(
            tmp_path, {"profiles": {"p": {"secrets": ["s"], "template": {name: "{A}"}}}}, STORE
        )
        code, _, err = render(capsys, ["k8s", "--config", str(config)])
        assert code == 1
        assert "at most 253" in err
        assert "internal error" not in err


# --- one identity per shared store -----------------------------------------------------------

TWO = {"profiles": {"alpha": {"secrets": ["s"]}, "beta": {"secrets": ["s"]}}}


class TestSharedStoreIdentity:
    def test_a_per_profile_credentials_secret_needs_a_per_profile_store(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`--credentials-secret '{profile}-creds'` on one shared store is refused (exit 2)."""
        config = project(tmp_path, TWO, STORE)
        argv = ["k8s", "--config", str(config), "--credentials-secret", "{profile}-creds"]
        code, out, err = render(capsys, argv)
        assert (code, out) == (2, "")
        assert "credentials_secret" in err
        code, out, err = render(capsys, [*argv, "--store-name", "{profile}-aws"])
        assert code == 0, err
        stores = {d["metadata"]["name"]: d for d in load_all(out) if d["kind"] == "SecretStore"}
        for profile in ("alpha", "beta"):
            ref = stores[f"{profile}-aws"]["spec"]["provider"]["aws"]["auth"]["secretRef"]
            assert ref["accessKeyIDSecretRef"]["name"] == f"{profile}-creds"

    def test_a_credentials_secret_may_hold_only_the_profile_placeholder(self) -> None:
        with pytest.raises(ConfigError, match="credentials_secret"):
            EsoOptions(credentials_secret="{name}-creds", store_template="{profile}")

    def test_a_shared_vault_store_with_a_per_profile_role_is_refused(self) -> None:
        """Any store two profiles share must be one object: a Vault role per profile is not."""
        config = parse_config(
            {
                "version": 1,
                "source": {"type": "vault", "address": "http://vault:8200"},
                **TWO,
            }
        )
        store = MemorySource(STORE)
        envs = resolve(config, store)
        with pytest.raises(ConfigError, match="share"):
            eso_documents(config, envs, EsoOptions(), secrets=store.fetch_many(["s"]))
        fixed = EsoOptions(service_account_template="rideinfra")
        docs = eso_documents(config, envs, fixed, secrets=store.fetch_many(["s"]))
        assert [d["kind"] for d in docs] == ["SecretStore", "ExternalSecret", "ExternalSecret"]


# --- refreshInterval as Go reads it ------------------------------------------------------------


class TestRefreshInterval:
    @pytest.mark.parametrize(("seconds", "code"), [(0.0004, 2), (0.001, 0), (90, 0)])
    def test_an_interval_that_rounds_to_zero_is_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], seconds: float, code: int
    ) -> None:
        """`0s` would tell ESO never to refresh: an interval written as 0 is exit 2."""
        config = project(
            tmp_path,
            {"profiles": {"p": {"secrets": ["s"]}}, "output": {"refresh_interval": seconds}},
            STORE,
        )
        got, out, err = render(capsys, ["k8s", "--config", str(config)])
        assert got == code, err
        if code == 2:
            assert "output.refresh_interval" in err
        else:
            assert '"0s"' not in out

    @pytest.mark.parametrize(
        ("interval", "code"),
        [
            ("9999999999h", 2),
            ("2562048h", 2),
            ("2562047h47m16.854775808s", 2),
            ("9223372036854775808ns", 2),
            ("2562047h47m16.854775807s", 0),
            ("9223372036854775807ns", 0),
            ("2562047h", 0),
            ("0", 0),
        ],
    )
    def test_an_interval_go_cannot_parse_is_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], interval: str, code: int
    ) -> None:
        """Over int64 nanoseconds, Go's time.ParseDuration fails: exit 2, not a manifest."""
        config = project(tmp_path, {"profiles": {"p": {"secrets": ["s"]}}}, STORE)
        argv = ["k8s", "--config", str(config), "--refresh-interval", interval]
        got, out, err = render(capsys, argv)
        assert got == code, err
        if code == 2:
            assert out == ""
            assert "refresh_interval" in err


GO_DURATION = st.lists(
    st.tuples(
        st.integers(0, 2**64) | st.sampled_from([0, 2562047, 2562048, 2**63 - 1, 2**63]),
        st.none() | st.from_regex(r"[0-9]{1,25}", fullmatch=True),
        st.sampled_from(["ns", "us", "µs", "ms", "s", "m", "h"]),
    ),
    min_size=1,
    max_size=3,
).map(lambda parts: "".join(f"{w}{'' if f is None else '.' + f}{u}" for w, f, u in parts))

GO_PROGRAM = """package main

import (
	"bufio"
	"fmt"
	"os"
	"time"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if _, err := time.ParseDuration(in.Text()); err != nil {
			fmt.Println("refused")
		} else {
			fmt.Println("parsed")
		}
	}
}
"""


@pytest.mark.skipif(shutil.which("go") is None, reason="Go is not installed")
def test_refresh_intervals_are_accepted_exactly_when_go_parses_them(tmp_path: Path) -> None:
    """EsoOptions accepts a duration exactly when Go's time.ParseDuration does (as ESO reads it)."""
    cases: list[str] = []

    @settings(max_examples=400, database=None)
    @given(GO_DURATION)
    def collect(text: str) -> None:
        cases.append(text)

    collect()
    cases += ["2562047h47m16.854775807s", "2562047h47m16.854775808s", "2562047.78801521555h"]
    program = tmp_path / "main.go"
    program.write_text(GO_PROGRAM)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "GOCACHE": str(tmp_path / "cache"),
        "GOFLAGS": "-mod=mod",
        "GO111MODULE": "off",
    }
    run = subprocess.run(
        ["go", "run", str(program)],
        input="\n".join(cases) + "\n",
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
    )
    verdicts = run.stdout.split()
    assert len(verdicts) == len(cases)
    for text, verdict in zip(cases, verdicts, strict=True):
        try:
            EsoOptions(refresh_interval=text)
            ours = "parsed"
        except ConfigError:
            ours = "refused"
        if ours != verdict and nanoseconds(text) >= 2**63:
            # Go sums in uint64 and checks each step against 1<<63, so two terms of
            # exactly 1<<63 ns wrap to 0 ("sync once"): Go's bug, refused here.
            assert (ours, verdict) == ("refused", "parsed"), text
            continue
        assert ours == verdict, text


def nanoseconds(text: str) -> Fraction:
    """The duration's exact value, in nanoseconds (no overflow, no float)."""
    units = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9}
    units["h"] = 3600 * 10**9
    total = Fraction(0)
    for number, unit in re.findall(r"([0-9.]+)(ns|us|µs|ms|s|m|h)", text):
        total += Fraction(number) * units[unit]
    return total


def test_go_wraps_two_terms_of_2_to_the_63_ns_and_rideinfra_refuses() -> None:
    """`9223372036854775808ns9223372036854775808ns` is 0 to Go (a wrap): refused, not 0."""
    with pytest.raises(ConfigError, match="longer than a Go duration"):
        EsoOptions(refresh_interval="9223372036854775808ns9223372036854775808ns")


# --- helm-values endpoints -----------------------------------------------------------------------


class TestHelmEndpoints:
    @pytest.mark.parametrize(
        ("flag", "url"),
        [
            ("--eso-endpoint", "http://[::1"),
            ("--sts-endpoint", "http://[x]"),
            ("--eso-endpoint", "http://h:abc"),
            ("--eso-endpoint", "http://h:99999"),
            ("--eso-endpoint", "ftp://h"),
            ("--sts-endpoint", "http://user:pw@h:4566"),
        ],
    )
    def test_a_bad_endpoint_is_a_usage_error(
        self, capsys: pytest.CaptureFixture[str], flag: str, url: str
    ) -> None:
        """A URL botocore or the controller could not use: exit 2 naming the option."""
        code, out, err = render(capsys, ["helm-values", flag, url])
        assert (code, out) == (2, "")
        assert flag in err
        assert "internal error" not in err
        assert repr(url) not in err  # the URL is never quoted: a password in it is not printed
        assert "user:pw" not in err

    def test_a_good_endpoint_is_written(self, capsys: pytest.CaptureFixture[str]) -> None:
        url = "http://[::1]:4566"
        code, out, err = render(capsys, ["helm-values", "--eso-endpoint", url])
        assert code == 0, err
        assert yaml.safe_load(out)["extraEnv"] == [
            {"name": "AWS_SECRETSMANAGER_ENDPOINT", "value": url}
        ]

    def test_the_library_refuses_the_same(self) -> None:
        with pytest.raises(ConfigError, match="sts_endpoint"):
            helm_values(sts_endpoint="http://h:abc")


# --- bad option values are usage errors ----------------------------------------------------


@pytest.mark.parametrize(
    "option",
    [
        ["--name-template", "x{profile"],
        ["--name-template", "{profile}."],
        ["--name-template=-{profile}"],
        ["--target-template", "A"],
        ["--store-name", "Bad_store"],
        ["--credentials-secret", "Bad"],
        ["--credentials-secret", "{profile}}"],
        ["--auth", "service-account", "--service-account", "SA"],
        ["--namespace", "a_b"],
        ["--label", "bad key=v"],
        ["--refresh-interval", "1 hour"],
    ],
)
def test_a_bad_option_value_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str]
) -> None:
    """Every bad option value is bad usage (exit 2), as the help's exit codes say."""
    config = project(tmp_path, {"profiles": {"p": {"secrets": ["s"]}}}, STORE)
    code, out, err = render(capsys, ["k8s", "--config", str(config), *option])
    assert (code, out) == (2, "")
    assert "internal error" not in err


def test_a_profile_no_template_can_name_is_a_render_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The options are fine, the profile cannot name an object: exit 1, as the help says."""
    config = project(tmp_path, {"profiles": {"App_1": {"secrets": ["s"]}}}, STORE)
    code, _, err = render(capsys, ["k8s", "--config", str(config)])
    assert code == 1
    assert "App_1" in err
