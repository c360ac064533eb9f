"""What External Secrets Operator would put in an ExternalSecret's target Secret: keys only.

An evaluator of ESO's documented semantics, so manifests are checked without
a cluster. It works on names: the store is ``secret name -> field names``
and the result is ``target key -> (secret, property)``.

* ``dataFrom`` items apply in order, each merged over the previous ones;
  then every ``data`` entry sets its ``secretKey`` (data wins).
* ``extract`` gives one key per top-level field of the secret's JSON.
* ``rewrite`` operations apply in order, each to the previous one's output;
  a ``regexp`` rewrite is Go's ``Regexp.ReplaceAllString(key, target)``:
  every non-overlapping leftmost-first match is replaced, an empty match
  right after a previous match is skipped, and ``$name`` / ``${name}`` in the
  target expand Go-style (``$1x`` means the group named ``1x``; a missing
  group is empty; ``$$`` is ``$``). Keys that match nothing stay.
* ``remoteRef.property`` names a top-level field (gjson path syntax beyond a
  plain key is out of scope here and refused).
* ``target.template`` (engine v2, mergePolicy Merge): each ``data`` key is
  added, as ``("template", "secret:field", ...)``: the fetched keys its
  ``index . "KEY"`` actions read, each once. Evaluating the text itself is
  tests/support/go_template.py's job (real Go text/template).

The Go (RE2) patterns are translated to Python for the subset where both
agree; anything outside it raises :class:`EsoEvalError` instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["EsoEvalError", "evaluate", "go_expand", "go_regexp", "go_replace_all"]

_SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]{1,253}")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_]")


class EsoEvalError(Exception):
    """ESO would fail this sync (or the evaluator cannot say what ESO does)."""


def _escape(source: str, i: int, in_class: bool) -> str:
    """The Python form of the escape at ``source[i]``."""
    if i + 1 >= len(source):
        raise EsoEvalError(f"regexp {source!r}: trailing backslash")
    nxt = source[i + 1]
    if nxt in "QEpPC" or (nxt == "z" and in_class):
        raise EsoEvalError(f"regexp {source!r}: \\{nxt} not supported by this evaluator")
    if nxt.isdigit() or nxt in "Zg":
        raise EsoEvalError(f"regexp {source!r}: \\{nxt} is not Go syntax")
    return "\\Z" if nxt == "z" else source[i : i + 2]


def _check_group(source: str, rest: str) -> None:
    """Refuse ``(?`` forms other than non-capturing, named (?P<>) and i/s flags."""
    if not (rest.startswith(("P<", ":")) or re.match(r"[is]+(:|\))", rest)):
        raise EsoEvalError(f"regexp {source!r}: group syntax (?{rest[:3]} not supported")


def go_regexp(source: str) -> re.Pattern[str]:
    """Compile a Go regexp for the syntax Go and Python read alike.

    ``$`` and ``\\z`` (end of text in Go without ``(?m)``) become ``\\Z``.
    Raises EsoEvalError for syntax that differs or that Go lacks.
    """
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(source):
        char = source[i]
        if char == "\\":
            out.append(_escape(source, i, in_class))
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            first = i + 2 if source[i + 1 : i + 2] == "^" else i + 1
            if source[first : first + 1] == "]":
                raise EsoEvalError(f"regexp {source!r}: a leading ] in a class is not supported")
        elif char == "(" and source[i + 1 : i + 2] == "?":
            _check_group(source, source[i + 2 :])
        elif char == "$":
            char = r"\Z"
        out.append(char)
        i += 1
    try:
        return re.compile("".join(out))
    except re.error as exc:
        raise EsoEvalError(f"regexp {source!r} does not compile: {exc}") from None


def _template_name(template: str, i: int) -> tuple[str | None, int]:
    """The group name after a ``$`` at ``template[i-1]``, and where the text resumes."""
    if template[i : i + 1] == "{":
        end = template.find("}", i)
        name = template[i + 1 : end] if end > 0 else ""
        if end < 0 or not name or not all(_NAME_CHAR.match(c) for c in name):
            return None, i
        return name, end + 1
    j = i
    while j < len(template) and _NAME_CHAR.match(template[j]):
        j += 1
    return (template[i:j], j) if j > i else (None, i)


def go_expand(template: str, match: re.Match[str]) -> str:
    """Go's ``Regexp.Expand`` of ``template`` for one match."""
    out: list[str] = []
    i = 0
    while i < len(template):
        dollar = template.find("$", i)
        if dollar < 0:
            out.append(template[i:])
            break
        out.append(template[i:dollar])
        i = dollar + 1
        if template[i : i + 1] == "$":
            out.append("$")
            i += 1
            continue
        name, i = _template_name(template, i)
        if name is None:
            out.append("$")  # malformed: Go keeps the $ as text
            continue
        if name.isdigit():
            number = int(name)
            if number <= (match.re.groups or 0):
                out.append(match.group(number) or "")
        elif name in match.re.groupindex:
            out.append(match.group(name) or "")
    return "".join(out)


def go_replace_all(pattern: re.Pattern[str], src: str, template: str) -> str:
    """Go's ``Regexp.ReplaceAllString(src, template)``."""
    out: list[str] = []
    last_end = 0
    pos = 0
    while pos <= len(src):
        match = pattern.search(src, pos)
        if match is None:
            break
        start, end = match.span()
        out.append(src[last_end:start])
        # No replacement for an empty match right after the previous match.
        if end > last_end or start == 0:
            out.append(go_expand(template, match))
        last_end = end
        pos = pos + 1 if pos + 1 > end else end
    out.append(src[last_end:])
    return "".join(out)


def _rewrite(rewrites: Sequence[Mapping[str, Any]], keys: dict[str, Any]) -> dict[str, Any]:
    for operation in rewrites:
        if set(operation) != {"regexp"}:
            raise EsoEvalError(f"rewrite {sorted(operation)} not supported by this evaluator")
        pattern = go_regexp(operation["regexp"]["source"])
        target = operation["regexp"]["target"]
        out: dict[str, Any] = {}
        for key, value in keys.items():
            out[go_replace_all(pattern, key, target)] = value  # later keys overwrite, as in Go
        keys = out
    return keys


_INDEX = re.compile(r'index \. "([^"\\]*)"')


def _templates(spec: Mapping[str, Any], fetched: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    template = spec.get("target", {}).get("template")
    if not template:
        return {}
    if template.get("engineVersion") != "v2" or template.get("mergePolicy") != "Merge":
        raise EsoEvalError("only engineVersion v2 with mergePolicy Merge is modelled")
    out: dict[str, Any] = {}
    for key, text in template.get("data", {}).items():
        refs = []
        for name in _INDEX.findall(text):
            if name not in fetched:
                raise EsoEvalError(f"template {key!r} reads key {name!r}, which is not fetched")
            refs.append(":".join(fetched[name]))
        out[key] = ("template", *dict.fromkeys(refs))
    return out


def evaluate(
    external_secret: Mapping[str, Any], store: Mapping[str, Sequence[str]]
) -> dict[str, tuple[str, ...]]:
    """The target Secret's keys, each with the (secret, field) it is read from.

    Args:
        external_secret: the manifest, as parsed YAML.
        store: secret name -> its field names.

    Raises:
        EsoEvalError: ESO would fail: a missing secret or property, a
            resulting key that is not a valid Secret key, or a feature this
            evaluator does not model.
    """
    spec = external_secret["spec"]
    result: dict[str, tuple[str, ...]] = {}
    for item in spec.get("dataFrom", []):
        if set(item) - {"extract", "rewrite"}:
            raise EsoEvalError(f"dataFrom item {sorted(item)} not supported")
        ref = item["extract"]
        if ref.get("property") or ref.get("decodingStrategy", "None") != "None":
            raise EsoEvalError("extract with property or decoding not supported")
        if ref["key"] not in store:
            raise EsoEvalError(f"secret {ref['key']!r} does not exist")
        keys = {field: (ref["key"], field) for field in store[ref["key"]]}
        result.update(_rewrite(item.get("rewrite", []), keys))
    for entry in spec.get("data", []):
        remote = entry["remoteRef"]
        secret, field = remote["key"], remote.get("property")
        if secret not in store:
            raise EsoEvalError(f"secret {secret!r} does not exist")
        if field is None or field not in store[secret]:
            raise EsoEvalError(f"property {field!r} does not exist in secret {secret!r}")
        result[entry["secretKey"]] = (secret, field)
    result.update(_templates(spec, dict(result)))
    for key in result:
        if not _SECRET_KEY.fullmatch(key):
            raise EsoEvalError(f"key {key!r} is not a valid Secret key")
    return result
