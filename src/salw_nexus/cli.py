"""The ``nexus`` command line: thin commands over the services, one error boundary.

Each command turns its options into one service call and one render call. Heavy modules
(sqlmodel, yaml, pycountry, rich tables) are imported inside the commands, so that
``nexus --help`` pays only for typer.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit, TyperException

from .bounds import FIRST_YEAR, LAST_YEAR
from .errors import NexusError, UsageError
from .records import SINGULAR
from .text import for_people, from_argv

if TYPE_CHECKING:
    from sqlmodel import Session


def _debug() -> bool:
    return os.environ.get("NEXUS_DEBUG", "") not in ("", "0")


class LazyCommands(MutableMapping[str, Any]):
    """The commands of ``commands`` (below), each built into a click command when first
    asked for: running one command builds that one, ``--help`` all of them.

    Typer builds every command of an app from its signature before running any (click
    parameters from the ``Annotated`` options): for eighteen commands that was a tenth of
    the start-up of a read command on a small store. Click asks a group for its commands
    by name (``get_command``, ``list_commands``), so the group's table can build them on
    demand; this is click's documented pattern for lazily loaded subcommands.
    """

    def __init__(self, source: typer.Typer) -> None:
        from typer.main import get_command_name

        self._source = source
        self._infos: dict[str, Any] = {}
        for info in source.registered_commands:
            assert info.callback is not None
            self._infos[info.name or get_command_name(info.callback.__name__)] = info
        for group in source.registered_groups:
            assert group.name is not None  # every group here is added with a name
            self._infos[group.name] = group
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            from typer.main import get_command_from_info, get_group_from_info

            info = self._infos[name]  # a KeyError: no such command (``get`` gives None)
            source = self._source
            if isinstance(info, typer.models.CommandInfo):
                built = get_command_from_info(
                    info,
                    pretty_exceptions_short=source.pretty_exceptions_short,
                    rich_markup_mode=source.rich_markup_mode,
                )
            else:
                built = get_group_from_info(
                    info,
                    pretty_exceptions_short=source.pretty_exceptions_short,
                    rich_markup_mode=source.rich_markup_mode,
                    suggest_commands=source.suggest_commands,
                )
            self._built[name] = built
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._infos.setdefault(name, None)
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._infos[name]
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._infos)  # in the order the commands are defined

    def __len__(self) -> int:
        return len(self._infos)


def _reader_gone(exc: OSError) -> bool:
    """A write to a pipe whose reader went away: EPIPE; on Windows often EINVAL instead."""
    return isinstance(exc, BrokenPipeError) or (
        sys.platform == "win32" and exc.errno == errno.EINVAL
    )


def _quiet_streams() -> None:
    """Send what is still buffered for stdout and stderr to /dev/null, so that the exit
    itself does not fail on a reader that went away."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):  # a test runner's
            os.dup2(devnull, stream.fileno())


