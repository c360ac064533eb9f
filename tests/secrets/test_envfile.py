"""The strict dotenv reader: its grammar, its refusals, and agreement with python-dotenv."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from dotenv import dotenv_values
from dotenv.parser import parse_stream
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rideinfra.errors import ConfigError, RenderError
from rideinfra.render import (
    SHELL_RESERVED,
    render_compose,
    render_dotenv,
    render_env,
    render_raw,
    render_shell,
)
from rideinfra.secrets.envfile import parse_env_file
from rideinfra.settings import read_env_file
from support.budget import sizes
from support.consumers import read_with
from support.render_values import nasty_values

SENTINEL = "s3cr3t-Sentinel-9f8e7d"


def render(values: dict[str, str]) -> str:
    """A writer in the reader's grammar: single quotes when literal is safe, else double."""
    lines = []
    for name, value in values.items():
        if "'" not in value and "\\" not in value:
            lines.append(f"{name}='{value}'")
        else:
            escaped = value.replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'{name}="{escaped}"')
    return "\n".join(lines) + "\n"


class TestGrammar:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("A=1", {"A": "1"}),
            ("A=1\nB=2\n", {"A": "1", "B": "2"}),
            ("export A=1", {"A": "1"}),
            ("export\tA=1", {"A": "1"}),
            ("export=1", {"export": "1"}),
            ("  A = 1  ", {"A": "1"}),
            ("A=", {"A": ""}),
            ("A=''", {"A": ""}),
            ('A=""', {"A": ""}),
            ("A= # comment", {"A": ""}),
            ("A=#not a comment", {"A": "#not a comment"}),
            ("A=a#b", {"A": "a#b"}),
            ("A=a b  # comment", {"A": "a b"}),
            ("A=a\t#c", {"A": "a"}),
            ("A=$HOME", {"A": "$HOME"}),
            ("A='lit $x \\q \" #'", {"A": 'lit $x \\q " #'}),
            ("A='two\nlines'", {"A": "two\nlines"}),
            ('A="a\\\\b\\"c\\nd\\re\\tf"', {"A": 'a\\b"c\nd\re\tf'}),
            ('A="multi\nline"\nB=2', {"A": "multi\nline", "B": "2"}),
            ('A="cr\rinside"', {"A": "cr\rinside"}),
            ("A='x' # trailing comment", {"A": "x"}),
            ("# comment\n\n   # indented\nA=1\n", {"A": "1"}),
            ("\ufeffA=1", {"A": "1"}),
            ("", {}),
            ("_x9=1", {"_x9": "1"}),
            ("A='a${'", {"A": "a${"}),
            ("A=${x", {"A": "${x"}),
            ('A="${=:-$}{HOME}"', {"A": "${HOME}"}),
            ("A='${=}x${a=b:-y}'", {"A": "xy"}),
        ],
    )
    def test_reads(self, text: str, expected: dict[str, str]) -> None:
        """Each accepted form reads to the documented value."""
        assert parse_env_file(text) == expected

    @pytest.mark.parametrize(
        ("text", "line", "message"),
        [
            ("A", 1, "expected '=' after A"),
            ("A=1\nB", 2, "expected '=' after B"),
            ("1A=x", 1, "expected a variable name"),
            ("A-B=x", 1, "expected '=' after A"),
            ("A=1\nA=2", 2, "A is set twice (lines 1 and 2)"),
            ("A='open", 1, "never closed"),
            ('A="open\nmore', 1, "never closed"),
            ("A='x'y", 1, "unexpected text after A"),
            ("A='x'#c", 1, "unexpected text after A"),
            ('A="\\q"', 1, "unsupported backslash escape"),
            ('A="ok\n\\$"', 2, "unsupported backslash escape"),
            ("A='a\\\\b'", 1, "backslash before"),
            ("A='a\\'", 1, "backslash before"),
            ("A=${HOME}", 1, "${...} reference"),
            ("A='${HOME}'", 1, "${...} reference"),
            ('A="x${Y:-z}"', 1, "${...} reference"),
            ("A='${:-z}'", 1, "${...} reference"),
            ("A=1\r\nB=2", 1, "carriage return"),
            ("A='x'\r\n", 1, "carriage return"),
            ("\r\n", 1, "carriage returns"),
            ("A=a\u00a0b", 1, "whitespace other than space or tab"),
            ("A=a\x0cb", 1, "whitespace other than space or tab"),
        ],
    )
    def test_refuses_with_file_and_line(self, text: str, line: int, message: str) -> None:
        """Each refused form is a ConfigError naming the file and line."""
        with pytest.raises(ConfigError) as info:
            parse_env_file(text, file="x.env")
        assert str(info.value).startswith(f"x.env: line {line}: ")
        assert message in str(info.value)

    @pytest.mark.parametrize(
        "text",
        [
            f"A='{SENTINEL}'\nA=2",
            f'A="{SENTINEL}\\q"',
            f"A='{SENTINEL}\\\\'",
            f"A='{SENTINEL}'x",
            f"A={SENTINEL}${{X}}",
            f"A='{SENTINEL}",
            f"A={SENTINEL}\r\n",
        ],
    )
    def test_errors_never_hold_the_value(self, text: str) -> None:
        """No refusal message contains any part of the value."""
        with pytest.raises(ConfigError) as info:
            parse_env_file(text)
        assert SENTINEL not in str(info.value)
        assert "s3cr3t" not in str(info.value)


