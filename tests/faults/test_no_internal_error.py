"""No input reaches `internal error`: generated files and environments against every entrypoint.

Each case builds a working directory (a config, a seed file, a secrets file),
mutates one of them (text-level: hostile YAML tokens, control characters,
deleted or repeated lines, random bytes; data-level: a key removed, renamed,
given a value of another type) or the environment, and runs a command of
`rideinfra` in this process. Whatever the input, the command must end with
exit code 0, 1 or 2 and, when it fails, with a named error: never
`internal error` (a bug's last line of defence) and never a traceback.

Every endpoint the commands can reach is on 127.0.0.1: the moto server, or a
closed port. Proxy variables point at a closed loopback port, so a request
for any other host fails at once instead of leaving the machine.

The default suite runs 40 cases per test; the 400-case variants are marked
`long` (`budget`, support/budget.py): CI and `pytest -m faults` run them.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rideinfra import cli
from support.budget import sizes
from support.moto import MotoEndpoint

pytestmark = pytest.mark.faults

#: A loopback port nothing listens on: connections are refused at once.
CLOSED = "http://127.0.0.1:9"

CONFIG = {
    "version": 1,
    "source": {"type": "file", "path": "secrets.yaml"},
    "seed": "seed.yaml",
    "secrets": {
        "app/db": {
            "transforms": [
                {"rename": {"USER": "DB_USER", "PASSWORD": "DB_PASSWORD"}},
                {"prefix": "APP_"},
            ]
        },
        "app/airflow": {
            "transforms": [
                {"airflow": {"sections": {"FERNET_KEY": "core"}, "others_prefix": "AIRFLOW_"}}
            ]
        },
    },
    "profiles": {
        "core": {"secrets": ["app/db", {"name": "app/redis", "transforms": ["uppercase"]}]},
        "etl": {"secrets": ["app/airflow", "app/db"], "keys": ["AIRFLOW__CORE__FERNET_KEY"]},
    },
    "output": {"dir": "out", "format": "env", "file_mode": "0600"},
}
SECRETS = {
    "app/db": {"USER": "app", "PASSWORD": "pw-one"},
    "app/redis": {"password": "pw-two"},
    "app/airflow": {"FERNET_KEY": "fernet-key", "ADMIN": "admin"},
}
SEED = {
    "version": 1,
    "secrets": {
        "app/db": {"USER": "app", "PASSWORD": {"generate": "password:16"}},
        "app/redis": {"password": "pw-two"},
        "app/airflow": {"FERNET_KEY": {"generate": "fernet"}, "ADMIN": "admin"},
    },
}

#: YAML that PyYAML reads specially, and bytes no text editor shows.
# fmt: off
HOSTILE = [
    "!!int abc", "!!float abc", "!!bool maybe", "!!timestamp abc", "!!set [a]", "!!binary ===",
    "!!python/object:os.system", "!Zq9Secret", "*Zq9Alias", "&anchor x", "<<: *anchor", "{",
    "}", "[", "]", '"', "'", ": ", "- ", "? ", "|", ">", "#", "%YAML 1.1\n", "---\n", "...\n",
    "@", "`", "\x00", "\x07", "\x1b[31m", "\t", "\ufeff", "\r", "\x85", "\u2028", "0o777",
    "1e400", ".nan", "-.inf", "null", "~", "true", "0x1F", "12:30:00", "2001-12-14", "x" * 300,
    "\n  nested: {a: [1, {b: 2}]}\n",
    "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
]
# fmt: on
# fmt: off
KEYS = [
    "version", "source", "type", "path", "name", "prefix", "sources", "region", "endpoint_url",
    "retry_mode", "max_attempts", "max_concurrency", "connect_timeout", "read_timeout",
    "secrets", "transforms", "profiles", "keys", "output", "dir", "format", "file_mode", "seed",
    "rename", "qualify", "airflow", "sections", "others_prefix", "flatten", "sep", "uppercase",
    "drop", "sanitize", "generate", "plain", "template",
]
# fmt: on
#: Values a mutation may put anywhere: every YAML type, and strings that mean something here.
# fmt: off
VALUES: list[Any] = [
    None, True, False, 0, -1, 1, 7, 2**70, 0.5, float("inf"), "", " ", "0600", "0666", "0200",
    "0000", "0100", "600", "0o777", "env", "json", "k8s-secret", "nosuch", "aws-secretsmanager",
    "file", "directory", "env", "chain", "http://", "http://127.0.0.1:9", "ftp://127.0.0.1",
    "127.0.0.1:5055", "garbage", "../../etc", "/dev/null", "secrets.yaml", "a" * 200, [], {},
    [None], [1, "a"], {"a": None}, {"type": "file"}, {"generate": "hex:0"},
    {"generate": "password:99999"}, {"generate": "nosuch"}, ["uppercase"], [{"keys": []}],
]
# fmt: on
#: Environment variables the entrypoints read, and values to give them. An absolute
#: path is one nothing can be created at, even as root (/proc, /dev/null): a fuzzed
#: SECRETS_OUTPUT_DIR or --out once made a /nonexistent directory of env files.
# fmt: off
ENV_NAMES = [
    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_REGION", "AWS_DEFAULT_REGION",
    "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "SECRETS_OUTPUT_DIR", "RIDEINFRA_CONFIG",
    "AWS_CA_BUNDLE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "NO_COLOR", "TERM",
]
# fmt: on
# fmt: off
ENV_VALUES = [
    "", " ", "garbage", "127.0.0.1:5055", "http://", "http://127.0.0.1:9", "http://127.0.0.1:x",
    "https://127.0.0.1:9/{x}", "nosuch", "us-esat-1", "us-east-1", "0", "-1", "99999",
    "standard", "adaptive", "legacy", "nope", "/proc/nonexistent", "/dev/null", "\x00", "é",
    "a" * 500, "testing", "rideinfra.yaml", "{x}",
]
# fmt: on

# fmt: off
COMMANDS: list[list[str]] = [
    ["fetch"], ["fetch", "--dry-run"], ["fetch", "--check"], ["fetch", "--format", "json"],
    ["fetch", "--format", "k8s-secret"], ["fetch", "--profile", "core"], ["explain"],
    ["explain", "core"], ["diff"], ["check"], ["render", "k8s"], ["render", "iam"], ["schema"],
    ["seed"],
]
# fmt: on


@pytest.fixture(name="budget", params=sizes(40, 400))
def _budget(request: pytest.FixtureRequest) -> int:
    """Cases per test: 40 in the default run, 400 in its `long` variant."""
    return int(request.param)


def _run(argv: list[str], cwd: Path, environ: Mapping[str, str]) -> tuple[int, str, str]:
    """`rideinfra ARGV` in this process, in ``cwd``: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(argv, dict(environ))
            except SystemExit as exc:  # argparse: usage errors, --help
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def _check(code: int, out: str, err: str, what: str) -> None:
    assert code in (0, 1, 2), f"{what}: exit {code}\n{err}"
    assert "internal error" not in err, f"{what}: {err}"
    assert "Traceback" not in err, f"{what}: {err}"
    for canary in ("Zq9Secret", "Zq9Alias"):
        assert canary not in err, f"{what}: stderr quotes the input\n{err}"
        assert canary not in out, f"{what}: stdout quotes the input\n{out}"
    if code != 0:
        assert err.strip(), f"{what}: exit {code} with nothing said"