class NexusGroup(TyperGroup):
    """The one error boundary: domain errors become plain stderr lines and an exit code.

    Its commands are those of ``commands``, built as they are asked for (LazyCommands).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(commands)

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click.Context
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # here, so that a closed pipe is caught below
            return result
        except (TyperException, Exit, Abort):  # usage errors, --help, exits: typer's own
            raise
        except OSError as exc:
            if not _reader_gone(exc):
                return self._unexpected(exc)
            # The reader went away (`nexus trainings -f csv | head`): stop quietly, exit 1.
            # After a write was committed, though, the command did what it was asked
            # (`nexus load X | head -1`): exit 0, or a script would run it again.
            _quiet_streams()
            state = ctx.find_root().obj
            committed = isinstance(state, AppState) and state.committed
            raise typer.Exit(0 if committed else 1) from None
        except NexusError as exc:
            if _debug():
                raise
            lines = [for_people(line, one_line=True) for line in exc.lines()]
            typer.echo(f"error: {lines[0]}", err=True)
            for line in lines[1:]:
                typer.echo(f"  {line}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except Exception as exc:
            return self._unexpected(exc)

    @staticmethod
    def _unexpected(exc: Exception) -> Any:
        if _debug():
            raise exc
        failure = f"error: unexpected failure: {type(exc).__name__}: {exc}"
        typer.echo(for_people(failure, one_line=True), err=True)
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
# The subcommands: defined on a Typer of their own, which NexusGroup builds from lazily.
commands = typer.Typer(pretty_exceptions_enable=False)


@dataclass
class AppState:
    db: str | None
    committed: bool = False  # a write of this command has been committed


def _state(ctx: typer.Context) -> AppState:
    state = ctx.find_root().obj
    assert isinstance(state, AppState)
    return state


@contextmanager
def _writing(ctx: typer.Context, *, create: bool = True) -> Iterator[Session]:
    """A writer's session; once it is committed, the command has done its work."""
    from . import db

    with db.session_scope(_state(ctx).db, writer=True, create=create) as session:
        yield session
    _state(ctx).committed = True


def _store_files(ctx: typer.Context) -> list[Path]:
    """The store's files: an output is never written over them."""
    from . import db

    return db.locate(_state(ctx).db).files


def _print_version(value: bool) -> None:
    if value:
        from . import __version__

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


@commands.command()
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

    path = file or seed_path()
    with render.progress_bar() as bar:
        parsed = records.parse_file(path, progress=bar.step(f"reading {path.name}"))
        scope = db.dry_run_scope(_state(ctx).db) if dry_run else _writing(ctx)
        with scope as session:
            result = store.load_records(
                session, records=parsed, dry_run=dry_run, progress=bar.step("writing")
            )
    render.load_result(result)


@commands.command()
def check(
    file: Annotated[Path, typer.Argument(help="Record file to validate.")],
) -> None:
    """Validate a record file and write nothing (the store is not opened)."""
    from . import records, render

    with render.progress_bar() as bar:
        checked = records.parse_file(file, progress=bar.step(f"reading {file.name}"))
    render.check_result(checked)


@commands.command()
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
    from . import db, files, records, render, store

    if fmt is ExportFormat.csv and output is None:
        raise UsageError(
            "--format csv writes one file per kind (projects.csv, trainings.csv, deliveries.csv)",
            hint="Give a directory with -o/--output.",
        )
    # Where it goes is checked before the store is read: a refusal comes at once.
    targets: list[files.Target] = []
    if fmt is ExportFormat.csv:
        assert output is not None
        targets = records.csv_targets(output, protected=_store_files(ctx))
    elif output is not None:
        targets = [files.target(output, protected=_store_files(ctx))]
    with render.progress_bar() as bar:
        with db.session_scope(_state(ctx).db) as session:
            stored = store.export_records(session, progress=bar.step("reading the store"))
        document = records.to_document(stored)
        del stored  # the document holds the same records as plain values
        if fmt is ExportFormat.csv:
            written = records.write_csv_tables(document, targets)
            render.message(f"wrote {', '.join(str(p) for p in written)}")
            return
        dump = records.yaml_pieces if fmt is ExportFormat.yaml else records.json_pieces
        pieces = dump(document, progress=bar.step(f"writing {fmt.value.upper()}"))
        if output is None:
            sys.stdout.writelines(pieces)
        else:
            files.write_files({targets[0]: pieces})
    if output is not None:
        render.message(f"wrote {output}")


# --- listings and summaries -------------------------------------------------------------


def _complete_country(incomplete: str) -> list[tuple[str, str]]:
    """Shell completion for --country: ISO codes and English names."""
    import pycountry

    # Offer the form being typed: shells keep only candidates that extend the word.
    prefix = incomplete.casefold()
    lower = incomplete.islower()
    matches = [
        (c.alpha_2.lower() if lower else c.alpha_2, c.name)
        for c in pycountry.countries
        if c.alpha_2.casefold().startswith(prefix)
    ]
    matches += [
        (c.name, c.alpha_2) for c in pycountry.countries if c.name.casefold().startswith(prefix)
    ]
    return sorted(matches)[:50]


