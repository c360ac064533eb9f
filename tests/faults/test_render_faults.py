"""Files their readers cannot read, through the entrypoint (issue 14 items 2, 6, 7, 8, 16).

Each case runs `fetch.main` for real, like tests/faults/test_bad_input.py
(whose bench it uses): exit 1, exactly one error line naming the variable,
profile or path, and the output directory exactly as it was.
docs/reliability.md lists each case with its test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faults.kit import write_config
from faults.test_bad_input import Bench, _bench  # noqa: F401 - the bench fixture
from rideinfra.render import render_compose
from rideinfra.render.base import GO_LINE_LIMIT, K8S_SECRET_LIMIT

pytestmark = pytest.mark.faults


class TestRenderRefusals:
    @pytest.mark.parametrize("name", ["LC_ALL", "BASH_XTRACEFD", "IFS", "ENV"])
    def test_a_name_the_shell_owns(self, bench: Bench, name: str) -> None:
        """A variable bash/dash/zsh act on (bash printed LC_ALL's value): refused by name."""
        config = bench.store_config({"b/s": {name: "a-value"}})
        line = bench.refused(config, 1, (f"variable {name}", "cannot be set by `set -a; . file`"))
        assert "a-value" not in line

    def test_a_raw_line_longer_than_go_reads(self, bench: Bench) -> None:
        """--format raw, a 65,536-byte line: refused naming the variable and Go's scanner."""
        value = "x" * (GO_LINE_LIMIT.max_bytes - len("BIG=") + 1)
        config = bench.file_config({"b/s": {"BIG": value}})
        words = ("variable BIG", "65536-byte line in format raw", "Go bufio.Scanner")
        bench.refused(config, 1, words, "--format", "raw")

    def test_a_kubernetes_secret_over_1_mib(self, bench: Bench) -> None:
        """--format k8s-secret, values over 1 MiB: refused naming the profile."""
        value = "v" * (K8S_SECRET_LIMIT.max_bytes + 1)
        config = bench.file_config({"b/s": {"BIG": value}})
        words = ("profile 'core'", f"{K8S_SECRET_LIMIT.max_bytes + 1} bytes", "1048576")
        bench.refused(config, 1, words, "--format", "k8s-secret")


class TestDialectFiles:
    def _config(self, bench: Bench, text: str) -> Path:
        path = bench.tmp / "local.env"
        path.write_text(text, encoding="utf-8")
        return write_config(
            bench.tmp / "rideinfra.yaml",
            {"core": ["b/s"]},
            source={"type": "file", "path": str(path), "name": "b/s"},
        )

    def test_a_compose_file_as_source_reads_exactly(self, bench: Bench) -> None:
        """A file written by --format compose, read back as a source: `$$` is `$` again."""
        config = self._config(bench, render_compose({"TOKEN": "a$b$$c"}))
        out = bench.tmp / "out"
        run = bench.fetch(config, out, "--format", "json")
        assert run.code == 0, run.err
        assert (out / "core.json").read_text() == '{\n  "TOKEN": "a$b$$c"\n}\n'

    def test_a_marked_file_in_another_form_is_refused(self, bench: Bench) -> None:
        """A file that says format=compose but holds `$X`: refused naming the file and line."""
        config = self._config(bench, '# rideinfra: format=compose\nTOKEN="$X"\n')
        words = (
            "'b/s'",
            "local.env",
            "line 2",
            "the value of TOKEN is not written the way format compose",
        )
        bench.refused(config, 1, words)


class TestOutputSpelling:
    @pytest.mark.parametrize(
        "suffix", ["/.", "/./", "/../link"], ids=["link-dot", "link-dot-slash", "real-up-link"]
    )
    def test_a_symlinked_output_directory_in_any_spelling(
        self, bench: Bench, tmp_path: Path, suffix: str
    ) -> None:
        """--out link/. (and the like): refused as a symlink, the target untouched."""
        real = tmp_path / "real"
        real.mkdir()
        (tmp_path / "link").symlink_to("real")
        config = bench.store_config({"b/s": {"A": "1"}})
        # A str: pathlib would drop the "." itself.
        out = str(tmp_path / "link") + suffix if suffix != "/../link" else str(real) + suffix
        run = bench.fetch(config, out)  # type: ignore[arg-type]
        assert run.code == 1
        (line,) = run.error_lines()
        assert f"output directory {tmp_path / 'link'} is a symlink" in line
        assert os.listdir(real) == []
