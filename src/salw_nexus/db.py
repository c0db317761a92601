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


def _sqlite_events(engine: Engine, *, writer: bool) -> None:
    from sqlalchemy import event

    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (below)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")  # durable with WAL, at commit
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)


def make_engine(location: StoreLocation, *, writer: bool = False) -> Engine:
    from sqlmodel import create_engine

    if location.is_sqlite:
        engine = create_engine(location.url)
        _sqlite_events(engine, writer=writer)
        return engine
    return create_engine(location.url, pool_pre_ping=True)


def ensure_schema(engine: Engine, location: StoreLocation) -> None:
    """Create the tables on first use.

    Checked cheaply first; created inside a writer's transaction (``BEGIN IMMEDIATE`` on
    SQLite), so that two processes opening a new store at once queue instead of racing.
    """
    from sqlalchemy import inspect
    from sqlmodel import SQLModel

    from . import models  # registers the tables on SQLModel.metadata

    last_table = models.Official.__tablename__
    if inspect(engine).has_table(last_table):
        return
    writer = make_engine(location, writer=True) if location.is_sqlite else engine
    try:
        SQLModel.metadata.create_all(writer)
    finally:
        if writer is not engine:
            writer.dispose()


@contextmanager
def session_scope(db: str | None, *, writer: bool = False) -> Iterator[Session]:
    """A session on the store, inside one transaction: committed on success, else rolled back.

    Database failures are turned into a StoreError that names the store.
    """
    from sqlalchemy.exc import DBAPIError
    from sqlmodel import Session

    location = locate(db)
    engine = make_engine(location, writer=writer)
    try:
        ensure_schema(engine, location)
        with Session(engine) as session, session.begin():
            yield session
    except DBAPIError as exc:
        raise StoreError(f"store {location.label}: {describe(exc)}") from exc
    finally:
        engine.dispose()


def describe(exc: Exception) -> str:
    """The database's own words for a failure, without SQL or parameters."""
    original = getattr(exc, "orig", None) or exc
    return str(original).splitlines()[0] if str(original) else type(original).__name__


def debug_enabled() -> bool:
    return os.environ.get("NEXUS_DEBUG", "") not in ("", "0")
