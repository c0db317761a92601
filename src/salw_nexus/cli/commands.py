"""The ``nexus`` commands: each turns its options into one service call and one render.

Options arrive parsed (``options.py``); the services take keyword arguments and a
session opened here, at the edge; what they return is handed to ``render``. Heavy
modules (sqlmodel, yaml, pycountry, rich) are imported inside the commands, so that
``nexus --help`` pays only for typer.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Annotated

import typer

from salw_nexus.bounds import FIRST_YEAR, LAST_YEAR
from salw_nexus.errors import UsageError
from salw_nexus.kinds import DELIVERIES, TRAININGS, Kind
from salw_nexus.text import from_argv

from .boundary import (
    AppState,
    NexusGroup,
    asks,
    bulk_work,
    reading,
    state,
    writing,
)
from .completion import ShowCompletionOption
from .entity_commands import agencies_app, sources
from .export_commands import export
from .options import (
    AgenciesOption,
    AgencyOption,
    AllowDuplicateOption,
    ApproximateOption,
    AudienceOption,
    CityOption,
    CountOption,
    CountryOption,
    DateOption,
    DelimiterOption,
    EndOption,
    FiscalStartOption,
    FormatOption,
    FromOption,
    IdOption,
    ItemOption,
    LimitOption,
    ListingFormat,
    ListingFormatOption,
    NoInputOption,
    NotesOption,
    OfficialOption,
    OffsetOption,
    OrganiserOption,
    OutputFormat,
    OutputOption,
    ProjectOption,
    PurposeOption,
    QuarterOption,
    RecipientOption,
    RecordCountryOption,
    RecordProjectOption,
    SourceOption,
    StartOption,
    TitleOption,
    ToOption,
    TopicOption,
    UnitOption,
    YesOption,
    csv_style,
    output_target,
)  # fmt: skip
from .report_commands import indicators, report
from .store_commands import db_app

# The subcommands: defined on a Typer of their own, which the group builds from lazily.
commands = typer.Typer(pretty_exceptions_enable=False)


class Nexus(NexusGroup):
    source = commands


app = typer.Typer(
    name="nexus",
    cls=Nexus,
    help="Keep the record of the UNODC–UNOCT SALW/terrorism-nexus programme in Central Asia.",
    no_args_is_help=True,
    add_completion=False,  # --show-completion SHELL instead (options.py)
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from salw_nexus import __version__

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
    show_completion: ShowCompletionOption = None,
) -> None:
    ctx.obj = AppState(db=db)


def seed_path() -> Path:
    """The seed file shipped inside the package (``data/seed.yaml`` in the repository)."""
    from importlib.resources import files

    return Path(str(files("salw_nexus") / "data" / "seed.yaml"))


@commands.command()
def load(
    ctx: typer.Context,
    file: Annotated[
        Path | None,
        typer.Argument(
            help="Record file, YAML or JSON; - reads standard input. Default: the bundled "
            "seed data."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything, then write nothing.")
    ] = False,
) -> None:
    """Add and update records from a record file (upsert by id; all or nothing)."""
    from salw_nexus import db, records, render, store

    path = file or seed_path()
    with render.progress_bar() as bar, bulk_work():
        parsed = records.parse_file(path, progress=bar.step(f"reading {path.name}"))
        scope = db.dry_run_scope(state(ctx).db) if dry_run else writing(ctx)
        with scope as session:
            result = store.load_records(
                session, records=parsed, dry_run=dry_run, progress=bar.step("writing")
            )
    render.load_result(result)


@commands.command()
def check(
    file: Annotated[Path, typer.Argument(help="Record file to validate; - reads standard input.")],
) -> None:
    """Validate a record file and write nothing (the store is not opened)."""
    from salw_nexus import records, render
    from salw_nexus.agencies import AgencyDirectory

    with render.progress_bar() as bar, bulk_work():
        checked = records.parse_file(file, progress=bar.step(f"reading {file.name}"))
        AgencyDirectory.of(None, checked).resolve(checked)  # the file's own references
    render.check_result(checked)


commands.command()(export)


# --- listings and summaries -------------------------------------------------------------


def _listing(kind: Kind, summary: str) -> Callable[..., None]:
    """The command listing records of ``kind``: filters -> one report service -> one render."""

    def listing(
        ctx: typer.Context,
        country: CountryOption = None,
        date_from: FromOption = None,
        date_to: ToOption = None,
        quarter: QuarterOption = None,
        agency: AgencyOption = None,
        project: ProjectOption = None,
        fmt: ListingFormatOption = ListingFormat.table,
        delimiter: DelimiterOption = None,
        output: OutputOption = None,
        limit: LimitOption = None,
        offset: OffsetOption = 0,
    ) -> None:
        from salw_nexus import render, reports

        chosen, style = output_target(ctx, fmt, output), csv_style(fmt, delimiter)
        services: dict[Kind, Callable[..., reports.TrainingList | reports.HandoverReport]] = {
            TRAININGS: reports.list_trainings,
            DELIVERIES: reports.list_handovers,
        }
        filters = reports.make_filters(country=country, start=date_from, end=date_to,
                                       quarter=quarter, agency=agency, project=project)  # fmt: skip
        page = reports.Page(limit=limit, offset=offset)
        with (
            reading(ctx) as session,
            closing(services[kind](session, filters=filters, page=page)) as listed,
        ):
            # In the session: rows are read as they are written.
            render.output(listed, fmt.value, to=chosen, csv_style=style)
        render.wrote([output] if chosen is not None else [])

    listing.__doc__ = summary
    return listing


commands.command(TRAININGS.plural)(_listing(TRAININGS, "List trainings by start date."))
handovers = _listing(DELIVERIES, "List deliveries grouped by country, with a subtotal per country.")
commands.command("handovers")(handovers)
commands.command(DELIVERIES.plural, help="The same as `handovers`.")(handovers)


@commands.command()
def summary(
    ctx: typer.Context,
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            metavar="YEAR",
            min=FIRST_YEAR,
            max=LAST_YEAR,
            help="A calendar year, or the fiscal year starting in it.",
        ),
    ] = None,
    quarter: QuarterOption = None,
    fiscal_year_start: FiscalStartOption = 1,
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
    fmt: ListingFormatOption = ListingFormat.table,
    delimiter: DelimiterOption = None,
    output: OutputOption = None,
) -> None:
    """Quarterly summary: trainings, participants, person-days, deliveries, countries."""
    from salw_nexus import render, reports
    from salw_nexus.summary import quarterly_summary

    chosen, style = output_target(ctx, fmt, output), csv_style(fmt, delimiter)
    filters = reports.make_filters(
        country=country, start=date_from, end=date_to, quarter=quarter, year=year,
        fiscal_start=fiscal_year_start, agency=agency, project=project,
    )  # fmt: skip
    with reading(ctx) as session:
        data = quarterly_summary(
            session, filters=filters, fiscal_start=fiscal_year_start, empty=empty
        )
    render.output(data, fmt.value, to=chosen, csv_style=style)
    render.wrote([output] if chosen is not None else [])
    if chart:
        render.chart(data)


commands.command()(report)
commands.command()(indicators)


@commands.command()
def show(
    ctx: typer.Context,
    record_id: Annotated[
        str,
        typer.Argument(metavar="ID", help="A training, delivery, project, agency or source id."),
    ],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Every field of one record, agencies, items and officials included."""
    from salw_nexus import render, reports

    with reading(ctx) as session:
        data = reports.show_record(session, record_id=from_argv(record_id))
    render.output(data, fmt.value)