any_values = st.one_of(st.text(), nasty_values)
values_without_interpolation = any_values.filter(lambda v: "${" not in v)


class TestAgreement:
    @given(
        values=st.dictionaries(
            st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True),
            values_without_interpolation,
            max_size=6,
        )
    )
    @example(values={"A": "x" * 65536, "B": 'it\'s \\ "$HOME"\r\n\t#=`'})
    def test_every_value_but_interpolation_round_trips(self, values: dict[str, str]) -> None:
        """Values without '${', written in the grammar, read back exactly (and in python-dotenv)."""
        text = render(values)
        assert parse_env_file(text) == values
        assert dotenv_values(stream=io.StringIO(text)) == values

    @settings(max_examples=500)
    @given(value=any_values)
    @example(value="${HOME} a${ $x '\"\\ \n\r")
    def test_reads_back_what_the_renderers_write(self, value: str) -> None:
        """What the dotenv and env renderers write (when they accept a value) reads back exactly."""
        for render_format in (render_dotenv, render_env):
            try:
                text = render_format({"VAR": value})
            except RenderError:
                continue
            assert parse_env_file(text) == {"VAR": value}, render_format.__name__

    @settings(max_examples=300)
    @given(data=st.data())
    def test_never_disagrees_with_python_dotenv(self, data: st.DataObject) -> None:
        """On arbitrary line soup, the reader refuses or reads exactly what python-dotenv reads."""
        lines = []
        for _ in range(data.draw(st.integers(1, 4))):
            prefix = data.draw(st.sampled_from(["", "export ", " ", "\t", "# "]))
            name = data.draw(st.sampled_from(["A", "B", "_c", "1x", "a-b", ""]))
            equals = data.draw(st.sampled_from(["=", " = ", "= ", "", "=\t"]))
            quote = data.draw(st.sampled_from(["", "'", '"']))
            value = data.draw(nasty_values)
            close = data.draw(st.sampled_from([quote, "", "'", '"']))
            trailer = data.draw(st.sampled_from(["", " # c", "#c", " ", "x"]))
            lines.append(f"{prefix}{name}{equals}{quote}{value}{close}{trailer}")
        text = data.draw(st.sampled_from(["\n", "\r\n"])).join(lines)
        try:
            ours = parse_env_file(text)
        except ConfigError:
            return
        theirs = list(parse_stream(io.StringIO(text)))
        assert not any(binding.error for binding in theirs)
        assert ours == dotenv_values(stream=io.StringIO(text))


DIALECT_RENDERERS = {
    "shell": render_shell,
    "compose": render_compose,
    "dotenv": render_dotenv,
    "raw": render_raw,
}
TRICKY = {"A": '$$ $HOME ${X} it\'s "q" \\ \\n', "B": "", "C": "#x", "D": "  sp  "}


