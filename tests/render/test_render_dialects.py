"""Differential tests: each dialect format read back by its real consumer.

Every example renders a batch of tricky values into one file and reads it with
the real reader (dash, bash, bash --posix, bash in a UTF-8 locale, the Docker
Compose v2 binary, python-dotenv): the reader must see exactly the rendered
variables, or the renderer must have refused the value for a stated reason.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rideinfra.errors import RenderError
from rideinfra.render import render_compose, render_dotenv, render_raw, render_shell
from support.budget import sizes
from support.consumers import SH_CONSUMERS, assert_exact, read_back
from support.render_values import corpus, nasty_values, one_line_values

Renderer = Callable[[dict[str, str]], str]

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# The examples that start a real reader process (a shell, docker-compose) per batch
# take 10 batches in the default run and 30 in CI's `long` run (support/budget.py).


value_batches = st.lists(nasty_values, min_size=1, max_size=60)


CORPUS = corpus()
ONE_LINE_CORPUS = [v for v in CORPUS if not {"\n", "\r", "\0"} & set(v)]


class TestCorpus:
    @pytest.mark.parametrize(
        ("render", "consumers"),
        [
            pytest.param(render_shell, list(SH_CONSUMERS), id="shell"),
            pytest.param(render_compose, ["compose"], id="compose"),
            pytest.param(render_dotenv, ["dotenv"], id="dotenv"),
        ],
    )
    def test_every_fragment_pair_reads_back_exactly(
        self, render: Renderer, consumers: list[str]
    ) -> None:
        """All fragments alone and in ordered pairs (~11k values, one file) read back exactly."""
        refused = assert_exact(render, CORPUS, consumers)
        assert all("\0" in CORPUS[int(name[1:])] for name in refused)

    def test_every_one_line_fragment_pair_reads_back_exactly_with_raw(self) -> None:
        """Compose format: raw reads every one-line corpus value exactly."""
        assert not assert_exact(render_raw, ONE_LINE_CORPUS, ["compose-raw"])


class TestShell:
    @pytest.mark.parametrize("examples", sizes(10, 30))
    def test_dash_and_bash_read_every_value_exactly(self, examples: int) -> None:
        """dash, bash, bash --posix and bash in C.UTF-8 read every non-NUL value back exactly."""

        @settings(SETTINGS, max_examples=examples)
        @given(values=value_batches)
        def run(values: list[str]) -> None:
            refused = assert_exact(render_shell, values, list(SH_CONSUMERS))
            for name, err in refused.items():
                assert "NUL" in str(err), name
                assert "\0" in values[int(name[1:])]

        run()


class TestCompose:
    @pytest.mark.parametrize("examples", sizes(10, 30))
    def test_compose_reads_every_value_exactly(self, examples: int) -> None:
        """docker-compose config reads every non-NUL value back exactly from env_file."""

        @settings(SETTINGS, max_examples=examples)
        @given(values=value_batches)
        def run(values: list[str]) -> None:
            refused = assert_exact(render_compose, values, ["compose"])
            assert all("\0" in values[int(name[1:])] for name in refused)

        run()


class TestDotenv:
    @SETTINGS
    @given(values=value_batches)
    def test_dotenv_reads_every_value_exactly(self, values: list[str]) -> None:
        """python-dotenv (interpolating) reads every non-NUL value back exactly."""
        refused = assert_exact(render_dotenv, values, ["dotenv"])
        assert all("\0" in values[int(name[1:])] for name in refused)


class TestRaw:
    @pytest.mark.parametrize("examples", sizes(10, 30))
    def test_compose_raw_reads_every_one_line_value_exactly(self, examples: int) -> None:
        """Compose `format: raw` reads every value without a line end or NUL back exactly."""

        @settings(SETTINGS, max_examples=examples)
        @given(values=st.lists(one_line_values, min_size=1, max_size=60))
        def run(values: list[str]) -> None:
            assert not assert_exact(render_raw, values, ["compose-raw"])

        run()

    @pytest.mark.parametrize("value", ["a\nb", "a\rb", "trailing\r", "\n"])
    def test_line_ends_are_refused(self, value: str) -> None:
        """A newline or CR cannot be carried by raw and is refused, naming the variable."""
        with pytest.raises(RenderError, match="newline or carriage return") as info:
            render_raw({"KEY": value})
        assert info.value.variable == "KEY"

    def test_raw_keeps_what_quoting_formats_would_interpret(self) -> None:
        """Quotes, `$` and `#` are written as they are, and Compose raw reads them so."""
        values = {"A": "'q'", "B": '"q"', "C": "$HOME ${X}", "D": "a #c", "E": "  sp  "}
        text = render_raw(values)
        assert text == "# rideinfra: format=raw\nA='q'\nB=\"q\"\nC=$HOME ${X}\nD=a #c\nE=  sp  \n"
        assert read_back(text, ["compose-raw"])["compose-raw"] == values
