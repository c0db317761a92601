"""The options the commands share, each parsed where it comes in.

A value is turned into what the services take (an alpha-2 code, a date, a ``Quarter``)
by the option's parser, so a bad one stops the command before anything is opened, with
exit code 2 and a message naming the option; no service ever sees option text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import typer

from salw_nexus.errors import UsageError
from salw_nexus.text import from_argv

if TYPE_CHECKING:
    from salw_nexus.files import Target
    from salw_nexus.periods import Quarter
    from salw_nexus.tabular import CsvStyle

T = TypeVar("T")


def parsed_as(option: str, parse: Callable[[str], T]) -> Callable[[str], T]:
    """A parser for ``option``: its text as typed (``text.from_argv``) given to ``parse``;
    a ValueError becomes a usage error naming the option."""

    def parser(value: str) -> T:
        text = from_argv(value)
        if any("\ud800" <= char <= "\udfff" for char in text):
            raise UsageError(f"{option}: not UTF-8 text: {text!r}")
        try:
            return parse(text)
        except ValueError as exc:
            raise UsageError(f"{option}: {exc}") from None

    return parser


def as_text(text: str) -> str:
    return text


def country_code(text: str) -> str:
    from salw_nexus.countries import to_alpha2

    return to_alpha2(text)


def day(text: str) -> dt.date:
    """A --from/--to date, moved into the years records may have: ``--from 0001-01-01``
    selects what ``--from 1990-01-01`` does, and keeps quarters within what dates hold."""
    from salw_nexus.bounds import in_range
    from salw_nexus.models import parse_date

    return in_range(parse_date(text))


def quarter(text: str) -> Quarter:
    from salw_nexus.periods import Quarter

    return Quarter.parse(text)


class OutputFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"  # JSON Lines: one object a line
    markdown = "markdown"


class ListingFormat(str, Enum):
    """The listings' and summary's formats: OutputFormat's, and a workbook (to a file)."""

    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"
    markdown = "markdown"
    xlsx = "xlsx"


class ExportFormat(str, Enum):
    yaml = "yaml"
    json = "json"
    csv = "csv"
    iati = "iati"  # IATI 2.03 activity XML (iati.py)


class ReportFormat(str, Enum):
    markdown = "markdown"
    html = "html"
    json = "json"
    xlsx = "xlsx"


# --- filters (the listings, summary and report) -----------------------------------------

FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format", "-f",
        help="table for people; csv, json, jsonl (one object a line), markdown for programs "
        "and documents.",
    ),
]  # fmt: skip
ListingFormatOption = Annotated[
    ListingFormat,
    typer.Option(
        "--format", "-f",
        help="table for people; csv, json, jsonl (one object a line), markdown for programs "
        "and documents; xlsx, a workbook for spreadsheets (needs --output).",
    ),
]  # fmt: skip
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", metavar="FILE",
        help="File to write, whole or not at all (never over the store). Default: stdout.",
    ),
]  # fmt: skip


def delimiter(text: str) -> str:
    named = {",": ",", ";": ";", "tab": "\t", "\\t": "\t", "\t": "\t"}
    if text.casefold() not in named:
        raise ValueError(f"{text!r}: give , or ; or tab")
    return named[text.casefold()]


DelimiterOption = Annotated[
    str | None,
    typer.Option(
        "--delimiter", metavar="',' | ';' | tab",
        help="With --format csv: the separator; ';' for Excel in a Russian or Kazakh locale.",
        parser=parsed_as("--delimiter", delimiter),
    ),
]  # fmt: skip


def csv_style(fmt: Enum, separator: str | None) -> CsvStyle | None:
    """How CSV is written (the delimiter; a file gets a BOM and CRLF, render.output);
    ``--delimiter`` with another format is a usage error."""
    if separator is None:
        return None
    if fmt.value != "csv":
        raise UsageError("--delimiter goes with --format csv")
    from salw_nexus.tabular import CsvStyle

    return CsvStyle(delimiter=separator)


def output_target(ctx: typer.Context, fmt: Enum, output: Path | None) -> Target | None:
    """Where a command's output in format ``fmt`` goes: the file of ``--output``, checked
    before anything is read (``files.target``: never the store, a directory or a SQLite
    database), or stdout (None). A workbook is binary: without ``--output`` it is a usage
    error."""
    from salw_nexus import files, render

    from .boundary import store_files

    render.needs_file(str(fmt.value), output)
    if output is None:
        return None
    binary = str(fmt.value) in render.BINARY
    return files.target(output, protected=store_files(ctx), binary=binary)


