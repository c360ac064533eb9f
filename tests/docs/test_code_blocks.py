"""Every code block in README.md and docs/*.md runs as written, or says why not.

The convention (docs/design-notes.md, "Code blocks in the docs"): a block runs
under this test unless the line right above its fence is

    <!-- excerpt: why it cannot run as written -->

(an HTML comment: neither GitHub nor the site shows it). What "runs" means
depends on the block's language:

- `python`: the block alone, in a fresh interpreter, in a scratch copy of the
  repository's `examples/` (so `examples/rideshare/rideinfra.yaml` is there).
- `sh`: the block under `bash -euo pipefail` in that same scratch directory,
  with this interpreter's `rideinfra` and `python` first on PATH. The README's
  two commands (and pages that repeat them) are run by
  tests/test_readme_commands.py, in a fresh copy and venv (marked `long`).
- `yaml`: a rideinfra.yaml (it has `profiles:`) is loaded with `load_config`;
  a seed file (`version` and `secrets` of plain fields) with `load_seed_spec`;
  a config fragment (only config keys, e.g. `secrets:` with transforms) is
  merged onto the rideshare example and loaded; anything else (Compose,
  Kubernetes, a secrets file) must be YAML.
- `json`: must be JSON.
- a fence without a language (or `text`) is output, a diagram or a grammar:
  it is not code and is not run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from rideinfra.profiles import config_json_schema, load_config
from rideinfra.profiles.seedfile import load_seed_spec

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<ticks>`{3,})(?P<lang>[\w-]*)[^\n`]*$")
EXCERPT = re.compile(r"^\s*<!-- excerpt: (?P<reason>\S.*?) -->\s*$")
RUNNERS = ("python", "sh", "yaml", "json")
NOT_CODE = ("", "text")
#: The README's copy-paste commands: run verbatim by tests/test_readme_commands.py.
README_COMMAND = re.compile(r"```sh\n(python3 -m venv .*?)\n```")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    lang: str
    code: str
    excerpt: str | None  # the reason, when marked as an excerpt

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def blocks_of(page: Path) -> list[Block]:
    """The fenced blocks of a Markdown page, indented ones (in list items) included."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, ticks = opening["indent"], opening["ticks"]
        end = i + 1
        while end < len(lines) and lines[end].strip() != ticks:
            end += 1
        assert end < len(lines), f"{page}:{i + 1}: a fence that is never closed"
        body = [line.removeprefix(indent) for line in lines[i + 1 : end]]
        marker = EXCERPT.match(lines[i - 1]) if i else None
        found.append(
            Block(page, i + 1, opening["lang"], "\n".join(body) + "\n", marker and marker["reason"])
        )
        i = end + 1
    return found


ALL = [block for page in PAGES for block in blocks_of(page)]
TO_RUN = [b for b in ALL if b.excerpt is None and b.lang not in NOT_CODE]


def counts() -> dict[str, dict[str, int]]:
    """Per language: blocks run here, run by the README test, marked excerpt; text apart."""
    table: dict[str, dict[str, int]] = {}
    for block in ALL:
        if block.lang in NOT_CODE:
            how = "text (not code)"
        elif block.excerpt:
            how = "excerpt"
        elif block.lang == "sh" and _is_readme_command(block):
            how = "run by test_readme_commands"
        else:
            how = "run"
        row = table.setdefault(block.lang or "text", {})
        row[how] = row.get(how, 0) + 1
    return table


@pytest.fixture(name="scratch")
def _scratch(tmp_path: Path) -> Path:
    """A directory laid out like the repository root, with a copy of `examples/`."""
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return tmp_path


