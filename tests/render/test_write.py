"""The atomic writer, one behaviour at a time, on the real file system."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from rideinfra.errors import WriteError
from rideinfra.render.write import DATA_LINK, LOCK_NAME, WriteReport, check_files, write_files
from support.consumers import compose_binary
from support.unprivileged import readonly_tree, require_nobody

VERSION = re.compile(r"\.\.\d{4}(_\d\d){5}\.\d{9}_[0-9a-f]{8}")
SECRET = b"PASSWORD='s3cr3t-value-that-must-not-leak'\n"


@pytest.fixture(autouse=True)
def _umask() -> Iterator[None]:
    """A permissive umask, so that modes come from the writer, not from the umask."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture(name="out")
def _out(tmp_path: Path) -> Path:
    return tmp_path / "secrets"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def versions(directory: Path) -> list[str]:
    return sorted(e for e in os.listdir(directory) if VERSION.fullmatch(e))


def public(directory: Path) -> dict[str, bytes]:
    return {e: (directory / e).read_bytes() for e in sorted(os.listdir(directory)) if e[0] != "."}


def snapshot(directory: Path) -> dict[str, tuple[int, int, bytes]]:
    """Inode, mtime and bytes of every public file, followed through its link."""
    result = {}
    for name in os.listdir(directory):
        if not name.startswith("."):
            st = os.stat(directory / name)
            result[name] = (st.st_ino, st.st_mtime_ns, (directory / name).read_bytes())
    return result


class TestFirstRun:
    def test_creates_missing_directory_and_parents_private(self, out: Path) -> None:
        """A missing directory (and its parents) is created 0700 whatever the umask."""
        target = out / "deep" / "er"
        report = write_files(target, {"core.env": b"A=1\n"})
        assert report.created
        assert [mode(p) for p in (out, out / "deep", target)] == [0o700] * 3

    def test_layout_is_versioned_dir_behind_data_link(self, out: Path) -> None:
        """Public names are relative links through ..data into one private version dir."""
        write_files(out, {"core.env": b"A=1\n", "monitoring.env": b"B=2\n"})
        (version,) = versions(out)
        assert os.readlink(out / DATA_LINK) == version
        assert os.readlink(out / "core.env") == "..data/core.env"
        assert os.readlink(out / "monitoring.env") == "..data/monitoring.env"
        assert sorted(os.listdir(out)) == sorted(
            [version, DATA_LINK, LOCK_NAME, "core.env", "monitoring.env"]
        )
        assert sorted(os.listdir(out / version)) == ["core.env", "monitoring.env"]
        assert mode(out / version) == 0o700
        assert mode(out / version / "core.env") == 0o600
        assert os.lstat(out / version / "core.env").st_nlink == 1
        assert public(out) == {"core.env": b"A=1\n", "monitoring.env": b"B=2\n"}

    def test_file_mode_is_configurable_and_version_dir_follows(self, out: Path) -> None:
        """file_mode 0640 gives 0640 files and lets the group enter the version dir."""
        write_files(out, {"core.env": b"A=1\n"}, file_mode=0o640, dir_mode=0o750)
        assert mode(out) == 0o750
        assert mode(out / "core.env") == 0o640
        assert mode(out / versions(out)[0]) == 0o750

    def test_existing_directory_mode_is_left_alone(self, out: Path) -> None:
        """An existing output directory keeps its mode: it is the operator's choice."""
        out.mkdir(mode=0o755)
        out.chmod(0o755)
        report = write_files(out, {"core.env": b"A=1\n"})
        assert not report.created
        assert mode(out) == 0o755

    def test_report_names_files_and_never_content(self, out: Path) -> None:
        """The report and its summary name the files; no byte of content appears."""
        report = write_files(out, {"core.env": SECRET, "monitoring.env": b"B=2\n"})
        assert report.version == os.readlink(out / DATA_LINK)
        assert report.changed == ("core.env", "monitoring.env")
        assert report.added == ("core.env", "monitoring.env")
        assert report.unchanged == ()
        assert report.summary() == (
            f"wrote {out}: 2 changed (core.env (new), monitoring.env (new)), 0 unchanged"
        )
        for text in (report.summary(), repr(report)):
            assert "s3cr3t" not in text


