"""Everything the user sees on stdout, drawn in one place. The only module importing rich."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from .records import RecordSet
    from .store import LoadResult


def stdout() -> Console:
    # Made per call, so that whatever sys.stdout is at the time (a test runner's) is used.
    return Console(highlight=False, soft_wrap=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def load_result(result: LoadResult) -> None:
    console = stdout()
    console.print(f"{'Dry run of' if result.dry_run else 'Loaded'} {result.source}")
    table = Table()
    table.add_column("kind")
    for heading in ("added", "updated", "unchanged"):
        table.add_column(heading, justify="right")
    for kind, counts in result.counts.items():
        table.add_row(kind, str(counts.added), str(counts.updated), str(counts.unchanged))
    console.print(table)
    if result.dry_run:
        stderr().print("dry run: nothing was written")


def check_result(records: RecordSet) -> None:
    counts = records.counts()
    stdout().print(
        f"{records.source}: valid — {counts['projects']} project(s), "
        f"{counts['trainings']} training(s), {counts['deliveries']} delivery(ies)"
    )


def message(text: str) -> None:
    """A one-line message for the person at the terminal (stderr: not part of the data)."""
    stderr().print(text)
