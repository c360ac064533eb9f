"""Where each variable comes from, as rows and as a table: names only, never values."""

from __future__ import annotations

from collections.abc import Sequence

from rideinfra._record import Record
from rideinfra.errors import printable
from rideinfra.profiles.model import Config, Env
from rideinfra.profiles.resolve import resolve
from rideinfra.secrets.base import SecretSource

__all__ = ["EXPLAIN_HEADERS", "ExplainRow", "explain", "explain_envs", "format_explain"]


class ExplainRow(Record):
    """One variable of one profile and its origin.

    `version` is the secret's own `version_stage` or `version_id` from the
    config (empty: AWSCURRENT, the default). `stored_as` is `plain` or
    `binary` when the variable is the whole stored secret (the config's
    `plain:` / `binary:`), whose `field` is then the name the config gave it.

    A variable a `template` composed has `inputs`: the `secret:field` of every
    field it used, each once (its `transforms` start with the template itself);
    `field` is then the template text, and `secret` empty for a profile-level one.
    """

    __slots__ = (
        "profile",
        "variable",
        "secret",
        "field",
        "transforms",
        "version",
        "stored_as",
        "inputs",
    )
    profile: str
    variable: str
    secret: str
    field: str
    transforms: tuple[str, ...]
    version: str
    stored_as: str | None
    inputs: tuple[str, ...] | None

    def __init__(
        self,
        profile: str,
        variable: str,
        secret: str,
        field: str,
        transforms: tuple[str, ...],
        version: str = "",
        stored_as: str | None = None,
        inputs: tuple[str, ...] | None = None,
    ) -> None:
        self._init(
            profile=profile,
            variable=variable,
            secret=secret,
            field=field,
            transforms=transforms,
            version=version,
            stored_as=stored_as,
            inputs=inputs,
        )

    def cells(self) -> tuple[str, str, str, str]:
        """Table cells: profile, variable, `secret:field` (or `secret (plain)`), transforms.

        A secret read at its own version shows it: `app/db:PASSWORD (AWSPREVIOUS)`; a
        composed variable's FROM is `template(secret:field, ...)`.
        """
        if self.inputs is not None:
            origin = "template(" + ", ".join(self.inputs) + ")"
        elif self.stored_as:
            origin = f"{self.secret} ({self.stored_as})"
        else:
            origin = f"{self.secret}:{self.field}"
        origin += f" ({self.version})" if self.version else ""
        return (self.profile, self.variable, origin, " | ".join(self.transforms) or "-")


#: Column headings for `ExplainRow.cells`.
EXPLAIN_HEADERS = ("PROFILE", "VARIABLE", "FROM", "VIA")


def explain_envs(envs: dict[str, Env], config: Config | None = None) -> list[ExplainRow]:
    """Rows for already-resolved profiles: profile order, then variable name.

    Args:
        envs: profile -> Env.
        config: the config they came from: which secrets are read whole or at a version.
    """
    bound = config.secrets if config is not None else {}
    rows = []
    for profile, env in envs.items():
        for entry in env.entries:
            origin = entry.origin
            secret = bound.get(origin.secret)
            version = (secret.version_stage or secret.version_id or "") if secret else ""
            whole = secret.stored_as if secret is not None else None
            inputs = None
            if origin.inputs is not None:
                inputs = tuple(dict.fromkeys(i.ref for i in origin.inputs))
            rows.append(
                ExplainRow(
                    profile,
                    entry.name,
                    origin.secret,
                    origin.field,
                    origin.transforms,
                    version,
                    whole,
                    inputs,
                )
            )
    return rows


def explain(
    config: Config, source: SecretSource, profiles: Sequence[str] | None = None
) -> list[ExplainRow]:
    """Resolve the profiles (one fetch) and say where each variable comes from.

    The store is read because variable names can depend on a secret's fields
    (`airflow` maps unlisted fields by prefix). Raises what `resolve` raises.
    """
    return explain_envs(resolve(config, source, profiles=profiles), config)


def format_explain(rows: Sequence[ExplainRow], *, header: bool = True) -> str:
    """An aligned text table, one line per row (plus a header line), ending in a newline.

    Columns: profile, variable, `secret:field`, the transforms applied
    (joined with ` | `; `-` for none). Each cell is escaped by `printable`
    (a field name from the store can hold a newline or an escape sequence).
    """
    table: list[tuple[str, ...]] = [EXPLAIN_HEADERS] if header else []
    table += [tuple(printable(cell) for cell in row.cells()) for row in rows]
    if not table:
        return ""
    widths = [max(len(line[i]) for line in table) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line[:3], widths, strict=True))
        + "  "
        + line[3]
        for line in table
    ]
    return "\n".join(lines) + "\n"