class TestUnchanged:
    def test_identical_run_makes_no_new_version(self, out: Path) -> None:
        """Running again with the same content changes nothing: same version, inodes, mtimes."""
        files = {"core.env": b"A=1\n", "monitoring.env": b"B=2\n"}
        write_files(out, files)
        before, link = snapshot(out), os.readlink(out / DATA_LINK)
        report = write_files(out, files)
        assert report.changed == ()
        assert report.unchanged == ("core.env", "monitoring.env")
        assert report.summary() == f"{out}: up to date, 2 file(s) unchanged"
        assert snapshot(out) == before
        assert os.readlink(out / DATA_LINK) == link
        assert len(versions(out)) == 1

    def test_unchanged_file_is_carried_by_hard_link(self, out: Path) -> None:
        """When one file changes, the others keep their inode and mtime in the new version."""
        write_files(out, {"core.env": b"A=1\n", "monitoring.env": b"B=2\n"})
        before = snapshot(out)
        report = write_files(out, {"core.env": b"A=1\n", "monitoring.env": b"B=3\n"})
        after = snapshot(out)
        assert report.changed == ("monitoring.env",)
        assert report.unchanged == ("core.env",)
        assert report.added == ()
        assert after["core.env"] == before["core.env"]
        assert after["monitoring.env"][2] == b"B=3\n"
        assert after["monitoring.env"][0] != before["monitoring.env"][0]

    def test_mode_change_rewrites(self, out: Path) -> None:
        """A file with the right bytes but another mode counts as changed and gets the mode."""
        write_files(out, {"core.env": b"A=1\n"})
        report = write_files(out, {"core.env": b"A=1\n"}, file_mode=0o640)
        assert report.changed == ("core.env",)
        assert mode(out / "core.env") == 0o640


class TestKeepAndAdd:
    def test_files_not_in_this_run_are_kept(self, out: Path) -> None:
        """A run with fewer files (like --profile core) keeps the others as they are."""
        write_files(out, {"core.env": b"A=1\n", "monitoring.env": b"B=2\n"})
        before = snapshot(out)
        report = write_files(out, {"core.env": b"A=2\n"})
        after = snapshot(out)
        assert report.changed == ("core.env",)
        assert after["monitoring.env"] == before["monitoring.env"]
        assert after["core.env"][2] == b"A=2\n"

    def test_new_profile_is_added(self, out: Path) -> None:
        """A later run that adds a file gives it a link and reports it as added."""
        write_files(out, {"core.env": b"A=1\n"})
        report = write_files(out, {"core.env": b"A=1\n", "spark-testing.env": b"S=1\n"})
        assert report.added == ("spark-testing.env",)
        assert report.changed == ("spark-testing.env",)
        assert "spark-testing.env (new)" in report.summary()
        assert os.readlink(out / "spark-testing.env") == "..data/spark-testing.env"
        assert public(out) == {"core.env": b"A=1\n", "spark-testing.env": b"S=1\n"}


