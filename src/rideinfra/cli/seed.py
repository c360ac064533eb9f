"""`rideinfra seed` and `python -m rideinfra.seed`: create or update the store's secrets.

Idempotent: unchanged secrets get no new version; generated values are made
once and kept on reruns; `OVERRIDE_<FIELD>` replaces a field's value. The
work is `seed_secrets`; this module decides which seed file and which store.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from rideinfra.cli import options
from rideinfra.cli.base import ModuleCommand
from rideinfra.errors import ConfigError

if TYPE_CHECKING:
    from rideinfra.profiles import Config

__all__ = ["COMMAND", "main", "run"]

SUMMARY = "create or update secrets from a seed file"

EXAMPLES = """\
examples:
  python -m rideinfra.seed --config examples/rideshare/rideinfra.yaml
  OVERRIDE_REDIS_PASSWORD=... python -m rideinfra.seed --spec seed.yaml

seed file:
  version: 1
  secrets:
    rideshare/redis: {REDIS_PASSWORD: redis-dev-pass}
    rideshare/airflow: {FERNET_KEY: {generate: fernet}, JWT_SECRET: {generate: "hex:32"}}

"""

EXIT_CODES: options.ExitCodes = {
    0: "done: every secret created, updated or already up to date",
    1: "a secret could not be read, generated or written in the store",
}

PARSER_OPTIONS = options.ParserOptions(
    description="Create or update secrets in AWS Secrets Manager from a seed file.\n\n"
    "Unchanged secrets get no new version; generate: values are made once and kept;\n"
    "OVERRIDE_<FIELD> in the environment replaces that field in every secret having it.",
    epilog=EXAMPLES + options.exit_codes_help(EXIT_CODES),
    formatter_class=argparse.RawDescriptionHelpFormatter,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The seed options, the same for the module and the subcommand."""
    options.add_config(parser)
    parser.add_argument(
        "--spec", metavar="PATH", help="seed file (default: the config's seed: entry)"
    )
    parser.add_argument("--endpoint-url", metavar="URL", help="default: AWS_ENDPOINT_URL")
    parser.add_argument("--region", help="default: the config's, then AWS_DEFAULT_REGION")
    options.add_log(parser)
    options.add_version(parser)


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Carry out a parsed seed command; returns the exit code.

    The config is optional with --spec: a seed file alone names the secrets,
    and the store comes from --region / --endpoint-url and the environment.
    """
    from rideinfra.operations.seed import load_seed_spec, seed_secrets, seed_source

    spec_path: Path | None = Path(args.spec) if args.spec else None
    config: Config | None
    if spec_path is None:
        config = options.config_from_args(args, environ)
        if config.seed is None:
            raise ConfigError(
                "no seed file: pass --spec or set seed: in the config",
                file=str(options.config_path(args.config, environ)),
            )
        spec_path = Path(config.seed)
    else:
        config = options.config_if_present(args, environ)
    spec = load_seed_spec(spec_path)
    from rideinfra.secrets._awsclient import check_endpoint, check_region

    # Checked here to name the flag: past this point it is "the source's endpoint_url".
    if args.endpoint_url:
        check_endpoint(
            args.endpoint_url,
            "--endpoint-url",
            fix="give --endpoint-url a URL such as http://localhost:4566",
        )
    if args.region:
        check_region(args.region, "--region")
    source = seed_source(config, environ, region=args.region, endpoint_url=args.endpoint_url)
    seed_secrets(spec, source, environ)
    return 0


COMMAND = ModuleCommand("seed", SUMMARY, PARSER_OPTIONS, add_arguments, run)
main = COMMAND.main  # `python -m rideinfra.seed`
