"""Names from the store cannot forge a log line or drive a terminal (issue 14, items 4 and 5).

A field name can hold any character. Planted names with a newline, a
carriage return, an ESC sequence, a bidi override, a C1 control and a lone
surrogate go through the real commands (file-backed store, `cli.main`, both
log formats); every stderr line must be one whole record and no raw control
character may reach stdout or stderr. The formatters and the table printer
are also checked over generated text.
"""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rideinfra import cli
from rideinfra.cli.logs import configure
from rideinfra.cli.tables import format_table
from rideinfra.errors import foreign_text, printable

#: Each planted character or sequence, by the name its test id shows.
PLANTED = {
    "newline": "\nrideinfra: forged record",
    "carriage return": "\r",
    "ESC clear screen": "\x1b[2J",
    "RLO bidi override": "\u202e",
    "C1 next line": "\x85",
    "C1 CSI": "\x9b31m",
    "line separator": "\u2028",
    "isolate": "\u2066",
    "DEL": "\x7f",
    "tab": "\t",
    "lone surrogate": "\ud800",
}


def raw_controls(text: str, *, tabs: bool) -> list[str]:
    """The non-printable characters of ``text`` but the line breaks between records and rows
    (and the tabs between the columns of a piped table)."""
    allowed = {"\n", "\t"} if tabs else {"\n"}
    return sorted({repr(ch) for ch in text if not ch.isprintable() and ch not in allowed})


def store_with_planted_names(tmp_path: Path, *, sanitize: bool, fmt: str = "env") -> Path:
    """A file-backed store whose secret has one field per planted name; returns the config."""
    fields = {"GOOD": "good-value-1"}
    fields |= {f"F{i}{text}X": f"value-{i}" for i, text in enumerate(PLANTED.values())}
    (tmp_path / "store.json").write_text(
        json.dumps({"app/db": fields}, ensure_ascii=True), encoding="utf-8"
    )
    transforms = "    transforms: [sanitize]\n" if sanitize else "    transforms: []\n"
    config = tmp_path / "rideinfra.yaml"
    config.write_text(
        "version: 1\nsource: {type: file, path: store.json}\n"
        f"output: {{format: {fmt}}}\n"
        f"secrets:\n  app/db:\n{transforms}"
        "profiles:\n  core:\n    secrets: [app/db]\n",
        encoding="utf-8",
    )
    return config


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(argv, {})
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_record_per_line(err: str, log_format: str) -> None:
    lines = err.splitlines()
    assert lines, "nothing logged"
    # str.splitlines also breaks at \r, \x85, \u2028...: each piece must still be a record.
    for line in lines:
        if log_format == "json":
            record = json.loads(line)
            assert set(record) >= {"level", "message"}, line
        else:
            assert line.startswith("rideinfra: "), f"a broken record: {line!r}"
            assert not line.startswith("rideinfra: forged"), f"a forged record: {line!r}"


COMMANDS = {
    "explain": ["explain"],
    "check": ["check"],
    "diff": ["diff", "--out", "{out}"],
    "diff --show-values": ["diff", "--out", "{out}", "--show-values"],
    "fetch": ["fetch", "--out", "{out}"],
    "fetch --dry-run": ["fetch", "--out", "{out}", "--dry-run"],
}


@pytest.fixture(name="legacy_json_out")
def _legacy_json_out(tmp_path: Path) -> Path:
    """An output directory holding a JSON file another tool wrote, with planted keys."""
    out = tmp_path / "out"
    out.mkdir()
    keys = {f"OLD{i}{text}": "old-value" for i, text in enumerate(PLANTED.values())}
    (out / "core.json").write_text(json.dumps(keys), encoding="utf-8")
    (out / "core.json").chmod(0o600)
    return out


