"""Rules every format shares: names, size limit, NUL, structured values, determinism, secrecy."""

from __future__ import annotations

import errno
import random
import subprocess
import tempfile
import types
from pathlib import Path
from typing import ClassVar

import pytest

import rideinfra.render as render_pkg
from rideinfra.errors import ConfigError, RenderError
from rideinfra.render import (
    FORMATS,
    MAX_ENV_ENTRY_BYTES,
    SHELL_RESERVED,
    KubernetesSecret,
    get_format,
    render,
)
from rideinfra.secrets.model import SecretValue
from support.consumers import SH_CONSUMERS, read_with
from support.render_values import CANARY_PATH

ENV_LIKE = ["env", "shell", "compose", "dotenv", "raw"]
ALL = list(FORMATS)
SECRET = "s3cr3t-'`$(x)\"#\\ VALUE"


class TestRegistry:
    def test_formats_by_name(self) -> None:
        """FORMATS holds the seven documented formats, each under its own name."""
        assert set(FORMATS) == {"env", "shell", "compose", "dotenv", "raw", "json", "k8s-secret"}
        for name, fmt in FORMATS.items():
            assert fmt.name == name
            assert fmt.extension.startswith(".")
        assert FORMATS["json"].extension == ".json"
        assert FORMATS["k8s-secret"].extension == ".yaml"
        assert {FORMATS[n].extension for n in ENV_LIKE} == {".env"}

    def test_unknown_format_lists_choices(self) -> None:
        """An unknown name is a ConfigError that lists every valid name."""
        with pytest.raises(ConfigError) as info:
            get_format("yaml")
        for name in FORMATS:
            assert name in str(info.value)

    def test_render_by_name(self) -> None:
        """render(name, values, profile=) is the format's render."""
        assert render("env", {"A": "1"}, profile="core") == "A=1\n"

    def test_all_is_sorted_and_complete(self) -> None:
        """rideinfra.render.__all__ is sorted and names every public attribute."""

        # ruff's RUF022 order: CONSTANTS, then Classes, then functions.
        def isort_key(name: str) -> tuple[int, str]:
            return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

        assert render_pkg.__all__ == sorted(render_pkg.__all__, key=isort_key)
        public = {  # dir(): the package imports each name on first use
            name
            for name in dir(render_pkg)
            if not name.startswith("_")
            and not isinstance(getattr(render_pkg, name), types.ModuleType)
        }
        assert set(render_pkg.__all__) == public - {"annotations"}


class TestNames:
    @pytest.mark.parametrize("fmt", ENV_LIKE)
    @pytest.mark.parametrize("name", ["1A", "A-B", "A B", "", "Ä", "A.B", "A=B", "$(x)", "A\n"])
    def test_invalid_names_are_refused(self, fmt: str, name: str) -> None:
        """Names outside [A-Za-z_][A-Za-z0-9_]* are refused in every env-like format."""
        with pytest.raises(RenderError, match=r"\[A-Za-z_\]") as info:
            render(fmt, {name: "v"}, profile="p")
        assert info.value.variable == name

    @pytest.mark.parametrize("fmt", ["env", "shell"])
    @pytest.mark.parametrize("name", sorted(SHELL_RESERVED))
    def test_shell_reserved_names_are_refused_where_sh_reads(self, fmt: str, name: str) -> None:
        """Names bash/dash own are refused by the formats sh reads, with the reason."""
        with pytest.raises(RenderError, match="cannot be set by") as info:
            render(fmt, {name: "v"}, profile="p")
        assert info.value.variable == name

    # That each reserved name is one a shell owns, and that refusing the read-only
    # and computed ones is forced, is shown in test_shell_sweep.py.

    @pytest.mark.parametrize("fmt", ["compose", "dotenv", "raw"])
    def test_reserved_names_are_fine_where_sh_does_not_read(self, fmt: str) -> None:
        """Compose, dotenv and raw readers have no reserved names."""
        assert "\nUID=" in render(fmt, {"UID": "1000"}, profile="p")