# --- recording from the command line ----------------------------------------------------


def _add(ctx: typer.Context, kind: Kind, no_input: bool, allow_duplicate: bool) -> None:
    """The body shared by add-training and add-delivery: the options given -> a record
    (asking on a terminal for what is missing and what the report uses) -> one service
    call."""
    from salw_nexus import editing, render

    from . import entry

    data = entry.fields_given(ctx.params, [kind])
    interactive = asks(no_input)
    if not interactive:
        entry.refuse_missing(kind, data)
    entry.prompt_missing(kind, data, state(ctx).db)
    if interactive:
        entry.prompt_reported(kind, data, state(ctx).db)
    id_made = "id" not in data
    if id_made:
        data["id"] = editing.suggest_id(kind, data)
    record = entry.build(kind, data)
    if interactive:
        record, allow_duplicate = entry.confirm_new(
            kind, record, state(ctx).db, allow_duplicate=allow_duplicate
        )
    with writing(ctx) as session:
        stored, made = editing.add_record(
            session, record=record, id_made=id_made, allow_duplicate=allow_duplicate
        )
    typer.echo(stored.id)
    render.message(f"added {kind.singular} {stored.id}")
    render.agencies_made(made)


@commands.command("add-training")
def add_training(
    ctx: typer.Context,
    record_id: IdOption = None,
    title: TitleOption = None,
    country: RecordCountryOption = None,
    city: CityOption = None,
    start: StartOption = None,
    end: EndOption = None,
    participants: CountOption = None,
    approximate: ApproximateOption = None,
    female: CountOption = None,
    male: CountOption = None,
    agency: AgenciesOption = None,
    audience: AudienceOption = None,
    topic: TopicOption = None,
    organiser: OrganiserOption = None,
    project: RecordProjectOption = None,
    source: SourceOption = None,
    notes: NotesOption = None,
    no_input: NoInputOption = False,
    allow_duplicate: AllowDuplicateOption = False,
) -> None:
    """Record a training; on a terminal, asks for what is missing and what the report uses."""
    _add(ctx, TRAININGS, no_input, allow_duplicate)


