"""The names a shell owns: every one is refused, or sourcing it changes only itself.

The sweep takes every variable the bash, dash and zsh manuals list
(tests/support/shell_specials.py, the test's own table) and, for the formats
a shell sources (`env`, `shell`), either sees the renderer refuse it with a
RenderError naming it, or writes it with a canary value and sources the file
with `set -a; . file; set +a` in dash, bash, bash --posix and zsh: nothing
may reach stderr, the variable must be exported as written, and no other
variable (`set`) or environment entry (`env`) may change.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from rideinfra.errors import RenderError
from rideinfra.render import SHELL_RESERVED, render_env, render_shell
from rideinfra.render.shell import sh_single_quote
from support.shell_specials import all_names
from support.shell_sweep import CONTROL_NAME, SWEEP_SHELLS, judge, natural_changes, sweep

pytestmark = pytest.mark.skipif(
    not all(shutil.which(argv[0]) for argv in SWEEP_SHELLS.values()),
    reason="the sweep needs dash, bash and zsh (apt-get install zsh)",
)

SH_FORMATS = {"env": render_env, "shell": render_shell}
NAMES = all_names()

#: One canary: bare in both formats; `:` makes zsh's arithmetic fail loudly.
CANARY = "rideinfra:canary"
#: The larger budget: numbers (zsh integers accept them), paths, a locale,
#: quotes, expansions, blanks, a newline, non-ASCII, a leading dash.
CANARIES = (
    CANARY,
    "0",
    "1",
    "",
    "/tmp",
    "C.UTF-8",
    "a b",
    "-x",
    "it's $HOME `id` $(id) \\",
    "two\nlines",
    "é €",
    "%s {0} ; & |",
)


def _render_cases(canaries: Sequence[str]) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(name, value, text) to source, deduplicated; refusals that name another variable."""
    cases: dict[str, tuple[str, str]] = {}
    wrong: list[str] = []
    for name in NAMES:
        for fmt, render in SH_FORMATS.items():
            for value in canaries:
                try:
                    text = render({name: value})
                except RenderError as err:
                    if err.variable != name:
                        wrong.append(f"{fmt} {name}: error names {err.variable!r}")
                    continue
                cases.setdefault(text, (name, value))
    return [(name, value, text) for text, (name, value) in sorted(cases.items())], wrong


def run_sweep(cases: Sequence[tuple[str, str, str]]) -> dict[str, list[str]]:
    """Source every case in every shell; return name -> the failures seen."""
    failures: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="rideinfra-sweep-") as tmp:
        controls = []
        for i in range(3):
            path = Path(tmp, f"control{i}.env")
            path.write_text(f"{CONTROL_NAME}={sh_single_quote(CANARY)}\n")
            controls.append(path)
        paths = []
        for i, (_, _, text) in enumerate(cases):
            path = Path(tmp, f"case{i}.env")
            path.write_text(text, encoding="utf-8")
            paths.append(path)
        for shell in SWEEP_SHELLS:
            seen = sweep([*controls, *paths], shell)
            natural = natural_changes(seen[: len(controls)])
            for (name, value, _), observed in zip(cases, seen[len(controls) :], strict=True):
                why = judge(name, value, observed, natural)
                if why is not None:
                    failures.setdefault(name, []).append(f"{shell} {value!r}: {why}")
    return failures


def test_every_manual_name_is_refused_or_changes_only_itself() -> None:
    """All 265 names, one canary each, in env and shell, sourced by four shells (a few seconds)."""
    cases, wrong = _render_cases([CANARY])
    assert wrong == []
    assert run_sweep(cases) == {}
    refused = [n for n in NAMES if n in SHELL_RESERVED]
    # The sweep did real work: most names are refused, a few ordinary ones sourced.
    assert len(refused) > 200
    assert {"HOME", "PATH", "TERM", "LANG"} <= {name for name, _, _ in cases}


@pytest.mark.faults
@pytest.mark.long  # the larger budget: `-m faults` and CI (`-m long`) run it
def test_every_manual_name_with_many_canaries() -> None:
    """The same with twelve canaries per name (numbers, paths, quotes, newline, non-ASCII)."""
    cases, wrong = _render_cases(CANARIES)
    assert wrong == []
    assert run_sweep(cases) == {}


@pytest.mark.faults
@pytest.mark.long  # the larger budget: `-m faults` and CI (`-m long`) run it
def test_every_reserved_name_is_sourced_as_well() -> None:
    """With refusal switched off, every name that fails in a shell is a reserved one."""
    cases = [(name, CANARY, f"{name}={CANARY}\n") for name in NAMES]
    failing = set(run_sweep(cases))
    assert failing <= set(SHELL_RESERVED)
    assert len(failing) > 80


class TestReservedList:
    def test_every_reserved_name_comes_from_a_manual(self) -> None:
        """SHELL_RESERVED invents no name: each is in the bash, dash or zsh manual."""
        assert set(SHELL_RESERVED) - set(NAMES) == set()

    def test_only_ordinary_environment_names_are_allowed(self) -> None:
        """The manual names left to the program are the nine that describe its environment."""
        allowed = set(NAMES) - set(SHELL_RESERVED)
        expected = {"EDITOR", "HOME", "HOSTNAME", "LANG", "LOGNAME", "PATH", "SHELL", "TERM"}
        assert allowed == expected | {"TMPDIR"}

    @pytest.mark.parametrize(
        "name",
        [
            "LC_ALL",
            "LC_CTYPE",
            "LC_MESSAGES",
            "LC_COLLATE",
            "LC_NUMERIC",
            "LC_TIME",
            "BASH_COMPAT",
            "BASH_XTRACEFD",
            "BASH_ENV",
            "ENV",
            "IFS",
            "PS4",
            "POSIXLY_CORRECT",
            "HISTFILE",
            "FUNCNEST",
            "TMOUT",
            "ZDOTDIR",
            "status",
            "path",
        ],
    )
    @pytest.mark.parametrize("fmt", SH_FORMATS)
    def test_review_names_are_refused(self, fmt: str, name: str) -> None:
        """Regression (issue 14 item 2): these were written, and bash printed the value."""
        with pytest.raises(RenderError, match="cannot be set by") as info:
            SH_FORMATS[fmt]({name: "the-value"})
        assert info.value.variable == name
        assert "the-value" not in str(info.value)

    def test_unrefused_lc_all_reaches_stderr_with_its_value(self) -> None:
        """The harness sees the defect: LC_ALL written anyway makes bash print the value."""
        failures = run_sweep([("LC_ALL", "the-value", "LC_ALL=the-value\n")])
        assert any("the-value" in why and why.startswith("bash") for why in failures["LC_ALL"])

    @pytest.mark.parametrize(
        "why", ["read-only", "computes its value"], ids=["read-only", "computed"]
    )
    def test_read_only_and_computed_names_really_fail(self, why: str) -> None:
        """The reasons are true: each name reserved as read-only or computed fails in a shell."""
        names = sorted(n for n, reason in SHELL_RESERVED.items() if why in reason)
        cases = [(name, CANARY, f"{name}={CANARY}\n") for name in names]
        assert sorted(run_sweep(cases)) == names
