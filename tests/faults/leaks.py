"""What the leak tests share: planted values, the forms searched, a ledger per path, the bench.

Imported as ``faults.leaks`` by tests/faults/test_no_leaks*.py. Hypothesis
makes the secret values: a random token of letters and digits wrapped in
characters that escape differently everywhere (quotes, ``$``, backticks,
backslashes, newlines, NUL, non-ASCII). Each path puts them in a store, runs,
and scans everything a person or a log collector could see. A value counts
as leaked if any of its forms shows: the text, the token, its JSON-escaped or
repr-escaped text, or its base64 (standard or URL-safe, the token at each of
the three byte alignments, so a value inside a larger base64 blob is found too).

Each path is one test with a ledger of its own (`PATHS`): the tests share no
state, so they run in any order and on any xdist worker. A path's tokens
carry a letter of their own after the fixed lead, so no two paths ever plant
the same value and their distinct counts add up; each test asserts that it
scanned its floor of distinct values, and `test_no_leaks.py` that the floors
add up to at least 1,000.
"""

from __future__ import annotations

import base64
import json
import logging
import string
import tempfile
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from faults.kit import Run, aws_environ, run_fetch
from support.moto import MotoEndpoint
from support.proxy import FaultProxy

#: Every leak path: hypothesis examples, values planted per example.
PATHS: dict[str, tuple[int, int]] = {
    "fetch/explain": (8, 24),
    "fetch failures": (10, 14),
    "seed": (6, 10),
    "file sources": (6, 12),
    "real processes": (2, 40),
    "exception chains": (10, 16),
    "public reprs": (10, 20),
    "botocore debug (library)": (3, 200),
    "botocore debug (entrypoints)": (2, 100),
}
#: The share of a path's planted values that must be distinct (hypothesis may
#: draw a value again in a later example of the same test).
DISTINCT = 0.7

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
AROUND = st.lists(st.sampled_from(TRICKY), max_size=3).map("".join)


@dataclass(frozen=True)
class Planted:
    """A generated secret value and the random token inside it."""

    value: str
    token: str


def floor(path: str) -> int:
    """The distinct values `path`'s test must scan."""
    count, batch = PATHS[path]
    return int(count * batch * DISTINCT)


def planted(path: str) -> st.SearchStrategy[list[Planted]]:
    """One example's values for `path`: a batch of distinct tokens, each wrapped."""
    # Hypothesis also draws strings it finds in the code under test (names like
    # "SecretsManagerSource"); a fixed lead keeps a token from being any such
    # word, so finding one in the output can only be a leak. The path's letter
    # after it keeps paths apart: TRICKY has no `q` and no ASCII letter or digit
    # next to a token, so the token (and so the path) can be read off a value.
    lead = "qZ" + string.ascii_letters[list(PATHS).index(path)]
    token = st.text(alphabet=string.ascii_letters + string.digits, min_size=14, max_size=22)
    item = st.builds(lambda a, t, b: Planted(a + lead + t + b, lead + t), AROUND, token, AROUND)
    batch = PATHS[path][1]
    return st.lists(item, min_size=batch, max_size=batch, unique_by=lambda p: p.token)


def leak_path(path: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A leak test: `PATHS[path]` examples of planted values as `items`, ledger `path`."""
    count, _ = PATHS[path]

    def decorate(test: Callable[..., None]) -> Callable[..., None]:
        # No shrinking: each example is a whole entrypoint run, and a leak is
        # reported with the value and where it showed, which is enough to act on.
        wrapped = settings(
            max_examples=count,
            deadline=None,
            phases=(Phase.explicit, Phase.reuse, Phase.generate),
            suppress_health_check=[
                HealthCheck.function_scoped_fixture,
                HealthCheck.too_slow,
                HealthCheck.data_too_large,
            ],
        )(given(items=planted(path))(test))
        wrapped.leak_path = path  # type: ignore[attr-defined]
        return wrapped

    return decorate


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
    """What one leak path scanned, over all its examples."""

    path: str
    values: set[str] = field(default_factory=set)
    texts: int = 0
    characters: int = 0
    hits: list[str] = field(default_factory=list)

    def scan(self, items: Sequence[Planted], texts: Mapping[str, str]) -> None:
        """Look for every form of every value in every text; record what was scanned."""
        assert any(text.strip() for text in texts.values()), f"{self.path}: nothing to scan"
        hits = [
            f"{self.path}: {where} shows {form!r}"
            for item in items
            for form in forms(item)
            for where, text in texts.items()
            if form in text
        ]
        self.values.update(item.value for item in items)
        self.texts += len(texts)
        self.characters += sum(len(text) for text in texts.values())
        self.hits += hits
        assert hits == []

    def summary(self) -> str:
        return (
            f"leak scan ({self.path}): {len(self.values)} distinct values, {self.texts} texts "
            f"({self.characters} characters): {len(self.hits)} found"
        )


@pytest.fixture(name="ledger")
def _ledger(request: pytest.FixtureRequest) -> Iterator[Ledger]:
    """The ledger of the test's path; afterwards, its floor of distinct values was scanned."""
    ledger = Ledger(request.function.leak_path)
    yield ledger
    print(f"\n{ledger.summary()}")
    # Not vacuous: every example ran and scanned what it planted.
    assert len(ledger.values) >= floor(ledger.path), ledger.summary()
    assert ledger.hits == [], ledger.summary()


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
