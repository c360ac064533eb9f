"""No value ever leaks: every entrypoint and failure path, logging at DEBUG, generated values.

Hypothesis makes the secret values: a random token of 16-24 letters and
digits wrapped in characters that escape differently everywhere (quotes,
``$``, backticks, backslashes, newlines, NUL, non-ASCII). Each path puts them
in a store, runs, and scans everything a person or a log collector could see:
stdout, stderr (``--log-level DEBUG``, ``--log-format json`` and text), every
exception message and its formatted chain (``__cause__``/``__context__``),
and ``repr``/``str`` of every public object. A value counts as leaked if any
of its forms shows: the text, the token, its JSON-escaped or repr-escaped
text, or its base64 (standard or URL-safe, the token at each of the three
byte alignments, so a value inside a larger base64 blob is found too).

Every path records what it scanned in ``LEDGER``; the last test asserts at
least 1,000 distinct values were scanned and none was found.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import pickle
import string
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from faults.kit import Run, aws_environ, run_fetch, run_module, write_config
from rideinfra import cli, seed
from rideinfra.errors import RideinfraError
from rideinfra.operations import fetch_and_render
from rideinfra.operations.watch import WatchOptions
from rideinfra.profiles import load_config, resolve
from rideinfra.render import get_format, write_files
from rideinfra.render.write import read_output
from rideinfra.secrets import (
    CachedSource,
    ChainSource,
    DirectorySource,
    EnvSource,
    FileSource,
    OverrideSource,
    SecretsManagerSource,
    SecretsManagerStore,
    SecretValue,
    parse_secret_string,
)
from rideinfra.secrets._yaml import load_yaml_text
from rideinfra.secrets.transforms import Flatten, Prefix, Qualify, Rename, entries_from_secret
from rideinfra.testing import HandlerSource, MemorySource
from support.moto import MotoEndpoint
from support.proxy import Fault, FaultProxy

pytestmark = pytest.mark.faults

#: Characters and snippets that every format, log and repr escapes its own way.
TRICKY = (
    "'",
    '"',
    "$",
    "`",
    "\\",
    "#",
    "=",
    "\n",
    "\r",
    "\t",
    " ",
    "\x00",
    "\x1b",
    "é",
    "€",
    "😀",
    "\u2028",
    "${HOME}",
    "$(id)",
    "%s",
    "{0}",
    "&;|",
)
# Hypothesis also draws strings it finds in the code under test (names like
# "SecretsManagerSource"); a fixed lead keeps a token from being any such word,
# so finding one in the output can only be a leak.
TOKEN = st.text(alphabet=string.ascii_letters + string.digits, min_size=14, max_size=22).map(
    lambda text: "qZ" + text
)
AROUND = st.lists(st.sampled_from(TRICKY), max_size=3).map("".join)


@dataclass(frozen=True)
class Planted:
    """A generated secret value and the random token inside it."""

    value: str
    token: str


PLANTED = st.builds(lambda a, t, b: Planted(a + t + b, t), AROUND, TOKEN, AROUND)


def planted(count: int) -> st.SearchStrategy[list[Planted]]:
    return st.lists(PLANTED, min_size=count, max_size=count, unique_by=lambda p: p.token)


def forms(item: Planted) -> set[str]:
    """Every way the value could show: text, token, escaped, base64 at each alignment."""
    value = item.value
    found = {
        value,
        item.token,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        repr(value)[1:-1],
    }
    raw = value.encode("utf-8", "surrogatepass")
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        found.add(encode(raw).decode().rstrip("="))
        for shift in range(3):
            # Inside a longer blob the token starts at any byte offset; the
            # characters that depend only on the token are the middle ones.
            text = encode(b"\0" * shift + item.token.encode()).decode()
            found.add(text[4 if shift else 0 : -4])
    return {form for form in found if len(form) >= 12}


@dataclass
class Ledger:
    """What the leak tests scanned, across the whole module."""

    values: set[str] = field(default_factory=set)
    paths: dict[str, int] = field(default_factory=dict)
    texts: int = 0
    characters: int = 0
    hits: list[str] = field(default_factory=list)

    def scan(self, path: str, items: Sequence[Planted], texts: Mapping[str, str]) -> None:
        """Look for every form of every value in every text; record what was scanned."""
        assert any(text.strip() for text in texts.values()), f"{path}: nothing to scan"
        hits = [
            f"{path}: {where} shows {form!r}"
            for item in items
            for form in forms(item)
            for where, text in texts.items()
            if form in text
        ]
        self.values.update(item.value for item in items)
        self.paths[path] = self.paths.get(path, 0) + len(items)
        self.texts += len(texts)
        self.characters += sum(len(text) for text in texts.values())
        self.hits += hits
        assert hits == []


LEDGER = Ledger()


def examples(count: int) -> settings:
    """Hypothesis settings for a leak path: ``count`` examples, each a batch of values."""
    # No shrinking: each example is a whole entrypoint run, and a leak is
    # reported with the value and where it showed, which is enough to act on.
    return settings(
        max_examples=count,
        deadline=None,
        phases=(Phase.explicit, Phase.reuse, Phase.generate),
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


def chain(exc: BaseException) -> dict[str, str]:
    """The exception as a traceback shows it (whole chain), and str/repr of each link."""
    texts = {"traceback": "".join(traceback.format_exception(exc))}
    seen: set[int] = set()
    link: BaseException | None = exc
    depth = 0
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        texts[f"str[{depth}]"] = str(link)
        texts[f"repr[{depth}]"] = repr(link)
        texts[f"args[{depth}]"] = repr(link.args)
        link = link.__cause__ or link.__context__
        depth += 1
    return texts


def raised(action: Callable[[], object]) -> BaseException:
    """The exception ``action`` raises (it must raise)."""
    try:
        action()
    except Exception as exc:
        return exc
    raise AssertionError(f"{action} did not raise")


def fields_of(items: Sequence[Planted], prefix: str) -> dict[str, str]:
    return {f"{prefix}{i:02d}": item.value for i, item in enumerate(items)}


@dataclass
class Bench:
    """The moto store (and the fault proxy in front), a scratch directory, captured output."""

    sm: MotoEndpoint
    proxy: FaultProxy
    aws_env: dict[str, str]
    root: Path
    capsys: pytest.CaptureFixture[str]

    def fresh(self) -> Path:
        """An empty store and a new scratch directory, for one hypothesis example."""
        self.sm.reset()
        self.proxy.reset()
        return Path(tempfile.mkdtemp(dir=self.root))

    def env(self, *, via_proxy: bool = False) -> dict[str, str]:
        return aws_environ(self.aws_env, self.proxy.url if via_proxy else self.sm.url)

    def fetch(self, config: Path, out: Path, *extra: str, via_proxy: bool = False) -> Run:
        argv = ["--config", str(config), "--out", str(out), "--log-level", "DEBUG", *extra]
        return run_fetch(self.capsys, argv, self.env(via_proxy=via_proxy))

    def main(self, entry: Callable[..., int], argv: Sequence[str]) -> Run:
        self.capsys.readouterr()
        code = entry(list(argv), self.env())
        captured = self.capsys.readouterr()
        return Run(code, captured.out, captured.err, 0.0)


@pytest.fixture(autouse=True)
def _no_stale_log_handlers() -> Iterator[None]:
    """Drop the handler an entrypoint left on the ``rideinfra`` logger (its stream is closed)."""
    yield
    logger = logging.getLogger("rideinfra")
    for handler in list(logger.handlers):
        if getattr(handler, "_rideinfra", False):
            logger.removeHandler(handler)


@pytest.fixture(name="bench")
def _bench(
    sm: MotoEndpoint,
    proxy: FaultProxy,
    aws_env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Bench:
    return Bench(sm, proxy, aws_env, tmp_path, capsys)


def outputs(runs: Mapping[str, Run]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for name, run in runs.items():
        texts[f"{name} stdout"] = run.out
        texts[f"{name} stderr"] = run.err
    return texts


BOTH_LOG_FORMATS = (("--log-format", "json"), ("--log-format", "text"))


class TestEntrypoints:
    @examples(8)
    @given(items=planted(24))
    def test_fetch_explain_dry_run_check(self, bench: Bench, items: list[Planted]) -> None:
        """fetch in every mode and format, explain: 24 values each, logs at DEBUG, none shown."""
        tmp = bench.fresh()
        bench.sm.seed(
            {
                "leak/a": fields_of(items[:8], "A_"),
                "leak/b": fields_of(items[8:16], "B_"),
                "leak/c": fields_of(items[16:], "C_"),
            }
        )
        config = write_config(
            tmp / "rideinfra.yaml", {"core": ["leak/a", "leak/b"], "monitoring": ["leak/c"]}
        )
        out = tmp / "out"
        runs: dict[str, Run] = {}
        for fmt in ("json", "env", "shell", "k8s-secret"):
            for flag, kind in BOTH_LOG_FORMATS:
                runs[f"fetch {fmt} {kind}"] = bench.fetch(config, out, "--format", fmt, flag, kind)
        assert runs["fetch json json"].code == 0
        assert all(run.code in (0, 1) for run in runs.values())
        runs["dry-run"] = bench.fetch(config, tmp / "dry", "--format", "json", "--dry-run")
        bench.sm.client().put_secret_value(
            SecretId="leak/c", SecretString=json.dumps(fields_of(items[16:][::-1], "C_"))
        )
        runs["check"] = bench.fetch(config, out, "--format", "json", "--check")
        assert runs["check"].code == 1
        bench.proxy.on({1: Fault.throttle(), 2: Fault.http(503)})
        runs["retried"] = bench.fetch(
            config, out, "--format", "json", "--log-format", "json", via_proxy=True
        )
        assert runs["retried"].code == 0
        assert "after 2 retries" in runs["retried"].err
        runs["explain"] = bench.main(cli.main, ["explain", "--config", str(config)])
        runs["explain json"] = bench.main(cli.main, ["explain", "--config", str(config), "--json"])
        assert "leak/a:A_00" in runs["explain"].out
        LEDGER.scan("fetch/explain", items, outputs(runs))

    @examples(10)
    @given(items=planted(14))
    def test_fetch_failure_paths(self, bench: Bench, items: list[Planted]) -> None:
        """Each way fetch fails, with the values in the store: exit 1, none shown."""
        tmp = bench.fresh()
        v = [item.value for item in items]
        bench.sm.seed(
            {
                "bad/malformed": '{"A": ' + json.dumps(v[0]) + ', "B": ' + json.dumps(v[1])[:-1],
                "bad/array": json.dumps([v[2], v[3]]),
                "bad/plain": v[4] or "x",
                "bad/nested": {"N": {"inner": v[5]}},
                "bad/null": json.dumps({"A": v[6], "B": None}),
                "bad/one": {"SAME": v[7]},
                "bad/two": {"SAME": v[8] + "2"},
                "bad/render": {"R": v[9] + "`'$x"},
                "bad/nul": {"Z": v[10] + "\x00"},
                "good/g": {"G": v[11]},
                "good/h": {"H": v[12], "I": v[13]},
            }
        )
        cases = {
            "malformed": ["bad/malformed"],
            "array": ["bad/array"],
            "plain": ["bad/plain"],
            "nested": ["bad/nested"],
            "null": ["bad/null"],
            "collision": ["bad/one", "bad/two"],
            "render": ["bad/render"],
            "nul": ["bad/nul"],
            "several": ["bad/malformed", "bad/array", "bad/null", "good/g"],
        }
        runs: dict[str, Run] = {}
        for case, secrets in cases.items():
            config = write_config(tmp / f"{case}.yaml", {"core": secrets})
            for flag, kind in BOTH_LOG_FORMATS:
                run = bench.fetch(config, tmp / "out", flag, kind)
                assert run.code == 1, (case, run.err)
                runs[f"{case} {kind}"] = run
        good = write_config(tmp / "good.yaml", {"core": ["good/g", "good/h"]})
        (tmp / "afile").write_bytes(b"")
        runs["out is a file"] = bench.fetch(good, tmp / "afile", "--log-format", "json")
        (tmp / "link").symlink_to(tmp)
        runs["out is a link"] = bench.fetch(good, tmp / "link", "--log-format", "json")
        runs["check"] = bench.fetch(good, tmp / "never-written", "--check")
        bench.proxy.on({n: Fault.http(500) for n in range(1, 10)})
        runs["store fails"] = bench.fetch(good, tmp / "out", via_proxy=True)
        for name in ("out is a file", "out is a link", "check", "store fails"):
            assert runs[name].code == 1, runs[name].err
        LEDGER.scan("fetch failures", items, outputs(runs))

    @examples(6)
    @given(items=planted(10))
    def test_seed_paths(self, bench: Bench, items: list[Planted]) -> None:
        """seed: create, rerun, OVERRIDE_, and bad seed files holding values; none shown."""
        tmp = bench.fresh()
        spec = tmp / "seed.yaml"
        spec.write_text(
            yaml.safe_dump(
                {
                    "version": 1,
                    "secrets": {
                        "seed/a": fields_of(items[:4], "A_"),
                        "seed/b": {**fields_of(items[4:6], "B_"), "G": {"generate": "hex:16"}},
                    },
                },
                allow_unicode=True,
            ),
            encoding="utf-8",
        )
        runs: dict[str, Run] = {}
        argv = ["--spec", str(spec), "--config", str(tmp / "none.yaml"), "--log-level", "DEBUG"]
        for flag, kind in BOTH_LOG_FORMATS:
            runs[f"seed {kind}"] = bench.main(seed.main, [*argv, flag, kind])
            assert runs[f"seed {kind}"].code == 0, runs[f"seed {kind}"].err
        env = {**bench.env(), "OVERRIDE_A_00": items[6].value}
        bench.capsys.readouterr()
        code = seed.main(argv, env)
        captured = bench.capsys.readouterr()
        runs["override"] = Run(code, captured.out, captured.err, 0.0)
        assert code == 0
        bad_list = tmp / "bad-list.yaml"
        bad_list.write_text(
            yaml.safe_dump({"version": 1, "secrets": {"s/x": {"A": [items[7].value]}}}),
            encoding="utf-8",
        )
        bad_yaml = tmp / "bad-yaml.yaml"
        bad_yaml.write_text(
            'version: 1\nsecrets:\n  s/x: {A: "' + items[8].token + "\n  B: '" + items[9].token,
            encoding="utf-8",
        )
        for name, path in (("list", bad_list), ("yaml", bad_yaml)):
            bad = ["--spec", str(path), "--config", str(tmp / "none.yaml"), "--log-level", "DEBUG"]
            runs[f"bad {name}"] = bench.main(seed.main, bad)
            assert runs[f"bad {name}"].code == 2, runs[f"bad {name}"].err
        LEDGER.scan("seed", items, outputs(runs))

    @examples(6)
    @given(items=planted(12))
    def test_file_sources(self, bench: Bench, items: list[Planted]) -> None:
        """File and directory sources, well-formed and broken around values; none shown."""
        tmp = bench.fresh()
        v = [item.value for item in items]
        t = [item.token for item in items]
        good = tmp / "good.json"
        good.write_text(json.dumps({"f/a": {"A": v[0], "B": v[1]}}), encoding="utf-8")
        broken = {
            "json": '{"f/a": {"A": "' + t[2] + '", "B": "' + t[3],
            "yaml": 'f/a:\n  A: "' + t[4] + '"\n  B: [' + t[5] + "\n\tC: " + t[6] + "\n",
            "env": "A='" + t[7] + "\nB=" + t[8] + " x'y\n",
        }
        runs: dict[str, Run] = {}
        for kind, text in [("json", None), *broken.items()]:
            path = good if text is None else tmp / f"broken.{kind}"
            if text is not None:
                path.write_text(text, encoding="utf-8")
            name = "f/a" if kind != "env" else "broken"
            source = {"type": "file", "path": str(path)}
            config = write_config(tmp / f"{kind}.yaml", {"core": [name]}, source=source)
            runs[kind] = bench.fetch(
                config, tmp / "out", "--format", "json", "--log-format", "json"
            )
            assert runs[kind].code == (0 if text is None else 1), runs[kind].err
        mount = tmp / "mount"
        (mount / "d" / "a").mkdir(parents=True)
        (mount / "d" / "a" / "X").write_text(v[9], encoding="utf-8")
        (mount / "d" / "b").write_text('{"Y": ' + json.dumps(v[10]) + ', "Z": ', encoding="utf-8")
        (mount / "d" / "c").write_text(json.dumps({"W": v[11]}), encoding="utf-8")
        source = {"type": "directory", "path": str(mount)}
        config = write_config(tmp / "dir.yaml", {"core": ["d/a", "d/b", "d/c"]}, source=source)
        runs["directory"] = bench.fetch(config, tmp / "out", "--format", "json")
        assert runs["directory"].code == 1
        LEDGER.scan("file sources", items, outputs(runs))

    @examples(2)
    @given(items=planted(40))
    def test_real_processes(self, bench: Bench, items: list[Planted]) -> None:
        """python -m rideinfra.fetch / .seed as containers run them, DEBUG JSON logs."""
        tmp = bench.fresh()
        spec = tmp / "seed.yaml"
        spec.write_text(
            json.dumps(
                {"version": 1, "secrets": {"p/a": fields_of(items[:20], "A_")}},
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        bench.sm.seed({"p/b": fields_of(items[20:], "B_")})
        config = write_config(tmp / "rideinfra.yaml", {"core": ["p/a", "p/b"]})
        env = bench.env()
        debug = ["--log-level", "DEBUG", "--log-format", "json"]
        runs = {
            "seed": run_module("rideinfra.seed", ["--spec", str(spec), *debug], env),
            "fetch json": run_module(
                "rideinfra.fetch",
                ["--config", str(config), "--out", str(tmp / "o"), "--format", "json", *debug],
                env,
            ),
            "fetch env": run_module(
                "rideinfra.fetch", ["--config", str(config), "--out", str(tmp / "e"), *debug], env
            ),
        }
        assert runs["seed"].code == 0, runs["seed"].err
        assert runs["fetch json"].code == 0, runs["fetch json"].err
        assert runs["fetch env"].code in (0, 1)
        assert all(run.out == "" for run in runs.values())
        LEDGER.scan("real processes", items, outputs(runs))


class TestLibrary:
    @examples(10)
    @given(items=planted(16))
    def test_exception_chains(self, bench: Bench, items: list[Planted]) -> None:
        """Every error the library raises around values: message, repr, formatted chain."""
        tmp = bench.fresh()
        v = [item.value for item in items]
        errors: dict[str, BaseException] = {}
        errors["malformed"] = raised(lambda: parse_secret_string("s", '{"A": "' + v[0]))
        errors["array"] = raised(lambda: parse_secret_string("s", json.dumps([v[1]])))
        errors["plain"] = raised(lambda: parse_secret_string("s", v[2] + "x"))
        errors["null"] = raised(
            lambda: parse_secret_string("s", json.dumps({"A": v[3], "B": None}))
        )
        config = load_config(
            write_config(
                tmp / "c.yaml", {"core": ["m/a", "m/b"], "nest": ["m/n"]}, source={"type": "env"}
            )
        )
        store = MemorySource(
            {"m/a": {"K": v[4]}, "m/b": {"K": v[5] + "!"}, "m/n": {"N": {"x": v[6]}}}
        )
        errors["collision"] = raised(lambda: resolve(config, store, profiles=["core"]))
        errors["nested"] = raised(lambda: resolve(config, store, profiles=["nest"]))
        refused = {"R": SecretValue(v[7] + "`'$x\r\x00"), "BIG": SecretValue(v[8] + "b" * 131072)}
        for fmt in ("env", "shell", "compose", "dotenv", "raw", "json", "k8s-secret"):
            for name, value in refused.items():
                try:
                    get_format(fmt).render({name: value}, profile="core")
                except RideinfraError as exc:
                    errors[f"render {fmt} {name}"] = exc
        assert len([k for k in errors if k.startswith("render")]) >= 10
        (tmp / "afile").write_bytes(b"")
        errors["write"] = raised(
            lambda: write_files(tmp / "afile", {"core.env": v[9].encode("utf-8", "replace")})
        )
        errors["pickle"] = raised(lambda: pickle.dumps(SecretValue(v[10])))
        broken = tmp / "broken.yaml"
        broken.write_text('f/a: {A: "' + items[11].token + "\n", encoding="utf-8")
        errors["file"] = raised(lambda: FileSource(broken).fetch("f/a"))
        env_source = EnvSource({"RIDEINFRA_SECRET_E_X": '{"A": "' + items[12].token})
        errors["env"] = raised(lambda: env_source.fetch("e/x"))
        bench.proxy.on({n: Fault.http(500) for n in range(1, 20)})
        aws = SecretsManagerSource(endpoint_url=bench.proxy.url, environ=bench.aws_env)
        errors["store put"] = raised(lambda: SecretsManagerStore(aws).put("s/x", {"A": v[13]}))
        errors["handler"] = raised(lambda: HandlerSource(lambda name: v[14] + "{").fetch("h/x"))
        errors["override"] = raised(
            lambda: resolve(
                config,
                OverrideSource(store, {"OVERRIDE_K": v[15]}),
                profiles=["nest"],
            )
        )
        texts: dict[str, str] = {}
        for name, exc in errors.items():
            texts.update({f"{name} {where}": text for where, text in chain(exc).items()})
        LEDGER.scan("exception chains", items, texts)

    @examples(10)
    @given(items=planted(20))
    def test_public_reprs(self, bench: Bench, items: list[Planted]) -> None:
        """repr, str and format of every public object that holds or saw a value."""
        tmp = bench.fresh()
        v = [item.value for item in items]
        memory = MemorySource({"m/a": fields_of(items[:4], "A_"), "m/n": {"N": {"deep": v[4]}}})
        environ = {"RIDEINFRA_SECRET_E_X": json.dumps({"E": v[5]}), "OVERRIDE_A_00": v[6]}
        (tmp / "s.json").write_text(json.dumps({"f/a": {"F": v[7]}}), encoding="utf-8")
        (tmp / "d" / "x").mkdir(parents=True)
        (tmp / "d" / "x" / "D").write_text(v[8], encoding="utf-8")
        cached = CachedSource(memory)
        sources = {
            "memory": memory,
            "env": EnvSource(environ),
            "override": OverrideSource(memory, environ),
            "file": FileSource(tmp / "s.json"),
            "directory": DirectorySource(tmp / "d"),
            "cached": cached,
            "chain": ChainSource(EnvSource(environ), memory),
            "handler": HandlerSource(lambda name: {"H": v[9]}),
            "aws": SecretsManagerSource(endpoint_url=bench.sm.url, environ=bench.aws_env),
        }
        names = {
            "memory": "m/a",
            "env": "e/x",
            "override": "m/a",
            "file": "f/a",
            "directory": "x",
            "cached": "m/a",
            "chain": "e/x",
            "handler": "h/x",
        }
        objects: dict[str, object] = dict(sources)
        for kind, name in names.items():
            result = sources[kind].fetch_many([name, "no/such"])
            secret = result[name]
            objects[f"{kind} result"] = result
            objects[f"{kind} secret"] = secret
            objects[f"{kind} values"] = list(secret.fields.values())
            objects[f"{kind} fields"] = secret.fields
            objects[f"{kind} entries"] = entries_from_secret(secret)
        cached.fetch("m/a")
        objects["cached again"] = cached
        transforms = [Rename({"A_00": "RENAMED"}), Prefix("P_"), Qualify("Q"), Flatten()]
        objects["transforms"] = transforms
        objects["pipeline"] = transforms[1] | transforms[2]
        config = load_config(
            write_config(
                tmp / "c.yaml",
                {"core": ["m/a"], "nest": [{"name": "m/n", "transforms": [{"flatten": {}}]}]},
                source={"type": "env"},
            )
        )
        envs = resolve(config, memory)
        objects["config"] = config
        objects["envs"] = envs
        objects["env entries"] = [env.entries for env in envs.values()]
        objects["origins"] = [env.origin(n) for env in envs.values() for n in env]
        files = {"core.env": get_format("json").render(envs["core"], profile="core").encode()}
        objects["write report"] = write_files(tmp / "out", files)
        # The value-holding records (rideinfra._record): their reprs leave the values out.
        objects["rendered"] = fetch_and_render(
            config, memory, profiles=["core"], output_format=get_format("json")
        )
        objects["on disk"] = read_output(tmp / "out", files)
        objects["yaml document"] = load_yaml_text(json.dumps({"K": v[7]}), what="secrets file")
        objects["watch options"] = WatchOptions(environ={"X": v[5]})
        objects["value"] = SecretValue(v[10])
        objects["values"] = {v[11][:0] + "K": SecretValue(v[11])}
        texts: dict[str, str] = {}
        for name, obj in objects.items():
            texts[f"{name} repr"] = repr(obj)
            texts[f"{name} str"] = str(obj)
            texts[f"{name} format"] = f"{obj}"
            with io.StringIO() as buffer:
                print(obj, file=buffer)
                texts[f"{name} print"] = buffer.getvalue()
        LEDGER.scan("public reprs", items, texts)


BOTO_DEBUG = r"""
import json, logging, sys
values = json.load(sys.stdin)
url, mode = sys.argv[1], sys.argv[2]
environ = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": "us-east-1",
           "PATH": "", "AWS_EC2_METADATA_DISABLED": "true"}
