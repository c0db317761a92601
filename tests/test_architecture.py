"""The shape of the code, as ARCHITECTURE.md describes it, checked.

- no module over 600 lines, the commands module at most 500; only render.py imports rich;
- no option spelt (``--quarter``) in a message outside the CLI package: services name an
  option with ``errors.option``, and the CLI spells it;
- no kind name as a string literal outside the registry (kinds.py), the models, the
  migrations and the templates: code iterates over ``kinds.KINDS`` (a kind name that is
  also the name of a field, such as ``agencies``, may be written as that field's name);
- every table stores the written fields of its record's input model that it has a column
  for, under the same names (the two declarations cannot drift apart).
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


def _kind_names_that_are_not_fields() -> set[str]:
    """The kind names that a string literal may not spell outside the registry.

    Record format 2 made some kind names field names as well: a training lists the ids of
    its ``agencies``, a delivery names its ``agency``, every record cites its ``sources``
    (and a version 1 file its ``source``); a training or delivery names its ``project``.
    A literal spelling one of those may be the field (a column of a report row, a
    command-line parameter, the command ``nexus agencies`` that lists the field's
    targets), which no registry lookup could replace without naming the field by its
    kind, so those are allowed. The kind names that are no field's name (``trainings``,
    ``delivery``, ``projects`` ...) may only come from the registry.
    """
    names = {name for kind in KINDS for name in (kind.plural, kind.singular)}
    fields = {name for kind in KINDS for name in kind.model.model_fields}
    return names - fields


def _kind_literals(paths: list[Path], root: Path) -> list[str]:
    names = _kind_names_that_are_not_fields()
    return [
        f"{path.relative_to(root).as_posix()}:{line}: {text!r}"
        for path in paths
        for line, text in _messages(path)
        if text in names
    ]


def test_kinds_are_named_by_the_registry_only() -> None:
    allowed = {"kinds.py", "models.py"}
    checked = [
        path
        for path in MODULES
        if path.name not in allowed and "migrations" not in path.relative_to(PACKAGE).parts
    ]
    assert _kind_literals(checked, PACKAGE) == []


def test_kind_names_that_are_not_fields_are_still_refused(tmp_path: Path) -> None:
    assert {"trainings", "training", "deliveries", "delivery", "projects"} <= (
        _kind_names_that_are_not_fields()
    )
    module = tmp_path / "module.py"
    module.write_text(
        '"""A docstring may say trainings."""\n'
        'FIELD = "agencies"\n'
        'KIND = "trainings"\n'
        'def f() -> str:\n    return "delivery"\n',
        encoding="utf-8",
    )
    assert _kind_literals([module], tmp_path) == [
        "module.py:3: 'trainings'",
        "module.py:5: 'delivery'",
    ]


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_tables_store_the_input_fields_by_their_names(kind: object) -> None:
    from salw_nexus.kinds import (
        AGENCIES,
        AGENCIES_FIELD,
        AGENCY_FIELD,
        PROJECT_COLUMN,
        PROJECT_FIELD,
        Kind,
    )

    assert isinstance(kind, Kind)
    stored = set(kind.table.c.keys()) - {"fingerprint", "created_at", "updated_at"}
    # The written fields: version 1's `source` and `value_usd` are read, never stored.
    fields = set(kind.fields)
    assert "source" not in fields
    # What a record holds but its row does not: the rows listed under it elsewhere.
    elsewhere = {AGENCIES_FIELD, "items", "officials"}
    renamed = {PROJECT_FIELD: PROJECT_COLUMN, AGENCY_FIELD: "agency_id"}
    # Made from the fields, not one of them: every name of an agency, folded, to search.
    derived = {"search_key"} if kind is AGENCIES else set()
    assert not derived & fields
    expected = {renamed.get(name, name) for name in fields - elsewhere}
    assert stored == expected | derived


def test_item_and_official_rows_store_their_written_fields() -> None:
    from salw_nexus.models import DeliveryItem, ItemIn, Official, OfficialIn, table_of

    for table, model in ((DeliveryItem, ItemIn), (Official, OfficialIn)):
        stored = set(table_of(table).c.keys()) - {"delivery_id", "position"}
        written = {name for name, info in model.model_fields.items() if not info.exclude}
        assert stored == written, table.__name__
    # Version 1's value in US dollars is read as value + currency, never stored as such.
    assert ItemIn.model_fields["value_usd"].exclude


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
