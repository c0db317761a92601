"""Schema versions: new stores, upgrades in place, stores newer than the program; backups;
and PostgreSQL connection failures. Runs on SQLite and on PostgreSQL alike unless marked.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from salw_nexus import db

from .conftest import TEST_DATABASE_URL, Run, Store, run_process, sqlite_only


def migrate(store: Store, direction: str, revision: str) -> None:
    """Run an Alembic command on the test's store (what an older release would have left)."""
    location = db.locate(store.target)
    engine = db.make_engine(location, writer=True, foreign_keys=False)
    try:
        with engine.begin() as connection:
            getattr(command, direction)(db.alembic_config(connection), revision)
    finally:
        engine.dispose()


def exported(run: Run) -> dict[str, Any]:
    result = run("export", "--format", "json")
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_revision_list_matches_the_migration_scripts() -> None:
    scripts = ScriptDirectory.from_config(db.alembic_config(None))
    assert tuple(reversed([s.revision for s in scripts.walk_revisions()])) == db.REVISIONS
    assert scripts.get_current_head() == db.HEAD


def test_migrations_build_exactly_the_models_schema(store: Store) -> None:
    """A store built by running every migration equals one built from the models."""
    migrate(store, "upgrade", "head")
    engine = db.make_engine(db.locate(store.target))
    try:
        with engine.connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection), SQLModel.metadata
            )
    finally:
        engine.dispose()
    assert differences == []


@pytest.fixture
def full(loaded: Run, tmp_path: Path) -> Run:
    """The seed plus records with everything filled in (agencies, items, officials, Cyrillic)."""
    loaded("add-training", "--title", "Курс", "--country", "TJ", "--start", "2025-09-01",
           "--end", "2025-09-03", "--participants", "9", "--female", "4", "--male", "5",
           "--agency", "МВД", "--agency", "ГКНБ", "--topic", "tracing")  # fmt: skip
    loaded("add-delivery", "--date", "2025-09-09", "--country", "KG", "--agency", "МВД",
           "--item", "Laptop:3", "--official", "A B:Major")  # fmt: skip
    return loaded


@pytest.mark.parametrize("made_before_migrations", [False, True])
def test_upgrade_from_the_first_revision_keeps_every_record(
    full: Run, store: Store, made_before_migrations: bool
) -> None:
    before = exported(full)
    links = store.rows("SELECT count(*) FROM training_agency")
    migrate(store, "downgrade", "0001")
    if made_before_migrations:  # the first release created tables without a version table
        engine = db.make_engine(db.locate(store.target), writer=True)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE alembic_version")
        engine.dispose()
    old = store.snapshot()

    refused = full("summary")
    assert refused.exit_code == 1
    assert "has schema revision 0001; this nexus needs 0002" in refused.stderr
    assert "nexus db upgrade" in refused.stderr
    assert store.snapshot() == old
    assert full("db", "current").stdout == "0001 (needs `nexus db upgrade` to 0002)\n"

    upgraded = full("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.stderr
    assert f"upgraded store {db.locate(store.target).label} from 0001 to 0002" in upgraded.stderr
    assert exported(full) == before
    assert store.rows("SELECT count(*) FROM training_agency") == links
    assert full("db", "current").stdout == "0002 (up to date)\n"
    assert "is up to date (0002)" in full("db", "upgrade").stderr
    if store.path is not None:
        assert store.rows("PRAGMA integrity_check") == [("ok",)]
        assert store.rows("PRAGMA foreign_key_check") == []


def test_upgraded_store_has_the_new_constraints(loaded: Run, store: Store) -> None:
    migrate(store, "downgrade", "0001")
    assert loaded("db", "upgrade").exit_code == 0
    engine = db.make_engine(db.locate(store.target), writer=True)
    pattern = r"ck_training_end_after_start|CHECK constraint failed"
    with pytest.raises(IntegrityError, match=pattern), engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE training SET \"end\" = '2000-01-01' WHERE id = 'kz-2022-10-firearms-trafficking'"
        )
    engine.dispose()


def test_store_newer_than_the_program_is_refused(loaded: Run, store: Store) -> None:
    engine = db.make_engine(db.locate(store.target), writer=True)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    engine.dispose()
    before = store.snapshot()
    for args in (("summary",), ("db", "upgrade"), ("load",)):
        result = loaded(*args)
        assert result.exit_code == 1, args
        assert "has schema revision 0099, newer than this nexus knows (0002)" in result.stderr
    assert loaded("db", "current").stdout == "0099 (newer than this nexus (0002))\n"
    assert store.snapshot() == before


