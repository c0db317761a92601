"""``nexus export``: the store in the record format (YAML, JSON), as CSV tables, or its
projects as IATI activities (``iati.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from salw_nexus.errors import UsageError

from .boundary import bulk_work, reading, store_files
from .options import ExportFormat, ProjectOption

IatiProjectOption = Annotated[
    str | None,
    typer.Option(
        "--project",
        "-p",
        help="With --format iati: the project to write (default: every project).",
        parser=ProjectOption.__metadata__[0].parser,
        metavar="<str>",
    ),
]
IatiFiscalStartOption = Annotated[
    Literal[1, 4, 7, 10],
    typer.Option(
        "--fiscal-year-start",
        help="With --format iati: results per fiscal year from this month.",
    ),
]


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
    project: IatiProjectOption = None,
    fiscal_start: IatiFiscalStartOption = 1,
) -> None:
    """Write the store out: the record format, CSV tables, or IATI activities.

    YAML and JSON are the record format and load back unchanged; CSV is for spreadsheets;
    --format iati writes each project as an IATI 2.03 activity (docs/iati.md).
    """
    from salw_nexus import export, render

    if fmt is not ExportFormat.iati and (project is not None or fiscal_start != 1):
        raise UsageError(
            "--project and --fiscal-year-start go with --format iati; "
            f"--format {fmt.value} writes the whole store",
        )
    if fmt is ExportFormat.csv and output is None:
        raise UsageError(
            "--format csv writes one file per kind (projects.csv, trainings.csv, deliveries.csv)",
            hint="Give a directory with -o/--output.",
        )
    targets = export.destination(fmt.value, output, protected=store_files(ctx))
    with render.progress_bar() as bar, bulk_work(), reading(ctx) as session:
        written = export.export_store(session, fmt=fmt.value, targets=targets,
                                      progress=bar.step, project=project,
                                      fiscal_start=fiscal_start)  # fmt: skip
    render.exported(written)
