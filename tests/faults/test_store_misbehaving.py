"""A store that answers, but not like Secrets Manager: foreign text, endless pages, trickles.

Everything runs for real: `fetch.main` (or a child process) against moto over
HTTP, through the fault proxy, which here rewrites or slows moto's answers
or sends pages a proxy or a broken endpoint would send. Foreign text (a
server's message or body, an endpoint URL) must reach the one error line as
one bounded line with braces intact and control characters escaped; a fetch
must end, by its pagination bound or by its deadline, with exit 1 and
nothing written.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.exceptions import InternalServerError, NotFound

from faults.kit import (
    Run,
    aws_environ,
    previous_set,
    run_fetch,
    snapshot,
    write_config,
)
from rideinfra.errors import FOREIGN_LIMIT, SourceError
from rideinfra.secrets import SecretsManagerSource, aws
from support.moto import MotoEndpoint
from support.proxy import Fault, FaultProxy

pytestmark = pytest.mark.faults

STORE = {
    "app/db": {"DB_PASSWORD": "Pw-5e1d0c2b9a8f7e"},
    "app/cache": {"CACHE_TOKEN": "Ck-0a9b8c7d6e5f4a"},
}
VALUES = [value for fields in STORE.values() for value in fields.values()]
PROFILES = {"core": ["app/db", "app/cache"]}
#: moto's own answers to a request that fails inside it, or to an unknown path.
HTML_500 = InternalServerError().get_body().encode()
HTML_404 = NotFound().get_body().encode()
BRACES = "upstream said {code: 7} for {0} {op} %s %(x)s"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Bench:
    """The proxy in front of moto holding STORE, and how to run a fetch through it."""

    proxy: FaultProxy
    aws_env: dict[str, str]
    tmp: Path
    capsys: pytest.CaptureFixture[str]

    @property
    def out(self) -> Path:
        return self.tmp / "out"

    def fetch(self, url: str | None = None, **source: Any) -> Run:
        """`fetch.main` with one attempt per request (the faults here are not transient)."""
        config = write_config(
            self.tmp / "rideinfra.yaml",
            PROFILES,
            source={"type": "aws-secretsmanager", "max_attempts": 1, **source},
        )
        argv = ["--config", str(config), "--out", str(self.out), "--log-format", "json"]
        return run_fetch(self.capsys, argv, aws_environ(self.aws_env, url or self.proxy.url))


@pytest.fixture(name="bench")
def _bench(
    sm: MotoEndpoint,
    proxy: FaultProxy,
    aws_env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Bench:
    sm.seed(STORE)
    proxy.reset()
    return Bench(proxy, aws_env, tmp_path, capsys)


def one_error_line(run: Run) -> str:
    """The run failed with exit 1 and exactly one error record, a single line, no value."""
    assert run.code == 1, run.err
    (line,) = run.error_lines()
    assert "internal error" not in run.err
    assert "\n" not in line
    assert [value for value in VALUES if value in run.err + run.out] == []
    return line


# name -> (the fault on every request, words the error line must hold)
FOREIGN_TEXT: dict[str, tuple[Fault, tuple[str, ...]]] = {
    "AWS error with braces in its message": (
        Fault.aws("InternalFailure", status=400, message=BRACES),
        ("InternalFailure", BRACES),
    ),
    "moto's HTML 500 page": (
        Fault.body(500, HTML_500),
        ("BatchGetSecretValue failed", "500", "Internal Server Error"),
    ),
    "an HTML 404 page": (
        Fault.body(404, HTML_404),
        ("BatchGetSecretValue failed", "404", "Not Found"),
    ),
    "a message with newlines and ESC": (
        Fault.aws("Odd", message="first\nlevel=error forged line\x1b[2J\u202e"),
        ("first level=error forged line\\x1b[2J\\u202e",),
    ),
    "a 20,000-character message": (
        Fault.aws("Long", message="x" * 20_000),
        ("more characters)",),
    ),
}


class TestForeignText:
    @pytest.mark.parametrize(
        ("fault", "words"), FOREIGN_TEXT.values(), ids=list(FOREIGN_TEXT.keys())
    )
    def test_store_errors_are_one_bounded_line(
        self, bench: Bench, fault: Fault, words: tuple[str, ...]
    ) -> None:
        """A failing call's text: exit 1, one line, braces literal, escapes, bounded, no value."""
        before = previous_set(bench.out)
        bench.proxy.on(dict.fromkeys(range(1, 20), fault))
        run = bench.fetch()
        line = one_error_line(run)
        for word in words:
            assert word in line
        assert len(line) < 400 + FOREIGN_LIMIT
        assert "\x1b" not in run.err
        assert snapshot(bench.out) == before

    def test_per_secret_error_with_braces(self, bench: Bench) -> None:
        """A batch answer's per-secret error message is foreign text (it was a format string)."""

        def fail_cache(answer: dict[str, Any]) -> dict[str, Any]:
            kept = [v for v in answer["SecretValues"] if v["Name"] != "app/cache"]
            error = {"SecretId": "app/cache", "ErrorCode": "NewError", "Message": BRACES}
            return {**answer, "SecretValues": kept, "Errors": [error]}

        bench.proxy.on({1: Fault.rewritten(fail_cache)})
        line = one_error_line(bench.fetch())
        assert line == f"secret 'app/cache': NewError: {BRACES}"

    @pytest.mark.parametrize("endpoint", ["down", "404 path"])
    def test_braces_in_the_endpoint_url(self, bench: Bench, endpoint: str) -> None:
        """An endpoint URL holding `{x}`, quoted by botocore's message, is not a format string."""
        url = f"http://127.0.0.1:{free_port()}/{{x}}"
        if endpoint == "404 path":
            url = f"{bench.proxy.url}/{{x}}"
            bench.proxy.on(dict.fromkeys(range(1, 20), Fault.body(404, HTML_404)))
        line = one_error_line(bench.fetch(url))
        assert "/{x}" in line