def _complete_agency(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion for --agency: the names already in the store."""
    from . import db, models, store

    try:
        with db.session_scope(ctx.find_root().params.get("db")) as session:
            names = store.known_agencies(session)
    except Exception:  # completion must never fail loudly
        return []
    needle = models.search_key(incomplete)
    return [name for name in names if needle in models.search_key(name)]


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
    str | None,
    typer.Option(
        "--country",
        "-c",
        help="ISO code (KG, KGZ) or English name.",
        autocompletion=_complete_country,
    ),
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
        "--agency",
        "-a",
        help="Part of an agency name, any case or script (мвд finds МВД).",
        autocompletion=_complete_agency,
    ),
]
ProjectOption = Annotated[str | None, typer.Option("--project", "-p", help="Project id.")]
FiscalStartOption = Annotated[
    int,
    typer.Option(
        "--fiscal-year-start",
        min=1,
        max=12,
        help="Month the fiscal year starts (1, 4, 7 or 10); 4 = Canada's: FY2024-25 Q3.",
    ),
]
LimitOption = Annotated[
    int | None, typer.Option("--limit", "-n", min=1, help="Show at most this many records.")
]
OffsetOption = Annotated[
    int, typer.Option("--offset", min=0, help="Skip this many records first (with --limit: pages).")
]


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
    limit: int | None,
    offset: int,
) -> None:
    """The body shared by the listings: filters -> one report service -> one render."""
    from . import db, render, reports

    filters = reports.make_filters(
        country=country, date_from=date_from, date_to=date_to, quarter=quarter,
        agency=agency, project=project,
    )  # fmt: skip
    page = reports.Page(limit=limit, offset=offset)
    with (
        db.session_scope(_state(ctx).db) as session,
        closing(getattr(reports, service)(session, filters=filters, page=page)) as listing,
    ):
        render.report(listing, fmt.value)  # in the session: rows are read as they are written


@commands.command()
def trainings(
    ctx: typer.Context,
    country: CountryOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    quarter: QuarterOption = None,
    agency: AgencyOption = None,
    project: ProjectOption = None,
    fmt: FormatOption = OutputFormat.table,
    limit: LimitOption = None,
    offset: OffsetOption = 0,
) -> None:
    """List trainings by start date."""
    _listing(ctx, "list_trainings", fmt, country, date_from, date_to, quarter, agency, project,
             limit, offset)  # fmt: skip


def handovers(
    ctx: typer.Context,
    country: CountryOption = None,
    date_from: FromOption = None,
    date_to: ToOption = None,
    quarter: QuarterOption = None,
    agency: AgencyOption = None,
    project: ProjectOption = None,
    fmt: FormatOption = OutputFormat.table,
    limit: LimitOption = None,
    offset: OffsetOption = 0,
) -> None:
    """List deliveries grouped by country, with a subtotal per country."""
    _listing(ctx, "list_handovers", fmt, country, date_from, date_to, quarter, agency, project,
             limit, offset)  # fmt: skip


commands.command("handovers")(handovers)
commands.command("deliveries", help="The same as `handovers`.")(handovers)


@commands.command()
def summary(
    ctx: typer.Context,
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            "-y",
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


class ReportFormat(str, Enum):
    markdown = "markdown"
    html = "html"


@commands.command()
def report(
    ctx: typer.Context,
    quarter: Annotated[
        str | None,
        typer.Option(
            "--quarter", "-q", help="The quarter: 2025-Q1. Default: the last complete quarter."
        ),
    ] = None,
    fiscal_year_start: FiscalStartOption = 1,
    project: ProjectOption = None,
    fmt: Annotated[
        ReportFormat,
        typer.Option("--format", "-f", help="markdown (renders on GitHub) or html (one file)."),
    ] = ReportFormat.markdown,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write. Default: stdout.")
    ] = None,
) -> None:
    """The quarterly donor report: key figures, the quarter's activities, sources."""
    from . import db, donor, files, render

    chosen = files.target(output, protected=_store_files(ctx)) if output is not None else None
    with db.session_scope(_state(ctx).db) as session:
        data = donor.donor_report(
            session, quarter=quarter, fiscal_start=fiscal_year_start, project=project
        )
    document = render.donor_report(data, fmt.value)
    if chosen is None:
        sys.stdout.write(document)
    else:
        files.write_files({chosen: document})
        render.message(f"wrote {output}")


@commands.command()
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
        data = reports.show_record(session, record_id=from_argv(record_id))
    render.report(data, fmt.value)


# --- recording from the command line ----------------------------------------------------


def _interactive(no_input: bool) -> bool:
    return not no_input and sys.stdin.isatty()


NoInputOption = Annotated[
    bool, typer.Option("--no-input", help="Never prompt: fail if a required option is missing.")
]
IdOption = Annotated[
    str | None,
    typer.Option("--id", help="The record's id (default: made from country, date, title)."),
]
TitleOption = Annotated[str | None, typer.Option("--title", help="The course title.")]
RecordCountryOption = Annotated[
    str | None,
    typer.Option(
        "--country", "-c", help="ISO code or English name.", autocompletion=_complete_country
    ),
]
CityOption = Annotated[str | None, typer.Option("--city")]
StartOption = Annotated[str | None, typer.Option("--start", help="First day, YYYY-MM-DD.")]
EndOption = Annotated[str | None, typer.Option("--end", help="Last day, YYYY-MM-DD.")]
CountOption = Annotated[int | None, typer.Option(help="A whole number.")]
ApproximateOption = Annotated[
    bool | None,
    typer.Option("--approximate/--exact", help='Participants is a lower bound ("over 16").'),
]
AgenciesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--agency",
        "-a",
        help="Agency represented; repeat for each.",
        autocompletion=_complete_agency,
    ),
]
AudienceOption = Annotated[list[str] | None, typer.Option("--audience", help="Repeat for each.")]
TopicOption = Annotated[list[str] | None, typer.Option("--topic", help="Repeat for each.")]
OrganiserOption = Annotated[list[str] | None, typer.Option("--organiser", help="Repeat for each.")]
RecordProjectOption = Annotated[
    str | None,
    typer.Option("--project", "-p", help="Project id (default: the store's only project)."),
]
SourceOption = Annotated[str | None, typer.Option("--source", help="Where the facts come from.")]
NotesOption = Annotated[str | None, typer.Option("--notes")]
DateOption = Annotated[str | None, typer.Option("--date", help="Day of the handover, YYYY-MM-DD.")]
UnitOption = Annotated[str | None, typer.Option("--unit", help="The receiving department.")]
ItemOption = Annotated[
    list[str] | None,
    typer.Option("--item", help='What was handed over, "NAME[:QTY]"; repeat for each.'),
]
OfficialOption = Annotated[
    list[str] | None,
    typer.Option("--official", help='An official present, "NAME[:TITLE]"; repeat for each.'),
]
PurposeOption = Annotated[str | None, typer.Option("--purpose")]


