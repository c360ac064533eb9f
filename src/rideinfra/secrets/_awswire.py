"""HTTP/1.1 for the lean value read: botocore's request, sent on connections of our own.

A value read's client CPU is what spaces out the requests of a fetch (they
share one GIL), and after the lean call (`_awslean`) the largest part of it
was the HTTP stack under botocore's session: urllib3's pool and response,
and http.client's request writing and header parsing (through the email
package), about a third of a request's instructions. `WireSession` sends the
same bytes and reads the answer itself, on keep-alive connections it keeps.

It is used only where it sends what botocore's `URLLib3Session` sends and
checks what it checks; `for_session` returns None otherwise, and the lean
call then keeps botocore's session:

- http, or https verified against the session's CA bundle (botocore's
  `verify`: its default bundle or `AWS_CA_BUNDLE`/`ca_bundle`) with the
  hostname checked, in botocore's own SSL context; not `verify=False`, not a
  client certificate;
- no proxy for the endpoint (botocore's own proxy rules say so);
- the session's connect and read timeouts, socket options and pool size.

What it writes is what urllib3 and http.client write for that request:
`Host` and `Accept-Encoding: identity` first, then botocore's headers in
their order (tests/secrets/test_aws_wire.py compares the bytes). Failures
raise the exceptions botocore's session raises for them, so its retry rules
judge them alike: `EndpointConnectionError`, `ConnectTimeoutError`,
`SSLError`, `ReadTimeoutError`, and `ConnectionClosedError` for a connection
that closed or an answer that is not HTTP/1.x. Two differences are on
purpose, both `ConnectionClosedError` (retried) where botocore's session reads
on: a body cut short of its Content-Length (botocore returns the bytes that
came), and more than `_MAX_INFORMATIONAL` 1xx answers before the answer.
"""

from __future__ import annotations

import os
import select
import socket
import ssl
import threading
import weakref
from collections import deque
from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
    SSLError,
)
from botocore.httpsession import URLLib3Session, get_cert_path

from rideinfra.secrets._log import logger

__all__ = ["WireSession"]

_DEFAULT_PORT = {"http": 80, "https": 443}
#: An answer's status line and headers may take this much; more is not an AWS answer.
_MAX_HEAD = 64 * 1024
_RECV = 64 * 1024
#: 1xx answers skipped before the answer; an endpoint that sends them forever is not one.
_MAX_INFORMATIONAL = 16
#: The characters of a header name (RFC 9110's `token`); checked by deleting them (no regex
#: to compile at import: every fetch imports this module).
_TOKEN_CHARS = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class _BadAnswer(Exception):
    """The endpoint's bytes are not an HTTP/1.x answer (raised as ConnectionClosedError)."""