def endless(answer: dict[str, Any]) -> dict[str, Any]:
    """Moto's answer plus a fresh NextToken, every time."""
    return {**answer, "NextToken": uuid.uuid4().hex}


def dribble(answer: dict[str, Any]) -> dict[str, Any]:
    """One answer at most, then empty pages, each with a fresh NextToken."""
    first = answer.get("SecretValues", [])[:1]
    return {"SecretValues": first, "Errors": [], "NextToken": uuid.uuid4().hex}


def empty(answer: dict[str, Any]) -> dict[str, Any]:
    return {"SecretValues": [], "Errors": [], "NextToken": uuid.uuid4().hex}


def unasked(answer: dict[str, Any]) -> dict[str, Any]:
    """The first secret asked, then a flood of answers for secrets nobody asked for."""
    first = answer.get("SecretValues", [])[:1]
    strangers = [{**first[0], "Name": f"other/{n}", "ARN": f"arn:x:{n}"} for n in range(30)]
    return {"SecretValues": first + strangers, "Errors": [], "NextToken": uuid.uuid4().hex}


# name -> (rewrite of the first answer, of the later ones, words in the error line)
PAGINATION = {
    "one answer, then empty pages": (dribble, empty, "the last page adding none"),
    "only empty pages": (empty, empty, "the last page adding none"),
    "more answers than asked": (unasked, empty, "past what was asked"),
}


class TestFetchEnds:
    @pytest.mark.parametrize(
        ("first", "later", "words"), PAGINATION.values(), ids=list(PAGINATION.keys())
    )
    def test_pagination_is_bounded_by_what_was_asked(
        self, bench: Bench, first: Any, later: Any, words: str
    ) -> None:
        """A store that always says NextToken: exit 1 after 2 requests, not 1,137 a minute."""
        before = previous_set(bench.out)
        bench.proxy.rule = lambda number, action: Fault.rewritten(first if number == 1 else later)
        run = bench.fetch()
        line = one_error_line(run)
        assert "BatchGetSecretValue kept paginating" in line
        assert words in line
        assert bench.proxy.count("BatchGetSecretValue") <= 2
        assert run.seconds < 10
        assert snapshot(bench.out) == before

    def test_a_token_after_every_answer_is_not_followed(self, bench: Bench) -> None:
        """Every id answered, yet a NextToken: done after 1 request, nothing more to ask."""
        bench.proxy.rule = lambda number, action: Fault.rewritten(endless)
        run = bench.fetch()
        assert run.code == 0, run.err
        assert bench.proxy.count("BatchGetSecretValue") == 1

    def test_a_trickled_answer_ends_at_the_deadline(
        self, bench: Bench, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A byte every 0.2 s never trips the read timeout; the fetch deadline ends it: exit 1."""
        monkeypatch.setattr(aws, "DEFAULT_DEADLINE", 1.0)
        before = previous_set(bench.out)
        bench.proxy.on({1: Fault.trickle(0.2, seconds=8)})
        run = bench.fetch(read_timeout=2)
        line = one_error_line(run)
        assert "did not finish within the fetch deadline of 1 s" in line
        assert 0.9 < run.seconds < 4
        assert snapshot(bench.out) == before

    def test_the_library_raises_deadline_exceeded(self, bench: Bench) -> None:
        """`deadline=` on the source: a SourceError with code DeadlineExceeded, on time."""
        bench.proxy.on({1: Fault.trickle(0.2, seconds=8)})
        source = SecretsManagerSource(endpoint_url=bench.proxy.url, environ={}, deadline=1.0)
        started = time.monotonic()
        with pytest.raises(SourceError) as info:
            source.fetch_many(["app/db", "app/cache"])
        assert info.value.code == "DeadlineExceeded"
        assert time.monotonic() - started < 3
        bench.proxy.reset()  # and the source still works afterwards
        assert sorted(source.fetch_many(["app/db", "app/cache"])) == ["app/cache", "app/db"]

    def test_a_real_process_exits_at_the_deadline(self, bench: Bench) -> None:
        """The request thread still reading is a daemon: the process exits at the deadline."""
        store = bench.proxy
        aws_env = bench.aws_env
        store.on({1: Fault.trickle(0.2, seconds=20)})
        script = textwrap.dedent(
            f"""
            from rideinfra.errors import SourceError
            from rideinfra.secrets import SecretsManagerSource
            source = SecretsManagerSource(endpoint_url={store.url!r}, deadline=1.0)
            try:
                source.fetch_many(["app/db"])
            except SourceError as exc:
                raise SystemExit(f"{{exc.code}}: {{exc}}")
            """
        )
        child = run_python(script, aws_environ(aws_env, store.url))
        assert child.code == 1
        assert child.err.startswith("DeadlineExceeded: ")
        assert child.seconds < 6
        assert json.dumps(VALUES[0]) not in child.err


def run_python(script: str, env: dict[str, str]) -> Run:
    """`python -c script` in a child process."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)
