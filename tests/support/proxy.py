"""A fault-injecting HTTP proxy for the Secrets Manager endpoint, on 127.0.0.1.

Tests (and the benchmarks) point ``AWS_ENDPOINT_URL`` at it; it forwards to
the moto server and, per request number or per action, can add latency,
answer 500/503, answer an AWS JSON error (ThrottlingException,
AccessDeniedException, ...), reset the connection, or stall. It counts every
request by its ``X-Amz-Target`` action, which is how tests assert batching.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Fault:
    """What the proxy does to one request instead of (or before) forwarding it."""

    kind: str  # "status" | "aws-error" | "reset" | "stall" | "delay"
    status: int = 500
    code: str = ""
    seconds: float = 0.0

    @classmethod
    def http(cls, status: int) -> Fault:
        """Answer with a bare HTTP status (500, 503...)."""
        return cls("status", status=status)

    @classmethod
    def aws(cls, code: str, status: int = 400) -> Fault:
        """Answer with the AWS JSON error body for ``code``."""
        return cls("aws-error", status=status, code=code)

    @classmethod
    def throttle(cls) -> Fault:
        """Secrets Manager's throttling answer (HTTP 400, ThrottlingException)."""
        return cls.aws("ThrottlingException")

    @classmethod
    def reset(cls) -> Fault:
        """Close the connection with a TCP reset, no answer."""
        return cls("reset")

    @classmethod
    def stall(cls, seconds: float) -> Fault:
        """Hold the request for ``seconds`` without answering, then close."""
        return cls("stall", seconds=seconds)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Forward after ``seconds`` (on top of the proxy's fixed delay)."""
        return cls("delay", seconds=seconds)


# rule(request_number starting at 1, action) -> a Fault or None to forward as is
Rule = Callable[[int, str], "Fault | None"]


class FaultProxy:
    """A threaded HTTP proxy in front of ``upstream`` (``http://host:port``)."""

    def __init__(self, upstream: str, *, delay: float = 0.0) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.delay = delay
        self.rule: Rule | None = None
        self.actions: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        """Forget counted requests and rules; keep the fixed delay."""
        with self._lock:
            self.actions.clear()
            self.rule = None

    def count(self, action: str | None = None) -> int:
        """Requests seen, of one action (e.g. ``BatchGetSecretValue``) or of all."""
        with self._lock:
            if action is None:
                return len(self.actions)
            return Counter(self.actions)[action]

    def on(self, faults: dict[int, Fault] | None = None, *, action: str | None = None) -> None:
        """Apply ``faults`` by request number (1-based, counting only ``action`` if given)."""
        table = dict(faults or {})
        seen = Counter[str]()

        def rule(number: int, act: str) -> Fault | None:
            if action is not None:
                if act != action:
                    return None
                seen[act] += 1
                return table.get(seen[act])
            return table.get(number)

        self.rule = rule

    def _record(self, action: str) -> Fault | None:
        with self._lock:
            self.actions.append(action)
            number = len(self.actions)
            rule = self.rule
        return rule(number, action) if rule else None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; with Nagle's algorithm
            # and delayed ACKs each proxied response would wait ~40 ms.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: request lines would clutter test output."""

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                target = self.headers.get("X-Amz-Target", "")
                action = target.rsplit(".", 1)[-1] if target else "?"
                fault = proxy._record(action)
                if proxy.delay:
                    time.sleep(proxy.delay)
                if fault is not None and self._apply(fault):
                    return
                self._forward(body)

            def _apply(self, fault: Fault) -> bool:
                """Carry out a fault; True when the request is answered (not forwarded)."""
                if fault.kind == "delay":
                    time.sleep(fault.seconds)
                    return False
                if fault.kind == "reset":
                    # SO_LINGER 0 makes close() send RST instead of FIN.
                    linger = struct.pack("ii", 1, 0)
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                    self.close_connection = True
                    self.connection.close()
                    return True
                if fault.kind == "stall":
                    time.sleep(fault.seconds)
                    self.close_connection = True
                    return True
                if fault.kind == "aws-error":
                    payload = json.dumps(
                        {"__type": fault.code, "message": f"injected {fault.code}"}
                    ).encode()
                    self._reply(fault.status, payload, "application/x-amz-json-1.1")
                    return True
                self._reply(fault.status, b"", "text/plain")
                return True

            def _reply(self, status: int, payload: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
                self.end_headers()
                self.wfile.write(payload)

            def _forward(self, body: bytes) -> None:
                conn = http.client.HTTPConnection(*proxy._upstream, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                    conn.request("POST", self.path, body=body, headers=headers)
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