class WireSession:
    """Sends botocore's prepared requests for one endpoint over keep-alive connections.

    Thread-safe: a connection is used by one request at a time; idle ones
    wait in a last-in-first-out stack, at most the session's pool size.
    Made by `for_session`.
    """

    __slots__ = (
        "__weakref__",
        "_address",
        "_connect_timeout",
        "_context",
        "_head",
        "_hostname",
        "_idle",
        "_lock",
        "_max_idle",
        "_read_timeout",
        "_socket_options",
        "_url",
    )

    def __init__(
        self,
        url: str,
        *,
        context: ssl.SSLContext | None,
        connect_timeout: float | None,
        read_timeout: float | None,
        socket_options: list[tuple[int, int, int]],
        max_idle: int,
    ) -> None:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        hostname = parts.hostname or ""
        port = parts.port or _DEFAULT_PORT[scheme]
        self._url = url
        self._hostname = hostname
        self._address = (hostname, port)
        self._context = context
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._socket_options = socket_options
        self._max_idle = max_idle
        self._idle: deque[_Connection] = deque()
        self._lock = threading.Lock()
        # As http.client writes them: the host in brackets if IPv6, the port unless default.
        host = f"[{hostname}]" if ":" in hostname else hostname
        if port != _DEFAULT_PORT[scheme]:
            host = f"{host}:{port}"
        self._head = f"Host: {host}\r\n".encode("ascii")
        _SESSIONS.add(self)

    def __repr__(self) -> str:
        return f"WireSession({self._url!r})"

    @classmethod
    def for_session(cls, session: Any, url: str) -> WireSession | None:
        """The wire form of botocore's `session` for requests to `url`, or None where it differs.

        Args:
            session: the client's HTTP session (`client._endpoint.http_session`).
            url: the endpoint URL every request of the lean call goes to.
        """
        if type(session) is not URLLib3Session:
            return None  # a session of the caller's: theirs to send with
        try:
            return cls._of(cast(Any, session), url)  # its settings are private attributes
        except (AttributeError, TypeError, ValueError, OSError) as exc:
            # A botocore whose internals moved, or a CA bundle ssl cannot load: botocore's
            # session sends, and says what is wrong with the bundle as it always has.
            logger().debug("HTTP through botocore's session (%s)", type(exc).__name__)
            return None

    @classmethod
    def _of(cls, session: Any, url: str) -> WireSession | None:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if (
            scheme not in _DEFAULT_PORT
            or not parts.hostname
            or not parts.hostname.isascii()
            or parts.username is not None
            or session._proxy_config.proxy_url_for(url)
            or session._cert_file is not None
        ):
            return None
        context = None
        if scheme == "https":
            verify = session._verify
            if not verify:
                return None  # verify=False: botocore's to do, with its warnings
            context = session._get_ssl_context()
            # botocore leaves the hostname to urllib3's check; here ssl checks it.
            context.check_hostname = True
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=get_cert_path(verify))
        timeout = session._timeout
        if isinstance(timeout, int | float):
            connect, read = float(timeout), float(timeout)
        else:
            connect, read = timeout.connect_timeout, timeout.read_timeout
        return cls(
            url,
            context=context,
            connect_timeout=connect,
            read_timeout=read,
            socket_options=list(session._socket_options or []),
            max_idle=int(session._max_pool_connections),
        )

    def send(self, request: Any) -> AWSResponse:
        """`request` (botocore's AWSPreparedRequest for this endpoint) sent; its whole answer.

        Raises:
            botocore.exceptions.EndpointConnectionError, ConnectTimeoutError,
                SSLError, ReadTimeoutError, ConnectionClosedError: as botocore's
                session raises them (see the module docs).
        """
        try:
            data = self._request_bytes(request)
        except ValueError as exc:  # what botocore's session says of what http.client refuses
            raise HTTPClientError(error=exc) from exc
        connection = self._checkout(request)
        try:
            connection.sock.sendall(data)
            status, headers, body, reusable = connection.read_answer()
        except TimeoutError as exc:
            connection.close()
            raise ReadTimeoutError(endpoint_url=request.url, error=exc) from exc
        except ssl.SSLError as exc:
            connection.close()
            raise SSLError(endpoint_url=request.url, error=exc) from exc
        except (OSError, _BadAnswer) as exc:
            connection.close()
            raise ConnectionClosedError(
                error=exc, request=request, endpoint_url=request.url
            ) from exc
        except Exception as exc:  # what botocore's session does with any other failure
            connection.close()
            raise HTTPClientError(error=exc) from exc
        if reusable:
            self._checkin(connection)
        else:
            connection.close()
        return AWSResponse(request.url, status, cast(Any, headers), _Body(body))

    def close(self) -> None:
        """Close the idle connections (one in use closes when its request is done)."""
        while self._idle:
            try:
                self._idle.pop().close()
            except IndexError:
                break

    def _request_bytes(self, request: Any) -> bytes:
        url = urlsplit(request.url)
        target = url.path or "/"
        if url.query:
            target = f"{target}?{url.query}"
        lines = [f"{request.method} {target} HTTP/1.1\r\n".encode("ascii"), self._head]
        names = set()
        for name, value in request.headers.items():
            key = name if isinstance(name, bytes) else name.encode("latin-1")
            raw = value if isinstance(value, bytes) else str(value).encode("latin-1")
            # Stricter than http.client, which lets an obsolete fold through: no CR or LF at all.
            if not _is_token(key) or b"\r" in raw or b"\n" in raw:
                raise ValueError(f"header {key!r}: not a valid HTTP header")
            names.add(key.lower())
            lines.append(b"%s: %s\r\n" % (key, raw))
        if b"accept-encoding" not in names:
            lines.insert(2, b"Accept-Encoding: identity\r\n")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        if b"content-length" not in names and (body or request.method in ("POST", "PUT")):
            lines.append(b"Content-Length: %d\r\n" % len(body))
        lines.append(b"\r\n")
        lines.append(body)
        return b"".join(lines)

    def _checkout(self, request: Any) -> _Connection:
        while True:
            try:
                connection = self._idle.pop()
            except IndexError:
                break
            if connection.usable():
                return connection
            connection.close()
        return self._connect(request)

    def _checkin(self, connection: _Connection) -> None:
        with self._lock:
            if len(self._idle) < self._max_idle:
                self._idle.append(connection)
                return
        connection.close()

    def _connect(self, request: Any) -> _Connection:
        sock: socket.socket | None = None
        try:
            sock = socket.create_connection(self._address, timeout=self._connect_timeout)
            for option in self._socket_options:
                sock.setsockopt(*option)
            if self._context is not None:  # the handshake, still under the connect timeout
                sock = self._context.wrap_socket(sock, server_hostname=self._hostname)
            sock.settimeout(self._read_timeout)
        except OSError as exc:
            if sock is not None:
                sock.close()
            if isinstance(exc, ssl.SSLError):
                raise SSLError(endpoint_url=request.url, error=exc) from exc
            if isinstance(exc, TimeoutError):
                raise ConnectTimeoutError(endpoint_url=request.url, error=exc) from exc
            # refused, unreachable, no such host
            raise EndpointConnectionError(endpoint_url=request.url, error=exc) from exc
        return _Connection(sock)


