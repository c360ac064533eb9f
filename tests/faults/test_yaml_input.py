"""Hostile YAML in every file rideinfra reads: refused by name and position, never quoted.

The config and seed files are read by `load_config` / `load_seed_spec`
(`ConfigError`, exit 2), YAML secrets files by `FileSource` (a
`SecretFormatError` per secret, exit 1); all three go through one loader,
`rideinfra.secrets._yaml`. Planted sentinels prove that no message quotes
the input, and generated input (random bytes, and valid files with YAML
punctuation, tags and control characters spliced in) proves that nothing but
those errors comes out: `internal error` is unreachable from a file.

The generated tests run 60 cases in the default run; their 1,500-case variants
are marked `long` (CI and `pytest -m faults` run them); with `-s` they print
their counts.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faults.kit import run_fetch
from rideinfra import seed
from rideinfra.errors import ConfigError, SecretFormatError, SourceError
from rideinfra.profiles import load_config
from rideinfra.profiles.seedfile import load_seed_spec
from rideinfra.secrets.files import FileSource
from support.budget import sizes

pytestmark = pytest.mark.faults

REPO = Path(__file__).resolve().parents[2]
SENTINEL = "Zq9Secret7f3a"

# Where a value goes in each kind of file; `{v}` is replaced by the planted text.
TEMPLATES = {
    "config": "version: 1\nprofiles:\n  core:\n    secrets:\n      - app/db\n      - {v}\n",
    "seed": "version: 1\nsecrets:\n  app/db:\n    PASSWORD: {v}\n",
    "secrets": "app/db:\n  PASSWORD: {v}\n",
}
# Planted value text -> words the message must hold. Each holds the sentinel where
# PyYAML's own message would quote it.
PLANTED = {
    "unquoted tag": ("!" + SENTINEL + "x", "an unknown tag"),
    "verbatim tag": ("!<tag:" + SENTINEL + "> x", "an unknown tag"),
    "python tag": ("!!python/name:" + SENTINEL, "an unknown tag"),
    "undefined alias": ("*" + SENTINEL + "Alias", "an alias to no anchor"),
    "unknown escape": ('"' + SENTINEL + '\\q"', "an unknown escape"),
    "bad \\x escape": ('"' + SENTINEL + '\\xZZ"', "a bad escape"),
    "control character": (SENTINEL + "\x07", "a control character"),
    "control character quoted": ("'" + SENTINEL + "\x1b[31m'", "a control character"),
    "NUL": (SENTINEL + "\x00", "a control character"),
    "!!int": ("!!int " + SENTINEL, "explicit tag !!int"),
    "!!float": ("!!float " + SENTINEL, "explicit tag !!float"),
    "!!bool": ("!!bool " + SENTINEL, "explicit tag !!bool"),
    "!!timestamp": ("!!timestamp " + SENTINEL, "explicit tag !!timestamp"),
    "!!binary not base64": ("!!binary " + SENTINEL + "!", "not base64"),
    "!!set on a list": ("!!set [" + SENTINEL + "]", "needs a mapping"),
    "unclosed list": ("[" + SENTINEL, "invalid YAML"),
    "colon in a value": (SENTINEL + ": x: y", "invalid YAML"),
    "duplicate anchor": ("[&" + SENTINEL + " a, &" + SENTINEL + " b]", "invalid YAML"),
    "a second document": (SENTINEL + "\n---\nx: 1", "more than one document (`---`)"),
}
COUNTS: Counter[str] = Counter()


def plant(tmp_path: Path, kind: str, value: str) -> Path:
    name = {"config": "rideinfra.yaml", "seed": "seed.yaml", "secrets": "secrets.yaml"}[kind]
    path = tmp_path / name
    path.write_bytes(TEMPLATES[kind].replace("{v}", value).encode("utf-8", "surrogatepass"))
    return path


def refusal(kind: str, path: Path) -> tuple[str, int]:
    """The error text and exit code reading `path` as a `kind` file gives."""
    if kind == "secrets":
        result = FileSource(path).fetch_many(["app/db"])
        error = result.errors["app/db"]
        assert isinstance(error, SecretFormatError), error
        assert error.secret == "app/db"
        return str(error), error.exit_code
    reader: Callable[[Path], object] = load_config if kind == "config" else load_seed_spec
    with pytest.raises(ConfigError) as info:
        reader(path)
    assert info.value.file == str(path)
    return str(info.value), info.value.exit_code


class TestNothingQuoted:
    @pytest.mark.parametrize("kind", sorted(TEMPLATES))
    @pytest.mark.parametrize(("value", "words"), PLANTED.values(), ids=PLANTED.keys())
    def test_yaml_error_names_file_line_column_never_the_text(
        self, tmp_path: Path, kind: str, value: str, words: str
    ) -> None:
        """Each YAML mistake: file, line, column and what is wrong; the sentinel never shown."""
        path = plant(tmp_path, kind, value)
        text, code = refusal(kind, path)
        assert code == (1 if kind == "secrets" else 2)
        assert str(path) in text
        assert re.search(r": line \d+: .*\(column \d+\)", text)
        assert words in text
        assert SENTINEL not in text

    @pytest.mark.parametrize("planted", ["!" + SENTINEL + "x", "*" + SENTINEL + "Alias"])
    def test_rideinfra_seed_prints_no_value(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], planted: str
    ) -> None:
        """`rideinfra seed` with a value written unquoted as a tag or alias: exit 2, not shown."""
        spec = plant(tmp_path, "seed", planted)
        capsys.readouterr()
        code = seed.main(["--spec", str(spec), "--config", str(tmp_path / "none.yaml")], {})
        captured = capsys.readouterr()
        assert code == 2
        assert str(spec) in captured.err
        assert "internal error" not in captured.err
        assert SENTINEL not in captured.out + captured.err

    def test_rideinfra_fetch_prints_no_value(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """fetch with a config holding a bad tag: exit 2, one line with the position, no text."""
        config = plant(tmp_path, "config", "!!int " + SENTINEL)
        argv = ["--config", str(config), "--out", str(tmp_path / "out"), "--log-format", "json"]
        run = run_fetch(capsys, argv, {})
        assert run.code == 2
        (line,) = run.error_lines()
        assert f"{config}: line 6: invalid YAML: the value does not fit its explicit tag" in line
        assert SENTINEL not in run.out + run.err
        assert not (tmp_path / "out").exists()


CONFIG_SETTINGS = {
    # file_mode the writer would refuse later (`internal error` before)
    "file_mode '0200'": ("output: {file_mode: '0200'}", "output.file_mode", "owner read"),
    "file_mode '0000'": ("output: {file_mode: '0000'}", "output.file_mode", "owner read"),
    "file_mode '0100'": ("output: {file_mode: '0100'}", "output.file_mode", "owner read"),
    "file_mode '0666'": ("output: {file_mode: '0666'}", "output.file_mode", "group or others"),
    "file_mode '0777'": ("output: {file_mode: '0777'}", "output.file_mode", "group or others"),
    "endpoint_url without host": (
        "source: {type: aws-secretsmanager, endpoint_url: 'http://'}",
        "source.endpoint_url",
        "names no host",
    ),
    "endpoint_url bad port": (
        "source: {type: aws-secretsmanager, endpoint_url: 'http://x:port'}",
        "source.endpoint_url",
        "port",
    ),
    "~user that does not exist": ("seed: ~nosuchuser-zq9/seed.yaml", "seed", "cannot expand"),
    "!!binary where a name goes": ("secrets: {app/db: {transforms: [!!binary aGk=]}}", "", ""),
    "!!set where a list goes": ("output: !!set {dir: null}", "output", "got a set"),
    "!!timestamp as a name": ("seed: !!timestamp 2024-01-01", "seed", "got a date"),
}


class TestSettingsNamed:
    @pytest.mark.parametrize(
        ("extra", "path", "words"), CONFIG_SETTINGS.values(), ids=CONFIG_SETTINGS.keys()
    )
    def test_setting_is_refused_by_path(
        self, tmp_path: Path, extra: str, path: str, words: str
    ) -> None:
        """Values that crashed later (or were accepted) are exit-2 errors naming the setting."""
        config = tmp_path / "rideinfra.yaml"
        config.write_text(TEMPLATES["config"].replace("{v}", "x") + extra + "\n", "utf-8")
        with pytest.raises(ConfigError) as info:
            load_config(config)
        assert info.value.exit_code == 2
        if path:
            assert info.value.path == path
        else:
            assert info.value.path
        assert words in str(info.value)

    def test_seed_field_of_a_type_without_text(self, tmp_path: Path) -> None:
        """A seed value YAML reads as bytes, a date or a set: refused by path, value not shown."""
        for value in ("!!binary " + "WnE5U2VjcmV0N2YzYQ==", "2024-01-01", "!!set {a: null}"):
            path = plant(tmp_path, "seed", value)
            with pytest.raises(ConfigError, match=r"secrets\.app/db\.PASSWORD: line 4: a field"):
                load_seed_spec(path)


# --- generated input ------------------------------------------------------------------------

# Pieces that make YAML go wrong: tags, aliases, anchors, quotes, escapes, indentation,
# block and flow indicators, directives, document markers, line breaks YAML knows and
# characters it refuses.
SPLICES = [
    "!", "!!", "!!int ", "!!float ", "!!bool ", "!!timestamp ", "!!set ", "!!binary ",
    "!!str ", "!!map ", "!!seq ", "!!null ", "!!omap ", "!!pairs ", "!!python/object:x ",
    "!<tag:x> ", "!x ", "*", "*a", "&", "&a ", "<<: *a", "<<: ", ":", ": ", "- ", "? ", "[", "]",
    "{", "}", ",", '"', "'", "\\", "\\q", "\\x", "\\u", "#", "|", ">", "|-", ">+", "%YAML 1.1\n",
    "%TAG ! x\n", "---", "...", "\n", "\r", "\r\n", "\t", " ", "  ", "\x00", "\x07", "\x1b",
    "\x7f", "\x85", "\u2028", "\ufeff", "\udcff", "😀", "@", "`", "~", "null", "0o7", "0x",
    "1e400", ".nan", "yes", "2024-01-01",
]  # fmt: skip


def sample_texts() -> dict[str, list[str]]:
    """Valid files of each kind to mutate: the shipped examples and small ones."""
    config = (REPO / "examples" / "rideshare" / "rideinfra.yaml").read_text("utf-8")
    seed_text = (REPO / "examples" / "rideshare" / "seed.yaml").read_text("utf-8")
    rich = {
        "version": 1,
        "source": {"type": "chain", "sources": [{"type": "file", "path": "s.yaml"}]},
        "secrets": {"a/b": {"transforms": [{"flatten": {"prefix": "P"}}, "uppercase"]}},
        "profiles": {"core": {"secrets": ["a/b", {"name": "c", "transforms": [{"keys": ["X"]}]}]}},
        "output": {"dir": "out", "format": "json", "file_mode": "0640"},
    }
    return {
        "config": [config, yaml.safe_dump(rich), json.dumps(rich), "version: 1\nprofiles: &p {}\n"],
        "seed": [seed_text, "version: 1\nsecrets: {a: {K: v, G: {generate: 'hex:16'}}}\n"],
        "secrets": [
            seed_text,
            'a/b:\n  K: v\n  N: 1\n  CORE: {k: &x [1, 2]}\n  M: *x\nc: \'{"K": "v"}\'\n',
        ],
    }


@st.composite
def mutated(draw: st.DrawFn, texts: list[str]) -> str:
    """A valid file with 1-4 splices, deletions or repeated lines."""
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["splice", "splice", "delete", "repeat"]))
        if action == "splice":
            text = text[:at] + draw(st.sampled_from(SPLICES)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 12)) :]
        else:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at) + 1 or len(text)
            text = text[:end] + text[start:end] + text[end:]
    return text


def read_as(kind: str, path: Path) -> str:
    """Read `path` as a `kind` file: 'ok' or the error class; any other exception fails."""
    if kind == "secrets":
        for name in ("a/b", "c", "rideshare/redis"):
            result = FileSource(path).fetch_many([name])
            for error in result.errors.values():
                assert isinstance(error, SourceError), error
                assert error.secret == name
                assert "internal error" not in str(error)
        return "read"
    try:
        (load_config if kind == "config" else load_seed_spec)(path)
    except ConfigError as exc:
        error = exc
    else:
        return "ok"
    assert error.exit_code == 2
    assert str(path) in str(error)
    return "ConfigError"


@pytest.fixture(name="budget", params=sizes(60, 1500))
def _budget(request: pytest.FixtureRequest) -> int:
    """Cases per generated test: 60 in the default run, 1500 in its `long` variant (CI)."""
    return int(request.param)


@pytest.fixture(name="tmp_file")
def _tmp_file(tmp_path: Path) -> Callable[[str, bytes], Path]:
    def write(kind: str, data: bytes) -> Path:
        path = tmp_path / f"{kind}.yaml"
        path.write_bytes(data)
        return path

    return write


@pytest.fixture(scope="module", autouse=True)
def _report_counts() -> Iterator[None]:
    """With -s: how many generated cases ran, by kind and verdict."""
    yield
    if COUNTS:
        total = sum(COUNTS.values())
        print(f"\nyaml input: {total} generated cases:", dict(sorted(COUNTS.items())))


KINDS = ("config", "seed", "secrets")


@pytest.mark.parametrize("kind", KINDS)
def test_random_bytes(kind: str, budget: int, tmp_file: Callable[[str, bytes], Path]) -> None:
    """Random bytes (and random YAML-ish text) as a file of each kind: only the named errors."""

    @settings(
        max_examples=budget,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        data=st.one_of(
            st.binary(max_size=300),
            st.lists(st.sampled_from([*SPLICES, "a", "b: ", "1"]), max_size=40).map(
                lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
            ),
        )
    )
    def run(data: bytes) -> None:
        COUNTS[f"{kind} bytes: {read_as(kind, tmp_file(kind, data))}"] += 1

    run()


@pytest.mark.parametrize("kind", KINDS)
def test_mutated_files(kind: str, budget: int, tmp_file: Callable[[str, bytes], Path]) -> None:
    """Valid files with YAML punctuation, tags and control characters spliced in: same."""
    texts = sample_texts()[kind]

    @settings(
        max_examples=budget,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(text=mutated(texts))
    def run(text: str) -> None:
        data = text.encode("utf-8", "surrogatepass")
        COUNTS[f"{kind} mutated: {read_as(kind, tmp_file(kind, data))}"] += 1

    run()
