"""Schema versions: new stores, upgrades in place, stores newer than the program; backups;
and PostgreSQL connection failures. Runs on SQLite and on PostgreSQL alike unless marked.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from salw_nexus import db
from salw_nexus.models import search_key

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


# --- a store as an older release left it -----------------------------------------------------

STAMP = dt.datetime(2025, 10, 1, 12, 0, tzinfo=dt.timezone.utc)
TRAINING_SOURCE = "UNODC press release, 2 September 2025"
HANDOVER_SOURCE = "UNODC press release on the handovers in Kazakhstan, April 2025"

# Records in the format of version 1 (free-text sources, agencies by name, value_usd): what
# the stores of the first releases hold (store_of_release), and a record file of that time.
V1_RECORDS: dict[str, Any] = {
    "version": 1,
    "projects": [
        {"id": "tac-nexus", "title": "Addressing the Terrorism-Arms-Crime Nexus",
         "implementers": ["UNODC", "UNOCT"], "donors": ["Canada"],
         "frameworks": ["UNSC Resolution 2370 (2017)"], "source": HANDOVER_SOURCE,
         "notes": None},
    ],
    "trainings": [
        {"id": "tj-2025-09-firearms-tracing", "project": "tac-nexus",
         "title": "Курс по отслеживанию огнестрельного оружия", "country": "TJ",
         "city": "Душанбе", "start": "2025-09-01", "end": "2025-09-03", "participants": 9,
         "approximate": False, "female": 4, "male": 5, "audience": ["следователи"],
         "agencies": ["МВД", "Министерство внутренних дел", "ГКНБ"], "topics": ["tracing"],
         "organisers": ["UNODC"], "source": TRAINING_SOURCE, "notes": None},
        {"id": "kz-2022-11-firearms-trafficking", "project": "tac-nexus",
         "title": "Countering Firearms Trafficking", "country": "KZ", "city": None,
         "start": "2022-11-14", "end": "2022-11-18", "participants": 20, "approximate": True,
         "female": None, "male": None, "audience": ["prosecutors"],
         "agencies": ["Ministry of Internal Affairs", "National Security Committee"],
         "topics": [], "organisers": ["UNODC", "UNOCT"], "source": None,
         "notes": "Told by a participant; no document."},
    ],
    "deliveries": [
        # The ministry in another case than the training's: one agency, two rows in 0001.
        {"id": "kz-2025-04-10-laptop", "project": "tac-nexus", "date": "2025-04-10",
         "country": "KZ", "agency": "ministry of internal affairs", "unit": "Forensic Centre",
         "items": [{"name": "Laptop", "quantity": 3, "value_usd": 1200.5},
                   {"name": "Comparison microscope", "quantity": None, "value_usd": None}],
         "purpose": "ballistic analysis",
         "officials": [{"name": "A. Bekov", "title": "Deputy Minister"}],
         "source": HANDOVER_SOURCE, "notes": None},
    ],
}  # fmt: skip

# Their export once upgraded: version 2, the texts become sources, the names agencies.
TRAINING_SOURCE_ID = "unodc-press-release-2-september-2025-a72d2d"
HANDOVER_SOURCE_ID = "unodc-press-release-on-the-handovers-3a6afa"
KZ_MVD = "kz-ministry-of-internal-affairs"
V2_EXPORT: dict[str, Any] = {
    "version": 2,
    "sources": [
        {"id": TRAINING_SOURCE_ID, "title": TRAINING_SOURCE, "publisher": None, "kind": None,
         "date": None, "url": None, "language": None},
        {"id": HANDOVER_SOURCE_ID, "title": HANDOVER_SOURCE, "publisher": None, "kind": None,
         "date": None, "url": None, "language": None},
    ],
    "agencies": [
        {"id": KZ_MVD, "country": "KZ", "name": "Ministry of Internal Affairs", "names": {},
         "aliases": ["ministry of internal affairs"]},
        {"id": "kz-national-security-committee", "country": "KZ",
         "name": "National Security Committee", "names": {}, "aliases": []},
        {"id": "tj-gknb", "country": "TJ", "name": "ГКНБ", "names": {}, "aliases": []},
        {"id": "tj-ministerstvo-vnutrennikh-del", "country": "TJ",
         "name": "Министерство внутренних дел", "names": {}, "aliases": []},
        {"id": "tj-mvd", "country": "TJ", "name": "МВД", "names": {}, "aliases": []},
    ],
    "projects": [
        {"id": "tac-nexus", "title": "Addressing the Terrorism-Arms-Crime Nexus",
         "start": None, "end": None, "implementers": ["UNODC", "UNOCT"], "donors": ["Canada"],
         "frameworks": ["UNSC Resolution 2370 (2017)"], "iati": None, "indicators": [],
         "sources": [HANDOVER_SOURCE_ID], "notes": None},
    ],
    "trainings": [
        {"id": "kz-2022-11-firearms-trafficking", "project": "tac-nexus",
         "title": "Countering Firearms Trafficking", "country": "KZ", "city": None,
         "start": "2022-11-14", "end": "2022-11-18", "participants": 20, "approximate": True,
         "female": None, "male": None, "audience": ["prosecutors"],
         "agencies": [KZ_MVD, "kz-national-security-committee"], "topics": [],
         "organisers": ["UNODC", "UNOCT"], "sources": [],
         "notes": "Told by a participant; no document."},
        {"id": "tj-2025-09-firearms-tracing", "project": "tac-nexus",
         "title": "Курс по отслеживанию огнестрельного оружия", "country": "TJ",
         "city": "Душанбе", "start": "2025-09-01", "end": "2025-09-03", "participants": 9,
         "approximate": False, "female": 4, "male": 5, "audience": ["следователи"],
         "agencies": ["tj-mvd", "tj-ministerstvo-vnutrennikh-del", "tj-gknb"],
         "topics": ["tracing"], "organisers": ["UNODC"], "sources": [TRAINING_SOURCE_ID],
         "notes": None},
    ],
    "deliveries": [
        {"id": "kz-2025-04-10-laptop", "project": "tac-nexus", "date": "2025-04-10",
         "country": "KZ", "agency": KZ_MVD, "unit": "Forensic Centre",
         "items": [{"name": "Laptop", "category": "other", "quantity": 3, "value": 1200.5,
                    "currency": "USD"},
                   {"name": "Comparison microscope", "category": "other", "quantity": None,
                    "value": None, "currency": None}],
         "purpose": "ballistic analysis",
         "officials": [{"name": "A. Bekov", "title": "Deputy Minister"}],
         "sources": [HANDOVER_SOURCE_ID], "notes": None},
    ],
}  # fmt: skip

COLUMN_TYPES: dict[str, Any] = {
    "created_at": sa.DateTime(timezone=True), "updated_at": sa.DateTime(timezone=True),
    "start": sa.Date(), "end": sa.Date(), "date": sa.Date(), "approximate": sa.Boolean(),
    "implementers": sa.JSON(), "donors": sa.JSON(), "frameworks": sa.JSON(),
    "audience": sa.JSON(), "topics": sa.JSON(), "organisers": sa.JSON(),
}  # fmt: skip


def _insert(connection: Any, name: str, rows: list[dict[str, Any]]) -> None:
    columns = [sa.column(key, COLUMN_TYPES.get(key)) for key in rows[0]]
    connection.execute(sa.table(name, *columns).insert(), rows)


def _old_rows(records: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Version 1 records as the tables of schema 0001/0002 hold them (what its load wrote)."""
    stamps = {"fingerprint": "written-by-0.1", "created_at": STAMP, "updated_at": STAMP}
    tables: dict[str, list[dict[str, Any]]] = {
        name: [] for name in ("agency", "project", "training", "training_agency", "delivery",
                              "delivery_item", "official")
    }  # fmt: skip
    agency_ids: dict[tuple[str, str], int] = {}

    def agency(country: str, name: str) -> int:
        if (country, name) not in agency_ids:  # numbered as met, one row per exact name
            agency_ids[country, name] = len(agency_ids) + 1
            tables["agency"].append({"id": agency_ids[country, name], "country": country,
                                     "name": name, "search_key": search_key(name)})  # fmt: skip
        return agency_ids[country, name]

    def day(text: str) -> dt.date:
        return dt.date.fromisoformat(text)

    for record in records["projects"]:
        tables["project"].append({**stamps, **record})
    for record in records["trainings"]:
        row = {**stamps, **record, "start": day(record["start"]), "end": day(record["end"])}
        row["project_id"] = row.pop("project")
        for position, name in enumerate(row.pop("agencies")):
            tables["training_agency"].append({"training_id": record["id"], "position": position,
                                              "agency_id": agency(record["country"], name)})  # fmt: skip
        tables["training"].append(row)
    for record in records["deliveries"]:
        row = {**stamps, **record, "date": day(record["date"])}
        row["project_id"] = row.pop("project")
        row["agency_id"] = agency(record["country"], row.pop("agency"))
        for part in ("items", "officials"):
            table = "delivery_item" if part == "items" else "official"
            for position, values in enumerate(row.pop(part)):
                tables[table].append({"delivery_id": record["id"], "position": position, **values})
        tables["delivery"].append(row)
    return tables


