"""The ``json`` format: one JSON object ``{"NAME": "value"}``, keys sorted.

Exact for every string ``json.loads`` can return that is valid Unicode
(NUL included, as ``\\u0000``); non-ASCII text is written as UTF-8.
"""

from __future__ import annotations

from json.encoder import encode_basestring

from rideinfra.render.base import Values, entries

__all__ = ["render_json"]


def render_json(values: Values) -> str:
    """Render the variables as a JSON object, two-space indented, with a final newline.

    The text is what ``json.dumps(data, indent=2, ensure_ascii=False,
    sort_keys=True)`` gives for a mapping of strings, built here in one pass:
    ``json.dumps`` with ``indent`` falls back to its pure-Python encoder and
    sorts the keys again, which ``entries`` has already done.

    Raises:
        RenderError: a value is structured, not a string, or not valid Unicode.
    """
    lines = [
        f"  {encode_basestring(name)}: {encode_basestring(text)}"
        for name, text in entries(values, fmt="json")
    ]
    if not lines:
        return "{}\n"
    return "{\n" + ",\n".join(lines) + "\n}\n"
