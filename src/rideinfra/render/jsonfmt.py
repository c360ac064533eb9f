"""The ``json`` format: one JSON object ``{"NAME": "value"}``, keys sorted.

Exact for every string ``json.loads`` can return that is valid Unicode
(NUL included, as ``\\u0000``); non-ASCII text is written as UTF-8.
"""

from __future__ import annotations

import json

from rideinfra.render.base import Values, entries

__all__ = ["render_json"]


def render_json(values: Values) -> str:
    """Render the variables as a JSON object, two-space indented, with a final newline.

    Raises:
        RenderError: a value is structured, not a string, or not valid Unicode.
    """
    data = dict(entries(values, fmt="json"))
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
