"""Start-up helpers: a package's names imported on first use, a regex compiled on first use.

`python -m rideinfra.fetch` runs on every init container's start, and most
of what a package exports (other sources, other formats, other transforms)
is not what one run needs. These two helpers let a module declare what it
offers without paying for it at import; nothing here imports rideinfra.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Mapping

__all__ = ["LazyPattern", "lazy_exports"]


def lazy_exports(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The PEP 562 `__getattr__` and `__dir__` of a package whose names load on first use.

    Use: `__getattr__, __dir__ = lazy_exports(__name__, _HOME)`, with the same
    names imported under `TYPE_CHECKING` (for mypy and the API pages) and
    listed in `__all__`; tests/test_public_api.py holds the three to the same
    names. A name must not be the name of one of the package's own submodules:
    importing that submodule would set the attribute to the module, and the
    name would never be looked up again.

    Args:
        package: the package's `__name__`.
        homes: public name -> the module that defines it.
    """
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        # `__import__`, not `importlib.import_module`: the import statement's path, which
        # `python -X importtime` reports, so a lazily loaded module's cost shows as its own.
        __import__(home)
        value = getattr(sys.modules[home], name)
        namespace[name] = value  # once: later lookups are plain attribute reads
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *homes})

    return __getattr__, __dir__


class LazyPattern:
    """A regular expression compiled when first used, with the `re.Pattern` methods used here.

    For patterns a plain fetch never needs (parsers of other file kinds,
    error paths): compiling one costs 20-300 µs, and there were dozens.
    """

    __slots__ = ("_compiled", "_flags", "pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern (compiled now if it was not yet)."""
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self._flags)
        return self._compiled

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        """`re.Pattern.match`."""
        return self.compiled.match(string, pos, endpos)

    def fullmatch(self, string: str) -> re.Match[str] | None:
        """`re.Pattern.fullmatch`."""
        return self.compiled.fullmatch(string)

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        """`re.Pattern.search`."""
        return self.compiled.search(string, pos, endpos)

    def finditer(self, string: str) -> Iterator[re.Match[str]]:
        """`re.Pattern.finditer`."""
        return self.compiled.finditer(string)

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str) -> str:
        """`re.Pattern.sub`."""
        return self.compiled.sub(repl, string)

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r})"
