"""Least-privilege IAM policies: per profile, read exactly that profile's secrets.

The policy a profile's workload (an IRSA role, an ECS task role, the role of
an ESO store) needs to read its secrets and nothing else:

* `secretsmanager:GetSecretValue` on each of the profile's secrets. A
  secret's ARN ends in `-` and six random characters that Secrets Manager
  appends, so each is matched by `...:secret:<name>-??????` (`?` is one
  character: `app/db-??????` cannot match `app/db-old`'s ARN).
* `secretsmanager:BatchGetSecretValue`, which `fetch` calls first. It
  supports no resource-level permissions (`Resource: "*"`) and returns
  nothing by itself: Secrets Manager also checks `GetSecretValue` on every
  secret in the batch, so it widens nothing. `ListSecrets` is needed only
  when a batch selects secrets by filters; rideinfra names them, so it is
  never granted.
* optionally `kms:Decrypt` on customer-managed keys, only when called
  through Secrets Manager (`kms:ViaService`).

For a Parameter Store source (`type: aws-ssm`), `ssm:GetParameters` on each
parameter, `ssm:GetParametersByPath` on each path a name ending in `/` reads,
and `kms:Decrypt` through Parameter Store only (see `ssm_statements`). A
chain grants each of its AWS stores, since a chain may ask each of them.

Names only: the policy is built from the config, never from the store.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from rideinfra._record import Record
from rideinfra.errors import ConfigError, RenderError
from rideinfra.profiles.model import (
    AwsSourceConfig,
    ChainSourceConfig,
    Config,
    SourceConfig,
    SsmSourceConfig,
    VaultSourceConfig,
)

__all__ = [
    "MAX_MANAGED_POLICY_CHARS",
    "IamOptions",
    "iam_policy",
    "parameter_arn",
    "render_iam",
    "secret_arn",
    "ssm_statements",
]

#: IAM refuses a managed policy longer than this (whitespace not counted).
MAX_MANAGED_POLICY_CHARS = 6144

# A CloudFormation/Terraform/envsubst-style placeholder, left for a later tool.
_PLACEHOLDER = r"\$\{[A-Za-z_][A-Za-z0-9_:.\-]*\}"
_REGION = re.compile(rf"\*|[a-z]{{2}}(-[a-z]+)+-[0-9]+|{_PLACEHOLDER}")
_ACCOUNT = re.compile(rf"\*|[0-9]{{12}}|{_PLACEHOLDER}")
_PARTITION = re.compile(r"aws|aws-cn|aws-us-gov|aws-iso(-[a-z])?")
# The characters Secrets Manager allows in a name; none is an IAM wildcard.
_SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
_SECRET_ARN = re.compile(r"arn:[a-z-]+:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[^*?]+")
_KMS_ARN = re.compile(r"arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_-]+")


def _match(name: str, value: str | None, pattern: re.Pattern[str], what: str) -> None:
    if value is not None and not pattern.fullmatch(value):
        raise ConfigError(f"{name} {value!r} is not {what}", path=name)


def _kms_keys(value: tuple[str, ...]) -> None:
    for key in value:
        if not _KMS_ARN.fullmatch(key):
            raise ConfigError(
                f"kms key {key!r} must be a full KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)",
                path="kms_keys",
            )


class IamOptions(Record):
    """Where the secrets live, for their ARNs.

    Attributes:
        region: the secrets' region; None takes the config's
            `source.region`, else `*` (any region). A `${VAR}`
            placeholder is kept as written, for Terraform/CloudFormation/envsubst.
        account: the 12-digit account id, `*` (any account: weaker, since the
            names are then matched in every account the role can reach), or a
            `${VAR}` placeholder.
        partition: `aws`, `aws-cn`, `aws-us-gov`...
        batch: also allow `BatchGetSecretValue` (`fetch` uses it; ESO
            does not need it).
        kms_keys: customer-managed KMS key ARNs the secrets are encrypted with.
    """

    __slots__ = ("region", "account", "partition", "batch", "kms_keys")
    region: str | None
    account: str
    partition: str
    batch: bool
    kms_keys: tuple[str, ...]

    def __init__(
        self,
        region: str | None = None,
        account: str = "*",
        partition: str = "aws",
        batch: bool = True,
        kms_keys: Iterable[str] = (),
    ) -> None:
        keys = tuple(kms_keys)
        _match("region", region, _REGION, "an AWS region, '*' or a ${VAR} placeholder")
        _match("account", account, _ACCOUNT, "a 12-digit account id, '*' or a ${VAR}")
        _match("partition", partition, _PARTITION, "an AWS partition")
        _kms_keys(keys)
        self._init(region=region, account=account, partition=partition, batch=batch, kms_keys=keys)


def secret_arn(name: str, *, region: str, account: str, partition: str = "aws") -> str:
    """The ARN pattern that matches secret `name` and no other.

    A name that is already a full secret ARN is returned as it is.

    Raises:
        ConfigError: the name has characters Secrets Manager does not allow
            (`*` or `?` would make it a wildcard).
    """
    if name.startswith("arn:"):
        if not _SECRET_ARN.fullmatch(name):
            raise ConfigError(f"secret {name!r} is not a full Secrets Manager secret ARN")
        return name
    if not _SECRET_NAME.fullmatch(name):
        raise ConfigError(
            f"secret name {name!r} has characters Secrets Manager does not allow "
            "(letters, digits and /_+=.@- only); an IAM policy cannot name it exactly"
        )
    return f"arn:{partition}:secretsmanager:{region}:{account}:secret:{name}-??????"


def _region(options: IamOptions, config: Config | None) -> str:
    if options.region is not None:
        return options.region
    for source in _aws_stores(config):
        if source.region:
            return source.region
    return "*"


def iam_policy(
    secret_names: Iterable[str], options: IamOptions | None = None, *, region: str | None = None
) -> dict[str, Any]:
    """An IAM policy document allowing reads of exactly these secrets.

    Args:
        secret_names: secret names (or full ARNs).
        options: ARN parts and optional grants.
        region: the region when `options.region` is unset (default `*`).

    Raises:
        ConfigError: a secret name cannot be matched exactly.
        RenderError: no secret names.
    """
    options = options or IamOptions()
    names = sorted(set(secret_names))
    if not names:
        raise RenderError("no secrets: an IAM policy needs at least one secret to allow")
    where = options.region or region or "*"
    arns = [
        secret_arn(n, region=where, account=options.account, partition=options.partition)
        for n in names
    ]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": arns,
        }
    ]
    if options.batch:
        statements.append(
            {
                # No resource-level permissions exist for this action; each secret in
                # a batch is still authorized by GetSecretValue on that secret.
                "Sid": "BatchRead",
                "Effect": "Allow",
                "Action": "secretsmanager:BatchGetSecretValue",
                "Resource": "*",
            }
        )
    if options.kms_keys:
        statements.append(
            {
                "Sid": "DecryptViaSecretsManager",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": sorted(options.kms_keys),
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"secretsmanager.{where}.amazonaws.com"}
                },
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def _dump(policy: dict[str, Any], label: str) -> str:
    text = json.dumps(policy, indent=2) + "\n"
    size = len("".join(text.split()))
    if size > MAX_MANAGED_POLICY_CHARS:
        raise RenderError(
            f"{label}: the IAM policy is {size} characters; IAM refuses managed policies over "
            f"{MAX_MANAGED_POLICY_CHARS}: split the profile or name secrets by a shared path"
        )
    return text


def render_iam(
    config: Config,
    options: IamOptions | None = None,
    *,
    profiles: Sequence[str] | None = None,
) -> dict[str, str]:
    """File name -> policy JSON: `<profile>.iam.json` for each selected profile.

    Reads only the config (profile -> secret names), never the store.

    Raises:
        ConfigError: a profile is unknown or a secret name cannot be matched exactly.
        RenderError: a policy exceeds IAM's size limit.
    """
    options = options or IamOptions()
    region = _region(options, config)
    # A config reading files or the environment (local runs) deploys to Secrets Manager.
    stores = _aws_stores(config) or [AwsSourceConfig()]
    if isinstance(config.source, VaultSourceConfig):
        raise RenderError(
            f"the config's source ({config.source.type}) is not an AWS store: IAM policies "
            "grant reads of Secrets Manager and Parameter Store only (a Vault source is "
            "governed by Vault policies)"
        )
    out = {}
    for profile in config.select(profiles):
        names = [ref.name for ref in profile.secrets]
        statements: list[dict[str, Any]] = []
        for store in stores:
            if isinstance(store, SsmSourceConfig):
                statements += ssm_statements(names, options, region=region, prefix=store.prefix)
            else:
                statements += iam_policy(names, options, region=region)["Statement"]
        policy = {"Version": "2012-10-17", "Statement": statements}
        out[f"{profile.name}.iam.json"] = _dump(policy, f"profile {profile.name!r}")
    return out


def _aws_stores(config: Config | None) -> list[AwsSourceConfig | SsmSourceConfig]:
    """The config's AWS stores: its source, or each of a chain's (a chain may ask each)."""
    if config is None:
        return []
    source: SourceConfig = config.source
    parts = source.sources if isinstance(source, ChainSourceConfig) else (source,)
    return [part for part in parts if isinstance(part, AwsSourceConfig | SsmSourceConfig)]


# Parameter names: letters, digits and _.-/ ; none is an IAM wildcard.
_PARAMETER_NAME = re.compile(r"[A-Za-z0-9_.\-/]{1,2048}")


def parameter_arn(
    name: str, *, region: str, account: str, partition: str = "aws", prefix: str = ""
) -> str:
    """The ARN of parameter `prefix + name` (for a name ending in `/`, of the path).

    Raises:
        ConfigError: the parameter name has characters Parameter Store does not allow.
    """
    parameter = (prefix + name).rstrip("/") if name.endswith("/") else prefix + name
    if not _PARAMETER_NAME.fullmatch(parameter):
        raise ConfigError(
            f"parameter name {parameter!r} (secret {name!r}) has characters Parameter Store "
            "does not allow (letters, digits and _.-/ only); an IAM policy cannot name it exactly"
        )
    slash = "" if parameter.startswith("/") else "/"
    return f"arn:{partition}:ssm:{region}:{account}:parameter{slash}{parameter}"


def ssm_statements(
    secret_names: Iterable[str],
    options: IamOptions | None = None,
    *,
    region: str | None = None,
    prefix: str = "",
) -> list[dict[str, Any]]:
    """IAM statements allowing Parameter Store reads of exactly these secrets.

    `ssm:GetParameters` on each plain name's parameter; `ssm:GetParametersByPath`
    on each path name's path (`name/`), which authorises the path, not each
    parameter under it; `kms:Decrypt` for SecureString values, only through
    Parameter Store (`kms:ViaService`), on `options.kms_keys` or else any key
    of the account (the condition keeps it to SSM's decryption of parameters
    the caller may already read).

    Raises:
        ConfigError: a parameter name cannot be matched exactly.
        RenderError: no secret names.
    """
    options = options or IamOptions()
    names = sorted(set(secret_names))
    if not names:
        raise RenderError("no secrets: an IAM policy needs at least one secret to allow")
    where = options.region or region or "*"
    parts = {"region": where, "account": options.account, "partition": options.partition}
    plain = [parameter_arn(n, prefix=prefix, **parts) for n in names if not n.endswith("/")]
    paths = [parameter_arn(n, prefix=prefix, **parts) for n in names if n.endswith("/")]
    statements: list[dict[str, Any]] = []
    if plain:
        statements.append(
            {
                "Sid": "ReadParameters",
                "Effect": "Allow",
                "Action": "ssm:GetParameters",
                "Resource": plain,
            }
        )
    if paths:
        statements.append(
            {
                "Sid": "ReadParameterPaths",
                "Effect": "Allow",
                "Action": "ssm:GetParametersByPath",
                "Resource": paths,
            }
        )
    keys = sorted(options.kms_keys) or [
        f"arn:{options.partition}:kms:{where}:{options.account}:key/*"
    ]
    statements.append(
        {
            "Sid": "DecryptViaParameterStore",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": keys,
            "Condition": {"StringEquals": {"kms:ViaService": f"ssm.{where}.amazonaws.com"}},
        }
    )
    return statements