@contextlib.contextmanager
def _workdir(files: Mapping[str, str | bytes]) -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="rideinfra-fuzz-"))
    try:
        for name, content in files.items():
            path = directory / name
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8", errors="surrogatepass")
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _base_environ(endpoint: str, home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_CONFIG_FILE": str(home / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
        # Anything not on loopback goes to a closed loopback port and fails at once.
        "HTTP_PROXY": CLOSED,
        "HTTPS_PROXY": CLOSED,
        "NO_PROXY": "127.0.0.1,localhost",
    }


# --- mutations ------------------------------------------------------------------------------


def _mutate_text(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    for _ in range(rng.randint(1, 3)):
        choice = rng.randrange(5)
        if choice == 0:  # a hostile token where YAML reads a new token (not inside a word:
            # `v!Zq9Secretersion` would be a key, which errors rightly name)
            starts = [i for i in range(len(text) + 1) if i == 0 or text[i - 1] in " \n"]
            at = rng.choice(starts)
            text = text[:at] + rng.choice(HOSTILE) + text[at:]
        elif choice == 1 and lines:  # a line dropped
            del lines[rng.randrange(len(lines))]
            text = "".join(lines)
        elif choice == 2 and lines:  # a line repeated elsewhere (duplicate keys, bad indents)
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(lines))
            text = "".join(lines)
        elif choice == 3:  # a slice cut out
            a = rng.randrange(len(text) + 1)
            text = text[:a] + text[a + rng.randint(1, 20) :]
        else:  # a value after a key replaced by a hostile token
            at = text.find(": ", rng.randrange(len(text) + 1))
            if at >= 0:
                end = text.find("\n", at)
                text = text[: at + 2] + rng.choice(HOSTILE) + (text[end:] if end >= 0 else "")
        lines = text.splitlines(keepends=True)
    return text


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _paths(value, (*prefix, i))


