"""Shell completion, driven through each shell's own completion machinery.

bash and zsh run interactively under a pty: the test types a line and TAB,
the shell's line editor calls the generated function, and a key bound to a
widget reports the line as the editor left it; what the function offered is
recorded on the way (bash: COMPREPLY; zsh: every `compadd`). fish answers
`complete -C LINE`, its own completion query. The scripts are never read.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rideinfra import cli
from rideinfra.cli.completion import complete
from rideinfra.render import FORMATS

CONFIG = """\
version: 1
source: {type: file, path: store.json}
profiles:
  web: {secrets: [webapp/postgres]}
  worker: {secrets: [webapp/postgres]}
  monitoring: {secrets: [webapp/sentry]}
"""
OTHER = (
    CONFIG.replace("web:", "alpha:").replace("worker:", "beta:").replace("monitoring:", "gamma:")
)
END = "<<END>>"  # quoted wherever a shell reads it: unquoted, it is a redirection
ROOT = cli.build_parser()


@pytest.fixture(scope="module", name="project")
def _project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory with rideinfra.yaml, other.yaml, and `rideinfra` on PATH."""
    root = tmp_path_factory.mktemp("completion")
    (root / "rideinfra.yaml").write_text(CONFIG)
    (root / "other.yaml").write_text(OTHER)
    (root / "broken.yaml").write_text("version: 1\nprofiles: [\n")
    (root / "outdir").mkdir()
    bin_dir = root / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "rideinfra"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -m rideinfra.cli "$@"\n')
    wrapper.chmod(0o755)
    return root


def shell_env(project: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": f"{project / 'bin'}:{os.environ['PATH']}",
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "HOME": str(project),
        "TERM": "xterm",
        **extra,
    }


def script(shell: str) -> str:
    """`rideinfra completion SHELL`, as the user's rc file would eval it."""
    proc = subprocess.run(
        [sys.executable, "-m", "rideinfra.cli", "completion", shell],
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


class PtyShell:
    """An interactive shell on a pty: type a line and TAB, read back the line and the offers."""

    def __init__(self, argv: list[str], setup: str, record: Path, env: dict[str, str]) -> None:
        self.record = record
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the shell
            os.chdir(env["HOME"])
            os.execvpe(argv[0], argv, env)  # noqa: S606 - the shell under test, by design
        # A big window, so no shell asks "display all N possibilities?".
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 200, 250, 0, 0))
        self.record.write_text("")
        os.write(self.fd, setup.encode())
        self._wait_for(lambda text: "READY" in text, "the shell to start")

    def _drain(self) -> None:
        while select.select([self.fd], [], [], 0.02)[0]:
            try:
                os.read(self.fd, 65536)
            except OSError:
                return

    def _wait_for(self, done: object, what: str) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            self._drain()
            text = self.record.read_text()
            if done(text):  # type: ignore[operator]
                return text
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}")

    def tab(self, line: str) -> tuple[str, list[str]]:
        """Type `line`, TAB, then Ctrl-X (bound to a widget that records the line and clears it).

        Returns:
            The line as the editor left it, and the words the completion function offered.
        """
        self.record.write_text("")
        os.write(self.fd, line.encode() + b"\t\x18")
        text = self._wait_for(lambda t: END in t, f"completion of {line!r}")
        *offered, buffer = text.split(END)[0].rstrip("\n").split("\n")
        assert buffer.startswith("LINE="), text
        return buffer.removeprefix("LINE="), [word for word in offered if word]

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


BASH_SETUP = """\
source {script}
_record() {{
    _rideinfra
    [ ${{#COMPREPLY[@]}} -gt 0 ] && printf '%s\\n' "${{COMPREPLY[@]}}" >> {record}
}}
complete -F _record rideinfra
rideinfra_test_line() {{
    printf 'LINE=%s\\n{end}\\n' "$READLINE_LINE" >> {record}
    READLINE_LINE=""
}}
bind -x '"\\C-x": rideinfra_test_line'
bind 'set completion-query-items 0'
bind 'set page-completions off'
bind 'set bell-style none'
echo READY >> {record}
"""

ZSH_SETUP = """\
fpath=({functions} $fpath)
autoload -Uz compinit && compinit -u -D
LISTMAX=1000
compadd() {{
    if [[ " ${{(j: :)@}} " == *\\ -[OAD]\\ * ]]; then builtin compadd "$@"; return; fi
    local -a __offered
    builtin compadd -A __offered "$@"
    (( ${{#__offered}} )) && print -rl -- "${{__offered[@]}}" >> {record}
    builtin compadd "$@"
}}
rideinfra_test_line() {{
    print -r -- "LINE=$BUFFER" >> {record}
    print -r -- '{end}' >> {record}
    BUFFER=""
}}
zle -N rideinfra_test_line
bindkey "^X" rideinfra_test_line
print READY >> {record}
"""