class TestDialects:
    @pytest.mark.parametrize("fmt", ["shell", "compose", "raw"])
    def test_each_dialect_reads_back_exactly(self, fmt: str) -> None:
        """Regression (issue 14 item 7): a compose, shell or raw file read with wrong values."""
        text = DIALECT_RENDERERS[fmt](TRICKY)
        assert text.startswith(f"# rideinfra: format={fmt}\n")
        assert parse_env_file(text) == TRICKY

    @pytest.mark.parametrize("examples", sizes(100, 300))
    @pytest.mark.parametrize("fmt", sorted(DIALECT_RENDERERS))
    def test_reads_back_whatever_a_dialect_renderer_writes(self, fmt: str, examples: int) -> None:
        """Property: every file a dialect renderer accepts reads back byte for byte.

        100 examples a dialect in the default run, 300 in CI's `long` run.
        """

        @settings(max_examples=examples, deadline=None)
        @given(
            values=st.dictionaries(
                st.from_regex(r"[A-Z_][A-Z0-9_]{0,6}", fullmatch=True), any_values, max_size=5
            )
        )
        def run(values: dict[str, str]) -> None:
            values = {name: value for name, value in values.items() if name not in SHELL_RESERVED}
            try:
                text = DIALECT_RENDERERS[fmt](values)
            except RenderError:
                return
            assert parse_env_file(text) == values

        run()

    def test_settings_read_a_compose_file_exactly(self, tmp_path: Path) -> None:
        """`settings.read_env_file` (settings_from(env_file=...)) reads `$$` as `$`."""
        path = tmp_path / "core.env"
        path.write_text(render_compose({"TOKEN": "a$b$$c"}), encoding="utf-8")
        assert read_env_file(path) == {"TOKEN": "a$b$$c"}

    @pytest.mark.parametrize(
        ("text", "match"),
        [
            ("# rideinfra: format=compose\nA=plain\n", "line 2: the value of A is not written"),
            ('# rideinfra: format=compose\nA="$X"\n', "line 2: the value of A"),
            ('# rideinfra: format=compose\nA="\\t"\n', "line 2: the value of A"),
            ('# rideinfra: format=compose\nA="x" # c\n', "line 2: text after the value of A"),
            ("# rideinfra: format=shell\nA='x'\nB=$HOME\n", "line 3: text after the value of B"),
            ("# rideinfra: format=shell\nA='x\ny'\nB=\"q\"\n", "line 4: text after the value"),
            ("# rideinfra: format=shell\nA='open\n", "line 2"),
            ("# rideinfra: format=shell\nexport A=1\n", "line 2: a line that is not NAME=value"),
            ("# rideinfra: format=raw\nA=x\r\n", "line 2: the value of A"),
            ("# rideinfra: format=raw\nA=1\nA=2\n", "A is set twice"),
            ("# rideinfra: format=json\n{}\n", "line 1: the file says it is in format 'json'"),
            ("# rideinfra: format=\nA=1\n", "format ''"),
        ],
    )
    def test_other_forms_in_a_marked_file_are_refused(self, text: str, match: str) -> None:
        """A file that names its dialect is read in that dialect or refused, by file and line."""
        with pytest.raises(ConfigError, match=match) as info:
            parse_env_file(text.replace("x", SENTINEL), file="/secrets/core.env")
        assert "/secrets/core.env" in str(info.value)
        assert SENTINEL not in str(info.value)

    def test_marked_files_stay_readable_by_their_readers(self, tmp_path: Path) -> None:
        """The first line is a comment to sh, Compose (both formats) and python-dotenv."""
        path = tmp_path / "p.env"
        readers = {
            "shell": ["dash", "bash", "bash-posix"],
            "compose": ["compose"],
            "dotenv": ["dotenv"],
            "raw": ["compose-raw"],
        }
        for fmt, consumers in readers.items():
            path.write_text(DIALECT_RENDERERS[fmt]({"A": "1", "B": "x y"}), encoding="utf-8")
            for consumer in consumers:
                assert read_with(consumer, path) == {"A": "1", "B": "x y"}, (fmt, consumer)

    def test_unmarked_files_keep_the_env_grammar(self) -> None:
        """No first line: today's reading (an env file, or one written by hand)."""
        assert parse_env_file(render_env(TRICKY | {"A": "it's"})) == TRICKY | {"A": "it's"}
        assert parse_env_file('A="$$"\n') == {"A": "$$"}
        assert parse_env_file("# rideinfra: a note\nA=1\n") == {"A": "1"}
