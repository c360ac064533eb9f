"""Generate the reference pages that must not drift: config keys, transforms, CLI help.

`python -m rideinfra.cli._docgen` rewrites docs/reference/*.md; a test fails
when the committed pages differ from what this produces, so the reference
always matches the code (the JSON Schema, the transforms, the parsers).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import io
import json
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from rideinfra.profiles import config_json_schema
from rideinfra.profiles._transform_spec import build_transform
from rideinfra.secrets.model import Secret, SecretValue
from rideinfra.secrets.transforms import entries_from_secret

__all__ = ["cli_reference", "config_reference", "main"]

# One worked example per transform: its config line and the fields it is given.
TRANSFORM_EXAMPLES: list[tuple[str, Any, dict[str, Any]]] = [
    (
        "rename",
        {"rename": {"POSTGRES_USER": "POSTGRES_AIRFLOW_USER"}},
        {"POSTGRES_USER": "airflow", "POSTGRES_DB": "airflow"},
    ),
    ("prefix", {"prefix": "GF_SECURITY_"}, {"ADMIN_USER": "grafana", "ADMIN_PASSWORD": "pw"}),
    (
        "qualify",
        {"qualify": "METASTORE"},
        {"POSTGRES_USER": "metastore", "POSTGRES_PASSWORD": "pw"},
    ),
    (
        "airflow",
        {
            "airflow": {
                "sections": {"FERNET_KEY": "core", "API_SECRET_KEY": "api.secret_key"},
                "others_prefix": "AIRFLOW_",
            }
        },
        {"FERNET_KEY": "fk", "API_SECRET_KEY": "sk", "ADMIN_USERNAME": "admin"},
    ),
    (
        "flatten",
        {"flatten": {"prefix": "AIRFLOW"}},
        {"core": {"fernet_key": "fk", "parallelism": 32}, "webserver": {"workers": [1, 2]}},
    ),
    ("keys", {"keys": ["API_KEY"]}, {"API_KEY": "k", "DEBUG_TOKEN": "t"}),
    ("drop", {"drop": ["DEBUG_TOKEN"]}, {"API_KEY": "k", "DEBUG_TOKEN": "t"}),
    ("uppercase", "uppercase", {"api_key": "k", "Redis_Password": "p"}),
    ("sanitize", "sanitize", {"api-key": "k", "redis.password": "p"}),
    (
        "template",
        {"template": {"DATABASE_URL": "postgresql://{USER|url}:{PASSWORD|url}@db:5432/app"}},
        {"USER": "app", "PASSWORD": "a b+c@d:e/f?g#h%"},
    ),
]


def _flow(value: Any) -> str:
    if isinstance(value, str) and any(char in value for char in "{}[],#"):
        return json.dumps(value)  # flow indicators: quoted, so the line stays valid YAML
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return str(value)


def _example(config_item: Any, fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    secret = Secret(
        "example",
        {
            key: SecretValue(json.dumps(v), structured=True)
            if isinstance(v, dict | list)
            else SecretValue(str(v))
            for key, v in fields.items()
        },
    )
    out = build_transform(config_item)(entries_from_secret(secret))
    return [(entry.name, entry.value.reveal()) for entry in out]


def _type_of(schema: Mapping[str, Any]) -> str:
    if "const" in schema:
        text = _code(schema["const"])
    elif "enum" in schema:
        text = " \\| ".join(_code(v) for v in schema["enum"])
    elif "oneOf" in schema:
        text = _one_of(schema)
    elif "anyOf" in schema:
        text = " or ".join(_type_of(s) for s in schema["anyOf"] if s.get("type") != "null")
    elif "$ref" in schema:
        text = str(schema["$ref"]).rsplit("/", 1)[-1].lstrip("_").lower()
    elif schema.get("type") == "array" and "oneOf" in schema.get("items", {}):
        text = f"list of {_one_of(schema['items'], many=True)}"
    elif schema.get("type") == "array":
        text = f"list of {_type_of(schema.get('items', {}))}"
    elif schema.get("type") == "object" and isinstance(schema.get("additionalProperties"), dict):
        text = f"mapping of {_type_of(schema['additionalProperties'])}"
    else:
        text = str(schema.get("type", "any"))
    return text


def _one_of(schema: Mapping[str, Any], *, many: bool = False) -> str:
    """Name a union by what it is: the sources (tagged by `type`) or the transforms.

    Worded without "above"/"below": a union is used both before and after
    the sections that describe its members (the chain source lists sources).
    """
    tagged = schema.get("discriminator", {})
    if tagged.get("propertyName") == "type":
        types = ", ".join(_code(name) for name in tagged.get("mapping", {}))
        what = "sources" if many else "a source"
        return f"{what}: `type:` {types} (each has a section on this page)"
    return f"{'transforms' if many else 'a transform'} (see [Transforms](#transforms))"


def _code(text: object) -> str:
    """Code in a table cell that the browser never breaks inside.

    Material lets inline code break anywhere, so a narrow cell showed
    `max_concu` over `rrency`; raw HTML because Markdown has no nowrap.
    """
    return f'<code style="white-space: nowrap">{html.escape(str(text))}</code>'


def _table(schema: Mapping[str, Any]) -> Iterator[str]:
    required = set(schema.get("required", ()))
    yield "| key | type | required | default | description |"
    yield "| --- | --- | --- | --- | --- |"
    for key, prop in schema.get("properties", {}).items():
        default = prop.get("default", "")
        if isinstance(default, dict):
            shown = "see below"
        elif key == "file_mode" and isinstance(default, int):
            shown = f'`"{default:04o}"`'
        else:
            shown = "" if default in ("", None) else f"`{json.dumps(default)}`"
        description = " ".join(str(prop.get("description", "")).split())
        yield (
            f"| {_code(key)} | {_type_of(prop)} | {'yes' if key in required else ''} | "
            f"{shown} | {description} |"
        )


def config_reference() -> str:
    """The config reference page, generated from the JSON Schema and the transforms."""
    schema = config_json_schema()
    defs = schema["$defs"]
    lines = [
        "# Config reference (generated)",
        "",
        "Generated from the config model by `python -m rideinfra.cli._docgen`; a test keeps it",
        "in step with the code. The narrative guide is [config.md](../config.md).",
        "",
        "## Top level",
        "",
        *_table(schema),
    ]
    sections = [
        ("source: aws-secretsmanager", "_AwsSource"),
        ("source: aws-ssm", "_SsmSource"),
        ("source: vault", "_VaultSource"),
        ("source: file", "_FileSource"),
        ("source: directory", "_DirectorySource"),
        ("source: env", "_EnvSource"),
        ("source: chain", "_ChainSource"),
        ("secrets.<name>", "_Secret"),
        ("profiles.<name>", "_Profile"),
        ("profiles.<name>.secrets[]", "_SecretRef"),
        ("output", "_Output"),
    ]
    for title, ref in sections:
        lines += ["", f"## `{title}`", "", *_table(defs[ref])]
    lines += [
        "",
        "## Transforms",
        "",
        "Each example runs the real transform on the fields shown (values are dev placeholders).",
    ]
    for name, item, fields in TRANSFORM_EXAMPLES:
        result = _example(item, fields)
        lines += [
            "",
            f"### `{name}`",
            "",
            "```yaml",
            f"transforms: [{_flow(item)}]",
            "```",
            "",
            "Secret fields in:",
            "",
            "```json",
            json.dumps(fields),
            "```",
            "",
            "Variables out:",
            "",
            "```text",
            *(f"{variable}={value}" for variable, value in result),
            "```",
        ]
    return "\n".join(lines) + "\n"


def _help(parser: argparse.ArgumentParser) -> str:
    # argparse wraps at the terminal width (COLUMNS): pin it so the page is reproducible.
    buffer = io.StringIO()
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        with contextlib.redirect_stdout(buffer):
            parser.print_help()
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved
    return buffer.getvalue()


#: What every command does alike, which no single `--help` says in full.
CLI_CONVENTIONS = """\
## Conventions every command follows

