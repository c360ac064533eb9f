"""Validation of External Secrets Operator objects against the CRDs' openAPIV3Schema."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

CRD_DIR = Path(__file__).resolve().parents[1] / "data" / "eso-crds"


def _strict(node: Any) -> Any:
    """The schema as the API server applies it with strict field validation.

    Kubernetes rejects unknown fields (kubectl --validate=strict, the default),
    where plain JSON Schema would allow them; ``nullable`` becomes a null type.
    """
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _strict(value) for key, value in node.items()}
    if out.get("nullable") is True and "type" in out:
        out["type"] = [out["type"], "null"]
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@functools.cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, version) -> strict schema, from the CRD files kept in tests/data."""
    schemas = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        kind = crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schemas[kind, version["name"]] = _strict(version["schema"]["openAPIV3Schema"])
    return schemas


_SUBDOMAIN = re.compile(
    r"(?=.{1,253}\Z)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
)
_LABEL = re.compile(r"(?=.{1,63}\Z)[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def _no_cel(schema: Any, instance: Any, path: str) -> None:
    """Fail if the object reaches a CEL rule, which jsonschema cannot evaluate."""
    if not isinstance(schema, dict):
        return
    assert "x-kubernetes-validations" not in schema, f"unchecked CEL rule at {path}"
    if isinstance(instance, dict):
        for key, value in instance.items():
            child = schema.get("properties", {}).get(key)
            _no_cel(child, value, f"{path}.{key}")
    elif isinstance(instance, list):
        for i, value in enumerate(instance):
            _no_cel(schema.get("items"), value, f"{path}[{i}]")


def crd_errors(doc: Mapping[str, Any]) -> list[str]:
    """Why the API server would refuse ``doc`` (empty when it is valid)."""
    group, _, version = doc["apiVersion"].partition("/")
    assert group == "external-secrets.io"
    # ClusterSecretStore's spec is SecretStore's (one Go type); its CRD is not kept here.
    kind = "SecretStore" if doc["kind"] == "ClusterSecretStore" else doc["kind"]
    schema = crd_schemas()[kind, version]
    errors = [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(doc)]
    meta = doc["metadata"]
    if set(meta) - {"name", "namespace", "labels"}:
        errors.append(f"unexpected metadata {sorted(meta)}")
    if not _SUBDOMAIN.fullmatch(meta["name"]):
        errors.append(f"bad name {meta['name']!r}")
    if "namespace" in meta and not _LABEL.fullmatch(meta["namespace"]):
        errors.append(f"bad namespace {meta['namespace']!r}")
    if not errors:
        _no_cel(schema, doc, "")
    return errors


def assert_valid(docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        assert crd_errors(doc) == [], doc["metadata"]["name"]
