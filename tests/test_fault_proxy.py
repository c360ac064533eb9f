"""The fault proxy the tests share: a test's leftover requests stay out of the next test."""

from __future__ import annotations

import http.client
import threading
import time
from urllib.parse import urlsplit

from support.moto import MotoEndpoint
from support.proxy import Fault, FaultProxy


def _post(url: str, action: str, outcome: list[BaseException | int]) -> None:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        conn.request(
            "POST",
            "/",
            body=b"{}",
            headers={
                "X-Amz-Target": f"secretsmanager.{action}",
                "Content-Type": "application/x-amz-json-1.1",
            },
        )
        outcome.append(conn.getresponse().status)
    except OSError as exc:
        outcome.append(exc)
    finally:
        conn.close()


def test_a_request_left_in_flight_ends_with_its_proxy(sm: MotoEndpoint) -> None:
    """A stalled request fails when its proxy stops, long before the stall would end.

    What CI saw before the proxy was per test: a request an earlier test had
    left running reached the shared proxy later, was counted there and took
    a fault numbered for the test then running.
    """
    first = FaultProxy(sm.url).start()
    first.on({1: Fault.stall(60)})
    outcome: list[BaseException | int] = []
    caller = threading.Thread(target=_post, args=(first.url, "ListSecrets", outcome))
    caller.start()
    while first.count() == 0:
        time.sleep(0.01)
    first.stop()
    caller.join(20)
    assert not caller.is_alive(), "the request outlived its proxy"
    assert len(outcome) == 1
    assert isinstance(outcome[0], OSError | http.client.HTTPException)

    second = FaultProxy(sm.url).start()
    try:
        assert second.url != first.url
        done: list[BaseException | int] = []
        _post(second.url, "ListSecrets", done)
        assert done == [200]
        assert second.actions == ["ListSecrets"]  # nothing of the first proxy's
    finally:
        second.stop()


def test_the_fixture_gives_each_test_a_fresh_proxy(proxy: FaultProxy) -> None:
    assert proxy.count() == 0
    assert proxy.rule is None
    assert proxy.delay == 0.0
