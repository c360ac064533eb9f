"""Servers started by tests stay on 127.0.0.1: free ports, and a check of what a process binds.

The check reads /proc (what `ss -ltnp` reads): every TCP socket listening,
and every UDP socket bound, by the process or any of its descendants must be
on 127.0.0.1. A server that binds anything else is stopped and the tests
using it refuse to run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp
_LOOPBACK = {"127.0.0.1", "::1"}


def free_port() -> int:
    """A port nothing listens on now, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        found.add(current)
        todo += children.get(current, [])
    return found


def _socket_inodes(pids: set[int]) -> set[str]:
    inodes = set()
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


def _address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    # IPv6: four 32-bit words, each little-endian.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    text = socket.inet_ntop(socket.AF_INET6, words)
    return text.removeprefix("::ffff:")


def bound_addresses(pid: int) -> list[tuple[str, str, int]]:
    """(protocol, address, port) of every listening TCP / bound UDP socket of `pid`'s tree."""
    inodes = _socket_inodes(_descendants(pid))
    found = []
    for protocol in ("tcp", "tcp6", "udp", "udp6"):
        try:
            lines = Path(f"/proc/net/{protocol}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if inode not in inodes or (protocol.startswith("tcp") and state != _LISTEN):
                continue
            address, port = local.rsplit(":", 1)
            found.append((protocol, _address(address), int(port, 16)))
    return found


def off_loopback(pid: int) -> list[tuple[str, str, int]]:
    """The sockets of `pid`'s tree bound to anything but loopback (should be none)."""
    return [item for item in bound_addresses(pid) if item[1] not in _LOOPBACK]


def wait_until(ready: Callable[[], bool], process: subprocess.Popen[bytes], seconds: float) -> str:
    """Poll `ready` until it holds; the reason it did not, or "" when it did."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        if process.poll() is not None:
            return f"it exited with status {process.returncode}"
        try:
            if ready():
                return ""
        except OSError:
            pass
        time.sleep(0.2)
    return f"it was not ready within {seconds:g} s"


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server this test run started (its own process group), and reap it."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, 15)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, 9)
        process.wait(timeout=5)
