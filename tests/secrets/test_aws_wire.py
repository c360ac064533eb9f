"""`_awswire.WireSession` against botocore's own HTTP session, on the same bytes.

Every check sends one prepared request through both `WireSession` and
botocore's `URLLib3Session` to a loopback server that records what it
receives and answers with scripted bytes: the request bytes must be equal,
and the answer (status, headers, body) or the exception class must be too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSRequest
from botocore.exceptions import BotoCoreError
from botocore.httpsession import URLLib3Session
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rideinfra.errors import SourceError
from rideinfra.secrets import SecretsManagerSource
from rideinfra.secrets._awswire import WireSession, _BadAnswer, _is_token, _status
from support.loopback import free_port

SENTINEL = "s3cr3t-wire-value"
BODY = json.dumps(
    {"SecretValues": [{"Name": "a", "ARN": "arn:a", "SecretString": '{"K": "v"}'}], "Errors": []}
).encode()
OK = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: %d\r\n\r\n%s"
    % (
        len(BODY),
        BODY,
    )
)

# answer(connection number, request bytes) -> segments to send, and whether to close after.
Answer = Callable[[int, bytes], tuple[list[bytes], bool]]


class Scripted:
    """A loopback HTTP/1.1 server answering with given bytes; it records every request."""

    def __init__(
        self, answer: Answer, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.answer = answer
        self.tls = tls
        self.requests: list[bytes] = []
        self.connections = 0
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.create_server((host, 0), family=family)
        self.port = self._listener.getsockname()[1]
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, host: str = "127.0.0.1") -> str:
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def close(self) -> None:
        self._stop = True
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            number = self.connections
            threading.Thread(target=self._one, args=(sock, number), daemon=True).start()

    def _one(self, sock: socket.socket, number: int) -> None:
        try:
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = sock.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, rest = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(rest) < length:
                    rest += sock.recv(65536)
                self.requests.append(head + b"\r\n\r\n" + rest[:length])
                buffer = rest[length:]
                segments, close = self.answer(number, self.requests[-1])
                for segment in segments:
                    sock.sendall(segment)
                if close:
                    return
        except OSError:
            return
        finally:
            sock.close()


@pytest.fixture(name="serve")
def _serve() -> Iterator[Callable[..., Scripted]]:
    servers: list[Scripted] = []

    def start(
        answer: Answer, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"
    ) -> Scripted:
        servers.append(Scripted(answer, tls, host))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def always(*segments: bytes, close: bool = False) -> Answer:
    return lambda _n, _request: (list(segments), close)


def prepared(url: str, body: bytes = b'{"SecretIdList": ["a"]}') -> Any:
    """A request as the lean call prepares it: botocore's headers, in botocore's order."""
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={
            "X-Amz-Target": "secretsmanager.BatchGetSecretValue",
            "Content-Type": "application/x-amz-json-1.1",
            "User-Agent": "Botocore/1 rideinfra-test",
            "X-Amz-Date": "20261201T000000Z",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20261201/us-east-1/"
            "secretsmanager/aws4_request, SignedHeaders=host, Signature=00",
            "amz-sdk-invocation-id": "8c6a1e0e-0d57-4b2f-9a55-5f1f3c9a0b7e",
            "amz-sdk-request": "attempt=1; max=3",
        },
    )
    return request.prepare()


def botocore_session(**kwargs: Any) -> URLLib3Session:
    kwargs.setdefault("timeout", (2, 2))
    return URLLib3Session(**kwargs)


def wire(url: str, **kwargs: Any) -> WireSession:
    session = WireSession.for_session(botocore_session(**kwargs), url)
    assert session is not None
    return session


def both(url: str, **kwargs: Any) -> list[Any]:
    """The answer, or the exception, of botocore's session and of the wire, in that order."""
    outcomes: list[Any] = []
    for session in (botocore_session(**kwargs), wire(url, **kwargs)):
        try:
            response = session.send(prepared(url))
        except BotoCoreError as exc:
            outcomes.append(type(exc))
        else:
            headers = {k.lower(): v for k, v in response.headers.items()}
            outcomes.append((response.status_code, headers, response.content))
    return outcomes


