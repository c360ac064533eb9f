"""The demo: the whole secrets-init job on an embedded Secrets Manager.

`run_demo` starts a local Secrets Manager endpoint (a moto server, from the
`local` extra) on 127.0.0.1, seeds the bundled rideshare example into it and
runs the real fetch against it over HTTP, exactly as an init container talks
to LocalStack. No Docker, no network, no AWS account.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from rideinfra._record import Record
from rideinfra.errors import ConfigError

if TYPE_CHECKING:
    from rideinfra.render import WriteReport

__all__ = ["DemoRun", "example_dir", "run_demo"]

log = logging.getLogger("rideinfra.demo")

#: The caller's settings that would point the demo elsewhere than its own endpoint and --out.
_DROPPED = ("AWS_SESSION_TOKEN", "AWS_PROFILE", "SECRETS_OUTPUT_DIR")


def example_dir() -> Path:
    """The bundled rideshare example: in the wheel, or in a source checkout.

    Raises:
        ConfigError: neither has it.
    """
    package = Path(__file__).resolve().parents[1]  # src/rideinfra, or site-packages/rideinfra
    for candidate in (
        package / "examples" / "rideshare",  # the wheel's force-include
        package.parents[1] / "examples" / "rideshare",  # a source checkout
    ):
        if (candidate / "rideinfra.yaml").is_file():
            return candidate
    raise ConfigError("the bundled rideshare example is missing from this installation")


class DemoRun(Record):
    """What the demo wrote, by name only.

    Attributes:
        report: the write's report (which files changed).
        variables: file name -> the names of its variables, sorted (as the
            files list them), from the resolved `Env`s: not parsed back from
            a file, where a value of several lines would look like more names.
    """

    __slots__ = ("report", "variables")
    report: WriteReport
    variables: Mapping[str, tuple[str, ...]]

    def __init__(self, report: WriteReport, variables: Mapping[str, tuple[str, ...]]) -> None:
        self._init(report=report, variables=variables)


def run_demo(out: str | os.PathLike[str], environ: Mapping[str, str]) -> DemoRun:
    """Start the embedded endpoint, seed the example into it, fetch into `out`; stop the endpoint.

    Args:
        out: where the profile files are written.
        environ: the caller's environment; its AWS endpoint, credentials,
            profile and SECRETS_OUTPUT_DIR are replaced by the demo's.

    Returns:
        The write's report and each file's variable names.

    Raises:
        ConfigError: the `local` extra (moto) is not installed.
        RideinfraError: the seed or the fetch failed, as for `seed_secrets` and `fetch_and_write`.
    """
    from rideinfra.operations.fetch import fetch_and_render, write_rendered
    from rideinfra.operations.seed import load_seed_spec, seed_secrets, seed_source
    from rideinfra.operations.setup import build_source, read_config
    from rideinfra.profiles import load_config
    from rideinfra.render import get_format

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
        env = {k: v for k, v in environ.items() if k not in _DROPPED}
        env.update(
            {
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_ACCESS_KEY_ID": "demo",
                "AWS_SECRET_ACCESS_KEY": "demo",
                "AWS_DEFAULT_REGION": "us-east-1",
            }
        )
        path = example_dir() / "rideinfra.yaml"
        # Seed, then fetch, as the two commands would run one after the other.
        seeding = load_config(path)
        if seeding.seed is None:
            raise ConfigError("the bundled example names no seed file", file=str(path))
        seed_secrets(load_seed_spec(seeding.seed), seed_source(seeding, env), env)
        config = read_config(path)
        fmt = get_format(config.output.format)
        rendered = fetch_and_render(config, build_source(config.source, env), output_format=fmt)
        report = write_rendered(config, rendered, out)
        variables = {
            f"{profile}{rendered.extension}": tuple(sorted(resolved))
            for profile, resolved in rendered.envs.items()
        }
        return DemoRun(report, variables)
    finally:
        server.stop()
