"""The ``nexus`` command line: thin commands over the services, one error boundary.

Each command turns its options into one service call and one render call. Heavy modules
(sqlmodel, yaml, pycountry, rich tables) are imported inside the commands, so that
``nexus --help`` pays only for typer.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit, TyperException

from . import __version__
from .errors import NexusError, UsageError


def _debug() -> bool:
    return os.environ.get("NEXUS_DEBUG", "") not in ("", "0")


class NexusGroup(TyperGroup):
    """The one error boundary: domain errors become plain stderr lines and an exit code."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click.Context
        try:
            return super().invoke(ctx)
        except (TyperException, Exit, Abort):  # usage errors, --help, exits: typer's own
            raise
        except NexusError as exc:
            if _debug():
                raise
            lines = exc.lines()
            typer.echo(f"error: {lines[0]}", err=True)
            for line in lines[1:]:
                typer.echo(f"  {line}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except Exception as exc:
            if _debug():
                raise
            typer.echo(f"error: unexpected failure: {type(exc).__name__}: {exc}", err=True)
            typer.echo("  Run again with NEXUS_DEBUG=1 to see where it happened.", err=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    name="nexus",
    cls=NexusGroup,
    help="Keep the record of the UNODC–UNOCT SALW/terrorism-nexus programme in Central Asia.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass(frozen=True)
class AppState:
    db: str | None


def _state(ctx: typer.Context) -> AppState:
    state = ctx.find_root().obj
    assert isinstance(state, AppState)
    return state


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"nexus {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="NEXUS_DB",
            metavar="PATH_OR_URL",
            help="Store: a SQLite file path or a database URL. Default: nexus.db in the "
            "user data directory.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    ctx.obj = AppState(db=db)


def seed_path() -> Path:
    """The seed file shipped inside the package (``data/seed.yaml`` in the repository)."""
    from importlib.resources import files

    return Path(str(files("salw_nexus") / "data" / "seed.yaml"))


class ExportFormat(str, Enum):
    yaml = "yaml"
    json = "json"
    csv = "csv"


@app.command()
def load(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(help="Record file, YAML or JSON. Default: the bundled seed data."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything, then write nothing.")
    ] = False,
) -> None:
    """Add and update records from a record file (upsert by id; all or nothing)."""
    from . import db, records, render, store

    parsed = records.parse_file(file or seed_path())
    with db.session_scope(_state(ctx).db, writer=True) as session:
        result = store.load_records(session, records=parsed, dry_run=dry_run)
    render.load_result(result)


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="Record file to validate.")],
) -> None:
    """Validate a record file and write nothing (the store is not opened)."""
    from . import records, render

    render.check_result(records.parse_file(file))


@app.command()
def export(
    ctx: typer.Context,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ExportFormat.yaml,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="File to write (a directory for csv). Default: stdout."
        ),
    ] = None,
) -> None:
    """Write the whole store out in the record format; YAML and JSON load back unchanged."""
    from . import db, records, render

    if fmt is ExportFormat.csv and output is None:
        raise UsageError(
            "--format csv writes one file per kind (projects.csv, trainings.csv, deliveries.csv)",
            hint="Give a directory with -o/--output.",
        )
    from . import store

    with db.session_scope(_state(ctx).db) as session:
        document = records.to_document(store.export_records(session))
    if fmt is ExportFormat.csv:
        assert output is not None
        written = records.write_csv_tables(document, output)
        render.message(f"wrote {', '.join(str(p) for p in written)}")
        return
    text = records.dump_yaml(document) if fmt is ExportFormat.yaml else records.dump_json(document)
    if output is None:
        sys.stdout.write(text)
    else:
        records.write_text_atomic(output, text)
        render.message(f"wrote {output}")


# --- listings and summaries -------------------------------------------------------------


class OutputFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format", "-f", help="table for people; csv, json, markdown for programs and documents."
    ),
]
CountryOption = Annotated[
    str | None, typer.Option("--country", "-c", help="ISO code (KG, KGZ) or English name.")
]
FromOption = Annotated[
    str | None, typer.Option("--from", help="On or after this date (YYYY-MM-DD).")
]
ToOption = Annotated[str | None, typer.Option("--to", help="On or before this date (YYYY-MM-DD).")]
QuarterOption = Annotated[
    str | None, typer.Option("--quarter", "-q", help="A quarter: 2025-Q1 (or 2025Q1).")
]
AgencyOption = Annotated[
    str | None,
    typer.Option(
        "--agency", "-a", help="Part of an agency name, any case or script (мвд finds МВД)."
    ),
]
ProjectOption = Annotated[str | None, typer.Option("--project", "-p", help="Project id.")]


def _listing(
    ctx: typer.Context,
    service: str,
    fmt: OutputFormat,
    country: str | None,
    date_from: str | None,
    date_to: str | None,
    quarter: str | None,
    agency: str | None,
    project: str | None,
) -> None:
    """The body shared by the listings: filters -> one report service -> one render."""
    from . import db, render, reports

    filters = reports.make_filters(
        country=country, date_from=date_from, date_to=date_to, quarter=quarter,
        agency=agency, project=project,
    )  # fmt: skip
    with db.session_scope(_state(ctx).db) as session:
        data = getattr(reports, service)(session, filters=filters)
    render.report(data, fmt.value)


@app.command()
def trainings(
    ctx: typer.Context,
    country: CountryOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    quarter: QuarterOption = None,
    agency: AgencyOption = None,
    project: ProjectOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List trainings by start date."""
    _listing(ctx, "list_trainings", fmt, country, date_from, date_to, quarter, agency, project)


def handovers(
    ctx: typer.Context,
    country: CountryOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    quarter: QuarterOption = None,
    agency: AgencyOption = None,
    project: ProjectOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List deliveries grouped by country, with a subtotal per country."""
    _listing(ctx, "list_handovers", fmt, country, date_from, date_to, quarter, agency, project)


app.command("handovers")(handovers)
app.command("deliveries", help="The same as `handovers`.")(handovers)


@app.command()
def summary(
    ctx: typer.Context,
    year: Annotated[
        int | None,
        typer.Option("--year", "-y", help="A calendar year, or the fiscal year starting in it."),
    ] = None,
    quarter: QuarterOption = None,
    fiscal_year_start: Annotated[
        int,
        typer.Option(
            "--fiscal-year-start",
            min=1,
            max=12,
            help="Month the fiscal year starts (1, 4, 7 or 10); 4 = Canada's: FY2024-25 Q3.",
        ),
    ] = 1,
    empty: Annotated[
        bool, typer.Option("--empty", help="Show quarters without activity too.")
    ] = False,
    chart: Annotated[
        bool, typer.Option("--chart", help="Draw activity per quarter as bars.")
    ] = False,
    country: CountryOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    agency: AgencyOption = None,
    project: ProjectOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Quarterly summary: trainings, participants, person-days, deliveries, countries."""
    from . import db, render, reports

    filters = reports.make_filters(
        country=country, date_from=date_from, date_to=date_to, quarter=quarter, year=year,
        fiscal_start=fiscal_year_start, agency=agency, project=project,
    )  # fmt: skip
    with db.session_scope(_state(ctx).db) as session:
        data = reports.quarterly_summary(
            session, filters=filters, fiscal_start=fiscal_year_start, empty=empty
        )
    render.report(data, fmt.value)
    if chart:
        render.chart(data)


@app.command()
def show(
    ctx: typer.Context,
    record_id: Annotated[
        str, typer.Argument(metavar="ID", help="A training, delivery or project id.")
    ],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Every field of one record, agencies, items and officials included."""
    from . import db, render, reports

    with db.session_scope(_state(ctx).db) as session:
        data = reports.show_record(session, record_id=record_id)
    render.report(data, fmt.value)


# --- the store --------------------------------------------------------------------------

db_app = typer.Typer(help="The store itself: where it is.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("path")
def db_path(ctx: typer.Context) -> None:
    """Print where the store is (a file path, or the URL without its password)."""
    from . import db

    typer.echo(db.locate(_state(ctx).db).label)


def main() -> None:
    app()
