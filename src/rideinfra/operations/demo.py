"""``rideinfra demo``: the whole secrets-init job on an embedded Secrets Manager.

Starts a local Secrets Manager endpoint (a moto server, from the ``local``
extra) on 127.0.0.1, seeds the rideshare example into it, and runs the real
``fetch`` against it over HTTP, exactly as an init container talks to
LocalStack. No Docker, no network, no AWS account.
"""

from __future__ import annotations

import argparse
import logging
import re
from collections.abc import Mapping
from pathlib import Path

from rideinfra.errors import ConfigError
from rideinfra.secrets.model import MASK

__all__ = ["example_dir", "run"]

log = logging.getLogger("rideinfra.demo")

_VARIABLE = re.compile(r"^(?:export )?([A-Za-z_][A-Za-z0-9_]*)=", re.MULTILINE)


def example_dir() -> Path:
    """The bundled rideshare example: in the wheel, or in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "examples" / "rideshare", here.parents[1] / "examples" / "rideshare"):
        if (candidate / "rideinfra.yaml").is_file():
            return candidate
    raise ConfigError("the bundled rideshare example is missing from this installation")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``rideinfra demo``."""
    parser.add_argument(
        "--out",
        metavar="DIR",
        default="demo-secrets",
        help="where to write the profile files (default: ./demo-secrets)",
    )


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Start the endpoint, seed, fetch, show the files with values masked."""
    from rideinfra import fetch, seed

    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise ConfigError(
            "the demo needs the embedded endpoint: pip install 'rideinfra[local]'"
        ) from None
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        log.info("embedded Secrets Manager endpoint at %s", endpoint)
        env = {
            **environ,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "demo",
            "AWS_SECRET_ACCESS_KEY": "demo",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        env.pop("AWS_SESSION_TOKEN", None)
        env.pop("AWS_PROFILE", None)
        env.pop("SECRETS_OUTPUT_DIR", None)
        config = str(example_dir() / "rideinfra.yaml")
        common = ["--config", config, "--log-format", args.log_format]
        code = seed.run(seed.build_parser().parse_args(common), env)
        if code:
            return code
        fetch_args = fetch.build_parser().parse_args([*common, "--out", args.out])
        code = fetch.run(fetch_args, env)
    finally:
        server.stop()
    if code == 0:
        show(Path(args.out))
    return code


def show(directory: Path) -> None:
    """Print each profile file's variables with their values masked."""
    print(f"Files written to {directory}/ (values masked):")
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        names = _VARIABLE.findall(path.read_text(encoding="utf-8"))
        print(f"\n{path.name}  ({len(names)} variables)")
        for name in names:
            print(f"  {name}={MASK}")
