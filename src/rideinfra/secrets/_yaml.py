"""The one YAML loader: rideinfra.yaml, seed files and YAML secrets files all use it.

PyYAML's `safe_load` builds plain data only, but on its own it

- keeps the last of two equal keys without a word,
- lets a few lines of nested aliases (a "billion laughs") expand to more data
  than memory holds once something walks it,
- quotes the input in its error messages (`found undefined alias 'x'`,
  `could not determine a constructor for the tag '!x'`), and in a seed or
  secrets file the input is a secret value,
- lets a bad explicit tag (`!!int abc`, `!!bool maybe`, `!!timestamp x`)
  escape as a bare `ValueError`, `KeyError` or `AttributeError`.

So, one policy for every file rideinfra reads:

- **Duplicate keys** are errors naming both lines (`<<:` merge keys may be
  overridden, as YAML intends).
- **Aliases: bounded expansion.** Anchors and aliases are allowed, but the
  node graph is measured before any Python data is built: aliases may add at
  most `MAX_ALIAS_NODES` nodes to what is written (a node reached through an
  alias counts each time it is reached), and an alias to its own ancestor
  (infinite when expanded) is refused. A file without aliases is never
  refused by this, however large; its size is bounded by the caller's byte
  limit. Refusing aliases outright would break configs that share a list
  with `&name`/`*name` or `<<: *base`, for no safety gain over the bound.
- **Errors say where and what, never the text**: `YamlError` carries the
  line, the column (`line 3: invalid YAML: a list `[` that is not closed
  (column 1)`) and a fixed description of the problem chosen here
  (never PyYAML's message, which may quote the document). The only names
  shown are duplicate keys, which are names, not values.

libyaml's parser is used where PyYAML has it (its wheels do): it reads a
config in under 1 ms instead of ~6 ms of pure Python, on every init
container's start. Whatever libyaml refuses (it is stricter in a few places:
a surrogate pair written as two `\\u` escapes, as `json.dumps` writes an
emoji; very deep nesting) is read again by PyYAML's own parser, so the
verdict and the message are always PyYAML's.

This module imports PyYAML (~20 ms): `rideinfra.secrets` imports it only
when a YAML file is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from rideinfra._record import Record

__all__ = ["MAX_ALIAS_NODES", "YamlDocument", "YamlError", "load_yaml_text"]

#: How many nodes aliases may add to a document, beyond those written out.
MAX_ALIAS_NODES = 100_000

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STANDARD_TAG = "tag:yaml.org,2002:"


class YamlError(Exception):
    """The text is not YAML rideinfra reads; `str()` is `line L: what (column C)`, no input.

    Attributes:
        line: 1-based line of the problem, if known.
        column: 1-based column, if known.
        problem: what is wrong, in words chosen here.
    """

    def __init__(self, problem: str, *, line: int | None = None, column: int | None = None):
        self.problem, self.line, self.column = problem, line, column
        where = f"line {line}: " if line is not None else ""
        at = f" (column {column})" if column is not None else ""
        super().__init__(f"{where}{problem}{at}")


class YamlDocument(Record):
    """Parsed YAML data plus its node tree, to point errors at lines.

    The repr names the file only: the data and the nodes hold the file's
    values (a seed or secrets file's are secrets).
    """

    __slots__ = ("data", "node", "file")
    _hidden = frozenset({"data", "node"})
    data: Any
    node: Node | None
    file: str

    def __init__(self, data: Any, node: Node | None, file: str) -> None:
        self._init(data=data, node=node, file=file)

    def line(self, path: Sequence[str | int]) -> int | None:
        """The 1-based line of the deepest node found along `path`."""
        node = self.node
        line = node.start_mark.line + 1 if node is not None else None
        for segment in path:
            child = _child(node, segment)
            if child is None:
                break
            node, line = child
        return line

    def node_at(self, path: Sequence[str | int]) -> Node | None:
        """The node at `path`, or None where the path leaves the tree."""
        node = self.node
        for segment in path:
            child = _child(node, segment)
            if child is None:
                return None
            node = child[0]
        return node


def _child(node: Node | None, segment: str | int) -> tuple[Node, int] | None:
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == str(segment):
                return value_node, key_node.start_mark.line + 1
    elif isinstance(node, SequenceNode) and isinstance(segment, int):
        items = node.value
        if 0 <= segment < len(items):
            return items[segment], items[segment].start_mark.line + 1
    return None


# --- construction: duplicate keys and bad explicit tags ----------------------------------


class _DuplicateKey(Exception):
    def __init__(self, key: object, first: int, node: Node) -> None:
        self.key, self.first, self.node = key, first, node


def _construct_mapping(
    loader: SafeConstructor, node: MappingNode, deep: bool = False
) -> dict[Any, Any]:
    """SafeConstructor's construct_mapping, refusing a key that appears twice."""
    if not isinstance(node, MappingNode):  # `!!set [a]`: SafeConstructor says what is wrong
        return SafeConstructor.construct_mapping(loader, node, deep=deep)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue  # "<<: *base" keys may legitimately be overridden
        key = loader.construct_object(key_node, deep=True)
        try:
            if key in seen:
                raise _DuplicateKey(key, seen[key], key_node)
            seen[key] = key_node.start_mark.line + 1
        except TypeError:
            continue  # unhashable key: SafeConstructor reports it below
    return SafeConstructor.construct_mapping(loader, node, deep=deep)


def _construct_object(loader: SafeConstructor, node: Node, deep: bool = False) -> Any:
    """SafeConstructor's construct_object, turning a scalar it cannot convert into an error.

    `!!int abc` raises ValueError, `!!int` IndexError, `!!bool maybe` KeyError, `!!timestamp abc`
    AttributeError, `!!set [a]` TypeError, deep inside PyYAML and without a
    position; here they become a ConstructorError at the node.
    """
    try:
        return SafeConstructor.construct_object(loader, node, deep=deep)
    except (ValueError, TypeError, LookupError, AttributeError, ArithmeticError):
        raise _BadTagValue(_tag_name(node.tag), node) from None


class _BadTagValue(ConstructorError):
    def __init__(self, tag: str, node: Node) -> None:
        super().__init__(None, None, "a value that does not fit its tag", node.start_mark)
        self.tag = tag


def _tag_name(tag: str) -> str:
    """`!!int` for YAML's own tags; other tags are the document's text, so not shown."""
    return "!!" + tag.removeprefix(_STANDARD_TAG) if tag.startswith(_STANDARD_TAG) else "a tag"


_HOOKS = {"construct_mapping": _construct_mapping, "construct_object": _construct_object}
_Loader = type("_Loader", (yaml.SafeLoader,), dict(_HOOKS))
_FastLoader = (
    type("_FastLoader", (yaml.CSafeLoader,), dict(_HOOKS)) if hasattr(yaml, "CSafeLoader") else None
)


# --- alias expansion ----------------------------------------------------------------------


def _alias_growth(root: Node, limit: int) -> int:
    """Nodes that aliases add when expanded (over `limit` for a cycle or more than `limit`)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    budget = limit + sum(1 for _ in _distinct(root))

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            return budget + 1  # an alias to its own ancestor: infinite when expanded
        active.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            for item in node.value:
                total += size(item)
                if total > budget:
                    break
        elif isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                total += size(key_node) + size(value_node)
                if total > budget:
                    break
        active.discard(key)
        sizes[key] = total
        return total

    return size(root) - (budget - limit)


def _distinct(root: Node) -> list[Node]:
    """Every node once, however often aliases reach it."""
    seen: set[int] = set()
    out: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        out.append(node)
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            for pair in node.value:
                stack.extend(pair)
    return out


# --- loading ------------------------------------------------------------------------------


class _Retry(Exception):
    """libyaml refused the text; PyYAML's parser will say what it makes of it."""


def load_yaml_text(text: str, *, what: str = "file", file: str = "<yaml>") -> YamlDocument:
    """Parse YAML text by the policy above.

    Args:
        text: the document.
        what: what the file is, for messages (`config`, `seed file`, `secrets file`).
        file: the name the returned document carries.

    Raises:
        YamlError: not one YAML document, a duplicate key, an alias bomb, a
            bad tag or value, or nesting too deep; names the line and column.
    """
    if _FastLoader is not None:
        try:
            return _load(_FastLoader, text, what=what, file=file, retry=True)
        except _Retry:
            pass
    return _load(_Loader, text, what=what, file=file, retry=False)


def _load(
    loader_class: type[yaml.SafeLoader], text: str, *, what: str, file: str, retry: bool
) -> YamlDocument:
    try:
        loader = loader_class(text)  # PyYAML's reader checks the characters here
    except yaml.YAMLError as exc:
        raise _Retry if retry else _describe(exc, text) from None
    try:
        node = loader.get_single_node()
        if node is not None and _alias_growth(node, MAX_ALIAS_NODES) > MAX_ALIAS_NODES:
            raise YamlError(
                f"the {what} expands to more than {MAX_ALIAS_NODES} YAML nodes through anchors "
                "and aliases (an alias bomb?); write the values out instead"
            )
        data = loader.construct_document(node) if node is not None else None
    except _DuplicateKey as exc:
        mark = exc.node.start_mark
        raise YamlError(
            f"key {_shown(exc.key)} appears twice (first on line {exc.first}); YAML would "
            "silently keep only the last, so merge or rename them",
            line=mark.line + 1,
            column=mark.column + 1,
        ) from None
    except yaml.YAMLError as exc:
        if retry:
            raise _Retry from None
        raise _describe(exc, text) from None
    except RecursionError:
        if retry:
            raise _Retry from None
        raise YamlError(f"the {what} is nested too deeply to read") from None
    except (ValueError, TypeError, LookupError, AttributeError, ArithmeticError):
        # Not expected (construct_object turns these into positioned errors); should a
        # PyYAML constructor still raise one, it is a refusal of the input, not a crash.
        raise YamlError("invalid YAML: a value that does not fit its tag") from None
    finally:
        loader.dispose()
    return YamlDocument(data, node, file)


def _shown(key: object) -> str:
    text = repr(key)
    return text if len(text) <= 80 else text[:77] + "..."


# PyYAML's problems, by their fixed opening words (what follows is often quoted input),
# and what we say instead. The first match wins; anything else is "a syntax error".
_PROBLEMS: tuple[tuple[str, str], ...] = (
    (
        "could not determine a constructor for the tag",
        "an unknown tag (a value starting with `!`); quote the value",
    ),
    ("found undefined tag handle", "an unknown tag (a value starting with `!`); quote the value"),
    ("found undefined alias", "an alias to no anchor (a value starting with `*`); quote the value"),
    ("found duplicate anchor", "an anchor (`&name`) defined twice"),
    ("found unhashable key", "a key that is a list or mapping"),
    ("found unconstructable recursive node", "an alias inside its own anchor"),
    ("expected a mapping node", "a tag that needs a mapping (like `!!set`) on something else"),
    ("expected a sequence node", "a tag that needs a list (like `!!omap`) on something else"),
    ("expected a scalar node", "a tag that needs a single value on a list or mapping"),
    ("expected a mapping", "a `<<:` merge, `!!omap` or `!!pairs` of something else"),
    ("expected a sequence", "an `!!omap` or `!!pairs` of something else"),
    ("failed to decode base64 data", "a `!!binary` value that is not base64"),
    ("found unknown escape character", 'an unknown escape in a double-quoted string ("\\q")'),
    ("expected escape sequence", 'a bad escape in a double-quoted string ("\\x", "\\u")'),
    ("found character", "a character that cannot start a value here (a tab?); quote the value"),
    ("mapping values are not allowed here", "a `:` where a value cannot start; quote the value"),
    ("mapping keys are not allowed here", "a `?` where a key cannot start; quote the value"),
    ("sequence entries are not allowed here", "a `- ` where a list cannot start"),
    ("found unexpected end of stream", "the file ends inside a quoted value"),
    ("found unexpected document separator", "a `---` inside a quoted value"),
    ("expected '<document start>'", "more than one document (`---`) in the file"),
    ("expected a single document", "more than one document (`---`) in the file"),
    # The composer's problem when a second document follows (its context is the line above).
    ("but found another document", "more than one document (`---`) in the file; keep one"),
    ("expected <block end>", "a line indented differently from the ones before it"),
    ("expected ',' or ']'", "a list `[` that is not closed"),
    ("expected ',' or '}'", "a mapping `{` that is not closed"),
    ("expected the node content", "a value missing where one should be"),
    ("could not find expected ':'", "a key without its `:`"),
    ("expected alphabetic or numeric character", "an anchor, alias or tag without a name"),
    ("expected a comment or a line break", "text after a value where only a comment may be"),
)


def _describe(exc: yaml.YAMLError, text: str) -> YamlError:
    """A YamlError at the problem's position, in words that hold none of the input."""
    if isinstance(exc, yaml.reader.ReaderError):
        line, column = _position(text, exc.position)
        return YamlError(
            "a control character YAML does not allow; write it as an escape in a "
            'double-quoted string ("\\x1b") or remove it',
            line=line,
            column=column,
        )
    if not isinstance(exc, yaml.MarkedYAMLError):
        return YamlError("invalid YAML")
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or ""
    if isinstance(exc, _BadTagValue):
        said = f"the value does not fit its explicit tag {exc.tag}; remove the tag or fix the value"
    else:
        said = next((w for start, w in _PROBLEMS if problem.startswith(start)), "a syntax error")
    where = {"line": mark.line + 1, "column": mark.column + 1} if mark is not None else {}
    return YamlError(f"invalid YAML: {said}", **where)


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of character `index`."""
    index = max(0, min(index, len(text)))
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1
