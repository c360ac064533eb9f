"""`FaultProxy` for any HTTP API (Vault's GET/PUT/LIST), not only AWS's JSON POSTs.

Requests are counted by `METHOD path` (`GET /v1/secret/data/app/db`); the
faults are FaultProxy's: status, body, reset, stall, delay.
"""

from __future__ import annotations

import http.client
import time
from http.server import BaseHTTPRequestHandler

from support.proxy import FaultProxy


class HttpFaultProxy(FaultProxy):
    """A FaultProxy forwarding every method, counting `METHOD path` as the action."""

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self
        base = super()._handler_class()

        class Handler(base):  # type: ignore[valid-type, misc]
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length) if length else b""
                fault = proxy._record(f"{self.command} {self.path.split('?')[0]}")
                if proxy.delay:
                    time.sleep(proxy.delay)
                if fault is not None and self._apply(fault):
                    return
                self._forward(body, fault)

            do_GET = do_PUT = do_POST = do_DELETE = do_LIST = _any

            def _forward(self, body: bytes, fault: object = None) -> None:
                conn = http.client.HTTPConnection(*proxy._upstream, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    response = conn.getresponse()
                    payload = response.read()
                    self.send_response(response.status)
                    for key, value in response.getheaders():
                        if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                finally:
                    conn.close()

        return Handler