class TestTheRequest:
    def test_the_bytes_botocores_session_sends(self, serve: Callable[..., Scripted]) -> None:
        server = serve(always(OK))
        url = server.url()
        botocore_session().send(prepared(url))
        wire(url).send(prepared(url))
        assert len(server.requests) == 2
        assert server.requests[1] == server.requests[0]
        assert server.requests[1].startswith(
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept-Encoding: identity\r\n" % server.port
        )

    @pytest.mark.parametrize("path", ["/", "/base", "/base/?x=1&y=%2F"])
    def test_the_target_and_host_as_botocore_writes_them(
        self, serve: Callable[..., Scripted], path: str
    ) -> None:
        server = serve(always(OK))
        for host in ("127.0.0.1", "LOCALHOST"):
            url = server.url(host) + path
            botocore_session().send(prepared(url))
            wire(url).send(prepared(url))
        first, second, third, fourth = server.requests
        assert second == first
        assert fourth == third

    def test_an_ipv6_endpoint(self, serve: Callable[..., Scripted]) -> None:
        """`Host: [::1]:PORT`, as http.client writes it."""
        try:
            server = serve(always(OK), host="::1")
        except OSError as exc:
            pytest.skip(f"no IPv6 loopback here: {exc}")
        url = f"http://[::1]:{server.port}"
        botocore_session().send(prepared(url))
        assert wire(url).send(prepared(url)).content == BODY
        assert server.requests[1] == server.requests[0]
        assert b"\r\nHost: [::1]:%d\r\n" % server.port in server.requests[1]

    def test_a_line_break_in_a_header_is_refused(self, serve: Callable[..., Scripted]) -> None:
        server = serve(always(OK))
        request = prepared(server.url())
        request.headers["User-Agent"] = "ua\r\nX-Injected: 1"
        with pytest.raises(BotoCoreError, match="not a valid HTTP header"):
            wire(server.url()).send(request)
        assert server.requests == []


def chunked(body: bytes, sizes: list[int], trailer: bytes = b"") -> bytes:
    out, at = [], 0
    for size in sizes:
        part = body[at : at + size]
        if not part:
            break
        out.append(b"%x;ext=1\r\n%s\r\n" % (len(part), part))
        at += size
    if at < len(body):
        out.append(b"%x\r\n%s\r\n" % (len(body) - at, body[at:]))
    return b"".join(out) + b"0\r\n" + trailer + b"\r\n"


ANSWERS = {
    "content-length": [OK],
    "chunked": [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(BODY, [5, 17, 1])
    ],
    "chunked with trailers": [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunked(BODY, [40], b"X-Trailer: 1\r\n")
    ],
    "100 continue first": [b"HTTP/1.1 100 Continue\r\n\r\n", OK],
    "byte by byte": [OK[i : i + 1] for i in range(len(OK))],
    "repeated header": [
        b"HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)
    ],
    "error answer": [
        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 57\r\n\r\n"
        b'{"__type":"ValidationException","message":"bad idsxxxxx"}'
    ],
    "no content": [b"HTTP/1.1 204 No Content\r\n\r\n"],
}


class TestTheAnswer:
    @pytest.mark.parametrize("name", list(ANSWERS))
    def test_read_as_botocores_session_reads_it(
        self, serve: Callable[..., Scripted], name: str
    ) -> None:
        server = serve(always(*ANSWERS[name]))
        theirs, ours = both(server.url())
        assert ours == theirs
        assert isinstance(ours, tuple)

    @pytest.mark.parametrize(
        "answer",
        [
            b"HTTP/1.0 200 OK\r\n\r\n" + BODY,  # no length: to the close
            b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + BODY,
        ],
        ids=["http/1.0", "connection close"],
    )
    def test_an_answer_that_ends_at_the_close(
        self, serve: Callable[..., Scripted], answer: bytes
    ) -> None:
        server = serve(always(answer, close=True))
        theirs, ours = both(server.url())
        assert ours == theirs
        assert ours[2] == BODY

    @settings(
        max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        body=st.binary(max_size=3000),
        sizes=st.lists(st.integers(1, 700), max_size=8),
        cut=st.lists(st.integers(1, 400), max_size=6),
        use_chunks=st.booleans(),
    )
    def test_any_body_in_any_framing_and_segments(
        self,
        serve: Callable[..., Scripted],
        body: bytes,
        sizes: list[int],
        cut: list[int],
        use_chunks: bool,
    ) -> None:
        """Body bytes, chunk sizes and TCP segments at random: the body botocore reads."""
        if use_chunks:
            data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body, sizes)
        else:
            data = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        segments, at = [], 0
        for size in cut:
            segments.append(data[at : at + size])
            at += size
        segments.append(data[at:])
        server = serve(always(*[s for s in segments if s]))
        session = wire(server.url())
        for _ in range(2):  # and the connection is reused, its buffer empty
            response = session.send(prepared(server.url()))
            assert response.status_code == 200
            assert response.content == body
        assert server.connections == 1


