"""Where the store is, and how to open it.

- ``--db`` / ``NEXUS_DB`` take a path (SQLite; ``~`` expanded; relative to the current
  directory) or a SQLAlchemy URL (``postgresql+psycopg://...``). Without either, the
  store is ``nexus.db`` in the user data directory (platformdirs).
- Only a command that writes creates a store (``load``, ``add-*``, ``db upgrade``; the
  default directory too). A command that reads a store that is not there, or holds
  nothing yet, says so and how to make one: a mistyped ``--db`` never yields a new empty
  store and a summary of zeros.
- SQLite is opened in WAL mode with a busy timeout and foreign keys on. Python's sqlite3
  module opens transactions lazily and not at all for some statements; here the driver's
  own handling is switched off and SQLAlchemy emits ``BEGIN`` itself (``BEGIN IMMEDIATE``
  for a writer, so two writers queue on the busy timeout instead of failing mid-way).
  Readers open the file read-only (``mode=ro``; on a read-only mount ``immutable=1``), so a
  store on a read-only disk or a CD can be read. On PostgreSQL, readers' transactions are
  READ ONLY and writers wait for one another as long as SQLite's do.
- Refused with a message naming the path: a directory that does not exist (only the
  default directory is created), a file that is not a SQLite database, a SQLite database of
  another program (nexus will not add its tables to it), and in-memory SQLite (everything
  would be lost at exit).
- Failures are named for what they are, with what to do: a full disk, a lock held by
  another process past the timeout, a damaged store (SQLite's ``quick_check`` runs before
  each write to a store of up to QUICK_CHECK_BYTES, and its "malformed" errors are caught
  everywhere), a read-only store. Nothing is written when any of them happens.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from .errors import StoreError, option
from .failures import damaged, translated
from .files import is_sqlite_database, kind_of
from .migrations import FIRST_REVISION_TABLE, TABLES_OF_EVERY_REVISION
from .settings import lock_timeout

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

APP_NAME = "salw-nexus"
DEFAULT_FILE = "nexus.db"
# SQLite's quick_check reads the whole file (~0.16 s for 70 MB here): it runs before a
# write only where that stays cheap; larger stores rely on the "malformed" errors.
QUICK_CHECK_BYTES = 64 << 20


@dataclass(frozen=True)
class StoreLocation:
    """A resolved store: the SQLAlchemy URL, and how to name it to a person."""

    url: str
    label: str
    path: Path | None = None  # set for SQLite files
    default: bool = False  # the user data directory's store (its directory is made for it)

    @property
    def is_sqlite(self) -> bool:
        return self.path is not None

    @property
    def files(self) -> list[Path]:
        """The store's files (none for a server database): never to be written over."""
        from .files import store_files

        return store_files(self.path) if self.path is not None else []


class EmptyStore(StoreError):
    """The store does not exist yet, or holds no nexus tables: nothing to read."""


def default_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / DEFAULT_FILE


def locate(db: str | None) -> StoreLocation:
    """Resolve ``--db``/``NEXUS_DB`` (already merged by the CLI) to a store location.

    Looks at the file system only to refuse what can never be a store; creates nothing.
    """
    if not db:
        return _sqlite_location(default_path(), default=True)
    if "://" in db:
        return _url_location(db)
    if db.strip() in (":memory:", ""):
        raise _in_memory(db)
    return _sqlite_location(Path(db).expanduser().absolute())


def _in_memory(db: str) -> StoreError:
    return StoreError(
        f"refusing the in-memory store {db!r}: everything recorded would be lost at exit",
        hint=f"Give a file path with {option('db')} (or NEXUS_DB).",
    )


def _url_location(url: str) -> StoreLocation:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise StoreError(f"{option('db')}: {url!r} is not a database URL or a path") from None
    label = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise _in_memory(label)
        return _sqlite_location(Path(parsed.database).expanduser().absolute())
    return StoreLocation(url=url, label=label)


def _sqlite_location(path: Path, *, default: bool = False) -> StoreLocation:
    if not default and not path.parent.is_dir():
        raise StoreError(
            f"cannot open store {path}: the directory {path.parent} does not exist",
            hint=f"Create the directory first, or give another {option('db')} path.",
        )
    if path.exists() and not path.is_file():  # a FIFO would block every reader forever
        raise StoreError(f"cannot open store {path}: it is {kind_of(path.stat().st_mode)}")
    if path.exists() and path.stat().st_size > 0:
        if not os.access(path, os.R_OK):
            raise StoreError(f"cannot open store {path}: permission denied")
        if not is_sqlite_database(path):
            raise StoreError(
                f"cannot open store {path}: the file is not a SQLite database",
                hint=f"Point {option('db')} at a nexus store, or at a path that does not exist yet.",
            )
    return StoreLocation(url=f"sqlite:///{path}", label=str(path), path=path, default=default)