class TestLegacyFiles:
    @pytest.fixture(name="legacy")
    def _legacy(self, out: Path) -> Path:
        """The old platform script's output: plain 0644 files."""
        out.mkdir()
        for name, text in {"core.env": b"A=old\n", "monitoring.env": b"B=old\n"}.items():
            (out / name).write_bytes(text)
            (out / name).chmod(0o644)
        (out / "data-pipeline.env").write_bytes(b"D=old\n")
        return out

    def test_plain_files_become_links_with_new_content(self, legacy: Path) -> None:
        """Plain files of this run become our links; the content and mode are the new ones."""
        report = write_files(legacy, {"core.env": b"A=new\n", "monitoring.env": b"B=new\n"})
        assert report.changed == ("core.env", "monitoring.env")
        assert report.added == ()
        for name in ("core.env", "monitoring.env"):
            assert os.readlink(legacy / name) == f"..data/{name}"
            assert mode(legacy / name) == 0o600
        assert public(legacy)["core.env"] == b"A=new\n"

    def test_plain_file_of_another_profile_is_untouched(self, legacy: Path) -> None:
        """A plain file that this run does not write stays a plain file, same inode."""
        before = os.lstat(legacy / "data-pipeline.env")
        write_files(legacy, {"core.env": b"A=new\n"})
        after = os.lstat(legacy / "data-pipeline.env")
        assert stat.S_ISREG(after.st_mode)
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    def test_unchanged_plain_file_keeps_mtime(self, legacy: Path) -> None:
        """A plain file whose bytes are already right is adopted with its mtime."""
        os.utime(legacy / "core.env", ns=(1_000_000_000, 1_000_000_000))
        report = write_files(legacy, {"core.env": b"A=old\n"})
        assert report.unchanged == ("core.env",)
        assert os.path.islink(legacy / "core.env")
        assert os.stat(legacy / "core.env").st_mtime_ns == 1_000_000_000

    def test_adopting_never_writes_through_the_old_inode(self, legacy: Path) -> None:
        """The old file's inode (maybe hard-linked elsewhere) keeps its bytes and mode."""
        elsewhere = legacy.parent / "elsewhere.env"
        os.link(legacy / "core.env", elsewhere)
        write_files(legacy, {"core.env": b"A=new\n"})
        assert elsewhere.read_bytes() == b"A=old\n"
        assert mode(elsewhere) == 0o644


class TestCleanup:
    def test_debris_of_a_killed_run_is_removed(self, out: Path) -> None:
        """Temp links, unreferenced versions and dangling links of ours go; others stay."""
        write_files(out, {"core.env": b"A=1\n"})
        current = os.readlink(out / DATA_LINK)
        orphan = out / "..2020_01_01_00_00_00.000000000_deadbeef"
        orphan.mkdir()
        (orphan / "core.env").write_bytes(b"half")
        os.symlink(orphan.name, out / "..tmp.00112233")
        os.symlink("..data/gone.env", out / "gone.env")
        (out / "README").write_bytes(b"not ours\n")
        (out / ".hidden").write_bytes(b"not ours\n")
        write_files(out, {"core.env": b"A=1\n"})
        assert sorted(os.listdir(out)) == sorted(
            [current, DATA_LINK, LOCK_NAME, "core.env", "README", ".hidden"]
        )

    def test_previous_version_kept_until_next_run(self, out: Path) -> None:
        """The replaced version stays (for readers mid-open) until the next run removes it."""
        write_files(out, {"core.env": b"A=1\n"})
        first = os.readlink(out / DATA_LINK)
        write_files(out, {"core.env": b"A=2\n"})
        second = os.readlink(out / DATA_LINK)
        assert versions(out) == sorted([first, second])
        write_files(out, {"core.env": b"A=2\n"})
        assert versions(out) == [second]

    def test_keep_previous_false_removes_it_at_once(self, out: Path) -> None:
        """keep_previous=False leaves only the current version."""
        write_files(out, {"core.env": b"A=1\n"})
        write_files(out, {"core.env": b"A=2\n"}, keep_previous=False)
        assert versions(out) == [os.readlink(out / DATA_LINK)]


