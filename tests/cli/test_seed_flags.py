"""`rideinfra seed --endpoint-url / --region`: a bad value names the flag it came from."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from rideinfra import cli


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [
        ("--endpoint-url", "notaurl", "--endpoint-url does not start with http://"),
        ("--endpoint-url", "http://[::1", "--endpoint-url has a host in [ ]"),
        ("--endpoint-url", "http://u:pw@127.0.0.1:1", "--endpoint-url holds a user name"),
        ("--region", "us east 1!", "--region is not a region name"),
    ],
)
def test_a_bad_flag_is_named(tmp_path: Path, flag: str, value: str, says: str) -> None:
    spec = tmp_path / "seed.yaml"
    spec.write_text("version: 1\nsecrets:\n  app/db: {PASSWORD: x}\n")
    err = io.StringIO()
    with redirect_stdout(io.StringIO()), redirect_stderr(err):
        code = cli.main(["seed", "--spec", str(spec), flag, value], {"AWS_ACCESS_KEY_ID": "t"})
    assert code == 2, err.getvalue()
    assert says in err.getvalue()
    assert "the source's" not in err.getvalue()
    assert "pw@" not in err.getvalue()