def _mutate_data(data: Any, rng: random.Random) -> Any:
    data = json.loads(json.dumps(data))
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(list(_paths(data)))
        if not path:
            if rng.random() < 0.2:
                return rng.choice(VALUES)
            continue
        parent: Any = data
        for segment in path[:-1]:
            parent = parent[segment]
        last = path[-1]
        choice = rng.randrange(4)
        if choice == 0:
            parent[last] = rng.choice(VALUES)
        elif choice == 1:
            del parent[last]
        elif choice == 2 and isinstance(parent, dict):
            parent[rng.choice(KEYS)] = parent.pop(last)
        elif isinstance(parent, dict):
            parent[rng.choice(KEYS)] = rng.choice(VALUES)
        else:
            parent.append(rng.choice(VALUES))
    return data


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _files(rng: random.Random, target: str) -> dict[str, str | bytes]:
    """The three files, with ``target`` mutated (or replaced by random bytes)."""
    texts: dict[str, str | bytes] = {
        "rideinfra.yaml": _dump(CONFIG),
        "secrets.yaml": _dump(SECRETS),
        "seed.yaml": _dump(SEED),
    }
    base = {"rideinfra.yaml": CONFIG, "secrets.yaml": SECRETS, "seed.yaml": SEED}[target]
    roll = rng.random()
    if roll < 0.1:
        texts[target] = rng.randbytes(rng.randint(0, 300))
    elif roll < 0.55:
        texts[target] = _mutate_text(str(texts[target]), rng)
    else:
        texts[target] = _dump(_mutate_data(base, rng))
    return texts


# --- the tests ------------------------------------------------------------------------------


def _fuzz(budget: int, case: Callable[[random.Random], None]) -> None:
    @settings(
        max_examples=budget,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.randoms(use_true_random=False))
    def run(rng: random.Random) -> None:
        case(rng)

    run()


@pytest.mark.parametrize("target", ["rideinfra.yaml", "secrets.yaml", "seed.yaml"])
def test_mutated_files(budget: int, sm: MotoEndpoint, target: str, tmp_path: Path) -> None:
    """A mutated config, secrets file or seed file ends every command with a named error."""
    environ = _base_environ(sm.url, tmp_path)

    def case(rng: random.Random) -> None:
        argv = rng.choice(COMMANDS)
        with _workdir(_files(rng, target)) as cwd:
            code, out, err = _run([*argv, "--config", "rideinfra.yaml"], cwd, environ)
        _check(code, out, err, f"{target} mutated, rideinfra {' '.join(argv)}")

    _fuzz(budget, case)


