"""The AWS endpoints the store tests run against: moto's server and LocalStack, one interface."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass
class AwsBackend:
    """An AWS endpoint on 127.0.0.1 speaking Secrets Manager and SSM."""

    name: str  # moto | localstack
    url: str
    _reset: Callable[[], None] | None = None

    def client(self, service: str) -> Any:
        """A plain boto3 client for arranging test data (not the code under test)."""
        import boto3

        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1", **CREDENTIALS)

    def reset(self) -> None:
        """Empty both stores (moto's reset API; LocalStack: delete what is there)."""
        if self._reset is not None:
            self._reset()
            return
        sm = self.client("secretsmanager")
        for page in sm.get_paginator("list_secrets").paginate():
            for item in page["SecretList"]:
                sm.delete_secret(SecretId=item["ARN"], ForceDeleteWithoutRecovery=True)
        ssm = self.client("ssm")
        names = [
            item["Name"]
            for page in ssm.get_paginator("describe_parameters").paginate()
            for item in page["Parameters"]
        ]
        for start in range(0, len(names), 10):
            ssm.delete_parameters(Names=names[start : start + 10])

    def seed_sm(self, secrets: Mapping[str, Mapping[str, Any] | str]) -> None:
        client = self.client("secretsmanager")
        for name, value in secrets.items():
            text = value if isinstance(value, str) else json.dumps(dict(value))
            client.create_secret(Name=name, SecretString=text)

    def seed_ssm(
        self, parameters: Mapping[str, Mapping[str, Any] | str], prefix: str = "/"
    ) -> None:
        """Parameters `prefix + name`: a mapping as a JSON SecureString, a str as it is."""
        client = self.client("ssm")
        for name, value in parameters.items():
            text = value if isinstance(value, str) else json.dumps(dict(value))
            client.put_parameter(
                Name=prefix + name, Value=text, Type="SecureString", Overwrite=True
            )

    def environ(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.url}
