"""A moto Secrets Manager server on 127.0.0.1, reached over HTTP like LocalStack."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from moto.server import ThreadedMotoServer


@dataclass
class MotoEndpoint:
    server: ThreadedMotoServer
    url: str

    def stop(self) -> None:
        self.server.stop()

    def reset(self) -> None:
        """Drop every secret (moto's reset API), so each test starts empty."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our loopback server
            response.read()

    def client(self) -> Any:
        """A plain boto3 client for arranging test data (not the code under test)."""
        import boto3

        return boto3.client(
            "secretsmanager",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def seed(self, secrets: Mapping[str, Mapping[str, Any] | str | bytes]) -> None:
        """Create secrets: a mapping becomes a JSON SecretString, str/bytes are stored as is."""
        client = self.client()
        for name, value in secrets.items():
            if isinstance(value, bytes):
                client.create_secret(Name=name, SecretBinary=value)
            elif isinstance(value, str):
                client.create_secret(Name=name, SecretString=value)
            else:
                client.create_secret(Name=name, SecretString=json.dumps(dict(value)))


def start_moto() -> MotoEndpoint:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return MotoEndpoint(server, f"http://{host}:{port}")
