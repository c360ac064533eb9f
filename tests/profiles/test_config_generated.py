"""The one config reader on generated configs: valid ones build, broken ones are refused by path.

Hypothesis generates configs from choices that are each valid or, in the
second strategy, sometimes not (wrong types, unknown keys, out-of-range
numbers, bad names); an exhaustive test changes one thing at a time in a
config that uses every key. Whatever the input, `parse_config` returns a
`Config` or raises a `ConfigError` with a path: never another exception. The
JSON Schema comes from the same declaration; these tests hold it to the
reader's verdict (what the schema refuses, the reader refuses).
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rideinfra.errors import ConfigError
from rideinfra.profiles import config_json_schema, load_config, parse_config
from rideinfra.profiles.model import OUTPUT_FORMATS, Config
from support.budget import sizes

REPO = Path(__file__).resolve().parents[2]
BASE = Path("/srv/app")

SECRET_NAMES = ["app/db", "app/redis", "rideshare/airflow", "x"]
SCHEMA = jsonschema.Draft202012Validator(config_json_schema())


def pick(bad: bool, good: list[Any], wrong: list[Any]) -> st.SearchStrategy[Any]:
    """One of ``good``; with ``bad``, sometimes one of ``wrong`` instead."""
    return st.sampled_from(good + wrong if bad else good)


def optional(bad: bool, **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A mapping with any subset of ``fields``; with ``bad``, sometimes an unknown key too."""
    if bad:
        fields = {**fields, "unknown": st.just(1)}
    return st.fixed_dictionaries({}, optional=fields)


def transforms(bad: bool) -> st.SearchStrategy[Any]:
    name = pick(bad, ["USER", "PASSWORD", "FERNET_KEY"], ["", 1])
    var = pick(bad, ["DB_USER", "X_PASSWORD"], ["1X", "bad name", 2])
    names = st.lists(name, min_size=1, max_size=3, unique=True)
    one = st.one_of(
        pick(bad, ["uppercase", "sanitize", "flatten"], ["rename", "renam", 1, None, []]),
        st.fixed_dictionaries({"rename": st.dictionaries(name, var, min_size=1, max_size=2)}),
        st.fixed_dictionaries({"prefix": pick(bad, ["APP_", "GF_SECURITY_"], ["", "a-", 3])}),
        st.fixed_dictionaries({"qualify": pick(bad, ["AIRFLOW", "db1"], ["", "a.b", None])}),
        st.fixed_dictionaries({"drop": names}),
        st.fixed_dictionaries({"keys": names if not bad else st.one_of(names, st.just([]))}),
        st.fixed_dictionaries(
            {
                "flatten": st.one_of(
                    st.none(),
                    optional(
                        bad,
                        prefix=pick(bad, [None, "APP"], [1]),
                        sep=pick(bad, ["__", "_"], [None, ""]),
                        uppercase=pick(bad, [True, False], [1, None]),
                    ),
                )
            }
        ),
        st.fixed_dictionaries(
            {
                "airflow": st.fixed_dictionaries(
                    {
                        "sections": st.dictionaries(
                            name, pick(bad, ["core", "api.x"], ["a b"]), min_size=0 if bad else 1
                        )
                    },
                    optional={"others_prefix": pick(bad, ["AIRFLOW_", None], ["a-"])},
                )
            }
        ),
        st.fixed_dictionaries({"uppercase": pick(bad, [None, {}], [1, [], "x"])}),
    )
    if bad:
        one = st.one_of(one, st.just({"rename": {"A": "B"}, "uppercase": None}))
    return st.lists(one, max_size=3)


