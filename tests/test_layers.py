"""Imports point one way: cli -> operations -> render -> profiles -> secrets -> errors.

Every module under src/rideinfra is read as an AST, imports inside functions
and under `TYPE_CHECKING` included (lazy imports are common here and are as
much a dependency as any other), and each import of another part of the
package is checked against `LEVELS`. The map of the layout and the reasons
for the order are in docs/design-notes.md.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: Top to bottom. A module may import its own part and the parts on lower levels;
#: a part on its own level is sideways, one above it upward, and both are refused.
LEVELS: tuple[tuple[str, ...], ...] = (
    ("fetch", "seed"),  # the `python -m rideinfra.fetch` / `.seed` shims
    (
        "cli",
        "settings",
        "testing",
    ),  # the front doors: command line, pydantic-settings, test doubles
    ("operations",),  # what a command does, as library calls
    ("render",),  # formats and the writer; render/eso and render/iam read a Config
    ("profiles",),  # rideinfra.yaml: the config model, resolving profiles
    ("secrets",),  # sources, the value model, transforms
    ("errors",),
    # start-up helpers, the collector pause and the value-object base: they import nothing of ours
    ("_gc", "_lazy", "_record"),
    ("", "__about__"),  # the package root (`import rideinfra`) and its version
)
#: Parts any module may import.
ANYWHERE = frozenset({"", "__about__"})
#: Third-party packages only some parts may import ("nothing above secrets knows about boto3").
THIRD_PARTY = {
    "boto3": frozenset({"secrets"}),
    "botocore": frozenset({"secrets"}),
    "hvac": frozenset({"secrets"}),
}

LEVEL_OF = {part: index for index, parts in enumerate(LEVELS) for part in parts}


def part_of(module: str) -> str:
    """`rideinfra.cli.fetch` -> `cli`; `rideinfra` -> `` (the package root)."""
    names = module.split(".")
    return names[1] if len(names) > 1 else ""


def imports(module: str, source: str, *, package: bool) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import in `source`, at any depth.

    `from rideinfra import cli` imports `rideinfra.cli`; relative imports are
    resolved against `module` (a package when `package`).
    """
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parents = module.split(".")[: len(module.split(".")) - node.level + package]
                base = ".".join([*parents, *([base] if base else [])])
            for alias in node.names:
                # `from rideinfra import x` names a part; `from rideinfra.a import b` is in part a.
                yield node.lineno, f"{base}.{alias.name}" if base == "rideinfra" else base


def violations(module: str, source: str, *, package: bool = False) -> list[str]:
    """Every import in `source` (the text of `module`) that points up or sideways."""
    mine = part_of(module)
    if mine not in LEVEL_OF:
        return [f"{module}: rideinfra.{mine} is on no level of LEVELS; add it where it belongs"]
    found = []
    for line, target in imports(module, source, package=package):
        top = target.split(".")[0]
        if top in THIRD_PARTY and mine not in THIRD_PARTY[top]:
            found.append(f"{module}:{line} imports {target}: only {sorted(THIRD_PARTY[top])} may")
            continue
        if top != "rideinfra":
            continue
        theirs = part_of(target)
        if theirs == mine or theirs in ANYWHERE:
            continue
        if theirs not in LEVEL_OF:
            found.append(f"{module}:{line} imports {target}: rideinfra.{theirs} is on no level")
        elif LEVEL_OF[theirs] <= LEVEL_OF[mine]:
            way = "sideways" if LEVEL_OF[theirs] == LEVEL_OF[mine] else "upward"
            found.append(f"{module}:{line} imports {target}: {mine} -> {theirs} points {way}")
    return found


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted((SRC / "rideinfra").rglob("*.py")):
        names = path.relative_to(SRC).with_suffix("").parts
        yield ".".join(names[:-1] if names[-1] == "__init__" else names), path


def test_every_import_points_down() -> None:
    """No module under src/rideinfra imports a part on its own level or above."""
    found = [
        problem
        for module, path in modules()
        for problem in violations(
            module, path.read_text(encoding="utf-8"), package=path.name == "__init__.py"
        )
    ]
    assert not found, "imports against the layers:\n" + "\n".join(found)


def test_every_part_is_on_a_level() -> None:
    """Each top-level module and folder of the package is placed, and no level names a ghost."""
    parts = {part_of(module) for module, _ in modules()}
    assert parts == set(LEVEL_OF)


class TestChecker:
    """The checker itself, on synthetic modules: it catches what it is for."""

    def test_a_reversed_arrow_is_caught(self) -> None:
        """secrets importing cli (lazily, in a function) is named with its line."""
        source = textwrap.dedent(
            """\
            def run():
                from rideinfra.cli import main
            """
        )
        assert violations("rideinfra.secrets.fake", source) == [
            "rideinfra.secrets.fake:2 imports rideinfra.cli: secrets -> cli points upward"
        ]

    def test_an_import_under_type_checking_counts(self) -> None:
        """A type-only import is still an arrow: profiles may not import operations."""
        source = textwrap.dedent(
            """\
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from rideinfra.operations.fetch import Rendered
            """
        )
        assert violations("rideinfra.profiles.fake", source) == [
            "rideinfra.profiles.fake:3 imports rideinfra.operations.fetch: "
            "profiles -> operations points upward"
        ]

    def test_sideways_and_package_forms(self) -> None:
        """`from rideinfra import cli` in settings is sideways; errors, below, is fine."""
        source = "from rideinfra import cli, errors\nimport rideinfra.__about__\n"
        assert violations("rideinfra.settings", source) == [
            "rideinfra.settings:1 imports rideinfra.cli: settings -> cli points sideways"
        ]

    def test_relative_imports_are_resolved(self) -> None:
        """`from .. import operations` inside render/ is render importing operations."""
        source = "from .. import operations\nfrom . import base\n"
        assert violations("rideinfra.render.fake", source) == [
            "rideinfra.render.fake:1 imports rideinfra.operations: "
            "render -> operations points upward"
        ]

    def test_boto3_stays_in_secrets(self) -> None:
        """A profile module importing botocore is refused; secrets may."""
        source = "import botocore.session\n"
        assert violations("rideinfra.secrets.aws", source) == []
        assert violations("rideinfra.profiles.fake", source) == [
            "rideinfra.profiles.fake:1 imports botocore.session: only ['secrets'] may"
        ]

    @pytest.mark.parametrize("module", ["rideinfra.newthing", "rideinfra.newthing.x"])
    def test_a_new_part_must_be_placed(self, module: str) -> None:
        """A top-level module no level names is reported, not let through."""
        assert violations(module, "") == [
            f"{module}: rideinfra.newthing is on no level of LEVELS; add it where it belongs"
        ]
