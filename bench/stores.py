"""Requests and wall time of one fetch from each store: Secrets Manager, Parameter Store, Vault.

    python bench/stores.py [--json docs/benchmarks.json]   # measure, then rewrite the page

Secrets Manager and Parameter Store are moto's (a `moto_server` process)
behind the latency proxy in its own process (bench/latency.py); Vault is a
real OpenBao dev server behind tests/support/http_proxy.py in this process
(the latency proxy forwards AWS's POSTs only), which shares this process's
GIL with the client. Each fetch is a warm one (the source and its pool made
first), the median of `REPS`. `bench/run.py` runs this as its section 6; run
alone it measures only this section and keeps the rest of the saved results.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

import report  # noqa: E402
import results as results_io  # noqa: E402
from harness import AWS_ENV, store  # noqa: E402
from results import StoreRow, median, ms  # noqa: E402

SIZES = (11, 100, 1000)
DELAYS_MS = (0, 20)
REPS = 3


def _names(n: int) -> list[str]:
    return [f"bench/store-{i:04d}" for i in range(n)]


def _fields(name: str) -> dict[str, str]:
    return {f"FIELD_{j}": f"{name}-value-{j}" for j in range(5)}


def _measure(
    label: str,
    fetch: Callable[[list[str]], Any],
    proxy: Any,
    log: Callable[[str], None],
) -> list[StoreRow]:
    rows = []
    for delay in DELAYS_MS:
        proxy.delay = delay / 1000
        fetch(_names(max(SIZES)))  # warm the pool with every connection it will use
        for n in SIZES:
            names = _names(n)
            proxy.reset()
            result = fetch(names)
            assert not result.errors, result.errors
            requests = proxy.count()
            times = []
            for _ in range(REPS):
                started = time.perf_counter()
                fetch(names)
                times.append(time.perf_counter() - started)
            rows.append(StoreRow(label, n, delay, requests, median(times)))
            log(f"{label} N={n} delay={delay}ms: {requests} request(s), {ms(median(times))} ms")
    proxy.delay = 0
    return rows


def bench_stores(log: Callable[[str], None]) -> tuple[list[StoreRow] | None, str]:
    """Rows for the three stores; None and the reason when OpenBao cannot run here."""
    from rideinfra.secrets import ParameterStoreSource, SecretsManagerSource, VaultSource
    from support.http_proxy import HttpFaultProxy
    from support.openbao import Unavailable, start_openbao

    rows: list[StoreRow] = []
    everything = _names(max(SIZES))
    with store() as st:
        st.seed({name: _fields(name) for name in everything})
        ssm = __import__("boto3").client(
            "ssm", endpoint_url=st.moto_url, region_name="us-east-1", **_creds()
        )
        for name in everything:
            ssm.put_parameter(Name="/" + name, Value=json.dumps(_fields(name)), Type="SecureString")
        env = st.environ()
        sm = SecretsManagerSource(endpoint_url=st.url, environ=env)
        rows += _measure("Secrets Manager", sm.fetch_many, st.proxy, log)
        ps = ParameterStoreSource(endpoint_url=st.url, environ=env, prefix="/")
        rows += _measure("Parameter Store", ps.fetch_many, st.proxy, log)
    try:
        bao = start_openbao(Path(tempfile.mkdtemp(prefix="bench-openbao-")))
    except Unavailable as exc:
        return rows, f"Vault not measured: {exc}"
    try:
        for name in everything:
            bao.request("POST", f"secret/data/{name}", {"data": _fields(name)})
        proxy = HttpFaultProxy(bao.url).start()
        try:
            vault = VaultSource(environ={"VAULT_ADDR": proxy.url, "VAULT_TOKEN": bao.token})
            rows += _measure("Vault (OpenBao)", vault.fetch_many, proxy, log)
        finally:
            proxy.stop()
    finally:
        bao.stop()
    return rows, ""


def _creds() -> dict[str, str]:
    return {
        "aws_access_key_id": AWS_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--json", default=str(ROOT / "docs" / "benchmarks.json"))
    args = parser.parse_args(argv)
    started = time.perf_counter()

    def log(line: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {line}", flush=True)

    path = Path(args.json)
    saved = results_io.load(path)
    saved.stores, saved.stores_note = bench_stores(log)
    report.publish(saved, path.with_suffix(".md"))
    log(f"wrote {path.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