@pytest.fixture(scope="module", name="bash")
def _bash(project: Path) -> Iterator[PtyShell]:
    path = project / "rideinfra.bash"
    path.write_text(script("bash"))
    record = project / "bash.record"
    setup = BASH_SETUP.format(script=path, record=record, end=END)
    shell = PtyShell(["bash", "--norc", "--noprofile", "-i"], setup, record, shell_env(project))
    yield shell
    shell.close()


@pytest.fixture(scope="module", name="zsh")
def _zsh(project: Path) -> Iterator[PtyShell]:
    if shutil.which("zsh") is None:
        pytest.skip("zsh is not installed")
    functions = project / "zfunc"
    functions.mkdir()
    (functions / "_rideinfra").write_text(script("zsh"))
    record = project / "zsh.record"
    setup = ZSH_SETUP.format(functions=functions, record=record, end=END)
    shell = PtyShell(["zsh", "-f", "-i"], setup, record, shell_env(project))
    yield shell
    shell.close()


def fish(project: Path, *lines: str, **env: str) -> list[list[str]]:
    """What fish's `complete -C LINE` offers for each line (words only)."""
    if shutil.which("fish") is None:
        pytest.skip("fish is not installed")
    path = project / "rideinfra.fish"
    path.write_text(script("fish"))
    query = f"source {path}; for line in $argv; complete -C $line; echo '{END}'; end"
    proc = subprocess.run(
        ["fish", "--no-config", "-c", query, *lines],
        capture_output=True,
        text=True,
        check=True,
        cwd=project,
        env=shell_env(project, **env),
    )
    answers = proc.stdout.split(END + "\n")[: len(lines)]
    return [[row.split("\t")[0] for row in answer.splitlines()] for answer in answers]


COMMANDS = [
    "fetch",
    "seed",
    "explain",
    "diff",
    "check",
    "schema",
    "render",
    "demo",
    "run",
    "watch",
    "completion",
    "help",
    "version",
]
# (line typed, what every shell must offer, exactly)
OFFERS = [
    ("rideinfra ", COMMANDS),
    ("rideinfra fe", ["fetch"]),
    ("rideinfra fetch --dr", ["--dry-run"]),
    ("rideinfra fetch --log-level ", ["DEBUG", "INFO", "WARNING", "ERROR"]),
    ("rideinfra fetch --log-format ", ["text", "json"]),
    ("rideinfra render ", ["k8s", "iam", "helm-values"]),
    ("rideinfra render k8s --auth s", ["secret-ref", "service-account"]),
    ("rideinfra completion ", ["bash", "zsh", "fish"]),
    ("rideinfra fetch --format ", list(FORMATS)),
    ("rideinfra fetch --profile ", ["web", "worker", "monitoring"]),
    ("rideinfra diff --profile w", ["web", "worker"]),
    ("rideinfra explain ", ["web", "worker", "monitoring"]),
    ("rideinfra fetch --config other.yaml --profile ", ["alpha", "beta", "gamma"]),
    ("rideinfra check --config=other.yaml --profile ", ["alpha", "beta", "gamma"]),
    ("rideinfra fetch --config broken.yaml --profile ", []),
    ("rideinfra help ", COMMANDS),
    ("rideinfra help render ", ["k8s", "iam", "helm-values"]),
    ("rideinfra explain --source ", ["file:", "directory:", "env", "aws"]),
]
# (line typed, the line after one TAB): a unique offer is inserted whole.
INSERTED = [
    ("rideinfra fe", "rideinfra fetch "),
    ("rideinfra fetch --dr", "rideinfra fetch --dry-run "),
    ("rideinfra fetch --log-level WA", "rideinfra fetch --log-level WARNING "),
    ("rideinfra fetch --format=co", "rideinfra fetch --format=compose "),
    ("rideinfra render k", "rideinfra render k8s "),
    ("rideinfra explain mon", "rideinfra explain monitoring "),
    ("rideinfra fetch --config oth", "rideinfra fetch --config other.yaml "),
    ("rideinfra fetch --out out", "rideinfra fetch --out outdir/"),
]


def sort(words: list[str]) -> list[str]:
    return sorted(set(words))


class TestBash:
    @pytest.mark.parametrize(("line", "offered"), OFFERS)
    def test_offers(self, bash: PtyShell, line: str, offered: list[str]) -> None:
        """Readline calls the function; COMPREPLY holds exactly the expected words."""
        _, words = bash.tab(line)
        assert sort(words) == sort(offered)

    @pytest.mark.parametrize(("line", "after"), INSERTED)
    def test_unique_offer_is_inserted(self, bash: PtyShell, line: str, after: str) -> None:
        """TAB leaves the line completed, `--format=` and directories included."""
        assert bash.tab(line)[0] == after