class TestConnections:
    def test_one_connection_is_kept_for_the_next_request(
        self, serve: Callable[..., Scripted]
    ) -> None:
        server = serve(always(OK))
        session = wire(server.url())
        for _ in range(5):
            assert session.send(prepared(server.url())).content == BODY
        assert server.connections == 1

    def test_a_connection_the_server_closed_while_idle_is_not_reused(
        self, serve: Callable[..., Scripted]
    ) -> None:
        """The server keeps the connection for one answer, then closes it: a new one, no error."""
        server = serve(always(OK, close=True))
        session = wire(server.url())
        for _ in range(3):
            assert session.send(prepared(server.url())).content == BODY
            time.sleep(0.05)  # the close reaches us while the connection is idle
        assert server.connections == 3

    def test_idle_connections_are_at_most_the_pool_size(
        self, serve: Callable[..., Scripted]
    ) -> None:
        gate = threading.Barrier(6)

        def answer(_n: int, _request: bytes) -> tuple[list[bytes], bool]:
            return [OK], False

        server = serve(answer)
        session = wire(server.url(), max_pool_connections=2)

        def one() -> None:
            gate.wait(10)
            session.send(prepared(server.url()))

        threads = [threading.Thread(target=one) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        assert len(session._idle) <= 2

    def test_a_forked_child_does_not_share_the_parents_connections(
        self, serve: Callable[..., Scripted]
    ) -> None:
        """Two processes on one socket would read each other's answers."""
        server = serve(always(OK))
        session = wire(server.url())
        session.send(prepared(server.url()))
        pid = os.fork()
        if pid == 0:  # the child: exit 0 only if its request worked, and never return
            ok = False
            try:
                ok = session.send(prepared(server.url())).content == BODY
            finally:
                os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert server.connections == 2
        assert session.send(prepared(server.url())).content == BODY  # the parent's, kept
        assert server.connections == 2


class TestFailures:
    """Each failure raises the exception class botocore's session raises for it."""

    def test_nothing_listening(self) -> None:
        url = f"http://127.0.0.1:{free_port()}"
        theirs, ours = both(url)
        assert ours == theirs
        assert ours.__name__ == "EndpointConnectionError"

    def test_no_answer_in_the_read_timeout(self, serve: Callable[..., Scripted]) -> None:
        server = serve(lambda _n, _r: (time.sleep(1.5), ([], True))[1])
        theirs, ours = both(server.url(), timeout=(2, 0.3))
        assert ours == theirs
        assert ours.__name__ == "ReadTimeoutError"

    @pytest.mark.parametrize(
        "segments",
        [
            [],  # closed with no answer
            [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"],
            [b"SSH-2.0-OpenSSH\r\n\r\n"],  # not HTTP
            [b"HTTP/1.1 2000 OK\r\n\r\n"],
        ],
        ids=["no answer", "mid-chunk", "not http", "bad status"],
    )
    def test_a_connection_that_closes_early_or_is_not_http(
        self, serve: Callable[..., Scripted], segments: list[bytes]
    ) -> None:
        server = serve(always(*segments, close=True))
        theirs, ours = both(server.url())
        assert ours == theirs, (ours, theirs)
        assert ours.__name__ == "ConnectionClosedError"

    def test_a_body_shorter_than_its_content_length_is_not_an_answer(
        self, serve: Callable[..., Scripted]
    ) -> None:
        """Stricter than botocore's session, on purpose: it reads with urllib3's
        `enforce_content_length=False` and returns the bytes that came; a value read must not
        take a cut answer for a whole one, and ConnectionClosedError is retried."""
        server = serve(always(OK[:-10], close=True))
        theirs, ours = both(server.url())
        assert theirs[2] == BODY[:-10]
        assert ours.__name__ == "ConnectionClosedError"

    def test_informational_answers_without_end_are_not_an_answer(
        self, serve: Callable[..., Scripted]
    ) -> None:
        """16 are skipped, as botocore's session skips any number; the 17th ends the read, so
        an endpoint that sends them forever cannot keep a fetch reading them."""
        continues = b"HTTP/1.1 100 Continue\r\n\r\n"
        server = serve(always(continues * 16 + OK))
        assert wire(server.url()).send(prepared(server.url())).content == BODY
        server = serve(always(continues * 17 + OK, close=True))
        theirs, ours = both(server.url())
        assert theirs[2] == BODY
        assert ours.__name__ == "ConnectionClosedError"

    @settings(
        max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        head=st.lists(
            st.sampled_from(
                [
                    b"HTTP/1.1 200 OK",
                    b"HTTP/1.0 500 x",
                    b"HTTP/1.1 100 Continue",
                    b"Content-Length: 4",
                    b"Content-Length: \xb2",
                    b"Content-Length: 4, 5",
                    b"Content-Length: -1",
                    b"Transfer-Encoding: chunked",
                    b"Transfer-Encoding: gzip",
                    b"Connection: close",
                    b" folded",
                    b"",
                ]
            )
            | st.binary(max_size=30),
            max_size=6,
        ),
        body=st.binary(max_size=40),
    )
    # str.isdigit() takes latin-1's superscript two; int() does not.
    @example(head=[b"HTTP/1.1 200 OK", b"Content-Length: \xb2"], body=b"")
    def test_any_answer_is_read_or_refused_with_a_botocore_error(
        self, serve: Callable[..., Scripted], head: list[bytes], body: bytes
    ) -> None:
        """Whatever the endpoint sends, the wire returns an answer or raises what botocore's
        retry rules judge: never another exception (which would end as an internal error)."""
        server = serve(always(b"\r\n".join(head) + b"\r\n\r\n" + body, close=True))
        with contextlib.suppress(BotoCoreError):
            wire(server.url(), timeout=(2, 0.5)).send(prepared(server.url()))

    def test_an_answer_with_a_secret_in_it_is_not_repeated(
        self, serve: Callable[..., Scripted]
    ) -> None:
        server = serve(
            always(
                b"HTTP/1.1 200 OK\r\nContent-Length: " + SENTINEL.encode() + b"\r\n\r\n", close=True
            )
        )
        with pytest.raises(BotoCoreError) as caught:
            wire(server.url()).send(prepared(server.url()))
        assert SENTINEL not in str(caught.value)
        assert SENTINEL not in repr(caught.value.__cause__)


# --- TLS -----------------------------------------------------------------------------------


def certificates(directory: Path, names: list[str]) -> tuple[Path, Path, Path]:
    """A CA, and a server certificate it signs for `names` (DNS names or IP addresses)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def build(subject: str, key: Any, issuer: Any, issuer_key: Any, ca: bool) -> Any:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            alt: list[Any] = []
            for name in names:
                try:
                    alt.append(x509.IPAddress(ipaddress.ip_address(name)))
                except ValueError:
                    alt.append(x509.DNSName(name))
            builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rideinfra test CA")])
    ca = build("rideinfra test CA", ca_key, ca_name, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = build("server", key, ca_name, ca_key, ca=False)
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def tls_server(directory: Path, names: list[str]) -> tuple[ssl.SSLContext, Path]:
    ca, cert, key = certificates(directory, names)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, ca


@pytest.fixture(name="https_source")
def _https_source(
    serve: Callable[..., Scripted],
    tmp_path: Path,
    aws_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., SecretsManagerSource]:
    """`https_source(bundle=...)`: a source for a TLS server (certificate for localhost);
    AWS_CA_BUNDLE is `bundle`, or the server's CA when None (botocore reads it from
    os.environ)."""

    def make(*, bundle: Path | None) -> SecretsManagerSource:
        context, ca = tls_server(tmp_path, ["localhost"])
        server = serve(always(OK), tls=context)
        monkeypatch.setenv("AWS_CA_BUNDLE", str(bundle or ca))
        return SecretsManagerSource(endpoint_url=server.url("localhost"), environ=aws_env)

    return make


class TestTls:
    def test_verified_against_the_ca_bundle(
        self, serve: Callable[..., Scripted], tmp_path: Path
    ) -> None:
        context, ca = tls_server(tmp_path, ["localhost", "127.0.0.1"])
        server = serve(always(OK), tls=context)
        for host in ("localhost", "127.0.0.1"):
            theirs, ours = both(server.url(host), verify=str(ca))
            assert ours == theirs
            assert ours[2] == BODY
        assert server.requests[1] == server.requests[0]

    @pytest.mark.parametrize("verify", [True, "other-ca"], ids=["default bundle", "another CA"])
    def test_a_certificate_the_bundle_does_not_sign_is_refused(
        self, serve: Callable[..., Scripted], tmp_path: Path, verify: Any
    ) -> None:
        context, _ca = tls_server(tmp_path, ["localhost"])
        if verify == "other-ca":
            (tmp_path / "other").mkdir()
            verify = str(certificates(tmp_path / "other", ["localhost"])[0])
        server = serve(always(OK), tls=context)
        theirs, ours = both(server.url("localhost"), verify=verify)
        assert ours == theirs
        assert ours.__name__ == "SSLError"
        assert server.requests == []

    def test_a_certificate_for_another_name_is_refused(
        self, serve: Callable[..., Scripted], tmp_path: Path
    ) -> None:
        context, ca = tls_server(tmp_path, ["elsewhere.example"])
        server = serve(always(OK), tls=context)
        theirs, ours = both(server.url("localhost"), verify=str(ca))
        assert ours == theirs
        assert ours.__name__ == "SSLError"
        assert server.requests == []

    def test_a_fetch_over_https_with_aws_ca_bundle(
        self, https_source: Callable[..., SecretsManagerSource]
    ) -> None:
        """End to end: the source's own client, its CA bundle from the environment, lean."""
        source = https_source(bundle=None)
        result = source.fetch_many(["a"])
        assert not result.errors, {n: str(e) for n, e in result.errors.items()}
        assert result["a"].fields["K"].reveal() == "v"
        lean = source._client.lean("BatchGetSecretValue")
        assert lean is not None
        assert isinstance(lean._http, WireSession)

    def test_an_unreadable_ca_bundle_is_botocores_to_report(
        self, https_source: Callable[..., SecretsManagerSource], tmp_path: Path
    ) -> None:
        bundle = tmp_path / "not-a-bundle.pem"
        bundle.write_text("not a certificate\n")
        source = https_source(bundle=bundle)
        with pytest.raises(SourceError):
            source.fetch_many(["a"])
        lean = source._client.lean("BatchGetSecretValue")
        assert lean is not None
        assert not isinstance(lean._http, WireSession)


class TestWhereItIsUsed:
    def test_http_and_https_endpoints(self) -> None:
        assert WireSession.for_session(botocore_session(), "http://127.0.0.1:1") is not None
        assert WireSession.for_session(botocore_session(), "https://localhost:1") is not None

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"verify": False},
            {"client_cert": "/nonexistent/cert.pem"},
            {"proxies": {"https": "http://127.0.0.1:3128", "http": "http://127.0.0.1:3128"}},
        ],
        ids=["verify off", "client certificate", "proxy"],
    )
    def test_botocores_session_where_the_settings_need_it(self, kwargs: dict[str, Any]) -> None:
        assert WireSession.for_session(botocore_session(**kwargs), "https://localhost:1") is None

    def test_a_session_of_another_class(self) -> None:
        class Custom(URLLib3Session):
            pass

        assert WireSession.for_session(Custom(), "http://127.0.0.1:1") is None

    @pytest.mark.parametrize("url", ["ftp://host", "http://user:pw@host", "http://bücher.example"])
    def test_endpoints_it_does_not_write(self, url: str) -> None:
        assert WireSession.for_session(botocore_session(), url) is None

    def test_a_proxy_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """botocore reads proxies from the environment when the endpoint is made."""
        from botocore.session import Session

        monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "a")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "b")
        client = Session().create_client(
            "secretsmanager", region_name="us-east-1", endpoint_url="https://localhost:1"
        )
        assert WireSession.for_session(client._endpoint.http_session, "https://localhost:1") is None
        monkeypatch.setenv("NO_PROXY", "localhost")
        client = Session().create_client(
            "secretsmanager", region_name="us-east-1", endpoint_url="https://localhost:1"
        )
        assert (
            WireSession.for_session(client._endpoint.http_session, "https://localhost:1")
            is not None
        )


