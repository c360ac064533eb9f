"""The one rule for the permission bits of written files (`output.file_mode`, `write_files`).

The config reader refuses a bad `file_mode` with the setting's path and
line; the writer refuses the same modes for library callers. Both ask
`file_mode_problem`, so the two cannot disagree.
"""

from __future__ import annotations

from rideinfra._lazy import LazyPattern

__all__ = ["FILE_MODE_PATTERN", "file_mode_problem", "parse_file_mode"]

#: `'0600'`, `'0o600'`, `'600'`: the written forms of an octal mode.
FILE_MODE_PATTERN = r"^(0o?)?[0-7]{1,4}$"
_OCTAL = LazyPattern(FILE_MODE_PATTERN)


def parse_file_mode(value: object) -> int:
    """`'0600'`, `'0o600'`, `'600'` or an int, as permission bits (not yet checked).

    Raises:
        ValueError: not an octal string or an int.
    """
    if isinstance(value, str) and _OCTAL.fullmatch(value):
        return int(value.removeprefix("0o"), 8)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError("file_mode is an octal string like '0600'")


def file_mode_problem(mode: int) -> str | None:
    """Why files written with `mode` would be unsafe or unusable, or None if they are fine.

    - Within `0777`: no set-id or sticky bits on a data file.
    - No write bit for group or others: anyone who may write a file that a
      consumer sources (`set -a; . file`) can put `$(...)` into it and run
      code as that consumer.
    - Readable by the owner: rideinfra reads its files back to tell what
      changed (`--check`, unchanged files keep their mtime).
    """
    if not 0 <= mode <= 0o777:
        return "file_mode must be between '0000' and '0777' (octal)"
    if mode & 0o022:
        return (
            f"file_mode '{mode:04o}' lets group or others write the files, so anyone who may "
            "could put commands into a file that consumers source; use '0600', or '0640' "
            "for a group of readers"
        )
    if not mode & 0o400:
        return (
            f"file_mode '{mode:04o}' does not let the owner read the files, which rideinfra "
            "reads back to tell what changed; use '0600' (or '0400')"
        )
    return None
