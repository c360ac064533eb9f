"""Composed URLs log in to real servers: PostgreSQL (psql, psycopg) and Redis (redis-py).

The URL is what `rideinfra` writes for a profile whose `template` composes
it from a user and a password; each case creates its own role (or ACL user)
with hostile credentials, then logs in with nothing but the URL.
"""

from __future__ import annotations

import random
import string
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from rideinfra.profiles.config import parse_config
from rideinfra.profiles.resolve import resolve
from rideinfra.testing import MemorySource
from support.budget import sizes
from support.servers import Postgres, Redis, postgres, redis_server

HOSTILE = "a b+c@d:e/f?g#h%"
GENERATED = 200
# Every ASCII punctuation, space, %, and non-ASCII from 2, 3 and 4 UTF-8 bytes.
ALPHABET = string.ascii_letters + string.digits + string.punctuation + "  %%" + "éß€中😀"


def generated(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)  # fixed: the same ones every run, so a failure reproduces
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 40))) for _ in range(count)]


def composed_url(template: str, fields: dict[str, str]) -> str:
    """The profile's composed variable, as `resolve` gives it (what fetch writes)."""
    config = parse_config(
        {"version": 1, "profiles": {"db": {"secrets": ["app/db"], "template": {"URL": template}}}}
    )
    return resolve(config, MemorySource({"app/db": fields}))["db"]["URL"].reveal()


@pytest.fixture(scope="module", name="pg")
def _pg() -> Iterator[Postgres]:
    with postgres() as server:
        yield server


@pytest.fixture(scope="module", name="redis_port")
def _redis() -> Iterator[Redis]:
    with redis_server() as server:
        yield server


def create_role(pg: Postgres, user: str, password: str) -> None:
    from psycopg import sql

    with pg.admin() as conn:  # type: ignore[attr-defined]
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(user), sql.Literal(password)
            )
        )


def pg_logins(pg: Postgres, case: int, password: str) -> None:
    import psycopg

    user = f"r{case} {password[:8]}"  # hostile too: percent-encoded in the user-info
    create_role(pg, user, password)
    url = composed_url(
        f"postgresql://{{USER|url}}:{{PASSWORD|url}}@127.0.0.1:{pg.port}/postgres",
        {"USER": user, "PASSWORD": password},
    )
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (user,)
    env = {"PATH": "/usr/bin:/bin", "PGPASSFILE": "/dev/null", "HOME": "/nonexistent"}
    proc = subprocess.run(
        [pg.psql, url, "-XAtc", "SELECT current_user"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, (case, proc.stderr)
    assert proc.stdout == user + "\n"


def test_postgres_login_with_the_issue_password(pg: Postgres) -> None:
    """`a b+c@d:e/f?g#h%`: QueryEscape and PathEscape fail here; full percent-encoding logs in."""
    pg_logins(pg, 0, HOSTILE)


def test_postgres_wrong_password_is_refused(pg: Postgres) -> None:
    """The check can fail: a login with another password is refused."""
    import psycopg

    create_role(pg, "wrong_case", HOSTILE)
    url = composed_url(
        f"postgresql://wrong_case:{{P|url}}@127.0.0.1:{pg.port}/postgres", {"P": HOSTILE + "x"}
    )
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(url)


@pytest.mark.slow
@pytest.mark.parametrize("count", sizes(50, GENERATED))
def test_postgres_login_with_200_generated_passwords(pg: Postgres, count: int) -> None:
    """Each login is a role, a psycopg connection and a psql process: 50 by default, 200 in CI."""
    passwords = generated(count, seed=16)
    for case, password in enumerate(passwords, start=1):
        pg_logins(pg, case, password)
    assert len(passwords) == count


def redis_logins(server: Redis, case: int, password: str) -> None:
    import redis

    admin: Any = redis.Redis(host="127.0.0.1", port=server.port)
    user = f"u{case}{password[:6]}".replace(" ", "_")
    admin.execute_command("ACL", "SETUSER", user, "on", f">{password}", "~*", "+@all")
    url = composed_url(
        f"redis://{{USER|url}}:{{PASSWORD|url}}@127.0.0.1:{server.port}/0",
        {"USER": user, "PASSWORD": password},
    )
    client: Any = redis.Redis.from_url(url)
    whoami = client.acl_whoami()
    assert (whoami.decode() if isinstance(whoami, bytes) else whoami) == user


def test_redis_auth_with_the_issue_password(redis_port: Redis) -> None:
    redis_logins(redis_port, 0, HOSTILE)


def test_redis_wrong_password_is_refused(redis_port: Redis) -> None:
    """The check can fail: AUTH with another password is refused."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    redis_logins(redis_port, 9999, HOSTILE)
    url = composed_url(
        f"redis://{{USER|url}}:{{P|url}}@127.0.0.1:{redis_port.port}/0",
        {"USER": "u9999a_b+c@", "P": HOSTILE + "x"},  # the user redis_logins made, wrong password
    )
    client: Any = redis.Redis.from_url(url, retry=Retry(NoBackoff(), 0))
    with pytest.raises(redis.AuthenticationError):
        client.ping()


def test_redis_auth_with_200_generated_passwords(redis_port: Redis) -> None:
    passwords = generated(GENERATED, seed=6379)
    for case, password in enumerate(passwords, start=1):
        redis_logins(redis_port, case, password)


def test_under_ci_a_missing_server_fails_instead_of_skipping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from support.servers import unavailable

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run this test"):
        unavailable("no server")
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        unavailable("no server")
