"""The platform's current fetch script, as the benchmark's baseline.

A plain sequential loop: one ``GetSecretValue`` per secret, ``json.loads``,
``KEY=value`` lines per profile. It applies none of rideinfra's transforms,
quoting, collision checks or atomic writes, so it does less work than
``python -m rideinfra.fetch`` — the comparison is in its favour.

As a script (the whole-process comparison; same environment as rideinfra:
AWS_ENDPOINT_URL, AWS_DEFAULT_REGION, credentials)::

    python bench/baseline.py --out DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# The rideshare profiles (examples/rideshare/rideinfra.yaml), as the script hard-codes them.
PROFILES = {
    "core": [
        "rideshare/api-key",
        "rideshare/redis",
        "rideshare/kafka",
        "rideshare/schema-registry",
    ],
    "data-pipeline": [
        "rideshare/minio",
        "rideshare/postgres-airflow",
        "rideshare/postgres-metastore",
        "rideshare/airflow",
        "rideshare/hive-thrift",
        "rideshare/ldap",
    ],
    "monitoring": ["rideshare/grafana"],
    "spark-testing": ["rideshare/minio", "rideshare/hive-thrift"],
}


def fetch_all(client: Any, names: list[str]) -> dict[str, dict[str, str]]:
    """One GetSecretValue per secret, in order, each JSON-decoded."""
    return {
        name: json.loads(client.get_secret_value(SecretId=name)["SecretString"]) for name in names
    }


def write_profiles(out: str, secrets: dict[str, dict[str, Any]]) -> None:
    """One `KEY=value` file per profile in `out` (bench/peer.py writes the same)."""
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    for profile, group in PROFILES.items():
        lines = [f"{k}={v}\n" for name in group for k, v in secrets[name].items()]
        (target / f"{profile}.env").write_text("".join(lines))


def main(out: str) -> int:
    import boto3

    client = boto3.client("secretsmanager")
    names = list(dict.fromkeys(n for group in PROFILES.values() for n in group))
    write_profiles(out, fetch_all(client, names))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[sys.argv.index("--out") + 1]))
