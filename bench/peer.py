"""The best hand-written script: boto3's `BatchGetSecretValue` over a 50-thread pool.

What a strong user writes instead of rideinfra (issue 19's peer): one client,
the names in chunks of 20 (the API's limit), every chunk in flight at once on
a `ThreadPoolExecutor` of 50, `json.loads` of each SecretString. Like
bench/baseline.py it applies none of rideinfra's transforms, quoting,
collision checks or atomic writes, so it does less work than
`python -m rideinfra.fetch`.

Two uses: `fetch_all(client, names)` for the warm comparison (bench/peer_bench.py),
and as a process (same environment as rideinfra: AWS_ENDPOINT_URL,
AWS_DEFAULT_REGION, credentials), fetching the rideshare example's 11 secrets
and writing a `KEY=value` file per profile as bench/baseline.py does::

    python bench/peer.py --out DIR
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

THREADS = 50
BATCH = 20  # BatchGetSecretValue takes at most 20 ids


def make_client(**kwargs: Any) -> Any:
    """The one client, made once; its connection pool sized to the threads.

    botocore keeps 10 connections by default: with 50 threads the other 40
    would be opened for every request and thrown away (urllib3 warns
    "Connection pool is full"), which a strong user fixes.
    """
    import boto3
    from botocore.config import Config

    return boto3.client("secretsmanager", config=Config(max_pool_connections=THREADS), **kwargs)


def fetch_all(client: Any, names: list[str]) -> dict[str, dict[str, Any]]:
    """Every secret in `names`, JSON-decoded; fails naming the secrets it could not read."""

    def batch(ids: list[str]) -> list[dict[str, Any]]:
        page = client.batch_get_secret_value(SecretIdList=ids)
        if page["Errors"]:  # names and error codes only, never a value
            failed = ", ".join(f"{e['SecretId']} ({e['ErrorCode']})" for e in page["Errors"])
            raise RuntimeError(f"could not read: {failed}")
        return list(page["SecretValues"])

    chunks = [names[i : i + BATCH] for i in range(0, len(names), BATCH)]
    # A new pool for each call, the `with` idiom the concurrent.futures docs
    # teach: a script fetches once, and a long-lived service that fetches now
    # and then has no reason to keep 50 idle threads between fetches.
    # (rideinfra keeps its threads between fetches, for 30 s idle: in the
    # process comparison, one fetch each, neither side is spared the starts.)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        pages = list(pool.map(batch, chunks))
    return {s["Name"]: json.loads(s["SecretString"]) for page in pages for s in page}


def main(out: str) -> int:
    from baseline import PROFILES, write_profiles

    names = list(dict.fromkeys(n for group in PROFILES.values() for n in group))
    write_profiles(out, fetch_all(make_client(), names))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[sys.argv.index("--out") + 1]))
