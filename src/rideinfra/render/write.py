"""Write one run's files into an output directory: all of them or none.

On disk (see docs/writing.md):

    /secrets/
      .rideinfra.lock                               writers flock it; always empty
      ..2026_11_26_13_00_00.123456789_1a2b3c4d/     this run's files (a "version")
          core.env  monitoring.env
      ..data -> ..2026_11_26_13_00_00.123456789_1a2b3c4d
      core.env -> ..data/core.env
      monitoring.env -> ..data/monitoring.env

A run builds a new version directory beside the current one, fsyncs it, and
commits by renaming a fresh symlink over `..data`: one rename(2), so every
reader of `core.env` sees the whole old set or the whole new set, whenever
the process dies. Unchanged files are hard links to the old version's inodes,
so their mtime stays. Everything is done relative to a directory descriptor
and without following symlinks, so links planted in the directory cannot
redirect a write.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import os
import re
import shutil
import stat
from collections.abc import Iterable, Iterator, Mapping

from rideinfra._record import Record
from rideinfra.errors import WriteError
from rideinfra.profiles.file_mode import file_mode_problem
from rideinfra.render import _dirfd

__all__ = [
    "DATA_LINK",
    "LOCK_NAME",
    "OnDisk",
    "WriteReport",
    "check_files",
    "read_output",
    "write_files",
]

#: Symlink naming the current version directory; swapping it is the commit.
DATA_LINK = "..data"
#: Hidden file that writers flock so that two runs never interleave.
LOCK_NAME = ".rideinfra.lock"

_TMP_PREFIX = "..tmp."
_VERSION_RE = re.compile(r"\.\.\d{4}(?:_\d\d){5}\.\d{9}_[0-9a-f]{8}\Z")
_SNAPSHOT_ATTEMPTS = 3


class WriteReport(Record):
    """What a write (or a dry run) did to an output directory; names only, never content.

    Attributes:
        directory: the output directory as given.
        changed: files whose content (or mode) is new in this run, sorted; includes `added`.
        unchanged: files of this run already on disk as given, left untouched.
        added: files that did not exist before this run.
        created: the directory itself did not exist (and was created unless `dry_run`).
        dry_run: nothing was written; the report says what a real run would do.
        version: the version directory `..data` points to afterwards (None in a dry run).
    """

    __slots__ = ("directory", "changed", "unchanged", "added", "created", "dry_run", "version")
    directory: str
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    added: tuple[str, ...]
    created: bool
    dry_run: bool
    version: str | None

    def __init__(
        self,
        directory: str,
        changed: tuple[str, ...],
        unchanged: tuple[str, ...],
        added: tuple[str, ...] = (),
        created: bool = False,
        dry_run: bool = False,
        version: str | None = None,
    ) -> None:
        self._init(
            directory=directory,
            changed=changed,
            unchanged=unchanged,
            added=added,
            created=created,
            dry_run=dry_run,
            version=version,
        )

    def summary(self) -> str:
        """One line for a log: which files changed, how many did not. No values."""
        verb = "would write" if self.dry_run else "wrote"
        if not self.changed:
            return f"{self.directory}: up to date, {len(self.unchanged)} file(s) unchanged"
        shown = ", ".join(f"{n} (new)" if n in self.added else n for n in self.changed)
        return (
            f"{verb} {self.directory}: {len(self.changed)} changed ({shown}), "
            f"{len(self.unchanged)} unchanged"
        )


def write_files(
    directory: str | os.PathLike[str],
    files: Mapping[str, bytes],
    *,
    file_mode: int = 0o600,
    dir_mode: int = 0o700,
    dry_run: bool = False,
    lock_timeout: float = 30.0,
    keep_previous: bool = True,
) -> WriteReport:
    """Make `directory/<name>` hold `files[name]` for every name, all at once.

    Files already in the directory from earlier runs but not in `files` are
    kept as they are. Regular files left by another tool under one of the
    names are replaced safely (their old content stays visible until the
    commit).

    Args:
        directory: the output directory; created (with its missing parents,
            each `dir_mode`) if absent. It must not itself be a symlink.
        files: plain file name (no `/`, not starting with `.`) -> full content.
        file_mode: permission bits of the files written.
        dir_mode: permission bits of a directory this call creates.
        dry_run: write nothing, not even the directory; report what would change.
        lock_timeout: seconds to wait for another writer of the same directory.
        keep_previous: keep the replaced version until the next run, so that a
            reader in the middle of opening a file during the swap still finds it.

    Returns:
        A report of the changed and unchanged names.

    Raises:
        WriteError: the directory cannot be used or written; the message names
            the path and says what to do. Nothing visible has changed then.
        ValueError: a file name or mode is invalid.
        TypeError: a content is not bytes.
    """
    path = _normpath(directory)
    names = _check_files(files)
    _check_modes(file_mode, dir_mode)
    if dry_run:
        return _plan(path, files, names, file_mode)
    fd, created = _open_output(path, create=True, dir_mode=dir_mode)
    assert fd is not None  # noqa: S101 - create=True always opens or raises
    try:
        _require_writable(path)
        with _oserrors(path):
            lock_fd = _dirfd.lock(LOCK_NAME, fd, timeout=lock_timeout, path=path)
            try:
                writer = _Writer(_Dir(path, fd), file_mode=file_mode, keep_previous=keep_previous)
                return writer.run(files, names, created=created)
            finally:
                os.close(lock_fd)
    finally:
        os.close(fd)


class OnDisk(Record):
    """What a reader of `directory/<name>` gets now, read the way the writer reads it.

    Attributes:
        content: the bytes, or None when there is no such file; not in the repr.
        mode: its permission bits, or None when there is no such file.
        differs: whether writing the given content would change it (its bytes,
            or the mode of a file rideinfra wrote): what `write_files` and its
            dry run call "changed".
    """

    __slots__ = ("content", "mode", "differs")
    _hidden = frozenset({"content"})
    content: bytes | None
    mode: int | None
    differs: bool

    def __init__(self, content: bytes | None, mode: int | None, differs: bool) -> None:
        self._init(content=content, mode=mode, differs=differs)


def read_output(
    directory: str | os.PathLike[str], files: Mapping[str, bytes], *, file_mode: int = 0o600
) -> dict[str, OnDisk]:
    """Read each name of `files` in `directory` as the writer would, and compare.

    Reads one consistent version, takes no lock and writes nothing. Like the
    writer, it never follows a symlink it did not make and never opens a
    FIFO or device (which could block forever), so what `rideinfra diff` and
    `fetch --check` report is what a write would do.

    Args:
        directory: the output directory (absent: every file is absent).
        files: file name -> the content a write would give it.
        file_mode: the permission bits a write would give it.

    Returns:
        file name -> what is there now, in name order.

    Raises:
        WriteError: the directory, or a name in it, is something rideinfra
            would refuse to write to (a planted symlink, a FIFO, ...); the
            message names the path and says what to do.
        ValueError: a file name or mode is invalid.
    """
    path = _normpath(directory)
    names = _check_files(files)
    _check_modes(file_mode, 0o700)
    seen = _snapshot(path, names) or {}
    found = {}
    for name in names:
        now = seen.get(name, _Seen(_Kind.ABSENT))
        found[name] = OnDisk(now.content, now.mode, _differs(now, files[name], file_mode))
    return found


def check_files(
    directory: str | os.PathLike[str], files: Mapping[str, bytes], *, file_mode: int = 0o600
) -> tuple[str, ...]:
    """Return the names (sorted) that a write of `files` would change (bytes or mode).

    The same comparison as `write_files` and its dry run (see `read_output`).

    Raises:
        WriteError: as `read_output`.
    """
    return tuple(
        n for n, now in read_output(directory, files, file_mode=file_mode).items() if now.differs
    )


# --- validation -------------------------------------------------------------


def _normpath(directory: str | os.PathLike[str]) -> str:
    """The output directory spelled so that its last component names it.

    The symlink check looks at the last component only (links in parents are
    followed, as for /var -> /private/var), so `link/.`, `link/./`, `./link`,
    `a/../link` and `link/` must all end in `link`: empty and `.` components
    are dropped, and each `..` is resolved the way the kernel does, from the
    real directory before it (so `a/..` with `a` a link is not cut lexically).
    """
    path = os.fspath(directory)
    if not isinstance(path, str):
        raise TypeError(f"directory must be a str path, not {type(path).__name__}")
    if not path:
        raise ValueError("directory must not be empty")
    normal = "/" if path.startswith("/") else ""
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            real = os.path.realpath(normal or ".")
            if not os.path.isdir(real):
                raise WriteError(
                    f"output directory {path}: {normal or '.'} is not a directory, so "
                    "'..' after it leads nowhere; choose another output directory"
                )
            normal = os.path.dirname(real)
            continue
        normal = os.path.join(normal, part)
    return normal or "."


def _check_files(files: Mapping[str, bytes]) -> tuple[str, ...]:
    for name, content in files.items():
        if (
            not isinstance(name, str)
            or not name
            or name.startswith(".")
            or "/" in name
            or "\0" in name
        ):
            raise ValueError(
                f"file name {name!r} is not a plain file name (no '/', no NUL, not empty, "
                "not starting with '.'); rename the profile"
            )
        if not isinstance(content, bytes):
            raise TypeError(f"content of {name} must be bytes, not {type(content).__name__}")
    return tuple(sorted(files))


def _check_modes(file_mode: int, dir_mode: int) -> None:
    problem = file_mode_problem(file_mode)  # the rule output.file_mode is read with
    if problem is not None:
        raise ValueError(problem)
    if dir_mode & ~0o777 or dir_mode & 0o700 != 0o700:
        raise ValueError(f"dir_mode {dir_mode:#o} must be within 0o777 and give the owner rwx")


def _version_mode(file_mode: int) -> int:
    # Whoever may read the files may enter (and list) the version directory; no one else.
    readers = file_mode & 0o044
    return 0o700 | readers | readers >> 2


# --- the output directory -----------------------------------------------------


@contextlib.contextmanager
def _oserrors(path: str) -> Iterator[None]:
    """Turn an OSError from a call relative to `path` into a WriteError naming it."""
    try:
        yield
    except OSError as exc:
        where = os.path.join(path, os.fsdecode(exc.filename)) if exc.filename else path
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise WriteError(
                f"cannot write {where}: {exc.strerror}; make {path} writable for uid "
                f"{os.geteuid()} (or mount it read-write), or choose another output directory"
            ) from exc
        raise WriteError(
            f"cannot write {where}: {exc.strerror}; fix the problem (free space, filesystem "
            "errors) and run again (readers see the previous files or the new ones, never a mix)"
        ) from exc


def _refuse_non_directory(path: str) -> WriteError:
    try:
        st = os.lstat(path)
    except OSError:
        return WriteError(
            f"output directory {path}: a parent of it is not a directory; "
            "choose another output directory"
        )
    if stat.S_ISLNK(st.st_mode):
        return WriteError(
            f"output directory {path} is a symlink (to {os.readlink(path)!r}); rideinfra does "
            f"not write through a symlinked output directory: pass the resolved path "
            f"{os.path.realpath(path)} instead, or replace the link with a directory"
        )
    return WriteError(
        f"output directory {path} exists but is a {_kind_word(st)}, not a directory; "
        "move it away or choose another output directory"
    )


def _open_output(path: str, *, create: bool, dir_mode: int) -> tuple[int | None, bool]:
    """Open the output directory without following a symlink in its last component."""
    try:
        return _dirfd.open_dir(path), False
    except FileNotFoundError:
        if not create:
            return None, False
    except NotADirectoryError:
        raise _refuse_non_directory(path) from None
    except OSError as exc:
        raise WriteError(
            f"cannot open output directory {path}: {exc.strerror}; make it accessible for uid "
            f"{os.geteuid()} or choose another output directory"
        ) from exc
    _create_dirs(path, dir_mode)
    try:
        return _dirfd.open_dir(path), True
    except NotADirectoryError:
        raise _refuse_non_directory(path) from None


def _create_dirs(path: str, mode: int) -> None:
    missing = []
    current = path
    while current and not os.path.lexists(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for new in reversed(missing):
        parent = os.path.dirname(new) or "."
        try:
            os.close(_dirfd.make_dir(new, mode))
        except FileExistsError:
            continue  # another writer made it first
        except NotADirectoryError:
            raise _refuse_non_directory(new) from None
        except OSError as exc:
            raise WriteError(
                f"cannot create output directory {new}: {exc.strerror} in {parent}; create it "
                "yourself or choose another output directory"
            ) from exc
        parent_fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            _dirfd.sync_dir(parent_fd)
        finally:
            os.close(parent_fd)


def _kind_word(st: os.stat_result) -> str:
    if stat.S_ISDIR(st.st_mode):
        return "directory"
    if stat.S_ISREG(st.st_mode):
        return "regular file"
    if stat.S_ISLNK(st.st_mode):
        return "symlink"
    return "special file"


class _Kind(enum.Enum):
    ABSENT = "absent"  # nothing under the name (or a link of ours into a version without it)
    MANAGED = "managed"  # our relative link ..data/<name>
    LEGACY = "legacy"  # a plain regular file, e.g. from the platform's old script


class _Seen(Record):
    """What a reader opening `dir/<name>` gets now."""

    __slots__ = ("kind", "content", "mode", "times_ns")
    _hidden = frozenset({"content"})
    kind: _Kind
    content: bytes | None
    mode: int | None
    times_ns: tuple[int, int] | None

    def __init__(
        self,
        kind: _Kind,
        content: bytes | None = None,
        mode: int | None = None,
        times_ns: tuple[int, int] | None = None,
    ) -> None:
        self._init(kind=kind, content=content, mode=mode, times_ns=times_ns)


class _Dir:
    """The opened output directory; every operation is relative to `fd`."""

    __slots__ = ("path", "fd")

    def __init__(self, path: str, fd: int) -> None:
        self.path = path
        self.fd = fd

    def where(self, name: str) -> str:
        return os.path.join(self.path, name)

    def current_version(self) -> str | None:
        """The version `..data` points to, or None when there is none (yet)."""
        try:
            target = os.readlink(DATA_LINK, dir_fd=self.fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            raise WriteError(
                f"{self.where(DATA_LINK)} is not a symlink; rideinfra keeps its current version "
                "behind that name: move it away and run again"
            ) from None
        if not _VERSION_RE.match(target):
            raise WriteError(
                f"{self.where(DATA_LINK)} points to {target!r}, not to a rideinfra version "
                "directory; remove it and run again"
            )
        try:
            st = os.stat(target, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None  # its version was removed by hand: every file reads as absent
        if not stat.S_ISDIR(st.st_mode):
            raise WriteError(
                f"{self.where(target)} is not a directory; remove it and {DATA_LINK}, "
                "then run again"
            )
        return target

    def look(self, name: str, version_fd: int | None) -> _Seen:
        """Classify `name` and read what a reader of it would get."""
        try:
            st = os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return _Seen(_Kind.ABSENT)
        if stat.S_ISLNK(st.st_mode):
            target = os.readlink(name, dir_fd=self.fd)
            if target != f"{DATA_LINK}/{name}":
                raise WriteError(
                    f"{self.where(name)} is a symlink to {target!r} that rideinfra did not "
                    "make, and rideinfra never writes through such links: remove it (or move "
                    "it away) and run again"
                )
            found = None if version_fd is None else _dirfd.read_regular(name, version_fd)
            kind = _Kind.MANAGED
        elif stat.S_ISREG(st.st_mode):
            found = _dirfd.read_regular(name, self.fd)
            kind = _Kind.LEGACY
        else:
            raise WriteError(
                f"{self.where(name)} is a {_kind_word(st)}, not a file; move it away and run again"
            )
        if found is None:
            return _Seen(_Kind.ABSENT if kind is _Kind.LEGACY else kind)
        content, fst = found
        return _Seen(kind, content, stat.S_IMODE(fst.st_mode), (fst.st_atime_ns, fst.st_mtime_ns))

    def look_all(self, names: Iterable[str]) -> tuple[str | None, dict[str, _Seen]]:
        """One consistent reading of `names`: all from the same version."""
        for _ in range(_SNAPSHOT_ATTEMPTS):
            version = self.current_version()
            version_fd = None if version is None else _dirfd.open_dir(version, self.fd)
            try:
                seen = {name: self.look(name, version_fd) for name in names}
            finally:
                if version_fd is not None:
                    os.close(version_fd)
            if self.current_version() == version:
                break
        return version, seen


def _differs(seen: _Seen, content: bytes, file_mode: int) -> bool:
    """The one rule for "changed", used by the writer, its dry run, check and diff."""
    if seen.content != content:
        return True
    # A legacy file is rewritten into a version with file_mode anyway.
    return seen.kind is _Kind.MANAGED and seen.mode != file_mode


def _snapshot(path: str, names: tuple[str, ...]) -> dict[str, _Seen] | None:
    fd, _ = _open_output(path, create=False, dir_mode=0o700)
    if fd is None:
        return None
    try:
        with _oserrors(path):
            return _Dir(path, fd).look_all(names)[1]
    finally:
        os.close(fd)


def _plan(
    path: str, files: Mapping[str, bytes], names: tuple[str, ...], file_mode: int
) -> WriteReport:
    seen = _snapshot(path, names)
    if seen is None:
        _check_creatable(path)
        return WriteReport(path, names, (), added=names, created=True, dry_run=True)
    _require_writable(path)
    changed = tuple(n for n in names if _differs(seen[n], files[n], file_mode))
    return WriteReport(
        path,
        changed,
        tuple(n for n in names if n not in changed),
        added=tuple(n for n in names if seen[n].content is None),
        dry_run=True,
    )


def _require_writable(path: str) -> None:
    if not os.access(path, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids):
        raise WriteError(
            f"output directory {path} is not writable for uid {os.geteuid()}; make it "
            "writable (or mount it read-write) or choose another output directory"
        )


def _check_creatable(path: str) -> None:
    ancestor = os.path.dirname(path) or "."
    while not os.path.lexists(ancestor):
        ancestor = os.path.dirname(ancestor) or "."
    if not os.path.isdir(ancestor):
        raise _refuse_non_directory(path)
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise WriteError(
            f"cannot create output directory {path}: {ancestor} is not writable for uid "
            f"{os.geteuid()}; create it yourself or choose another output directory"
        )


# --- the write itself ----------------------------------------------------------


class _Writer:
    """One locked run against an opened output directory."""

    __slots__ = ("out", "file_mode", "keep_previous", "replaced")

    def __init__(self, out: _Dir, file_mode: int, keep_previous: bool) -> None:
        self.out = out
        self.file_mode = file_mode
        self.keep_previous = keep_previous
        self.replaced: list[str | None] = []

    def run(
        self, files: Mapping[str, bytes], names: tuple[str, ...], *, created: bool
    ) -> WriteReport:
        current = self.out.current_version()
        self._clean(current)
        current, seen = self.out.look_all(names)
        legacy = [n for n in names if seen[n].kind is _Kind.LEGACY]
        if legacy:
            current = self._adopt(current, {n: seen[n] for n in legacy})
            current, seen = self.out.look_all(names)
        changed = tuple(n for n in names if _differs(seen[n], files[n], self.file_mode))
        if changed:
            current = self._commit(current, {n: files[n] for n in changed})
        self._drop_replaced()
        return WriteReport(
            self.out.path,
            changed,
            tuple(n for n in names if n not in changed),
            added=tuple(n for n in names if seen[n].content is None),
            created=created,
            version=current,
        )

    def _adopt(self, current: str | None, legacy: Mapping[str, _Seen]) -> str:
        """Turn plain files into our links without changing what a reader sees.

        The plain files' bytes (and mtimes) go into a version first; then each
        plain file is replaced by a link to the same bytes. Killed half way,
        every name still reads as before; the changes come after, in one swap.
        """
        writes = {}
        for name, old in legacy.items():
            assert old.content is not None  # noqa: S101 - LEGACY always has content
            writes[name] = (old.content, self.file_mode, old.times_ns)
        version = self._build(current, writes)
        self._swap(version)
        for name in legacy:
            _dirfd.replace_symlink(f"{DATA_LINK}/{name}", name, self.out.fd)
        _dirfd.sync_dir(self.out.fd)
        return version

    def _commit(self, current: str | None, changed: Mapping[str, bytes]) -> str:
        version = self._build(current, {n: (c, self.file_mode, None) for n, c in changed.items()})
        # Links for new names point into ..data, so they dangle (read as absent)
        # until the swap below makes them and the new content appear together.
        for name in sorted(changed):
            if not _lexists(name, self.out.fd):
                os.symlink(f"{DATA_LINK}/{name}", name, dir_fd=self.out.fd)
        self._swap(version)
        return version

    def _build(
        self,
        current: str | None,
        writes: Mapping[str, tuple[bytes, int, tuple[int, int] | None]],
    ) -> str:
        """Make a complete, fsynced new version: `writes` plus the rest of `current`."""
        while True:
            version = _dirfd.new_version_name()
            try:
                new_fd = _dirfd.make_dir(version, _version_mode(self.file_mode), self.out.fd)
                break
            except FileExistsError:
                continue
        try:
            if current is not None:
                old_fd = _dirfd.open_dir(current, self.out.fd)
                try:
                    for name in _carried(old_fd, skip=writes):
                        _dirfd.link_or_copy(name, old_fd, new_fd)
                finally:
                    os.close(old_fd)
            for name, (content, mode, times_ns) in sorted(writes.items()):
                _dirfd.write_new_file(name, content, mode, new_fd, times_ns=times_ns)
            _dirfd.sync_dir(new_fd)
        except BaseException:
            os.close(new_fd)
            with contextlib.suppress(OSError):
                _remove(version, self.out.fd)  # the next run would, but be tidy
            raise
        os.close(new_fd)
        return version

    def _swap(self, version: str) -> None:
        """The commit: one rename of a fresh symlink over `..data`."""
        previous = self.out.current_version()
        _dirfd.sync_dir(self.out.fd)  # new links and the version are durable before the commit
        _dirfd.replace_symlink(version, DATA_LINK, self.out.fd)
        _dirfd.sync_dir(self.out.fd)
        self.replaced.append(previous)

    def _drop_replaced(self) -> None:
        # After the commit: a failure here only leaves debris for the next run.
        keep = self.replaced[-1:] if self.keep_previous else []
        with contextlib.suppress(OSError):
            for version in self.replaced:
                if version is not None and version not in keep:
                    _remove(version, self.out.fd)
            _dirfd.sync_dir(self.out.fd)

    def _clean(self, current: str | None) -> None:
        """Remove what earlier runs left: temp links, unreferenced versions, dangling links."""
        in_current: set[str] = set()
        if current is not None:
            current_fd = _dirfd.open_dir(current, self.out.fd)
            try:
                in_current = set(os.listdir(current_fd))
            finally:
                os.close(current_fd)
        removed = False
        for entry in os.listdir(self.out.fd):
            if entry.startswith(_TMP_PREFIX) or (_VERSION_RE.match(entry) and entry != current):
                _remove(entry, self.out.fd)
                removed = True
            elif (
                not entry.startswith(".")
                and entry not in in_current
                and _is_our_link(entry, self.out.fd)
            ):
                os.unlink(entry, dir_fd=self.out.fd)
                removed = True
        if removed:
            _dirfd.sync_dir(self.out.fd)


def _carried(version_fd: int, *, skip: Iterable[str]) -> list[str]:
    """Regular files of a version to carry into the next one, except `skip`."""
    skipped = set(skip)
    return sorted(
        name
        for name in os.listdir(version_fd)
        if name not in skipped
        and stat.S_ISREG(os.stat(name, dir_fd=version_fd, follow_symlinks=False).st_mode)
    )


def _lexists(name: str, dir_fd: int) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def _is_our_link(name: str, dir_fd: int) -> bool:
    try:
        return os.readlink(name, dir_fd=dir_fd) == f"{DATA_LINK}/{name}"
    except OSError:
        return False  # not a symlink


def _remove(name: str, dir_fd: int) -> None:
    if stat.S_ISDIR(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
        shutil.rmtree(name, dir_fd=dir_fd)
    else:
        os.unlink(name, dir_fd=dir_fd)
