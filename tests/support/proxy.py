"""A fault-injecting HTTP proxy for the Secrets Manager endpoint, on 127.0.0.1.

Tests (and the benchmarks) point ``AWS_ENDPOINT_URL`` at it; it forwards to
the moto server and, per request number or per action, can add latency,
answer 500/503, answer an AWS JSON error (ThrottlingException,
AccessDeniedException, ...), answer any body (an HTML error page), reset the
connection, or stall; or forward and then rewrite moto's JSON answer (add a
NextToken for ever) or trickle it back a byte at a time. It counts every
request by its ``X-Amz-Target`` action, which is how tests assert batching.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import struct
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Fault:
    """What the proxy does to one request instead of (or before) forwarding it."""

    # status, aws-error, body, reset, stall: answered by the proxy; delay, rewrite,
    # trickle: done to a forwarded request or its answer.
    kind: str
    status: int = 500
    code: str = ""
    seconds: float = 0.0
    interval: float = 0.0
    message: str = ""
    payload: bytes = b""
    content_type: str = "text/plain"
    rewrite: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    @classmethod
    def http(cls, status: int) -> Fault:
        """Answer with a bare HTTP status (500, 503...)."""
        return cls("status", status=status)

    @classmethod
    def aws(cls, code: str, status: int = 400, message: str = "") -> Fault:
        """Answer with the AWS JSON error body for ``code`` (message: ``injected <code>``)."""
        return cls("aws-error", status=status, code=code, message=message or f"injected {code}")

    @classmethod
    def body(cls, status: int, payload: bytes, content_type: str = "text/html") -> Fault:
        """Answer with ``payload`` as it is (an HTML error page, a proxy's 404)."""
        return cls("body", status=status, payload=payload, content_type=content_type)

    @classmethod
    def rewritten(cls, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Fault:
        """Forward, then answer ``change(moto's JSON answer)`` instead."""
        return cls("rewrite", rewrite=change)

    @classmethod
    def trickle(cls, interval: float, seconds: float = 10.0) -> Fault:
        """Forward, then send the answer a byte every ``interval`` s, for at most ``seconds``."""
        return cls("trickle", seconds=seconds, interval=interval)

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


class _Server(ThreadingHTTPServer):
    """http.server's threaded server with a listen backlog like a real endpoint's.

    socketserver's default backlog is 5: a client opening 50 connections at
    once (a cold fetch of 1,000 secrets) overflowed it, and the connections
    the kernel could not queue were closed before any answer, which clients
    retried: the proxy's limit, not the store's, showing up as retries.
    """

    request_queue_size = 128

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet for a connection `drop_connections` ended; socketserver's own otherwise."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def drop_connections(self) -> None:
        """End every open client connection: a request still in flight fails at once."""
        with self._open_lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            with contextlib.suppress(OSError):  # already closed by the client
                sock.shutdown(socket.SHUT_RDWR)


class Quota:
    """A store's request-rate limit on one action: a token bucket, throttling past it.

    `per_second` tokens a second, at most `burst` saved up; a request that
    finds no token gets Secrets Manager's ThrottlingException. Use it as a
    proxy's `rule` (`FaultProxy.limit`).
    """

    def __init__(self, action: str, per_second: float, burst: int) -> None:
        self.action = action
        self.per_second = per_second
        self.burst = burst
        self.allowed = 0
        self.throttled = 0
        self._tokens = float(burst)
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def __call__(self, number: int, action: str) -> Fault | None:
        if action != self.action:
            return None
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.per_second)
            self._at = now
            if self._tokens >= 1:
                self._tokens -= 1
                self.allowed += 1
                return None
            self.throttled += 1
        return Fault.throttle()


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
        #: Every request as received: its headers (names as sent) and body, in order.
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
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
        """Stop listening and end open connections.

        A request a test left in flight (a failed fetch leaves its other
        requests to finish on their own) then fails at once here, instead of
        being answered, counted or faulted during a later test.
        """
        self._server.shutdown()
        self._server.server_close()
        self._server.drop_connections()

    def reset(self) -> None:
        """Forget counted requests and rules; keep the fixed delay."""
        with self._lock:
            self.actions.clear()
            self.requests.clear()
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

    def limit(self, action: str, per_second: float, burst: int) -> Quota:
        """Throttle `action` past `per_second` requests a second (`burst` saved up)."""
        quota = Quota(action, per_second, burst)
        self.rule = quota
        return quota

    def _record(
        self, action: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Fault | None:
        with self._lock:
            self.actions.append(action)
            self.requests.append((headers or {}, body))
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
                fault = proxy._record(action, dict(self.headers.items()), body)
                if proxy.delay:
                    time.sleep(proxy.delay)
                if fault is not None and self._apply(fault):
                    return
                self._forward(body, fault)

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
                    payload = json.dumps({"__type": fault.code, "message": fault.message}).encode()
                    self._reply(fault.status, payload, "application/x-amz-json-1.1")
                    return True
                if fault.kind in ("rewrite", "trickle"):
                    return False  # done to the forwarded answer
                self._reply(fault.status, fault.payload, fault.content_type)
                return True

            def _reply(self, status: int, payload: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
                self.end_headers()
                self.wfile.write(payload)

            def _forward(self, body: bytes, fault: Fault | None = None) -> None:
                conn = http.client.HTTPConnection(*proxy._upstream, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                    conn.request("POST", self.path, body=body, headers=headers)
                    response = conn.getresponse()
                    payload = response.read()
                    status = response.status
                    if fault is not None and fault.rewrite is not None:
                        # moto may refuse a request the rewrite provoked (a made-up
                        # NextToken): the rewrite answers instead, with whatever it keeps.
                        try:
                            answer = json.loads(payload) if status == 200 else {}
                        except ValueError:
                            answer = {}
                        payload = json.dumps(fault.rewrite(answer)).encode()
                        status = 200
                    self.send_response(status)
                    for key, value in response.getheaders():
                        if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if fault is not None and fault.kind == "trickle":
                        self._trickle(payload, fault.interval, fault.seconds)
                    else:
                        self.wfile.write(payload)
                finally:
                    conn.close()

            def _trickle(self, payload: bytes, interval: float, seconds: float) -> None:
                """A byte per ``interval``: each read is within any read timeout, the answer not."""
                until = time.monotonic() + seconds
                try:
                    for byte in payload:
                        if time.monotonic() > until:
                            break
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(interval)
                except OSError:  # the client gave up
                    pass
                self.close_connection = True

        return Handler
