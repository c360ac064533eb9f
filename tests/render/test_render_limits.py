"""Sizes the readers cannot go past: measured with the real readers, enforced by name.

The limits live in one table, `rideinfra.render.base.LIMITS`; these tests
measure each against its reader where the reader runs here (the Compose
binary), and check that every format refuses one byte more, naming the
variable or the profile.
"""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from rideinfra.errors import RenderError
from rideinfra.render import KubernetesSecret, render
from rideinfra.render.base import (
    ENV_ENTRY_LIMIT,
    GO_LINE_LIMIT,
    K8S_LAST_APPLIED_LIMIT,
    K8S_SECRET_LIMIT,
    LIMITS,
    MAX_ENV_ENTRY_BYTES,
)
from support.consumers import ConsumerError, compose_binary, read_with_compose

SENTINEL = "s3cr3t-Limit-8c1d"


def _compose_reads(line: bytes, fmt: str | None) -> bool:
    """True when Compose reads the line; False when its scanner says the line is too long."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "p.env")
        path.write_bytes(line + b"\n")
        try:
            read_with_compose(path, fmt=fmt)
        except ConsumerError as err:
            if "token too long" not in str(err):
                raise
            return False
        return True


class TestTable:
    def test_every_limit_is_in_the_table_once(self) -> None:
        """One table holds them all; the public constant is the table's entry."""
        assert LIMITS == (ENV_ENTRY_LIMIT, GO_LINE_LIMIT, K8S_SECRET_LIMIT, K8S_LAST_APPLIED_LIMIT)
        assert MAX_ENV_ENTRY_BYTES == ENV_ENTRY_LIMIT.max_bytes == 131071
        assert GO_LINE_LIMIT.max_bytes == 65535
        assert K8S_SECRET_LIMIT.max_bytes == 1024 * 1024
        assert K8S_LAST_APPLIED_LIMIT.max_bytes == 256 * 1024


class TestGoScanner:
    def test_compose_raw_reads_65535_bytes_and_fails_on_65536(self) -> None:
        """Measured: Compose `format: raw` reads a 65,535-byte line (newline excluded), not more."""
        limit = GO_LINE_LIMIT.max_bytes
        assert _compose_reads(b"K=" + b"x" * (limit - 2), "raw")
        assert not _compose_reads(b"K=" + b"x" * (limit - 1), "raw")

    def test_compose_raw_exits_0_when_it_cannot_read(self, tmp_path: Path) -> None:
        """Why refusing matters: Compose prints the error and still exits 0, with no config."""
        path = tmp_path / "p.env"
        path.write_bytes(b"K=" + b"x" * GO_LINE_LIMIT.max_bytes + b"\n")
        spec = {
            "services": {"s": {"image": "x", "env_file": [{"path": str(path), "format": "raw"}]}}
        }
        (tmp_path / "c.json").write_text(json.dumps(spec))
        proc = subprocess.run(
            [compose_binary(), "-f", str(tmp_path / "c.json"), "config", "--format", "json"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=False,
        )
        assert proc.returncode == 0
        assert "bufio.Scanner: token too long" in proc.stderr
        assert proc.stdout.strip() == ""

    def test_compose_default_format_has_no_line_limit(self) -> None:
        """Measured: Compose's own dotenv parser (formats env, compose) reads the longest entry."""
        assert _compose_reads(b"K=" + b"x" * (MAX_ENV_ENTRY_BYTES - 2), None)
        assert _compose_reads(b'K="' + b"x" * (MAX_ENV_ENTRY_BYTES - 4) + b'"', None)

    @pytest.mark.parametrize("char", ["x", "é", "😀"], ids=["1-byte", "2-byte", "4-byte"])
    def test_raw_refuses_one_byte_more_than_the_scanner_reads(self, char: str) -> None:
        """Regression (issue 14 item 6): raw wrote lines of 65,536-131,071 bytes."""
        room = GO_LINE_LIMIT.max_bytes - len("BIG=")
        width = len(char.encode())
        fits = char * (room // width) + "x" * (room % width)
        text = render("raw", {"BIG": fits}, profile="p")
        assert max(len(line.encode()) for line in text.splitlines()) == GO_LINE_LIMIT.max_bytes
        with pytest.raises(RenderError, match="65536-byte line in format raw") as info:
            render("raw", {"BIG": fits + "x"}, profile="p")
        assert info.value.variable == "BIG"
        assert "Go bufio.Scanner" in str(info.value)

    def test_what_raw_accepts_compose_raw_reads(self, tmp_path: Path) -> None:
        """The longest line raw writes is read back exactly by Compose `format: raw`."""
        value = "y" * (GO_LINE_LIMIT.max_bytes - len("BIG="))
        path = tmp_path / "p.env"
        path.write_text(render("raw", {"BIG": value}, profile="p"), encoding="utf-8")
        assert read_with_compose(path, fmt="raw") == {"BIG": value}

    @pytest.mark.parametrize("fmt", ["env", "shell", "compose", "dotenv"])
    def test_other_env_formats_are_held_to_the_kernel_limit_only(self, fmt: str) -> None:
        """No reader of these formats uses a Go scanner: a 100,000-byte line is fine."""
        render(fmt, {"BIG": "z" * 100_000}, profile="p")


class TestKubernetes:
    def test_values_of_exactly_1_mib_are_accepted(self) -> None:
        """The API server sums the values' bytes; 1 MiB exactly passes, keys not counted."""
        half = K8S_SECRET_LIMIT.max_bytes // 2
        text = render("k8s-secret", {"A": "a" * half, "B": "b" * half}, profile="core")
        assert yaml.safe_load(text)["stringData"]["A"] == "a" * half

    def test_one_byte_more_is_refused_naming_the_profile(self) -> None:
        """Over 1 MiB of values: RenderError naming the profile, counting UTF-8 bytes."""
        value = "é" * (K8S_SECRET_LIMIT.max_bytes // 2) + "x"
        with pytest.raises(RenderError, match="profile 'core'") as info:
            render("k8s-secret", {"A": value}, profile="core")
        assert f"{K8S_SECRET_LIMIT.max_bytes + 1} bytes" in str(info.value)

    def test_warns_when_client_side_apply_cannot_store_the_manifest(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Over 256 KiB as JSON: one warning naming the profile and --server-side, no value."""
        value = SENTINEL + "\n" * (K8S_LAST_APPLIED_LIMIT.max_bytes // 2)
        with caplog.at_level(logging.WARNING, logger="rideinfra.render"):
            KubernetesSecret(namespace="prod").render({"A": value}, profile="core")
        (record,) = caplog.records
        assert "profile core" in record.getMessage()
        assert "--server-side" in record.getMessage()
        assert SENTINEL not in record.getMessage()

    def test_no_warning_under_the_annotation_limit(self, caplog: pytest.LogCaptureFixture) -> None:
        """A manifest that fits the annotation logs nothing."""
        value = "v" * (K8S_LAST_APPLIED_LIMIT.max_bytes - 1024)
        with caplog.at_level(logging.WARNING, logger="rideinfra.render"):
            render("k8s-secret", {"A": value}, profile="core")
        assert caplog.records == []
