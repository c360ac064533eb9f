"""What a fetch would change, and where the store and the config disagree. Names only.

`diff_files` compares the files a fetch would write with those on disk,
variable by variable. `check_store` compares the store with the config:
secrets it lacks, fields a transform expects but a secret lacks, and secrets
under the config's prefix that no profile uses.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

import yaml

from rideinfra._record import Record
from rideinfra.errors import ConfigError, RideinfraError, SecretFormatError
from rideinfra.profiles.model import Config, Env
from rideinfra.profiles.resolve import fetch_secrets, resolve_profile
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

log = logging.getLogger("rideinfra.diff")


def mask_tail(value: str, keep: int = 2) -> str:
    """Mask all but the last `keep` characters; a value too short for that is masked whole."""
    if len(value) < 3 * keep:
        return MASK
    return "*" * 8 + value[-keep:]


class FileDiff(Record):
    """One file: is it new, changed or unchanged, and which variables differ.

    Attributes:
        file: the file's name.
        state: `new`, `changed` or `unchanged`.
        added: variables only the new file has.
        removed: variables only the old file has.
        changed: variables whose value differs.
        detailed: False when the file on disk could not be read as variables
            (then only `state` is known).
        shown: masked old and new values per added, removed or changed variable
            ("" for none: an added variable has no old value); only with
            `show_values`. Left out of the repr.
        mode: the file's mode now and as a fetch would write it, when they differ (`0644`).
    """

    __slots__ = ("file", "state", "added", "removed", "changed", "detailed", "shown", "mode")
    _hidden = frozenset({"shown"})
    file: str
    state: FileState
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    detailed: bool
    shown: Mapping[str, tuple[str, str]]
    mode: tuple[str, str] | None

    def __init__(
        self,
        file: str,
        state: FileState,
        added: tuple[str, ...] = (),
        removed: tuple[str, ...] = (),
        changed: tuple[str, ...] = (),
        detailed: bool = True,
        shown: Mapping[str, tuple[str, str]] | None = None,
        mode: tuple[str, str] | None = None,
    ) -> None:
        self._init(
            file=file,
            state=state,
            added=added,
            removed=removed,
            changed=changed,
            detailed=detailed,
            shown={} if shown is None else shown,
            mode=mode,
        )


def _old_variables(content: bytes, path: str, extension: str) -> dict[str, str] | None:
    """The variables of a file we wrote earlier, or None when it cannot be read back."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        if extension == ".json":
            data = json.loads(text)
        elif extension == ".yaml":
            data = (yaml.safe_load(text) or {}).get("stringData")
        else:
            data = parse_env_file(text, file=path)
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
    file_mode: int = 0o600,
    show_values: bool = False,
) -> list[FileDiff]:
    """Compare the rendered `files` (one per profile of `envs`) with the directory.

    The files on disk are read as the writer reads them (`read_output`: no
    symlink it did not make is followed, no FIFO is opened) and "changed"
    means what it means to the writer: other bytes, or another mode.

    Args:
        directory: the output directory.
        envs: profile -> its new Env.
        files: file name -> new bytes, as the fetch would write them.
        extension: the format's file extension (`.env`, `.json`, `.yaml`).
        file_mode: the mode a fetch would give the files (`output.file_mode`).
        show_values: add masked old and new values (all but the last 2 characters).

    Raises:
        WriteError: a name in the directory is something the writer would
            refuse (a planted symlink, a FIFO); the message names it.
    """
    from rideinfra.render.write import read_output

    on_disk = read_output(directory, files, file_mode=file_mode)
    out: list[FileDiff] = []
    for profile, env in envs.items():
        name = f"{profile}{extension}"
        now = on_disk[name]
        new = {key: value.reveal() for key, value in env.items()}
        if now.content is None:
            shown = {k: ("", mask_tail(v)) for k, v in new.items()} if show_values else {}
            out.append(FileDiff(name, "new", added=tuple(sorted(new)), shown=shown))
            continue
        if not now.differs:
            out.append(FileDiff(name, "unchanged"))
            continue
        mode = None
        if now.mode != file_mode:
            mode = (f"{now.mode:04o}", f"{file_mode:04o}")
        old = _old_variables(now.content, os.path.join(directory, name), extension)
        if old is None:
            out.append(FileDiff(name, "changed", detailed=False, mode=mode))
            continue
        added = tuple(sorted(new.keys() - old.keys()))
        removed = tuple(sorted(old.keys() - new.keys()))
        changed = tuple(sorted(k for k in new.keys() & old.keys() if new[k] != old[k]))
        shown = {}
        if show_values:
            shown = {k: ("", mask_tail(new[k])) for k in added}
            shown |= {k: (mask_tail(old[k]), "") for k in removed}
            shown |= {k: (mask_tail(old[k]), mask_tail(new[k])) for k in changed}
        out.append(
            FileDiff(
                name,
                "changed",
                added=added,
                removed=removed,
                changed=changed,
                shown=shown,
                mode=mode,
            )
        )
    return out