class TestDryRun:
    def test_missing_directory_is_not_created(self, out: Path) -> None:
        """A dry run into a missing directory reports every file as new and creates nothing."""
        report = write_files(out, {"core.env": b"A=1\n"}, dry_run=True)
        assert not out.exists()
        assert report == WriteReport(
            str(out), ("core.env",), (), added=("core.env",), created=True, dry_run=True
        )
        assert report.summary().startswith(f"would write {out}: 1 changed")

    def test_reports_changes_without_writing(self, out: Path) -> None:
        """A dry run names what would change and leaves the directory exactly as it was."""
        write_files(out, {"core.env": b"A=1\n", "monitoring.env": b"B=2\n"})
        listing, before = sorted(os.listdir(out)), snapshot(out)
        report = write_files(
            out, {"core.env": b"A=1\n", "monitoring.env": b"B=3\n", "x.env": b""}, dry_run=True
        )
        assert (report.changed, report.unchanged, report.added) == (
            ("monitoring.env", "x.env"),
            ("core.env",),
            ("x.env",),
        )
        assert sorted(os.listdir(out)) == listing
        assert snapshot(out) == before


class TestCheck:
    def test_names_files_that_differ_or_are_missing(self, out: Path) -> None:
        """check_files returns the names whose bytes on disk are not the given ones."""
        write_files(out, {"core.env": b"A=1\n", "monitoring.env": b"B=2\n"})
        files = {"core.env": b"A=1\n", "monitoring.env": b"B=3\n", "x.env": b"X\n"}
        assert check_files(out, files) == ("monitoring.env", "x.env")
        assert check_files(out, {"core.env": b"A=1\n"}) == ()

    def test_missing_directory_differs_entirely(self, out: Path) -> None:
        """Every name differs when the directory does not exist (and it is not created)."""
        assert check_files(out, {"b.env": b"", "a.env": b""}) == ("a.env", "b.env")
        assert not out.exists()

    def test_reads_plain_files_too(self, out: Path) -> None:
        """A plain file from the old script is compared by its bytes."""
        out.mkdir()
        (out / "core.env").write_bytes(b"A=1\n")
        assert check_files(out, {"core.env": b"A=1\n"}) == ()
        assert check_files(out, {"core.env": b"A=2\n"}) == ("core.env",)


class TestArguments:
    @pytest.mark.parametrize("name", ["", ".env", "..data", ".rideinfra.lock", "a/b", "x\0y"])
    def test_bad_file_name_is_refused_before_anything(self, out: Path, name: str) -> None:
        """A name that is not a plain, visible file name is refused; nothing is created."""
        with pytest.raises(ValueError, match="not a plain file name") as info:
            write_files(out, {"core.env": b"", name: b""})
        assert repr(name) in str(info.value)
        assert not out.exists()

    def test_content_must_be_bytes(self, out: Path) -> None:
        """Text content is refused with the file's name (encoding is the renderer's job)."""
        with pytest.raises(TypeError, match=r"content of core\.env must be bytes"):
            write_files(out, {"core.env": "A=1\n"})  # type: ignore[dict-item]

    @pytest.mark.parametrize(
        ("file_mode", "dir_mode"), [(0o1600, 0o700), (0o200, 0o700), (0o600, 0o600)]
    )
    def test_bad_modes_are_refused(self, out: Path, file_mode: int, dir_mode: int) -> None:
        """Modes outside 0o777, a file the owner cannot read, a dir without owner rwx."""
        with pytest.raises(ValueError, match="mode"):
            write_files(out, {"core.env": b""}, file_mode=file_mode, dir_mode=dir_mode)


