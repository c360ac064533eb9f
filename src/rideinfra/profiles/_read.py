"""Reading rideinfra.yaml and seed files from disk: bounded, UTF-8, one YAML document.

The YAML itself is parsed by `rideinfra.secrets._yaml`, the loader every
file rideinfra reads goes through (its module docstring has the policy).
"""

from __future__ import annotations

from pathlib import Path

from rideinfra.errors import ConfigError
from rideinfra.secrets._yaml import YamlDocument, YamlError, load_yaml_text

__all__ = ["MAX_BYTES", "FileMissing", "read_yaml_file", "read_yaml_text"]

#: Config and seed files larger than this are refused before they are read.
MAX_BYTES = 1 << 20


class FileMissing(ConfigError):
    """The file does not exist (or is a dangling symlink): a caller may say more than that.

    Every other reason the OS gives for not opening it (a name too long, a
    directory on the way that cannot be entered, a directory) is a plain
    `ConfigError` "cannot read the ... file: <strerror>".
    """


def read_yaml_text(text: str, *, file: str, what: str = "config") -> YamlDocument:
    """Parse YAML text of a config or seed file.

    Raises:
        ConfigError: not YAML rideinfra reads; names `file`, the line and column.
    """
    try:
        return load_yaml_text(text, what=what, file=file)
    except YamlError as exc:
        raise ConfigError(str(exc), file=file) from None


def read_yaml_file(path: Path, *, what: str = "config") -> YamlDocument:
    """Read and parse a YAML file, refusing files over `MAX_BYTES` before reading them.

    Nothing asks the OS about the path before opening it, so whatever the OS
    refuses the path for is reported here, once.

    Raises:
        FileMissing: the file does not exist.
        ConfigError: the file is unreadable (any OSError of the open or the read,
            by its strerror), too large, not UTF-8, or bad YAML.
    """
    file = str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise FileMissing(f"{what} file not found", file=file) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the {what} file: {exc.strerror}", file=file) from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(
            f"the {what} file is larger than {MAX_BYTES // 1024} KiB; is it the right file?",
            file=file,
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"the {what} file is not UTF-8 text (byte {exc.start})", file=file
        ) from None
    return read_yaml_text(text, file=file, what=what)
