"""Loading rideinfra.yaml: the model it builds and every error it reports."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import rideinfra.profiles as profiles_pkg
from rideinfra.errors import ConfigError
from rideinfra.profiles import (
    AwsSourceConfig,
    ChainSourceConfig,
    DirectorySourceConfig,
    EnvSourceConfig,
    FileSourceConfig,
    config_json_schema,
    load_config,
)
from rideinfra.profiles._read import MAX_BYTES
from rideinfra.profiles.model import OUTPUT_FORMATS
from rideinfra.render.formats import FORMATS
from rideinfra.secrets._yaml import load_yaml_text
from rideinfra.secrets.transforms import Airflow, Pipeline, Prefix, Qualify, Rename, Uppercase
from support.render_values import nasty_values

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "rideshare" / "rideinfra.yaml"

MINIMAL = "version: 1\nprofiles:\n  core:\n    secrets: [app/db]\n"
TR = "version: 1\nprofiles: {a: {secrets: [{name: x, transforms: [%s]}]}}\n"


Writer = Callable[..., Path]


@pytest.fixture(name="write")
def _write(tmp_path: Path) -> Writer:
    def write(text: str, name: str = "rideinfra.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.exit_code == 2
    return info.value


class TestExample:
    def test_loads_the_rideshare_example(self) -> None:
        """The shipped example loads into the documented model."""
        config = load_config(EXAMPLE)
        assert config.version == 1
        assert config.source == AwsSourceConfig(retry_mode="standard")
        assert config.profile_names == ("core", "data-pipeline", "monitoring", "spark-testing")
        assert config.seed == EXAMPLE.parent / "seed.yaml"
        assert config.path == EXAMPLE
        assert config.output.dir == Path("/secrets")
        assert (config.output.format, config.output.file_mode) == ("env", 0o600)
        airflow = config.secrets["rideshare/airflow"].transforms
        assert airflow.steps == (
            Airflow(
                {
                    "FERNET_KEY": "core",
                    "INTERNAL_API_SECRET_KEY": "core",
                    "JWT_SECRET": "api_auth",
                    "API_SECRET_KEY": "api.secret_key",
                }
            ),
        )
        monitoring = config.profiles["monitoring"]
        assert monitoring.secrets[0].transforms == Pipeline(Prefix("GF_SECURITY_"))
        assert monitoring.keys == ("GF_SECURITY_ADMIN_USER", "GF_SECURITY_ADMIN_PASSWORD")

    def test_example_matches_the_schema(self) -> None:
        """The JSON Schema accepts the example (editors would not flag it)."""
        data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator(config_json_schema()).validate(data)


class TestModel:
    def test_transform_forms(self, write: Writer) -> None:
        """Bare names, `name: args` pairs and `name: null` all build transforms."""
        config = load_config(
            write("""
                version: 1
                secrets:
                  app/db:
                    transforms:
                      - uppercase
                      - {rename: {USER: DB_USER}}
                      - qualify: APP
                      - sanitize: null
                      - flatten
                      - flatten: {prefix: X, sep: _}
                      - keys: [A]
                      - drop: [B]
                profiles: {core: {secrets: [app/db]}}
            """)
        )
        steps = config.secrets["app/db"].transforms.steps
        assert steps[:3] == (Uppercase(), Rename({"USER": "DB_USER"}), Qualify("APP"))
        assert [repr(s) for s in steps[3:]] == [
            "sanitize",
            "flatten",
            "flatten: {prefix: X, sep: _}",
            "keys: [A]",
            "drop: [B]",
        ]

    def test_pipeline_for_a_use_is_secret_bound_then_use_bound(self, write: Writer) -> None:
        """Config.pipeline runs the secret's own transforms before the use's."""
        config = load_config(
            write("""
                version: 1
                secrets: {app/db: {transforms: [{qualify: APP}]}}
                profiles:
                  core:
                    secrets: [{name: app/db, transforms: [{prefix: X_}]}, other]
            """)
        )
        first, second = config.profiles["core"].secrets
        assert config.pipeline(first).steps == (Qualify("APP"), Prefix("X_"))
        assert config.pipeline(second).steps == ()

    def test_sources_and_relative_paths(self, write: Writer, tmp_path: Path) -> None:
        """Every source type loads; relative paths are relative to the config file."""
        path = write(
            """
            version: 1
            source:
              type: chain
              sources:
                - {type: env, prefix: SECRET_}
                - {type: file, path: secrets/dev.env, name: app/db}
                - {type: directory, path: ../run}
                - {type: aws-secretsmanager, region: eu-west-1, endpoint_url: "http://127.0.0.1:5000",
                   retry_mode: adaptive, max_attempts: 5, max_concurrency: 8,
                   connect_timeout: 2, read_timeout: 2.5}
            profiles: {core: {secrets: [app/db]}}
            output: {dir: out, format: json, file_mode: 0640}
            seed: ./seed.yaml
            """,
            name="sub.yaml",
        )
        config = load_config(path)
        assert config.source == ChainSourceConfig(
            (
                EnvSourceConfig("SECRET_"),
                FileSourceConfig(tmp_path / "secrets" / "dev.env", "app/db"),
                DirectorySourceConfig(tmp_path.parent / "run"),
                AwsSourceConfig("eu-west-1", "http://127.0.0.1:5000", "adaptive", 5, 8, 2.0, 2.5),
            )
        )
        assert config.output.dir == tmp_path / "out"
        assert (config.output.format, config.output.file_mode) == ("json", 0o640)
        assert config.seed == tmp_path / "seed.yaml"

    def test_defaults(self, write: Writer) -> None:
        """Without source and output: AWS from the environment, env files, mode 0600."""
        config = load_config(write(MINIMAL))
        assert config.source == AwsSourceConfig()
        assert (config.output.dir, config.output.format, config.output.file_mode) == (
            None,
            "env",
            0o600,
        )
        assert config.seed is None
        assert dict(config.secrets) == {}

    @pytest.mark.parametrize(
        ("text", "mode"), [('"0600"', 0o600), ('"0o640"', 0o640), ("0400", 0o400)]
    )
    def test_file_mode_forms(self, write: Writer, text: str, mode: int) -> None:
        """file_mode is an octal string or a YAML octal number."""
        config = load_config(write(MINIMAL + f"output: {{file_mode: {text}}}\n"))
        assert config.output.file_mode == mode

    def test_select_profiles(self) -> None:
        """select() keeps the asked order and refuses unknown names with a close match."""
        config = load_config(EXAMPLE)
        assert [p.name for p in config.select(["monitoring", "core"])] == ["monitoring", "core"]
        with pytest.raises(ConfigError, match=r"'monitor'.*core, data-pipeline.*`monitoring`"):
            config.select(["monitor"])

    def test_output_formats_match_the_validator(self) -> None:
        """OUTPUT_FORMATS, the schema's format names and the renderers' are the same list."""
        output = config_json_schema()["$defs"]["_Output"]["properties"]["format"]
        assert tuple(output["enum"]) == OUTPUT_FORMATS
        assert sorted(OUTPUT_FORMATS) == sorted(FORMATS)


class TestErrors:
    def test_misspelt_transform_names_file_path_line_and_choice(self, write: Writer) -> None:
        """`renam:` names the file, the path in it, the line and suggests `rename`."""
        path = write("""
            version: 1
            profiles:
              monitoring:
                secrets:
                  - name: rideshare/grafana
                    transforms:
                      - renam: {ADMIN_USER: X}
        """)
        err = error(path)
        assert err.file == str(path)
        assert err.path == "profiles.monitoring.secrets[0].transforms[0]"
        text = str(err)
        assert text.startswith(f"{path}: profiles.monitoring.secrets[0].transforms[0]: line 8:")
        assert "did you mean `rename`?" in text
        assert (
            "airflow, drop, flatten, keys, prefix, qualify, rename, sanitize, template, uppercase"
            in text
        )

    @pytest.mark.parametrize(
        ("text", "path", "needle"),
        [
            ("version: 1\nprofles: {}\n", "profles", "did you mean `profiles`?"),
            (MINIMAL + "extra: 1\n", "extra", "valid keys here: version, source, secrets"),
            (MINIMAL + "output: {dri: x}\n", "output.dri", "did you mean `dir`?"),
            (MINIMAL + "source: {type: aws}\n", "source", "valid types: aws-secretsmanager"),
            (MINIMAL + "source: {type: file}\n", "source.path", "required key `path`"),
            (MINIMAL + "source: {type: env, prefx: A}\n", "source.prefx", "`prefix`"),
            (
                MINIMAL + "source: {type: chain, sources: [{type: directory, pth: x}]}\n",
                "source.sources[0].pth",
                "did you mean `path`?",
            ),
            (
                MINIMAL + "source: {type: aws-secretsmanager, retry_mode: fast}\n",
                "source.retry_mode",
                "'standard' or 'adaptive'",
            ),
            (
                MINIMAL + "source: {type: aws-secretsmanager, endpoint_url: localhost}\n",
                "source.endpoint_url",
                "http://",
            ),
            (MINIMAL + "output: {format: jsn}\n", "output.format", "did you mean `json`?"),
            (MINIMAL + "output: {file_mode: 600}\n", "output.file_mode", "'0600'"),
            # 384 is 0600 written in decimal: '0384' would be no octal mode either.
            (MINIMAL + "output: {file_mode: 384}\n", "output.file_mode", "like '0600'"),
            (MINIMAL + "output: {file_mode: 9}\n", "output.file_mode", "like '0600'"),
            (MINIMAL + "output: {file_mode: '0999'}\n", "output.file_mode", "octal"),
            (MINIMAL + "seed: 3\n", "seed", "expected a string, got a number"),
            ("version: 2\nprofiles: {a: {secrets: [x]}}\n", "version", "unsupported version 2"),
            ("version: '1'\nprofiles: {a: {secrets: [x]}}\n", "version", "unsupported version"),
            ("profiles: {a: {secrets: [x]}}\n", "version", "required key `version`"),
            ("version: 1\nprofiles: {}\n", "profiles", "at least 1"),
            ("version: 1\nprofiles: {a: {secrets: []}}\n", "profiles.a.secrets", "at least 1"),
            ("version: 1\nprofiles: {a: {secrets: x}}\n", "profiles.a.secrets", "expected a list"),
            ("version: 1\nprofiles: {a: null}\n", "profiles.a", "expected a mapping"),
            (
                "version: 1\nprofiles: {a: {secrets: [{nme: x}]}}\n",
                "profiles.a.secrets[0].nme",
                "did you mean `name`?",
            ),
            (
                "version: 1\nprofiles: {a: {secrets: [x], keys: [1A]}}\n",
                "profiles.a.keys[0]",
                "not a valid variable name",
            ),
            (
                "version: 1\nprofiles: {a: {secrets: [x], keys: [A, A]}}\n",
                "profiles.a.keys[1]",
                "listed twice",
            ),
            (
                'version: 1\nprofiles: {"../etc": {secrets: [x]}}\n',
                'profiles["../etc"]',
                "also a file name",
            ),
            (
                "version: 1\nprofiles: {a: {secrets: [app/db]}}\nsecrets: {app/dc: {}}\n",
                "secrets.app/dc",
                "no profile uses it; did you mean `app/db`?",
            ),
            (
                TR % "{prefix: 1}",
                "profiles.a.secrets[0].transforms[0].prefix",
                "expected a string",
            ),
            (
                TR % "{prefix: 1A}",
                "profiles.a.secrets[0].transforms[0].prefix",
                "must start a valid variable name",
            ),
            (
                TR % "keys",
                "profiles.a.secrets[0].transforms[0]",
                "`keys` needs arguments",
            ),
            (
                TR % "{a: 1, b: 2}",
                "profiles.a.secrets[0].transforms[0]",
                "one `name: arguments` pair",
            ),
            (
                TR % "{uppercase: 1}",
                "profiles.a.secrets[0].transforms[0].uppercase",
                "takes no arguments",
            ),
            (
                TR % "{airflow: {sectons: {}}}",
                "profiles.a.secrets[0].transforms[0].airflow.sectons",
                "did you mean `sections`?",
            ),
            (
                TR % "{rename: {A: 1}}",
                "profiles.a.secrets[0].transforms[0].rename.A",
                "expected a string",
            ),
        ],
    )
    def test_error_names_path_and_problem(
        self, write: Writer, text: str, path: str, needle: str
    ) -> None:
        """Each mistake is a ConfigError naming the file, the path in it and what is wrong."""
        err = error(write(text))
        assert err.path == path
        assert needle in str(err)
        assert str(err).startswith(f"{err.file}: {path}: line ")

    def test_several_problems_reported_together(self, write: Writer) -> None:
        """All of pydantic's findings are listed, not only the first."""
        err = error(write(MINIMAL + "output: {dri: x}\nseed: 1\nsource: {type: aws}\n"))
        assert str(err).count("\n  also ") == 2

    def test_duplicate_profile(self, write: Writer) -> None:
        """A profile defined twice is an error, not last-one-wins."""
        err = error(
            write("""
                version: 1
                profiles:
                  core: {secrets: [a]}
                  core: {secrets: [b]}
            """)
        )
        assert "line 5: key 'core' appears twice (first on line 4)" in str(err)

    def test_duplicate_key_in_flow_mapping(self, write: Writer) -> None:
        """Duplicates on one line are caught too."""
        err = error(write("version: 1\nprofiles: {a: {secrets: [x]}, a: {secrets: [y]}}\n"))
        assert "appears twice" in str(err)

    def test_merge_keys_may_override(self, write: Writer) -> None:
        """A `<<:` merge then an explicit key is YAML's override, not a duplicate."""
        config = load_config(
            write("""
                version: 1
                profiles:
                  one: &base {secrets: [a]}
                  two: {<<: *base, secrets: [b]}
            """)
        )
        assert [r.name for r in config.profiles["two"].secrets] == ["b"]

    @pytest.mark.parametrize(
        "text",
        [
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n"
                for p, n in zip("abcde", "bcdef", strict=True)
            ),
            "a: &a [*a]\n",
            "a: &a {k: *a}\n",
        ],
    )
    def test_alias_bomb_refused(self, write: Writer, text: str) -> None:
        """Nested aliases that expand past the limit (or forever) are refused before use."""
        err = error(write(text))
        assert "alias bomb" in str(err)

    def test_small_anchor_use_is_fine(self, write: Writer) -> None:
        """Anchors that expand to a little data are allowed."""
        config = load_config(
            write("""
                version: 1
                profiles:
                  one: {secrets: &both [a, b]}
                  two: {secrets: *both}
            """)
        )
        assert [r.name for r in config.profiles["two"].secrets] == ["a", "b"]

    def test_oversize_file_refused_before_parsing(self, write: Writer) -> None:
        """A file over the size limit is refused without being parsed (even if invalid)."""
        err = error(write("x: [" * (MAX_BYTES // 4 + 10)))
        assert "larger than 1024 KiB" in str(err)

    @pytest.mark.parametrize(
        ("content", "needle"),
        [
            (b"", "empty"),
            (b"[1, 2]\n", "mapping"),
            (b"version: 1\nprofiles: [\n", "line 3: invalid YAML"),
            (b"version: 1\n---\nversion: 1\n", "invalid YAML"),
            (b"\xff\xfe\x00", "not UTF-8"),
            (b"a: !!python/object:os.system x\n", "invalid YAML"),
            (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        ],
    )
    def test_unreadable_files(self, tmp_path: Path, content: bytes, needle: str) -> None:
        """Bad bytes, bad YAML, unsafe tags and deep nesting are ConfigErrors, not crashes."""
        path = tmp_path / "c.yaml"
        path.write_bytes(content)
        assert re.search(needle, str(error(path)))

    @settings(max_examples=200, deadline=None)
    @given(
        values=st.dictionaries(
            st.text(max_size=10), st.one_of(nasty_values, st.text()), max_size=6
        ),
        style=st.sampled_from([None, "'", '"', "|"]),
    )
    def test_libyaml_reads_what_pure_python_reads(
        self, values: dict[str, str], style: str | None
    ) -> None:
        """The config loader may use libyaml's parser: it reads every value alike."""
        text = yaml.safe_dump(values, default_style=style, allow_unicode=True)
        pure_python = yaml.load(text, Loader=yaml.SafeLoader)
        assert load_yaml_text(text, file="x").data == pure_python

    def test_what_libyaml_refuses_gets_the_pure_python_verdict(self) -> None:
        """json.dumps writes an emoji as two \\u escapes, which libyaml refuses: PyYAML reads it."""
        text = json.dumps({"a": "😀", "b": "x"})
        assert "\\ud83d" in text
        assert load_yaml_text(text, file="x").data == yaml.load(text, Loader=yaml.SafeLoader)

    @pytest.mark.parametrize(
        "text",
        [
            "a: |\n  one\n  two\n\n",
            "a: |-\n  one\n",
            "a: |+\n  one\n\n",
            "a: >\n  one\n  two\n\n  three\n",
            "a: >-\n  folded\n   more\n",
            'a: "\\x41\\u00e9\\U0001F600\\N\\_\\L\\P\\t\\0\\e\\/"\n',
            'a: "line\\\n  continued"\n',
            "a: 'it''s'\n",
            "a: x # comment\nb: '#not'\n",
            "a: 0o17\nb: 017\nc: 1_000\nd: 0x1F\ne: .inf\nf: ~\ng: yes\nh: 2024-01-02\n",
            "a: &x [1, {b: 2}]\nc: *x\n",
            "a:\n  - b\n  -\n    c: d\n",
            "? complex\n: key\n",
            "a: '\u2028 \u2029 \x85'\n",
            "\ufeffa: bom\n",
        ],
    )
    def test_libyaml_reads_these_forms_alike(self, text: str) -> None:
        """Block scalars, escapes, implicit types, anchors: the same data either way."""
        assert load_yaml_text(text, file="x").data == yaml.load(text, Loader=yaml.SafeLoader)

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing file is a ConfigError naming it."""
        err = error(tmp_path / "nope.yaml")
        assert err.file == str(tmp_path / "nope.yaml")
        assert "not found" in str(err)


class TestSchema:
    def test_schema_is_valid_json_schema(self) -> None:
        """The schema is itself valid Draft 2020-12 and serialisable."""
        schema = config_json_schema()
        jsonschema.Draft202012Validator.check_schema(schema)
        json.dumps(schema)

    @pytest.mark.parametrize(
        "data",
        [
            {"version": 1, "profiles": {"a": {"secrets": ["x"]}}, "extra": 1},
            {
                "version": 1,
                "profiles": {"a": {"secrets": [{"name": "x", "transforms": [{"renam": {}}]}]}},
            },
            {"version": 1, "profiles": {"a": {"secrets": ["x"]}}, "source": {"type": "aws"}},
            {"version": 2, "profiles": {"a": {"secrets": ["x"]}}},
        ],
    )
    def test_schema_rejects_mistakes(self, data: dict[str, object]) -> None:
        """The schema catches the same misspellings an editor should underline."""
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(data, config_json_schema())


def test_all_is_sorted_and_complete() -> None:
    """rideinfra.profiles re-exports every public name, sorted."""
    assert profiles_pkg.__all__ == sorted(profiles_pkg.__all__)
    public = {
        name
        for name in dir(profiles_pkg)
        if not name.startswith("_") and not isinstance(getattr(profiles_pkg, name), ModuleType)
    }
    assert set(profiles_pkg.__all__) == public
