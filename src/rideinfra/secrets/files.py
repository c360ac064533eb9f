"""Secrets kept on disk: one structured file, or a mounted directory of files.

`FileSource` reads a JSON, YAML or dotenv file; `DirectorySource`
reads the Docker/Kubernetes mounted-secret layout. Both read the disk again
on every fetch (wrap them in `CachedSource` to cache) and turn what they
read into a `Secret` through the same parsing
as every other source, so a value means the same wherever it is stored.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from rideinfra.errors import ConfigError, SecretFormatError, SecretNotFound, SourceError
from rideinfra.secrets.base import BaseSource, FetchResult
from rideinfra.secrets.envfile import parse_env_file
from rideinfra.secrets.model import DEFAULT_PARSE, ParseOptions, Secret, parse_secret_string

# json and pathlib are imported where used: `import rideinfra.secrets` is on every
# service's start-up path, and pathlib alone costs it ~5 ms (urllib.parse, ipaddress).
if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["MAX_FILE_BYTES", "DirectorySource", "FileFormat", "FileSource"]

FileFormat = Literal["json", "yaml", "dotenv"]

#: Files larger than this are refused rather than read into memory.
MAX_FILE_BYTES = 16 * 1024 * 1024

_SUFFIXES: dict[str, FileFormat] = {
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".env": "dotenv",
    ".dotenv": "dotenv",
}


class _FileFailure(Exception):
    """The whole file is unusable; every secret asked of it gets this error."""

    def __init__(self, kind: type[SourceError], message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.code = code

    def for_secret(self, name: str) -> SourceError:
        return self.kind(
            f"secret {name!r} cannot be read: {self.message}", secret=name, code=self.code
        )


class FileSource(BaseSource):
    """Secrets from one JSON, YAML or dotenv file, re-read on every fetch.

    JSON and YAML files map secret names to their fields:

        rideshare/api-key: {API_KEY: dev-api-key}
        rideshare/redis:
          REDIS_PASSWORD: redis-dev-pass

    optionally wrapped as `{version: 1, secrets: {...}}` (the seed file
    layout; a field asking for a `generate:` value is refused, as only
    `rideinfra seed` makes those). A secret given as a string instead of a
    mapping is its SecretString, parsed as the store's would be. Values go
    through `parse_secret_string()`, so numbers
    and booleans become their JSON text and nested mappings stay structured.

    A dotenv file is one secret, its variables the fields (grammar in
    `rideinfra.secrets.envfile`).

    Args:
        path: the file.
        name: for a dotenv file, the secret's name (default: the file name
            without `.env`/`.dotenv`). Giving it makes the file dotenv.
        format: `json`, `yaml` or `dotenv`; default from the suffix
            (`.json`, `.yaml`/`.yml`, `.env`/`.dotenv`, or a file
            named `.env*`).
        options: how a secret given as a non-JSON string becomes fields.
        max_bytes: larger files are refused.

    Raises:
        ConfigError: the format cannot be told from the name, or `name` is
            given for a JSON/YAML file, or a dotenv file needs a `name`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        format: FileFormat | None = None,
        options: ParseOptions = DEFAULT_PARSE,
        max_bytes: int = MAX_FILE_BYTES,
    ) -> None:
        from pathlib import Path

        self._path = Path(os.path.abspath(path))
        self._format: FileFormat = format or _format_for(self._path, name)
        if self._format not in ("json", "yaml", "dotenv"):
            raise ConfigError(
                f"unknown format {format!r}; use json, yaml or dotenv", file=str(path)
            )
        if name is not None and self._format != "dotenv":
            raise ConfigError(
                f"name= is for dotenv files (one secret per file); a {self._format} file names "
                "its secrets inside",
                file=str(self._path),
            )
        self._name = name if name is not None else _dotenv_name(self._path, self._format)
        self._options = options
        self._max_bytes = max_bytes
        self._origin = f"file:{self._path}"

    @property
    def path(self) -> Path:
        """The file, as an absolute path."""
        return self._path

    @property
    def format(self) -> FileFormat:
        """`json`, `yaml` or `dotenv`."""
        return self._format

    def _fetch_many(self, names: tuple[str, ...]) -> FetchResult:
        try:
            secrets, seed_layout = self._load()
        except _FileFailure as failure:
            return FetchResult(errors={name: failure.for_secret(name) for name in names})
        found: dict[str, Secret] = {}
        errors: dict[str, SourceError] = {}
        for name in names:
            if name not in secrets:
                errors[name] = SecretNotFound(
                    f"secret {name!r} is not in {self._path}", secret=name, code="NotInFile"
                )
                continue
            try:
                found[name] = self._secret(name, secrets[name], seed_layout=seed_layout)
            except SourceError as exc:
                errors[name] = exc
        return FetchResult(found, errors)

    def _load(self) -> tuple[Mapping[str, object], bool]:
        text = _read_text(self._path, self._max_bytes)
        if self._format == "dotenv":
            try:
                fields = parse_env_file(text, file=str(self._path))
            except ConfigError as exc:
                raise _FileFailure(SecretFormatError, str(exc)) from None
            return {self._name: fields}, False
        document = (
            _load_json(text, self._path) if self._format == "json" else _load_yaml(text, self._path)
        )
        return _secrets_of(document, self._path)

    def _secret(self, name: str, value: object, *, seed_layout: bool) -> Secret:
        where = f"in {self._path}"
        if isinstance(value, str):
            text = value
        else:
            if isinstance(value, Mapping) and seed_layout:
                _refuse_generated(name, value, where)
            _check_json_types(name, value, "", where)
            import json

            try:
                text = json.dumps(value, ensure_ascii=False)
            except RecursionError:
                raise SecretFormatError(
                    f"secret {name!r} {where} is nested too deeply", secret=name
                ) from None
        try:
            return parse_secret_string(name, text, options=self._options, origin=self._origin)
        except SecretFormatError as exc:
            raise SecretFormatError(f"{exc} ({where})", secret=name) from exc

    def __repr__(self) -> str:
        extra = f", name={self._name!r}" if self._format == "dotenv" else ""
        return f"FileSource({str(self._path)!r}, format={self._format!r}{extra})"


