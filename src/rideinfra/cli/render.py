"""`rideinfra render k8s|iam|helm-values`: manifests and policies from the same profiles.

The outputs hold names only (no values): printed, or written as plain files
meant for git by `write_plain`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from rideinfra.cli import options
from rideinfra.errors import ConfigError

if TYPE_CHECKING:
    from rideinfra.cli.base import Handler
    from rideinfra.render.eso import EsoOptions

__all__ = ["register"]


def _emit(args: argparse.Namespace, files: Mapping[str, str]) -> int:
    """Write the files to --out, or print them: one JSON object of several policies, or
    the YAML documents one after another (each file already starts its documents)."""
    if args.out:
        from rideinfra.operations import write_plain

        write_plain(args.out, files)
        return 0
    names = sorted(files)
    if len(names) > 1 and all(name.endswith(".json") for name in names):
        text = json.dumps({name: json.loads(files[name]) for name in names}, indent=2)
    else:
        text = "".join(files[name].rstrip("\n") + "\n" for name in names)
    sys.stdout.write(text.rstrip("\n") + "\n")
    return 0


def _labels(pairs: list[str] | None) -> dict[str, str]:
    labels = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--label {pair!r}: write KEY=VALUE", path="--label")
        labels[key] = value
    return labels


def _k8s(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from rideinfra.render.eso import eso_from_source

    config = options.config_from_args(args, environ)
    eso = _eso_options(args)
    source = options.source_for(args, config, environ, names_only=True)
    return _emit(args, eso_from_source(config, source, eso, profiles=args.profile))


def _eso_options(args: argparse.Namespace) -> EsoOptions:
    from rideinfra.render.eso import EsoOptions

    return EsoOptions(
        api_version=args.api_version,
        namespace=args.namespace,
        name_template=args.name_template,
        target_template=args.target_template,
        labels=_labels(args.label),
        refresh_interval=args.refresh_interval,
        creation_policy=args.creation_policy,
        store_kind="ClusterSecretStore" if args.cluster_store else "SecretStore",
        store_template=args.store_name,
        region=args.region,
        auth=args.auth,
        credentials_secret=args.credentials_secret,
        credentials_namespace=args.credentials_namespace,
        service_account_template=args.service_account,
        role=args.role,
        compact=not args.no_compact,
        split=args.split,
    )


def _iam(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from rideinfra.render.iam import IamOptions, render_iam

    config = options.config_from_args(args, environ)
    iam = IamOptions(
        region=args.region,
        account=args.account,
        partition=args.partition,
        batch=not args.no_batch,
        kms_keys=tuple(args.kms_key or ()),
    )
    return _emit(args, render_iam(config, iam, profiles=args.profile))


def _helm(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    from rideinfra.render.eso import check_controller_endpoint, helm_values

    del environ
    # Checked here too so the message names the option the user typed.
    for flag, url in (("--eso-endpoint", args.eso_endpoint), ("--sts-endpoint", args.sts_endpoint)):
        if url:
            check_controller_endpoint(url, flag)
    text = helm_values(
        endpoint=args.eso_endpoint, sts_endpoint=args.sts_endpoint, role_arn=args.role
    )
    return _emit(args, {"external-secrets-values.yaml": text})


#: Every target writes files with --out; only k8s reads the store.
_WRITE_FAILED = "a file could not be written to --out"
K8S_EXIT_CODES: options.ExitCodes = {
    0: "the manifests were printed or written",
    1: "the store could not be read for field names, a profile cannot be written\n"
    "exactly as ESO manifests (the message says why),\nor " + _WRITE_FAILED,
}
FILES_EXIT_CODES: options.ExitCodes = {
    0: "printed or written",
    1: _WRITE_FAILED,
}


def _add_target(
    targets: options.SubParsers[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
    example: str,
    *,
    run: Handler,
    config: bool = True,
    exit_codes: options.ExitCodes = FILES_EXIT_CODES,
) -> argparse.ArgumentParser:
    """`rideinfra render NAME` with the options every target has; the caller adds its own."""
    parser = options.add_parser(
        targets, name, summary, description, f"example:\n  {example}", exit_codes=exit_codes
    )
    if config:
        options.add_config(parser)
        options.add_profile(parser)
    options.add_out(parser, "write files here (default: stdout)")
    options.add_log(parser)
    parser.set_defaults(handler=run)
    return parser


def register(sub: options.SubParsers[argparse.ArgumentParser]) -> None:
    """`rideinfra render k8s|iam|helm-values`."""
    render = options.add_parser(
        sub,
        "render",
        "Kubernetes (ESO) manifests, IAM policies, Helm values from the profiles",
        "Generate what other systems need from the same rideinfra.yaml: "
        "External Secrets Operator manifests, per-profile IAM policies, and the ESO "
        "Helm values for a LocalStack endpoint. Names only: no value enters these files.",
        "examples:\n  rideinfra render k8s --config rideinfra.yaml --out k8s/\n"
        "  rideinfra render iam --account 123456789012 --region us-east-1 --out iam/\n"
        "  rideinfra render helm-values --eso-endpoint http://localstack.default:4566",
        exit_codes=K8S_EXIT_CODES,
    )
    targets = render.add_subparsers(dest="target", metavar="TARGET", required=True)

    k8s = _add_target(
        targets,
        "k8s",
        "ExternalSecret + SecretStore manifests (External Secrets Operator)",
        "One ExternalSecret per profile whose target Secret holds exactly the "
        "variables the env file holds, and the SecretStore for AWS Secrets Manager. The "
        "store is read once for field names (never values); --source file:seed.yaml works "
        "without AWS.",
        "rideinfra render k8s --namespace rideshare --out k8s/",
        run=_k8s,
        exit_codes=K8S_EXIT_CODES,
    )
    options.add_source(
        k8s, "read field names from file:PATH, directory:PATH, env or aws (no AWS needed)"
    )
    options.add_choice(
        k8s,
        "--api-version",
        ("v1", "v1beta1"),
        "external-secrets.io API: v1 (ESO 0.17 and later, default) or v1beta1 (older ESO)",
    )
    k8s.add_argument(
        "--namespace", help="metadata.namespace of every object (default: kubectl's current one)"
    )
    k8s.add_argument(
        "--name-template",
        default="{profile}",
        help="ExternalSecret name; {profile} is the profile's name (default: {profile})",
    )
    k8s.add_argument(
        "--target-template",
        default="{profile}",
        help="name of the Secret ESO writes, as the k8s-secret format's (default: {profile})",
    )
    k8s.add_argument(
        "--label",
        action="append",
        metavar="KEY=VALUE",
        help="a metadata.labels entry of every object; repeatable",
    )
    k8s.add_argument(
        "--refresh-interval",
        help="how often ESO re-reads the store, such as 1h or 15m "
        "(default: output.refresh_interval, else 1h)",
    )
    options.add_choice(
        k8s,
        "--creation-policy",
        ("Owner", "Orphan", "Merge", "None"),
        "target.creationPolicy (default Owner: the Secret goes with its ExternalSecret)",
    )
    k8s.add_argument(
        "--cluster-store",
        action="store_true",
        help="a ClusterSecretStore instead of a namespaced SecretStore",
    )
    k8s.add_argument(
        "--store-name",
        default="aws-secretsmanager",
        help="the store's name; with {profile}, one store per profile (default: "
        "aws-secretsmanager)",
    )
    k8s.add_argument(
        "--region",
        help="AWS region of the store (default: the config's source.region, else us-east-1)",
    )
    options.add_choice(
        k8s,
        "--auth",
        ("secret-ref", "service-account", "controller"),
        "how the store authenticates: access keys in a Secret (secret-ref, default), a "
        "service account token (IRSA), or the controller's own identity",
    )
    k8s.add_argument(
        "--credentials-secret",
        default="aws-credentials",
        help="the Secret holding the access keys, for --auth secret-ref (default: aws-credentials)",
    )
    k8s.add_argument(
        "--credentials-namespace",
        help="where that Secret or service account lives; required with --cluster-store",
    )
    k8s.add_argument(
        "--service-account",
        default="rideinfra-{profile}",
        help="the service account, for --auth service-account (default: rideinfra-{profile})",
    )
    k8s.add_argument("--role", help="an IAM role ARN the store assumes")
    k8s.add_argument(
        "--no-compact",
        action="store_true",
        help="always list each variable under data (default: dataFrom.extract where equal)",
    )
    k8s.add_argument("--split", action="store_true", help="one file per object (with --out)")

    iam = _add_target(
        targets,
        "iam",
        "per-profile least-privilege IAM policies",
        "For each profile, an IAM policy allowing exactly GetSecretValue (and "
        "BatchGetSecretValue) on that profile's secrets, for IRSA or task roles.",
        "rideinfra render iam --account 123456789012 --out iam/",
        run=_iam,
    )
    iam.add_argument("--region", help="default: the config's source.region, else *")
    iam.add_argument("--account", default="*", help="12-digit account id (default * : weaker)")
    iam.add_argument(
        "--partition", default="aws", help="ARN partition: aws (default), aws-cn, aws-us-gov"
    )
    iam.add_argument("--no-batch", action="store_true", help="omit BatchGetSecretValue")
    iam.add_argument(
        "--kms-key",
        action="append",
        metavar="ARN",
        help="also allow kms:Decrypt on this customer-managed key; repeatable",
    )

    helm = _add_target(
        targets,
        "helm-values",
        "Helm values giving the ESO controller a LocalStack endpoint",
        "ESO's AWS provider has no per-store endpoint; the controller reads "
        "AWS_SECRETSMANAGER_ENDPOINT from its environment. These values set it.",
        "rideinfra render helm-values --eso-endpoint "
        "http://localstack.localstack:4566 > values.yaml",
        run=_helm,
        config=False,
    )
    helm.add_argument("--eso-endpoint", metavar="URL", help="in-cluster Secrets Manager URL")
    helm.add_argument("--sts-endpoint", metavar="URL", help="in-cluster STS URL")
    helm.add_argument("--role", help="IAM role ARN for the controller (IRSA)")
