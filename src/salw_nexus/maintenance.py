"""Keeping a SQLite store safe: a checked online backup, and a full check for damage.

The services behind ``nexus db backup`` and ``nexus db check``.
"""

from __future__ import annotations

import errno
from pathlib import Path

from .db import StoreLocation, prepare, reader_connection
from .errors import StoreError
from .failures import damage_found, damaged, is_damage, translated


def backup(location: StoreLocation, target: Path, *, force: bool = False) -> Path:
    """A consistent copy of a live SQLite store, through SQLite's online backup API.

    Never a file copy: with WAL, committed rows may still be in the -wal file. The copy is
    written beside the target, checked (``quick_check``) and only then put in its place, so
    a failed backup leaves no half file and never replaces the last good one with a damaged
    copy. An existing target is replaced only with ``force``; never the store itself.
    Failures of the store are named as the store's, those of the copy as the target's.
    """
    import sqlite3

    from .files import replacing, write_failure
    from .files import target as output_target

    if location.path is None:
        raise StoreError(
            f"nexus db backup copies SQLite stores; {location.label} is a server database",
            hint="Back up PostgreSQL with its own tool: pg_dump -Fc DBNAME > FILE",
        )
    prepare(location, create=False)
    chosen = output_target(target, protected=location.files, overwrite=force, text_output=False)
    with translated(location), replacing(chosen, overwrite=force) as partial:
        source = reader_connection(location)
        try:
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)
                found = damage_found(copy, "quick_check(3)")
            finally:
                copy.close()
        except sqlite3.DatabaseError as exc:
            if not is_damage(str(exc)):  # the copy's: its disk, its directory
                raise write_failure(chosen.given, OSError(_errno_of(exc), str(exc))) from None
            found = [str(exc)]  # the store's, read as it was copied
        finally:
            source.close()
        if found:
            raise damaged(location, f" ({found[0]})", outcome="; no backup was written")
    return chosen.given


def _errno_of(exc: Exception) -> int:
    """The errno a SQLite failure stands for, as far as write_failure needs to know."""
    return errno.ENOSPC if "full" in str(exc) else errno.EIO


def integrity_check(location: StoreLocation) -> None:
    """SQLite's full integrity_check of the store (read-only); StoreError naming the damage."""
    if location.path is None:
        raise StoreError(
            f"nexus db check checks SQLite stores; {location.label} is a server database",
            hint="PostgreSQL checks its own pages; see its amcheck extension.",
        )
    prepare(location, create=False)
    with translated(location):
        connection = reader_connection(location)
        try:
            found = damage_found(connection, "integrity_check(20)")
        finally:
            connection.close()
    if found:
        raise damaged(location, ": " + "; ".join(found), outcome="")
