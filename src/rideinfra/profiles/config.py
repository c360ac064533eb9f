"""Loading rideinfra.yaml (version 1) into :class:`~rideinfra.profiles.model.Config`.

Two readers share the work. ``_fast.build`` checks every rule and builds the
Config for a valid file, without pydantic (an init container's start-up is
~95 ms shorter for it). Anything it does not accept goes to the pydantic
models in ``_validate``, which say what is wrong, where and how to fix it, in
one :class:`~rideinfra.errors.ConfigError`. Tests hold the two to the same
verdict on generated configs (tests/profiles/test_config_fast.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yaml.nodes import ScalarNode

from rideinfra.profiles import _fast
from rideinfra.profiles._yaml import YamlDocument, load_yaml_file
from rideinfra.profiles.model import Config

__all__ = ["TRANSFORM_NAMES", "config_json_schema", "load_config", "parse_config"]

#: The transforms rideinfra.yaml knows, by name.
TRANSFORM_NAMES = _fast.TRANSFORM_NAMES


def parse_config(
    data: Any,
    *,
    file: str = "<config>",
    base_dir: Path | None = None,
    document: YamlDocument | None = None,
) -> Config:
    """Validate already-parsed config data (a dict, as from YAML) into a :class:`Config`.

    Args:
        data: the parsed file.
        file: the name errors use.
        base_dir: what relative paths are relative to (default: the working directory).
        document: the YAML nodes, so errors can name lines.

    Raises:
        ConfigError: the data is not a valid version 1 config.
    """
    base = (base_dir or Path.cwd()).absolute()
    path = Path(file) if document is not None else None
    config = _fast.build(data, base, path)
    if config is not None:
        return config
    from rideinfra.profiles import _validate  # imports pydantic: only to explain a refusal

    return _validate.validate(data, document or YamlDocument(data, None, file), base, path)


def _decimal_file_mode(doc: YamlDocument) -> str | None:
    """The text of ``file_mode: 600``, which YAML reads as decimal 600, not octal 0600."""
    node = doc.node
    for segment in ("output", "file_mode"):
        found = None
        if node is not None and hasattr(node, "value") and isinstance(node.value, list):
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.value == segment:
                    found = value
        node = found
    if (
        isinstance(node, ScalarNode)
        and node.tag.endswith(":int")
        and not node.value.startswith("0")
    ):
        return str(node.value)
    return None


def load_config(path: str | Path) -> Config:
    """Load and validate a rideinfra.yaml file.

    Relative paths in it (source paths, output dir, seed) are relative to the
    file's directory.

    Raises:
        ConfigError: the file is missing, too large, bad YAML, or not a valid
            version 1 config; the message names the file, path and line.
    """
    path = Path(path)
    doc = load_yaml_file(path)
    if isinstance(doc.data, dict):
        decimal = _decimal_file_mode(doc)
        if decimal is not None:
            from rideinfra.profiles import _validate

            raise _validate.decimal_mode_error(doc, decimal)
    return parse_config(doc.data, file=str(path), base_dir=path.parent, document=doc)


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema of rideinfra.yaml version 1, for editors and CI checks."""
    from rideinfra.profiles import _validate

    return _validate.config_json_schema()
