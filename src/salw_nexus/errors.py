"""The one family of errors domain code raises.

Domain modules never import typer; the CLI's error boundary (``cli.py``) turns a
:class:`NexusError` into plain lines on stderr and the exit code it carries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence


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


# Marks an option's name in a message: domain code names the option (or the setting) a
# value came from, the CLI spells it (``--db``) as it prints the message. A control
# character, so that no text of a message's own can look like one.
_OPTION_MARK = "\x1f"
_OPTION_NAMED = re.compile(f"{_OPTION_MARK}([a-z][a-z0-9-]*){_OPTION_MARK}")


def option(name: str) -> str:
    """A reference to the option or setting ``name`` (``"db"``, ``"id"``) in a message."""
    return f"{_OPTION_MARK}{name}{_OPTION_MARK}"


def spell_options(text: str, spell: Callable[[str], str]) -> str:
    """``text`` with every ``option()`` reference spelt by ``spell``."""
    return _OPTION_NAMED.sub(lambda match: spell(match[1]), text)


class DuplicateIdError(RecordError):
    """A new record's id is taken by another record."""

    def __init__(self, record_id: str, taken_by: str) -> None:
        super().__init__(
            [f"{option('id')}: a {taken_by} with the id {record_id!r} exists already"],
            hint=f"Choose another {option('id')} (or leave it out to have one made), "
            "or use `nexus edit`.",
        )
        self.record_id = record_id