def _format_for(path: Path, name: str | None) -> FileFormat:
    by_suffix = _SUFFIXES.get(path.suffix.lower())
    if by_suffix is not None:
        return by_suffix
    if name is not None or path.name.startswith(".env"):
        return "dotenv"
    raise ConfigError(
        "cannot tell the format from the file name; use a .json, .yaml, .yml, .env or "
        ".dotenv suffix, or pass format='json'|'yaml'|'dotenv'",
        file=str(path),
    )


def _dotenv_name(path: Path, file_format: FileFormat) -> str:
    if file_format != "dotenv":
        return ""
    stem = path.name
    if path.suffix.lower() in (".env", ".dotenv"):
        stem = path.name[: -len(path.suffix)]
    if not stem or stem.startswith("."):
        raise ConfigError(
            "a dotenv file holds one secret; pass name= to say which (the file name gives none)",
            file=str(path),
        )
    return stem


def _read_text(path: Path, max_bytes: int) -> str:
    try:
        with path.open("rb") as stream:
            data = stream.read(max_bytes + 1)
    except FileNotFoundError:
        raise _FileFailure(
            SourceError, f"the secrets file {path} does not exist", code="FileNotFound"
        ) from None
    except OSError as exc:
        raise _FileFailure(
            SourceError, f"the secrets file {path} cannot be read ({exc.strerror})", code="IOError"
        ) from None
    if len(data) > max_bytes:
        raise _FileFailure(
            SecretFormatError,
            f"the secrets file {path} is larger than {max_bytes} bytes; split it or raise "
            "max_bytes",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _FileFailure(
            SecretFormatError, f"{path}: line {line}: the file is not UTF-8 text"
        ) from None


class _DuplicateKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _load_json(text: str, path: Path) -> object:
    import json

    try:
        return json.loads(text, object_pairs_hook=_unique_pairs)
    except json.JSONDecodeError as exc:
        # exc.msg is a fixed description ("Expecting ',' delimiter"), never document text.
        raise _FileFailure(
            SecretFormatError,
            f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}",
        ) from None
    except _DuplicateKeyError as exc:
        raise _FileFailure(
            SecretFormatError,
            f"{path}: the key {exc.key!r} appears twice in one object; keep one",
        ) from None
    except RecursionError:
        raise _FileFailure(SecretFormatError, f"{path}: the JSON is nested too deeply") from None


def _load_yaml(text: str, path: Path) -> object:
    # The one YAML loader (rideinfra.secrets._yaml has its policy); imported here, as
    # PyYAML costs ~20 ms and `import rideinfra.secrets` is on every service's start-up.
    from rideinfra.secrets._yaml import YamlError, load_yaml_text

    try:
        return load_yaml_text(text, what="secrets file", file=str(path)).data
    except YamlError as exc:
        raise _FileFailure(SecretFormatError, f"{path}: {exc}") from None