class TestZsh:
    @pytest.mark.parametrize(("line", "offered"), OFFERS)
    def test_offers(self, zsh: PtyShell, line: str, offered: list[str]) -> None:
        """zle's completion system calls `_rideinfra`; these are the words it adds."""
        _, words = zsh.tab(line)
        assert sort(words) == sort(offered)

    @pytest.mark.parametrize(("line", "after"), INSERTED)
    def test_unique_offer_is_inserted(self, zsh: PtyShell, line: str, after: str) -> None:
        """TAB leaves the line completed."""
        assert zsh.tab(line)[0] == after


class TestFish:
    def test_offers(self, project: Path) -> None:
        """`complete -C` offers exactly the expected words for every line."""
        answers = fish(project, *(line for line, _ in OFFERS))
        for (line, offered), got in zip(OFFERS, answers, strict=True):
            assert sort(got) == sort(offered), line

    def test_values_after_equals_and_paths(self, project: Path) -> None:
        """`--format=co` keeps its option; --config and --out complete paths."""
        got = fish(
            project,
            "rideinfra fetch --format=co",
            "rideinfra fetch --config oth",
            "rideinfra fetch --out out",
        )
        assert got == [["--format=compose"], ["other.yaml"], ["outdir/"]]

    def test_rideinfra_config_names_the_config(self, project: Path) -> None:
        """Without --config, RIDEINFRA_CONFIG is the config the names come from."""
        got = fish(project, "rideinfra fetch --profile ", RIDEINFRA_CONFIG="other.yaml")
        assert sort(got[0]) == ["alpha", "beta", "gamma"]


class TestCompleteCommand:
    """`rideinfra __complete`, the part the scripts share."""

    def test_a_broken_config_offers_nothing_and_says_nothing(self, project: Path) -> None:
        """Exit 0, the directive alone, an empty stderr: a TAB never prints an error."""
        for config in ("broken.yaml", "missing.yaml", "outdir"):
            words = ["fetch", "--config", config, "--profile", ""]
            proc = subprocess.run(
                [sys.executable, "-m", "rideinfra.cli", "__complete", *words],
                capture_output=True,
                text=True,
                cwd=project,
                env=shell_env(project),
                check=False,
            )
            assert (proc.returncode, proc.stdout, proc.stderr) == (0, "words\n", "")

    def test_paths_are_left_to_the_shell(self) -> None:
        """--config and --spec are files, --out a directory."""
        root = cli.build_parser()
        assert complete(root, ["fetch", "--config", "x"], {}).directive == "files"
        assert complete(root, ["seed", "--spec=x"], {}).directive == "files"
        assert complete(root, ["diff", "--out", ""], {}).directive == "dirs"

    def test_hidden_entry_is_not_a_command(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`__complete` is not listed: not in --help, not among the offers."""
        offered = [word for word, _ in complete(cli.build_parser(), [""], {}).candidates]
        assert "__complete" not in offered
        with pytest.raises(SystemExit):
            cli.main(["--help"], {})
        assert "__complete" not in capsys.readouterr().out

    def test_fast(self, project: Path) -> None:
        """A TAB that reads the config takes well under a second of CPU.

        CPU time, not wall time: the wall time is the machine's load (the
        suite runs two workers a core, beside whatever else runs), and a
        1.5 s wall-clock bound failed under load while the process itself
        needed 0.3 s.
        """
        proc = subprocess.Popen(
            [sys.executable, "-m", "rideinfra.cli", "__complete", "fetch", "--profile", ""],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=project,
            env=shell_env(project),
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        assert proc.returncode == 0
        assert usage.ru_utime + usage.ru_stime < 1.0

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(
            st.sampled_from(
                [
                    *COMMANDS,
                    "k8s",
                    "iam",
                    "--config",
                    "--config=",
                    "--profile",
                    "--format=",
                    "--out",
                    "-q",
                    "-v",
                    "--",
                    "-",
                    "=",
                    "",
                    "x",
                    "--log-level",
                    "web",
                    ":",
                ]
            )
            | st.text(max_size=8),
            max_size=6,
        )
    )
    def test_any_words_get_an_answer(self, words: list[str]) -> None:
        """Whatever the line holds, `complete` answers with a known directive, never raises."""
        answer = complete(ROOT, words, {"RIDEINFRA_CONFIG": "/nonexistent"})
        assert answer.directive in {"words", "files", "dirs"}
        assert all("\n" not in word and "\t" not in word for word, _ in answer.candidates)
