"""Where the store is, and how to open it.

- ``--db`` / ``NEXUS_DB`` take a path (SQLite; ``~`` expanded; relative to the current
  directory) or a SQLAlchemy URL (``postgresql+psycopg://...``). Without either, the
  store is ``nexus.db`` in the user data directory (platformdirs), created on first use.
- SQLite is opened in WAL mode with a busy timeout and foreign keys on. Python's sqlite3
  module opens transactions lazily and not at all for some statements; here the driver's
  own handling is switched off and SQLAlchemy emits ``BEGIN`` itself (``BEGIN IMMEDIATE``
  for a writer, so two writers queue on the busy timeout instead of failing mid-way).
- Refused with a message naming the path: a directory that does not exist (only the
  default directory is created), a file that is not a SQLite database, and in-memory
  SQLite (everything would be lost at exit).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

APP_NAME = "salw-nexus"
DEFAULT_FILE = "nexus.db"
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class StoreLocation:
    """A resolved store: the SQLAlchemy URL, and how to name it to a person."""

    url: str
    label: str
    path: Path | None = None  # set for SQLite files

    @property
    def is_sqlite(self) -> bool:
        return self.path is not None


def default_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / DEFAULT_FILE


def locate(db: str | None) -> StoreLocation:
    """Resolve ``--db``/``NEXUS_DB`` (already merged by the CLI) to a store location."""
    if not db:
        path = default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return _sqlite_location(path)
    if "://" in db:
        return _url_location(db)
    if db.strip() in (":memory:", ""):
        raise _in_memory(db)
    return _sqlite_location(Path(db).expanduser().absolute())


def _in_memory(db: str) -> StoreError:
    return StoreError(
        f"refusing the in-memory store {db!r}: everything recorded would be lost at exit",
        hint="Give a file path with --db (or NEXUS_DB).",
    )


def _url_location(url: str) -> StoreLocation:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"--db: {url!r} is not a database URL or a path") from None
    label = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise _in_memory(label)
        return _sqlite_location(Path(parsed.database).expanduser().absolute())
    return StoreLocation(url=url, label=label)


def _sqlite_location(path: Path) -> StoreLocation:
    if not path.parent.is_dir():
        raise StoreError(
            f"cannot open store {path}: the directory {path.parent} does not exist",
            hint="Create the directory first, or give another --db path.",
        )
    if path.is_dir():
        raise StoreError(f"cannot open store {path}: it is a directory")
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
        if header != SQLITE_HEADER:
            raise StoreError(
                f"cannot open store {path}: the file is not a SQLite database",
                hint="Point --db at a nexus store, or at a path that does not exist yet.",
            )
    return StoreLocation(url=f"sqlite:///{path}", label=str(path), path=path)


def _use_wal(cursor: Any) -> None:
    """Put the store in WAL mode (a no-op once it is).

    Processes opening a brand-new store at the same moment can deadlock on the change to
    WAL (each holds a shared lock and wants the exclusive one); SQLite then answers one of
    them "database is locked" at once, without waiting out the busy timeout. That one
    tries again until the other is done, within the same timeout.
    """
    import sqlite3
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _sqlite_events(engine: Engine, *, writer: bool, foreign_keys: bool = True) -> None:
    from sqlalchemy import event

    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (below)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")  # durable with WAL, at commit
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)


def make_engine(
    location: StoreLocation, *, writer: bool = False, foreign_keys: bool = True
) -> Engine:
    import orjson
    from sqlmodel import create_engine

    # orjson reads the JSON list columns: on a long listing, json.loads was a quarter of
    # the work. Writes keep json.dumps, so the stored text is unchanged.
    if location.is_sqlite:
        engine = create_engine(location.url, json_deserializer=orjson.loads)
        _sqlite_events(engine, writer=writer, foreign_keys=foreign_keys)
        return engine
    try:
        return create_engine(location.url, pool_pre_ping=True, json_deserializer=orjson.loads)
    except ModuleNotFoundError as exc:
        raise StoreError(
            f"store {location.label}: the database driver is not installed ({exc.name})",
            hint="For PostgreSQL: pip install 'salw-nexus[postgres]'",
        ) from None


# --- schema versions (Alembic) -----------------------------------------------------------

# The migrations in salw_nexus/migrations/versions, oldest first (a test checks the list).
REVISIONS = ("0001", "0002")
HEAD = REVISIONS[-1]
WRITER_LOCK = 7_238_001  # PostgreSQL advisory lock taken by every writer (SQLite: BEGIN IMMEDIATE)


def lock_for_writing(connection: Any) -> None:
    """Serialise writers on PostgreSQL as BEGIN IMMEDIATE does on SQLite."""
    from sqlalchemy import text

    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK})


def stored_revision(connection: Any) -> str | None:
    """The store's schema revision; None for an empty store.

    A store made before migrations existed (tables, no ``alembic_version``) is at 0001.
    """
    from sqlalchemy import inspect, text

    inspector = inspect(connection)
    if inspector.has_table("alembic_version"):
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return None if revision is None else str(revision)
    return REVISIONS[0] if inspector.has_table("training") else None


def alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "salw_nexus:migrations")
    config.attributes["connection"] = connection
    return config


def upgrade(location: StoreLocation) -> tuple[str | None, str]:
    """Bring the store to HEAD in one transaction; returns (revision before, after).

    A new store gets the tables of the current models and is stamped HEAD (Alembic's
    recipe for a database built from scratch). SQLite runs with foreign keys off during a
    migration: it alters a table by copying it, and dropping the old copy would otherwise
    cascade into the rows that refer to it. The keys are checked before the commit.
    """
    from alembic import command
    from sqlalchemy import text
    from sqlmodel import SQLModel

    from . import models  # noqa: F401  (registers the tables on SQLModel.metadata)

    engine = make_engine(location, writer=True, foreign_keys=False)
    try:
        with engine.begin() as connection:
            lock_for_writing(connection)
            before = stored_revision(connection)  # read under the lock: a racing creator waits
            config = alembic_config(connection)
            if before is None:
                SQLModel.metadata.create_all(connection)
                command.stamp(config, HEAD)
                return None, HEAD
            if before not in REVISIONS:
                raise _newer(location, before)
            if before == REVISIONS[0] and not _has_version_table(connection):
                command.stamp(config, before)
            command.upgrade(config, "head")
            if location.is_sqlite:
                broken = connection.execute(text("PRAGMA foreign_key_check")).all()
                if broken:
                    raise StoreError(
                        f"store {location.label}: the upgrade broke {len(broken)} reference(s); nothing was changed"
                    )
            return before, HEAD
    finally:
        engine.dispose()


def _has_version_table(connection: Any) -> bool:
    from sqlalchemy import inspect

    return bool(inspect(connection).has_table("alembic_version"))


def _newer(location: StoreLocation, revision: str) -> StoreError:
    return StoreError(
        f"store {location.label} has schema revision {revision}, newer than this nexus knows "
        f"({HEAD})",
        hint="Upgrade nexus itself (pip install -U salw-nexus) before using this store.",
    )


def check_revision(engine: Engine, location: StoreLocation) -> None:
    """Create a new store; refuse one whose schema is older or newer than this program's.

    Decision: an older store is not upgraded behind the user's back (on a shared database
    others may still run the older nexus); the message says to back up and upgrade.
    """
    with engine.connect() as connection:
        revision = stored_revision(connection)
        connection.rollback()
    if revision == HEAD:
        return
    if revision is None:
        upgrade(location)
        return
    if revision in REVISIONS:
        raise StoreError(
            f"store {location.label} has schema revision {revision}; this nexus needs {HEAD}",
            hint="Back it up (nexus db backup FILE), then run: nexus db upgrade",
        )
    raise _newer(location, revision)


@contextmanager
def session_scope(db: str | None, *, writer: bool = False) -> Iterator[Session]:
    """A session on the store, inside one transaction: committed on success, else rolled back.

    Writers are serialised (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL).
    Database failures are turned into a StoreError that names the store.
    """
    from sqlmodel import Session

    location = locate(db)
    engine = make_engine(location, writer=writer)
    try:
        with translated(location):
            check_revision(engine, location)
            # No autobegin: a read after the block (a listing consumed too late) fails
            # loudly instead of opening a transaction nobody ends.
            with Session(engine, autobegin=False) as session, session.begin():
                if writer:
                    lock_for_writing(session.connection())
                yield session
    finally:
        engine.dispose()


@contextmanager
def translated(location: StoreLocation) -> Iterator[None]:
    """Database failures become one StoreError line naming the store (password hidden)."""
    from sqlalchemy.exc import DBAPIError

    try:
        yield
    except DBAPIError as exc:
        path = location.path
        if path is not None and not (
            os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))
        ):
            raise StoreError(
                f"store {location.label} is read-only: {describe(exc)}",
                hint="SQLite writes beside the store (its -wal and -shm files): make the file "
                "and its directory writable, or copy the store somewhere that is.",
            ) from exc
        raise StoreError(f"store {location.label}: {describe(exc)}") from exc


def backup(location: StoreLocation, target: Path) -> None:
    """A consistent copy of a live SQLite store, through SQLite's online backup API.

    Never a file copy: with WAL, committed rows may still be in the -wal file. The copy is
    written beside the target and renamed into place, so a failed backup leaves no half file.
    """
    import sqlite3

    if location.path is None:
        raise StoreError(
            f"nexus db backup copies SQLite stores; {location.label} is a server database",
            hint="Back up PostgreSQL with its own tool: pg_dump --format=custom DBNAME > FILE",
        )
    if not location.path.exists():
        raise StoreError(f"store {location.label} does not exist yet: nothing to back up")
    target = target.expanduser().absolute()
    if target.resolve() == location.path.resolve():
        raise StoreError(f"{target}: is the store itself; choose another file")
    if not target.parent.is_dir():
        raise StoreError(f"{target}: the directory {target.parent} does not exist")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        source = sqlite3.connect(location.path)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise StoreError(f"backup of {location.label} to {target} failed: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)


def describe(exc: Exception) -> str:
    """The database's own words for a failure, without SQL or parameters."""
    original = getattr(exc, "orig", None) or exc
    return str(original).splitlines()[0] if str(original) else type(original).__name__
