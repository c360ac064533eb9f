"""The benchmarks' latency proxy: tests/support/proxy.py with TCP_NODELAY, in its own process.

Two changes to how the tests use FaultProxy, both so the benchmark measures
the client and not the harness:

* FaultProxy's handler writes the response headers and the body in two
  ``send()`` calls. With Nagle's algorithm on and the client's delayed ACK,
  the second small segment waits for the ACK of the first: about 40 ms added
  to every request on Linux loopback, which would swamp the fixed delay being
  measured (and favour whichever client makes fewer requests). TCP_NODELAY on
  the accepted socket leaves only the delay asked for.
* The proxy runs in a child process (``python bench/latency.py UPSTREAM``),
  driven by one command per line on stdin, so its threads do not compete for
  the GIL of the process under test.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from support.proxy import FaultProxy  # noqa: E402


class LatencyProxy(FaultProxy):
    """FaultProxy whose accepted connections send each write at once (TCP_NODELAY)."""

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        base = super()._handler_class()

        class NoDelayHandler(base):  # type: ignore[misc,valid-type]
            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        return NoDelayHandler


def serve(upstream: str) -> None:
    """Run a LatencyProxy; answer one line per command read from stdin.

    Commands: ``delay SECONDS``, ``reset``, ``count [ACTION]``, ``stop``. The
    first line written is the proxy's URL.
    """
    proxy = LatencyProxy(upstream).start()
    print(proxy.url, flush=True)
    for line in sys.stdin:
        command, *args = line.split()
        if command == "delay":
            proxy.delay = float(args[0])
            print("ok", flush=True)
        elif command == "reset":
            proxy.reset()
            print("ok", flush=True)
        elif command == "count":
            print(proxy.count(args[0] if args else None), flush=True)
        elif command == "stop":
            break
    proxy.stop()


class ProxyProcess:
    """Handle on a LatencyProxy child process: ``url``, ``delay``, ``reset()``, ``count()``."""

    def __init__(self, upstream: str) -> None:
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), upstream],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._delay = 0.0
        self.url = self._line()

    def _line(self) -> str:
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if not line:
            raise RuntimeError("the latency proxy exited")
        return line

    def _ask(self, command: str) -> str:
        assert self._process.stdin is not None
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        return self._line()

    @property
    def delay(self) -> float:
        """Seconds added to every request before it is forwarded."""
        return self._delay

    @delay.setter
    def delay(self, seconds: float) -> None:
        self._ask(f"delay {seconds!r}")
        self._delay = seconds

    def reset(self) -> None:
        """Forget the requests counted so far."""
        self._ask("reset")

    def count(self, action: str | None = None) -> int:
        """Requests seen since the last reset, of one action or of all."""
        return int(self._ask(f"count {action}" if action else "count"))

    def stop(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write("stop\n")
        self._process.stdin.close()
        self._process.wait(10)


if __name__ == "__main__":
    serve(sys.argv[1])
