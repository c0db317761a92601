"""Text rules shared by input, output for people, and spreadsheets. Standard library only.

- **Input** (``unsafe_character``): a record's text may not hold control characters (C0
  but tab and line feed, DEL, C1), bidirectional embeddings, overrides and isolates
  (U+202A–202E, U+2066–2069), line and paragraph separators (U+2028, U+2029), invisible
  tag characters (U+E0000–E007F), interlinear annotations (U+FFF9–FFFB), the zero-width
  space and no-break space (U+200B, U+FEFF: "Min\u200bistry" would escape every search),
  or unpaired surrogates (not text at all: they cannot even be written as UTF-8). A tab or a line
  break is allowed only where a field may span lines (``notes``). Such characters can
  clear a terminal, retitle its window, reorder what a reader sees (Trojan Source) or hide
  text, and none of them is ever part of a name, a title or a source. The direction marks
  U+200E, U+200F and U+061C stay allowed: right-to-left names need them, and they move
  nothing but the characters beside them.
- **Output for people** (``for_people``): tables, Markdown, the donor report, messages and
  errors never write a control character that came from data (a store written before
  these rules, a file name, an argument): it is shown as a visible escape (``\\x1b``).
- **Spreadsheets** (``spreadsheet_cell``): a CSV cell that starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return would be run as a formula by Excel or
  LibreOffice (CSV injection); it is written with a leading ``'`` (OWASP's advice).
  JSON and YAML stay exact.
- **Items on the command line** (``parse_item``/``item_text``): ``NAME[:QTY]``.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

# Never in a record's text. C0 controls but tab (09) and line feed (0A); DEL and C1;
# separators; bidi controls; surrogates.
_NEVER = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufff9-\ufffb"
    "\u200b\ufeff\ud800-\udfff\U000e0000-\U000e007f"
)
UNSAFE_IN_NOTES = re.compile(f"[{_NEVER}]")
UNSAFE_IN_A_LINE = re.compile(f"[\t\n{_NEVER}]")
# What output for people shows escaped: the same, but tab and line feed are layout there.
_HIDDEN = UNSAFE_IN_NOTES

FORMULA_START = frozenset("=+-@\t\r")
# A count written plainly: the rule of record files (no sign, no leading zero, no 1e3).
PLAIN_COUNT = re.compile(r"0|[1-9][0-9]*")
LONGEST_COUNT = 18  # digits; a longer number is refused before Python is asked to read it


def _describe(char: str) -> str:
    code = ord(char)
    name = unicodedata.name(char, "")
    if char == "\n":
        return "a line break"
    if char == "\t":
        return "a tab"
    if 0xD800 <= code <= 0xDFFF:
        return f"an unpaired surrogate (U+{code:04X}), which is not text"
    if 0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
        return f"a bidirectional control character (U+{code:04X} {name})"
    if code in (0x2028, 0x2029):
        return f"a {name.lower()} (U+{code:04X})"
    if code > 0xFFFF or 0xFFF9 <= code <= 0xFFFB or code in (0x200B, 0xFEFF):
        return f"an invisible character (U+{code:04X} {name})"
    return f"a control character (U+{code:04X})"


def unsafe_character(text: str, *, multiline: bool = False) -> str | None:
    """What is wrong with ``text`` as a record's text (the first unsafe character and
    where it is), or None when it is fine."""
    found = (UNSAFE_IN_NOTES if multiline else UNSAFE_IN_A_LINE).search(text)
    if found is None:
        return None
    where = f"at character {found.start() + 1}"
    if found.group() in "\t\n":
        return f"contains {_describe(found.group())} {where}; only notes may span lines"
    return f"contains {_describe(found.group())} {where}; remove it"


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def for_people(text: str, *, one_line: bool = False) -> str:
    """``text`` with every character that could act on a terminal shown as an escape; with
    ``one_line`` (a message, an error line) tabs and line breaks too, so that a file name
    holding one cannot print what looks like a line of its own.

    A string holding bytes that were not valid in the locale's encoding (a file name or
    an argument, decoded with surrogateescape) is first read as the UTF-8 it usually is.
    """
    hidden = UNSAFE_IN_A_LINE if one_line else _HIDDEN
    if hidden.search(text) is None:
        return text
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("utf-8", "surrogateescape").decode("utf-8")
    return hidden.sub(_escape, text)


def spreadsheet_cell(cell: str) -> str:
    """A CSV cell a spreadsheet will show as text, never run as a formula."""
    return "'" + cell if cell and cell[0] in FORMULA_START else cell


def from_argv(text: str) -> str:
    """An argument as the user typed it.

    Under a locale that is not UTF-8 (``LC_ALL=C``) Python decodes arguments as ASCII and
    keeps other bytes as lone surrogates (``Казахстан`` arrives as ``'\\udcd0\\udc9a...'``);
    terminals send UTF-8, so those bytes are read as UTF-8. Bytes that are not UTF-8 either
    are left as they are, for validation to refuse.
    """
    if not any("\udc80" <= char <= "\udcff" for char in text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


# --- items on the command line ----------------------------------------------------------


def parse_item(text: str) -> tuple[str, int | None]:
    """``"Laptop:4"`` -> ("Laptop", 4); ``"Printer"`` -> ("Printer", None).

    One rule, the same as a record file's: what follows the *last* colon is the quantity,
    a whole number written plainly (``4``; not ``abc``, ``1e3`` or ``012``). A name that
    holds a colon ends with one more colon, meaning "no quantity": ``"Ratio 1:20:"`` is
    the item "Ratio 1:20". Digits on both sides of the last colon (``"Ratio 1:20"``) are
    ambiguous and refused, with both spellings offered.
    """
    name, colon, tail = text.rpartition(":")
    if not colon:
        return text, None
    quantity = tail.strip()
    if not quantity:
        return name, None
    if not PLAIN_COUNT.fullmatch(quantity):
        raise ValueError(
            f"{text!r}: the quantity after the last ':' must be a whole number such as 4, "
            f"got {quantity!r}; if the colon is part of the name, end with one more: {text + ':'!r}"
        )
    if len(quantity) > LONGEST_COUNT:
        raise ValueError(f"{text!r}: the quantity {quantity[:12]}... is far too large")
    if name[-1:].isdigit() and tail[:1].isdigit():
        raise ValueError(
            f"{text!r} is ambiguous: write {name + ': ' + tail!r} for {quantity} of {name!r}, "
            f"or {text + ':'!r} for one name without a quantity"
        )
    return name, int(quantity)


def item_text(name: str, quantity: int | None) -> str:
    """The spelling ``parse_item`` reads back as (name, quantity)."""
    if quantity is None:
        return name + ":" if ":" in name else name
    return f"{name}: {quantity}" if name[-1:].isdigit() else f"{name}:{quantity}"


# An item's further parts, after its name and quantity: "Laptop:4 / it-equipment / 5200 USD".
ITEM_PART_SEPARATOR = " / "
_AMOUNT = re.compile(
    r"(?P<value>\d[\d,]*(?:\.\d+)?)\s*(?P<currency>[A-Za-z]{3})"
    r"|(?P<currency2>[A-Za-z]{3})\s*(?P<value2>\d[\d,]*(?:\.\d+)?)"
)


def _amount(part: str) -> tuple[float, str] | None:
    match = _AMOUNT.fullmatch(part)
    if not match:
        return None
    value = match["value"] or match["value2"]
    currency = match["currency"] or match["currency2"]
    return float(value.replace(",", "")), currency.upper()


def parse_item_spec(text: str) -> dict[str, Any]:
    """``"Laptop:4 / it-equipment / 5200 USD"`` -> the item's fields (``--item``).

    After the name (and ``:QTY``, as ``parse_item`` reads it) come, each after `` / ``, in
    any order and each optional: a category (``equipment.CATEGORIES``) and a value with its
    ISO 4217 currency (``5200 USD``, ``USD 5,200.50``). A last part that is neither stays
    part of the name ("Cables / adapters"), unless it is close to a category's name, which
    is taken for a typo and refused.
    """
    import difflib

    from .equipment import CATEGORIES

    item: dict[str, Any] = {}
    parts = text.split(ITEM_PART_SEPARATOR)
    while len(parts) > 1:
        part = parts[-1].strip()
        amount = _amount(part)
        if part.lower() in CATEGORIES and "category" not in item:
            item["category"] = part.lower()
        elif amount is not None and "value" not in item:
            item["value"], item["currency"] = amount
        elif re.fullmatch(r"\d[\d,]*(?:\.\d+)?", part):
            raise ValueError(f"{text!r}: the value {part} needs its currency, e.g. {part} USD")
        else:
            close = difflib.get_close_matches(part.lower(), list(CATEGORIES), n=1, cutoff=0.8)
            if close:
                raise ValueError(f"{text!r}: unknown category {part!r}; did you mean {close[0]!r}?")
            break
        parts.pop()
    name, quantity = parse_item(ITEM_PART_SEPARATOR.join(parts))
    item = {"name": name, **item}
    if quantity is not None:
        item["quantity"] = quantity
    return item


def item_spec(item: Mapping[str, Any]) -> str:
    """The spelling ``parse_item_spec`` reads back as ``item`` (a CSV cell, a listing)."""
    from .equipment import OTHER

    parts = [item_text(item["name"], item["quantity"])]
    if item.get("category") not in (None, OTHER):
        parts.append(item["category"])
    if item.get("value") is not None:
        value = item["value"]
        amount = int(value) if float(value).is_integer() else value
        parts.append(f"{amount} {item['currency']}")
    return ITEM_PART_SEPARATOR.join(parts)