# What a service does when it debugs: everything at DEBUG, to stderr.
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr,
                    format="%(levelname)s %(name)s %(message)s")
half = len(values) // 2
if mode == "library":
    from rideinfra.secrets import SecretsManagerSource, SecretsManagerStore
    source = SecretsManagerSource(environ=environ)
    store = SecretsManagerStore(source)
    names = []
    for i in range(0, half, 10):
        names.append(f"lib/{i}")
        store.put(f"lib/{i}", {f"K{j}": v for j, v in enumerate(values[i:i + 10])})
    for i in range(0, half, 10):
        store.put(f"lib/{i}", {f"K{j}": v + "!" for j, v in enumerate(values[i:i + 10])})
    result = source.fetch_many(names)
    assert len(result) == len(names), result
    single = SecretsManagerSource(environ=environ, use_batch=False)
    assert len(single.fetch_many(names)) == len(names)
else:
    from rideinfra import fetch, seed
    spec, config, out = sys.argv[3:6]
    assert seed.main(["--spec", spec, "--log-level", "DEBUG"], environ) == 0
    assert fetch.main(["--config", config, "--out", out, "--format", "json",
                       "--log-level", "DEBUG"], environ) == 0
print("done", file=sys.stderr)
"""


class TestBotocoreDebug:
    @staticmethod
    def run(mode: str, url: str, values: Sequence[str], *args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-c", BOTO_DEBUG, url, mode, *args],
            input=json.dumps(values),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={"PATH": os.environ.get("PATH", ""), "HOME": tempfile.gettempdir()},
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert proc.stderr.rstrip().endswith("done")
        return proc.stderr

    @examples(3)
    @given(items=planted(200))
    def test_root_logger_at_debug_calling_the_library(
        self, bench: Bench, items: list[Planted]
    ) -> None:
        """A service with logging at DEBUG: botocore logs requests and responses, no body."""
        bench.fresh()
        err = self.run("library", bench.sm.url, [item.value for item in items])
        # Not vacuous: botocore did log each request and response at DEBUG.
        assert (
            "DEBUG botocore.endpoint Making request for OperationModel(name=PutSecretValue)" in err
        )
        assert "DEBUG botocore.parsers Response body:" in err
        assert "not logged by rideinfra: it may hold secret values" in err
        assert "BatchGetSecretValue" in err
        LEDGER.scan("botocore debug (library)", items, {"stderr": err})

    @examples(2)
    @given(items=planted(100))
    def test_root_logger_at_debug_calling_the_entrypoints(
        self, bench: Bench, items: list[Planted]
    ) -> None:
        """seed.main and fetch.main in a process whose root logger is at DEBUG."""
        tmp = bench.fresh()
        spec = tmp / "seed.yaml"
        secrets = {f"ep/{i}": fields_of(items[i : i + 10], f"K{i}_") for i in range(0, 100, 10)}
        spec.write_text(json.dumps({"version": 1, "secrets": secrets}), encoding="utf-8")
        config = write_config(tmp / "rideinfra.yaml", {"core": list(secrets)})
        err = self.run(
            "entrypoints",
            bench.sm.url,
            [item.value for item in items],
            str(spec),
            str(config),
            str(tmp / "out"),
        )
        assert "resolved 1 profile(s), 100 variable(s)" in err
        LEDGER.scan("botocore debug (entrypoints)", items, {"stderr": err})


LEAK_TESTS = (
    "test_fetch_explain_dry_run_check",
    "test_fetch_failure_paths",
    "test_seed_paths",
    "test_file_sources",
    "test_real_processes",
    "test_exception_chains",
    "test_public_reprs",
    "test_root_logger_at_debug_calling_the_library",
    "test_root_logger_at_debug_calling_the_entrypoints",
)


def _selected(request: pytest.FixtureRequest) -> Iterator[str]:
    for item in request.session.items:
        if item.path == Path(__file__) and getattr(item, "originalname", "") in LEAK_TESTS:
            yield item.originalname


def test_scanned_at_least_1000_values_and_found_none(request: pytest.FixtureRequest) -> None:
    """Acceptance (issue 5): >= 1,000 distinct generated values scanned on every path, 0 found."""
    if set(_selected(request)) != set(LEAK_TESTS):
        pytest.skip("the total needs every leak test of this module in the run")
    summary = (
        f"leak scan: {len(LEDGER.values)} distinct values over {len(LEDGER.paths)} paths, "
        f"{LEDGER.texts} texts ({LEDGER.characters} characters): {len(LEDGER.hits)} found; "
        + ", ".join(f"{path} {count}" for path, count in LEDGER.paths.items())
    )
    print(summary)
    assert set(LEDGER.paths) >= {
        "fetch/explain",
        "fetch failures",
        "seed",
        "file sources",
        "real processes",
        "exception chains",
        "public reprs",
        "botocore debug (library)",
        "botocore debug (entrypoints)",
    }, summary
    assert LEDGER.hits == [], summary
    assert len(LEDGER.values) >= 1000, summary
