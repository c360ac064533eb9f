"""LocalStack (Secrets Manager, SSM, KMS) on 127.0.0.1, run from a venv of its own.

LocalStack's pins (`cbor2<5.7`, `cryptography<44`, ...) must not reach the
project's environment, so it lives in its own venv; its interpreter is
`RIDEINFRA_LOCALSTACK_PYTHON` (CI creates `.venv-localstack`, see .ci/run).
On a machine with `/.dockerenv` LocalStack believes it is in Docker and its
default server listens on every interface whatever GATEWAY_LISTEN says: the
settings below keep it on loopback and quiet, and `start_localstack` checks
the process's sockets and refuses a LocalStack bound anywhere else.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from support.loopback import free_port, off_loopback, stop, wait_until

ENV_PYTHON = "RIDEINFRA_LOCALSTACK_PYTHON"
REPO = Path(__file__).resolve().parents[2]
#: Where .ci/run installs it, used when the variable is unset.
DEFAULT_PYTHON = REPO / ".venv-localstack" / "bin" / "python"


class Unavailable(Exception):
    """LocalStack cannot be run here; the message says why."""


@dataclass
class LocalStack:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        stop(self.process)


def localstack_python() -> Path:
    """The interpreter of LocalStack's venv.

    Raises:
        Unavailable: none is configured or installed.
    """
    given = os.environ.get(ENV_PYTHON)
    python = Path(given) if given else DEFAULT_PYTHON
    if not python.exists():
        raise Unavailable(
            f"no LocalStack interpreter at {python} (set {ENV_PYTHON}, or create "
            ".venv-localstack as .ci/run does)"
        )
    return python


def _healthy(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/_localstack/health", timeout=2) as answer:  # noqa: S310 - loopback
        services = json.load(answer).get("services", {})
    return all(services.get(s) in ("available", "running") for s in ("secretsmanager", "ssm"))


def start_localstack(workdir: Path) -> LocalStack:
    """Start LocalStack on a free 127.0.0.1 port; wait until it serves; check its sockets.

    Raises:
        Unavailable: it is not installed, did not start, or bound off loopback.
    """
    python = localstack_python()
    port = free_port()
    volume = workdir / "volume"
    volume.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "OVERRIDE_IN_DOCKER": "0",
        "GATEWAY_SERVER": "hypercorn",
        "DISABLE_EVENTS": "1",
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "DNS_ADDRESS": "0",
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "SERVICES": "secretsmanager,ssm,kms",
        "LOCALSTACK_VOLUME_DIR": str(volume),
        "TMPDIR": str(workdir),
    }
    log = workdir / "localstack.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(python), "-m", "localstack.runtime.main"],
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    why = wait_until(lambda: _healthy(url), process, 90)
    if why:
        stop(process)
        tail = log.read_text(errors="replace")[-2000:]
        raise Unavailable(f"LocalStack did not start: {why}; its log ends:\n{tail}")
    wrong = off_loopback(process.pid)
    if wrong:
        stop(process)
        raise Unavailable(f"LocalStack bound sockets off loopback, refused: {wrong}")
    return LocalStack(process, url, log)
