"""The `k8s-secret` format: a v1 Secret manifest (type Opaque, `stringData`).

Every string is written as a YAML double-quoted scalar using only escapes that
JSON and YAML share (`\\" \\\\ \\n \\r \\t \\b \\f \\uXXXX`), and every
character a YAML reader would fold, treat as a line break or reject
(controls, NEL, U+2028/2029, non-characters) is escaped, so no YAML parser can
misread a value as a number, a bool, null, a comment or a multi-line scalar.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

from rideinfra._record import Record
from rideinfra.errors import ConfigError, RenderError
from rideinfra.render.base import K8S_LAST_APPLIED_LIMIT, K8S_SECRET_LIMIT, Values, entries

__all__ = [
    "KubernetesSecret",
    "check_secret_key",
    "yaml_quote",
]

# Kubernetes: Secret keys, object names (RFC 1123 subdomain), namespaces (label).
_KEY = re.compile(r"[-._a-zA-Z0-9]{1,253}")
_SUBDOMAIN = re.compile(
    r"(?=.{1,253}\Z)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
)
_LABEL = re.compile(r"(?=.{1,63}\Z)[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_LABEL_VALUE = re.compile(r"(?=.{0,63}\Z)(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_LABEL_KEY = re.compile(
    r"((?=[^/]{1,253}/)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"(?=[^/]{1,63}\Z)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
)

_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

#: The API server refuses a Secret whose values exceed 1 MiB.
MAX_SECRET_BYTES = K8S_SECRET_LIMIT.max_bytes

# Characters outside YAML's printable set, plus the ones YAML reads as line
# breaks (NEL, LS, PS), which a double-quoted scalar would fold.
_YAML_UNSAFE = re.compile("[\x7f-\x84\x86-\x9f\x85\u2028\u2029\ufeff\ufffe\uffff]")


def yaml_quote(text: str) -> str:
    """Return `text` as a YAML double-quoted scalar that reads back exactly."""
    quoted = json.dumps(text, ensure_ascii=False)
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def check_secret_key(key: str) -> None:
    """The one rule for a key of a Secret's data, for every manifest that names one.

    Raises:
        RenderError: the API server would refuse `key` (characters outside
            `[-._a-zA-Z0-9]`, empty, or over 253); names the variable.
    """
    if not _KEY.fullmatch(key):
        raise RenderError(
            f"variable {key!r} is not a valid Kubernetes Secret key "
            "([-._a-zA-Z0-9], at most 253); rename it",
            variable=key,
        )


def _frozen_labels(labels: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(labels or {}))


class KubernetesSecret(Record):
    """The `k8s-secret` format, configured once with the manifest's metadata.

    Attributes:
        secret_name: `metadata.name`; the profile name when unset.
        namespace: `metadata.namespace`; left out when unset.
        labels: `metadata.labels`.

    Raises:
        ConfigError: on construction, when a name, namespace or label is not
            valid for Kubernetes.
    """

    __slots__ = ("secret_name", "namespace", "labels")
    name: ClassVar[str] = "k8s-secret"
    extension: ClassVar[str] = ".yaml"
    summary: ClassVar[str] = "a v1 Secret manifest (stringData) for kubectl apply"
    secret_name: str | None
    namespace: str | None
    labels: Mapping[str, str]

    def __init__(
        self,
        secret_name: str | None = None,
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        if secret_name is not None and not _SUBDOMAIN.fullmatch(secret_name):
            raise ConfigError(
                f"Kubernetes Secret name {secret_name!r} is invalid: use lowercase "
                "letters, digits, '-' and '.' (RFC 1123 subdomain, at most 253)"
            )
        if namespace is not None and not _LABEL.fullmatch(namespace):
            raise ConfigError(
                f"Kubernetes namespace {namespace!r} is invalid: use lowercase "
                "letters, digits and '-' (RFC 1123 label, at most 63)"
            )
        frozen_labels = _frozen_labels(labels)
        for key, value in frozen_labels.items():
            if not _LABEL_KEY.fullmatch(key) or not _LABEL_VALUE.fullmatch(value):
                raise ConfigError(f"Kubernetes label {key!r}: {value!r} is not a valid label")
        self._init(secret_name=secret_name, namespace=namespace, labels=frozen_labels)

    def render(self, values: Values, *, profile: str) -> str:
        """Return the Secret manifest for one profile.

        Raises:
            RenderError: the Secret name (the profile's, when not configured)
                is invalid, a key is not a valid Secret key, a value holds
                NUL or is structured, or the values exceed 1 MiB (what the API
                server counts). Over 256 KiB as JSON, a warning is logged: `kubectl
                apply` needs `--server-side` for it.
        """
        name = self.secret_name if self.secret_name is not None else profile
        if not _SUBDOMAIN.fullmatch(name):
            raise RenderError(
                f"profile {profile!r} is not a valid Kubernetes Secret name (lowercase RFC "
                "1123 subdomain); set the Secret name for this format"
            )
        lines = ["apiVersion: v1", "kind: Secret", "metadata:", f"  name: {yaml_quote(name)}"]
        if self.namespace is not None:
            lines.append(f"  namespace: {yaml_quote(self.namespace)}")
        if self.labels:
            lines.append("  labels:")
            lines += [
                f"    {yaml_quote(k)}: {yaml_quote(v)}" for k, v in sorted(self.labels.items())
            ]
        lines += ["type: Opaque", "stringData:" if values else "stringData: {}"]
        total = 0
        data: dict[str, str] = {}
        for key, text in entries(values, fmt=self.name):
            check_secret_key(key)
            if "\0" in text:
                raise RenderError(
                    f"variable {key} contains a NUL character, which no environment "
                    "variable can hold; use format json",
                    variable=key,
                )
            # What the API server counts: the values' bytes (keys are not counted).
            total += len(text) if text.isascii() else len(text.encode())
            data[key] = text
            lines.append(f"  {yaml_quote(key)}: {yaml_quote(text)}")
        if total > MAX_SECRET_BYTES:
            raise RenderError(
                f"profile {profile!r}: the Secret's values are {total} bytes; the Kubernetes "
                f"API server refuses a Secret whose values exceed {MAX_SECRET_BYTES} bytes "
                "(1 MiB); split the profile, or mount the values another way"
            )
        self._warn_if_too_big_for_client_side_apply(profile, name, data)
        return "\n".join(lines) + "\n"

    def _warn_if_too_big_for_client_side_apply(
        self, profile: str, name: str, data: Mapping[str, str]
    ) -> None:
        """Warn when `kubectl apply` (client side) cannot store its last-applied copy."""
        limit = K8S_LAST_APPLIED_LIMIT.max_bytes
        # JSON escaping only lengthens the text: when the raw sizes are far below,
        # the manifest cannot reach the limit and is not encoded.
        if sum(len(k) + 4 * len(v) for k, v in data.items()) < limit - 4096:
            return
        metadata: dict[str, object] = {"annotations": {}, "name": name}
        if self.labels:
            metadata["labels"] = dict(self.labels)
        if self.namespace is not None:
            metadata["namespace"] = self.namespace
        manifest = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": metadata,
            "stringData": data,
            "type": "Opaque",
        }
        # The annotation's key, and its value: the compact JSON plus a newline.
        text = json.dumps(manifest, ensure_ascii=False, separators=(",", ":"))
        size = len(_LAST_APPLIED) + len(text.encode()) + 1
        if size > limit:
            import logging

            logging.getLogger("rideinfra.render").warning(
                "profile %s: the Secret's last-applied-configuration annotation would be %d "
                "bytes; `kubectl apply` (client side) copies the manifest into it and fails "
                "over %d bytes: apply it with `kubectl apply --server-side` (or kubectl "
                "create / replace)",
                profile,
                size,
                limit,
            )
