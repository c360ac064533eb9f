"""Wrong-type arguments: a TypeError/ValueError naming the argument when the source is built,
and a TypeError naming `name` from every source's fetch, never an internal exception later."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rideinfra.secrets import (
    CachedSource,
    ChainSource,
    DirectorySource,
    EnvSource,
    FileSource,
    OverrideSource,
    ParameterStoreSource,
    ParseOptions,
    SecretsManagerSource,
    VaultSource,
)
from rideinfra.secrets.base import BaseSource
from rideinfra.testing import MemorySource

TOKEN = "s3ntinel-TOKEN-a41c"
#: Nothing listens here: a source that sent a request would fail with a SourceError.
NOWHERE = "http://127.0.0.1:9"
AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_ENDPOINT_URL": NOWHERE,
}
VAULT = {"VAULT_ADDR": NOWHERE, "VAULT_TOKEN": TOKEN}


def vault(**options: Any) -> VaultSource:
    return VaultSource(environ=VAULT, **options)


def a_file(tmp: Path) -> Path:
    path = tmp / "s.json"
    path.write_text('{"a": {"K": "v"}}')
    return path


# (what, build, error, words the message must hold)
CONSTRUCTORS: list[tuple[str, Callable[[Path], object], type[Exception], str]] = [
    ("CachedSource(None)", lambda _: CachedSource(None), TypeError, "source"),  # type: ignore[arg-type]
    ("CachedSource('x')", lambda _: CachedSource("x"), TypeError, "source"),  # type: ignore[arg-type]
    (
        "CachedSource(clock=None)",
        lambda _: CachedSource(MemorySource(), clock=None),  # type: ignore[arg-type]
        TypeError,
        "clock",
    ),
    (
        "CachedSource(stale_on=5)",
        lambda _: CachedSource(MemorySource(), stale_on=5),  # type: ignore[arg-type]
        TypeError,
        "stale_on",
    ),
    ("CachedSource(ttl='5')", lambda _: CachedSource(MemorySource(), ttl="5"), TypeError, "ttl"),  # type: ignore[arg-type]
    ("ChainSource('x')", lambda _: ChainSource("x"), TypeError, "argument 1"),  # type: ignore[arg-type]
    (
        "ChainSource([a, b])",
        lambda _: ChainSource([MemorySource(), MemorySource()]),  # type: ignore[arg-type]
        TypeError,
        "ChainSource(*sources)",
    ),
    ("ChainSource(a, None)", lambda _: ChainSource(MemorySource(), None), TypeError, "argument 2"),  # type: ignore[arg-type]
    ("OverrideSource(None, {})", lambda _: OverrideSource(None, {}), TypeError, "source"),  # type: ignore[arg-type]
    (
        "OverrideSource(s, None)",
        lambda _: OverrideSource(MemorySource(), None),
        TypeError,
        "environ",
    ),  # type: ignore[arg-type]
    ("EnvSource(None)", lambda _: EnvSource(None), TypeError, "environ"),  # type: ignore[arg-type]
    ("EnvSource(options='F')", lambda _: EnvSource({}, options="F"), TypeError, "options"),  # type: ignore[arg-type]
    ("EnvSource(prefix=None)", lambda _: EnvSource({}, prefix=None), TypeError, "prefix"),  # type: ignore[arg-type]
    (
        "EnvSource(mapping={'a': 'F'})",
        lambda _: EnvSource({}, mapping={"a": "F"}),  # type: ignore[dict-item]
        TypeError,
        "mapping['a']",
    ),
    (
        "EnvSource(mapping={'a': {'F': 5}})",
        lambda _: EnvSource({}, mapping={"a": {"F": 5}}),  # type: ignore[dict-item]
        TypeError,
        "mapping['a']['F']",
    ),
    ("EnvSource(mapping=['a'])", lambda _: EnvSource({}, mapping=["a"]), TypeError, "mapping"),  # type: ignore[arg-type]
    (
        "EnvSource(per_secret={'a': 'F'})",
        lambda _: EnvSource({}, per_secret={"a": "F"}),  # type: ignore[dict-item]
        TypeError,
        "per_secret['a']",
    ),
    (
        "FileSource(p, max_bytes=-1)",
        lambda t: FileSource(a_file(t), max_bytes=-1),
        ValueError,
        "max_bytes",
    ),
    (
        "FileSource(p, max_bytes='x')",
        lambda t: FileSource(a_file(t), max_bytes="x"),
        TypeError,
        "max_bytes",
    ),  # type: ignore[arg-type]
    (
        "FileSource(p, options='F')",
        lambda t: FileSource(a_file(t), options="F"),
        TypeError,
        "options",
    ),  # type: ignore[arg-type]
    ("FileSource(None)", lambda _: FileSource(None), TypeError, "path"),  # type: ignore[arg-type]
    ("DirectorySource(None)", lambda _: DirectorySource(None), TypeError, "path"),  # type: ignore[arg-type]
    (
        "DirectorySource(options='F')",
        lambda t: DirectorySource(t, options="F"),
        TypeError,
        "options",
    ),  # type: ignore[arg-type]
    (
        "DirectorySource(flat_secret=5)",
        lambda t: DirectorySource(t, flat_secret=5),
        TypeError,
        "flat_secret",
    ),  # type: ignore[arg-type]
    (
        "ParameterStoreSource(parse='F')",
        lambda _: ParameterStoreSource(environ=AWS, parse="F"),
        TypeError,
        "parse",
    ),  # type: ignore[arg-type]
    (
        "ParameterStoreSource(prefix=None)",
        lambda _: ParameterStoreSource(environ=AWS, prefix=None),
        TypeError,
        "prefix",
    ),  # type: ignore[arg-type]
    ("VaultSource(auth='kerberos')", lambda _: vault(auth="kerberos"), ValueError, "auth"),
    ("VaultSource(auth=None)", lambda _: vault(auth=None), TypeError, "auth"),
    ("VaultSource(address=5)", lambda _: vault(address=5), TypeError, "address"),
    ("VaultSource(mount=None)", lambda _: vault(mount=None), TypeError, "mount"),
    ("VaultSource(namespace=5)", lambda _: vault(namespace=5), TypeError, "namespace"),
    (
        "VaultSource(max_concurrency='4')",
        lambda _: vault(max_concurrency="4"),
        TypeError,
        "max_concurrency",
    ),
    (
        "VaultSource(max_concurrency=0)",
        lambda _: vault(max_concurrency=0),
        ValueError,
        "max_concurrency",
    ),
    (
        "VaultSource(versions={'a': 'x'})",
        lambda _: vault(versions={"a": "x"}),
        TypeError,
        "versions['a']",
    ),
    (
        "VaultSource(versions={'a': 0})",
        lambda _: vault(versions={"a": 0}),
        ValueError,
        "versions['a']",
    ),
    (
        "VaultSource(versions={'a': True})",
        lambda _: vault(versions={"a": True}),
        TypeError,
        "versions['a']",
    ),
    ("VaultSource(versions=[1])", lambda _: vault(versions=[1]), TypeError, "versions"),
    ("VaultSource(timeout='10')", lambda _: vault(timeout="10"), TypeError, "timeout"),
    ("VaultSource(timeout=0)", lambda _: vault(timeout=0), ValueError, "timeout"),
    ("VaultSource(retries=-1)", lambda _: vault(retries=-1), ValueError, "retries"),
    ("VaultSource(deadline='9')", lambda _: vault(deadline="9"), TypeError, "deadline"),
    ("VaultSource(environ=[])", lambda _: VaultSource(environ=[]), TypeError, "environ"),  # type: ignore[arg-type]
    (
        "VaultSource(token=b'...')",
        lambda _: VaultSource(environ={"VAULT_ADDR": NOWHERE}, token=TOKEN.encode()),
        TypeError,
        "token",
    ),
]


@pytest.mark.parametrize(
    ("build", "error", "words"),
    [pytest.param(build, error, words, id=what) for what, build, error, words in CONSTRUCTORS],
)
def test_a_wrong_argument_is_refused_when_the_source_is_built(
    build: Callable[[Path], object], error: type[Exception], words: str, tmp_path: Path
) -> None:
    """The exact type (not a subclass from deep inside), naming the argument; no value shown."""
    with pytest.raises(error) as caught:
        build(tmp_path)
    assert type(caught.value) is error
    assert words in str(caught.value)
    assert TOKEN not in str(caught.value)


def sources(tmp: Path) -> dict[str, BaseSource]:
    memory = MemorySource({"a": {"K": "v"}})
    return {
        "EnvSource": EnvSource({}),
        "FileSource": FileSource(a_file(tmp)),
        "DirectorySource": DirectorySource(tmp),
        "ChainSource": ChainSource(memory),
        "CachedSource": CachedSource(memory),
        "OverrideSource": OverrideSource(memory, {}),
        "SecretsManagerSource": SecretsManagerSource(environ=AWS),
        "ParameterStoreSource": ParameterStoreSource(environ=AWS),
        "VaultSource": vault(),
    }


KINDS = [
    "EnvSource",
    "FileSource",
    "DirectorySource",
    "ChainSource",
    "CachedSource",
    "OverrideSource",
    "SecretsManagerSource",
    "ParameterStoreSource",
    "VaultSource",
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", [None, 5, b"a", ["a"]], ids=["None", "int", "bytes", "list"])
def test_fetch_of_a_name_that_is_not_a_str_is_a_type_error(
    kind: str, name: object, tmp_path: Path
) -> None:
    """Every source alike, before any request: `fetch(name): a secret name is a str`."""
    source = sources(tmp_path)[kind]
    with pytest.raises(TypeError, match=r"fetch\(name\): a secret name is a str") as caught:
        source.fetch(name)  # type: ignore[arg-type]
    assert type(caught.value) is TypeError
    with pytest.raises(TypeError, match=r"fetch\(name\)"):
        asyncio.run(source.afetch(name))  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", KINDS)
def test_fetch_many_names_the_entry_that_is_not_a_str(kind: str, tmp_path: Path) -> None:
    source = sources(tmp_path)[kind]
    with pytest.raises(TypeError, match=r"names\[1\] is None; a secret name is a str"):
        source.fetch_many(["a", None])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="iterable of secret names"):
        source.fetch_many(5)  # type: ignore[arg-type]


def test_a_list_given_to_fetch_says_to_use_fetch_many(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="fetch_many"):
        EnvSource({}).fetch(["a", "b"])  # type: ignore[arg-type]


def test_good_arguments_still_build(tmp_path: Path) -> None:
    """The checks take what the signatures say: os.environ, Paths, ints for floats, inf."""
    import math

    EnvSource(os.environ, mapping={"a": {"F": "V"}}, per_secret={"a": ParseOptions("F")})
    FileSource(str(a_file(tmp_path)), max_bytes=0)
    DirectorySource(tmp_path, flat_secret="a")
    CachedSource(MemorySource(), ttl=math.inf, retry_interval=1, clock=lambda: 0.0)
    ChainSource(MemorySource(), ChainSource(MemorySource()))
    vault(auth="approle", role_id="r", secret_id="s", versions={"a": 3}, timeout=1, deadline=5)
    ParameterStoreSource(environ=AWS, parse=ParseOptions("F"), plain_fields={"a": "F"})
