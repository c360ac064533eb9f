"""Sources built from sources: a fallback chain and environment overrides.

`CachedSource` (in `rideinfra.secrets.cached`) is the third of these.
"""

from __future__ import annotations

from collections.abc import Mapping

from rideinfra.errors import FetchErrors, SecretFormatError, SecretNotFound, SourceError
from rideinfra.secrets._log import logger
from rideinfra.secrets.base import (
    BaseSource,
    FetchResult,
    SecretSource,
    _check_source,
    _check_type,
)
from rideinfra.secrets.model import Secret, SecretValue

__all__ = ["DEFAULT_OVERRIDE_PREFIX", "ChainSource", "OverrideSource"]

DEFAULT_OVERRIDE_PREFIX = "OVERRIDE_"


class ChainSource(BaseSource):
    """The first source that has a secret wins: `ChainSource(local_file, aws)`.

    Each source is asked once per fetch, for every name still missing, in one
    `fetch_many`. Only `SecretNotFound` moves a
    name on to the next source; any other error (access denied, bad format,
    store down) is that name's final answer. Falling through on those would
    quietly serve a stale or local copy when the real store is refusing or
    failing, which is exactly when it must be noticed.

    The winning secret keeps its source's `origin` (`file:/x.yaml`,
    `aws-secretsmanager`...), which says which source it came from. A name
    no source has gets a SecretNotFound listing each source's answer. Nested
    chains are flattened.

    Raises:
        ValueError: no sources were given.
        TypeError: an argument is not a source (a list of sources: unpack it,
            `ChainSource(*sources)`).
    """

    def __init__(self, *sources: SecretSource) -> None:
        if not sources:
            raise ValueError("ChainSource needs at least one source")
        for index, source in enumerate(sources):
            if isinstance(source, list | tuple):
                raise TypeError(
                    f"ChainSource takes its sources as separate arguments, ChainSource(a, b), "
                    f"not one {type(source).__name__}; unpack it: ChainSource(*sources)"
                )
            _check_source(source, f"ChainSource's argument {index + 1}")
        flat: list[SecretSource] = []
        for source in sources:
            flat.extend(source.sources if isinstance(source, ChainSource) else (source,))
        self._sources = tuple(flat)

    @property
    def sources(self) -> tuple[SecretSource, ...]:
        """The sources, in the order they are asked."""
        return self._sources

    def _fetch_many(self, names: tuple[str, ...]) -> FetchResult:
        found: dict[str, Secret] = {}
        errors: dict[str, SourceError] = {}
        not_found: dict[str, list[SourceError]] = {name: [] for name in names}
        for source in self._sources:
            wanted = tuple(not_found)
            if not wanted:
                break
            result = _ask(source, wanted)
            for name in wanted:
                if name in result:
                    found[name] = result[name]
                    del not_found[name]
                    continue
                error = result.errors.get(name) or SecretNotFound(
                    f"secret {name!r} not returned by {source!r}", secret=name
                )
                if isinstance(error, SecretNotFound):
                    not_found[name].append(error)
                else:
                    errors[name] = error
                    del not_found[name]
        for name, misses in not_found.items():
            errors[name] = SecretNotFound(
                f"secret {name!r} not found in any of {len(self._sources)} sources: "
                + "; ".join(str(miss) for miss in misses),
                secret=name,
            )
        return FetchResult(found, errors)

    def __repr__(self) -> str:
        return f"ChainSource({', '.join(repr(source) for source in self._sources)})"


def _ask(source: SecretSource, names: tuple[str, ...]) -> FetchResult:
    """`fetch_many`, with a raised SourceError turned into one error per name."""
    try:
        return _as_result(source.fetch_many(names))
    except SourceError as exc:
        return FetchResult(errors={name: _per_name_error(exc, name) for name in names})


def _as_result(result: Mapping[str, Secret]) -> FetchResult:
    """A source's answer as a FetchResult (a third-party source may return a plain dict)."""
    if isinstance(result, FetchResult):
        return result
    return FetchResult(result, getattr(result, "errors", None))


def _per_name_error(exc: SourceError, name: str) -> SourceError:
    """The error for `name` when a whole `fetch_many` raised `exc`."""
    if isinstance(exc, FetchErrors) and name in exc.errors:
        return exc.errors[name]
    if exc.secret == name:
        return exc
    kind = type(exc) if type(exc) in (SecretNotFound, SecretFormatError) else SourceError
    return kind(f"secret {name!r}: {exc}", secret=name, code=exc.code)


class OverrideSource(BaseSource):
    """The platform's `OVERRIDE_<KEY>` pattern on top of any source.

    After a fetch, every field `KEY` of every fetched secret is replaced by
    the variable `<prefix><KEY>` when it is set (the field name exactly as
    stored, case-sensitive). An override applies to each secret that has the
    field, so `OVERRIDE_POSTGRES_PASSWORD` changes both Postgres secrets:
    that is the platform's behaviour and the point of the pattern (one switch
    for a local run). It replaces fields only; it never adds one, and it never
    makes a missing secret exist. The value is taken as exact text (a nested
    field overridden becomes plain text).

    Which fields were overridden is logged (names only) on the
    `rideinfra.secrets` logger, and recorded in the secret's `origin`
    (`aws-secretsmanager+env:OVERRIDE_API_KEY`).

    Args:
        source: the source to override.
        environ: the variables (pass `os.environ` from an entrypoint).
        prefix: the variable prefix.

    Raises:
        TypeError: `source` is not a source, `environ` not a mapping, `prefix` not a str.
    """

    def __init__(
        self,
        source: SecretSource,
        environ: Mapping[str, str],
        *,
        prefix: str = DEFAULT_OVERRIDE_PREFIX,
    ) -> None:
        _check_source(source, "source")
        _check_type(environ, Mapping, "environ", "a mapping of variable -> value (os.environ)")
        _check_type(prefix, str, "prefix", "a str")
        self._source = source
        self._environ = environ
        self._prefix = prefix

    def _fetch_many(self, names: tuple[str, ...]) -> FetchResult:
        result = _as_result(self._source.fetch_many(names))
        found = {name: self._override(secret) for name, secret in result.items()}
        return FetchResult(found, result.errors)

    def _override(self, secret: Secret) -> Secret:
        fields = dict(secret.fields)
        variables: list[str] = []
        for field in secret.fields:
            variable = self._prefix + field
            value = self._environ.get(variable)
            if value is not None:
                fields[field] = SecretValue(value)
                variables.append(variable)
        if not variables:
            return secret
        logger().info(
            "secret %s: fields overridden from the environment: %s",
            secret.name,
            ", ".join(variables),
        )
        origin = f"{secret.origin}+env:{','.join(variables)}"
        return Secret(secret.name, fields, version_id=secret.version_id, origin=origin)

    def __repr__(self) -> str:
        return f"OverrideSource({self._source!r}, prefix={self._prefix!r})"