def test_hostile_environment(budget: int, sm: MotoEndpoint, tmp_path: Path) -> None:
    """AWS and rideinfra variables with hostile values end in a named error, before any request."""
    aws_config = {**CONFIG, "source": {"type": "aws-secretsmanager"}}
    sm.seed(SECRETS)

    def case(rng: random.Random) -> None:
        environ = _base_environ(rng.choice([sm.url, CLOSED]), tmp_path)
        for _ in range(rng.randint(1, 4)):
            name = rng.choice(ENV_NAMES)
            if rng.random() < 0.3:
                environ.pop(name, None)
            else:
                environ[name] = rng.choice(ENV_VALUES)
        if environ.get("AWS_ENDPOINT_URL", "").startswith(("http://", "https://")) and (
            "127.0.0.1" not in environ["AWS_ENDPOINT_URL"]
        ):
            environ["AWS_ENDPOINT_URL"] = CLOSED  # never a request off this machine
        argv = rng.choice([c for c in COMMANDS if c != ["schema"]])
        with _workdir({"rideinfra.yaml": _dump(aws_config), "seed.yaml": _dump(SEED)}) as cwd:
            code, out, err = _run([*argv, "--config", "rideinfra.yaml"], cwd, environ)
        _check(code, out, err, f"environment {sorted(environ)}, rideinfra {' '.join(argv)}")

    _fuzz(budget, case)


def test_random_arguments(budget: int, sm: MotoEndpoint, tmp_path: Path) -> None:
    """Option values of every kind on every command end in usage errors or named errors."""
    environ = _base_environ(sm.url, tmp_path)
    options = [
        "--config",
        "--out",
        "--profile",
        "--format",
        "--log-level",
        "--log-format",
        "--source",
        "--spec",
        "--show-values",
        "--json",
        "--dry-run",
        "--check",
        "--namespace",
        "--label",
        "--",
        "-",
        "--help",
    ]
    words = [*options, *map(str, ENV_VALUES), "core", "etl", "file:secrets.yaml", "json", "DEBUG"]

    def case(rng: random.Random) -> None:
        argv = [*rng.choice(COMMANDS)]
        for _ in range(rng.randint(0, 4)):
            argv.insert(rng.randint(1, len(argv)), rng.choice(words))
        with _workdir(
            _files(rng, "secrets.yaml")
            if rng.random() < 0.5
            else {
                "rideinfra.yaml": _dump(CONFIG),
                "secrets.yaml": _dump(SECRETS),
                "seed.yaml": _dump(SEED),
            }
        ) as cwd:
            code, out, err = _run(argv, cwd, environ)
        if "--help" not in argv:
            _check(code, out, err, f"rideinfra {argv!r}")

    _fuzz(budget, case)


# --- inputs a review found, each with the error it must end in ---------------------------------

#: A path component longer than NAME_MAX (255): every call on the path fails, ENAMETOOLONG.
LONG = "a" * 300
#: A password in an endpoint URL: no line of any command may print it.
LEAK = "LEAKpw"
VAULT_CONFIG = {**CONFIG, "source": {"type": "vault"}}
AWS_CONFIG = {**CONFIG, "source": {"type": "aws-secretsmanager"}}


def _case_files(config: Mapping[str, Any] = CONFIG) -> dict[str, str | bytes]:
    return {
        "rideinfra.yaml": _dump(config),
        "secrets.yaml": _dump(SECRETS),
        "seed.yaml": _dump(SEED),
    }


