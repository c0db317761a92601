"""``nexus report`` (the quarterly donor report) and ``nexus indicators`` (its results
framework): one quarter of one project, counted as ``figures.py`` defines every figure."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .boundary import reading
from .options import (
    DelimiterOption,
    FiscalStartOption,
    ListingFormat,
    ListingFormatOption,
    OutputOption,
    ProjectOption,
    QuarterOption,
    ReportFormat,
    csv_style,
    output_target,
)

ReportQuarterOption = Annotated[
    Any,  # a Quarter, or None: the last complete one (as QuarterOption)
    typer.Option(
        "--quarter",
        "-q",
        help="The quarter: 2025-Q1. Default: the last complete quarter.",
        parser=QuarterOption.__metadata__[0].parser,
        metavar="<str>",
    ),
]
AllowEmptyOption = Annotated[
    bool,
    typer.Option(
        "--allow-empty-period",
        help="Report on a quarter after today or before the project starts all the same.",
    ),
]


def report(
    ctx: typer.Context,
    quarter: ReportQuarterOption = None,
    fiscal_year_start: FiscalStartOption = 1,
    project: ProjectOption = None,
    fmt: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            "-f",
            help="markdown (renders on GitHub), html (one printable file), json (the "
            "report's data for programs) or xlsx (a workbook: needs --output).",
        ),
    ] = ReportFormat.markdown,
    output: OutputOption = None,
    ids: Annotated[
        bool, typer.Option("--ids", help="Show record ids, for internal review.")
    ] = False,
    allow_empty_period: AllowEmptyOption = False,
) -> None:
    """The quarterly donor report: key figures, results, equipment, activities, sources."""
    from salw_nexus import donor, render

    chosen = output_target(ctx, fmt, output)
    with reading(ctx) as session:
        data = donor.donor_report(
            session, quarter=quarter, fiscal_start=fiscal_year_start, project=project,
            allow_empty=allow_empty_period, ids=ids,
        )  # fmt: skip
    render.output(data, fmt.value, to=chosen)
    render.wrote([output] if output is not None else [])


def indicators(
    ctx: typer.Context,
    quarter: ReportQuarterOption = None,
    fiscal_year_start: FiscalStartOption = 1,
    project: ProjectOption = None,
    fmt: ListingFormatOption = ListingFormat.table,
    delimiter: DelimiterOption = None,
    output: OutputOption = None,
    allow_empty_period: AllowEmptyOption = False,
) -> None:
    """The results framework: each indicator's baseline, target, quarter, year to date,
    life of project and % of target (the report's "Results")."""
    from salw_nexus import render
    from salw_nexus.indicators import indicator_report

    chosen, style = output_target(ctx, fmt, output), csv_style(fmt, delimiter)
    with reading(ctx) as session:
        data = indicator_report(
            session, quarter=quarter, fiscal_start=fiscal_year_start, project=project,
            allow_empty=allow_empty_period,
        )  # fmt: skip
    render.output(data, fmt.value, to=chosen, csv_style=style)
    render.wrote([output] if output is not None else [])
    if not data.rows:
        render.message(
            f"project {data.project_id} has no indicators: give it an `indicators:` block in "
            "the record file (README: the record format)"
        )
