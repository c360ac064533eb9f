"""Seed files through the declarative reader: paths, lines, several problems, no values."""

from __future__ import annotations

from pathlib import Path

import pytest

import rideinfra.operations.seed
from rideinfra.errors import ConfigError
from rideinfra.profiles import seedfile
from rideinfra.profiles.seedfile import Generate, load_seed_spec

SENTINEL = "Zq9SeedValue5e1"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "seed.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_seeding_uses_the_profiles_reader() -> None:
    """rideinfra.operations.seed re-exports the one reader's names (one implementation)."""
    assert rideinfra.operations.seed.load_seed_spec is seedfile.load_seed_spec
    assert rideinfra.operations.seed.Generate is seedfile.Generate
    assert rideinfra.operations.seed.SeedSpec is seedfile.SeedSpec


def test_valid_seed_file(tmp_path: Path) -> None:
    """Literals stay text, numbers and booleans become JSON text, generate: becomes Generate."""
    spec = load_seed_spec(
        write(
            tmp_path, "version: 1\nsecrets:\n  a/x: {U: u, N: 5, B: true, G: {generate: fernet}}\n"
        )
    )
    assert spec.secrets == {"a/x": {"U": "u", "N": "5", "B": "true", "G": Generate("fernet")}}


def test_several_problems_with_paths_and_lines(tmp_path: Path) -> None:
    """Every problem is listed with its path and line; no value appears."""
    path = write(
        tmp_path,
        "version: 1\nsecrets:\n"
        f"  a: {{K: [{SENTINEL}]}}\n"
        f"  b: {{K: {{generate: '{SENTINEL}'}}}}\n"
        "  c: {}\n",
    )
    with pytest.raises(ConfigError) as info:
        load_seed_spec(path)
    text = str(info.value)
    assert info.value.path == "secrets.a.K"
    assert text.startswith(f"{path}: secrets.a.K: line 3: a field is a string or")
    assert "also secrets.b.K: line 4: generate must be fernet, hex:N or password:N" in text
    assert "also secrets.c: line 5: needs at least 1 entry" in text
    assert SENTINEL not in text


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        ("version: 1\nsecrets: {a: {ON: x}}\n", "secrets.a.True", "a field name (text; quote it)"),
        ("version: 1\nsecrets: {a: {1: x}}\n", "secrets.a.1", "got a number"),
        ("version: 1\nsecrets: []\n", "secrets", "a mapping of secret names"),
        ("version: 1\n", "secrets", "required key `secrets`"),
        ("version: 3\nsecrets: x\n", "version", "version must be 1, not 3"),
        ("version: 1\nsecret: {}\n", "secret", "did you mean `secrets`?"),
    ],
)
def test_mistakes_name_the_path(tmp_path: Path, text: str, path: str, words: str) -> None:
    """Each mistake is an exit-2 ConfigError naming the path and what is wrong."""
    with pytest.raises(ConfigError) as info:
        load_seed_spec(write(tmp_path, text))
    assert info.value.exit_code == 2
    assert info.value.path == path
    assert words in str(info.value)