#: id -> (argv, environment added, config, exit code, what stderr says). `{cwd}` is the
#: working directory; every command runs with `--config rideinfra.yaml` unless it names one.
# fmt: off
NAMED: dict[str, tuple[list[str], dict[str, str], Mapping[str, Any], int, str]] = {
    **{
        f"config name too long, {argv[0]}": (
            [*argv, "--config", f"{{cwd}}/{LONG}.yaml"], {}, CONFIG, 2,
            "cannot read the config file: File name too long",
        )
        for argv in (["fetch"], ["explain"], ["diff"], ["check"], ["seed"], ["watch", "--once"])
    },
    "RIDEINFRA_CONFIG name too long": (
        ["fetch"], {"RIDEINFRA_CONFIG": f"{{cwd}}/{LONG}.yaml"}, CONFIG, 2,
        "cannot read the config file: File name too long",
    ),
    "RIDEINFRA_CONFIG name too long, seed --spec": (
        ["seed", "--spec", "seed.yaml"], {"RIDEINFRA_CONFIG": f"{{cwd}}/{LONG}.yaml"}, CONFIG,
        2, "cannot read the config file: File name too long",
    ),
    "--source directory name too long": (
        ["explain", "--source", f"directory:{{cwd}}/{LONG}"], {}, CONFIG, 1,
        f"the directory {{cwd}}/{LONG} cannot be read (File name too long)",
    ),
    "source directory name too long in the config": (
        ["fetch", "--dry-run"], {},
        {**CONFIG, "source": {"type": "directory", "path": LONG}}, 1,
        "cannot be read (File name too long)",
    ),
    "a secret name too long for a directory source": (
        ["explain", "--source", "directory:{cwd}"], {},
        {**CONFIG, "profiles": {"core": {"secrets": [LONG]}}, "secrets": {}}, 1,
        "cannot be read (File name too long)",
    ),
    "--source directory that does not exist": (
        ["explain", "--source", "directory:{cwd}/missing"], {}, CONFIG, 1,
        "the directory {cwd}/missing does not exist",
    ),
    "--source file that does not exist (same exit code)": (
        ["explain", "--source", "file:{cwd}/missing.yaml"], {}, CONFIG, 1,
        "the secrets file {cwd}/missing.yaml does not exist",
    ),
    "AWS_ENDPOINT_URL with an unclosed [": (
        ["fetch", "--dry-run"], {"AWS_ENDPOINT_URL": "http://[::1"}, AWS_CONFIG, 2,
        "AWS_ENDPOINT_URL has a host in [ ] that is not closed",
    ),
    "endpoint_url with an unclosed [": (
        ["fetch", "--dry-run"], {},
        {**CONFIG, "source": {"type": "aws-secretsmanager", "endpoint_url": "http://[::1"}}, 2,
        "source.endpoint_url: line 4: the URL has a host in [ ] that is not closed",
    ),
    "VAULT_ADDR with an unclosed [": (
        ["fetch", "--dry-run"], {"VAULT_ADDR": "http://[::1", "VAULT_TOKEN": "t"},
        VAULT_CONFIG, 2, "VAULT_ADDR has a host in [ ] that is not closed",
    ),
    "vault address with an unclosed [": (
        ["fetch", "--dry-run"], {"VAULT_TOKEN": "t"},
        {**CONFIG, "source": {"type": "vault", "address": "http://[::1"}}, 2,
        "source.address: line 4: the URL has a host in [ ] that is not closed",
    ),
    **{
        f"AWS_ENDPOINT_URL with a password, {' '.join(argv)}": (
            argv, {"AWS_ENDPOINT_URL": f"http://user:{LEAK}@127.0.0.1:9"}, AWS_CONFIG, 2,
            "AWS_ENDPOINT_URL holds a user name or password",
        )
        for argv in (["fetch", "--dry-run"], ["explain"], ["diff"], ["check"], ["seed"])
    },
    "seed --endpoint-url with a password": (
        ["seed", "--endpoint-url", f"http://user:{LEAK}@127.0.0.1:9"], {}, AWS_CONFIG, 2,
        "--endpoint-url holds a user name or password",
    ),
    "endpoint_url with a password": (
        ["fetch", "--dry-run"], {},
        {**CONFIG, "source": {"type": "aws-secretsmanager",
                              "endpoint_url": f"https://{LEAK}@127.0.0.1:9"}}, 2,
        "source.endpoint_url: line 4: the URL holds a user name or password",
    ),
    "VAULT_ADDR with a password": (
        ["fetch", "--dry-run"], {"VAULT_ADDR": f"http://u:{LEAK}@127.0.0.1:9", "VAULT_TOKEN": "t"},
        VAULT_CONFIG, 2, "VAULT_ADDR holds a user name or password",
    ),
    "--source aws:x": (
        ["explain", "--source", "aws:x"], {}, CONFIG, 2,
        "--source 'aws:x': use file:PATH, directory:PATH, env or aws",
    ),
    "--source env:whatever": (
        ["diff", "--source", "env:whatever"], {}, CONFIG, 2,
        "--source 'env:whatever': use file:PATH, directory:PATH, env or aws",
    ),
    "fetch --out ''": (["fetch", "--out", ""], {}, CONFIG, 2, "--out is empty"),
    "fetch --out=": (["fetch", "--out="], {}, CONFIG, 2, "--out is empty"),
    "fetch --config ''": (["fetch", "--config", ""], {}, CONFIG, 2, "--config is empty"),
    "fetch --format ''": (["fetch", "--format", ""], {}, CONFIG, 2, "--format is empty"),
    "check --prefix ''": (["check", "--prefix", ""], {}, CONFIG, 2, "--prefix is empty"),
    "explain ''": (["explain", ""], {}, CONFIG, 2, "PROFILE is empty"),
    "seed, an empty secret name": (
        ["seed"], {}, AWS_CONFIG, 2,
        'seed.yaml: secrets[""]: line 3: a secret name must not be empty',
    ),
}
# fmt: on


