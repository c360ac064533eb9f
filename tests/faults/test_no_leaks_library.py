"""No value leaks from the library: every error raised around values, every public repr.

The values, the forms searched and the ledgers are in `faults/leaks.py`.
"""

from __future__ import annotations

import io
import json
import pickle

import pytest

from faults.kit import write_config
from faults.leaks import (
    Bench,
    Ledger,
    Planted,
    _bench,  # noqa: F401 - fixture
    _ledger,  # noqa: F401 - fixture
    _no_stale_log_handlers,  # noqa: F401 - fixture
    chain,
    fields_of,
    leak_path,
    raised,
)
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
from support.proxy import Fault

pytestmark = pytest.mark.faults


class TestLibrary:
    @leak_path("exception chains")
    def test_exception_chains(self, bench: Bench, ledger: Ledger, items: list[Planted]) -> None:
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
        aws = SecretsManagerSource(
            endpoint_url=bench.proxy.url, environ=bench.aws_env, max_attempts=2
        )
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
        ledger.scan(items, texts)

    @leak_path("public reprs")
    def test_public_reprs(self, bench: Bench, ledger: Ledger, items: list[Planted]) -> None:
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
        ledger.scan(items, texts)