def _known(db_option: str | None, country: Any = None) -> tuple[list[str], list[str]]:
    """Countries in the store, and agency names (of ``country`` when it is a known one)."""
    from . import db, store
    from .countries import UnknownCountry, to_alpha2

    try:
        code = to_alpha2(str(country)) if country else None
    except UnknownCountry:
        code = None
    try:
        with db.session_scope(db_option) as session:
            return store.known_countries(session), store.known_agencies(session, country=code)
    except db.EmptyStore:  # the first record of a new store: nothing to offer yet
        return [], []


def _prompt_missing(kind: str, data: dict[str, Any], db_option: str | None) -> None:
    """Ask for each missing required field, offering what the store knows; re-ask until valid."""
    from . import entry, render

    for name in entry.missing(kind, data):
        countries, agencies = _known(db_option, data.get("country"))
        if name == "country" and countries:
            render.message(f"countries in the store: {', '.join(countries)}")
        if name == "agency" and agencies:
            render.message(f"agencies in the store: {'; '.join(agencies)}")
        while True:
            answer = typer.prompt(entry.option_name(name).lstrip("-").capitalize())
            try:
                value: Any = [entry.parse_item(answer)] if name == "items" else answer
            except ValueError as exc:
                render.message(f"{entry.option_name(name)}: {exc}")
                continue
            problem = entry.check_field(entry.MODELS[kind], data, name, value)
            if problem is None:
                data[name] = value
                break
            render.message(f"{entry.option_name(name)}: {problem}")


