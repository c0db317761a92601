"""The command line's frame: its one error boundary, commands built when asked for, and
the state the commands share (which store, whether a write was committed).

Domain code raises ``NexusError``; here it becomes plain lines on stderr and the exit
code it carries. A message naming an option (``errors.option("db")``) has it spelt as
the command line spells it (``--db``).
"""

from __future__ import annotations

import contextlib
import copy
import errno
import gc
import os
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit, TyperException

from salw_nexus.errors import NexusError, spell_options
from salw_nexus.text import for_people

if TYPE_CHECKING:
    from sqlmodel import Session


def spelt(option: str) -> str:
    """How the command line spells the option (or setting) ``option``."""
    return f"--{option}"


def _debug() -> bool:
    return os.environ.get("NEXUS_DEBUG", "") not in ("", "0")


class LazyCommands(MutableMapping[str, Any]):
    """The commands of a Typer app, each built into a click command when first
    asked for: running one command builds that one, ``--help`` all of them.

    Typer builds every command of an app from its signature before running any (click
    parameters from the ``Annotated`` options): for eighteen commands that was a tenth of
    the start-up of a read command on a small store. Click asks a group for its commands
    by name (``get_command``, ``list_commands``), so the group's table can build them on
    demand; this is click's documented pattern for lazily loaded subcommands.
    """

    def __init__(self, source: typer.Typer, root: Any) -> None:
        from typer.main import get_command_name

        self._source = source
        self._root = root  # whose global options (--db) its commands take too
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
            _finish(built, self._root)
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


# Options of the whole program that may also follow the command: `nexus trainings --db x`.
GLOBAL_OPTIONS = ("db",)


def _take_global_options(command: Any, root: Any) -> None:
    """Give ``command`` the global options of ``root``: the same option, whose value is
    the program's (``AppState``)."""
    for param in root.params:
        if param.name in GLOBAL_OPTIONS and param.name not in {p.name for p in command.params}:
            late = copy.copy(param)
            late.expose_value = False  # not an argument of the command's function
            late.envvar = None  # the group has read NEXUS_DB already
            late.default = None
            late.callback = _set_global_option
            command.params.append(late)


def _finish(command: Any, root: Any) -> None:
    """What typer leaves undone in a command (and a group's commands): the global options
    taken after the command too, flags shown as flags, countries, agencies and ids
    completed by any part (completion.py)."""
    from . import completion

    _take_global_options(command, root)
    _flags_without_type(command)
    completion.install(command)
    for sub in getattr(command, "commands", {}).values():
        _finish(sub, root)


def _flags_without_type(command: Any) -> None:
    """Help shows a flag (``--dry-run``, ``--help``) as the flag alone: typer would show
    ``<bool>``, as if it took a value (``--no-input true`` is an error)."""
    for param in command.params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    make_help_option = command.get_help_option

    def help_option(ctx: Any) -> Any:
        option = make_help_option(ctx)
        if option is not None and option.metavar is None:
            option.metavar = ""
        return option

    command.get_help_option = help_option


def _set_global_option(ctx: Any, param: Any, value: Any) -> Any:
    if value is not None:
        ctx.meta[f"nexus.{param.name}"] = value  # the contexts share meta: completion reads it
        shared = ctx.find_root().obj
        if isinstance(shared, AppState):
            setattr(shared, param.name, value)
    return value


def chosen_store(ctx: Any) -> str | None:
    """The store the command line names (``--db`` before or after the command), also
    while completing, when no command has run."""
    late = ctx.meta.get("nexus.db")
    return str(late) if late is not None else ctx.find_root().params.get("db")


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

    Its commands are those of the Typer app ``source`` (set by the CLI), built as they
    are asked for (LazyCommands).
    """

    source: typer.Typer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from typer._completion_classes import completion_init

        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(self.source, root=self)
        _flags_without_type(self)
        completion_init()  # typer's completion for bash, zsh, fish, PowerShell (a table of 5)

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
            shared = ctx.find_root().obj
            committed = isinstance(shared, AppState) and shared.committed
            raise typer.Exit(0 if committed else 1) from None
        except NexusError as exc:
            if _debug():
                raise
            lines = [for_people(spell_options(line, spelt), one_line=True) for line in exc.lines()]
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


@dataclass
class AppState:
    db: str | None
    committed: bool = False  # a write of this command has been committed


def state(ctx: typer.Context) -> AppState:
    shared = ctx.find_root().obj
    assert isinstance(shared, AppState)
    return shared


@contextmanager
def writing(ctx: typer.Context, *, create: bool = True) -> Iterator[Session]:
    """A writer's session; once it is committed, the command has done its work."""
    from salw_nexus import db

    with db.session_scope(state(ctx).db, writer=True, create=create) as session:
        yield session
    state(ctx).committed = True


def store_files(ctx: typer.Context) -> list[Path]:
    """The store's files: an output is never written over them."""
    from salw_nexus import db

    return db.locate(state(ctx).db).files


def asks(no_input: bool = False) -> bool:
    """Whether a command may ask (a prompt, a confirmation): on a terminal, unless told not to."""
    return not no_input and sys.stdin.isatty()


@contextmanager
def reading(ctx: typer.Context) -> Iterator[Session]:
    """A reader's session of the store the command was given."""
    from salw_nexus import db

    with db.session_scope(state(ctx).db) as session:
        yield session


@contextmanager
def bulk_work() -> Iterator[None]:
    """Hold off the cyclic garbage collector while a command reads or writes records in bulk.

    A load allocates millions of objects that live until it ends and form no cycles;
    meanwhile CPython would keep scanning all of them (twice the time of parsing a file).
    The command owns the process, so it is the one to say so; afterwards the survivors
    are frozen (``gc.freeze``): the collector, back on, leaves them alone.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()