def test_new_store_is_created_at_the_current_revision(nexus: Run, store: Store) -> None:
    if store.path is not None:  # a file that is not there yet; a server database always is
        missing = nexus("db", "current")
        assert missing.exit_code == 1
        assert f"no store at {store.path}" in missing.stderr
        assert not store.path.exists()  # reading never creates a store
        store.path.touch()
    assert (
        nexus("db", "current").stdout
        == "- (empty: a command that writes creates it at the current revision)\n"
    )
    assert nexus("db", "upgrade").exit_code == 0
    assert store.rows("SELECT version_num FROM alembic_version") == [("0002",)]


# --- backups ----------------------------------------------------------------------------


@sqlite_only
def test_backup_of_a_live_store_has_every_committed_row(
    loaded: Run, store: Store, tmp_path: Path
) -> None:
    assert store.path is not None
    keeper = sqlite3.connect(store.path)  # an open reader: committed rows stay in the -wal file
    keeper.execute("SELECT count(*) FROM training").fetchone()
    try:
        added = loaded("add-delivery", "--date", "2025-09-09", "--country", "KG", "--agency",
                       "МВД", "--item", "Laptop:3", "--no-input")  # fmt: skip
        assert added.exit_code == 0
        assert Path(f"{store.path}-wal").stat().st_size > 0
        naive = tmp_path / "copied.db"
        shutil.copyfile(store.path, naive)  # what a file copy of a live store gets
        backup = tmp_path / "backup.db"
        result = loaded("db", "backup", str(backup))
        assert result.exit_code == 0, result.stderr
        assert f"backed up {store.path} to {backup}" in result.stderr
    finally:
        keeper.close()

    def deliveries(path: Path) -> int:
        connection = sqlite3.connect(path)
        try:
            return int(connection.execute("SELECT count(*) FROM delivery").fetchone()[0])
        finally:
            connection.close()

    assert deliveries(naive) == 7  # the new handover was only in the -wal file
    assert deliveries(backup) == 8
    restored = run_process("--db", str(backup), "show", "kg-2025-09-09-laptop", "--format", "json")
    assert json.loads(restored.stdout)["items"] == [
        {"name": "Laptop", "quantity": 3, "value_usd": None}
    ]


def test_backup_refusals(loaded: Run, store: Store, tmp_path: Path) -> None:
    server = loaded("--db", "postgresql+psycopg://u:secret@127.0.0.1:1/x", "db", "backup", "f.db")
    assert server.exit_code == 1
    assert "is a server database" in server.stderr
    assert "pg_dump" in server.stderr
    assert "secret" not in server.stderr
    missing_dir = loaded("--db", str(tmp_path / "s.db"), "load")
    assert missing_dir.exit_code == 0
    nowhere = loaded("--db", str(tmp_path / "s.db"), "db", "backup", str(tmp_path / "no" / "b.db"))
    assert nowhere.exit_code == 1
    assert f"the directory {tmp_path / 'no'} does not exist" in nowhere.stderr
    absent = loaded("--db", str(tmp_path / "absent.db"), "db", "backup", str(tmp_path / "b.db"))
    assert absent.exit_code == 1
    assert f"no store at {tmp_path / 'absent.db'}" in absent.stderr


def test_db_path_hides_the_password(nexus: Run) -> None:
    result = nexus("--db", "postgresql+psycopg://nexus:secret@db.example/nexus", "db", "path")
    assert result.stdout == "postgresql+psycopg://nexus:***@db.example/nexus\n"


# --- connecting to a server ---------------------------------------------------------------


def test_unreachable_server_is_one_line_without_the_password(nexus: Run) -> None:
    result = nexus("--db", "postgresql+psycopg://nexus:secret@127.0.0.1:1/nexus", "summary")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: store postgresql+psycopg://nexus:***@127.0.0.1:1/nexus:"
    )
    assert "refused" in result.stderr.lower()
    assert "secret" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_driver_says_what_to_install(nexus: Run) -> None:
    result = nexus("--db", "mysql+pymysql://u:secret@127.0.0.1/x", "summary")
    assert result.exit_code == 1
    assert "the database driver is not installed (pymysql)" in result.stderr
    assert "secret" not in result.stderr


@pytest.mark.skipif(
    TEST_DATABASE_URL is None, reason="needs a PostgreSQL server (NEXUS_TEST_DATABASE_URL)"
)
def test_bad_credentials(nexus: Run) -> None:
    assert TEST_DATABASE_URL is not None
    url = make_url(TEST_DATABASE_URL).set(password="not-the-password")
    wrong = url.render_as_string(hide_password=False)
    result = nexus("--db", wrong, "summary")
    assert result.exit_code == 1
    assert "password authentication failed" in result.stderr
    assert "not-the-password" not in result.stderr
