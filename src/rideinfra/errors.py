"""Every error rideinfra raises, in one hierarchy.

    RideinfraError                 base; ``exit_code`` is what the entrypoints exit with
     ├── ConfigError               bad rideinfra.yaml / seed file / usage          (exit 2)
     ├── SourceError               a secret could not be read from its store       (exit 1)
     │    ├── SecretNotFound       the store has no such secret (or it is deleted)
     │    ├── SecretFormatError    the secret exists but its content is unusable
     │    └── FetchErrors          several secrets failed in one batch; ``.errors``
     ├── TransformError            a transform could not map a secret's fields     (exit 1)
     │    └── KeyCollision         two origins give one variable different values
     ├── RenderError               a value cannot be written exactly in a format   (exit 1)
     └── WriteError                the output directory cannot be written          (exit 1)

Messages name the secret, field, variable, file or AWS error code involved and
say what to do. They never contain a secret value: callers build them from
names only, and no constructor here accepts a value.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "ConfigError",
    "FetchErrors",
    "KeyCollision",
    "RenderError",
    "RideinfraError",
    "SecretFormatError",
    "SecretNotFound",
    "SourceError",
    "TransformError",
    "WriteError",
]


class RideinfraError(Exception):
    """Base of every rideinfra error."""

    exit_code: int = 1


class ConfigError(RideinfraError):
    """The configuration (or command line) is wrong; fix the file, not the store."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, path: str | None = None) -> None:
        self.file = file
        self.path = path
        where = ""
        if file and path:
            where = f"{file}: {path}: "
        elif file:
            where = f"{file}: "
        elif path:
            where = f"{path}: "
        super().__init__(where + message)


class SourceError(RideinfraError):
    """A secret could not be read. ``secret`` and ``code`` say which and why."""

    def __init__(self, message: str, *, secret: str | None = None, code: str | None = None) -> None:
        self.secret = secret
        self.code = code
        super().__init__(message)


class SecretNotFound(SourceError):
    """The store has no secret of that name (or it is scheduled for deletion)."""


class SecretFormatError(SourceError):
    """The secret exists but its content cannot be turned into fields."""


class FetchErrors(SourceError):
    """Several secrets of one ``fetch_many`` failed; ``errors`` maps name -> error."""

    def __init__(self, errors: Mapping[str, SourceError]) -> None:
        self.errors = dict(errors)
        lines = [f"{len(self.errors)} secret(s) could not be fetched:"]
        lines += [f"  {name}: {err}" for name, err in sorted(self.errors.items())]
        super().__init__("\n".join(lines))


class TransformError(RideinfraError):
    """A transform could not produce valid variables from a secret's fields."""


class KeyCollision(TransformError):
    """Two origins give the same variable different values."""

    def __init__(
        self, variable: str, first: str, second: str, *, profile: str | None = None
    ) -> None:
        self.variable = variable
        self.origins = (first, second)
        self.profile = profile
        where = f" in profile {profile!r}" if profile else ""
        super().__init__(
            f"variable {variable}{where} comes from both {first} and {second} with different "
            "values; rename one of them (rename/qualify/prefix transform) or drop it"
        )


class RenderError(RideinfraError):
    """A value cannot be written exactly in the chosen output format."""

    def __init__(self, message: str, *, variable: str | None = None) -> None:
        self.variable = variable
        super().__init__(message)


class WriteError(RideinfraError):
    """The output directory or a file in it could not be written."""
