"""``nexus db``: the store itself — where it is, its schema revision, backups, checks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .boundary import state

db_app = typer.Typer(
    help="The store itself: where it is, its schema version, backups.", no_args_is_help=True
)


@db_app.command("path")
def db_path(ctx: typer.Context) -> None:
    """Print where the store is (a file path, or the URL without its password)."""
    from salw_nexus import db

    typer.echo(db.locate(state(ctx).db).label)


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Print the store's schema revision and whether it needs `nexus db upgrade`."""
    from salw_nexus import db

    revision, status = db.revision_status(db.locate(state(ctx).db))
    typer.echo(f"{revision or '-'} ({status})")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Migrate the store to this program's schema, in place, in one transaction."""
    from salw_nexus import db, render
    from salw_nexus.failures import translated

    location = db.locate(state(ctx).db)
    with translated(location):
        before, after = db.upgrade(location)
    if before == after:
        render.message(f"store {location.label} is up to date ({after})")
    elif before is None:
        render.message(f"created store {location.label} at revision {after}")
    else:
        render.message(f"upgraded store {location.label} from {before} to {after}")


@db_app.command("backup")
def db_backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Where to write the copy (a new SQLite file).")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace FILE if it exists (never the store itself).")
    ] = False,
) -> None:
    """Copy a live SQLite store safely (SQLite's online backup API, never a file copy)."""
    from salw_nexus import db, maintenance, render

    location = db.locate(state(ctx).db)
    written = maintenance.backup(location, file, force=force)
    render.message(f"backed up {location.label} to {written}")


@db_app.command("check")
def db_check(ctx: typer.Context) -> None:
    """Check a SQLite store for damage (SQLite's integrity_check); exit 1 if it is damaged."""
    from salw_nexus import db, maintenance, render

    location = db.locate(state(ctx).db)
    maintenance.integrity_check(location)
    render.message(f"store {location.label}: no damage found")
