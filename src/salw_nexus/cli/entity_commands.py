"""``nexus agencies`` (and ``agencies merge``) and ``nexus sources``: what the records refer to."""

from __future__ import annotations

from typing import Annotated

import typer

from salw_nexus.text import from_argv

from .boundary import asks, reading, writing
from .options import (
    AgencyOption,
    CountryOption,
    DelimiterOption,
    FormatOption,
    OutputFormat,
    YesOption,
    csv_style,
)

agencies_app = typer.Typer(
    help="List the agencies, each with its names and what it took part in; merge two.",
    invoke_without_command=True,
)


@agencies_app.callback()
def agencies(
    ctx: typer.Context,
    country: CountryOption = None,
    agency: AgencyOption = None,
    fmt: FormatOption = OutputFormat.table,
    delimiter: DelimiterOption = None,
) -> None:
    """List the agencies: every name (other languages, aliases), the trainings each was
    represented at and the deliveries it received."""
    if ctx.invoked_subcommand is not None:
        return
    from salw_nexus import render
    from salw_nexus.agencies import list_agencies

    style = csv_style(fmt, delimiter)
    with reading(ctx) as session:
        listed = list_agencies(session, country=country, agency=agency)
    render.output(listed, fmt.value, csv_style=style)


@agencies_app.command("merge")
def merge(
    ctx: typer.Context,
    keep: Annotated[str, typer.Argument(metavar="KEEP", help="The agency id to keep.")],
    other: Annotated[
        str, typer.Argument(metavar="OTHER", help="The id of the same agency under another name.")
    ],
    yes: YesOption = False,
) -> None:
    """Make OTHER one with KEEP: OTHER's names become aliases of KEEP, and every training
    and delivery naming OTHER names KEEP. Shown before and after; one transaction."""
    from salw_nexus import render
    from salw_nexus.agencies import merge_agencies
    from salw_nexus.errors import UsageError

    keep, other = from_argv(keep), from_argv(other)
    if not yes and not asks():
        raise UsageError(
            f"merging {other!r} into {keep!r} needs confirmation", hint="Give --yes to merge."
        )
    with writing(ctx, create=False) as session:
        merged = merge_agencies(session, keep=keep, other=other)
        render.merge(merged)
        if not yes and not typer.confirm(f"Merge {other} into {keep}?", default=False):
            session.rollback()
            render.message("nothing was merged")
            raise typer.Exit(1)
    render.message(f"merged agency {other} into {keep}")


def sources(
    ctx: typer.Context,
    fmt: FormatOption = OutputFormat.table,
    delimiter: DelimiterOption = None,
) -> None:
    """List the sources the records cite, each with the records citing it."""
    from salw_nexus import render
    from salw_nexus.agencies import list_sources

    style = csv_style(fmt, delimiter)
    with reading(ctx) as session:
        listed = list_sources(session)
    render.output(listed, fmt.value, csv_style=style)