def store_of_release(store: Store, revision: str, records: dict[str, Any] = V1_RECORDS) -> None:
    """Make ``store`` as a nexus of schema ``revision`` (0001 or 0002) left it, with
    ``records`` (version 1) in it."""
    migrate(store, "upgrade", revision)
    engine = db.make_engine(db.locate(store.target), writer=True)
    try:
        with engine.begin() as connection:
            for name, rows in _old_rows(records).items():
                if rows:
                    _insert(connection, name, rows)
    finally:
        engine.dispose()


def execute(store: Store, *statements: str) -> None:
    engine = db.make_engine(db.locate(store.target), writer=True)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def check_sqlite(store: Store) -> None:
    if store.path is not None:
        assert store.rows("PRAGMA integrity_check") == [("ok",)]
        assert store.rows("PRAGMA foreign_key_check") == []


@pytest.mark.parametrize("made_before_migrations", [False, True])
def test_upgrade_from_the_first_revision_keeps_every_record(
    nexus: Run, store: Store, made_before_migrations: bool
) -> None:
    store_of_release(store, "0001")
    if made_before_migrations:  # the first release created tables without a version table
        execute(store, "DROP TABLE alembic_version")
    old = store.snapshot()

    refused = nexus("summary")
    assert refused.exit_code == 1
    assert f"has schema revision 0001; this nexus needs {db.HEAD}" in refused.stderr
    assert "nexus db upgrade" in refused.stderr
    assert store.snapshot() == old
    assert nexus("db", "current").stdout == f"0001 (needs `nexus db upgrade` to {db.HEAD})\n"

    upgraded = nexus("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.stderr
    label = db.locate(store.target).label
    assert f"upgraded store {label} from 0001 to {db.HEAD}" in upgraded.stderr
    assert exported(nexus) == V2_EXPORT
    assert store.rows("SELECT count(*) FROM training_agency") == [(5,)]
    assert nexus("db", "current").stdout == f"{db.HEAD} (up to date)\n"
    assert f"is up to date ({db.HEAD})" in nexus("db", "upgrade").stderr
    check_sqlite(store)


def test_upgrade_from_0002_keeps_every_record(nexus: Run, store: Store, tmp_path: Path) -> None:
    store_of_release(store, "0002")
    upgraded = nexus("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.stderr
    assert f"from 0002 to {db.HEAD}" in upgraded.stderr
    assert exported(nexus) == V2_EXPORT
    check_sqlite(store)
    # Fingerprints emptied: the next load of a record file rewrites them.
    for table in ("source", "agency", "project", "training", "delivery"):
        assert store.rows(f"SELECT DISTINCT fingerprint FROM {table}") == [("",)], table

    # The export loads as it is into a new store, which exports it again unchanged.
    exported_file = tmp_path / "v2.json"
    exported_file.write_text(json.dumps(V2_EXPORT, ensure_ascii=False), encoding="utf-8")
    again = str(tmp_path / "again.db")
    assert nexus("--db", again, "load", str(exported_file)).exit_code == 0
    assert exported(lambda *args: nexus("--db", again, *args)) == V2_EXPORT

    # The same records loaded from a version 1 file into a new store: the same export, but
    # that a load finds "ministry of internal affairs" by its name key and keeps no alias
    # of it, where the upgrade keeps the spelling the store held (a second agency row).
    old_file = tmp_path / "v1.json"
    old_file.write_text(json.dumps(V1_RECORDS, ensure_ascii=False), encoding="utf-8")
    fresh = str(tmp_path / "fresh.db")
    loaded = nexus("--db", fresh, "load", str(old_file))
    assert loaded.exit_code == 0, loaded.stderr
    expected = json.loads(json.dumps(V2_EXPORT))
    expected["agencies"][0]["aliases"] = []
    assert exported(lambda *args: nexus("--db", fresh, *args)) == expected


def test_upgraded_agencies_are_found_by_any_of_their_names(nexus: Run, store: Store) -> None:
    store_of_release(store, "0002")
    assert nexus("db", "upgrade").exit_code == 0

    def found(agency: str) -> list[str]:
        result = nexus("trainings", "--agency", agency, "--format", "json")
        assert result.exit_code == 0, result.stderr
        return [training["id"] for training in json.loads(result.stdout)]

    assert found("внутренних") == ["tj-2025-09-firearms-tracing"]
    assert found("мвд") == ["tj-2025-09-firearms-tracing"]
    assert found("MINISTRY OF INTERNAL") == ["kz-2022-11-firearms-trafficking"]
    assert store.rows(f"SELECT search_key FROM agency WHERE id = '{KZ_MVD}'") == [
        ("ministry of internal affairs",)
    ]


def test_upgrade_lists_an_agency_once_where_two_rows_became_one(store: Store) -> None:
    """A training of a store written by other means lists both spellings of one agency:
    it keeps the first, and its positions run from 0 again."""
    store_of_release(store, "0002")
    execute(
        store,
        "INSERT INTO training_agency (training_id, position, agency_id) SELECT "
        "'kz-2022-11-firearms-trafficking', 2, id FROM agency "
        "WHERE name = 'ministry of internal affairs'",
        "UPDATE training_agency SET position = 3 WHERE position = 1 "
        "AND training_id = 'kz-2022-11-firearms-trafficking'",
    )
    migrate(store, "upgrade", "head")
    links = store.rows(
        "SELECT position, agency_id FROM training_agency "
        "WHERE training_id = 'kz-2022-11-firearms-trafficking' ORDER BY position"
    )
    assert links == [(0, KZ_MVD), (1, "kz-national-security-committee")]
    check_sqlite(store)


def test_made_agency_ids_keep_clear_of_record_ids(store: Store) -> None:
    """Ids of records and agencies are one namespace: a made id is not a record's."""
    records = json.loads(json.dumps(V1_RECORDS))
    records["trainings"][0]["id"] = "tj-mvd"
    store_of_release(store, "0002", records)
    migrate(store, "upgrade", "head")
    assert ("tj-mvd-2",) in store.rows("SELECT id FROM agency")
    assert ("tj-mvd",) not in store.rows("SELECT id FROM agency")


def test_downgrade_goes_back_to_the_old_schema(store: Store) -> None:
    """Lossy (an agency's aliases, a source's other fields, categories), but it runs: a
    store can go back to an older release, and its records are the old ones."""
    store_of_release(store, "0002")
    queries = [
        "SELECT id, title, implementers, donors, frameworks, source, notes, created_at "
        "FROM project",
        "SELECT id, source, project_id, city FROM training ORDER BY id",
        "SELECT delivery_id, position, name, quantity, value_usd FROM delivery_item "
        "ORDER BY delivery_id, position",
        "SELECT delivery_id, position, name, title FROM official",
        "SELECT id, source, unit, date FROM delivery",
    ]
    before = [store.rows(query) for query in queries]
    migrate(store, "upgrade", "head")
    migrate(store, "downgrade", "0002")
    check_sqlite(store)
    assert [store.rows(query) for query in queries] == before
    assert store.rows("SELECT DISTINCT fingerprint FROM training") == [("",)]
    assert store.rows("SELECT id, source FROM training ORDER BY id") == [
        ("kz-2022-11-firearms-trafficking", None),
        ("tj-2025-09-firearms-tracing", TRAINING_SOURCE),
    ]
    # The two spellings of the Kazakh ministry stay one agency: the alias is lost.
    assert store.rows("SELECT country, name FROM agency ORDER BY id") == [
        ("KZ", "Ministry of Internal Affairs"),
        ("KZ", "National Security Committee"),
        ("TJ", "ГКНБ"),
        ("TJ", "Министерство внутренних дел"),
        ("TJ", "МВД"),
    ]
    assert store.rows("SELECT a.name FROM delivery d JOIN agency a ON a.id = d.agency_id") == [
        ("Ministry of Internal Affairs",)
    ]
    assert store.rows(
        "SELECT a.name FROM training_agency l JOIN agency a ON a.id = l.agency_id "
        "WHERE l.training_id = 'tj-2025-09-firearms-tracing' ORDER BY l.position"
    ) == [("МВД",), ("Министерство внутренних дел",), ("ГКНБ",)]
    # A nexus of 0002 numbers its next agency after these (PostgreSQL: the sequence is set).
    execute(store, "INSERT INTO agency (country, name, search_key) VALUES ('UZ', 'MVD', 'mvd')")
    assert store.rows("SELECT id FROM agency WHERE country = 'UZ'") == [(6,)]
    migrate(store, "downgrade", "0001")
    migrate(store, "upgrade", "head")
    check_sqlite(store)


def test_downgrade_of_a_loaded_store_runs(loaded: Run, store: Store) -> None:
    before = exported(loaded)
    migrate(store, "downgrade", "0001")
    check_sqlite(store)
    agencies = {name for (name,) in store.rows("SELECT name FROM agency")}
    assert agencies == {agency["name"] for agency in before["agencies"]}
    # Several sources are joined by title; a value in USD is kept, other currencies are not.
    assert loaded("db", "upgrade").exit_code == 0
    after = exported(loaded)
    for kind in ("projects", "trainings", "deliveries"):
        assert [r["id"] for r in after[kind]] == [r["id"] for r in before[kind]]


def test_upgraded_store_has_the_new_constraints(nexus: Run, store: Store) -> None:
    store_of_release(store, "0001")
    assert nexus("db", "upgrade").exit_code == 0
    engine = db.make_engine(db.locate(store.target), writer=True)
    try:
        pattern = r"ck_training_end_after_start|CHECK constraint failed"
        with pytest.raises(IntegrityError, match=pattern), engine.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE training SET \"end\" = '2000-01-01' "
                "WHERE id = 'kz-2022-11-firearms-trafficking'"
            )
        pattern = r"ck_delivery_item_amounts|CHECK constraint failed"
        with pytest.raises(IntegrityError, match=pattern), engine.begin() as connection:
            connection.exec_driver_sql("UPDATE delivery_item SET value = -1")
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.exec_driver_sql("UPDATE delivery_item SET category = NULL")
    finally:
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
        assert f"has schema revision 0099, newer than this nexus knows ({db.HEAD})" in result.stderr
    assert loaded("db", "current").stdout == f"0099 (newer than this nexus ({db.HEAD}))\n"
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
    assert store.rows("SELECT version_num FROM alembic_version") == [(db.HEAD,)]


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
    assert restored.returncode == 0, restored.stderr
    assert json.loads(restored.stdout)["items"] == [
        {"name": "Laptop", "category": "other", "quantity": 3, "value": None, "currency": None}
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