def _secrets_of(document: object, path: Path) -> tuple[Mapping[str, object], bool]:
    if document is None:
        return {}, False
    if not isinstance(document, dict):
        raise _FileFailure(
            SecretFormatError,
            f"{path} must hold a mapping of secret name -> fields, not a {type(document).__name__}",
        )
    seed_layout = "version" in document
    if seed_layout:
        unknown = sorted(str(key) for key in document if key not in ("version", "secrets"))
        if document["version"] != 1 or unknown:
            raise _FileFailure(
                SecretFormatError,
                f"{path}: a file with a top-level 'version' must be version: 1 with a "
                f"'secrets' mapping and nothing else (unexpected: {', '.join(unknown) or '-'})",
            )
        document = document.get("secrets") or {}
        if not isinstance(document, dict):
            raise _FileFailure(SecretFormatError, f"{path}: 'secrets' must be a mapping")
    for key in document:
        if not isinstance(key, str):
            raise _FileFailure(
                SecretFormatError,
                f"{path}: the secret name {key!r} is a {type(key).__name__}; quote it",
            )
    return document, seed_layout


def _refuse_generated(name: str, fields: Mapping[Any, object], where: str) -> None:
    for field, value in fields.items():
        if isinstance(value, Mapping) and "generate" in value:
            raise SecretFormatError(
                f"secret {name!r} field {field!r} {where} asks for a generated value, which only "
                "`rideinfra seed` makes; seed the store and read it from there",
                secret=name,
            )


_JSON_SCALARS = (str, bool, int, float, type(None))


def _check_json_types(name: str, value: object, path: str, where: str) -> None:
    """Refuse what JSON cannot hold (YAML dates, binary, sets, non-string keys), by path."""
    if isinstance(value, _JSON_SCALARS):
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_json_types(name, item, f"{path}[{index}]", where)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise SecretFormatError(
                    f"secret {name!r} {where}: the key {key!r} at {path or 'the top'} is a "
                    f"{type(key).__name__}, not text; quote it",
                    secret=name,
                )
            _check_json_types(name, item, f"{path}.{key}" if path else key, where)
        return
    raise SecretFormatError(
        f"secret {name!r} {where}: {path or 'the value'} is a {type(value).__name__}, which "
        "has no JSON text; quote it in the file so it is read as a string",
        secret=name,
    )


class _SwappedError(Exception):
    """A file listed a moment ago is gone: Kubernetes swapped `..data` mid-read."""


#: How often a secret is re-read when its files change under the reader.
_READ_ATTEMPTS = 3


