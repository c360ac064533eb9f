"""The conventions of chamber, doppler, kubectl and git: -q/-v, -V, version, help, did you mean.

And the help itself: each command lists only its own exit codes, every option
is described, no reStructuredText markup reaches a terminal.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from rideinfra import cli
from rideinfra.__about__ import __version__
from rideinfra.cli import fetch

ROOT = cli.build_parser()


def parsers(
    parser: argparse.ArgumentParser, words: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser under `parser`, with the words that reach it (`("render", "k8s")`)."""
    yield words, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, (*words, name))


COMMANDS = [words for words, _ in parsers(ROOT) if words]
LEAVES = [words for words, parser in parsers(ROOT) if words and parser._subparsers is None]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`rideinfra ARGV`: exit code, stdout, stderr (argparse's SystemExit included)."""
    try:
        code = cli.main(list(argv), {})
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def help_of(capsys: pytest.CaptureFixture[str], *words: str) -> str:
    code, out, _ = run(capsys, *words, "--help")
    assert code == 0
    return out


def exit_codes(text: str) -> list[int]:
    """The codes of a help's `exit codes:` block."""
    block = text.split("exit codes:\n", 1)[1]
    return [int(code) for code in re.findall(r"^  (\d)  ", block, re.MULTILINE)]


class TestVersion:
    @pytest.mark.parametrize("argv", [["--version"], ["-V"], ["version"]])
    def test_every_spelling_prints_the_version(
        self, capsys: pytest.CaptureFixture[str], argv: list[str]
    ) -> None:
        """`rideinfra --version`, `-V` and `rideinfra version` print the same line, exit 0."""
        assert run(capsys, *argv)[:2] == (0, f"rideinfra {__version__}\n")

    def test_the_module_answers_too(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`python -m rideinfra.fetch -V`."""
        with pytest.raises(SystemExit) as info:
            fetch.main(["-V"], {})
        assert info.value.code == 0
        assert capsys.readouterr().out == f"rideinfra {__version__}\n"


class TestHelp:
    @pytest.mark.parametrize("words", [(), *COMMANDS], ids=" ".join)
    def test_help_command_is_the_help_option(
        self, capsys: pytest.CaptureFixture[str], words: tuple[str, ...]
    ) -> None:
        """`rideinfra help W...` prints exactly what `rideinfra W... --help` prints."""
        assert run(capsys, "help", *words)[:2] == (0, help_of(capsys, *words))

    def test_help_of_an_unknown_command_names_the_closest(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`rideinfra help fetc`: exit 2, did you mean 'fetch'."""
        code, _, err = run(capsys, "help", "fetc")
        assert code == 2
        assert "did you mean 'fetch'?" in err

    @pytest.mark.parametrize("words", [("render", "k8s", "extra"), ("fetch", "x"), ("seed", "-")])
    def test_a_word_past_a_command_is_refused(
        self, capsys: pytest.CaptureFixture[str], words: tuple[str, ...]
    ) -> None:
        """`rideinfra help render k8s extra` was render k8s's help, exit 0, the typo unsaid."""
        code, out, err = run(capsys, "help", *words)
        assert (code, out) == (2, "")
        assert f"rideinfra {' '.join(words[:-1])} has no subcommand {words[-1]!r}" in err


class TestMistakes:
    def test_unknown_command_says_did_you_mean(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`rideinfra fetc` names `fetch`; the choices shown are the commands, no hidden one."""
        code, out, err = run(capsys, "fetc")
        assert (code, out) == (2, "")
        assert "unknown command 'fetc'; did you mean 'fetch'?" in err
        assert "__complete" not in err

    @pytest.mark.parametrize(
        ("argv", "usage", "hint"),
        [
            (["fetch", "--dryrun"], "usage: rideinfra fetch ", "(did you mean --dry-run?)"),
            (["check", "--jsn"], "usage: rideinfra check ", "(did you mean --json?)"),
            (["render", "k8s", "--namesapce", "x"], "usage: rideinfra render k8s ", "--namespace?"),
            (["explain", "a", "b"], "usage: rideinfra explain ", "unrecognized arguments: b"),
            (["schema", "--bogus"], "usage: rideinfra schema ", "unrecognized arguments: --bogus"),
        ],
    )
    def test_an_option_error_prints_that_commands_usage(
        self, capsys: pytest.CaptureFixture[str], argv: list[str], usage: str, hint: str
    ) -> None:
        """The usage is the subcommand's (argparse printed the top level's), with a hint."""
        code, _, err = run(capsys, *argv)
        assert code == 2
        assert err.startswith(usage), err
        assert hint in err
        assert "usage: rideinfra [-h]" not in err

    def test_a_far_option_gets_no_guess(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Nothing close, no `did you mean`."""
        assert "did you mean" not in run(capsys, "fetch", "--zzzzzz")[2]

    def test_unknown_choice_names_the_closest(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`--log-level debg` -> DEBUG; `completion fsh` -> fish."""
        err = run(capsys, "fetch", "--log-level", "debg")[2]
        assert "unknown choice 'DEBG'; did you mean 'DEBUG'?" in err
        err = run(capsys, "completion", "fsh")[2]
        assert err.startswith("usage: rideinfra completion ")
        assert "did you mean 'fish'?" in err


CONFIG = (
    "version: 1\nsource: {type: file, path: store.json}\nprofiles:\n  web: {secrets: [app/db]}\n"
)


@pytest.fixture(name="project")
def _project(tmp_path: Path) -> Path:
    (tmp_path / "store.json").write_text(json.dumps({"app/db": {"PASSWORD": "s3cr3t-sentinel"}}))
    (tmp_path / "rideinfra.yaml").write_text(CONFIG)
    return tmp_path


class TestQuietVerbose:
    @pytest.mark.parametrize(
        ("flags", "level"),
        [
            ([], "INFO"),
            (["-v"], "DEBUG"),
            (["--verbose"], "DEBUG"),
            (["-q"], "WARNING"),
            (["--quiet"], "WARNING"),
            (["--log-level", "ERROR"], "ERROR"),
            (["-v", "--log-level", "ERROR"], "ERROR"),  # the last one wins
            (["--log-level", "ERROR", "-v"], "DEBUG"),
            (["-q", "-v"], "DEBUG"),
            (["-v", "-q"], "WARNING"),
        ],
    )
    @pytest.mark.parametrize("words", LEAVES, ids=" ".join)
    def test_every_command_maps_them_to_a_level(
        self, words: tuple[str, ...], flags: list[str], level: str
    ) -> None:
        """-v is --log-level DEBUG, -q is --log-level WARNING; the last of them wins."""
        required = {("completion",): ["bash"]}.get(words, [])
        args = ROOT.parse_args([*words, *required, *flags])
        assert args.log_level == level

    def test_quiet_keeps_stdout_and_drops_info(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`fetch -q` logs no INFO line; `explain -q` still prints its table."""
        monkeypatch.chdir(project)
        code, _, err = run(capsys, "fetch", "--out", "out")
        assert code == 0
        assert err
        assert run(capsys, "fetch", "--out", "out", "-q")[::2] == (0, "")
        code, out, err = run(capsys, "explain", "-q", "--json")
        assert (code, err) == (0, "")
        assert json.loads(out)[0]["variable"] == "PASSWORD"

    def test_verbose_logs_debug_and_no_value(
        self, project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`fetch -v` logs at DEBUG while it runs; the planted value appears nowhere; after it
        the `rideinfra` logger is as it was (tests/cli/test_base.py: TestLoggingAfterTheCommand)."""
        from rideinfra.operations import fetch as fetching

        levels: list[int] = []
        announce = fetching._announce

        def announcing(*args: object) -> None:
            levels.append(logging.getLogger("rideinfra").getEffectiveLevel())
            logging.getLogger("rideinfra.t").debug("a debug record")
            announce(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(fetching, "_announce", announcing)
        monkeypatch.chdir(project)
        before = logging.getLogger("rideinfra").level
        code, out, err = run(capsys, "fetch", "--out", "out", "-v")
        assert code == 0
        assert levels == [logging.DEBUG]
        assert "a debug record" in err
        assert logging.getLogger("rideinfra").level == before
        assert "s3cr3t-sentinel" not in out + err


class TestHelpText:
    @pytest.mark.parametrize("words", COMMANDS, ids=" ".join)
    def test_every_option_is_described(self, words: tuple[str, ...]) -> None:
        """No option or positional without a description, in any command (render k8s included)."""
        parser = dict(parsers(ROOT))[words]
        bare = [
            action.option_strings or action.dest
            for action in parser._actions
            if not action.help and not isinstance(action, argparse._SubParsersAction)
        ]
        assert bare == []

    @pytest.mark.parametrize("words", [(), *COMMANDS], ids=" ".join)
    def test_no_restructuredtext_markup(
        self, capsys: pytest.CaptureFixture[str], words: tuple[str, ...]
    ) -> None:
        """No ``double backticks`` or :role:`x` in what a terminal shows."""
        text = help_of(capsys, *words)
        assert "``" not in text
        assert not re.search(r":\w+:`", text)

    @pytest.mark.parametrize(
        ("words", "codes"),
        [
            (("fetch",), [0, 1, 2]),
            (("seed",), [0, 1, 2]),
            (("explain",), [0, 1, 2]),
            (("diff",), [0, 1, 2]),
            (("check",), [0, 1, 2]),
            (("schema",), [0, 2]),
            (("completion",), [0, 2]),
            (("help",), [0, 2]),
            (("version",), [0, 2]),
            (("render", "k8s"), [0, 1, 2]),
            (("render", "iam"), [0, 1, 2]),
            (("demo",), [0, 1, 2]),
        ],
    )
    def test_each_command_lists_its_own_exit_codes(
        self, capsys: pytest.CaptureFixture[str], words: tuple[str, ...], codes: list[int]
    ) -> None:
        """Only the codes the command can return, and none of fetch's wording elsewhere."""
        text = help_of(capsys, *words)
        assert exit_codes(text) == codes
        if words != ("fetch",):
            assert "(with --check: the files differ" not in text

    def test_commands_do_not_share_one_text(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The meaning of 0 differs per command: each says what `done` means for it."""
        blocks = {w: help_of(capsys, *w).split("exit codes:")[1] for w in LEAVES}
        assert len(set(blocks.values())) > len(blocks) // 2


def test_the_cli_reference_documents_the_conventions() -> None:
    """NO_COLOR, TERM=dumb, the TTY rule, -q/-v and --log-level, completion: written down."""
    from rideinfra.cli._docgen import cli_reference

    page = cli_reference()
    for needle in (
        "`NO_COLOR`",
        "`TERM`\nis `dumb`",
        "tab-separated when it is not",
        "the last one on the command line wins",
        "rideinfra completion fish",
        "did you mean",
    ):
        assert needle in page, needle
