"""Developer tasks: `nox -s tests long lint typecheck docs` is what CI runs."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["tests", "long", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = ["3.11"]


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole test suite (pass pytest arguments after --)."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHON)
def long(session: nox.Session) -> None:
    """The tests marked `long`, which the default run leaves out (CI runs them)."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", "-m", "long", *session.posargs)


@nox.session(python=PYTHON)
def faults(session: nox.Session) -> None:
    """Only the fault-injection and bad-input catalogue."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", "-m", "faults", *session.posargs)


#: LocalStack in a venv of its own: its pins must not reach the dev environment.
LOCALSTACK = (
    "localstack-core[runtime]==4.14.0",
    "cbor2<5.7",
    "pyopenssl==24.2.1",
    "cryptography<44",
    "service_identity<24.2",
)


@nox.session(python=PYTHON)
def localstack(session: nox.Session) -> None:
    """The Secrets Manager and Parameter Store tests against LocalStack (and moto beside it)."""
    session.install("-e", ".[dev]")
    venv = Path(session.create_tmp()) / "localstack-venv"
    if not (venv / "bin" / "python").exists():
        session.run("python", "-m", "venv", str(venv))
        session.run(str(venv / "bin" / "pip"), "install", "-q", *LOCALSTACK, external=True)
    session.env["RIDEINFRA_LOCALSTACK_PYTHON"] = str(venv / "bin" / "python")
    session.run("python", "-m", "pytest", "tests/stores", "-m", "localstack", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "src", "tests", "bench", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "bench", "noxfile.py")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    session.install("-e", ".[dev]")
    session.run("mypy", "--strict", "src")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site; warnings (broken links, bad references) fail it."""
    session.install("-e", ".[docs]")
    session.env["NO_MKDOCS_2_WARNING"] = "1"
    session.run("mkdocs", "build", "--strict", "--site-dir", str(session.create_tmp() + "/site"))


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """The benchmark suite; rewrites docs/benchmarks.md and docs/img/bench-*.png.

    The peers and the plotting library are installed here only, never as
    project dependencies. Pass --quick after -- for a shorter run;
    `-- --only peer [--quick]` measures section 9 alone (rideinfra against the
    best hand-written script, bench/peer.py) and merges it into the saved run.
    """
    session.install(
        "-e",
        ".[dev]",
        "matplotlib",
        "aws-secretsmanager-caching==1.2.0",
        "aws-lambda-powertools==3.37.0",
    )
    session.run("python", "bench/run.py", *session.posargs)


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The README's main job: seed an embedded Secrets Manager and fetch from it."""
    session.install("-e", ".[local]")
    session.run("rideinfra", "demo", *session.posargs)