def _environ(scratch: Path) -> dict[str, str]:
    """No credentials and no endpoint: a block that reaches for AWS fails, not hangs."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "RIDEINFRA_", "SECRETS_"))
    }
    pythonpath = [str(REPO / "src"), str(scratch / "examples" / "rideshare")]
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        PYTHONPATH=os.pathsep.join(pythonpath),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(scratch / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(scratch / "no-aws-credentials"),
    )
    return env


def _is_readme_command(block: Block) -> bool:
    commands = README_COMMAND.findall((REPO / "README.md").read_text(encoding="utf-8"))
    lines = [s for s in block.code.splitlines() if s.strip() and not s.startswith("#")]
    return bool(lines) and all(line in commands for line in lines)


CONFIG_KEYS = frozenset(config_json_schema()["properties"])


def _yaml_kind(data: Any) -> str:
    if not isinstance(data, dict):
        return "yaml"
    keys = set(data)
    secrets = data.get("secrets")
    if "profiles" in keys:
        return "config"
    if (
        keys == {"version", "secrets"}
        and isinstance(secrets, dict)
        and all(  # a seed entry: fields, or one plain string
            isinstance(v, str) or (isinstance(v, dict) and "transforms" not in v)
            for v in secrets.values()
        )
    ):
        return "seed"
    if keys <= CONFIG_KEYS:
        return "fragment"
    return "yaml"


def _check_yaml(block: Block, scratch: Path) -> None:
    documents = list(yaml.safe_load_all(block.code))
    if len(documents) != 1:
        return  # a multi-document stream (Kubernetes manifests): it loaded
    data, path = documents[0], scratch / "block.yaml"
    kind = _yaml_kind(data)
    if kind == "config":
        path.write_text(block.code, encoding="utf-8")
        load_config(path)
    elif kind == "seed":
        path.write_text(block.code, encoding="utf-8")
        load_seed_spec(path)
    elif kind == "fragment":
        example = scratch / "examples" / "rideshare" / "rideinfra.yaml"
        merged = yaml.safe_load(example.read_text(encoding="utf-8"))
        for key, value in data.items():
            # `source:` is replaced whole (its keys depend on its type); the maps of
            # secrets and profiles gain the fragment's entries.
            if key != "source" and isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key].update(value)
            else:
                merged[key] = value
        example.write_text(yaml.safe_dump(merged, sort_keys=False), encoding="utf-8")
        load_config(example)


def _run(argv: list[str], block: Block, scratch: Path) -> None:
    proc = subprocess.run(
        argv,
        cwd=scratch,
        env=_environ(scratch),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, (
        f"{block.id}: the {block.lang} block exits {proc.returncode}; make it run or mark it "
        f"`<!-- excerpt: why -->`\n{proc.stdout[-1500:]}{proc.stderr[-1500:]}"
    )


@pytest.mark.parametrize("block", TO_RUN, ids=[b.id for b in TO_RUN])
def test_block_runs(block: Block, scratch: Path) -> None:
    """The block runs as written (see the module docstring for each language)."""
    if block.lang == "python":
        _run([sys.executable, "-c", block.code], block, scratch)
    elif block.lang == "sh":
        if _is_readme_command(block):
            pytest.skip("the README's commands: tests/test_readme_commands.py runs them (-m long)")
        _run(["bash", "-euo", "pipefail", "-c", block.code], block, scratch)
    elif block.lang == "yaml":
        _check_yaml(block, scratch)
    elif block.lang == "json":
        json.loads(block.code)
    else:
        pytest.fail(f"{block.id}: no runner for `{block.lang}` (runners: {', '.join(RUNNERS)})")


def test_the_collector_sees_every_fence() -> None:
    """Each ``` line of every page is the start or end of a block found above."""
    for page in PAGES:
        fences = sum(
            1 for line in page.read_text(encoding="utf-8").splitlines() if FENCE.match(line)
        )
        assert fences == 2 * len(blocks_of(page)), page


def test_an_excerpt_marks_only_code() -> None:
    """The marker is for code that cannot run; text blocks need none."""
    assert [b.id for b in ALL if b.excerpt and b.lang in NOT_CODE] == []


def test_every_block_would_be_counted() -> None:
    """The counts the docs report add up to every block (run or excerpt, per language)."""
    assert sum(sum(row.values()) for row in counts().values()) == len(ALL)
    assert TO_RUN, "no block runs: the collector is broken"


def test_the_kinds_of_yaml() -> None:
    """The YAML classification picks the right loader for each shape."""
    assert _yaml_kind({"version": 1, "profiles": {}}) == "config"
    assert _yaml_kind({"version": 1, "secrets": {"a/b": {"K": "v"}}}) == "seed"
    assert _yaml_kind({"secrets": {"a/b": {"transforms": []}}}) == "fragment"
    assert _yaml_kind({"services": {}}) == "yaml"
    assert _yaml_kind(["a"]) == "yaml"


def test_a_bad_config_block_fails(scratch: Path) -> None:
    """A config in the docs that does not parse fails this test (it is a bug)."""
    bad = Block(REPO / "README.md", 1, "yaml", "version: 1\nprofiles: {core: {secret: []}}\n", None)
    with pytest.raises(Exception, match="secret"):
        _check_yaml(bad, scratch)


if __name__ == "__main__":
    for lang, row in sorted(counts().items()):
        print(f"{lang:8}", ", ".join(f"{how}: {n}" for how, n in sorted(row.items())))