class TestParsingRules:
    """The hand-written checks against the grammar they stand for, as regular expressions."""

    STATUS = re.compile(rb"HTTP/1\.([01]) ([0-9]{3})(?: .*)?", re.DOTALL)
    TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

    @given(
        st.one_of(
            st.binary(max_size=20),
            st.builds(
                lambda minor, code, rest: b"HTTP/1." + minor + b" " + code + rest,
                st.sampled_from([b"0", b"1", b"2", b"x"]),
                st.binary(min_size=2, max_size=4),
                st.sampled_from([b"", b" OK", b"0", b"  x", b" \xff"]),
            ),
            st.sampled_from([b"HTTP/1.1 200 OK", b"HTTP/1.0 404", b"HTTP/1.1 20 OK"]),
        )
    )
    def test_the_status_line(self, line: bytes) -> None:
        match = self.STATUS.fullmatch(line)
        if match is None:
            with pytest.raises(_BadAnswer):
                _status(line)
        else:
            assert _status(line) == (int(match[1]), int(match[2]))

    @given(st.binary(max_size=12) | st.text("aZ9-_.~!:; \t", max_size=8).map(str.encode))
    def test_a_header_name(self, name: bytes) -> None:
        assert _is_token(name) == bool(self.TOKEN.fullmatch(name))
