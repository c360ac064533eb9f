"""Fetch-and-write: resolve the profiles in one batched read, render a file each, write them all.

`fetch_and_write` is `rideinfra fetch` (and `python -m rideinfra.fetch`);
`check_output` is its `--check`. Both log one line per step under
`rideinfra.fetch`, names and counts only.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rideinfra._record import Record
from rideinfra.errors import RenderError

if TYPE_CHECKING:
    from rideinfra.profiles import Config, Env
    from rideinfra.render import OutputFormat, WriteReport
    from rideinfra.secrets.base import SecretSource

__all__ = [
    "PROGRESS_THRESHOLD",
    "Rendered",
    "check_output",
    "fetch_and_render",
    "fetch_and_write",
    "render_files",
    "write_rendered",
]

log = logging.getLogger("rideinfra.fetch")

#: Above this many secrets, say on stderr that a fetch is under way (it can take a while).
PROGRESS_THRESHOLD = 50


def render_files(envs: Mapping[str, Env], output_format: OutputFormat) -> dict[str, bytes]:
    """Render each profile's `Env` into `<profile><extension>` -> bytes.

    Raises:
        RenderError: a value cannot be written exactly; names profile and variable.
    """
    files: dict[str, bytes] = {}
    for profile, env in envs.items():
        try:
            text = output_format.render(env, profile=profile)
        except RenderError as exc:
            raise RenderError(f"profile {profile}: {exc}", variable=exc.variable) from exc
        files[f"{profile}{output_format.extension}"] = text.encode("utf-8")
    return files


class Rendered(Record):
    """What a fetch would write: each profile's `Env` and its file's bytes.

    Attributes:
        envs: profile -> its resolved variables.
        files: file name -> content; left out of the repr (it holds values).
        extension: the format's file extension (`.env`, `.json`, `.yaml`).
    """

    __slots__ = ("envs", "files", "extension")
    _hidden = frozenset({"files"})
    envs: Mapping[str, Env]
    files: Mapping[str, bytes]
    extension: str

    def __init__(self, envs: Mapping[str, Env], files: Mapping[str, bytes], extension: str) -> None:
        self._init(envs=envs, files=files, extension=extension)


def _announce(config: Config, profiles: Sequence[str] | None) -> None:
    count = len(config.secret_names(config.select(profiles)))
    if count > PROGRESS_THRESHOLD:
        logging.getLogger("rideinfra").info(
            "fetching %d secrets (%d batch request(s) of up to 20)...", count, -(-count // 20)
        )


def fetch_and_render(
    config: Config,
    source: SecretSource,
    *,
    profiles: Sequence[str] | None = None,
    output_format: OutputFormat | None = None,
) -> Rendered:
    """Resolve the profiles from `source` and render one file each; write nothing.

    Args:
        config: the loaded config.
        source: where the secrets are read (one batched read for all profiles).
        profiles: the profiles to render (default: all).
        output_format: e.g. `get_format("json")` (default: the config's `output.format`).

    Raises:
        ConfigError: an unknown profile or format.
        SourceError: a secret could not be read.
        TransformError: a transform or a merge failed (names secret and field).
        RenderError: a value cannot be written exactly in the format.
    """
    from rideinfra.profiles import resolve
    from rideinfra.render import get_format

    fmt = output_format or get_format(config.output.format)
    chosen = list(profiles) if profiles is not None else None
    _announce(config, chosen)
    started = time.perf_counter()
    envs = resolve(config, source, profiles=chosen)
    log.info(
        "resolved %d profile(s), %d variable(s) in %.2fs",
        len(envs),
        sum(len(env) for env in envs.values()),
        time.perf_counter() - started,
    )
    return Rendered(envs, render_files(envs, fmt), fmt.extension)


def fetch_and_write(
    config: Config,
    source: SecretSource,
    out: str | os.PathLike[str],
    *,
    profiles: Sequence[str] | None = None,
    output_format: OutputFormat | None = None,
    dry_run: bool = False,
) -> WriteReport:
    """Fetch, render and write every profile's file into `out`, all together or not at all.

    Args:
        config: the loaded config (its `output.file_mode` applies).
        source: where the secrets are read.
        out: the output directory.
        profiles: the profiles to write (default: all).
        output_format: default: the config's `output.format`.
        dry_run: write nothing; the report says which files would change.

    Returns:
        Which files changed and which were already up to date.

    Raises:
        RideinfraError: as `fetch_and_render`; `WriteError` when the directory
            cannot be written. Nothing is written then.
    """
    rendered = fetch_and_render(config, source, profiles=profiles, output_format=output_format)
    return write_rendered(config, rendered, out, dry_run=dry_run)


def write_rendered(
    config: Config, rendered: Rendered, out: str | os.PathLike[str], *, dry_run: bool = False
) -> WriteReport:
    """Write what `fetch_and_render` returned into `out`, all together or not at all.

    The second half of `fetch_and_write`, for a caller that also needs the
    resolved `Env`s (the demo lists their names).

    Raises:
        WriteError: the directory cannot be written; nothing is written then.
    """
    from rideinfra.render import write_files

    report = write_files(out, rendered.files, file_mode=config.output.file_mode, dry_run=dry_run)
    for profile, env in rendered.envs.items():
        name = f"{profile}{rendered.extension}"
        state = "would change" if dry_run else "written"
        if name in report.unchanged:
            state = "unchanged"
        log.info("%s: %s (%d variable(s))", name, state, len(env))
    log.info("%s", report.summary())
    return report


def check_output(
    config: Config,
    source: SecretSource,
    out: str | os.PathLike[str],
    *,
    profiles: Sequence[str] | None = None,
    output_format: OutputFormat | None = None,
) -> tuple[str, ...]:
    """The files in `out` that a fetch would change now (empty: up to date).

    "Change" as the writer means it: other bytes, or another mode than the
    config's `output.file_mode`; files are read as the writer reads them.

    Raises:
        RideinfraError: as `fetch_and_render`; `WriteError` when a name in `out`
            is something the writer would refuse (a planted symlink, a FIFO).
    """
    from rideinfra.render import check_files

    rendered = fetch_and_render(config, source, profiles=profiles, output_format=output_format)
    differ = check_files(out, rendered.files, file_mode=config.output.file_mode)
    if differ:
        log.error("out of date in %s: %s", out, ", ".join(differ))
    else:
        log.info("up to date: %s (%d file(s))", out, len(rendered.files))
    return differ
