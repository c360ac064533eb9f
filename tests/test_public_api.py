"""Each package's public API: __all__ sorted (ruff's order) and complete, nothing else public."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
import types

import pytest

PACKAGES = [
    "rideinfra",
    "rideinfra.secrets",
    "rideinfra.secrets.transforms",
    "rideinfra.profiles",
    "rideinfra.render",
    "rideinfra.operations",
    "rideinfra.cli",
]


def ruff_order(name: str) -> tuple[int, str]:
    """RUF022's isort-style order: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


@pytest.mark.parametrize("package", PACKAGES)
def test_all_is_sorted_and_complete(package: str) -> None:
    """__all__ lists every public non-module name of the package, in order."""
    module = importlib.import_module(package)
    names = list(module.__all__)
    assert names == sorted(names, key=ruff_order)
    for name in names:  # a lazy package (operations) imports a name on first use
        getattr(module, name)
    public = {
        name
        for name, value in vars(module).items()
        if (not name.startswith("_") or name == "__version__")
        and not isinstance(value, types.ModuleType)
    }
    assert set(names) == public - {"annotations"}
    for name in names:
        assert getattr(module, name) is not None


#: The packages that import each name on first use (`rideinfra._lazy.lazy_exports`).
LAZY_PACKAGES = [
    "rideinfra.operations",
    "rideinfra.render",
    "rideinfra.secrets",
    "rideinfra.secrets.transforms",
]


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_lazy_exports_name_their_real_home(package: str) -> None:
    """A lazy package: `_HOME`, its TYPE_CHECKING imports and `__all__` agree."""
    module = importlib.import_module(package)
    typed: dict[str, str] = {}
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module != "rideinfra":
            typed.update({alias.name: node.module for alias in node.names})
    assert typed == module._HOME
    assert sorted(module._HOME) == sorted(module.__all__)
    for name, home in module._HOME.items():
        assert getattr(module, name) is getattr(importlib.import_module(home), name)


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_no_lazy_name_is_a_submodule_name(package: str) -> None:
    """Importing a submodule sets the package attribute of its name: it would hide the export."""
    module = importlib.import_module(package)
    assert [name for name, home in module._HOME.items() if home == f"{package}.{name}"] == []


def test_lazy_names_resolve_after_their_modules_load() -> None:
    """Importing a home module first (as other modules do) leaves every export reachable.

    Run in a fresh interpreter: here every module is loaded already.
    """
    code = (
        "import importlib\n"
        f"for package in {LAZY_PACKAGES!r}:\n"
        "    module = importlib.import_module(package)\n"
        "    for name, home in module._HOME.items():\n"
        "        home_module = importlib.import_module(home)\n"
        "        assert getattr(module, name) is getattr(home_module, name), name\n"
        "        assert name in dir(module)\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]