def _add(ctx: typer.Context, kind: str, values: dict[str, Any], no_input: bool) -> None:
    """The body shared by add-training and add-delivery."""
    from . import entry, render, store

    data = entry.given(values)
    interactive = _interactive(no_input)
    absent = entry.missing(kind, data)
    if absent and not interactive:
        options = ", ".join(entry.option_name(name) for name in absent)
        raise UsageError(
            f"missing {options}",
            hint="Give them as options, or run on a terminal without --no-input to be asked.",
        )
    if absent:
        _prompt_missing(kind, data, _state(ctx).db)
    generated = "id" not in data
    if generated:
        data["id"] = entry.suggest_id(kind, data)
    record = entry.build(entry.MODELS[kind], data)
    if interactive:
        render.preview(record)
        if not typer.confirm(f"Save this {SINGULAR[kind]}?", default=True):
            render.message("nothing was saved")
            raise typer.Exit(1)
    with _writing(ctx) as session:
        if generated:
            record = record.model_copy(update={"id": store.unique_id(session, base=record.id)})
        stored = store.add_record(session, record=record)
    typer.echo(stored.id)
    render.message(f"added {SINGULAR[kind]} {stored.id}")


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
) -> None:
    """Record a training; prompts for missing required fields on a terminal."""
    _add(
        ctx,
        "trainings",
        {
            "id": record_id,
            "title": title,
            "country": country,
            "city": city,
            "start": start,
            "end": end,
            "participants": participants,
            "approximate": approximate,
            "female": female,
            "male": male,
            "agencies": agency,
            "audience": audience,
            "topics": topic,
            "organisers": organiser,
            "project": project,
            "source": source,
            "notes": notes,
        },
        no_input,
    )


@commands.command("add-delivery")
def add_delivery(
    ctx: typer.Context,
    record_id: IdOption = None,
    date: DateOption = None,
    country: RecordCountryOption = None,
    agency: Annotated[
        str | None,
        typer.Option(
            "--agency", "-a", help="The receiving ministry.", autocompletion=_complete_agency
        ),
    ] = None,
    unit: UnitOption = None,
    item: ItemOption = None,
    official: OfficialOption = None,
    purpose: PurposeOption = None,
    project: RecordProjectOption = None,
    source: SourceOption = None,
    notes: NotesOption = None,
    no_input: NoInputOption = False,
) -> None:
    """Record a handover of equipment; prompts for missing required fields on a terminal."""
    from . import entry

    _add(
        ctx,
        "deliveries",
        {
            "id": record_id,
            "date": date,
            "country": country,
            "agency": agency,
            "unit": unit,
            "items": entry.parse_items(item) if item else None,
            "officials": [entry.parse_official(o) for o in official] if official else None,
            "purpose": purpose,
            "project": project,
            "source": source,
            "notes": notes,
        },
        no_input,
    )


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
    from . import entry, models, render, store

    changes = entry.given(
        {
            "title": title,
            "country": country,
            "city": city,
            "start": start,
            "end": end,
            "participants": participants,
            "approximate": approximate,
            "female": female,
            "male": male,
            "audience": audience,
            "topics": topic,
            "organisers": organiser,
            "date": date,
            "unit": unit,
            "purpose": purpose,
            "project": project,
            "source": source,
            "notes": notes,
            "items": (item if item == [""] else entry.parse_items(item)) if item else None,
            "officials": [entry.parse_official(o) if o else o for o in official]
            if official
            else None,
        }
    )
    if not changes and not agency:
        raise UsageError("nothing to change", hint="Give the fields to change as options.")
    with _writing(ctx, create=False) as session:
        before = store.get_record(session, record_id=from_argv(record_id))
        if isinstance(before, models.ProjectIn):
            raise UsageError(f"{record_id!r} is a project; edit projects in a record file")
        if agency:
            if isinstance(before, models.DeliveryIn):
                if len(agency) > 1:
                    raise UsageError("--agency: a delivery has one recipient agency")
                changes["agency"] = agency[0]
            else:
                changes["agencies"] = agency
        after = entry.merge(before, changes)
        if after != before:
            store.update_record(session, record=after)
    render.changes(before, after)


