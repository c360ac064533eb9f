"""`output.file_mode` and `write_files(file_mode=...)` follow one rule, with the reason said."""

from __future__ import annotations

from pathlib import Path

import pytest

from rideinfra.errors import ConfigError
from rideinfra.profiles import parse_config
from rideinfra.profiles.file_mode import file_mode_problem
from rideinfra.render import write_files

MINIMAL = {"version": 1, "profiles": {"core": {"secrets": ["app/db"]}}}


def config_verdict(mode: str) -> str | None:
    """None if the config takes `file_mode: mode`, else the refusal's text."""
    try:
        parse_config({**MINIMAL, "output": {"file_mode": mode}})
    except ConfigError as exc:
        return f"{exc.path} | {exc}"
    return None


def writer_verdict(mode: int, out: Path) -> str | None:
    """None if write_files writes with `mode`, else its ValueError's text."""
    try:
        write_files(out, {"core.env": b"A=1\n"}, file_mode=mode, dry_run=True)
    except ValueError as exc:
        return str(exc)
    return None


def test_config_and_writer_agree_on_every_mode(tmp_path: Path) -> None:
    """All 512 permission sets (and set-id bits): the config refuses what the writer does."""
    accepted = []
    for mode in [*range(0o1000), 0o1600, 0o2600, 0o4600]:
        in_config = config_verdict(f"{mode:04o}")
        in_writer = writer_verdict(mode, tmp_path / "out")
        assert (in_config is None) == (in_writer is None), f"{mode:04o}"
        if in_config is None:
            accepted.append(mode)
        else:
            assert in_config.startswith("output.file_mode | ")
            assert str(file_mode_problem(mode)) in in_config
    assert {0o600, 0o640, 0o400} <= set(accepted)
    assert not [m for m in accepted if m & 0o022 or not m & 0o400]


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("0666", "lets group or others write"),
        ("0777", "lets group or others write"),
        ("0620", "lets group or others write"),
        ("0602", "put commands into a file that consumers source"),
        ("0200", "does not let the owner read"),
        ("0000", "does not let the owner read"),
        ("0100", "does not let the owner read"),
        ("1600", "between '0000' and '0777'"),
    ],
)
def test_unsafe_or_unusable_modes_say_why(mode: str, words: str) -> None:
    """Group/other-writable and owner-unreadable modes are exit-2 errors naming the setting."""
    text = config_verdict(mode)
    assert text is not None
    assert text.startswith("output.file_mode | <config>: output.file_mode: ")
    assert words in text


def test_a_unsafe_mode_in_a_file_names_the_line(tmp_path: Path) -> None:
    """From a file: the path, the line and the reason."""
    from rideinfra.profiles import load_config

    path = tmp_path / "rideinfra.yaml"
    path.write_text(
        "version: 1\nprofiles: {core: {secrets: [a]}}\noutput:\n  file_mode: '0666'\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"output\.file_mode: line 4: file_mode '0666' lets"):
        load_config(path)
