"""Writing what `rideinfra render` makes: manifests and policies, which hold names only.

They are plain files meant for git: each is written with its own temp file +
rename, without the `..data` versioning that secret files get.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from rideinfra.errors import WriteError

__all__ = ["write_plain"]

log = logging.getLogger("rideinfra.render")


def write_plain(directory: str | os.PathLike[str], files: Mapping[str, str]) -> None:
    """Write each file atomically (temp + fsync + rename); files 0644, the dir created 0755.

    Args:
        directory: created with its parents if absent.
        files: file name -> text; names only, never values (these files are 0644).

    Raises:
        WriteError: the directory cannot be created or written.
    """
    path = Path(directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
        for name, text in sorted(files.items()):
            fd, tmp = tempfile.mkstemp(dir=path, prefix=f".{name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(tmp, 0o644)  # manifests and policies hold no values
                os.replace(tmp, path / name)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {exc.strerror}; check the path") from None
    log.info("wrote %d file(s) to %s: %s", len(files), path, ", ".join(sorted(files)))