@commands.command()
def remove(
    ctx: typer.Context,
    record_id: Annotated[str, typer.Argument(metavar="ID", help="The record to remove.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove a training, delivery or (unused) project."""
    from . import db, render, store

    if not yes:
        if not _interactive(False):
            raise UsageError(
                f"removing {record_id!r} needs confirmation", hint="Give --yes to remove it."
            )
        with db.session_scope(_state(ctx).db) as session:
            record = store.get_record(session, record_id=from_argv(record_id))
        render.preview(record)
        if not typer.confirm(f"Remove {record_id}?", default=False):
            render.message("nothing was removed")
            raise typer.Exit(1)
    with _writing(ctx, create=False) as session:
        kind = store.remove_record(session, record_id=from_argv(record_id))
    render.message(f"removed {SINGULAR[kind]} {record_id}")


# --- the store --------------------------------------------------------------------------

db_app = typer.Typer(
    help="The store itself: where it is, its schema version, backups.", no_args_is_help=True
)
commands.add_typer(db_app, name="db")


@db_app.command("path")
def db_path(ctx: typer.Context) -> None:
    """Print where the store is (a file path, or the URL without its password)."""
    from . import db

    typer.echo(db.locate(_state(ctx).db).label)


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Print the store's schema revision and whether it needs `nexus db upgrade`."""
    from . import db

    location = db.locate(_state(ctx).db)
    db.prepare(location, create=False)
    engine = db.make_engine(location)
    try:
        with db.translated(location), engine.connect() as connection:
            revision = db.stored_revision(connection)
    finally:
        engine.dispose()
    if revision is None:
        state = "empty: a command that writes creates it at the current revision"
    elif revision == db.HEAD:
        state = "up to date"
    elif revision in db.REVISIONS:
        state = f"needs `nexus db upgrade` to {db.HEAD}"
    else:
        state = f"newer than this nexus ({db.HEAD})"
    typer.echo(f"{revision or '-'} ({state})")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Migrate the store to this program's schema, in place, in one transaction."""
    from . import db, render

    location = db.locate(_state(ctx).db)
    with db.translated(location):
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
    from . import db, render

    location = db.locate(_state(ctx).db)
    written = db.backup(location, file, force=force)
    render.message(f"backed up {location.label} to {written}")


@db_app.command("check")
def db_check(ctx: typer.Context) -> None:
    """Check a SQLite store for damage (SQLite's integrity_check); exit 1 if it is damaged."""
    from . import db, render

    location = db.locate(_state(ctx).db)
    db.integrity_check(location)
    render.message(f"store {location.label}: no damage found")


def main() -> None:
    from .terminal import configure_streams

    configure_streams()
    app()
