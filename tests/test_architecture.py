"""The shape of the code, as ARCHITECTURE.md describes it, checked.

- no module over 600 lines, the commands module at most 500; only render.py imports rich;
- no option spelt (``--quarter``) in a message outside the CLI package: services name an
  option with ``errors.option``, and the CLI spells it;
- no kind name as a string literal outside the registry (kinds.py), the models, the
  migrations and the templates: code iterates over ``kinds.KINDS``;
- every table stores the fields of its record's input model that it has a column for,
  under the same names (the two declarations cannot drift apart).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main

from salw_nexus.cli import app
from salw_nexus.kinds import KINDS

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "salw_nexus"
MODULES = sorted(PACKAGE.rglob("*.py"))
CLI = PACKAGE / "cli"


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _messages(path: Path) -> Iterator[tuple[int, str]]:
    """The string literals of a module that are not docstrings: (line, text)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node.lineno, node.value


def _option_names() -> set[str]:
    """Every long option of every command, ``--db`` included."""
    names: set[str] = set()

    def walk(command: object) -> None:
        for param in getattr(command, "params", []):
            for spelling in (*param.opts, *param.secondary_opts):
                if spelling.startswith("--"):
                    names.add(spelling)
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    group = typer.main.get_command(app)
    walk(group)
    return names


@pytest.mark.parametrize("path", MODULES, ids=_relative)
def test_no_module_is_long(path: Path) -> None:
    limit = 500 if path == CLI / "commands.py" else 600
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= limit, f"{_relative(path)} has {lines} lines (at most {limit})"


def test_only_the_cli_spells_an_option() -> None:
    options = _option_names()
    assert {"--db", "--quarter", "--agency", "--id", "--fiscal-year-start"} <= options
    spelt = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")
    found = [
        f"{_relative(path)}:{line}: {match}"
        for path in MODULES
        if CLI not in path.parents
        for line, text in _messages(path)
        for match in spelt.findall(text)
        if match in options
    ]
    assert found == []


def test_kinds_are_named_by_the_registry_only() -> None:
    names = {name for kind in KINDS for name in (kind.plural, kind.singular)}
    allowed = {"kinds.py", "models.py"}
    found = [
        f"{_relative(path)}:{line}: {text!r}"
        for path in MODULES
        if path.name not in allowed and "migrations" not in path.relative_to(PACKAGE).parts
        for line, text in _messages(path)
        if text in names
    ]
    assert found == []


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_tables_store_the_input_fields_by_their_names(kind: object) -> None:
    from salw_nexus.kinds import PROJECT_COLUMN, PROJECT_FIELD, Kind

    assert isinstance(kind, Kind)
    stored = set(kind.table.c.keys()) - {"fingerprint", "created_at", "updated_at"}
    fields = set(kind.model.model_fields)
    # What a record holds but its row does not: the rows listed under it elsewhere.
    elsewhere = {"agencies", "agency", "items", "officials"}
    renamed = {PROJECT_FIELD: PROJECT_COLUMN}
    expected = {renamed.get(name, name) for name in fields - elsewhere}
    assert stored - {"agency_id"} == expected


def test_only_render_imports_rich() -> None:
    importing = sorted(
        _relative(path)
        for path in MODULES
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        and any(
            (name.name if isinstance(node, ast.Import) else node.module or "").startswith("rich")
            for name in node.names
        )
    )
    assert set(importing) == {"render.py"}
