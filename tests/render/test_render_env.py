"""The portable ``env`` format: read alike by every reader, and refusing only when forced.

Two directions:
- every value ``env`` writes is read back exactly by dash, bash (plain, --posix,
  C.UTF-8), the Docker Compose v2 binary and python-dotenv;
- every value ``env`` refuses has no rendering, among all the forms considered
  below, that those readers all read back exactly: the refusal set is forced.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rideinfra.errors import RenderError
from rideinfra.render import render_env
from rideinfra.render.compose import compose_quote
from rideinfra.render.dotenv import dotenv_quote
from rideinfra.render.envfile import DIALECTS
from rideinfra.render.shell import sh_single_quote
from support.budget import sizes
from support.consumers import (
    SH_CONSUMERS,
    ConsumerError,
    assert_exact,
    read_many_with_dotenv,
    read_var_with_sh,
    read_with_compose,
    split_refused,
)
from support.render_values import CANARY_PATH, corpus, nasty_values

# A single-quote breaker, then a double-quote breaker, among random text.
likely_refused = st.tuples(
    nasty_values,
    st.sampled_from(["'", "\\\\", "${A}", "${HOME:-x}", "\r"]),
    nasty_values,
    st.sampled_from(["$a", "$1", "${", "$(", "`", "$$", "$@", "$["]),
    nasty_values,
).map("".join)

ENV_CONSUMERS = [*SH_CONSUMERS, "compose", "dotenv"]
CORPUS = corpus()
#: The random batches start every reader (shells, docker-compose) each: 10 batches in
#: the default run, 25 in CI's `long` run (support/budget.py). The corpus tests are whole.
RANDOM = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _double(text: str, *, also: str = "") -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    for char in also:
        escaped = escaped.replace(char, "\\" + char)
    return f'"{escaped}"'


#: Every way of writing a value that one of the readers documents, and the
#: mixes: each reader's own quoting applied for all of them.
CANDIDATES: dict[str, Callable[[str], str]] = {
    "bare": lambda v: v,
    "single quotes": lambda v: f"'{v}'",
    "sh single quotes with '\\''": sh_single_quote,
    'double quotes, \\ and " escaped': _double,
    'double quotes, sh escapes (\\ " $ `)': lambda v: _double(v, also="$`"),
    "python-dotenv double quotes": dotenv_quote,
    "compose double quotes": compose_quote,
}


def surviving_candidates(values: Sequence[str]) -> list[tuple[str, str]]:
    """Return (value, candidate) pairs that every env reader reads back exactly.

    Each candidate is written alone in its own file, so one broken line cannot
    spoil another. Readers run cheapest first; a candidate is dropped as soon
    as one reader reads it wrongly or rejects it.
    """
    with tempfile.TemporaryDirectory(prefix="rideinfra-forced-") as tmp:
        # Bad candidates do run commands in sh: aim the canary fragment elsewhere
        # so the real canary keeps proving that rendered files never run anything.
        values = [v.replace(str(CANARY_PATH), f"{tmp}/ran") for v in values]
        pending: list[tuple[str, str, Path]] = []
        for i, value in enumerate(values):
            for j, (label, form) in enumerate(CANDIDATES.items()):
                path = Path(tmp, f"{i}-{j}.env")
                path.write_bytes(f"V={form(value)}\n".encode())
                pending.append((value, label, path))
        results = read_many_with_dotenv([p for _, _, p in pending])
        pending = [c for c, r in zip(pending, results, strict=True) if r == {"V": c[0]}]
        for shell in SH_CONSUMERS:
            seen = read_var_with_sh([p for _, _, p in pending], "V", shell)
            pending = [c for c, s in zip(pending, seen, strict=True) if s == c[0]]
        survivors = []
        for value, label, path in pending:
            try:
                if read_with_compose(path) == {"V": value}:
                    survivors.append((value, label))
            except ConsumerError:
                pass
        return survivors


class TestReadAlike:
    def test_corpus_values_env_accepts_are_read_alike(self) -> None:
        """Of ~11k fragment pairs, all that env writes are read exactly by all six readers."""
        refused = assert_exact(render_env, CORPUS, ENV_CONSUMERS)
        assert len(refused) < len(CORPUS) / 2, "env should carry most values"

    @pytest.mark.parametrize("examples", sizes(10, 25))
    def test_random_values_env_accepts_are_read_alike(self, examples: int) -> None:
        """Random tricky values that env writes are read exactly by all six readers."""

        @settings(RANDOM, max_examples=examples)
        @given(values=st.lists(nasty_values, min_size=1, max_size=60))
        def run(values: list[str]) -> None:
            assert_exact(render_env, values, ENV_CONSUMERS)

        run()


class TestRefusalIsForced:
    def test_no_candidate_form_carries_a_refused_corpus_value(self) -> None:
        """For every corpus value env refuses, each candidate form breaks some reader."""
        _, refused = split_refused(render_env, CORPUS)
        values = [CORPUS[int(name[1:])] for name in refused]
        values = [v for v in values if "\0" not in v]  # no reader can hold NUL
        assert len(values) > 500
        assert surviving_candidates(values) == []

    @pytest.mark.parametrize("examples", sizes(10, 25))
    def test_no_candidate_form_carries_a_refused_random_value(self, examples: int) -> None:
        """For random values env refuses, each candidate form breaks some reader."""

        @settings(RANDOM, max_examples=examples)
        @given(values=st.lists(likely_refused, min_size=1, max_size=40))
        def run(values: list[str]) -> None:
            _, refused = split_refused(render_env, values)
            forced = [values[int(name[1:])] for name in refused]
            assert surviving_candidates([v for v in forced if "\0" not in v]) == []

        run()

    def test_the_check_finds_a_carrier_when_one_exists(self) -> None:
        """The forcedness check is not vacuous: values env accepts do have survivors."""
        survivors = surviving_candidates(["it's $ 5", "a\nb"])
        assert {v for v, _ in survivors} == {"it's $ 5", "a\nb"}

    @pytest.mark.parametrize(
        ("value", "why"),
        [
            ("it's $5", "a single quote"),
            ("${HOME}", "${...} reference"),
            ("a\rb", "carriage return"),
            ("it's `x`", "backtick"),
            ("a\\\\$b", "two backslashes"),
            ("x$y\\", "final backslash"),
        ],
    )
    def test_refusal_names_variable_reason_and_dialects(self, value: str, why: str) -> None:
        """The error names the variable, says why, lists the dialects, and hides the value."""
        with pytest.raises(RenderError) as info:
            render_env({"DB_PASSWORD": value})
        message = str(info.value)
        assert info.value.variable == "DB_PASSWORD"
        assert "DB_PASSWORD" in message
        assert why in message
        for dialect in DIALECTS:
            assert dialect in message
        assert value not in message
        assert value not in repr(info.value)


class TestForms:
    @pytest.mark.parametrize(
        ("value", "line"),
        [
            ("5432", "K=5432\n"),
            ("", "K=\n"),
            ("postgres://u@h:5432/db", "K=postgres://u@h:5432/db\n"),
            ("a b", "K='a b'\n"),
            ("$(rm -rf /)", "K='$(rm -rf /)'\n"),
            ("l1\nl2", "K='l1\nl2'\n"),
            ("it's", 'K="it\'s"\n'),
            ('it\'s "q" \\ x$', 'K="it\'s \\"q\\" \\\\ x$"\n'),
        ],
    )
    def test_form_chosen(self, value: str, line: str) -> None:
        """Bare for plain words, single quotes when possible, else double quotes."""
        assert render_env({"K": value}) == line