CountryOption = Annotated[
    str | None,
    typer.Option(
        "--country", "-c", help="ISO code (KG, KGZ), or a name in English, Russian or a national language.",
        parser=parsed_as("--country", country_code),
        metavar="<str>",
    ),
]  # fmt: skip
FromOption = Annotated[
    dt.date | None,
    typer.Option("--from", help="On or after this date (YYYY-MM-DD).",
                 parser=parsed_as("--from", day), metavar="<str>"),
]  # fmt: skip
ToOption = Annotated[
    dt.date | None,
    typer.Option("--to", help="On or before this date (YYYY-MM-DD).",
                 parser=parsed_as("--to", day), metavar="<str>"),
]  # fmt: skip
# Any: the type is Quarter (or None), which typer must not import to show --help.
QuarterOption = Annotated[
    Any,
    typer.Option("--quarter", "-q", help="A quarter: 2025-Q1 (or 2025Q1).",
                 parser=parsed_as("--quarter", quarter), metavar="<str>"),
]  # fmt: skip
AgencyOption = Annotated[
    str | None,
    typer.Option(
        "--agency", "-a", help="Part of an agency name, any case or script (мвд finds МВД).",
        parser=parsed_as("--agency", as_text),
        metavar="<str>",
    ),
]  # fmt: skip
ProjectOption = Annotated[
    str | None,
    typer.Option(
        "--project",
        "-p",
        help="Project id.",
        parser=parsed_as("--project", as_text),
        metavar="<str>",
    ),
]
# A choice: fiscal quarters are calendar quarters shifted, so a year starts with one.
FiscalStartOption = Annotated[
    Literal[1, 4, 7, 10],
    typer.Option(
        "--fiscal-year-start",
        help="Month the fiscal year starts; 4 = Canada's (April): FY2024-25 Q3.",
    ),
]  # fmt: skip
LimitOption = Annotated[
    int | None, typer.Option("--limit", "-n", min=1, help="Show at most this many records.")
]
OffsetOption = Annotated[
    int, typer.Option("--offset", min=0, help="Skip this many records first (with --limit: pages).")
]

# --- record fields (add-training, add-delivery, edit) -----------------------------------

YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")
]  # -y is --yes in every command
AllowDuplicateOption = Annotated[
    bool,
    typer.Option(
        "--allow-duplicate",
        help="Add it even if a record like it is there (same country, overlapping dates "
        "and a similar title; for a delivery: same day and agency).",
    ),
]
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
    typer.Option("--country", "-c", help="ISO code or a name (English, Russian, national)."),
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
        "--agency", "-a", help="Agency represented, by id or any name; repeat for each.",
        metavar="ID_OR_NAME",
    ),
]  # fmt: skip
RecipientOption = Annotated[
    str | None,
    typer.Option(
        "--agency",
        "-a",
        help="The receiving agency, by id or any name.",
    ),
]
AudienceOption = Annotated[
    list[str] | None, typer.Option("--audience", metavar="TEXT", help="Repeat for each.")
]
TopicOption = Annotated[
    list[str] | None, typer.Option("--topic", metavar="TEXT", help="Repeat for each.")
]
OrganiserOption = Annotated[
    list[str] | None, typer.Option("--organiser", metavar="TEXT", help="Repeat for each.")
]
RecordProjectOption = Annotated[
    str | None,
    typer.Option("--project", "-p", help="Project id (default: the store's only project)."),
]
SourceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--source", metavar="ID", help="Id of a source (nexus sources lists them); repeat for each."
    ),
]
NotesOption = Annotated[str | None, typer.Option("--notes")]
DateOption = Annotated[str | None, typer.Option("--date", help="Day of the handover, YYYY-MM-DD.")]
UnitOption = Annotated[str | None, typer.Option("--unit", help="The receiving department.")]
ItemOption = Annotated[
    list[str] | None,
    typer.Option(
        "--item",
        metavar="ITEM",
        # \[ : Rich (typer's help) would read "[/ CATEGORY]" as a closing markup tag.
        help='What was handed over, "NAME\\[:QTY] \\[/ CATEGORY] \\[/ VALUE CURRENCY]", e.g. '
        '"Laptop:4 / it-equipment / 5200 USD"; repeat for each.',
    ),
]
OfficialOption = Annotated[
    list[str] | None,
    typer.Option(
        "--official", metavar="NAME[:TITLE]", help="An official present; repeat for each."
    ),
]
PurposeOption = Annotated[str | None, typer.Option("--purpose")]