@pytest.mark.parametrize("name", list(NAMED))
def test_named_inputs_end_in_their_error(name: str, tmp_path: Path) -> None:
    """Each input a review found (an OS-refused path, a malformed or credentialed endpoint,
    a misspelt --source, an empty option) ends in its named error: never `internal error`,
    never a password, and nothing written."""
    argv, extra, config, code, says = NAMED[name]
    files = _case_files(config)
    if name.startswith("seed, "):
        files["seed.yaml"] = _dump({"version": 1, "secrets": {"": {"A": "x"}}})
    with _workdir(files) as cwd:
        environ = {**_base_environ(CLOSED, tmp_path), **extra}
        environ = {key: value.replace("{cwd}", str(cwd)) for key, value in environ.items()}
        argv = [arg.replace("{cwd}", str(cwd)) for arg in argv]
        if "--config" not in argv and "RIDEINFRA_CONFIG" not in extra:
            argv = [*argv, "--config", "rideinfra.yaml"]
        got, out, err = _run(argv, cwd, environ)
        written = sorted(path.name for path in cwd.iterdir())
        _check(got, out, err, name)
        assert got == code, f"{name}: exit {got}\n{err}"
        assert says.replace("{cwd}", str(cwd)) in err, err
        assert LEAK not in out + err
        assert written == ["rideinfra.yaml", "secrets.yaml", "seed.yaml"]


def test_paths_that_cannot_be_entered(tmp_path: Path) -> None:
    """A config, or a directory source, inside a directory that cannot be entered (EACCES on
    stat): the reader's own "cannot read" errors, exit 2 and 1, in a real process."""
    import subprocess
    import sys

    top = Path(tempfile.mkdtemp(prefix="rideinfra-eacces-"))
    try:
        locked = top / "locked"
        (locked / "mount").mkdir(parents=True)
        (locked / "rideinfra.yaml").write_text(_dump(CONFIG), encoding="utf-8")
        (top / "rideinfra.yaml").write_text(_dump(CONFIG), encoding="utf-8")
        (top / "secrets.yaml").write_text(_dump(SECRETS), encoding="utf-8")
        if os.geteuid() == 0:
            # Root enters anything; without these capabilities, only what its mode allows.
            os.chown(locked, 65534, 65534)
            locked.chmod(0o700)
            drop = "-dac_override,-dac_read_search"
            prefix = ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}", "--"]
        else:
            locked.chmod(0)
            prefix = []
        environ = {
            **_base_environ(CLOSED, tmp_path),
            **({"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}),
        }
        cases = [
            (["fetch", "--config", str(locked / "rideinfra.yaml")], 2,
             f"{locked}/rideinfra.yaml: cannot read the config file: Permission denied"),
            (["explain", "--config", str(top / "rideinfra.yaml"),
              "--source", f"directory:{locked / 'mount'}"], 1,
             f"the directory {locked}/mount cannot be read (Permission denied)"),
        ]  # fmt: skip
        for argv, code, says in cases:
            proc = subprocess.run(
                [*prefix, sys.executable, "-m", "rideinfra.cli", *argv],
                env=environ, cwd=top, capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            _check(proc.returncode, proc.stdout, proc.stderr, " ".join(argv))
            assert proc.returncode == code, proc.stderr
            assert says in proc.stderr, proc.stderr
    finally:
        (top / "locked").chmod(0o700)
        shutil.rmtree(top)