@commands.command("add-delivery")
def add_delivery(
    ctx: typer.Context,
    record_id: IdOption = None,
    date: DateOption = None,
    country: RecordCountryOption = None,
    agency: RecipientOption = None,
    unit: UnitOption = None,
    item: ItemOption = None,
    official: OfficialOption = None,
    purpose: PurposeOption = None,
    project: RecordProjectOption = None,
    source: SourceOption = None,
    notes: NotesOption = None,
    no_input: NoInputOption = False,
    allow_duplicate: AllowDuplicateOption = False,
) -> None:
    """Record a handover of equipment; on a terminal, asks for what is missing."""
    _add(ctx, DELIVERIES, no_input, allow_duplicate)


@commands.command()
def edit(
    ctx: typer.Context,
    record_id: Annotated[
        str, typer.Argument(metavar="ID", help="The training or delivery to change.")
    ],
    title: TitleOption = None,
    country: RecordCountryOption = None,
    city: CityOption = None,
    start: StartOption = None,
    end: EndOption = None,
    participants: CountOption = None,
    approximate: ApproximateOption = None,
    female: CountOption = None,
    male: CountOption = None,
    agency: AgenciesOption = None,
    audience: AudienceOption = None,
    topic: TopicOption = None,
    organiser: OrganiserOption = None,
    date: DateOption = None,
    unit: UnitOption = None,
    item: ItemOption = None,
    official: OfficialOption = None,
    purpose: PurposeOption = None,
    project: RecordProjectOption = None,
    source: SourceOption = None,
    notes: NotesOption = None,
) -> None:
    """Change fields of a record (list options replace the list; "" clears a field)."""
    from salw_nexus import editing, render

    from . import entry

    # --agency is a training's agencies or a delivery's recipient: the store tells which.
    changes = entry.fields_given(
        {k: v for k, v in ctx.params.items() if k not in ("record_id", "agency")}, editing=True
    )
    if not changes and not agency:
        raise UsageError("nothing to change", hint="Give the fields to change as options.")
    with writing(ctx, create=False) as session:
        before, after, made = editing.edit_record(
            session, record_id=from_argv(record_id), changes=changes,
            agencies=[from_argv(a) for a in agency or []], validate=entry.build,
        )  # fmt: skip
    render.changes(before, after)
    render.agencies_made(made)


@commands.command()
def remove(
    ctx: typer.Context,
    record_id: Annotated[str, typer.Argument(metavar="ID", help="The record to remove.")],
    yes: YesOption = False,
) -> None:
    """Remove a training, delivery or (unused) project."""
    from salw_nexus import editing, render

    if not yes:
        if not asks():
            raise UsageError(
                f"removing {record_id!r} needs confirmation", hint="Give --yes to remove it."
            )
        with reading(ctx) as session:
            record = editing.get_record(session, record_id=from_argv(record_id))
        render.preview(record)
        if not typer.confirm(f"Remove {record_id}?", default=False):
            render.message("nothing was removed")
            raise typer.Exit(1)
    with writing(ctx, create=False) as session:
        kind = editing.remove_record(session, record_id=from_argv(record_id))
    render.message(f"removed {kind.singular} {record_id}")


# What the records refer to (entity_commands.py), and the store itself (store_commands.py).
commands.add_typer(agencies_app, name="agencies")
commands.command("sources")(sources)
commands.add_typer(db_app, name="db")


def main() -> None:
    from salw_nexus.terminal import configure_streams

    configure_streams()
    app()
