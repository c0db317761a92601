"""Where the store is, and what is refused when opening it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from salw_nexus.cli import app

from .conftest import Run, Store, run_process, sqlite_only


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
        connection.execute(f"PRAGMA busy_timeout = {round(db.DEFAULT_LOCK_TIMEOUT_S * 1000)}")
        db._use_wal(connection.cursor(), db.DEFAULT_LOCK_TIMEOUT_S)
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
