"""Failures of the store, in words: what a database error means for the person.

A full disk, a damaged file, a lock held too long, a read-only store: each becomes one
StoreError naming the store (never its password) and what to do, raised by
``translated()`` around any work on a store.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .errors import StoreError
from .settings import lock_timeout

if TYPE_CHECKING:
    from .db import StoreLocation

# Below this much free space, SQLite's "disk I/O error" is taken to mean a full disk.
NEARLY_FULL_BYTES = 1 << 20


def is_damage(message: str) -> bool:
    """Whether SQLite's words for a failure say the file itself is damaged."""
    return "malformed" in message or "not a database" in message


def damage_found(connection: Any, pragma: str) -> list[str]:
    """What SQLite's ``quick_check`` or ``integrity_check`` finds wrong (nothing: [])
    through a sqlite3 connection; a file too damaged for the check to run is one finding."""
    import sqlite3

    try:
        found = [row[0] for row in connection.execute(f"PRAGMA {pragma}")]
    except sqlite3.DatabaseError as exc:
        if not is_damage(str(exc)):
            raise
        found = [str(exc)]
    return [] if found == ["ok"] else found


def damaged(
    location: StoreLocation, detail: str, *, outcome: str = "; nothing was written"
) -> StoreError:
    return StoreError(
        f"store {location.label} is damaged{detail}{outcome}",
        hint="Restore it from a backup (`nexus db backup FILE` makes them). What can still be "
        "read can be saved as a record file: nexus export -o rescued.yaml",
    )


def _busy(location: StoreLocation) -> StoreError:
    return StoreError(
        f"store {location.label} is busy: another process has held its write lock for "
        f"{lock_timeout():g} s; nothing was written",
        hint="Another nexus (or program) is writing to it, or is stuck: let it finish, or "
        "stop it, then run the command again. NEXUS_LOCK_TIMEOUT=SECONDS waits longer.",
    )


def _full(location: StoreLocation) -> StoreError:
    where = location.path.parent if location.path else location.label
    return StoreError(
        f"the disk holding {location.label} is full; nothing was written",
        hint=f"Free some space on the disk of {where} (the store grows beside itself while "
        "it writes) and run the command again.",
    )


def _read_only(location: StoreLocation, exc: Exception) -> StoreError:
    return StoreError(
        f"store {location.label} is read-only: {describe(exc)}",
        hint="SQLite writes beside the store (its -wal and -shm files): make the file "
        "and its directory writable, or copy the store somewhere that is.",
    )


def _nearly_full(location: StoreLocation) -> bool:
    if location.path is None:
        return False
    try:
        return shutil.disk_usage(location.path.parent).free < NEARLY_FULL_BYTES
    except OSError:
        return False


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from or while handling.

    A full disk makes SQLite roll the whole transaction back itself; SQLAlchemy's release
    of its savepoint then fails with "no such savepoint", which would hide the cause.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _failure(location: StoreLocation, exc: BaseException) -> StoreError | None:
    """The StoreError a database failure stands for, when it is one of the named ones."""
    for cause in _causes(exc):
        text = describe(cause).lower()
        if "disk is full" in text or "disk full" in text:
            return _full(location)
        if is_damage(text):
            return damaged(location, f" ({describe(cause)})")
        if "database is locked" in text or "lock timeout" in text:
            return _busy(location)
        if "disk i/o error" in text and _nearly_full(location):
            return _full(location)
    return None


@contextmanager
def translated(location: StoreLocation) -> Iterator[None]:
    """Database failures become one StoreError line naming the store (password hidden)."""
    import sqlite3

    from sqlalchemy.exc import DBAPIError

    try:
        yield
    except (DBAPIError, sqlite3.Error) as exc:
        named = _failure(location, exc)
        if named is not None:
            raise named from exc
        path = location.path
        if path is not None and not (
            os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))
        ):
            raise _read_only(location, exc) from exc
        if "readonly" in describe(exc).lower() or "read-only" in describe(exc).lower():
            raise _read_only(location, exc) from exc
        raise StoreError(f"store {location.label}: {describe(exc)}") from exc


def describe(exc: BaseException) -> str:
    """The database's own words for a failure, without SQL or parameters."""
    original = getattr(exc, "orig", None) or exc
    return str(original).splitlines()[0] if str(original) else type(original).__name__
