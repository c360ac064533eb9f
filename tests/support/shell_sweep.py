"""Source env files in real shells and report everything the file changed.

`sweep(files, shell)` sources each file with `set -a; . file; set +a` in its
own subshell and records, before and after, the shell's `set` listing (every
shell variable) and `/usr/bin/env -0` (every exported one), plus stderr and
the status. `judge` compares them with a control run (a file setting a
harmless variable), so that what a shell changes on its own between two
listings (RANDOM, LINENO, `_` ...) is not blamed on the file.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from support.shell_specials import ZSH_TIED

__all__ = ["CONTROL_NAME", "SWEEP_SHELLS", "Observation", "judge", "sweep"]

#: Shells a `shell` or `env` file is sourced by: (argv prefix).
SWEEP_SHELLS: Mapping[str, tuple[str, ...]] = {
    "dash": ("dash",),
    "bash": ("bash",),
    "bash-posix": ("bash", "--posix"),
    "zsh": ("zsh",),
}

#: A name no shell knows, set by the control files.
CONTROL_NAME = "RIDEINFRA_SWEEP_CONTROL"

_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/nonexistent/sweep-home"}

# Absolute paths and quoted redirections only: the file may have changed PATH or IFS.
_DRIVER = r"""
for f in "$@"; do
  (
    set >"$f.set0"
    /usr/bin/env -0 >"$f.env0"
    set -a
    . "$f" || exit 97
    set +a
    set >"$f.set1"
    exec /usr/bin/env -0 >"$f.env1"
  ) 2>"$f.err"
  printf '%s\n' "$?" >"$f.rc"
done
"""

# One entry of `set`'s listing starts a line with NAME= (zsh quotes odd names,
# '#'=0, and lists some special parameters by name alone, without a value).
_ENTRY = re.compile(r"^('[^'\n]*'|[^\s=']+)(?:=|$)", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class Observation:
    """What sourcing one file did in one shell."""

    status: int
    stderr: str
    set_before: Mapping[str, str]
    set_after: Mapping[str, str]
    env_before: Mapping[str, str]
    env_after: Mapping[str, str]


def _set_entries(text: str) -> dict[str, str]:
    starts = list(_ENTRY.finditer(text))
    entries = {}
    for match, following in zip(starts, [*starts[1:], None], strict=False):
        end = following.start() if following else len(text)
        entries[match.group(1).strip("'")] = text[match.end() : end]
    return entries


def _env_entries(data: bytes) -> dict[str, str]:
    out = {}
    for entry in data.split(b"\0"):
        if entry:
            key, _, value = entry.partition(b"=")
            out[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
    return out


def sweep(files: Sequence[Path], shell: str) -> list[Observation]:
    """Source each file in its own subshell of `shell` (a key of SWEEP_SHELLS)."""
    argv = [*SWEEP_SHELLS[shell], "-c", _DRIVER, "sweep", *map(os.fspath, files)]
    with tempfile.TemporaryDirectory(prefix="rideinfra-sweep-") as cwd:
        proc = subprocess.run(
            argv, env=_ENV, cwd=cwd, capture_output=True, timeout=300, check=False
        )
    if proc.returncode != 0 or proc.stderr:
        raise RuntimeError(f"{shell} sweep driver failed: {proc.stderr[:500]!r}")
    observations = []
    for path in files:
        base = os.fspath(path)

        def take(suffix: str, base: str = base) -> bytes:
            part = Path(base + suffix)
            data = part.read_bytes() if part.exists() else b""
            part.unlink(missing_ok=True)
            return data

        observations.append(
            Observation(
                status=int(take(".rc") or b"-1"),
                stderr=take(".err").decode(errors="replace"),
                set_before=_set_entries(take(".set0").decode(errors="replace")),
                set_after=_set_entries(take(".set1").decode(errors="replace")),
                env_before=_env_entries(take(".env0")),
                env_after=_env_entries(take(".env1")),
            )
        )
    return observations


def _changed(before: Mapping[str, str], after: Mapping[str, str]) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


#: Parameters the shells derive from the clock or a random source: they may
#: change between two listings in any run, even when no control run saw it.
VOLATILE = frozenset({"SECONDS", "EPOCHSECONDS", "EPOCHREALTIME", "RANDOM", "SRANDOM", "TTYIDLE"})


def natural_changes(controls: Sequence[Observation]) -> tuple[set[str], set[str]]:
    """(set, env) names that change between two listings in a run that sets only CONTROL_NAME."""
    in_set: set[str] = set(VOLATILE)
    in_env: set[str] = set()
    for seen in controls:
        if seen.status != 0 or seen.stderr:
            raise RuntimeError(f"the control file failed: {seen.status} {seen.stderr[:300]}")
        in_set |= _changed(seen.set_before, seen.set_after)
        in_env |= _changed(seen.env_before, seen.env_after)
    return in_set - {CONTROL_NAME}, in_env - {CONTROL_NAME}


def judge(
    name: str, value: str, seen: Observation, natural: tuple[set[str], set[str]]
) -> str | None:
    """None when the file set `name` to `value`, exported, and changed nothing else; else why."""
    if seen.status != 0:
        return f"status {seen.status}: {seen.stderr.strip()[:200]}"
    if seen.stderr:
        return f"stderr: {seen.stderr.strip()[:200]}"
    if seen.env_after.get(name) != value:
        return f"not exported as written (env shows {seen.env_after.get(name, '<unset>')!r})"
    natural_set, natural_env = natural
    same = {name} | ZSH_TIED.get(name, frozenset())
    others_env = _changed(seen.env_before, seen.env_after) - natural_env - same
    if others_env:
        return f"also changed in the environment: {sorted(others_env)}"
    others_set = _changed(seen.set_before, seen.set_after) - natural_set - same
    if others_set:
        return f"also changed shell variables: {sorted(others_set)}"
    return None