def _missing(location: StoreLocation) -> EmptyStore:
    return EmptyStore(
        f"no store at {location.label}",
        hint="`nexus load` creates it with the seed records (`nexus add-training` with "
        f"one); if the records are elsewhere, check {option('db')} and NEXUS_DB.",
    )


def _empty(location: StoreLocation) -> EmptyStore:
    return EmptyStore(
        f"store {location.label} is empty: nothing has been recorded in it yet",
        hint="`nexus load` loads the seed records; `nexus add-training` records one.",
    )


def prepare(location: StoreLocation, *, create: bool) -> None:
    """Make sure the store can be opened: a missing one is created only when ``create``
    (its directory too, for the default store); otherwise EmptyStore says so."""
    path = location.path
    if path is None or path.exists():
        return
    if not create:
        raise _missing(location)
    if location.default:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the store's directory {path.parent}: {exc.strerror}",
                hint=f"Give a store you can write with {option('db')} PATH (or NEXUS_DB).",
            ) from None


def _use_wal(cursor: Any, timeout: float) -> None:
    """Put the store in WAL mode (a no-op once it is).

    Processes opening a brand-new store at the same moment can deadlock on the change to
    WAL (each holds a shared lock and wants the exclusive one); SQLite then answers one of
    them "database is locked" at once, without waiting out the busy timeout. That one
    tries again until the other is done, within the same timeout.
    """
    import sqlite3
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def foreign_tables(tables: set[str]) -> bool:
    """Whether a database's tables are another program's: some, and none of nexus's."""
    return bool(tables) and not tables & TABLES_OF_EVERY_REVISION


def _ours_or_new(cursor: Any) -> bool:
    """Whether a SQLite database is empty or holds nexus tables (not another program's)."""
    query = "SELECT name FROM sqlite_master WHERE type = 'table'"
    return not foreign_tables({row[0] for row in cursor.execute(query)})


def sqlite_uri(path: PurePath, query: str) -> str:
    """A SQLite URI for ``path`` (``file:...?query``).

    ``Path.as_uri`` writes a Windows share (``\\\\server\\share\\nexus.db``) as
    ``file://server/share/...``, and SQLite refuses any URI authority but ``localhost``;
    with an empty authority (``file:////server/share/...``) Windows opens the share.
    """
    uri = path.as_uri()
    if uri.startswith("file://") and not uri.startswith("file:///"):
        uri = "file:////" + uri.removeprefix("file://")
    return f"{uri}?{query}"


