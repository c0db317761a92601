"""The one family of errors domain code raises.

Domain modules never import typer; the CLI's error boundary (``cli.py``) turns a
:class:`NexusError` into plain lines on stderr and the exit code it carries.
"""

from __future__ import annotations

from collections.abc import Sequence


class NexusError(Exception):
    """Base class: a failure the user can act on. ``exit_code`` follows DESIGN §4."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def lines(self) -> list[str]:
        """The message as printed: the problem first, then what to do about it."""
        return [self.message] + ([self.hint] if self.hint else [])


class UsageError(NexusError):
    """Bad usage of a command (exit 2), e.g. a missing required option."""

    exit_code = 2


class RecordError(NexusError):
    """One or more problems in a record file or in values given on the command line.

    Each problem is already a full sentence that names where it is (``file:line``
    or ``--option``) and which field.
    """

    MAX_SHOWN = 20

    def __init__(self, problems: Sequence[str], *, hint: str | None = None) -> None:
        self.problems = list(problems)
        super().__init__(self.problems[0] if self.problems else "invalid records", hint=hint)

    def lines(self) -> list[str]:
        shown = self.problems[: self.MAX_SHOWN]
        more = len(self.problems) - len(shown)
        tail = [f"... and {more} more problem(s)"] if more > 0 else []
        return shown + tail + ([self.hint] if self.hint else [])


class StoreError(NexusError):
    """The store cannot be opened or written (missing directory, not a database, ...)."""


class NotFoundError(NexusError):
    """A record id that is not in the store."""


class FileError(NexusError):
    """A file cannot be written as asked (the store itself, a directory, an existing
    file without --force, a full disk); nothing was written."""
