"""VaultSource names stay under the configured mount, against a real OpenBao dev server.

requests removes `..` and `.` segments from a URL, so `../../other/data/x` under
mount `secret` used to read mount `other`; and OpenBao answers `a//b`, `/a`
and `a/` as `a/b`/`a`. Such names are refused (DirectorySource's rule) before
any request; percent-escapes reach the server as literal text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from rideinfra.errors import ConfigError, SourceError
from rideinfra.secrets import VaultSource, VaultStore
from support.http_proxy import HttpFaultProxy
from support.openbao import OpenBao

PRIVATE = "s3ntinel-OTHER-MOUNT-5d1e"

#: Names that would leave the mount, or name another path than written.
ESCAPES = [
    "../../other/data/private",
    "../other/data/private",
    "t/../../../other/data/private",
    "t/../t/json",
    "t/./json",
    "./t/json",
    "/t/json",
    "//other/data/private",
    "t//json",
    "t/json/",
    "..",
    ".",
    "",
    "..\\..\\other\\data\\private",
    "t\\json",
    "t/\x00json",
]


@pytest.fixture(name="other_mount")
def _other_mount(bao: OpenBao) -> Iterator[OpenBao]:
    """A second KV v2 mount, `other`, holding `private`; `secret` holds `t/json`."""
    with contextlib.suppress(OSError):  # left over from an interrupted run
        bao.request("DELETE", "sys/mounts/other")
    bao.request("POST", "sys/mounts/other", {"type": "kv", "options": {"version": "2"}})
    bao.request("POST", "other/data/private", {"data": {"P": PRIVATE}})
    bao.request("POST", "secret/data/t/json", {"data": {"J": "tj"}})
    yield bao
    bao.request("DELETE", "sys/mounts/other")


@pytest.fixture(name="proxy")
def _proxy(bao: OpenBao) -> Iterator[HttpFaultProxy]:
    proxy = HttpFaultProxy(bao.url).start()
    yield proxy
    proxy.stop()


def test_the_second_mount_is_readable_with_its_own_mount(other_mount: OpenBao) -> None:
    """The arrangement works: `other/private` is there for a source whose mount is `other`."""
    secret = VaultSource(environ=other_mount.environ(), mount="other").fetch("private")
    assert secret.fields["P"].reveal() == PRIVATE


@pytest.mark.parametrize("name", ESCAPES)
def test_a_name_leaving_the_mount_is_refused_without_a_request(
    other_mount: OpenBao, proxy: HttpFaultProxy, name: str
) -> None:
    """InvalidSecretName for that secret, naming it; nothing is sent to the server."""
    source = VaultSource(environ={**other_mount.environ(), "VAULT_ADDR": proxy.url})
    result = source.fetch_many([name, "t/json"])
    assert list(result) == ["t/json"]  # the good name beside it is read
    error = result.errors[name]
    assert type(error) is SourceError
    assert error.code == "InvalidSecretName"
    assert error.secret == name
    assert repr(name) in str(error)
    assert PRIVATE not in str(error)
    assert proxy.actions == ["GET /v1/secret/data/t/json"]
    with pytest.raises(SourceError, match="cannot be read from mount"):
        source.fetch(name)


@pytest.mark.parametrize(
    "name", ["%2e%2e/%2e%2e/other/data/private", "t/%2e%2e/t/json", "%2E%2E%2Fother%2Fdata"]
)
def test_percent_escapes_are_literal_text_not_a_way_out(other_mount: OpenBao, name: str) -> None:
    """hvac quotes `%`, so `%2e%2e` is a name of its own: not found, never `other`'s secret."""
    result = VaultSource(environ=other_mount.environ()).fetch_many([name])
    assert result.missing == (name,)
    assert PRIVATE not in str(result.errors[name])


def test_a_percent_name_is_read_as_written(other_mount: OpenBao) -> None:
    """A secret really named `%2e%2e/x` is still readable: `%` is not refused."""
    other_mount.request("POST", "secret/data/%252e%252e/x", {"data": {"J": "pct"}})
    try:
        secret = VaultSource(environ=other_mount.environ()).fetch("%2e%2e/x")
        assert secret.fields["J"].reveal() == "pct"
    finally:  # the `bao` fixture's clean-up lists paths unescaped: it would ask for `..`
        other_mount.request("DELETE", "secret/metadata/%252e%252e/x")


def test_dot_prefixed_parts_are_names_in_vault(other_mount: OpenBao) -> None:
    """Only DirectorySource refuses `.hidden` parts (it skips such entries); Vault reads them."""
    other_mount.request("POST", "secret/data/app/.env", {"data": {"E": "e"}})
    assert VaultSource(environ=other_mount.environ()).fetch("app/.env").fields["E"].reveal() == "e"


def test_the_store_writes_nothing_outside_the_mount(other_mount: OpenBao) -> None:
    """VaultStore.put of such a name raises before writing; `other/private` is unchanged."""
    store = VaultStore(VaultSource(environ=other_mount.environ()))
    with pytest.raises(SourceError, match="cannot be read from mount"):
        store.put("../../other/data/private", {"P": "overwritten"})
    secret = VaultSource(environ=other_mount.environ(), mount="other").fetch("private")
    assert secret.fields["P"].reveal() == PRIVATE
    assert secret.version_id == "1"


@pytest.mark.parametrize("mount", ["../other", "secret/../other", "a//b", "kv\\x", "."])
def test_a_mount_that_is_not_a_path_is_a_config_error(mount: str) -> None:
    env = {"VAULT_ADDR": "http://127.0.0.1:8200", "VAULT_TOKEN": "t"}
    with pytest.raises(ConfigError, match="mount"):
        VaultSource(environ=env, mount=mount)


def test_nested_mounts_and_surrounding_slashes_are_kept() -> None:
    env = {"VAULT_ADDR": "http://127.0.0.1:8200", "VAULT_TOKEN": "t"}
    assert VaultSource(environ=env, mount="/team/kv/").mount == "team/kv"
    assert VaultSource(environ=env, mount="").mount == "secret"
