"""Work done in batches: slices of a long list, and a tally that reports progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
# Told (done, total) as work advances; the CLI draws a progress bar with it.
Progress = Callable[[int, int], None]


@dataclass
class Tally:
    """Counts work done out of ``total``, telling ``progress`` (when there is one) each time."""

    total: int
    progress: Progress | None
    done: int = 0

    def add(self, amount: int) -> None:
        self.done += amount
        if self.progress:
            self.progress(self.done, self.total)


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