class TestPlantedNames:
    @pytest.mark.parametrize("log_format", ["text", "json"])
    @pytest.mark.parametrize("sanitize", [False, True], ids=["names refused", "names sanitized"])
    @pytest.mark.parametrize("command", sorted(COMMANDS))
    def test_every_record_is_one_line_and_nothing_raw_is_printed(
        self,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        command: str,
        sanitize: bool,
        log_format: str,
    ) -> None:
        """Refused names reach the error record, sanitized ones the tables: both escaped."""
        config = store_with_planted_names(tmp_path, sanitize=sanitize)
        argv = [a.replace("{out}", str(tmp_path / "out")) for a in COMMANDS[command]]
        argv += ["--config", str(config), "--log-format", log_format]
        code, out, err = run(argv, capsys)
        assert code in (0, 1, 2)
        assert "internal error" not in err
        assert_one_record_per_line(err, log_format)
        assert raw_controls(err, tabs=False) == []
        assert raw_controls(out, tabs=True) == []
        for value in ("value-", "good-value-1"):
            assert value not in out + err
        if not sanitize:  # the error (or check's table) names a field, escaped
            assert re.search(r"app/db:F\d+\\+[nrtux]", out + err), out + err
        if sanitize and command == "explain":
            assert "app/db:F2\\x1b[2JX" in out
            assert "app/db:F3\\u202eX" in out

    def test_removed_names_from_an_old_file_are_escaped(
        self, tmp_path: Path, legacy_json_out: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """diff lists the keys of the file on disk it will remove: escaped too."""
        config = store_with_planted_names(tmp_path, sanitize=True, fmt="json")
        argv = ["diff", "--config", str(config), "--out", str(legacy_json_out)]
        code, out, _err = run([*argv, "--show-values"], capsys)
        assert code == 1
        assert raw_controls(out, tabs=True) == []
        assert "OLD2\\x1b[2J" in out
        assert "OLD0\\nrideinfra: forged record" in out
        assert len(out.splitlines()) == 1 + len(PLANTED) + 1 + len(PLANTED)  # header, rows

    def test_a_real_process_prints_one_record_per_line(self, tmp_path: Path) -> None:
        """The same in a child process: the bytes on its stderr, lone surrogate included."""
        import os
        import subprocess
        import sys

        config = store_with_planted_names(tmp_path, sanitize=False)
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
        proc = subprocess.run(
            [sys.executable, "-m", "rideinfra.cli", "explain", "--config", str(config)],
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 1
        err = proc.stderr.decode("utf-8")  # strict: a raw lone surrogate could not be encoded
        assert "Logging error" not in err
        assert_one_record_per_line(err, "text")
        assert raw_controls(err, tabs=False) == []


def log_through(fmt: str, message: str, *args: object) -> str:
    stream = io.StringIO()
    handler = configure(fmt, logging.INFO, stream)  # type: ignore[arg-type]
    try:
        logging.getLogger("rideinfra.test").info(message, *args)
    finally:
        logging.getLogger("rideinfra").removeHandler(handler)
    return stream.getvalue()


class TestFormatters:
    @given(st.text())
    def test_text_records_are_one_printable_line(self, name: str) -> None:
        """Whatever a name holds, a text record is one line of printable characters."""
        out = log_through("text", "field %s of %s", name, "app/db")
        assert out.endswith("\n")
        (line,) = out[:-1].splitlines() or [""]
        assert line.isprintable()
        assert line == "rideinfra: " + printable(f"field {name} of app/db")

    @given(st.text())
    def test_json_records_are_one_line_and_exact(self, name: str) -> None:
        """A JSON record is one printable line, and decodes to the message as logged."""
        out = log_through("json", "field %s", name)
        (line,) = out[:-1].splitlines()
        assert line.isprintable()
        assert json.loads(line)["message"] == f"field {name}"

    def test_a_traceback_stays_in_its_record(self) -> None:
        """Even an exception's traceback (several lines) is one record line."""
        stream = io.StringIO()
        handler = configure("text", logging.INFO, stream)
        try:
            try:
                int("not a number")
            except ValueError:
                logging.getLogger("rideinfra.test").exception("failed")
        finally:
            logging.getLogger("rideinfra").removeHandler(handler)
        assert len(stream.getvalue().splitlines()) == 1


class TestPrintable:
    @given(st.text())
    def test_idempotent_and_printable(self, text: str) -> None:
        """One pass escapes everything; a second changes nothing; printable text is kept."""
        once = printable(text)
        assert once.isprintable()
        assert printable(once) == once
        assert (once == text) is text.isprintable()

    @pytest.mark.parametrize(("planted", "shown"), [(t, printable(t)) for t in PLANTED.values()])
    def test_escapes_each_planted_character(self, planted: str, shown: str) -> None:
        """Each planted character is written as its escape."""
        assert shown.isprintable()
        assert shown != planted

    @given(st.text())
    def test_foreign_text_is_printable(self, text: str) -> None:
        """foreign_text (server messages) shares the rule."""
        assert foreign_text(text).isprintable()


class TestTables:
    @given(
        st.lists(st.tuples(st.text(), st.text(), st.text()), max_size=5),
        st.booleans(),
    )
    def test_one_line_per_row(self, rows: list[tuple[str, str, str]], aligned: bool) -> None:
        """Whatever the cells hold, a table is a header and one line per row, nothing raw."""
        table = format_table(("A", "B", "C"), rows, aligned=aligned)
        lines = table.split("\n")
        assert len(lines) == 1 + len(rows)
        for line in lines:
            assert line.replace("\t", " ").isprintable()
        if not aligned:  # piped: exactly the columns, split by tabs
            assert all(len(line.split("\t")) == 3 for line in lines)

    def test_the_library_explain_table_escapes_too(self) -> None:
        """`format_explain` (the library's table) escapes each cell the same way."""
        from rideinfra.profiles.explain import ExplainRow, format_explain

        rows = [
            ExplainRow("core", "A_B", "app/db", name, ("sanitize",)) for name in PLANTED.values()
        ]
        text = format_explain(rows)
        assert len(text.splitlines()) == 1 + len(rows)
        assert text.replace("\n", "").isprintable()
