"""What the code takes from typer and SQLAlchemy beyond their documented API.

Each test names what is relied on and where; when a new release changes it, the test
fails by that name (pyproject bounds both libraries until it passes on the new version).
"""

from __future__ import annotations

import inspect
import sqlite3
from pathlib import Path

import typer
import typer.main
import typer.models


def test_typer_builds_commands_from_registered_infos() -> None:
    """cli/boundary.py LazyCommands: builds each command from typer's registered infos."""
    for name in ("registered_commands", "registered_groups", "pretty_exceptions_short",
                 "rich_markup_mode", "suggest_commands"):  # fmt: skip
        assert hasattr(typer.Typer(), name), f"typer.Typer has no {name}"
    command_params = inspect.signature(typer.main.get_command_from_info).parameters
    assert {"command_info", "pretty_exceptions_short", "rich_markup_mode"} <= set(command_params)
    group_params = inspect.signature(typer.main.get_group_from_info).parameters
    assert {"group_info", "suggest_commands"} <= set(group_params)
    assert callable(typer.main.get_command_name)
    assert isinstance(typer.models.CommandInfo, type)


def test_typer_parsers_let_a_nexus_error_through() -> None:
    """cli/options.py: an option's parser raises a NexusError, which must reach the error
    boundary as it is (a ValueError would become typer's own usage message)."""
    from typer.testing import CliRunner

    from salw_nexus.cli import app

    result = CliRunner().invoke(app, ["--db", "unused.db", "trainings", "--quarter", "2025-Q5"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --quarter: ")


def test_typer_completion_pieces_nexus_uses() -> None:
    """cli/completion.py and boundary.py: typer's completion classes registered by
    ``completion_init``, its script printed by ``show_callback(ctx, param, shell)``, and a
    parameter's completer held in click's ``_custom_shell_complete``; a command's help
    option made by ``get_help_option`` (its metavar set: flags shown as flags)."""
    from typer._completion_classes import completion_init
    from typer.completion import show_callback
    from typer.core import TyperOption

    assert callable(completion_init)
    assert list(inspect.signature(show_callback).parameters) == ["ctx", "param", "value"]
    from salw_nexus.cli import app

    command = typer.main.get_command(app)
    assert callable(command.get_help_option)
    assert all(hasattr(param, "_custom_shell_complete") for param in command.params)
    assert isinstance(command.params[0], TyperOption)


def test_sqlalchemy_compiles_an_insert_for_the_driver(tmp_path: Path) -> None:
    """store._insert: a compiled insert's parameter order (``positiontup``), its SQL text,
    and each column type's bind processor, applied by the code, then run by the driver."""
    from sqlalchemy import JSON, Column, Date, Integer, MetaData, String, Table, create_engine

    table = Table("t", MetaData(), Column("id", String, primary_key=True), Column("n", Integer),
                  Column("day", Date), Column("tags", JSON))  # fmt: skip
    engine = create_engine(f"sqlite:///{tmp_path / 'guard.db'}")
    try:
        table.metadata.create_all(engine)
        with engine.begin() as connection:
            from sqlalchemy import insert

            compiled = insert(table).compile(dialect=connection.dialect, column_keys=["id", "tags"])
            assert compiled.positional
            assert list(compiled.positiontup or []) == ["id", "tags"]
            assert isinstance(compiled.string, str)
            process = table.c.tags.type.dialect_impl(connection.dialect).bind_processor(
                connection.dialect
            )
            assert process is not None
            connection.exec_driver_sql(compiled.string, [("a", process(["x", "y"]))])
    finally:
        engine.dispose()
    with sqlite3.connect(tmp_path / "guard.db") as raw:
        assert raw.execute("SELECT id, tags FROM t").fetchall() == [("a", '["x", "y"]')]