**Exit codes.** 0 done, 1 a failure (or, for `check`, `diff` and `fetch --check`, a
difference found), 2 bad usage or bad configuration. Each command's help below ends
with the codes it can return and what each means there.

**Logging: `-q`, `-v`, `--log-level`.** Log lines go to stderr, one per step, as
text or (`--log-format json`) one JSON object per line; no level ever logs a value.
`-v`/`--verbose` is `--log-level DEBUG` and `-q`/`--quiet` is `--log-level WARNING`:
all three set the same level, and the last one on the command line wins
(`-v --log-level ERROR` logs errors only). They change stderr only: what a command
prints on stdout (a table, JSON, manifests, a script) is its result and stays.

**Colour and layout.** Tables (`explain`, `diff`, `check`) are aligned in columns
when stdout is a terminal, and tab-separated when it is not (a pipe or a file), so
`cut -f` and `awk -F'\\t'` read them. Their header is bold only on a terminal, and
never when `NO_COLOR` is set to a non-empty value (<https://no-color.org>) or `TERM`
is `dumb`. Log lines on stderr are never coloured. `--json` gives the same data for
programs, whatever the terminal.

**Mistakes.** An unknown command or choice names the closest one
(`rideinfra fetc`: `did you mean 'fetch'?`; `--log-level debg`: `'DEBUG'`), and an
unknown option is reported with the usage of the command it was given to, and the
closest option where one is close (`--dryrun`: `did you mean --dry-run?`).

**Help and version.** `rideinfra help [COMMAND...]` is `rideinfra COMMAND... --help`;
`rideinfra version`, `rideinfra --version` and `-V` print the version.

**Shell completion.** `rideinfra completion bash|zsh|fish` prints a script that
completes commands, options, option values (formats, render targets, log levels,
shells) and the profile names of the config (`--config` on the line, else
`RIDEINFRA_CONFIG`, else `./rideinfra.yaml`); a config that cannot be read offers no
names and prints nothing. Install it for bash, in `~/.bashrc`:

```bash
eval "$(rideinfra completion bash)"
```

for zsh, into a directory of `$fpath` (then start a new shell):

```zsh
rideinfra completion zsh > "${fpath[1]}/_rideinfra"
```

for fish:

```fish
rideinfra completion fish > ~/.config/fish/completions/rideinfra.fish
```
"""


def cli_reference() -> str:
    """Every command's --help, as one page, after what they all do alike."""
    from rideinfra.cli import build_parser, fetch, seed

    root = build_parser()
    lines = [
        "# CLI reference (generated)",
        "",
        "Generated from the parsers by `python -m rideinfra.cli._docgen`; a test keeps it in",
        "step with the code.",
        "",
        CLI_CONVENTIONS.rstrip(),
        "",
        "## rideinfra",
        "",
        "```text",
        _help(root).rstrip(),
        "```",
    ]
    for action in root._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                lines += ["", f"## rideinfra {name}", "", "```text", _help(sub).rstrip(), "```"]
    for title, module in (("python -m rideinfra.fetch", fetch), ("python -m rideinfra.seed", seed)):
        lines += [
            "",
            f"## {title}",
            "",
            f"Same options as `rideinfra {title.rsplit('.', 1)[-1]}`.",
            "",
            "```text",
            _help(module.COMMAND.build_parser()).splitlines()[0],
            "```",
        ]
    return "\n".join(lines) + "\n"


PAGES = {"config.md": config_reference, "cli.md": cli_reference}


def main(argv: list[str] | None = None) -> int:
    """Write the generated pages into `docs/reference/` (or the directory given)."""
    target = Path((argv or sys.argv[1:] or ["docs/reference"])[0])
    target.mkdir(parents=True, exist_ok=True)
    for name, build in PAGES.items():
        (target / name).write_text(build(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
