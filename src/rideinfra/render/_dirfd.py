"""Low-level, symlink-proof file operations relative to an open directory.

Every call here works on names inside a directory file descriptor and never
follows a symlink, so a link planted in the output directory (`core.env ->
/etc/passwd`) cannot redirect a read or a write. OSErrors are translated into
`WriteError` by the caller, which knows the path to name.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import stat
import time

from rideinfra.errors import WriteError

__all__ = [
    "copy_file",
    "link_or_copy",
    "lock",
    "make_dir",
    "new_version_name",
    "open_dir",
    "read_regular",
    "replace_symlink",
    "sync_dir",
    "write_new_file",
]

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO planted under a file's name must not hang the writer.
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_LOCK_POLL_SECONDS = 0.02


def open_dir(name: str, dir_fd: int | None = None) -> int:
    """Open a directory (never through a symlink) and return its descriptor."""
    return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)


def make_dir(name: str, mode: int, dir_fd: int | None = None) -> int:
    """Create a directory with exactly `mode` (umask ignored) and return it opened."""
    os.mkdir(name, 0o700, dir_fd=dir_fd)
    fd = open_dir(name, dir_fd=dir_fd)
    try:
        os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def sync_dir(fd: int) -> None:
    """Make the entries of a directory durable (new names, renames, unlinks)."""
    os.fsync(fd)


def read_regular(name: str, dir_fd: int) -> tuple[bytes, os.stat_result] | None:
    """Return the content and stat of a regular file, or None if there is none.

    Raises:
        IsADirectoryError: the name is not a regular file (a directory, FIFO, ...).
        OSError: the name is a symlink (ELOOP) or cannot be read.
    """
    try:
        fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, "not a regular file", name)
        chunks = []
        while chunk := os.read(fd, max(st.st_size, 65536)):
            chunks.append(chunk)
        return b"".join(chunks), st
    finally:
        os.close(fd)


def write_new_file(
    name: str, content: bytes, mode: int, dir_fd: int, *, times_ns: tuple[int, int] | None = None
) -> None:
    """Create `name` (it must not exist), write it whole, set mode and times, fsync it."""
    fd = os.open(name, _CREATE_FLAGS, 0o600, dir_fd=dir_fd)
    try:
        os.fchmod(fd, mode)
        view = memoryview(content)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if times_ns is not None:
            os.utime(fd, ns=times_ns)
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_file(name: str, src_dir_fd: int, dst_dir_fd: int) -> None:
    """Copy a regular file into another directory, keeping its mode and mtime."""
    found = read_regular(name, src_dir_fd)
    if found is None:
        raise FileNotFoundError(errno.ENOENT, "vanished while copying", name)
    content, st = found
    write_new_file(
        name,
        content,
        stat.S_IMODE(st.st_mode),
        dst_dir_fd,
        times_ns=(st.st_atime_ns, st.st_mtime_ns),
    )


def link_or_copy(name: str, src_dir_fd: int, dst_dir_fd: int) -> None:
    """Hard-link a file into another directory; copy it where links are not possible."""
    try:
        os.link(name, name, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd, follow_symlinks=False)
    except OSError as exc:
        # Filesystems without hard links, or a link count at its limit: a copy
        # with the same bytes, mode and mtime is indistinguishable to readers.
        if exc.errno not in (errno.EPERM, errno.EMLINK, errno.EOPNOTSUPP, errno.ENOTSUP):
            raise
        copy_file(name, src_dir_fd, dst_dir_fd)


def replace_symlink(target: str, name: str, dir_fd: int) -> None:
    """Atomically make `name` a symlink to `target`, replacing what was there."""
    while True:
        tmp = f"..tmp.{secrets.token_hex(8)}"
        try:
            os.symlink(target, tmp, dir_fd=dir_fd)
            break
        except FileExistsError:
            continue
    try:
        os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        os.unlink(tmp, dir_fd=dir_fd)
        raise


def new_version_name() -> str:
    """A fresh hidden version directory name: UTC time, nanoseconds, random suffix."""
    secs, nanos = divmod(time.time_ns(), 1_000_000_000)
    stamp = time.strftime("%Y_%m_%d_%H_%M_%S", time.gmtime(secs))
    return f"..{stamp}.{nanos:09d}_{secrets.token_hex(4)}"


def lock(name: str, dir_fd: int, *, timeout: float, path: str) -> int:
    """Take an exclusive flock on `name` in the directory, waiting at most `timeout` s.

    The lock belongs to the open file description, so the kernel drops it when
    the holder exits or is killed: no stale lock survives a crash.

    Raises:
        WriteError: another process held the lock for the whole wait.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    fd = os.open(name, flags, 0o600, dir_fd=dir_fd)
    try:
        _wait_for_lock(fd, os.path.join(path, name), timeout=timeout, path=path)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _wait_for_lock(fd: int, where: str, *, timeout: float, path: str) -> None:
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        raise WriteError(
            f"{where} is not a regular file; remove it so that rideinfra can use it as its lock"
        )
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise WriteError(
                    f"another process has been writing {path} for more than {timeout:g} s "
                    f"(it holds {where}); wait for it to finish, or stop it, then run again"
                ) from None
        time.sleep(_LOCK_POLL_SECONDS)
