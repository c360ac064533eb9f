"""Secrets from environment variables, for containers that are handed them directly."""

from __future__ import annotations

import re
from collections.abc import Mapping

from rideinfra.errors import SecretFormatError, SecretNotFound, SourceError
from rideinfra.secrets.base import BaseSource, FetchResult, _check_parse_options, _check_type
from rideinfra.secrets.model import (
    DEFAULT_PARSE,
    ParseOptions,
    Secret,
    options_for,
    parse_secret_string,
)

__all__ = ["DEFAULT_ENV_PREFIX", "EnvSource", "env_var_for"]

DEFAULT_ENV_PREFIX = "RIDEINFRA_SECRET_"

_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


def env_var_for(name: str, prefix: str = DEFAULT_ENV_PREFIX) -> str:
    """The variable holding secret `name` in by-prefix mode.

    `rideshare/api-key` -> `RIDEINFRA_SECRET_RIDESHARE_API_KEY`.

    Every character other than ASCII letters and digits becomes `_` (so
    `é` is `_`, not `É`), then letters are upper-cased. Different names
    can share a variable (`a-b` and `a_b`); map such names explicitly.
    """
    return prefix + _NOT_ALNUM.sub("_", name).upper()


def _checked_mapping(mapping: object) -> dict[str, dict[str, str]]:
    """`mapping` as plain dicts, once its shape is checked: secret -> {field: variable}.

    Raises:
        TypeError: naming the entry that is not a str or a mapping of str.
    """
    expected = "a mapping of secret name -> {field: variable name}"
    _check_type(mapping, Mapping, "mapping", expected)
    assert isinstance(mapping, Mapping)  # noqa: S101 - narrowed above
    checked: dict[str, dict[str, str]] = {}
    for secret, fields in mapping.items():
        _check_type(secret, str, "mapping's keys", "secret names (str)")
        where = f"mapping[{secret!r}]"
        _check_type(
            fields, Mapping, where, 'a mapping of field -> variable name, e.g. {"F": "VAR"}'
        )
        for field, variable in fields.items():
            _check_type(field, str, f"{where}'s keys", "field names (str)")
            _check_type(variable, str, f"{where}[{field!r}]", "a variable name (str)")
        checked[secret] = dict(fields)
    return checked


class EnvSource(BaseSource):
    """Secrets from an environment mapping, by prefix or by an explicit mapping.

    By prefix (the default): secret `rideshare/api-key` is the variable
    `RIDEINFRA_SECRET_RIDESHARE_API_KEY` (see `env_var_for()`) holding
    the secret's SecretString, JSON `{"API_KEY": "..."}`, parsed as the
    store's would be (`options.plain_field` admits a plain string).

    By mapping: `{"rideshare/redis": {"REDIS_PASSWORD": "REDIS_PASSWORD"}}`
    builds each field from one variable's exact text. A secret none of whose
    variables is set is SecretNotFound; one with only some set is a
    SecretFormatError naming the missing variables (a half-set secret is a
    mistake, not an absence, so a chain does not fall through past it).

    The environment is a parameter: pass `os.environ` from an entrypoint,
    a dict in tests. It is read at every fetch, so a live mapping is seen live.

    Args:
        environ: the variables.
        prefix: the prefix for the by-prefix mode.
        mapping: secret -> {field: variable}; when given, only these secrets
            exist and the prefix is not used.
        options: how a by-prefix value that is not a JSON object becomes fields.
        per_secret: secret name -> its own `options` (rideinfra.yaml's `plain:`).

    Raises:
        TypeError: an argument of the wrong type (`environ` not a mapping,
            `options` not a ParseOptions, a mapping entry not {field: variable}).
    """

    def __init__(
        self,
        environ: Mapping[str, str],
        *,
        prefix: str = DEFAULT_ENV_PREFIX,
        mapping: Mapping[str, Mapping[str, str]] | None = None,
        options: ParseOptions = DEFAULT_PARSE,
        per_secret: Mapping[str, ParseOptions] | None = None,
    ) -> None:
        _check_type(environ, Mapping, "environ", "a mapping of variable -> value (os.environ)")
        _check_type(prefix, str, "prefix", "a str")
        _check_parse_options(options, per_secret)
        self._environ = environ
        self._prefix = prefix
        self._mapping = None if mapping is None else _checked_mapping(mapping)
        self._options = options
        self._per_secret = dict(per_secret or {})

    def _fetch_many(self, names: tuple[str, ...]) -> FetchResult:
        found: dict[str, Secret] = {}
        errors: dict[str, SourceError] = {}
        for name in names:
            try:
                found[name] = self._by_prefix(name) if self._mapping is None else self._mapped(name)
            except SourceError as exc:
                errors[name] = exc
        return FetchResult(found, errors)

    def _by_prefix(self, name: str) -> Secret:
        variable = env_var_for(name, self._prefix)
        text = self._environ.get(variable)
        if text is None:
            raise SecretNotFound(
                f"secret {name!r} not found: the variable {variable} is not set", secret=name
            )
        try:
            options = options_for(name, self._options, self._per_secret)
            return parse_secret_string(name, text, options=options, origin=f"env:{variable}")
        except SecretFormatError as exc:
            raise SecretFormatError(f"{exc} (from the variable {variable})", secret=name) from exc

    def _mapped(self, name: str) -> Secret:
        assert self._mapping is not None  # noqa: S101 - only called in mapping mode
        fields = self._mapping.get(name)
        if fields is None:
            raise SecretNotFound(
                f"secret {name!r} not found: the environment mapping does not list it",
                secret=name,
            )
        values = {field: self._environ.get(variable) for field, variable in fields.items()}
        unset = sorted(fields[field] for field, value in values.items() if value is None)
        if unset and len(unset) == len(values):
            raise SecretNotFound(
                f"secret {name!r} not found: none of its variables is set ({', '.join(unset)})",
                secret=name,
            )
        if unset:
            raise SecretFormatError(
                f"secret {name!r} is only partly set: the variables {', '.join(unset)} are "
                "missing; set them or drop their fields from the mapping",
                secret=name,
            )
        origin = "env:" + ",".join(fields.values())
        # Through the shared parser, so these values obey the same rules as a store's.
        import json  # here: most env secrets are JSON text already

        text = json.dumps(values, ensure_ascii=False)
        # Fields by construction: a per-secret `plain:` would make their JSON text one field.
        return parse_secret_string(name, text, options=self._options, origin=origin)

    def __repr__(self) -> str:
        if self._mapping is None:
            return f"EnvSource(prefix={self._prefix!r})"
        return f"EnvSource(mapping={sorted(self._mapping)})"