class TestOutputDirectoryPolicy:
    def test_regular_file_is_refused(self, out: Path) -> None:
        """An output path that is a regular file: WriteError naming it; the file is kept."""
        out.write_bytes(b"keep me")
        for dry_run in (False, True):
            with pytest.raises(WriteError, match=f"output directory {out} exists but is a regular"):
                write_files(out, {"core.env": b""}, dry_run=dry_run)
        with pytest.raises(WriteError, match="regular file"):
            check_files(out, {"core.env": b""})
        assert out.read_bytes() == b"keep me"

    def test_parent_that_is_a_file_is_refused(self, out: Path) -> None:
        """A file where a parent directory should be: WriteError naming the path."""
        out.write_bytes(b"")
        with pytest.raises(WriteError, match=f"{out}/sub"):
            write_files(out / "sub", {"core.env": b""})

    @pytest.mark.parametrize("suffix", ["", "/", "//"])
    def test_symlinked_output_directory_is_refused(self, tmp_path: Path, suffix: str) -> None:
        """A symlink as the output directory is refused with its resolved path; nothing written."""
        real = tmp_path / "real"
        real.mkdir()
        (tmp_path / "link").symlink_to("real")
        with pytest.raises(WriteError) as info:
            write_files(str(tmp_path / "link") + suffix, {"core.env": b"A=1\n"})
        assert f"pass the resolved path {real} instead" in str(info.value)
        assert os.listdir(real) == []
        with pytest.raises(WriteError, match="is a symlink"):
            write_files(tmp_path / "link", {"core.env": b""}, dry_run=True)

    @pytest.mark.parametrize(
        "spelling",
        [
            "link/.",
            "link/./",
            "./link",
            "a/../link",
            "link/",
            "link//",
            "link/./.",
            "./a/../link/.",
        ],
        # Ids without "/": docs/reliability.md names tests by id.
        ids=lambda spelling: spelling.replace("/", "|"),
    )
    def test_every_spelling_of_a_symlinked_directory_is_refused(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str
    ) -> None:
        """Regression (issue 14 item 16): `link/.` wrote into the link's target."""
        real = tmp_path / "real"
        real.mkdir()
        (tmp_path / "a").mkdir()
        (tmp_path / "link").symlink_to("real")
        monkeypatch.chdir(tmp_path)
        for absolute in (False, True):
            given = str(tmp_path / spelling) if absolute else spelling
            with pytest.raises(WriteError, match="is a symlink"):
                write_files(given, {"core.env": b"A=1\n"})
            with pytest.raises(WriteError, match="is a symlink"):
                write_files(given, {"core.env": b"A=1\n"}, dry_run=True)
            with pytest.raises(WriteError, match="is a symlink"):
                check_files(given, {"core.env": b"A=1\n"})
        assert os.listdir(real) == []

    def test_dot_dot_after_a_link_is_resolved_as_the_kernel_does(self, tmp_path: Path) -> None:
        """`alias/../out` with `alias` a link is the out beside the link's target, not ./out."""
        (tmp_path / "deep" / "real").mkdir(parents=True)
        (tmp_path / "alias").symlink_to("deep/real")
        report = write_files(str(tmp_path / "alias" / ".." / "out"), {"core.env": b"A=1\n"})
        assert (tmp_path / "deep" / "out" / "core.env").read_bytes() == b"A=1\n"
        assert not (tmp_path / "out").exists()
        assert report.directory == str(tmp_path / "deep" / "out")

    def test_dot_dot_after_a_missing_directory_is_refused(self, tmp_path: Path) -> None:
        """`missing/../out` leads nowhere (the kernel says ENOENT): refused, nothing created."""
        with pytest.raises(WriteError, match="is not a directory"):
            write_files(str(tmp_path / "missing" / ".." / "out"), {"core.env": b""})
        assert os.listdir(tmp_path) == []

    def test_dangling_symlink_is_refused(self, tmp_path: Path) -> None:
        """A dangling symlink is refused too, and its target is not created."""
        (tmp_path / "link").symlink_to("nowhere")
        with pytest.raises(WriteError, match="is a symlink"):
            write_files(tmp_path / "link", {"core.env": b""})
        assert not (tmp_path / "nowhere").exists()

    def test_resolved_path_is_accepted(self, tmp_path: Path) -> None:
        """The same directory given by its resolved path is written."""
        real = tmp_path / "real"
        real.mkdir()
        (tmp_path / "link").symlink_to("real")
        write_files(os.path.realpath(tmp_path / "link"), {"core.env": b"A=1\n"})
        assert (tmp_path / "link" / "core.env").read_bytes() == b"A=1\n"

    def test_symlinks_in_parent_components_are_followed(self, tmp_path: Path) -> None:
        """Only the last component is checked: /var -> /private/var style parents work."""
        (tmp_path / "real").mkdir()
        (tmp_path / "alias").symlink_to("real")
        write_files(tmp_path / "alias" / "out", {"core.env": b"A=1\n"})
        assert (tmp_path / "real" / "out" / "core.env").read_bytes() == b"A=1\n"