def _read_only_mount(path: Path) -> bool | None:
    """Whether the store is on a read-only mount; None where that cannot be asked (Windows)."""
    statvfs = getattr(os, "statvfs", None)
    if statvfs is None:
        return None
    try:
        return bool(statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _wal_changes(location: StoreLocation) -> bool:
    assert location.path is not None
    wal = location.path.with_name(location.path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def _open(path: Path, query: str) -> Any:
    """A sqlite3 connection to ``path`` by URI: a path holding ``?``, ``#`` or ``%`` must
    not be read as part of a URL (``q?x.db`` once opened a database ``q``)."""
    import sqlite3

    return sqlite3.connect(sqlite_uri(path, query), uri=True, check_same_thread=False)


def _writer(location: StoreLocation) -> Any:
    """A connect function opening (or creating) the SQLite file for writing."""
    path = location.path
    assert path is not None
    return lambda: _open(path, "mode=rwc")


def _reader(location: StoreLocation) -> Any:
    """A connect function opening the SQLite file read-only.

    On a read-only disk SQLite cannot make the -shm file that WAL readers need, so the file
    is opened as immutable (nothing can change it there); unless a -wal file holds changes
    not yet in the file, which immutable would silently skip. Where the mount cannot be
    asked about (Windows), the store is opened as immutable when a plain read-only open
    fails and its directory cannot be written (a read-only share, a CD).
    """
    import sqlite3

    path = location.path
    assert path is not None
    mount_read_only = _read_only_mount(path)
    if mount_read_only and _wal_changes(location):
        raise _unread_changes(location)
    query = "mode=ro&immutable=1" if mount_read_only else "mode=ro"

    def connect() -> Any:
        connection = _open(path, query)
        if mount_read_only is not None:
            return connection
        try:
            connection.execute("PRAGMA schema_version")
        except sqlite3.OperationalError:
            connection.close()
            if os.access(path.parent, os.W_OK) or _wal_changes(location):
                raise
            return _open(path, "mode=ro&immutable=1")
        return connection

    return connect


def reader_connection(location: StoreLocation) -> Any:
    """A read-only sqlite3 connection to the store's file (see ``_reader``)."""
    return _reader(location)()


def _unread_changes(location: StoreLocation) -> StoreError:
    return StoreError(
        f"store {location.label} is on a read-only disk with changes still in {location.label}-wal",
        hint="Copy the store and its -wal file to a writable place to read it.",
    )


def _sqlite_events(engine: Engine, *, writer: bool, foreign_keys: bool, timeout: float) -> None:
    from sqlalchemy import event

    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN (below)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {round(timeout * 1000)}")
        # A reader's connection is read-only, and the store WAL since its creation. The
        # database of another program is left as it is (check_revision refuses it next).
        if writer and _ours_or_new(cursor):
            _use_wal(cursor, timeout)
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
    from sqlalchemy.exc import NoSuchModuleError
    from sqlalchemy.pool import QueuePool
    from sqlmodel import create_engine

    # orjson reads the JSON list columns: on a long listing, json.loads was a quarter of
    # the work. Writes keep json.dumps, so the stored text is unchanged.
    timeout = lock_timeout()
    if location.is_sqlite:
        connect = _writer(location) if writer else _reader(location)
        engine = create_engine(
            "sqlite://", creator=connect, poolclass=QueuePool, json_deserializer=orjson.loads
        )
        _sqlite_events(engine, writer=writer, foreign_keys=foreign_keys, timeout=timeout)
        return engine
    try:
        engine = create_engine(location.url, pool_pre_ping=True, json_deserializer=orjson.loads)
    except ModuleNotFoundError as exc:
        raise StoreError(
            f"store {location.label}: the database driver is not installed ({exc.name})",
            hint="For PostgreSQL: pip install 'salw-nexus[postgres]'",
        ) from None
    except NoSuchModuleError:
        raise StoreError(
            f"store {location.label}: not a kind of database nexus can use",
            hint="Give a SQLite file path, or a postgresql+psycopg:// URL.",
        ) from None
    if not writer:
        engine = engine.execution_options(postgresql_readonly=True)
    return engine


# --- schema versions (Alembic) -----------------------------------------------------------

# The migrations in salw_nexus/migrations/versions, oldest first (a test checks the list).
# The schema revisions, oldest first: one migration each in migrations/versions, named
# NNNN_what_it_does.py with revision "NNNN" (a new one is found there, not listed here).
REVISIONS = tuple(
    sorted(
        name[:4]
        for name in os.listdir(Path(__file__).parent / "migrations" / "versions")
        if name[:4].isdigit() and name.endswith(".py")
    )
)
HEAD = REVISIONS[-1]
WRITER_LOCK = 7_238_001  # PostgreSQL advisory lock taken by every writer (SQLite: BEGIN IMMEDIATE)


def lock_for_writing(connection: Any) -> None:
    """Serialise writers on PostgreSQL as BEGIN IMMEDIATE does on SQLite, waiting no longer."""
    from sqlalchemy import text

    if connection.dialect.name == "postgresql":
        milliseconds = round(lock_timeout() * 1000)
        connection.execute(text(f"SET LOCAL lock_timeout = {milliseconds}"))
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
    return REVISIONS[0] if inspector.has_table(FIRST_REVISION_TABLE) else None


def _refuse_foreign(connection: Any, location: StoreLocation) -> None:
    """A database with tables, none of them nexus's, belongs to another program."""
    from sqlalchemy import inspect

    tables = sorted(inspect(connection).get_table_names())
    if foreign_tables(set(tables)):
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise StoreError(
            f"{location.label} is not a nexus store: it holds another program's tables ({shown})",
            hint=f"nexus will not add its tables to it; give a store of its own with {option('db')}.",
        )


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

    prepare(location, create=True)
    engine = make_engine(location, writer=True, foreign_keys=False)
    try:
        with translated(location), engine.begin() as connection:
            lock_for_writing(connection)
            before = stored_revision(connection)  # read under the lock: a racing creator waits
            config = alembic_config(connection)
            if before is None:
                _refuse_foreign(connection, location)
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


def revision_status(location: StoreLocation) -> tuple[str | None, str]:
    """The store's schema revision (None: empty), and what that means for this program."""
    prepare(location, create=False)
    engine = make_engine(location)
    try:
        with translated(location), engine.connect() as connection:
            revision = stored_revision(connection)
    finally:
        engine.dispose()
    if revision is None:
        return None, "empty: a command that writes creates it at the current revision"
    if revision == HEAD:
        return revision, "up to date"
    if revision in REVISIONS:
        return revision, f"needs `nexus db upgrade` to {HEAD}"
    return revision, f"newer than this nexus ({HEAD})"


def _has_version_table(connection: Any) -> bool:
    from sqlalchemy import inspect

    return bool(inspect(connection).has_table("alembic_version"))


def _newer(location: StoreLocation, revision: str) -> StoreError:
    return StoreError(
        f"store {location.label} has schema revision {revision}, newer than this nexus knows "
        f"({HEAD})",
        hint="Upgrade nexus itself (pip install -U salw-nexus) before using this store.",
    )


def check_revision(engine: Engine, location: StoreLocation, *, create: bool) -> None:
    """Create a new store's tables when ``create``; refuse one whose schema is older or newer
    than this program's, and (EmptyStore) one with no tables when not ``create``.

    Decision: an older store is not upgraded behind the user's back (on a shared database
    others may still run the older nexus); the message says to back up and upgrade.
    """
    with engine.connect() as connection:
        revision = stored_revision(connection)
        if revision is None:
            _refuse_foreign(connection, location)
        connection.rollback()
    if revision == HEAD:
        return
    if revision is None:
        if not create:
            raise _empty(location)
        upgrade(location)
        return
    if revision in REVISIONS:
        raise StoreError(
            f"store {location.label} has schema revision {revision}; this nexus needs {HEAD}",
            hint="Back it up (nexus db backup FILE), then run: nexus db upgrade",
        )
    raise _newer(location, revision)


def quick_check(connection: Any, location: StoreLocation) -> None:
    """Refuse to write to a damaged SQLite store (SQLite's quick_check, where cheap)."""
    from sqlalchemy import text

    path = location.path
    if path is None or path.stat().st_size > QUICK_CHECK_BYTES:
        return
    found = [row[0] for row in connection.execute(text("PRAGMA quick_check(3)"))]
    if found != ["ok"]:
        raise damaged(location, f" ({found[0]})")


@contextmanager
def session_scope(
    db: str | None, *, writer: bool = False, create: bool | None = None
) -> Iterator[Session]:
    """A session on the store, inside one transaction: committed on success, else rolled back.

    A writer creates a store that is not there yet unless ``create`` is False (``edit``
    and ``remove`` need records, so they never make an empty store); a reader never does.
    Writers are serialised (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL) and
    refused on a damaged store. Database failures become a StoreError naming the store.
    """
    from sqlmodel import Session

    create = writer if create is None else create
    location = locate(db)
    prepare(location, create=create)
    engine = make_engine(location, writer=writer)
    try:
        with translated(location):
            check_revision(engine, location, create=create)
            # No autobegin: a read after the block (a listing consumed too late) fails
            # loudly instead of opening a transaction nobody ends.
            with Session(engine, autobegin=False) as session, session.begin():
                if writer:
                    lock_for_writing(session.connection())
                    quick_check(session.connection(), location)
                yield session
    finally:
        engine.dispose()


@contextmanager
def dry_run_scope(db: str | None) -> Iterator[Session]:
    """A writer's session for a dry run: on the store, or, when there is no store yet, on a
    scratch one standing for it (empty either way), so that a dry run creates nothing."""
    with ExitStack() as stack:
        try:
            session = stack.enter_context(session_scope(db, writer=True, create=False))
        except EmptyStore:
            session = stack.enter_context(scratch_scope())
        yield session


@contextmanager
def scratch_scope() -> Iterator[Session]:
    """A session on a new, empty in-memory store: what a dry run sees in place of a store
    that does not exist yet (so that the dry run does not create it)."""
    from sqlmodel import Session, SQLModel, create_engine

    from . import models  # noqa: F401  (registers the tables on SQLModel.metadata)

    engine = create_engine("sqlite://")
    try:
        SQLModel.metadata.create_all(engine)
        with Session(engine) as session, session.begin():
            yield session
    finally:
        engine.dispose()
