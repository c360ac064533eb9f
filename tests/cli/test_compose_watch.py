"""The example's `secrets-watch` sidecar, as `docker-compose config` reads it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from support.consumers import compose_binary

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rideshare"


def test_secrets_watch_sidecar(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE / "compose.yml", tmp_path / "compose.yml")
    done = subprocess.run(
        [compose_binary(), "-f", str(tmp_path / "compose.yml"), "config", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    watch = json.loads(done.stdout)["services"]["secrets-watch"]
    assert watch["entrypoint"][:2] == ["rideinfra", "watch"]
    assert watch["healthcheck"]["test"] == ["CMD", "test", "-f", "/secrets/.ready"]
    assert watch["depends_on"]["secrets-init"]["condition"] == "service_completed_successfully"
    assert any(v["target"] == "/secrets" for v in watch["volumes"])