@runtime_checkable
class ListableSource(Protocol):
    """A source that can list the secret names under a prefix (Secrets Manager can)."""

    def list_names(self, prefix: str) -> list[str]:
        """Names of the secrets whose name starts with `prefix`."""
        ...


class CheckReport(Record):
    """Store vs config. `ok` when nothing is missing, unreadable or unused.

    Attributes:
        missing_secrets: (secret, why) for each secret the store lacks, or
            could not be asked for (access denied, the store down).
        problems: (profile, why) for each transform, collision or `keys` problem.
        unused: secrets under `prefix` that no profile uses.
        prefix: where unused secrets were looked for.
        unreadable: (secret, why) for each secret the store has in a form the
            config cannot read (not a JSON object without `plain:`, binary
            without `binary:`, a null field...).
    """

    __slots__ = ("missing_secrets", "problems", "unused", "prefix", "unreadable")
    missing_secrets: tuple[tuple[str, str], ...]
    problems: tuple[tuple[str, str], ...]
    unused: tuple[str, ...]
    prefix: str | None
    unreadable: tuple[tuple[str, str], ...]

    def __init__(
        self,
        missing_secrets: tuple[tuple[str, str], ...],
        problems: tuple[tuple[str, str], ...],
        unused: tuple[str, ...],
        prefix: str | None,
        unreadable: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self._init(
            missing_secrets=missing_secrets,
            problems=problems,
            unused=unused,
            prefix=prefix,
            unreadable=unreadable,
        )

    @property
    def ok(self) -> bool:
        """True when the store has everything the config needs and nothing unused."""
        return not (self.missing_secrets or self.unreadable or self.problems or self.unused)


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
    fetched = fetch_secrets(config, source, names)
    # The store's answer "it is there, but not in a shape we read" is not "it is missing".
    missing = tuple(
        (name, str(error))
        for name, error in fetched.errors.items()
        if not isinstance(error, SecretFormatError)
    )
    unreadable = tuple(
        (name, str(error))
        for name, error in fetched.errors.items()
        if isinstance(error, SecretFormatError)
    )
    problems: dict[tuple[str, str], None] = {}
    for profile in chosen:
        clean = True
        for ref in profile.secrets:
            if ref.name not in fetched:
                clean = False  # already reported as missing or unreadable
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
    return CheckReport(missing, tuple(problems), unused, look, unreadable)


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
        RideinfraError: a secret could not be read, transformed or rendered;
            `WriteError` when a name in `out` is something the writer would
            refuse (a planted symlink, a FIFO).
    """
    from rideinfra.operations.fetch import render_files
    from rideinfra.profiles.resolve import resolve
    from rideinfra.render import get_format

    fmt = output_format or get_format(config.output.format)
    envs = resolve(config, source, profiles=list(profiles) if profiles is not None else None)
    files = render_files(envs, fmt)
    diffs = diff_files(
        out,
        envs,
        files,
        extension=fmt.extension,
        file_mode=config.output.file_mode,
        show_values=show_values,
    )
    differ = [d.file for d in diffs if d.state != "unchanged"]
    if differ:
        log.info("a fetch would change %d of %d file(s) in %s", len(differ), len(diffs), out)
    else:
        log.info("up to date: %s (%d file(s))", out, len(diffs))
    return diffs
