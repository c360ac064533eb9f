"""Where each variable comes from, as rows and as a table: names only, never values."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from rideinfra.profiles.model import Config, Env
from rideinfra.profiles.resolve import resolve
from rideinfra.secrets.base import SecretSource

__all__ = ["EXPLAIN_HEADERS", "ExplainRow", "explain", "explain_envs", "format_explain"]


@attrs.frozen
class ExplainRow:
    """One variable of one profile and its origin."""

    profile: str
    variable: str
    secret: str
    field: str
    transforms: tuple[str, ...]

    def cells(self) -> tuple[str, str, str, str]:
        """The row as table cells: profile, variable, `secret:field`, transforms (`-`: none)."""
        return (
            self.profile,
            self.variable,
            f"{self.secret}:{self.field}",
            " | ".join(self.transforms) or "-",
        )


#: Column headings for `ExplainRow.cells()`.
EXPLAIN_HEADERS = ("PROFILE", "VARIABLE", "FROM", "VIA")


def explain_envs(envs: dict[str, Env]) -> list[ExplainRow]:
    """Rows for already-resolved profiles: profile order, then variable name."""
    rows = []
    for profile, env in envs.items():
        for entry in env.entries:
            origin = entry.origin
            rows.append(
                ExplainRow(profile, entry.name, origin.secret, origin.field, origin.transforms)
            )
    return rows


def explain(
    config: Config, source: SecretSource, profiles: Sequence[str] | None = None
) -> list[ExplainRow]:
    """Resolve the profiles (one fetch) and say where each variable comes from.

    The store is read because variable names can depend on a secret's fields
    (`airflow` maps unlisted fields by prefix). Raises what `resolve()` raises.
    """
    return explain_envs(resolve(config, source, profiles=profiles))


def format_explain(rows: Sequence[ExplainRow], *, header: bool = True) -> str:
    """An aligned text table, one line per row (plus a header line), ending in a newline.

    Columns: profile, variable, `secret:field`, the transforms applied
    (joined with ` | `; `-` for none).
    """
    table = [EXPLAIN_HEADERS] if header else []
    table += [row.cells() for row in rows]
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
