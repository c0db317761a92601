"""Text made from values, shared by the record export and the reports' renderers."""

from __future__ import annotations

import decimal
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .text import item_spec

CSV_LIST_SEPARATOR = "; "


def shortened(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, ``...`` marking the cut."""
    return text if len(text) <= width else text[: width - 3] + "..."


def shown(value: Any, width: int = 60) -> str:
    """``repr(value)``, shortened: an error line names a value, it does not reprint a
    megabyte of it."""
    return shortened(repr(value), width)


def indented_json(value: Any, margin: str, default: Callable[[Any], Any] | None = None) -> str:
    """``value`` as JSON (indent 2) whose lines after the first start with ``margin``: a
    piece of an enclosing array or object, written one element at a time."""
    text = json.dumps(value, ensure_ascii=False, indent=2, default=default)
    return text.replace("\n", "\n" + margin)  # JSON text holds no raw newline in a string


def officials_text(officials: Iterable[Mapping[str, Any]]) -> str:
    """Officials as ``NAME (TITLE); NAME``: a CSV cell, and the tables' Officials line."""
    return CSV_LIST_SEPARATOR.join(
        o["name"] + (f" ({o['title']})" if o["title"] else "") for o in officials
    )


def csv_cell(key: str, value: Any) -> str:
    """One CSV cell's text: lists joined with ``; ``, items as ``--item`` spells them
    (``NAME:QTY / CATEGORY / VALUE CURRENCY``), officials ``NAME (TITLE)``, other lists of
    mappings (a project's indicators) and nested mappings (its IATI references) as JSON.
    ``text.spreadsheet_cell`` makes it safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        if key == "items":
            return CSV_LIST_SEPARATOR.join(item_spec(item) for item in value)
        if key == "officials":
            return officials_text(value)
        if value and isinstance(value[0], dict):  # a project's indicators: one JSON text
            return json.dumps(value, ensure_ascii=False)
        return CSV_LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, dict):
        if all(isinstance(v, str) for v in value.values()):  # an agency's other names
            return CSV_LIST_SEPARATOR.join(f"{k}: {v}" for k, v in value.items())  # ru: ...
        return json.dumps(value, ensure_ascii=False)  # a project's IATI references
    return str(value)


def decimal_text(value: int | float) -> str:
    """A number as IATI's decimals: 200, 72.5, 0.0000001; never 200.0, 7.25e+01, or the
    0.30000000000000004 of adding 0.1 and 0.2 (15 significant digits are kept)."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return format(decimal.Decimal(f"{value:.15g}"), "f")
