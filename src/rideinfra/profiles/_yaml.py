"""Loading YAML config files defensively, keeping the nodes for line numbers.

PyYAML's ``safe_load`` builds plain data only, but it still keeps the last of
two equal keys without a word, and a few lines of nested aliases (a "billion
laughs") expand to more data than memory holds once something walks it. So:
the file size is capped before reading, duplicate keys are errors, and the
aliased node graph is measured (shared nodes counted each time they are
reached) before any Python data is built from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from rideinfra.errors import ConfigError

__all__ = ["MAX_BYTES", "MAX_NODES", "YamlDocument", "load_yaml_file", "load_yaml_text"]

MAX_BYTES = 1 << 20
MAX_NODES = 100_000
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _construct_mapping(
    loader: yaml.constructor.SafeConstructor, node: MappingNode, deep: bool = False
) -> dict[Any, Any]:
    """SafeConstructor's construct_mapping, refusing a key that appears twice."""
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue  # "<<: *base" keys may legitimately be overridden
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            if key in seen:
                raise _DuplicateKey(key, seen[key], line)
            seen[key] = line
        except TypeError:
            continue  # unhashable key: SafeLoader reports it below
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)


# Two loaders that differ only in their parser. libyaml's (where PyYAML has it, as its
# wheels do) reads a config in under 1 ms instead of ~6 ms of pure Python, on every
# init container's start; the constructor, nodes and marks are the same Python code
# either way. libyaml is stricter in a few places (a surrogate pair written as two \u
# escapes, as json.dumps writes an emoji; very deep nesting), so whatever it refuses
# is read again by PyYAML's own parser and gets the verdict it always had.
_Loader = type("_Loader", (yaml.SafeLoader,), {"construct_mapping": _construct_mapping})
_FastLoader = (
    type("_FastLoader", (yaml.CSafeLoader,), {"construct_mapping": _construct_mapping})
    if hasattr(yaml, "CSafeLoader")
    else None
)


class _Retry(Exception):
    """libyaml refused the text; PyYAML's parser will say what it makes of it."""


class _DuplicateKey(Exception):
    def __init__(self, key: object, first: int, second: int) -> None:
        self.key, self.first, self.second = key, first, second


@attrs.frozen
class YamlDocument:
    """Parsed YAML data plus its node tree, to point errors at lines."""

    data: Any
    node: Node | None
    file: str

    def line(self, path: Sequence[str | int]) -> int | None:
        """The 1-based line of the deepest node found along ``path``."""
        node = self.node
        line = node.start_mark.line + 1 if node is not None else None
        for segment in path:
            child = _child(node, segment)
            if child is None:
                break
            node, line = child
        return line


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


def _expanded_size(root: Node, limit: int) -> int:
    """Count nodes as if every alias were expanded; cycles count as over the limit."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            return limit + 1  # an alias to its own ancestor: infinite when expanded
        active.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            for item in node.value:
                total += size(item)
                if total > limit:
                    break
        elif isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                total += size(key_node) + size(value_node)
                if total > limit:
                    break
        active.discard(key)
        sizes[key] = total
        return total

    return size(root)


def load_yaml_text(text: str, *, file: str, what: str = "config") -> YamlDocument:
    """Parse YAML text safely (see module docstring).

    Raises:
        ConfigError: invalid YAML, a duplicate key, or an alias bomb; the
            message names ``file`` and the line.
    """
    if _FastLoader is not None:
        try:
            return _load(_FastLoader, text, file=file, what=what, refused=_Retry)
        except _Retry:
            pass
    return _load(_Loader, text, file=file, what=what, refused=None)


def _load(
    loader_class: type[yaml.SafeLoader],
    text: str,
    *,
    file: str,
    what: str,
    refused: type[Exception] | None,
) -> YamlDocument:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is not None and _expanded_size(node, MAX_NODES) > MAX_NODES:
            raise ConfigError(
                f"the {what} expands to more than {MAX_NODES} YAML nodes through anchors and "
                "aliases (an alias bomb?); write the values out instead",
                file=file,
            )
        data = loader.construct_document(node) if node is not None else None
    except _DuplicateKey as exc:
        raise ConfigError(
            f"line {exc.second}: key {exc.key!r} appears twice (first on line {exc.first}); "
            "YAML would silently keep only the last, so merge or rename them",
            file=file,
        ) from None
    except yaml.YAMLError as exc:
        if refused is not None:
            raise refused from None
        if isinstance(exc, yaml.MarkedYAMLError):
            mark = exc.problem_mark or exc.context_mark
            where = f"line {mark.line + 1}: " if mark is not None else ""
            raise ConfigError(f"{where}invalid YAML: {exc.problem or exc}", file=file) from None
        raise ConfigError(f"invalid YAML: {exc}", file=file) from None
    except RecursionError:
        raise ConfigError(f"the {what} is nested too deeply to read", file=file) from None
    finally:
        loader.dispose()
    return YamlDocument(data, node, file)


def load_yaml_file(path: Path, *, what: str = "config") -> YamlDocument:
    """Read and parse a YAML file, refusing files over :data:`MAX_BYTES` before reading them.

    Raises:
        ConfigError: the file is missing, unreadable, too large, not UTF-8, or bad YAML.
    """
    file = str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{what} file not found", file=file) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the {what} file: {exc.strerror}", file=file) from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(
            f"the {what} file is larger than {MAX_BYTES // 1024} KiB; is it the right file?",
            file=file,
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"the {what} file is not UTF-8 text (byte {exc.start})", file=file
        ) from None
    return load_yaml_text(text, file=file, what=what)