class TestLimits:
    # raw's readers stop at shorter lines: tests/render/test_render_limits.py.
    @pytest.mark.parametrize("fmt", ["env", "shell", "compose", "dotenv"])
    def test_largest_entry_is_accepted_and_starts_a_process(self, fmt: str) -> None:
        """NAME=value of exactly 131071 UTF-8 bytes is written, and the kernel accepts it."""
        value = "é" * 10 + "x" * (MAX_ENV_ENTRY_BYTES - len("BIG=") - 20)
        render(fmt, {"BIG": value}, profile="p")
        subprocess.run(["true"], env={"BIG": value}, check=True)

    @pytest.mark.parametrize("fmt", ENV_LIKE)
    def test_one_byte_more_is_refused_as_the_kernel_does(self, fmt: str) -> None:
        """One more byte is a RenderError, and execve really fails with E2BIG."""
        value = "é" * 10 + "x" * (MAX_ENV_ENTRY_BYTES - len("BIG=") - 19)
        with pytest.raises(RenderError, match="131071") as info:
            render(fmt, {"BIG": value}, profile="p")
        assert info.value.variable == "BIG"
        with pytest.raises(OSError, match="Argument list too long") as exec_info:
            subprocess.run(["true"], env={"BIG": value}, check=True)
        assert exec_info.value.errno == errno.E2BIG

    @pytest.mark.parametrize(
        "char", ["x", "é", "€", "😀"], ids=["1-byte", "2-byte", "3-byte", "4-byte"]
    )
    def test_limit_is_counted_in_bytes_for_every_width(self, char: str) -> None:
        """The size check counts UTF-8 bytes exactly, whatever the width of the characters."""
        width = len(char.encode())
        room = MAX_ENV_ENTRY_BYTES - len("BIG=")
        fits = char * (room // width) + "x" * (room % width)
        assert len(f"BIG={fits}".encode()) == MAX_ENV_ENTRY_BYTES
        render("shell", {"BIG": fits}, profile="p")
        with pytest.raises(RenderError, match=f"{MAX_ENV_ENTRY_BYTES + width} bytes"):
            render("shell", {"BIG": fits + char}, profile="p")

    @pytest.mark.parametrize("fmt", ["json", "k8s-secret"])
    def test_file_formats_have_no_env_limit(self, fmt: str) -> None:
        """json and k8s-secret may be mounted as files: no environment limit applies."""
        render(fmt, {"BIG": "x" * 200_000}, profile="p")


class TestValues:
    @pytest.mark.parametrize("fmt", [*ENV_LIKE, "k8s-secret"])
    def test_nul_is_refused(self, fmt: str) -> None:
        """A NUL cannot be in an environment variable: refused, naming the variable."""
        with pytest.raises(RenderError, match="NUL") as info:
            render(fmt, {"K": "a\0b"}, profile="p")
        assert info.value.variable == "K"

    def test_nul_is_fine_in_json(self) -> None:
        """json escapes NUL and reads it back."""
        assert '"a\\u0000b"' in render("json", {"K": "a\0b"}, profile="p")

    @pytest.mark.parametrize("fmt", ALL)
    def test_structured_value_asks_for_flatten(self, fmt: str) -> None:
        """A nested JSON value is refused with advice to add a flatten transform."""
        value = SecretValue('{"a": 1}', structured=True)
        with pytest.raises(RenderError, match="flatten") as info:
            render(fmt, {"K": value}, profile="p")
        assert info.value.variable == "K"

    @pytest.mark.parametrize("fmt", ALL)
    def test_lone_surrogate_is_refused(self, fmt: str) -> None:
        """A value that is not valid Unicode cannot be written as UTF-8: refused."""
        with pytest.raises(RenderError, match="Unicode") as info:
            render(fmt, {"K": "a\ud800"}, profile="p")
        assert info.value.variable == "K"

    @pytest.mark.parametrize("fmt", ALL)
    def test_non_string_value_is_refused(self, fmt: str) -> None:
        """Only str and SecretValue are values."""
        with pytest.raises(RenderError, match="not a string"):
            render(fmt, {"K": 5}, profile="p")  # type: ignore[dict-item]

    @pytest.mark.parametrize("fmt", ALL)
    def test_secret_value_and_str_render_the_same(self, fmt: str) -> None:
        """A SecretValue is revealed only to be written: same text as the plain str."""
        plain = render(fmt, {"K": "it's"}, profile="p")
        assert render(fmt, {"K": SecretValue("it's")}, profile="p") == plain


class TestDeterminism:
    @pytest.mark.parametrize("fmt", ALL)
    def test_sorted_stable_and_newline_terminated(self, fmt: str) -> None:
        """Any insertion order gives byte-identical text, sorted, ending in a newline."""
        items = [(f"VAR_{i:02d}", f"value {i}") for i in range(30)]
        texts = set()
        for seed in range(5):
            random.Random(seed).shuffle(items)
            texts.add(render(fmt, dict(items), profile="p"))
        (text,) = texts
        assert text.endswith("\n")
        positions = [text.index(f"VAR_{i:02d}") for i in range(30)]
        assert positions == sorted(positions)

    @pytest.mark.parametrize("fmt", ENV_LIKE)
    def test_empty_profile_is_an_empty_file(self, fmt: str) -> None:
        """No variables, no lines: nothing but the dialect's first line."""
        marker = "" if fmt == "env" else f"# rideinfra: format={fmt}\n"
        assert render(fmt, {}, profile="p") == marker


class TestSecrecy:
    CASES: ClassVar[list[tuple[str, dict[str, object]]]] = [
        ("env", {"K": SECRET + "\r"}),
        ("env", {"K": SECRET}),
        ("raw", {"K": SECRET + "\n"}),
        ("shell", {"UID": SECRET}),
        ("shell", {"K": SECRET + "\0"}),
        ("compose", {"bad name": SECRET}),
        ("dotenv", {"K": SECRET + "\ud800"}),
        ("k8s-secret", {"K": SECRET + "\0"}),
        ("json", {"K": SecretValue(SECRET, structured=True)}),
    ]

    @pytest.mark.parametrize(("fmt", "values"), CASES)
    def test_errors_never_contain_the_value(self, fmt: str, values: dict) -> None:
        """Message, repr and args of every refusal name the variable, never the value."""
        with pytest.raises(RenderError) as info:
            render(fmt, values, profile="p")
        err = info.value
        for shown in (str(err), repr(err), repr(err.args), str(err.variable)):
            assert "s3cr3t" not in shown
            assert "VALUE" not in shown

    @pytest.mark.parametrize("fmt", ALL)
    def test_format_repr_holds_no_value(self, fmt: str) -> None:
        """A format's repr is its configuration only."""
        get_format(fmt).render({"K": SecretValue("s3cr3t VALUE")}, profile="p")
        assert "s3cr3t" not in repr(get_format(fmt))


class TestCanary:
    @pytest.mark.parametrize("fmt", ["env", "shell", "compose", "dotenv", "raw"])
    def test_no_value_is_ever_executed(self, fmt: str) -> None:
        """Command substitutions in values are read as text by every reader, never run."""
        canary = str(CANARY_PATH)
        attempts = [
            f"$(touch {canary})",
            f"`touch {canary}`",
            f"x'$(touch {canary})'",
            f'"`touch {canary}`"',
            f"'; touch {canary}; '",
            f'"; touch {canary}; "',
            f"\\$(touch {canary})",
            f"a\ntouch {canary}\n",
        ]
        values = {}
        for i, attempt in enumerate(attempts):
            try:
                render(fmt, {"K": attempt}, profile="p")
            except RenderError:
                continue
            values[f"K{i}"] = attempt
        assert values, "the canary must reach the file"
        text = render(fmt, values, profile="p")
        consumers = {
            "env": [*SH_CONSUMERS, "compose", "dotenv"],
            "shell": list(SH_CONSUMERS),
            "compose": ["compose"],
            "dotenv": ["dotenv"],
            "raw": ["compose-raw"],
        }[fmt]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "p.env")
            path.write_text(text, encoding="utf-8")
            for consumer in consumers:
                read_with(consumer, path)
        assert not CANARY_PATH.exists()


def test_k8s_options_are_validated() -> None:
    """Invalid Secret names, namespaces and labels are ConfigErrors at construction."""
    for kwargs in ({"secret_name": "Bad_Name"}, {"namespace": "a.b"}, {"labels": {"a b": "c"}}):
        with pytest.raises(ConfigError):
            KubernetesSecret(**kwargs)