class DirectorySource(BaseSource):
    """Secrets mounted as files: the Docker and Kubernetes layout.

    `<dir>/<secret name>/<field>` files, one per field; a secret name may
    contain `/` (`rideshare/api-key` is `<dir>/rideshare/api-key/API_KEY`).
    With `flat_secret`, the directory itself is that one secret
    (`<dir>/<field>` files, as a Kubernetes Secret volume mounts them).
    Without it, a regular file `<dir>/<secret name>` (a Docker
    `/run/secrets/<name>` file) holds the whole SecretString and is parsed
    as the store's would be.

    A file's content is the exact value: the bytes, decoded as strict UTF-8,
    nothing stripped. `strip_trailing_newline=True` drops one final `\\n`,
    for secrets written with `echo`.

    Entries whose names start with `.` are skipped (Kubernetes' `..data`
    and `..<timestamp>` directories among them); field files that are
    symlinks are followed wherever they point. When a secret's directory has a
    `..data` link, the fields are read from the version directory it points
    to, so one fetch sees one version even while the kubelet swaps in the
    next; a version removed mid-read is retried.

    Secret names that would leave the directory (`..`, absolute, empty or
    hidden parts, backslash, NUL) are refused (SourceError, code
    `InvalidSecretName`). A missing directory is a SourceError (code
    `DirectoryNotFound`), not SecretNotFound: a chain stops there rather
    than silently using the next source.

    Args:
        path: the mount directory, e.g. `/run/secrets`.
        flat_secret: read the directory as this one secret.
        strip_trailing_newline: drop one trailing `\\n` from each file.
        options: how a `<dir>/<name>` file that is not a JSON object becomes
            fields (`plain_field`).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        flat_secret: str | None = None,
        strip_trailing_newline: bool = False,
        options: ParseOptions = DEFAULT_PARSE,
    ) -> None:
        from pathlib import Path

        self._root = Path(os.path.abspath(path))
        self._flat = flat_secret
        self._strip = strip_trailing_newline
        self._options = options
        self._origin = f"directory:{self._root}"

    @property
    def path(self) -> Path:
        """The mount directory, as an absolute path."""
        return self._root

    def _fetch_many(self, names: tuple[str, ...]) -> FetchResult:
        found: dict[str, Secret] = {}
        errors: dict[str, SourceError] = {}
        for name in names:
            try:
                found[name] = self._secret(name)
            except SourceError as exc:
                errors[name] = exc
        return FetchResult(found, errors)

    def _secret(self, name: str) -> Secret:
        if not self._root.is_dir():
            raise SourceError(
                f"secret {name!r} cannot be read: the directory {self._root} does not exist "
                "(or is not a directory)",
                secret=name,
                code="DirectoryNotFound",
            )
        if self._flat is not None:
            if name != self._flat:
                raise SecretNotFound(
                    f"secret {name!r} not found: {self._root} holds only {self._flat!r}",
                    secret=name,
                )
            directory = self._root
        else:
            directory = self._root.joinpath(*self._parts(name))
            if directory.is_file():
                text = self._read(name, directory, None)
                return self._parse(name, text)
        if not directory.is_dir():
            raise SecretNotFound(f"secret {name!r} not found: no {directory}", secret=name)
        for attempt in range(_READ_ATTEMPTS):
            try:
                fields = self._fields(name, directory)
                break
            except _SwappedError:
                if attempt == _READ_ATTEMPTS - 1:
                    raise SourceError(
                        f"secret {name!r}: the files in {directory} kept changing while being "
                        "read; try again",
                        secret=name,
                        code="Changing",
                    ) from None
        if not fields:
            raise SecretNotFound(
                f"secret {name!r} not found: {directory} has no field files", secret=name
            )
        import json

        return self._parse(name, json.dumps(fields, ensure_ascii=False))

    def _parts(self, name: str) -> list[str]:
        parts = name.split("/")
        if (
            name.startswith("/")
            or "\\" in name
            or "\x00" in name
            or any(part in ("", ".", "..") or part.startswith(".") for part in parts)
        ):
            raise SourceError(
                f"secret name {name!r} cannot be read from {self._root}: a name must be "
                "'/'-separated parts, none empty, '.'-prefixed or '..', and not absolute",
                secret=name,
                code="InvalidSecretName",
            )
        return parts

    def _fields(self, name: str, directory: Path) -> dict[str, str]:
        # Pin one version: resolve the links once, then read only under the result.
        base = os.path.realpath(directory)
        data = os.path.join(base, "..data")
        if os.path.isdir(data):
            base = os.path.realpath(data)
        try:
            entries = sorted(os.scandir(base), key=lambda entry: entry.name)
        except FileNotFoundError:
            raise _SwappedError from None
        except OSError as exc:
            raise SourceError(
                f"secret {name!r}: cannot list {directory} ({exc.strerror})",
                secret=name,
                code="IOError",
            ) from None
        from pathlib import Path

        fields: dict[str, str] = {}
        for entry in entries:
            if entry.name.startswith(".") or entry.is_dir():
                continue  # hidden (..data, ..2024_…) or a nested secret's directory
            if not entry.is_file():
                if entry.is_symlink():
                    raise _SwappedError  # dangling: its target was swapped away
                continue  # sockets, fifos: not fields
            fields[entry.name] = self._read(name, Path(entry.path), entry.name)
        return fields

    def _read(self, name: str, path: Path, field: str | None) -> str:
        what = f"secret {name!r}" + (f" field {field!r}" if field else "")
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise _SwappedError from None
        except OSError as exc:
            raise SourceError(
                f"{what}: cannot read {path} ({exc.strerror})",
                secret=name,
                code="PermissionDenied" if isinstance(exc, PermissionError) else "IOError",
            ) from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise SecretFormatError(
                f"{what}: {path} is not UTF-8 text; store text (base64-encode binary data)",
                secret=name,
            ) from None
        if self._strip and text.endswith("\n"):
            text = text[:-1]
        return text

    def _parse(self, name: str, text: str) -> Secret:
        return parse_secret_string(name, text, options=self._options, origin=self._origin)

    def __repr__(self) -> str:
        flat = f", flat_secret={self._flat!r}" if self._flat is not None else ""
        return f"DirectorySource({str(self._root)!r}{flat})"
