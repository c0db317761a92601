"""Files read and written: outputs never destroy what they should not touch, and record
files that are not files, never end or are not UTF-8 are refused at once.

The full-disk cases run on a small tmpfs in a private mount namespace (``unshare -m``),
a real full disk; they are skipped, saying why, where that is not allowed.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import threading
from pathlib import Path

import pytest

from salw_nexus import files
from salw_nexus.errors import FileError

from .conftest import (
    NEXUS_SCRIPT,
    Run,
    Store,
    files_on,
    needs_tmpfs,
    on_small_disk,
    run_process,
    sqlite_only,
    write,
)


def _fingerprint(path: Path) -> tuple[int, bytes]:
    return path.stat().st_mode, path.read_bytes()


# --- 1. never over the store ------------------------------------------------------------


@sqlite_only
@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
@pytest.mark.parametrize("command", [["export"], ["report", "-q", "2025-Q1"]])
def test_output_onto_the_store_is_refused(
    loaded: Run, store: Store, suffix: str, command: list[str]
) -> None:
    assert store.path is not None
    before = store.snapshot()
    target = Path(f"{store.path}{suffix}")
    target.touch()  # the -wal and -shm files exist while the store is in use
    kept = target.read_bytes()
    result = loaded(*command, "-o", str(target))
    assert result.exit_code == 1
    assert f"{target}: is the store itself" in result.stderr
    assert target.read_bytes() == kept
    assert store.snapshot() == before


@sqlite_only
def test_output_onto_the_store_by_another_name_is_refused(
    loaded: Run, store: Store, tmp_path: Path
) -> None:
    assert store.path is not None
    linked = tmp_path / "linked.yaml"
    linked.symlink_to(store.path)
    hard = tmp_path / "hard.yaml"
    os.link(store.path, hard)
    before = store.snapshot()
    for target in (linked, hard, tmp_path / "." / "store.db"):
        result = loaded("export", "-o", str(target))
        assert result.exit_code == 1, target
        assert "is the store itself" in result.stderr
    assert store.snapshot() == before
    assert linked.is_symlink()


@sqlite_only
def test_csv_export_into_the_store_directory_keeps_the_store(
    loaded: Run, store: Store, tmp_path: Path
) -> None:
    assert store.path is not None
    trap = tmp_path / "tables"
    trap.mkdir()
    (trap / "trainings.csv").symlink_to(store.path)
    before = store.snapshot()
    result = loaded("export", "--format", "csv", "-o", str(trap))
    assert result.exit_code == 1
    assert "trainings.csv: is the store itself" in result.stderr
    assert store.snapshot() == before
    assert not (trap / "projects.csv").exists()  # refused before anything was written


def test_text_is_not_written_over_another_database(loaded: Run, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    assert loaded("--db", str(other), "load").exit_code == 0
    kept = other.read_bytes()
    result = loaded("export", "-o", str(other))
    assert result.exit_code == 1
    assert "is a SQLite database" in result.stderr
    assert other.read_bytes() == kept


# --- 2. db backup refuses an existing file without --force -------------------------------


@sqlite_only
def test_backup_keeps_an_existing_file_unless_forced(
    loaded: Run, store: Store, tmp_path: Path
) -> None:
    assert store.path is not None
    other = tmp_path / "other.db"
    assert (
        loaded("--db", str(other), "load", str(write(tmp_path, "v.yaml", "version: 1\n"))).exit_code
        == 0
    )
    kept = other.read_bytes()
    refused = loaded("db", "backup", str(other))
    assert refused.exit_code == 1
    assert f"{other}: exists already; nothing was written" in refused.stderr
    assert "--force" in refused.stderr
    assert other.read_bytes() == kept
    forced = loaded("db", "backup", "--force", str(other))
    assert forced.exit_code == 0, forced.stderr
    copy = json.loads(run_process("--db", str(other), "export", "-f", "json").stdout)
    assert len(copy["deliveries"]) == 7
    for target in (store.path, Path(f"{store.path}-wal")):
        itself = loaded("db", "backup", "--force", str(target))
        assert itself.exit_code == 1
        assert "is the store itself" in itself.stderr


@sqlite_only
def test_backup_into_a_directory_is_a_clear_error(loaded: Run, tmp_path: Path) -> None:
    result = loaded("db", "backup", str(tmp_path))
    assert result.exit_code == 1
    assert f"{tmp_path}: is a directory; give a file name" in result.stderr
    assert "unexpected" not in result.stderr
    assert [p.name for p in tmp_path.parent.iterdir() if "nexus-tmp" in p.name] == []


# --- 3. FIFOs, devices and links are written through, never replaced ---------------------


def test_output_into_a_fifo_is_written_through(loaded: Run, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = loaded("export", "--format", "json", "-o", str(fifo))
    reader.join(timeout=30)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    document = json.loads(received[0])
    assert document["version"] == 2
    assert len(document["deliveries"]) == 7  # all of it came through the pipe


def test_output_onto_a_character_device_is_written_through(loaded: Run, tmp_path: Path) -> None:
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # another /dev/null
    except PermissionError:
        pytest.skip("making a device node needs CAP_MKNOD")
    for command in (["export"], ["report", "-q", "2025-Q1"]):
        result = loaded(*command, "-o", str(device))
        assert result.exit_code == 0, result.stderr
        assert stat.S_ISCHR(device.stat().st_mode)
        assert device.stat().st_rdev == os.makedev(1, 3)


def test_block_devices_and_sockets_are_refused(loaded: Run, tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    try:
        os.mknod(disk, stat.S_IFBLK | 0o600, os.makedev(7, 250))  # a loop device number
    except PermissionError:
        pytest.skip("making a device node needs CAP_MKNOD")
    result = loaded("export", "-o", str(disk))
    assert result.exit_code == 1
    assert (
        f"{disk}: is a block device; nexus writes files, FIFOs and character devices only"
        in result.stderr
    )
    assert stat.S_ISBLK(disk.stat().st_mode)


def test_a_symbolic_link_is_kept_and_its_file_replaced(loaded: Run, tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("old\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    result = loaded("export", "-o", str(link))
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8").startswith("version: 2\nsources:\n")


# --- 4. a full disk leaves the old CSV set whole -----------------------------------------


@sqlite_only
@needs_tmpfs
def test_csv_export_on_a_full_disk_leaves_the_old_set_whole(
    loaded: Run, store: Store, tmp_path: Path
) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    old = {"deliveries.csv": "old deliveries\n", "projects.csv": "old projects\n",
           "trainings.csv": "old trainings\n"}  # fmt: skip
    setup = [f"printf %s {shlex.quote(text)} > {disk}/{name}" for name, text in old.items()]
    export, listing = on_small_disk(
        tmp_path, disk, setup=setup, env={"NEXUS_DB": store.target},
        commands=[[str(NEXUS_SCRIPT), "export", "--format", "csv", "-o", str(disk)],
                  files_on(disk)],
    )  # fmt: skip
    assert export.returncode == 1
    assert f"the disk holding {disk} is full; nothing was written" in export.stderr
    assert "Traceback" not in export.stderr
    assert json.loads(listing.stdout) == old  # every old table as it was, no temporary left


@sqlite_only
@needs_tmpfs
def test_export_on_a_full_disk_keeps_the_old_file(
    loaded: Run, store: Store, tmp_path: Path
) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    export, listing = on_small_disk(
        tmp_path, disk, setup=[f"printf 'my old export' > {disk}/record.yaml"],
        env={"NEXUS_DB": store.target},
        commands=[[str(NEXUS_SCRIPT), "export", "-o", str(disk / "record.yaml")], files_on(disk)],
    )  # fmt: skip
    assert export.returncode == 1
    assert f"{disk / 'record.yaml'}: the disk holding {disk} is full" in export.stderr
    assert json.loads(listing.stdout) == {"record.yaml": "my old export"}


def test_a_set_that_cannot_be_completed_is_put_back(tmp_path: Path) -> None:
    """The second of three files cannot be replaced when its turn comes (made immutable
    after the checks; on Windows: a table open in Excel): the first, already renamed into
    place, is put back, so the set stays the old one. Through files.write_files itself:
    the command line cannot reach between its checks and its renames."""
    tables = tmp_path / "tables"
    tables.mkdir()
    names = ("projects.csv", "trainings.csv", "deliveries.csv")
    old = {name: f"old {name}\n" for name in names}
    for name, text in old.items():
        (tables / name).write_text(text)
    chosen = {files.target(tables / name): f"new {name}\n" for name in names}
    if subprocess.run(["chattr", "+i", str(tables / "trainings.csv")], check=False).returncode:
        pytest.skip("needs chattr +i (an ext4-like file system)")
    try:
        with pytest.raises(
            FileError, match=r"trainings\.csv: cannot write: Operation not permitted"
        ):
            files.write_files(chosen)
    finally:
        subprocess.run(["chattr", "-i", str(tables / "trainings.csv")], check=True)
    assert {p.name: p.read_text() for p in tables.iterdir()} == old  # and nothing left over


# --- 5. the target keeps its mode; a new file gets the umask's ----------------------------


def test_export_keeps_the_mode_of_the_file_it_replaces(loaded: Run, tmp_path: Path) -> None:
    private = tmp_path / "private.yaml"
    private.write_text("old\n")
    private.chmod(0o600)
    assert loaded("export", "-o", str(private)).exit_code == 0
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    previous = os.umask(0o027)
    try:
        fresh = tmp_path / "fresh.yaml"
        assert loaded("report", "-q", "2025-Q1", "-o", str(fresh)).exit_code == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640


# --- 6. what a killed write left behind is removed ---------------------------------------


def _dead_pid() -> int:
    finished = subprocess.Popen(["true"])
    finished.wait()
    return finished.pid


def test_stale_temporary_files_are_removed_on_the_next_write(loaded: Run, tmp_path: Path) -> None:
    dead = _dead_pid()
    stale = [tmp_path / f".out.yaml.nexus-tmp-{dead}", tmp_path / f".out.yaml.nexus-kept-{dead}"]
    live = tmp_path / f".out.yaml.nexus-tmp-{os.getppid()}"  # a process that is running
    # Names merely like a temporary file's are not nexus's to delete (an editor's draft).
    drafts = [tmp_path / f".out.yaml.tmp-{dead}", tmp_path / f".out.yaml.partial-{dead}"]
    # Left by an earlier process that had this one's id (ids repeat, in containers above all):
    # never in use by anyone now, and in the way of this process's own temporary file.
    own = tmp_path / f".out.yaml.nexus-tmp-{os.getpid()}"
    stale.append(own)
    unrelated = tmp_path / f".other.yaml.nexus-tmp-{dead}"
    for path in [*stale, live, unrelated, *drafts]:
        path.write_text("half a file")
    assert loaded("export", "-o", str(tmp_path / "out.yaml")).exit_code == 0
    assert [p for p in stale if p.exists()] == []
    assert live.exists()
    assert unrelated.exists()  # another target's: left for its own next write
    assert all(p.exists() for p in drafts)


@sqlite_only
def test_a_store_named_like_a_leftover_is_never_removed(tmp_path: Path) -> None:
    store = tmp_path / f".out.yaml.nexus-tmp-{_dead_pid()}"
    env = {"NEXUS_DB": str(store)}
    assert run_process("load", env=env).returncode == 0
    assert run_process("export", "-o", str(tmp_path / "out.yaml"), env=env).returncode == 0
    assert store.exists()
    assert len(json.loads(run_process("export", "-f", "json", env=env).stdout)["deliveries"]) == 7


@sqlite_only
def test_the_real_files_of_a_store_opened_through_a_link_are_protected(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    assert run_process("--db", str(real / "x.db"), "load").returncode == 0
    link = tmp_path / "link.db"
    link.symlink_to(real / "x.db")
    (real / "x.db-wal").touch()  # as while another process has the store open
    result = run_process("--db", str(link), "export", "-o", str(real / "x.db-wal"))
    assert result.returncode == 1
    assert "is the store itself" in result.stderr
    assert (real / "x.db-wal").read_bytes() == b""


def test_very_long_file_names_fit_their_temporary_names(loaded: Run, tmp_path: Path) -> None:
    long_name = "b" * 245 + ".yaml"  # 250: a temporary name made by adding to it would not fit
    assert loaded("export", "-o", str(tmp_path / long_name)).exit_code == 0
    assert (tmp_path / long_name).read_text(encoding="utf-8").startswith("version: 2\nsources:\n")


@sqlite_only
def test_very_long_backup_names_fit_their_temporary_names(loaded: Run, tmp_path: Path) -> None:
    backup = loaded("db", "backup", str(tmp_path / ("c" * 250 + ".db")))
    assert backup.exit_code == 0, backup.stderr


@sqlite_only
def test_a_killed_backup_leaves_nothing_the_next_one_keeps(loaded: Run, tmp_path: Path) -> None:
    dead = _dead_pid()
    leftovers = [tmp_path / f".b.db.nexus-tmp-{dead}", tmp_path / f".b.db.nexus-tmp-{dead}-journal"]
    for path in leftovers:
        path.write_text("half a database")
    assert loaded("db", "backup", str(tmp_path / "b.db")).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".b.db")) == []


# --- 15. record files that are not files, or never end ------------------------------------


@pytest.mark.parametrize("command", ["check", "load"])
def test_devices_and_fifos_are_refused_at_once(tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "no-writer"
    os.mkfifo(fifo)
    env = {"NEXUS_DB": str(tmp_path / "s.db")}
    for path, kind in (
        ("/dev/zero", "a character device"),
        (str(fifo), "a FIFO"),
        (str(tmp_path), "a directory"),
    ):
        result = run_process(command, path, env=env, timeout=60)  # a hang fails here
        assert result.returncode == 1
        assert f"{path}: is {kind}" in result.stderr
        assert "not a record file" in result.stderr
    assert not (tmp_path / "s.db").exists()


def test_the_size_limit_counts_bytes_read_not_what_stat_says(
    nexus: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /proc files say 0 bytes in stat and have more.
    monkeypatch.setenv("NEXUS_MAX_FILE_BYTES", "10")
    result = nexus("check", "/proc/self/status")
    assert result.exit_code == 1
    assert "/proc/self/status: file is over the limit of 10 bytes" in result.stderr


def test_a_bad_size_limit_is_a_usage_error(
    nexus: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NEXUS_MAX_FILE_BYTES", "lots")
    result = nexus("check", str(write(tmp_path, "r.yaml", "version: 1\n")))
    assert result.exit_code == 2
    assert "NEXUS_MAX_FILE_BYTES must be a whole number of bytes from 1 to" in result.stderr
    assert "got 'lots'" in result.stderr


# --- 22. UTF-16 -----------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_files_are_named_as_such(nexus: Run, tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "records.yaml"
    path.write_bytes("version: 1\ntrainings: []\n".encode(encoding))
    for command in ("check", "load"):
        result = nexus(command, str(path))
        assert result.exit_code == 1
        name = "UTF-32" if encoding == "utf-32" else "UTF-16"
        assert f"{path}:1: {name} text; save the file as UTF-8" in result.stderr


def test_a_nul_byte_in_utf8_names_its_line(nexus: Run, tmp_path: Path) -> None:
    path = tmp_path / "records.yaml"
    path.write_bytes(b"version: 1\n" + b"x" * 300 + b"\ntrainings:\x00 []\n")
    result = nexus("check", str(path))
    assert result.exit_code == 1
    assert f"{path}:3: a NUL byte: this is not a text file" in result.stderr


def test_a_setuid_target_keeps_its_bits(loaded: Run, tmp_path: Path) -> None:
    special = tmp_path / "special.yaml"
    special.write_text("old\n")
    special.chmod(0o4755)
    assert loaded("export", "-o", str(special)).exit_code == 0
    assert stat.S_IMODE(special.stat().st_mode) == 0o4755