#: Every session, so a forked child can drop the connections it shares with its parent.
_SESSIONS: weakref.WeakSet[WireSession] = weakref.WeakSet()


def _forget_connections() -> None:
    # The child's copies of the parent's sockets: answers would go to whichever reads first.
    for session in list(_SESSIONS):
        session.close()  # the child's descriptors only: the parent's connections stay open


os.register_at_fork(after_in_child=_forget_connections)


def _is_token(name: bytes) -> bool:
    return bool(name) and not name.translate(None, _TOKEN_CHARS)


def _status(line: bytes) -> tuple[int, int]:
    """`HTTP/1.x NNN reason` as (x, NNN).

    Raises:
        _BadAnswer: any other line.
    """
    code = line[9:12]
    if (
        line[:7] != b"HTTP/1."
        or line[7:8] not in (b"0", b"1")
        or line[8:9] != b" "
        or len(code) != 3
        or code.strip(b"0123456789")
        or line[12:13] not in (b"", b" ")
    ):
        raise _BadAnswer("the status line is not HTTP/1.x")
    return int(line[7:8]), int(code)


class _Body:
    """An answer's body as botocore's AWSResponse reads it (`raw.stream()`)."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self) -> Iterator[bytes]:
        yield self._data


class _Connection:
    """One socket and the bytes read past the last answer."""

    __slots__ = ("_buffer", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = b""

    def close(self) -> None:
        self.sock.close()

    def usable(self) -> bool:
        """Idle and still open: nothing to read (a readable idle socket was closed, or sent
        bytes no request asked for)."""
        if self._buffer or (isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()):
            return False
        poll = select.poll()  # not select(): it cannot watch a descriptor past 1023
        try:
            poll.register(self.sock, select.POLLIN)
            return not poll.poll(0)
        except (OSError, ValueError):
            return False

    def read_answer(self) -> tuple[int, dict[str, str], bytes, bool]:
        """Status, headers (repeated ones joined by ", "), body, and whether to keep the socket.

        Raises:
            _BadAnswer: not HTTP/1.x, or framing that cannot be read safely.
            OSError: the socket failed or closed early (TimeoutError: the read timeout).
        """
        for _ in range(_MAX_INFORMATIONAL + 1):
            minor, status, headers = self._read_head()
            if not 100 <= status < 200 or status == 101:
                break  # 1xx (but a protocol switch) is informational: the answer follows
        else:
            raise _BadAnswer(f"more than {_MAX_INFORMATIONAL} informational answers")
        connection = {t.strip() for t in headers.get("connection", "").lower().split(",")}
        reusable = minor == 1 and "close" not in connection
        if status in (204, 304):
            return status, headers, b"", reusable
        coding = headers.get("transfer-encoding")
        if coding is not None:
            if coding.strip().lower() != "chunked":
                raise _BadAnswer("a transfer-encoding other than chunked")
            return status, headers, self._read_chunked(), reusable
        length = headers.get("content-length")
        if length is None:
            return status, headers, self._read_to_close(), False
        sizes = {size.strip() for size in length.split(",")}
        # isascii: str.isdigit() takes "²" (latin-1 \xb2), which int() refuses.
        if len(sizes) != 1 or not ((size := sizes.pop()).isascii() and size.isdigit()):
            raise _BadAnswer("a content-length that is not one number")
        return status, headers, self._read_exactly(int(size)), reusable

    def _read_head(self) -> tuple[int, int, dict[str, str]]:
        head = self._read_through(b"\r\n\r\n", "the headers")
        status_line, *lines = head.split(b"\r\n")
        minor, status = _status(status_line)
        headers: dict[str, str] = {}
        for line in lines:
            name, colon, value = line.partition(b":")
            if not colon or not _is_token(name):
                raise _BadAnswer("a header line is not NAME: VALUE")  # folds included
            key = name.decode("ascii").lower()
            text = value.strip(b" \t").decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        return minor, status, headers

    def _read_exactly(self, size: int) -> bytes:
        if len(self._buffer) < size:
            # Parts joined once: appending to the buffer would copy it at every read.
            parts, have = [self._buffer], len(self._buffer)
            while have < size:
                data = self._recv()
                parts.append(data)
                have += len(data)
            self._buffer = b"".join(parts)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _read_through(self, marker: bytes, what: str) -> bytes:
        """The bytes before the next `marker`, which is consumed with them (`what` names them
        in the error when `_MAX_HEAD` bytes hold no marker)."""
        end = self._buffer.find(marker)
        while end < 0:
            if len(self._buffer) > _MAX_HEAD:
                raise _BadAnswer(f"no end of {what} in {_MAX_HEAD} bytes")
            self._buffer += self._recv()
            end = self._buffer.find(marker)
        data, self._buffer = self._buffer[:end], self._buffer[end + len(marker) :]
        return data

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            line = self._read_through(b"\r\n", "a chunk's size line")
            size_text = line.split(b";", 1)[0].strip()
            # isalnum first: int() would also take a sign, an underscore or spaces.
            if not size_text.isalnum():
                raise _BadAnswer("a chunk's size is not hexadecimal")
            try:
                size = int(size_text, 16)
            except ValueError:
                raise _BadAnswer("a chunk's size is not hexadecimal") from None
            if size == 0:
                while self._read_through(b"\r\n", "a trailer"):  # up to the empty line
                    pass
                return b"".join(parts)
            parts.append(self._read_exactly(size))
            if self._read_exactly(2) != b"\r\n":
                raise _BadAnswer("a chunk does not end with CRLF")

    def _read_to_close(self) -> bytes:
        parts = [self._buffer]
        self._buffer = b""
        while data := self.sock.recv(_RECV):
            parts.append(data)
        return b"".join(parts)

    def _recv(self) -> bytes:
        data = self.sock.recv(_RECV)
        if not data:
            raise ConnectionResetError("the endpoint closed the connection mid-answer")
        return data
