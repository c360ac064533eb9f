"""External Secrets Operator manifests from the same profiles as the env files.

Per profile, one `ExternalSecret` whose target Secret holds exactly the
variables that profile's env file holds, and the `SecretStore` (or
`ClusterSecretStore`) for AWS Secrets Manager it reads through. Built from
names and origins only: no value ever enters a manifest.

Each variable is a `data` entry (`secretKey` <- `remoteRef.key` /
`remoteRef.property`), except where a whole secret maps to variables by a
plain prefix (or unchanged): then one `dataFrom.extract` with a `rewrite`
says the same thing more compactly. That form is used only when it is equal
to the env file now *and* stays equal when the secret gains fields: the
secret's transforms are only `prefix` steps, the profile has no `keys`
allow-list, the secret is used once in the profile, and its current fields
(read from the store) become exactly its variables. Anything else (renames,
`keys`, `drop`, `airflow`...) is per-variable `data`, which yields the
env file's names by construction. A secret the config reads whole
(`plain:`, or `binary:` as UTF-8) is a `remoteRef` without `property`:
ESO then takes the whole SecretString (or SecretBinary's bytes). A binary
secret read as base64 is refused: ESO would put the bytes, not their base64
text, in the Secret.

ESO's AWS provider has no per-store endpoint: for LocalStack the controller
reads `AWS_SECRETSMANAGER_ENDPOINT` from its own environment, which
`helm_values()` writes as values for the external-secrets Helm chart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal

from rideinfra._record import Record
from rideinfra.errors import ConfigError, RenderError
from rideinfra.profiles.interval import go_duration
from rideinfra.profiles.model import (
    AwsSourceConfig,
    ChainSourceConfig,
    Config,
    Env,
    SourceConfig,
    SsmSourceConfig,
    VaultSourceConfig,
)
from rideinfra.profiles.resolve import fetch_secrets, resolve_profile
from rideinfra.render.kubernetes import check_secret_key, yaml_quote
from rideinfra.secrets._awsclient import check_endpoint
from rideinfra.secrets.base import SecretSource
from rideinfra.secrets.model import Secret
from rideinfra.secrets.transforms import Entry, Placeholder, Prefix, parse_template

__all__ = [
    "DEFAULT_REGION",
    "SINGLE_FILE",
    "EsoOptions",
    "check_controller_endpoint",
    "dump_yaml",
    "eso_documents",
    "eso_from_source",
    "external_secret",
    "helm_values",
    "render_eso",
    "secret_store",
]

DEFAULT_REGION = "us-east-1"
_GROUP = "external-secrets.io"
SINGLE_FILE = "external-secrets.yaml"

_SUBDOMAIN = re.compile(
    r"(?=.{1,253}\Z)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
)
_LABEL = re.compile(r"(?=.{1,63}\Z)[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_LABEL_VALUE = re.compile(r"(?=.{0,63}\Z)(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_LABEL_KEY = re.compile(
    r"((?=[^/]{1,253}/)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"(?=[^/]{1,63}\Z)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
)
_SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]{1,253}")
# A Go time.Duration as ESO parses refreshInterval ("0" turns refreshing off).
_DURATION = re.compile(r"0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+")
# ESO looks a property up as a gjson path (after escaping dots); these field
# names mean the same as a path and as a literal key. Others (* ? | # @ \ ...)
# would be read as path syntax and fetch something else, or nothing.
_GJSON_LITERAL = re.compile(r"[\w-]+(\.[\w-]+)*")

ApiVersion = Literal["v1", "v1beta1"]
StoreKind = Literal["SecretStore", "ClusterSecretStore"]
Auth = Literal["secret-ref", "service-account", "controller"]
CreationPolicy = Literal["Owner", "Orphan", "Merge", "None"]


def _frozen(value: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType(dict(value or {}))


def _one_of(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(
            f"{name} {value!r} is not one of: {', '.join(choices)}",
            path=f"eso.{name}",
        )


def _template(name: str, value: str) -> None:
    """A name template: only `{profile}`, and a valid Kubernetes name for every profile.

    `a` stands for the profile: the shortest name, valid anywhere in a name, so a
    template that fails with it fails with every profile (a bad option, not a bad
    profile; a profile no template can name is refused when rendering).
    """
    rest = value.replace("{profile}", "")
    if "{" in rest or "}" in rest:
        raise ConfigError(
            f"{name} {value!r} may use only the placeholder {{profile}}",
            path=f"eso.{name}",
        )
    example = value.replace("{profile}", "a")
    if not _SUBDOMAIN.fullmatch(example):
        sample = f" ({example!r} for a profile named 'a')" if "{profile}" in value else ""
        raise ConfigError(
            f"{name} {value!r} does not give a valid Kubernetes name{sample}: lowercase "
            "letters, digits, '-' and '.', starting and ending with a letter or digit "
            "(RFC 1123 subdomain, at most 253)",
            path=f"eso.{name}",
        )


def _optional_label(name: str, value: str | None) -> None:
    if value is not None and not _LABEL.fullmatch(value):
        raise ConfigError(
            f"{name} {value!r} is not a valid Kubernetes namespace: use lowercase "
            "letters, digits and '-' (RFC 1123 label, at most 63)",
            path=f"eso.{name}",
        )


def _secret_key(name: str, value: str) -> None:
    if not _SECRET_KEY.fullmatch(value):
        raise ConfigError(
            f"{name} {value!r} is not a valid Secret key ([-._a-zA-Z0-9])",
            path=f"eso.{name}",
        )


# Go's time.ParseDuration: nanoseconds per unit, and the bound (int64 nanoseconds).
_GO_UNITS = {
    "ns": 1,
    "us": 1000,
    "µs": 1000,
    "ms": 1000**2,
    "s": 1000**3,
    "m": 60 * 1000**3,
    "h": 3600 * 1000**3,
}
_GO_PART = re.compile(r"([0-9]+)(?:\.([0-9]+))?(ns|us|µs|ms|s|m|h)")
_GO_MAX = 2**63 - 1


def _go_nanoseconds(value: str) -> int | None:
    """What Go's time.ParseDuration gives for a `_DURATION` text; None where it fails.

    Its arithmetic, step by step: the integer part of each term must not
    overflow once multiplied by its unit, a fraction adds the float64
    truncation Go computes (its digits kept while they fit in int64), and
    the sum must fit in int64 (at most 2562047h47m16.854775807s).
    """
    if value == "0":
        return 0
    total = 0
    for whole, fraction, unit in _GO_PART.findall(value):
        size = _GO_UNITS[unit]
        v = int(whole)
        if v > 2**63 or v > 2**63 // size:
            return None
        v *= size
        f, scale = 0, 1.0
        for digit in fraction:
            if f > _GO_MAX // 10 or f * 10 + int(digit) > 2**63:
                break  # Go stops adding precision here and skips the remaining digits
            f, scale = f * 10 + int(digit), scale * 10
        if f > 0:
            v += int(float(f) * (float(size) / scale))
            if v > 2**63:
                return None
        total += v
        if total > 2**63:
            return None
    return total if total <= _GO_MAX else None


def _duration(value: str | None) -> None:
    if value is None:
        return
    if not _DURATION.fullmatch(value):
        raise ConfigError(
            f"refresh_interval {value!r} is not a Go duration such as 1h, 15m or 1h30m "
            "(0 syncs once)",
            path="eso.refresh_interval",
        )
    if _go_nanoseconds(value) is None:
        raise ConfigError(
            f"refresh_interval {value!r} is longer than a Go duration can be "
            "(2562047h47m16.854775807s): ESO could not read it; use at most 2562047h",
            path="eso.refresh_interval",
        )


def _labels(value: Mapping[str, str]) -> None:
    for key, text in value.items():
        if not _LABEL_KEY.fullmatch(key) or not _LABEL_VALUE.fullmatch(text):
            raise ConfigError(
                f"Kubernetes label {key!r}: {text!r} is not a valid label", path="eso.labels"
            )


class EsoOptions(Record):
    """How the ESO manifests are named and how the store authenticates.

    Name options are templates where `{profile}` stands for the profile's
    name; a store or service account template containing `{profile}` gives
    each profile its own store (and AWS identity), so each reads only its
    own secrets (see `rideinfra.render.iam`).

    Attributes:
        api_version: `v1` (served by ESO 0.17 and later) or `v1beta1`
            (older ESO only).
        namespace: `metadata.namespace` of every namespaced object; left
            out when unset (kubectl's current namespace).
        name_template: the ExternalSecret's name.
        target_template: the Secret ESO writes; the same default as the
            `k8s-secret` format, so pods reference one name on both paths.
        labels: `metadata.labels` of every object.
        refresh_interval: how often ESO re-reads the store (Go duration); None
            takes the config's `output.refresh_interval` (the pace of
            `rideinfra watch`), else `1h`.
        creation_policy: `target.creationPolicy` (`Owner`: the Secret is
            deleted with its ExternalSecret).
        store_kind: `SecretStore` (namespaced) or `ClusterSecretStore`.
        store_template: the store's name.
        region: the AWS region; None takes the config's `source.region`,
            else `us-east-1`.
        auth: `secret-ref` (access keys in a Secret), `service-account`
            (a service account token, i.e. IRSA) or `controller` (the
            controller's own identity: its IRSA role or EKS Pod Identity).
        credentials_secret: the Secret holding the access keys (secret-ref).
        access_key_id_key: its key holding the access key id.
        secret_access_key_key: its key holding the secret access key.
        credentials_namespace: where that Secret (or the service account)
            lives; required for a ClusterSecretStore (a namespaced store
            always reads its own namespace).
        service_account_template: the service account (service-account auth).
        role: an IAM role ARN the store assumes, if any.
        compact: use `dataFrom.extract` + `rewrite` where provably equal.
        split: one file per object instead of one multi-document file.
    """

    __slots__ = (
        "api_version",
        "namespace",
        "name_template",
        "target_template",
        "labels",
        "refresh_interval",
        "creation_policy",
        "store_kind",
        "store_template",
        "region",
        "auth",
        "credentials_secret",
        "access_key_id_key",
        "secret_access_key_key",
        "credentials_namespace",
        "service_account_template",
        "role",
        "compact",
        "split",
    )
    api_version: ApiVersion
    namespace: str | None
    name_template: str
    target_template: str
    labels: Mapping[str, str]
    refresh_interval: str | None
    creation_policy: CreationPolicy
    store_kind: StoreKind
    store_template: str
    region: str | None
    auth: Auth
    credentials_secret: str
    access_key_id_key: str
    secret_access_key_key: str
    credentials_namespace: str | None
    service_account_template: str
    role: str | None
    compact: bool
    split: bool

    def __init__(
        self,
        api_version: ApiVersion = "v1",
        namespace: str | None = None,
        name_template: str = "{profile}",
        target_template: str = "{profile}",
        labels: Mapping[str, str] | None = None,
        refresh_interval: str | None = None,
        creation_policy: CreationPolicy = "Owner",
        store_kind: StoreKind = "SecretStore",
        store_template: str = "aws-secretsmanager",
        region: str | None = None,
        auth: Auth = "secret-ref",
        credentials_secret: str = "aws-credentials",  # noqa: S107 - a Secret's name
        access_key_id_key: str = "access-key-id",
        secret_access_key_key: str = "secret-access-key",  # noqa: S107 - a key's name
        credentials_namespace: str | None = None,
        service_account_template: str = "rideinfra-{profile}",
        role: str | None = None,
        compact: bool = True,
        split: bool = False,
    ) -> None:
        frozen_labels = _frozen(labels)
        # Each option's own check, in the order they are declared; then how they combine.
        _one_of("api_version", api_version, ("v1", "v1beta1"))
        _optional_label("namespace", namespace)
        _template("name_template", name_template)
        _template("target_template", target_template)
        _labels(frozen_labels)
        _duration(refresh_interval)
        _one_of("creation_policy", creation_policy, ("Owner", "Orphan", "Merge", "None"))
        _one_of("store_kind", store_kind, ("SecretStore", "ClusterSecretStore"))
        _template("store_template", store_template)
        _one_of("auth", auth, ("secret-ref", "service-account", "controller"))
        _secret_key("access_key_id_key", access_key_id_key)
        _secret_key("secret_access_key_key", secret_access_key_key)
        _optional_label("credentials_namespace", credentials_namespace)
        _template("credentials_secret", credentials_secret)
        _template("service_account_template", service_account_template)
        self._init(
            api_version=api_version,
            namespace=namespace,
            name_template=name_template,
            target_template=target_template,
            labels=frozen_labels,
            refresh_interval=refresh_interval,
            creation_policy=creation_policy,
            store_kind=store_kind,
            store_template=store_template,
            region=region,
            auth=auth,
            credentials_secret=credentials_secret,
            access_key_id_key=access_key_id_key,
            secret_access_key_key=secret_access_key_key,
            credentials_namespace=credentials_namespace,
            service_account_template=service_account_template,
            role=role,
            compact=compact,
            split=split,
        )
        shared = "{profile}" not in self.store_template
        identity = {
            "service-account": "service_account_template",
            "secret-ref": "credentials_secret",
        }
        setting = identity.get(self.auth)
        if shared and setting is not None and "{profile}" in getattr(self, setting):
            raise ConfigError(
                f"a shared store (store_template without {{profile}}) has one identity: give "
                f"{setting} a fixed name, or put {{profile}} in store_template",
                path=f"eso.{setting}",
            )
        needs_ns = self.auth in ("secret-ref", "service-account")
        if self.store_kind == "ClusterSecretStore" and needs_ns and not self.credentials_namespace:
            raise ConfigError(
                "a ClusterSecretStore must say which namespace holds its credentials: "
                "set credentials_namespace",
                path="eso.credentials_namespace",
            )


def _name(template: str, profile: str, what: str) -> str:
    name = template.replace("{profile}", profile)
    if not _SUBDOMAIN.fullmatch(name):
        raise RenderError(
            f"{what} name {name!r} (profile {profile!r}) is not a valid Kubernetes name: "
            "lowercase letters, digits, '-' and '.' (RFC 1123 subdomain); rename the "
            "profile or change the name template"
        )
    return name


def _metadata(options: EsoOptions, name: str, *, namespaced: bool = True) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespaced and options.namespace is not None:
        meta["namespace"] = options.namespace
    if options.labels:
        meta["labels"] = dict(sorted(options.labels.items()))
    return meta


def _region(options: EsoOptions, config: Config | None) -> str:
    if options.region:
        return options.region
    aws = AwsSourceConfig | SsmSourceConfig
    if config is not None and isinstance(config.source, aws) and config.source.region:
        return config.source.region
    return DEFAULT_REGION


def secret_store(
    options: EsoOptions, *, profile: str | None = None, config: Config | None = None
) -> dict[str, Any]:
    """The SecretStore (or ClusterSecretStore) object for AWS Secrets Manager.

    Args:
        options: naming and auth options.
        profile: the profile whose store this is, when `store_template`
            holds `{profile}`.
        config: the config, for its region when `options.region` is unset.

    Raises:
        RenderError: the store or service account name is not a valid name.
    """
    who = profile or ""
    name = _name(options.store_template, who, "SecretStore")
    aws: dict[str, Any] = {"service": "SecretsManager", "region": _region(options, config)}
    cluster = options.store_kind == "ClusterSecretStore"
    # Only a cluster store names the namespace; a namespaced store reads its own.
    ref_ns = {"namespace": options.credentials_namespace} if cluster else {}
    if options.auth == "secret-ref":
        aws["auth"] = {
            "secretRef": {
                "accessKeyIDSecretRef": {
                    "name": _name(options.credentials_secret, who, "credentials Secret"),
                    "key": options.access_key_id_key,
                    **ref_ns,
                },
                "secretAccessKeySecretRef": {
                    "name": _name(options.credentials_secret, who, "credentials Secret"),
                    "key": options.secret_access_key_key,
                    **ref_ns,
                },
            }
        }
    elif options.auth == "service-account":
        account = _name(options.service_account_template, who, "service account")
        aws["auth"] = {"jwt": {"serviceAccountRef": {"name": account, **ref_ns}}}
    if options.role:
        aws["role"] = options.role
    return {
        "apiVersion": f"{_GROUP}/{options.api_version}",
        "kind": options.store_kind,
        "metadata": _metadata(options, name, namespaced=not cluster),
        "spec": {"provider": _provider(config, aws, options, who)},
    }


# --- which store: Secrets Manager, Parameter Store or Vault (the config's source) ----------


def _provider(
    config: Config | None, aws: dict[str, Any], options: EsoOptions, who: str
) -> dict[str, Any]:
    """The store's `spec.provider`: ESO's aws provider, or its vault provider (kv v2)."""
    source = _store_source(config)
    if isinstance(source, SsmSourceConfig):
        return {"aws": {**aws, "service": "ParameterStore"}}
    if isinstance(source, VaultSourceConfig):
        if not source.address:
            raise RenderError(
                "a Vault SecretStore needs the server's address as the cluster reaches it: "
                "set source.address"
            )
        role = _name(options.service_account_template, who, "service account")
        vault: dict[str, Any] = {"server": source.address, "path": source.mount, "version": "v2"}
        if source.namespace:
            vault["namespace"] = source.namespace
        # Kubernetes auth: the service account's token, exchanged for a Vault token of `role`.
        vault["auth"] = {
            "kubernetes": {
                "mountPath": "kubernetes",
                "role": role,
                "serviceAccountRef": {"name": role},
            }
        }
        return {"vault": vault}
    return {"aws": aws}


def _store_source(config: Config | None) -> SourceConfig | None:
    """The config's source, for the store kind; a chain has no one store ESO could read."""
    source = config.source if config is not None else None
    if isinstance(source, ChainSourceConfig):
        raise RenderError(
            "render k8s writes one SecretStore per profile, and a chain source reads several "
            "stores: render from a config whose source is the one store ESO should read"
        )
    return source


def _remote(config: Config | None, secret: str, field: str | None) -> dict[str, Any]:
    """`remoteRef` (key, property, version) of one field of `secret` in the config's store."""
    source = _store_source(config)
    key, prop = secret, field
    version: str | None = None
    if isinstance(source, SsmSourceConfig):
        key = source.prefix + secret
        if secret.endswith("/") and field is not None:
            key, prop = key + field, None  # a path's field is a parameter of its own
    elif isinstance(source, VaultSourceConfig):
        number = source.versions.get(secret)
        version = None if number is None else str(number)
    elif isinstance(source, AwsSourceConfig):
        version = _secretsmanager_version(source.versions.get(secret))
    ref: dict[str, Any] = {"key": key}
    if prop is not None:
        ref["property"] = prop
    if version is not None:
        ref["version"] = version
    return ref


def _secretsmanager_version(pin: tuple[str | None, str | None] | None) -> str | None:
    """A `version_stage` or `version_id` pin as ESO's Secrets Manager provider reads `version`.

    ESO takes `version` for a VersionStage unless it starts with `uuid/`, which marks
    a VersionId. Without it, ESO would read AWSCURRENT where `fetch` reads the pin.
    """
    stage, version_id = pin or (None, None)
    if stage is not None:
        return stage
    return None if version_id is None else f"uuid/{version_id}"


def _flattened(entry: Entry) -> bool:
    return any(step.split(":", 1)[0] == "flatten" for step in entry.origin.transforms)


def _check_property(entry: Entry, secrets: Mapping[str, Secret] | None) -> None:
    origin = entry.origin
    secret = secrets.get(origin.secret) if secrets is not None else None
    field = secret.fields.get(origin.field) if secret is not None else None
    nested = field.structured if field is not None else _flattened(entry)
    if nested:
        raise RenderError(
            f"variable {entry.name} is a leaf of the nested JSON field {origin.ref} "
            "(flatten); ESO reads a property's text, not flatten's, so the Secret would "
            "differ: store the field flat, or use the k8s-secret format",
            variable=entry.name,
        )
    if not _GJSON_LITERAL.fullmatch(origin.field):
        raise RenderError(
            f"variable {entry.name} comes from field {origin.field!r} of secret "
            f"{origin.secret!r}, whose name ESO would read as a gjson path, not a key; "
            "rename the field in the store (letters, digits, _, -, inner dots) or use "
            "the k8s-secret format",
            variable=entry.name,
        )


def _refresh_interval(options: EsoOptions, config: Config | None) -> str:
    """`--refresh-interval`, else `output.refresh_interval` as a Go duration, else 1h."""
    if options.refresh_interval is not None:
        return options.refresh_interval
    seconds = config.output.refresh_interval if config is not None else None
    if seconds is None:
        return "1h"
    duration = go_duration(seconds)
    if duration == "0s":
        # Written in whole milliseconds; 0 would tell ESO to sync once and never again.
        raise ConfigError(
            f"output.refresh_interval {seconds:g} rounds to 0 milliseconds, and "
            "refreshInterval 0s tells ESO never to refresh: set it to at least 0.001 "
            "(1ms), or pass --refresh-interval",
            path="output.refresh_interval",
        )
    return duration


def _whole(entry: Entry, config: Config | None) -> bool:
    """True when the variable is the whole stored secret (`plain:`, `binary:` as UTF-8).

    Raises:
        RenderError: the secret is read as base64 of its bytes, which ESO cannot give.
    """
    bound = config.secrets.get(entry.origin.secret) if config is not None else None
    parse = bound.parse if bound is not None else None
    if parse is None:
        return False
    if parse.binary_field is not None and parse.binary_encoding == "base64":
        raise RenderError(
            f"variable {entry.name} comes from secret {entry.origin.secret!r}, read as the "
            "base64 text of its SecretBinary (`binary: {encoding: base64}`); ESO would put "
            "the bytes themselves in the Secret: use `encoding: utf-8` for text, or the "
            "k8s-secret format",
            variable=entry.name,
        )
    return True


def _compact_prefix(config: Config, env: Env, secret: Secret, mine: Sequence[Entry]) -> str | None:
    """The prefix by which `secret` maps to exactly `mine`, if the config guarantees it."""
    profile = config.profiles.get(env.profile or "")
    if profile is None or profile.keys is not None:
        return None
    refs = [ref for ref in profile.secrets if ref.name == secret.name]
    if len(refs) != 1:
        return None
    steps = config.pipeline(refs[0]).steps
    prefixes = [step.prefix for step in steps if isinstance(step, Prefix)]
    if len(prefixes) != len(steps):
        return None
    # Prefix(a) then Prefix(b) names a field b + a + field.
    prefix = "".join(reversed(prefixes))
    if any(value.structured for value in secret.fields.values()):
        return None
    expected = {(prefix + field, field) for field in secret.field_names}
    actual = {(entry.name, entry.origin.field) for entry in mine}
    return prefix if expected == actual and len(mine) == len(expected) else None


def _extract(secret: str, prefix: str, config: Config | None = None) -> dict[str, Any]:
    ref = _remote(config, secret, None)
    item: dict[str, Any] = {
        "extract": {**ref, "conversionStrategy": "Default", "decodingStrategy": "None"}
    }
    if prefix:
        # Go regexp: ReplaceAllString(key, "PREFIX${1}"); ${1} so a digit after it
        # cannot join the group name. Prefixes are variable-name characters, no `$`.
        item["rewrite"] = [{"regexp": {"source": "^(.*)$", "target": prefix + "${1}"}}]
    return item


# Go text/template pipelines (ESO engine v2: text/template with sprig) that give
# the same bytes as each escaper; docs/kubernetes.md says how this was checked.
# `urlquery` is Go's url.QueryEscape: it encodes exactly the bytes outside
# A-Za-z0-9-._~, but writes a space as `+` (and a literal `+` as %2B), so
# replacing every `+` by %20 gives RFC 3986 full percent-encoding.
_GO_ESCAPERS = {
    None: "",
    "url": ' | urlquery | replace "+" "%20"',
    "libpq": ' | replace "\\\\" "\\\\\\\\" | replace "\'" "\\\\\'"',
}
_NO_GO_ESCAPER = {
    "json": "ESO's toJson/toRawJson write some characters differently from rideinfra's json "
    "escaper (and differently across Go versions), so the Secret's bytes could differ",
}


def _go_string(text: str) -> str:
    # A JSON string literal without \u escapes is also a Go interpreted string literal.
    return json.dumps(text, ensure_ascii=False)


def _composed(entry: Entry, keys: Mapping[tuple[str, str], str], profile: str) -> str:
    """The ESO template for one composed variable, or a RenderError naming it and why."""
    inputs = entry.origin.inputs or ()
    out: list[str] = []
    placeholders = iter(inputs)
    for part in parse_template(entry.origin.field):
        if not isinstance(part, Placeholder):
            # `{` in plain text could join an action's `{{`: such text goes in as a string.
            out.append(f"{{{{ {_go_string(part.text)} }}}}" if "{" in part.text else part.text)
            continue
        source = next(placeholders)
        why = _NO_GO_ESCAPER.get(part.escaper or "")
        key = keys.get((source.secret, source.field))
        if source.composed:
            why = "it reads another template's result, and ESO templates read only fetched keys"
        elif key is None:
            why = (
                f"its placeholder {part} reads {source.ref}, which is not itself a variable of "
                f"profile {profile!r}; ESO's template reads only keys the ExternalSecret "
                "fetches, and each of those lands in the Secret too (keep the field as a "
                "variable, or use the k8s-secret format)"
            )
        if why is not None:
            raise RenderError(
                f"variable {entry.name} (a template) cannot be rendered for ESO exactly: {why}",
                variable=entry.name,
            )
        out.append(f"{{{{ index . {_go_string(str(key))}{_GO_ESCAPERS[part.escaper]} }}}}")
    return "".join(out)


def _target_template(env: Env) -> dict[str, str]:
    """`spec.target.template.data` for the Env's composed variables (empty: none)."""
    keys = {(e.origin.secret, e.origin.field): e.name for e in env.entries if not e.origin.composed}
    profile = env.profile or ""
    return {e.name: _composed(e, keys, profile) for e in env.entries if e.origin.composed}


def _check_keys(env: Env) -> None:
    """Refuse an empty Env, or a variable the target Secret cannot hold as a key."""
    if not env.entries:
        raise RenderError(f"profile {env.profile or ''!r} has no variables; ESO needs at least one")
    for entry in env.entries:
        # Each variable is a key of the target Secret (a secretKey, a template's key, or
        # an extracted field): the same rule as the k8s-secret format's keys.
        check_secret_key(entry.name)


def external_secret(
    env: Env,
    options: EsoOptions,
    *,
    config: Config | None = None,
    secrets: Mapping[str, Secret] | None = None,
) -> dict[str, Any]:
    """The ExternalSecret for one profile's Env.

    Args:
        env: the profile's resolved variables (names and origins are read,
            never values).
        options: naming options.
        config: the config the Env came from; without it (or without
            `secrets`) every variable is a `data` entry.
        secrets: the fetched secrets, for their field names and shapes.

    Raises:
        RenderError: a name is invalid, the Env is empty, a variable is not a
            valid Secret key (`check_secret_key`), or a variable cannot be
            fetched exactly by ESO (a flattened nested field, or a field name
            ESO would read as a path); the message names it.
    """
    profile = env.profile or ""
    _check_keys(env)
    by_secret: dict[str, list[Entry]] = {}
    for entry in env.entries:
        if not entry.origin.composed:
            by_secret.setdefault(entry.origin.secret, []).append(entry)
    templates = _target_template(env)
    data_from = []
    data_entries: list[Entry] = []
    for name in sorted(by_secret):
        mine = by_secret[name]
        stored = secrets.get(name) if secrets is not None else None
        prefix = None
        # `extract` needs a JSON object: a secret read whole, or a path, is never compact.
        if (
            options.compact
            and config is not None
            and stored is not None
            and config.stored_as(name) is None
            and name[-1:] != "/"
        ):
            prefix = _compact_prefix(config, env, stored, mine)
        if prefix is None:
            data_entries += mine
        else:
            data_from.append(_extract(name, prefix, config))
    data = []
    for entry in sorted(data_entries, key=lambda e: e.name):
        whole = _whole(entry, config)
        if not whole:
            _check_property(entry, secrets)
        remote = {
            **_remote(config, entry.origin.secret, None if whole else entry.origin.field),
            "conversionStrategy": "Default",
            "decodingStrategy": "None",
        }
        data.append({"secretKey": entry.name, "remoteRef": remote})
    store_name = _name(options.store_template, profile, "SecretStore")
    spec: dict[str, Any] = {
        "refreshInterval": _refresh_interval(options, config),
        "secretStoreRef": {"name": store_name, "kind": options.store_kind},
        "target": {
            "name": _name(options.target_template, profile, "target Secret"),
            "creationPolicy": options.creation_policy,
        },
    }
    if templates:
        spec["target"]["template"] = {
            "engineVersion": "v2",
            "mergePolicy": "Merge",  # the fetched keys stay; the templates add the composed ones
            "data": templates,
        }
    if data:
        spec["data"] = data
    if data_from:
        spec["dataFrom"] = data_from
    return {
        "apiVersion": f"{_GROUP}/{options.api_version}",
        "kind": "ExternalSecret",
        "metadata": _metadata(options, _name(options.name_template, profile, "ExternalSecret")),
        "spec": spec,
    }


def eso_documents(
    config: Config | None,
    envs: Mapping[str, Env],
    options: EsoOptions | None = None,
    *,
    secrets: Mapping[str, Secret] | None = None,
) -> list[dict[str, Any]]:
    """Every object, stores first, each kind sorted by name.

    Raises:
        RenderError: see `external_secret()`; also no profiles, or two
            profiles mapping to one ExternalSecret or target name.
        ConfigError: profiles sharing a store would give it different
            contents (an identity named by `{profile}`, as a Vault role).
    """
    options = options or EsoOptions()
    if not envs:
        raise RenderError("no profiles to render; select at least one profile")
    stores: dict[str, dict[str, Any]] = {}
    externals: dict[str, dict[str, Any]] = {}
    targets: dict[str, str] = {}
    for profile, given in envs.items():
        env = given if given.profile is not None else Env(given.entries, profile=profile)
        store = secret_store(options, profile=profile, config=config)
        store_name = store["metadata"]["name"]
        if stores.setdefault(store_name, store) != store:
            # One object, two contents: kubectl would keep the last, for every profile.
            raise ConfigError(
                f"profiles share the {options.store_kind} {store_name!r} but would give it "
                f"different identities (profile {profile!r} differs): name the identity "
                "without {profile}, or put {profile} in store_template",
                path="eso.store_template",
            )
        doc = external_secret(env, options, config=config, secrets=secrets)
        name = doc["metadata"]["name"]
        target = doc["spec"]["target"]["name"]
        if name in externals or target in targets:
            other = targets.get(target, name)
            raise RenderError(
                f"profiles {other!r} and {profile!r} map to the same ExternalSecret or Secret "
                f"name; put {{profile}} in the name templates"
            )
        externals[name] = doc
        targets[target] = profile
    return [stores[k] for k in sorted(stores)] + [externals[k] for k in sorted(externals)]


def render_eso(
    config: Config | None,
    envs: Mapping[str, Env],
    options: EsoOptions | None = None,
    *,
    secrets: Mapping[str, Secret] | None = None,
) -> dict[str, str]:
    """File name -> YAML text: one multi-document file, or one file per object.

    The text is deterministic: objects sorted by kind then name, `data`
    by variable, keys in a fixed order, every string double-quoted.

    Args:
        config: the loaded config (for compact `dataFrom` and the region).
        envs: profile -> Env, as `resolve()` returns.
        options: naming, auth and layout options.
        secrets: the fetched secrets (field names and shapes only); without
            them every variable is a `data` entry.

    Raises:
        RenderError: see `eso_documents()`.
    """
    options = options or EsoOptions()
    docs = eso_documents(config, envs, options, secrets=secrets)
    if not options.split:
        return {SINGLE_FILE: dump_yaml(docs)}
    return {f"{d['kind'].lower()}-{d['metadata']['name']}.yaml": dump_yaml([d]) for d in docs}


def eso_from_source(
    config: Config,
    source: SecretSource,
    options: EsoOptions | None = None,
    *,
    profiles: Sequence[str] | None = None,
) -> dict[str, str]:
    """Fetch the profiles' secrets once, resolve them, and render the ESO files.

    The store is read for field names (a variable's name can depend on
    them) exactly as `fetch` reads it; values are never written.

    Raises:
        ConfigError, SourceError, TransformError: as `resolve()`.
        RenderError: see `render_eso()`.
    """
    chosen = config.select(profiles)
    fetched = fetch_secrets(config, source, config.secret_names(chosen))
    fetched.raise_errors()
    envs = {p.name: resolve_profile(config, p, fetched) for p in chosen}
    return render_eso(config, envs, options, secrets=fetched)


def check_controller_endpoint(url: str, setting: str) -> str:
    """`url` if it is an endpoint the ESO controller can use, by rideinfra's one endpoint rule.

    Args:
        url: the endpoint.
        setting: where it came from, for the message (`endpoint`, `--eso-endpoint`).

    Raises:
        ConfigError: see `helm_values()`; names the setting, never the URL.
    """
    fix = (
        f"set {setting} to the URL the controller reaches, such as "
        "http://localstack.localstack:4566, or leave it out for real AWS"
    )
    check_endpoint(url, setting, fix)
    return url


def helm_values(
    *,
    endpoint: str | None = None,
    sts_endpoint: str | None = None,
    role_arn: str | None = None,
) -> str:
    """Values for the external-secrets Helm chart: the controller's environment.

    Args:
        endpoint: `AWS_SECRETSMANAGER_ENDPOINT` for the controller (e.g.
            LocalStack's in-cluster URL); None for real AWS.
        sts_endpoint: `AWS_STS_ENDPOINT`, needed with LocalStack when the
            store assumes a role or uses a service account token.
        role_arn: an IAM role for the controller's service account (IRSA
            annotation), for `auth="controller"`.

    Raises:
        ConfigError: an endpoint is not an http(s) URL with a host and a
            numeric port, or holds a user name, spaces or control characters
            (`check_endpoint`'s rule).
    """
    env = []
    if endpoint:
        env.append(
            {
                "name": "AWS_SECRETSMANAGER_ENDPOINT",
                "value": check_controller_endpoint(endpoint, "endpoint"),
            }
        )
    if sts_endpoint:
        env.append(
            {
                "name": "AWS_STS_ENDPOINT",
                "value": check_controller_endpoint(sts_endpoint, "sts_endpoint"),
            }
        )
    values: dict[str, Any] = {"extraEnv": env}
    if role_arn:
        values["serviceAccount"] = {"annotations": {"eks.amazonaws.com/role-arn": role_arn}}
    header = (
        "# Values for the external-secrets Helm chart (generated by rideinfra).\n"
        "# ESO's AWS provider has no per-store endpoint: the controller reads\n"
        "# AWS_SECRETSMANAGER_ENDPOINT (and AWS_STS_ENDPOINT) from its environment.\n"
        "# Real AWS: leave extraEnv empty; nothing else changes.\n"
    )
    return header + _block(values, 0)


# --- a small deterministic YAML writer -------------------------------------

_PLAIN_KEY = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# The words a YAML 1.1 reader (kubectl's sigs.k8s.io/yaml, PyYAML) or YAML 1.2's core
# schema reads as a bool or null in some spelling (`y`, `ON`, `NULL`...). A plain
# letters-and-digits key resolves to nothing else (numbers, timestamps, `<<` and
# `.inf` start otherwise), so any other such key is a string under every reader.
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null"})


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        # Double-quoted always: no reader can take "y", "on" or "0755" for a bool or number.
        return yaml_quote(value)
    raise TypeError(f"cannot write a {type(value).__name__} as YAML")


def _key(key: str) -> str:
    """A mapping key: bare only where no YAML reader could take it for anything but itself."""
    plain = _PLAIN_KEY.fullmatch(key) and key.lower() not in _YAML_WORDS
    return key if plain else yaml_quote(key)


def _block(value: Any, indent: int) -> str:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, Mapping | list) and item:
                lines.append(f"{pad}{_key(key)}:\n{_block(item, indent + 2)}")
            else:
                lines.append(f"{pad}{_key(key)}: {_inline(item)}\n")
    else:
        for item in value:
            if isinstance(item, Mapping | list) and item:
                body = _block(item, indent + 2)
                lines.append(f"{pad}- {body[indent + 2 :]}")
            else:
                lines.append(f"{pad}- {_inline(item)}\n")
    return "".join(lines)


def _inline(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def dump_yaml(documents: Iterable[Mapping[str, Any]]) -> str:
    """YAML text of the documents, each starting with `---`, keys in insertion order."""
    return "".join("---\n" + _block(doc, 0) for doc in documents)