def sources(bad: bool) -> st.SearchStrategy[Any]:
    path = pick(bad, ["secrets.yaml", "~/s.yaml", "/abs/dir"], ["", None, 1])
    text = pick(bad, [None, "eu-west-1", ""], [1, True])

    def of(kind: str, **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        required = {"path": fields.pop("path")} if "path" in fields else {}
        if bad and required:
            return st.fixed_dictionaries({"type": st.just(kind)}, optional=required | fields)
        return st.fixed_dictionaries({"type": st.just(kind), **required}).flatmap(
            lambda d: optional(bad, **fields).map(lambda extra: d | extra)
        )

    leaf = st.one_of(
        of(
            "aws-secretsmanager",
            region=text,
            endpoint_url=pick(
                bad,
                [None, "http://127.0.0.1:4566", "https://x"],
                ["ftp://x", "", "http://", "https://:80", "http://x:port"],
            ),
            retry_mode=pick(bad, [None, "standard", "adaptive"], ["legacy", 1]),
            max_attempts=pick(bad, [None, 1, 5, 20], [0, 21, True, "3"]),
            max_concurrency=pick(bad, [None, 1, 64], [0, 65, 2.0]),
            connect_timeout=pick(bad, [None, 1, 2.5, 300], [0, -1, 301, True, "5", float("nan")]),
            read_timeout=pick(bad, [None, 0.5, 10, 300.0], [0.0, 300.5, False, float("inf")]),
        ),
        of("file", path=path, name=pick(bad, [None, "app/db"], ["", 1])),
        of("directory", path=path),
        of("env", prefix=text),
    )
    if bad:
        leaf = st.one_of(leaf, st.sampled_from([None, "aws", [], {}, {"type": "vault"}]))
    return st.recursive(
        leaf,
        lambda inner: st.fixed_dictionaries(
            {
                "type": st.just("chain"),
                "sources": st.lists(inner, min_size=0 if bad else 1, max_size=3),
            }
        ),
        max_leaves=4,
    )


def configs(bad: bool) -> st.SearchStrategy[Any]:
    ref = st.one_of(
        pick(bad, SECRET_NAMES, ["", 3, None]),
        st.fixed_dictionaries(
            {"name": pick(bad, SECRET_NAMES, ["", 3])},
            optional={"transforms": transforms(bad)},
        ),
    )
    keys = st.lists(
        pick(bad, ["DB_USER", "REDIS_URL", "X"], ["1X", "a-b", 7]),
        min_size=0 if bad else 1,
        max_size=3,
        unique=not bad,
    )
    profile = st.fixed_dictionaries(
        {"secrets": st.lists(ref, min_size=0 if bad else 1, max_size=4)},
        optional={"keys": st.one_of(st.none(), keys)} | ({"extra": st.just(1)} if bad else {}),
    )
    if bad:
        profile = st.one_of(profile, st.sampled_from([None, [], "core"]))
    profile_names = pick(bad, ["core", "data-pipeline", "v1.2_x"], ["", "a b", ".hidden", 1])
    output = optional(
        bad,
        dir=pick(bad, [None, "out", "/secrets", "~/x"], ["", 1]),
        format=pick(bad, list(OUTPUT_FORMATS), ["xml", None, 1]),
        file_mode=pick(
            bad,
            ["0600", "0o644", "600", "0400", 0o640, 0o400],
            ["0800", 0o1000, True, -1, "0", 0, "0666", "0620", "0200", "0100", 0o777],
        ),
    )

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        profiles = draw(st.dictionaries(profile_names, profile, min_size=0 if bad else 1))
        used = sorted(
            {
                r if isinstance(r, str) else r.get("name")
                for p in profiles.values()
                if isinstance(p, dict)
                for r in p.get("secrets", [])
                if isinstance(r, str | dict)
            }
            - {None},
            key=str,
        )
        bound_names = st.sampled_from(used + (["unused/one"] if bad else [])) if used else None
        top: dict[str, Any] = {
            "version": draw(pick(bad, [1], [2, True, "1"])),
            "profiles": profiles,
        }
        if bad and draw(st.booleans()):
            del top["version"]
        if draw(st.booleans()):
            top["source"] = draw(sources(bad))
        if bound_names is not None and draw(st.booleans()):
            bound = optional(bad, transforms=transforms(bad))
            if bad:
                bound = st.one_of(bound, st.sampled_from([None, []]))
            top["secrets"] = draw(st.dictionaries(bound_names, bound, max_size=3))
        if draw(st.booleans()):
            top["output"] = draw(output)
        if draw(st.booleans()):
            top["seed"] = draw(pick(bad, [None, "seed.yaml"], ["", 2]))
        if bad and draw(st.booleans()):
            top["sources"] = {}
        return top

    return build()


# Values that break a rule somewhere in a config: wrong types, empty or badly formed
# strings, numbers out of range, misspelt names, duplicates.
BAD_VALUES = [
    None, "", 0, -1, 21, 65, True, 1.5, "x y", "1X", "a-", [], {}, ["A", "A"], {"A": "B"},
    "ftp://x", "http://", "legacy", "0800", 0o1000, "0666", "0200", "xml", "~nosuchuser/x",
    "renam", "vault", "unused/one", "a.b", 300.5, float("nan"),
]  # fmt: skip
BAD_KEYS = ["unknown", "keyz", "a b", ".hidden", "", "unused/one", 1]


@st.composite
def one_fault(draw: st.DrawFn) -> Any:
    """A valid config with one thing changed: a value replaced, a key renamed, added or removed.

    Most such changes make the config invalid in exactly one place, which is
    where a fast path that checks too little would accept it.
    """
    data = copy.deepcopy(draw(configs(bad=False)))
    places: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            places.append((node, key))
            if isinstance(value, dict | list):
                walk(value)

    walk(data)
    node, key = draw(st.sampled_from(places))
    change = draw(st.sampled_from(["value", "rename", "add", "remove"]))
    if change == "value":
        node[key] = draw(st.sampled_from(BAD_VALUES))
    elif change == "remove":
        del node[key]
    elif isinstance(node, dict):
        new_key = draw(st.sampled_from(BAD_KEYS))
        if change == "rename":
            node[new_key] = node.pop(key)
        else:
            node[new_key] = draw(st.sampled_from(BAD_VALUES))
    else:
        node.append(draw(st.sampled_from(BAD_VALUES)))
    return data


def verdict(data: Any) -> Config | ConfigError:
    """The reader's verdict; any exception but ConfigError fails the test."""
    try:
        return parse_config(data, base_dir=BASE)
    except ConfigError as exc:
        return exc


def check(data: Any) -> Config | ConfigError:
    """The verdict, held to the contract: a Config, or a ConfigError naming a path."""
    result = verdict(data)
    if isinstance(result, ConfigError):
        assert result.exit_code == 2
        assert result.path, f"a refusal without a path: {result}"
    elif not SCHEMA.is_valid(data):
        error = next(SCHEMA.iter_errors(data))
        pytest.fail(f"the reader built a config the schema refuses: {error.message}")
    return result


COMMON = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("examples", sizes(150, 600))
def test_valid_configs_build(examples: int) -> None:
    """Every valid config builds, profiles and bound secrets as written; the schema agrees."""

    @settings(COMMON, max_examples=examples)
    @given(data=configs(bad=False))
    def run(data: Any) -> None:
        config = check(data)
        assert isinstance(config, Config), config
        assert list(config.profiles) == list(data["profiles"])
        assert set(config.secrets) == set(data.get("secrets", {}))
        assert SCHEMA.is_valid(data)

    run()


@pytest.mark.parametrize("examples", sizes(150, 600))
def test_broken_configs_are_refused_by_path(examples: int) -> None:
    """Configs with one fault, or many: a Config or a ConfigError with a path, nothing else."""

    @settings(COMMON, max_examples=examples)
    @given(data=st.one_of(one_fault(), configs(bad=True)))
    def run(data: Any) -> None:
        check(data)

    run()


# A valid config that uses every key and every transform, for the exhaustive test below.
RICH: dict[str, Any] = {
    "version": 1,
    "source": {
        "type": "chain",
        "sources": [
            {
                "type": "aws-secretsmanager",
                "region": "eu-west-1",
                "endpoint_url": "http://127.0.0.1:4566",
                "retry_mode": "adaptive",
                "max_attempts": 5,
                "max_concurrency": 8,
                "connect_timeout": 2,
                "read_timeout": 2.5,
            },
            {"type": "file", "path": "dev.env", "name": "app/db"},
            {"type": "directory", "path": "/run/secrets"},
            {"type": "env", "prefix": "APP_SECRET_"},
        ],
    },
    "secrets": {
        "app/db": {"transforms": [{"rename": {"USER": "DB_USER"}}, "uppercase"]},
        "rideshare/airflow": {
            "transforms": [
                {"airflow": {"sections": {"FERNET_KEY": "core"}, "others_prefix": "AIRFLOW_"}}
            ]
        },
    },
    "profiles": {
        "core": {
            "secrets": [
                "app/db",
                {
                    "name": "app/redis",
                    "transforms": [
                        {"prefix": "APP_"},
                        {"qualify": "X"},
                        {"drop": ["A"]},
                        {"keys": ["B"]},
                        {"flatten": {"prefix": "P", "sep": "_", "uppercase": False}},
                        "sanitize",
                        {"uppercase": None},
                        "flatten",
                    ],
                },
            ],
            "keys": ["DB_USER", "APP_B"],
        },
        "data-pipeline": {"secrets": ["rideshare/airflow"]},
    },
    "output": {"dir": "out", "format": "json", "file_mode": "0640"},
    "seed": "seed.yaml",
}


def single_faults(config: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every copy of ``config`` with one change: each value replaced by each bad value,
    each key removed or renamed to each bad key, one bad entry added to each container."""
    containers: list[tuple[tuple[Any, ...], Any]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        containers.append((path, node))
        for key, value in node.items() if isinstance(node, dict) else enumerate(node):
            if isinstance(value, dict | list):
                walk(value, (*path, key))

    walk(config, ())
    out: list[tuple[str, Any]] = []
    for path, node in containers:

        def variant(change: Any, what: str, path: tuple[Any, ...] = path) -> None:
            data = copy.deepcopy(config)
            target = data
            for part in path:
                target = target[part]
            change(target)
            out.append((f"{'/'.join(map(str, path))}: {what}", data))

        for key in list(node) if isinstance(node, dict) else range(len(node)):
            for bad in BAD_VALUES:
                variant(
                    lambda n, k=key, b=bad: n.__setitem__(k, copy.deepcopy(b)), f"{key}={bad!r}"
                )
            variant(lambda n, k=key: n.pop(k), f"without {key}")
            for bad_key in BAD_KEYS if isinstance(node, dict) else ():
                variant(
                    lambda n, k=key, b=bad_key: n.__setitem__(b, n.pop(k)),
                    f"{key} renamed {bad_key!r}",
                )
        if isinstance(node, dict):
            variant(lambda n: n.__setitem__("unknown", 1), "unknown key")
        else:
            for bad in BAD_VALUES:
                variant(lambda n, b=bad: n.append(copy.deepcopy(b)), f"+{bad!r}")
    return out


def test_every_single_fault_is_built_or_refused_by_path() -> None:
    """Exhaustive: every one-change variant of a config that uses every key.

    Each builds a Config (the change left it valid) or is a ConfigError naming
    a path; what the schema refuses, the reader refuses.
    """
    assert isinstance(check(RICH), Config)
    valid = invalid = 0
    for what, data in single_faults(RICH):
        try:
            result = check(data)
        except AssertionError as exc:  # pragma: no cover - the message names the variant
            raise AssertionError(f"{what}: {exc}") from exc
        if isinstance(result, Config):
            valid += 1
        else:
            invalid += 1
    # Both verdicts are exercised: optional keys can go, and most changes break a rule.
    assert valid > 50
    assert invalid > 2000


def repo_configs() -> list[Path]:
    found = list(REPO.glob("examples/**/rideinfra*.yaml"))
    found += list((REPO / "tests").glob("**/rideinfra*.yaml"))
    return sorted(found)


@pytest.mark.parametrize("path", repo_configs(), ids=lambda p: str(p.relative_to(REPO)))
def test_repo_configs_load(path: Path) -> None:
    """The configs we ship load, and the schema accepts them."""
    import yaml

    config = load_config(path)
    assert config.path == path
    assert SCHEMA.is_valid(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_fetch_path_does_not_import_pydantic() -> None:
    """Loading a valid config and resolving the package's fetch imports leave pydantic out."""
    config = REPO / "examples" / "rideshare" / "rideinfra.yaml"
    code = (
        "import sys\n"
        "from rideinfra.profiles import load_config, resolve\n"
        "import rideinfra.fetch, rideinfra.render\n"
        f"load_config({str(config)!r})\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'pydantic_core'}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_an_invalid_config_gets_the_full_message(tmp_path: Path) -> None:
    """A refusal names the line and the closest key."""
    path = tmp_path / "rideinfra.yaml"
    path.write_text("version: 1\nprofiles:\n  core:\n    secrets: [app/db]\n    keyz: [A]\n")
    with pytest.raises(ConfigError, match=r"line 5: unknown key `keyz`.*did you mean `keys`"):
        load_config(path)
