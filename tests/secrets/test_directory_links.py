"""DirectorySource: a field file that is a dangling symlink, or a link to what is not a file,
is that field's error at once, not "kept changing while being read" after retries."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rideinfra.errors import SourceError
from rideinfra.secrets import DirectorySource


@pytest.fixture(name="mount")
def _mount(tmp_path: Path) -> Path:
    secret = tmp_path / "app" / "db"
    secret.mkdir(parents=True)
    (secret / "USER").write_text("u")
    return tmp_path


def read_attempts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each listing of a secret's directory (one per read attempt)."""
    seen: list[str] = []
    real = os.scandir

    def counting(path: str) -> object:
        seen.append(str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", counting)
    return seen


def test_a_dangling_link_names_the_field_and_its_missing_target(
    mount: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (mount / "app" / "db" / "PASSWORD").symlink_to(mount / "nowhere" / "PASSWORD")
    attempts = read_attempts(monkeypatch)
    with pytest.raises(SourceError) as caught:
        DirectorySource(mount).fetch("app/db")
    error = caught.value
    assert error.code == "DanglingLink"
    assert error.secret == "app/db"
    assert "field 'PASSWORD'" in str(error)
    assert "does not exist" in str(error)
    assert str(mount / "nowhere" / "PASSWORD") in str(error)
    assert "kept changing" not in str(error)
    assert len(attempts) == 1  # no retry loop


def test_a_link_to_dev_null_is_not_a_regular_file(
    mount: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (mount / "app" / "db" / "PASSWORD").symlink_to("/dev/null")
    attempts = read_attempts(monkeypatch)
    with pytest.raises(SourceError) as caught:
        DirectorySource(mount).fetch("app/db")
    assert caught.value.code == "NotARegularFile"
    assert "field 'PASSWORD'" in str(caught.value)
    assert "/dev/null" in str(caught.value)
    assert "not a regular file" in str(caught.value)
    assert len(attempts) == 1


def test_a_dangling_link_in_a_flat_secret_too(tmp_path: Path) -> None:
    (tmp_path / "TOKEN").symlink_to(tmp_path / "gone")
    result = DirectorySource(tmp_path, flat_secret="app/k").fetch_many(["app/k"])
    assert result.errors["app/k"].code == "DanglingLink"


def test_a_kubernetes_version_removed_mid_read_is_still_read_again(
    mount: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The swap retry stays: a version directory gone at the listing is listed again."""
    secret = mount / "k8s"
    first = secret / "..2024_01"
    first.mkdir(parents=True)
    (first / "KEY").write_text("v1")
    (secret / "..data").symlink_to("..2024_01")
    (secret / "KEY").symlink_to("..data/KEY")
    real = os.scandir
    calls: list[str] = []

    def swapping(path: str) -> object:
        calls.append(str(path))
        if len(calls) == 1:
            raise FileNotFoundError(path)  # the kubelet removed the version just now
        return real(path)

    monkeypatch.setattr(os, "scandir", swapping)
    assert DirectorySource(mount).fetch("k8s").fields["KEY"].reveal() == "v1"
    assert len(calls) == 2