def _as_nobody(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run Python code as an unprivileged user (root ignores permission bits)."""
    argv = [sys.executable, "-c", code]
    if os.geteuid() == 0:
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", *argv]
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)


class TestNotWritable:
    @pytest.fixture(name="shared")
    def _shared(self) -> Iterator[Path]:
        """A directory the unprivileged user can enter but not write (not under 0700 tmp)."""
        with readonly_tree("rideinfra-ro-") as top:
            yield top

    @pytest.mark.parametrize("dry_run", [False, True])
    @pytest.mark.parametrize("sub", ["ro", "ro/new"])
    def test_not_writable_is_a_write_error_naming_it(
        self, shared: Path, sub: str, dry_run: bool
    ) -> None:
        """An existing or missing directory that cannot be written: WriteError naming it."""
        code = (
            "from rideinfra.render.write import write_files\n"
            "from rideinfra.errors import WriteError\n"
            "try:\n"
            f"    write_files({str(shared / sub)!r}, {{'core.env': b'A=1'}}, dry_run={dry_run})\n"
            "except WriteError as exc:\n"
            "    print('WriteError:', exc)\n"
        )
        require_nobody()
        result = _as_nobody(code, shared)
        assert result.stderr == ""
        assert result.stdout.startswith("WriteError: ")
        assert str(shared / sub) in result.stdout
        assert "not writable" in result.stdout or "Permission denied" in result.stdout
        assert "choose another output directory" in result.stdout
        assert os.listdir(shared / "ro") == []


class TestPlantedLinks:
    @pytest.fixture(name="outside")
    def _outside(self, tmp_path: Path) -> Path:
        target = tmp_path / "passwd"
        target.write_bytes(b"root:x:0:0\n")
        return target

    def test_public_name_linked_elsewhere_is_refused(self, out: Path, outside: Path) -> None:
        """core.env -> /etc/passwd style: WriteError naming it; the target is untouched."""
        write_files(out, {"core.env": b"A=1\n"})
        (out / "core.env").unlink()
        (out / "core.env").symlink_to(outside)
        with pytest.raises(WriteError, match=f"{out}/core.env is a symlink to") as info:
            write_files(out, {"core.env": b"A=2\n"})
        assert "remove it" in str(info.value)
        assert outside.read_bytes() == b"root:x:0:0\n"
        with pytest.raises(WriteError, match="is a symlink"):
            check_files(out, {"core.env": b""})

    def test_data_link_elsewhere_is_refused(self, out: Path, tmp_path: Path) -> None:
        """A ..data link to a foreign directory is refused; nothing is written there."""
        out.mkdir()
        foreign = tmp_path / "foreign"
        foreign.mkdir()
        (out / DATA_LINK).symlink_to(foreign)
        with pytest.raises(WriteError, match="not to a rideinfra version"):
            write_files(out, {"core.env": b"A=1\n"})
        assert os.listdir(foreign) == []

    def test_data_that_is_not_a_link_is_refused(self, out: Path) -> None:
        """A real directory named ..data is not ours: refused, left as it is."""
        (out / DATA_LINK).mkdir(parents=True)
        (out / DATA_LINK / "core.env").write_bytes(b"theirs")
        with pytest.raises(WriteError, match=r"\.\.data is not a symlink"):
            write_files(out, {"core.env": b"A=1\n"})
        assert (out / DATA_LINK / "core.env").read_bytes() == b"theirs"

    def test_link_inside_the_version_is_not_followed(self, out: Path, outside: Path) -> None:
        """A version file swapped for a link is never read or written through."""
        write_files(out, {"core.env": b"A=1\n"})
        version = out / os.readlink(out / DATA_LINK)
        (version / "core.env").unlink()
        (version / "core.env").symlink_to(outside)
        with pytest.raises(WriteError, match=r"core\.env"):
            write_files(out, {"core.env": b"A=2\n"})
        assert outside.read_bytes() == b"root:x:0:0\n"

    def test_lock_file_linked_elsewhere_is_refused(self, out: Path, outside: Path) -> None:
        """The lock file is opened without following links."""
        out.mkdir()
        (out / LOCK_NAME).symlink_to(outside)
        with pytest.raises(WriteError, match=LOCK_NAME):
            write_files(out, {"core.env": b"A=1\n"})
        assert outside.read_bytes() == b"root:x:0:0\n"

    def test_directory_under_a_file_name_is_refused(self, out: Path) -> None:
        """A directory where a file should be: WriteError naming it."""
        (out / "core.env").mkdir(parents=True)
        with pytest.raises(WriteError, match=r"core\.env is a directory, not a file"):
            write_files(out, {"core.env": b"A=1\n"})

    def test_fifo_under_a_file_name_does_not_hang(self, out: Path) -> None:
        """A FIFO where a file should be is refused at once, not opened and waited on."""
        out.mkdir()
        os.mkfifo(out / "core.env")
        with pytest.raises(WriteError, match="special file"):
            write_files(out, {"core.env": b"A=1\n"})

    def test_error_messages_carry_no_content(self, out: Path, outside: Path) -> None:
        """A refused run's error names the file, never the content it would have written."""
        write_files(out, {"core.env": SECRET})
        (out / "monitoring.env").symlink_to(outside)
        with pytest.raises(WriteError) as info:
            write_files(out, {"core.env": SECRET + b"x", "monitoring.env": SECRET})
        assert "s3cr3t" not in str(info.value)
        assert "s3cr3t" not in repr(info.value)
        assert (out / "core.env").read_bytes() == SECRET


class TestReaders:
    FILES: ClassVar[dict[str, bytes]] = {
        "core.env": b"API_KEY='k$y with spaces'\n",
        "monitoring.env": b"GF=1\n",
    }

    def test_posix_sh_sources_the_public_name(self, out: Path) -> None:
        """`set -a; . dir/core.env` in dash reads the value through the links."""
        write_files(out, self.FILES)
        result = subprocess.run(
            ["dash", "-c", 'set -a; . "$1"; set +a; printf %s "$API_KEY"', "sh", out / "core.env"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout == "k$y with spaces"

    def test_compose_env_file_reads_the_public_name(self, out: Path, tmp_path: Path) -> None:
        """The real Compose v2 binary reads env_file: through the links."""
        write_files(out, {"core.env": b"API_KEY=abc\n"})
        (tmp_path / "compose.yml").write_text(
            f"services:\n  app:\n    image: busybox\n    env_file: [{out / 'core.env'}]\n"
        )
        result = subprocess.run(
            [compose_binary(), "-f", str(tmp_path / "compose.yml"), "config", "--format", "json"],
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
        )
        assert '"API_KEY": "abc"' in result.stdout

    def test_directory_works_wherever_it_is_mounted(self, out: Path, tmp_path: Path) -> None:
        """Every link is relative, so the directory seen at another path reads the same."""
        write_files(out, self.FILES)
        links = [e for e in os.listdir(out) if os.path.islink(out / e)]
        assert links
        assert not [e for e in links if os.readlink(out / e).startswith("/")]
        mounted = tmp_path / "elsewhere" / "run" / "secrets"
        shutil.copytree(out, mounted, symlinks=True)
        assert public(mounted) == self.FILES
