"""Where the store is, and what is refused when opening it."""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import subprocess
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from salw_nexus import db, settings
from salw_nexus.cli import app

from .conftest import (
    NEXUS_SCRIPT,
    Run,
    Store,
    needs_read_only_mount,
    needs_tmpfs,
    on_read_only_disk,
    on_small_disk,
    run_process,
    sqlite_only,
)


def test_default_store_is_in_the_user_data_directory(tmp_path: Path) -> None:
    # HOME and XDG_DATA_HOME point into tmp_path (conftest); NEXUS_DB is unset.
    result = CliRunner().invoke(app, ["load"])
    assert result.exit_code == 0, result.stderr
    expected = tmp_path / "home" / ".local" / "share" / "salw-nexus" / "nexus.db"
    assert expected.is_file()
    path = CliRunner().invoke(app, ["db", "path"])
    assert path.stdout.strip() == str(expected)


def test_db_option_wins_over_environment(nexus: Run, store: Store, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    assert nexus("--db", str(other), "load").exit_code == 0
    assert other.is_file()
    assert not store.exists()


def test_tilde_is_expanded(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--db", "~/records.db", "load"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "home" / "records.db").is_file()


def test_sqlite_url_is_accepted(tmp_path: Path) -> None:
    store = tmp_path / "url.db"
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{store}", "load"])
    assert result.exit_code == 0, result.stderr
    assert store.is_file()


def test_missing_directory_is_refused(tmp_path: Path) -> None:
    store = tmp_path / "no" / "such" / "dir" / "x.db"
    result = CliRunner().invoke(app, ["--db", str(store), "load"])
    assert result.exit_code == 1
    assert f"cannot open store {store}" in result.stderr
    assert f"the directory {store.parent} does not exist" in result.stderr
    assert not store.parent.exists()


def test_file_that_is_not_a_database_is_refused_and_kept(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my precious notes\n" * 10)
    result = CliRunner().invoke(app, ["--db", str(notes), "load"])
    assert result.exit_code == 1
    assert f"cannot open store {notes}: the file is not a SQLite database" in result.stderr
    assert notes.read_text() == "my precious notes\n" * 10


@pytest.mark.parametrize("target", ["sqlite://", "sqlite:///:memory:", ":memory:"])
def test_in_memory_store_is_refused(target: str) -> None:
    result = CliRunner().invoke(app, ["--db", target, "load"])
    assert result.exit_code == 1
    assert "refusing the in-memory store" in result.stderr
    assert "lost at exit" in result.stderr


@sqlite_only
def test_store_is_wal_with_foreign_keys(loaded: Run, store: Store) -> None:
    connection = sqlite3.connect(str(store.path))
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    finally:
        connection.close()
    assert {
        "project",
        "training",
        "delivery",
        "agency",
        "training_agency",
        "delivery_item",
        "official",
    } <= tables


def test_agencies_are_shared_per_country_and_name(loaded: Run, store: Store) -> None:
    rows = store.rows(
        "SELECT country, count(*) FROM agency WHERE name = 'Ministry of Internal Affairs' GROUP BY country"
    )
    # KG and KZ each have the MIA at a training and at a handover: one row per country.
    uses = store.rows(
        "SELECT count(*) FROM delivery d JOIN agency a ON a.id = d.agency_id WHERE a.country = 'KG'"
    )
    assert dict(rows) == {"KG": 1, "KZ": 1, "TJ": 1, "TM": 1, "UZ": 1}
    assert uses == [(1,)]


@sqlite_only  # a SQLite trigger makes the database itself refuse the write
def test_failure_inside_the_database_is_one_clear_line_and_rolls_back(
    nexus: Run, store: Store, tmp_path: Path
) -> None:
    assert nexus("load").exit_code == 0
    connection = sqlite3.connect(str(store.path))
    connection.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON delivery_item "
        "BEGIN SELECT RAISE(ABORT, 'items are frozen'); END"
    )
    connection.commit()
    connection.close()
    before = store.snapshot()
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "version: 1\ntrainings:\n  - {id: t-new, title: New, country: KZ, start: 2025-01-01, end: 2025-01-01}\n"
        "deliveries:\n  - {id: d-new, date: 2025-01-02, country: KZ, agency: MIA, items: [{name: Laptop}]}\n"
    )
    result = run_process("load", str(extra), env={"NEXUS_DB": store.target})
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: store {store.path}: items are frozen")
    assert "Traceback" not in result.stderr
    assert store.snapshot() == before  # the training added before the failure is gone too


def _open_at(path: str, start: float, results: Any) -> None:
    """What the store's connect hook does on a new file, from the moment ``start``."""
    import time

    from salw_nexus import db

    while time.time() < start:  # all processes connect at the same moment
        pass
    try:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute(f"PRAGMA busy_timeout = {round(settings.DEFAULT_LOCK_TIMEOUT_S * 1000)}")
        db._use_wal(connection.cursor(), settings.DEFAULT_LOCK_TIMEOUT_S)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("CREATE TABLE IF NOT EXISTS t (x)")
        connection.execute("COMMIT")
        results.put("ok")
    except Exception as exc:  # reported to the test, which shows it
        results.put(repr(exc))


@sqlite_only
def test_processes_opening_a_new_store_at_once(tmp_path: Path) -> None:
    """Three processes open the same brand-new store at once, sixty times over. Without
    the retry of the change to WAL, about one round in four had a process fail at once
    with "database is locked" (the cause of a rare failure of two concurrent adds)."""
    import multiprocessing
    import time

    context = multiprocessing.get_context("fork")  # the modules are imported once, here
    import salw_nexus.db  # noqa: F401

    failures = []
    for round_ in range(60):
        results = context.Queue()
        start = time.time() + 0.02
        workers = [
            context.Process(target=_open_at, args=(str(tmp_path / f"{round_}.db"), start, results))
            for _ in range(3)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        failures += [r for r in (results.get(timeout=5) for _ in workers) if r != "ok"]
    assert failures == []


def test_sqlite_uris_of_local_files_and_windows_shares() -> None:
    """Readers open the file by URI (read-only): SQLite takes no host in one."""
    assert db.sqlite_uri(PureWindowsPath(r"\\server\share\nexus.db"), "mode=ro") == (
        "file:////server/share/nexus.db?mode=ro"
    )
    assert db.sqlite_uri(PureWindowsPath(r"C:\Users\me\nexus.db"), "mode=ro") == (
        "file:///C:/Users/me/nexus.db?mode=ro"
    )
    assert db.sqlite_uri(PurePosixPath("/tmp/a b#c?%.db"), "mode=ro") == (
        "file:///tmp/a%20b%23c%3F%25.db?mode=ro"
    )


def test_a_store_whose_name_holds_uri_characters(tmp_path: Path) -> None:
    store = tmp_path / "a b#c?%&.db"
    assert CliRunner().invoke(app, ["--db", str(store), "load"]).exit_code == 0
    listed = CliRunner().invoke(app, ["--db", str(store), "trainings", "-f", "json"])
    assert listed.exit_code == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 2
    copy = CliRunner().invoke(app, ["--db", str(store), "db", "backup", str(tmp_path / "b.db")])
    assert copy.exit_code == 0, copy.stderr


# --- 13. only writes create a store ---------------------------------------------------------

READS = [
    ["summary"], ["trainings"], ["handovers"], ["show", "x"], ["export"],
    ["report", "-q", "2025-Q1"], ["db", "current"], ["db", "check"],
]  # fmt: skip


@sqlite_only
@pytest.mark.parametrize("command", READS, ids=[" ".join(c) for c in READS])
def test_reading_a_store_that_is_not_there_creates_nothing(
    nexus: Run, store: Store, command: list[str]
) -> None:
    result = nexus(*command)
    assert result.exit_code == 1
    assert f"error: no store at {store.path}" in result.stderr
    assert "`nexus load` creates it" in result.stderr
    assert not store.exists()


def test_reading_the_default_store_before_any_write_creates_nothing(tmp_path: Path) -> None:
    data_home = tmp_path / "home" / ".local" / "share"
    for command in (["summary"], ["trainings", "-f", "json"]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 1
        assert f"no store at {data_home / 'salw-nexus' / 'nexus.db'}" in result.stderr
    assert not (data_home / "salw-nexus").exists()


@sqlite_only
def test_edit_and_remove_never_create_a_store(nexus: Run, store: Store) -> None:
    assert nexus("edit", "x", "--city", "Almaty").exit_code == 1
    assert nexus("remove", "x", "--yes").exit_code == 1
    assert not store.exists()


@sqlite_only
def test_a_dry_run_creates_no_store(nexus: Run, store: Store) -> None:
    result = nexus("load", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "dry run: nothing was written" in result.stderr
    assert "│ deliveries │     7 │       0 │         0 │" in result.stdout
    assert not store.exists()


def test_a_store_that_cannot_be_created_says_where_and_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", "/proc/nexus")  # no directory can be made there
    result = CliRunner().invoke(app, ["load"])
    assert result.exit_code == 1
    assert "cannot create the store's directory /proc/nexus/salw-nexus" in result.stderr
    assert "--db" in result.stderr
    assert "unexpected" not in result.stderr


def test_a_database_of_another_program_is_left_alone(tmp_path: Path) -> None:
    other = tmp_path / "places.sqlite"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    connection.close()
    kept = other.read_bytes()
    for command in (["load"], ["trainings"], ["db", "upgrade"]):
        result = CliRunner().invoke(app, ["--db", str(other), *command])
        assert result.exit_code == 1, command
        assert (
            f"{other} is not a nexus store: it holds another program's tables (moz_places)"
            in result.stderr
        )
    assert other.read_bytes() == kept


# --- 14. a damaged store ------------------------------------------------------------------------


def _damage(path: Path) -> None:
    """Overwrite the middle of the training table's first page, as a bad disk would."""
    with sqlite3.connect(path) as connection:
        root = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'training'"
        ).fetchone()[0]
        page = connection.execute("PRAGMA page_size").fetchone()[0]
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    with path.open("r+b") as handle:
        handle.seek((root - 1) * page)
        handle.write(b"\xff" * 64)


@sqlite_only
def test_a_damaged_store_refuses_writes_and_names_the_way_out(
    loaded: Run, store: Store, tmp_path: Path
) -> None:
    assert store.path is not None
    _damage(store.path)
    damaged = store.path.read_bytes()
    for command in (
        ["load"],
        ["add-delivery", "--date", "2025-01-01", "--country", "KZ", "--agency", "X",
         "--item", "Y", "--no-input"],
        ["edit", "kz-2022-10-firearms-trafficking", "--city", "Astana"],
    ):  # fmt: skip
        result = loaded(*command)
        assert result.exit_code == 1, command
        assert f"error: store {store.path} is damaged" in result.stderr
        assert "nothing was written" in result.stderr
        assert "Restore it from a backup" in result.stderr
        assert "nexus export -o rescued.yaml" in result.stderr
    listing = loaded("trainings")  # a read that meets the damage
    assert listing.exit_code == 1
    assert "is damaged (database disk image is malformed)" in listing.stderr
    backup = loaded("db", "backup", str(tmp_path / "copy.db"))
    assert backup.exit_code == 1
    assert f"error: store {store.path} is damaged" in backup.stderr
    assert "no backup was written" in backup.stderr
    assert not (tmp_path / "copy.db").exists()
    check = loaded("db", "check")
    assert check.exit_code == 1
    assert f"store {store.path} is damaged: " in check.stderr
    assert store.path.read_bytes() == damaged
    assert [p.name for p in tmp_path.iterdir() if "nexus-tmp" in p.name] == []


@sqlite_only
def test_db_check_of_a_sound_store(loaded: Run, store: Store) -> None:
    result = loaded("db", "check")
    assert result.exit_code == 0, result.stderr
    assert f"store {store.path}: no damage found" in result.stderr


# --- 18. a full disk -----------------------------------------------------------------------------


@sqlite_only
@needs_tmpfs
def test_a_load_on_a_full_disk_says_so_and_writes_nothing(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    store = disk / "full.db"
    records = tmp_path / "many.json"
    records.write_text(
        json.dumps(
            {
                "version": 1,
                "trainings": [
                    {
                        "id": f"t-{n}",
                        "title": f"Course {n}",
                        "country": "KZ",
                        "start": "2024-03-04",
                        "end": "2024-03-06",
                        "participants": 12,
                        "agencies": [f"Agency {n}"],
                    }
                    for n in range(2000)
                ],
            }
        ),
        encoding="utf-8",
    )
    nexus = str(NEXUS_SCRIPT)
    load, add, _, exported = on_small_disk(
        tmp_path, disk, setup=[shlex.join([nexus, "load"])], env={"NEXUS_DB": str(store)},
        size="2m",
        commands=[
            [nexus, "load", str(records)],
            [nexus, "add-delivery", "--date", "2025-01-01", "--country", "KZ", "--agency",
             "A new agency with a long name " * 20, "--item", "Laptop", "--no-input"],
            ["rm", str(disk / ".filler")],  # room again (SQLite needs a little even to read)
            [nexus, "export", "-f", "json"],
        ],
    )  # fmt: skip
    for result in (load, add):
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith(
            f"error: the disk holding {store} is full; nothing was written"
        ), result.stderr
        assert "savepoint" not in result.stderr
    assert exported.returncode == 0, exported.stderr
    document = json.loads(exported.stdout)
    assert (len(document["trainings"]), len(document["deliveries"])) == (2, 7)


# --- 19. a lock held too long ----------------------------------------------------------------------


def test_a_writer_kept_waiting_names_the_store_and_the_way_out(
    loaded: Run, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds the write lock all along: the outcome cannot depend on timing."""
    before = store.snapshot()
    holder = create_engine(store.url())
    with holder.connect() as connection:
        if store.path is not None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": db.WRITER_LOCK})
        monkeypatch.setenv("NEXUS_LOCK_TIMEOUT", "0.2")
        result = loaded("add-delivery", "--date", "2025-01-01", "--country", "KZ", "--agency",
                        "X", "--item", "Y", "--no-input")  # fmt: skip
        connection.rollback()
    holder.dispose()
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: store {db.locate(store.target).label} is busy: another process has held its "
        "write lock for 0.2 s; nothing was written"
    )
    assert "NEXUS_LOCK_TIMEOUT" in result.stderr
    assert store.snapshot() == before


def test_a_bad_lock_timeout_is_a_usage_error(loaded: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXUS_LOCK_TIMEOUT", "soon")
    result = loaded("summary")
    assert result.exit_code == 2
    assert (
        "NEXUS_LOCK_TIMEOUT must be a number of seconds from 0 to 86,400, got 'soon'"
        in result.stderr
    )


# --- 20. a store on a read-only disk is read ---------------------------------------------------


@sqlite_only
@needs_read_only_mount
def test_a_store_on_a_read_only_disk_can_be_read(store_of_its_own: Path) -> None:
    store, folder = store_of_its_own, store_of_its_own.parent
    summary, listing, shown, exported = on_read_only_disk(
        folder,
        [["summary", "-f", "json"], ["handovers", "-c", "TJ", "-f", "json"],
         ["show", "kz-2022-10-firearms-trafficking", "-f", "json"], ["export", "-f", "json"]],
        {"NEXUS_DB": str(store)},
    )  # fmt: skip
    for result in (summary, listing, shown, exported):
        assert result.returncode == 0, result.stderr
    assert len(json.loads(summary.stdout)) == 4
    assert len(json.loads(listing.stdout)) == 2
    assert json.loads(shown.stdout)["participants"] == 20
    assert len(json.loads(exported.stdout)["deliveries"]) == 7


@sqlite_only
@needs_read_only_mount
def test_a_read_only_store_with_changes_still_in_its_wal_says_so(store_of_its_own: Path) -> None:
    store, folder = store_of_its_own, store_of_its_own.parent
    keeper = sqlite3.connect(store)  # open, so the change stays in the -wal file
    keeper.execute("PRAGMA wal_autocheckpoint = 0")
    keeper.execute("UPDATE project SET notes = 'changed'")
    keeper.commit()
    try:
        (result,) = on_read_only_disk(folder, [["summary"]], {"NEXUS_DB": str(store)})
    finally:
        keeper.close()
    assert result.returncode == 1
    assert (
        f"store {store} is on a read-only disk with changes still in {store}-wal" in result.stderr
    )


# --- an id names one record -----------------------------------------------------------------


def test_an_id_names_one_record_of_any_kind(loaded: Run, store: Store, tmp_path: Path) -> None:
    before = store.snapshot()
    training_id = "kz-2022-10-firearms-trafficking"
    added = loaded("add-delivery", "--id", training_id, "--date", "2025-01-01", "--country",
                   "KZ", "--agency", "X", "--item", "Y", "--no-input")  # fmt: skip
    assert added.exit_code == 1
    assert f"--id: a training with the id '{training_id}' exists already" in added.stderr
    clash = tmp_path / "clash.yaml"
    clash.write_text(
        "version: 1\ndeliveries:\n  - {id: " + training_id + ", date: 2025-01-01, country: KZ,"
        " agency: X, items: [{name: Y}]}\n"
    )
    loaded_clash = loaded("load", str(clash))
    assert loaded_clash.exit_code == 1
    assert (
        f"{clash}:3: delivery id '{training_id}' is the id of a training in the store already"
        in loaded_clash.stderr
    )
    in_file = tmp_path / "in-file.yaml"
    in_file.write_text(
        "version: 1\ntrainings:\n  - {id: same, title: T, country: KZ, start: 2025-01-01,"
        " end: 2025-01-01}\ndeliveries:\n  - {id: same, date: 2025-01-01, country: KZ,"
        " agency: X, items: [{name: Y}]}\n"
    )
    for command in ("check", "load"):
        result = loaded(command, str(in_file))
        assert result.exit_code == 1
        assert (
            f"{in_file}:5: delivery id 'same' is used twice (first at {in_file}:3, by a training)"
            in result.stderr
        )
    assert store.snapshot() == before


@sqlite_only
def test_an_id_two_records_of_an_older_store_share_is_never_guessed(
    loaded: Run, store: Store
) -> None:
    assert store.path is not None
    with sqlite3.connect(store.path) as connection:  # as an earlier release allowed
        connection.execute(
            "UPDATE delivery SET id = 'kz-2022-10-firearms-trafficking' "
            "WHERE id = 'kz-2024-11-15-it-equipment'"
        )
    connection.close()
    before = store.snapshot()
    for command in (["show"], ["edit", "--city", "Almaty"], ["remove", "--yes"]):
        result = loaded(command[0], "kz-2022-10-firearms-trafficking", *command[1:])
        assert result.exit_code == 1, command
        assert "names a training and a delivery" in result.stderr
        assert "nothing was done" in result.stderr
    assert store.snapshot() == before


# --- what cannot be a store, or an id -------------------------------------------------------------


def test_what_cannot_be_a_store_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "store.fifo"
    os.mkfifo(fifo)
    for target, said in (
        (str(fifo), f"cannot open store {fifo}: it is a FIFO (named pipe)"),
        ("foo://bar", "store foo://bar: not a kind of database nexus can use"),
    ):
        result = run_process("--db", target, "trainings", timeout=60)  # a hang fails here
        assert result.returncode == 1, result.stderr
        assert said in result.stderr
        assert "unexpected" not in result.stderr


def test_ids_and_options_that_are_not_text_are_answered(loaded: Run, store: Store) -> None:
    env = {"NEXUS_DB": store.target, "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    for args, code, said in (
        (["show", "café"], 1, "no training, delivery or project has the id 'café'"),
        (["remove", "--yes", "\udcff"], 1, "no training, delivery or project has the id"),
        (["trainings", "--agency", "\udcff"], 2, "--agency: not UTF-8 text"),
        (["handovers", "--project", "\udcff"], 2, "--project: not UTF-8 text"),
    ):
        result = subprocess.run(
            [str(NEXUS_SCRIPT), *[os.fsencode(a) for a in args]], env={**os.environ, **env},
            capture_output=True, text=True, errors="replace", timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == code, (args, result.stderr)
        assert said in result.stderr
        assert "unexpected" not in result.stderr


@sqlite_only
def test_a_store_with_dates_from_before_the_bounds_still_reports(loaded: Run, store: Store) -> None:
    assert store.path is not None
    with sqlite3.connect(store.path) as connection:  # written by SQL, or an earlier release
        connection.execute(
            "UPDATE training SET start = '0001-01-01', \"end\" = '9999-12-31' "
            "WHERE id = 'kg-2022-10-firearms-trafficking'"
        )
    connection.close()
    summary = loaded("summary", "-f", "json")
    assert summary.exit_code == 0, summary.stderr
    assert json.loads(summary.stdout)[0]["period"] == "1-Q1"
    report = loaded("report", "-q", "2025-Q1")
    assert report.exit_code == 0, report.stderr
    assert len(report.stdout.splitlines()) < 600  # a chart from 1990, not from year 1
