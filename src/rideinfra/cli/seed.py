"""``python -m rideinfra.seed``: create or update the store's secrets from a seed file.

Idempotent: unchanged secrets get no new version; generated values are made
once and kept on reruns; ``OVERRIDE_<FIELD>`` replaces a field's value.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from rideinfra.__about__ import __version__
from rideinfra.errors import ConfigError
from rideinfra.runner import (
    EXIT_CODES_HELP,
    ParserOptions,
    add_config_arguments,
    add_log_arguments,
    config_path,
    run_command,
)

__all__ = ["add_arguments", "build_parser", "main", "parser_options", "run"]

log = logging.getLogger("rideinfra.seed")

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


def parser_options() -> ParserOptions:
    """Description, epilog and formatter, shared by the module and ``rideinfra seed``."""
    return ParserOptions(
        description="Create or update secrets in AWS Secrets Manager from a seed file.\n\n"
        "Unchanged secrets get no new version; generate: values are made once and kept;\n"
        "OVERRIDE_<FIELD> in the environment replaces that field in every secret having it.",
        epilog=EXAMPLES + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the seed options to ``parser``."""
    add_config_arguments(parser)
    parser.add_argument(
        "--spec", metavar="PATH", help="seed file (default: the config's seed: entry)"
    )
    parser.add_argument("--endpoint-url", metavar="URL", help="default: AWS_ENDPOINT_URL")
    parser.add_argument("--region", help="default: the config's, then AWS_DEFAULT_REGION")
    add_log_arguments(parser)
    parser.add_argument("--version", action="version", version=f"rideinfra {__version__}")


def build_parser(prog: str = "python -m rideinfra.seed") -> argparse.ArgumentParser:
    """The seed command line."""
    parser = argparse.ArgumentParser(prog=prog, **parser_options())
    add_arguments(parser)
    return parser


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Carry out a parsed seed command; returns the exit code."""
    from rideinfra.secrets import SecretsManagerSource, SecretsManagerStore
    from rideinfra.seeding import apply_seed, load_seed_spec

    region = args.region
    endpoint = args.endpoint_url
    spec_path: Path | None = Path(args.spec) if args.spec else None
    path = config_path(args.config, environ)
    if spec_path is None or path.exists():
        from rideinfra.profiles import AwsSourceConfig, load_config

        config = load_config(path)
        if spec_path is None:
            if config.seed is None:
                raise ConfigError(
                    "no seed file: pass --spec or set seed: in the config", file=str(path)
                )
            spec_path = Path(config.seed)
        if isinstance(config.source, AwsSourceConfig):
            region = region or config.source.region
            endpoint = endpoint or config.source.endpoint_url
    spec = load_seed_spec(spec_path)
    source = SecretsManagerSource(region=region, endpoint_url=endpoint, environ=environ)
    log.info(
        "seeding %d secret(s) from %s into %s, region %s",
        len(spec.secrets),
        spec_path,
        source.endpoint_url or "AWS",
        source.region,
    )
    outcome = apply_seed(spec, SecretsManagerStore(source), environ)
    counts = {
        state: sum(1 for s in outcome.values() if s == state) for state in set(outcome.values())
    }
    log.info("seeded: %s", ", ".join(f"{n} {state}" for state, n in sorted(counts.items())))
    return 0


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Entrypoint: parse ``argv``, run, map errors to the documented exit codes."""
    return run_command(build_parser(), argv, environ, log, run)


if __name__ == "__main__":
    sys.exit(main())
