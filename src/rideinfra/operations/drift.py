"""What a fetch would change, and where the store and the config disagree. Names only.

`diff_files` compares the files a fetch would write with those on disk,
variable by variable. `check_store` compares the store with the config:
secrets it lacks, fields a transform expects but a secret lacks, and secrets
under the config's prefix that no profile uses.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

import attrs
import yaml

from rideinfra.errors import ConfigError, RideinfraError
from rideinfra.profiles.model import Config, Env
from rideinfra.profiles.resolve import resolve_profile
from rideinfra.secrets.base import SecretSource
from rideinfra.secrets.envfile import parse_env_file
from rideinfra.secrets.model import MASK
from rideinfra.secrets.transforms import entries_from_secret

__all__ = [
    "CheckReport",
    "FileDiff",
    "ListableSource",
    "check_store",
    "diff_files",
    "mask_tail",
]

FileState = Literal["new", "changed", "unchanged"]


def mask_tail(value: str, keep: int = 2) -> str:
    """Mask all but the last `keep` characters; a value too short for that is masked whole."""
    if len(value) < 3 * keep:
        return MASK
    return "*" * 8 + value[-keep:]


@attrs.frozen
class FileDiff:
    """One file: is it new, changed or unchanged, and which variables differ."""

    file: str
    state: FileState
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    #: False when the file on disk could not be read as variables (then only `state` is known).
    detailed: bool = True
    #: Masked old -> new values per changed variable; only with `show_values`.
    shown: Mapping[str, tuple[str, str]] = attrs.field(factory=dict, repr=False)


def _old_variables(path: Path, extension: str) -> dict[str, str] | None:
    """The variables of a file we wrote earlier, or None when it cannot be read back."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        if extension == ".json":
            data = json.loads(text)
        elif extension == ".yaml":
            data = (yaml.safe_load(text) or {}).get("stringData")
        else:
            data = parse_env_file(text, file=str(path))
    except (ValueError, ConfigError, yaml.YAMLError, AttributeError):
        return None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        return None
    return {str(k): v for k, v in data.items()}


def diff_files(
    directory: str | os.PathLike[str],
    envs: Mapping[str, Env],
    files: Mapping[str, bytes],
    *,
    extension: str,
    show_values: bool = False,
) -> list[FileDiff]:
    """Compare the rendered `files` (one per profile of `envs`) with the directory.

    Args:
        directory: the output directory (read through the public file names).
        envs: profile -> its new Env.
        files: file name -> new bytes, as the fetch would write them.
        extension: the format's file extension (`.env`, `.json`, `.yaml`).
        show_values: add masked old and new values (all but the last 2 characters).
    """
    out: list[FileDiff] = []
    base = Path(directory)
    for profile, env in envs.items():
        name = f"{profile}{extension}"
        path = base / name
        new = {key: value.reveal() for key, value in env.items()}
        if not path.exists():
            out.append(FileDiff(name, "new", added=tuple(sorted(new))))
            continue
        if path.read_bytes() == files[name]:
            out.append(FileDiff(name, "unchanged"))
            continue
        old = _old_variables(path, extension)
        if old is None:
            out.append(FileDiff(name, "changed", detailed=False))
            continue
        changed = tuple(sorted(k for k in new.keys() & old.keys() if new[k] != old[k]))
        shown = {k: (mask_tail(old[k]), mask_tail(new[k])) for k in changed} if show_values else {}
        out.append(
            FileDiff(
                name,
                "changed",
                added=tuple(sorted(new.keys() - old.keys())),
                removed=tuple(sorted(old.keys() - new.keys())),
                changed=changed,
                shown=shown,
            )
        )
    return out


@runtime_checkable
class ListableSource(Protocol):
    """A source that can list the secret names under a prefix (Secrets Manager can)."""

    def list_names(self, prefix: str) -> list[str]:
        """Names of the secrets whose name starts with `prefix`."""
        ...


@attrs.frozen
class CheckReport:
    """Store vs config. `ok` when nothing is missing and nothing is unused."""

    missing_secrets: tuple[tuple[str, str], ...]
    problems: tuple[tuple[str, str], ...]
    unused: tuple[str, ...]
    prefix: str | None

    @property
    def ok(self) -> bool:
        """True when the store has everything the config needs and nothing unused."""
        return not (self.missing_secrets or self.problems or self.unused)


def common_prefix(names: Sequence[str]) -> str | None:
    """The shared path prefix of secret names up to a `/` (`rideshare/`), if any."""
    # Character-wise on purpose: secret names are not file paths; we cut at the last '/'.
    prefix = os.path.commonprefix(list(names))  # noqa: RUF071
    cut = prefix.rfind("/")
    return prefix[: cut + 1] if cut > 0 else None


def check_store(
    config: Config,
    source: SecretSource,
    *,
    profiles: Sequence[str] | None = None,
    prefix: str | None = None,
) -> CheckReport:
    """Collect every disagreement between the store and the config, not just the first.

    Args:
        config: the loaded config.
        source: the store; unused secrets are listed only if it is a ListableSource.
        profiles: the profiles to check (default: all).
        prefix: where to look for unused secrets (default: the configured
            names' common `a/b/` prefix; none when they share none).
    """
    chosen = config.select(profiles)
    names = config.secret_names(chosen)
    fetched = source.fetch_many(names)
    missing = tuple((name, str(error)) for name, error in fetched.errors.items())
    problems: dict[tuple[str, str], None] = {}
    for profile in chosen:
        clean = True
        for ref in profile.secrets:
            if ref.name not in fetched:
                clean = False  # already reported as a missing secret
                continue
            try:
                config.pipeline(ref)(entries_from_secret(fetched[ref.name]))
            except RideinfraError as exc:
                problems[(profile.name, str(exc))] = None
                clean = False
        if clean:  # each use maps cleanly; what is left is collisions and keys
            try:
                resolve_profile(config, profile, fetched)
            except RideinfraError as exc:
                problems[(profile.name, str(exc))] = None
    used = config.secret_names(config.select())
    look = prefix if prefix is not None else common_prefix(used)
    unused: tuple[str, ...] = ()
    if look and isinstance(source, ListableSource):
        unused = tuple(sorted(set(source.list_names(look)) - set(used)))
    return CheckReport(missing, tuple(problems), unused, look)


# The diff operation (`rideinfra diff`): fetch, render and compare in one call.

if TYPE_CHECKING:
    from rideinfra.render import OutputFormat

__all__ += ["diff_output"]


def diff_output(
    config: Config,
    source: SecretSource,
    out: str | os.PathLike[str],
    *,
    profiles: Sequence[str] | None = None,
    output_format: OutputFormat | None = None,
    show_values: bool = False,
) -> list[FileDiff]:
    """What a fetch into `out` would change, per file and variable; writes nothing.

    Args:
        config: the loaded config.
        source: where the secrets are read.
        out: the output directory to compare with.
        profiles: the profiles to compare (default: all).
        output_format: default: the config's `output.format`.
        show_values: add masked old and new values (all but the last 2 characters).

    Raises:
        RideinfraError: a secret could not be read, transformed or rendered.
    """
    from rideinfra.operations.fetch import render_files
    from rideinfra.profiles.resolve import resolve
    from rideinfra.render import get_format

    fmt = output_format or get_format(config.output.format)
    envs = resolve(config, source, profiles=list(profiles) if profiles is not None else None)
    files = render_files(envs, fmt)
    return diff_files(out, envs, files, extension=fmt.extension, show_values=show_values)
