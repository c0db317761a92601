"""Record files (YAML or JSON) -> validated records, with file:line in every error.

Knows nothing of the database. The flow is:

1. read the bytes (size cap, strict UTF-8 with the line of a bad byte);
2. walk the document record by record: YAML from libyaml's *event stream* (C parser,
   YAML 1.2 core schema from ``yamlcore``), JSON with ``json`` (C);
3. validate each record with the input models of ``models.py``;
4. check the file as a whole (duplicate ids, project references inside the file).

Why events rather than ``yaml.load``: composing the whole node graph costs ~40x the file
size in memory and the C composer recurses (deep nesting can crash it); the event walk
keeps one record at a time, refuses aliases (no "billion laughs"), caps nesting, and
sees duplicate keys, which PyYAML would silently drop.

Why YAML 1.2 core: under YAML 1.1 ``country: NO`` is ``False``, ``1:20`` is 80 and
``012`` is 10. Under the core schema ``NO`` and ``1:20`` are text, dates are text parsed
strictly as ISO, and a number with a leading zero is refused as ambiguous.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .batches import Progress
from .errors import RecordError
from .formatting import shortened, shown
from .kinds import CITING, DATED, KINDS, PLURALS, PROJECTS, SOURCES, Kind, by_plural, field_names_at

if TYPE_CHECKING:
    from pydantic import BaseModel
# The versions of the record format this program reads; it writes the last.
VERSIONS = (1, 2)
VERSION = VERSIONS[-1]
# A record file is shallow (top > list > record > items > item); anything deeper is an error.
MAX_DEPTH = 32
PROGRESS_EVERY = 1000  # records between two progress reports
CANONICAL_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")

Loc = tuple[str | int, ...]
M = TypeVar("M", bound="BaseModel")


@dataclass(frozen=True)
class Parsed(Generic[M]):
    """A validated record and where it came from.

    The line is found only when asked for (to report an error): for JSON, finding it
    means walking the text again, which must not happen once per record.
    """

    record: M
    label: str
    find_line: Callable[[], int] | None = None

    @property
    def where(self) -> str:
        """``file:line`` of the record's first key (just the label when there is no line)."""
        return f"{self.label}:{self.find_line()}" if self.find_line else self.label


@dataclass
class RecordSet:
    """The validated content of one record file (or of the store): records by kind."""

    source: str
    by_kind: dict[Kind, list[Parsed[Any]]] = field(
        default_factory=lambda: {kind: [] for kind in KINDS}
    )
    # Sources made from version 1's free text: a load reuses a stored one of that title.
    made_sources: set[str] = field(default_factory=set)

    def of(self, kind: Kind) -> list[Parsed[Any]]:
        return self.by_kind[kind]

    def counts(self) -> dict[Kind, int]:
        return {kind: len(records) for kind, records in self.by_kind.items()}

    def __len__(self) -> int:
        return sum(len(records) for records in self.by_kind.values())


# --- walking YAML -----------------------------------------------------------------------


class AmbiguousNumber(str):
    """A plain scalar YAML would read as a number, written in a form a count may not take."""


@dataclass
class RawRecord:
    """One record before validation: plain values, and a way to find the line of a field."""

    kind: Kind
    index: int
    data: Any
    line: int
    locate: Callable[[Loc], int]
    done: int = 0  # how far into the file this record is, out of ``total`` (for progress)
    total: int = 0


class _YamlWalker:
    """Turns libyaml's event stream into top-level values and raw records."""

    def __init__(self, text: str, label: str) -> None:
        import yaml
        from yamlcore import CCoreLoader  # YAML 1.2 core-schema resolver on the C parser

        self.yaml = yaml
        self.loader = CCoreLoader(text)
        self.text = text
        self.label = label
        self.size = len(text)

    def fail(self, line: int, message: str) -> RecordError:
        return RecordError([f"{self.label}:{line}: {message}"])

    def next_event(self) -> Any:
        try:
            return self.loader.get_event()
        except self.yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 0
            problem = " ".join(filter(None, [exc.context, exc.problem]))
            raise self.fail(line, f"YAML syntax error: {problem}") from None
        except self.yaml.reader.ReaderError as exc:  # a character YAML takes in no file
            line = self.text.count("\n", 0, exc.position) + 1
            raise self.fail(
                line, f"{exc.reason}: U+{exc.character:04X} (write it as an escape, or remove it)"
            ) from None
        except self.yaml.YAMLError as exc:
            raise RecordError([f"{self.label}: YAML error: {exc}"]) from None

    def scalar(self, event: Any) -> Any:
        yaml = self.yaml
        line = event.start_mark.line + 1
        if event.tag not in (None, "!", "tag:yaml.org,2002:str"):
            raise self.fail(line, f"tag {event.tag} is not allowed in a record file")
        plain = event.implicit[0] and event.tag is None
        if not plain:
            return event.value
        tag = self.loader.resolve(yaml.ScalarNode, event.value, (True, False))
        if tag.endswith(":str"):
            return event.value
        if tag.endswith(":int") and not CANONICAL_INT.fullmatch(event.value):
            # 012, +5, 0o17, 0x1F: kept as text, so a count field refuses it (see describe_error)
            # while a text field such as `city` takes what was written.
            return AmbiguousNumber(event.value)
        node = yaml.ScalarNode(tag, event.value)
        try:
            return self.loader.yaml_constructors[tag](self.loader, node)
        except ValueError:  # an integer of thousands of digits: Python refuses to read it
            raise self.fail(line, f"number too large: {event.value[:20]}...") from None

    def compose(self, event: Any, path: Loc, lines: dict[Loc, int], depth: int) -> Any:
        """The plain value that starts with ``event``; records each key's line in ``lines``."""
        yaml = self.yaml
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise self.fail(line, f"aliases (*{event.anchor}) are not allowed in a record file")
        if depth > MAX_DEPTH:
            raise self.fail(line, f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(event, yaml.ScalarEvent):
            return self.scalar(event)
        if isinstance(event, yaml.SequenceStartEvent):
            items: list[Any] = []
            while not isinstance(item := self.next_event(), yaml.SequenceEndEvent):
                item_path = (*path, len(items))
                lines[item_path] = item.start_mark.line + 1
                items.append(self.compose(item, item_path, lines, depth + 1))
            return items
        if isinstance(event, yaml.MappingStartEvent):
            mapping: dict[str, Any] = {}
            while not isinstance(key_event := self.next_event(), yaml.MappingEndEvent):
                key = self.key(key_event)
                key_path = (*path, key)
                key_line = key_event.start_mark.line + 1
                if key in mapping:
                    raise self.fail(
                        key_line,
                        f"duplicate key {shown(key)} (first at line {lines[key_path]}); "
                        "a record file may name each key once",
                    )
                lines[key_path] = key_line
                mapping[key] = self.compose(self.next_event(), key_path, lines, depth + 1)
            return mapping
        raise self.fail(line, f"unexpected YAML event {type(event).__name__}")

    def key(self, event: Any) -> str:
        line = event.start_mark.line + 1
        if not isinstance(event, self.yaml.ScalarEvent):
            raise self.fail(line, "a key must be plain text")
        value = self.scalar(event)
        if type(value) not in (str, int, AmbiguousNumber):  # an int: a year, `2026: 50`
            raise self.fail(line, f"a key must be text, got {shown(value)}")
        return str(value)

    def records(self) -> Iterator[RawRecord | tuple[str, Any, int]]:
        """Yields ``(key, value, line)`` for top-level scalars and a RawRecord per record."""
        yaml = self.yaml
        self.next_event()  # StreamStart
        start = self.next_event()
        if isinstance(start, yaml.StreamEndEvent):
            raise RecordError(
                [f"{self.label}: file is empty; a record file starts with 'version: 2'"]
            )
        top = self.next_event()
        if not isinstance(top, yaml.MappingStartEvent):
            raise self.fail(
                top.start_mark.line + 1,
                "the top level must be a mapping with 'version: 2' and lists of "
                f"{', '.join(PLURALS)}",
            )
        seen: dict[str, int] = {}
        while not isinstance(key_event := self.next_event(), yaml.MappingEndEvent):
            key = self.key(key_event)
            key_line = key_event.start_mark.line + 1
            if key in seen:
                raise self.fail(key_line, f"duplicate key {shown(key)} (first at line {seen[key]})")
            seen[key] = key_line
            value_event = self.next_event()
            if key not in PLURALS:
                yield key, self.compose(value_event, (key,), {}, 1), key_line
                continue
            if isinstance(value_event, yaml.ScalarEvent) and self.scalar(value_event) is None:
                continue  # `trainings:` with nothing after it: an empty list
            if not isinstance(value_event, yaml.SequenceStartEvent):
                raise self.fail(value_event.start_mark.line + 1, f"{shown(key)} must be a list")
            index = 0
            while not isinstance(item := self.next_event(), yaml.SequenceEndEvent):
                lines: dict[Loc, int] = {}
                line = item.start_mark.line + 1
                data = self.compose(item, (), lines, 2)
                position = item.start_mark.index
                yield RawRecord(
                    by_plural(key),
                    index,
                    data,
                    line,
                    _line_finder(lines, line),
                    position,
                    self.size,
                )
                index += 1
        end = self.next_event()  # DocumentEnd
        after = self.next_event()
        if not isinstance(after, yaml.StreamEndEvent):
            raise self.fail(
                after.start_mark.line + 1 if not isinstance(end, yaml.StreamEndEvent) else 0,
                "several YAML documents in one file; a record file holds one",
            )


def _line_finder(lines: Mapping[Loc, int], default: int) -> Callable[[Loc], int]:
    def locate(loc: Loc) -> int:
        for cut in range(len(loc), 0, -1):
            if (line := lines.get(loc[:cut])) is not None:
                return line
        return default

    return locate


# --- walking JSON -----------------------------------------------------------------------


class _DuplicateKey(ValueError):
    pass


def _pairs_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # dict() in C, then one length check: a Python loop over the pairs costs 3x more.
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKey()
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a record may hold")


class _JsonLocator:
    """Finds the line of a path in JSON text; used only to report an error.

    ``json`` keeps no positions, so on error the text is walked again: keys are read with
    the scanner, values skipped with ``raw_decode`` (C), down the one path asked for.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.decoder = json.JSONDecoder()
        self.ws = re.compile(r"[ \t\n\r]*")

    def line_at(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def skip_ws(self, pos: int) -> int:
        match = self.ws.match(self.text, pos)
        return match.end() if match else pos

    def children(self, pos: int) -> Iterator[tuple[str | int, int]]:
        """(key or index, position of its key/value) for the container starting at pos."""
        from json.decoder import scanstring  # type: ignore[attr-defined]

        opener = self.text[pos]
        pos = self.skip_ws(pos + 1)
        index = 0
        while pos < len(self.text) and self.text[pos] not in "]}":
            if opener == "{":
                key, after = scanstring(self.text, pos + 1)
                yield key, pos
                pos = self.skip_ws(self.skip_ws(after) + 1)
            else:
                yield index, pos
                index += 1
            _, pos = self.decoder.raw_decode(self.text, pos)
            pos = self.skip_ws(pos)
            if pos < len(self.text) and self.text[pos] == ",":
                pos = self.skip_ws(pos + 1)

    def value_start(self, pos: int, is_key: bool) -> int:
        if not is_key:
            return pos
        from json.decoder import scanstring  # type: ignore[attr-defined]

        _, after = scanstring(self.text, pos + 1)
        return self.skip_ws(self.skip_ws(after) + 1)

    def locate(self, loc: Loc) -> int:
        pos = self.skip_ws(0)
        line = self.line_at(pos)
        for part in loc:
            if self.text[pos] not in "[{":
                break
            for key, key_pos in self.children(pos):
                if key == part:
                    line = self.line_at(key_pos)
                    pos = self.value_start(key_pos, isinstance(key, str))
                    break
            else:
                break
        return line

    def first_duplicate(self, pos: int = 0, depth: int = 0) -> tuple[str, int, int] | None:
        """The first duplicate key: (key, its line, the line of its first use)."""
        pos = self.skip_ws(pos)
        if depth > MAX_DEPTH or self.text[pos] not in "[{":
            return None
        seen: dict[str | int, int] = {}
        for key, key_pos in self.children(pos):
            if key in seen:
                return str(key), self.line_at(key_pos), seen[key]
            seen[key] = self.line_at(key_pos)
            found = self.first_duplicate(self.value_start(key_pos, isinstance(key, str)), depth + 1)
            if found:
                return found
        return None


def _json_records(text: str, label: str) -> Iterator[RawRecord | tuple[str, Any, int]]:
    try:
        document = json.loads(
            text, object_pairs_hook=_pairs_without_duplicates, parse_constant=_refuse_constant
        )
    except _DuplicateKey:
        found = _JsonLocator(text).first_duplicate()
        key, line, first = found if found else ("?", 0, 0)
        raise RecordError(
            [
                f"{label}:{line}: duplicate key {shown(key)} (first at line {first}); a record file may name each key once"
            ]
        ) from None
    except json.JSONDecodeError as exc:
        raise RecordError([f"{label}:{exc.lineno}: JSON syntax error: {exc.msg}"]) from None
    except ValueError as exc:
        if "integer string conversion" in str(exc):  # Python's limit of 4,300 digits
            digits = re.search(r"\d{4300,}", text)
            line = text.count("\n", 0, digits.start()) + 1 if digits else 0
            raise RecordError([f"{label}:{line}: a number of thousands of digits"]) from None
        raise RecordError([f"{label}: {exc}"]) from None
    except RecursionError:
        raise RecordError([f"{label}: nesting too deep for a record file"]) from None
    if not isinstance(document, dict):
        raise RecordError(
            [
                f'{label}:1: the top level must be an object with "version": 2 and lists of '
                f"{', '.join(PLURALS)}"
            ]
        )
    locator = _JsonLocator(text)
    total = sum(len(v) for k, v in document.items() if k in PLURALS and isinstance(v, list))
    done = 0
    for key, value in document.items():
        if key not in PLURALS:
            yield key, value, locator.locate((key,))
            continue
        if value is None:
            continue
        if not isinstance(value, list):
            raise RecordError([f"{label}:{locator.locate((key,))}: {key!r} must be a list"])
        for index, data in enumerate(value):
            # Positions are found only when a record has an error: `locate` is lazy.
            def locate(loc: Loc, _key: str = key, _index: int = index) -> int:
                return locator.locate((_key, _index, *loc))

            value[index] = None  # the validated record replaces it: hold one copy, not two
            yield RawRecord(by_plural(key), index, data, 0, locate, done, total)
            done += 1


# --- validation -------------------------------------------------------------------------

_MESSAGES = {
    "missing": "is required",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "greater_than_equal": "must not be negative",
    "bool_type": "must be true or false",
    "string_type": "must be text",
    "list_type": "must be a list",
    "model_type": "must be a mapping of fields",
    "dict_type": "must be a mapping of fields",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
}


def describe_error(error: Mapping[str, Any], model: type[BaseModel]) -> str:
    kind = error["type"]
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "extra_forbidden":  # named among the fields of the (inner) model holding it
        allowed = field_names_at(model, error["loc"][:-1])
        close = difflib.get_close_matches(str(error["loc"][-1]), allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
        return f"unknown field; {hint}"
    if kind == "too_short":
        return "needs at least one entry"
    if kind == "less_than_equal":
        return f"must be at most {error['ctx']['le']:,}, got {shown(error['input'])}; is it a typo?"
    if kind == "string_too_long":
        return str(error["msg"]).lower()
    if isinstance(error.get("input"), AmbiguousNumber):
        return (
            f"ambiguous number {shown(error['input'])}: write a plain decimal number without a "
            "leading zero or sign, or quote it if it is text"
        )
    text = _MESSAGES.get(kind, str(error["msg"]))
    if kind != "missing":
        text += f", got {shown(error['input'])}"
    return text


def _field_name(loc: Sequence[str | int]) -> str:
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        elif part != "[key]":  # "[key]": an error in the key named just before it
            name += ("." if name else "") + shortened(part, 40)  # a key of any length, shortened
    return name


def validate(raw: RawRecord, model: type[M], label: str, problems: list[str]) -> Parsed[M] | None:
    """Validate one raw record; on failure append one line per problem and return None."""
    # pydantic_core, not pydantic: pydantic resolves its names lazily on every import.
    from pydantic_core import ValidationError

    noun = raw.kind.singular
    record_id = raw.data.get("id") if isinstance(raw.data, dict) else None
    who = f"{noun} {shown(record_id)}" if isinstance(record_id, str) else f"{noun} #{raw.index + 1}"
    try:
        record = model.model_validate(raw.data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            line = raw.locate(loc)
            field = f", field '{_field_name(loc)}'" if loc else ""
            problems.append(f"{label}:{line}: {who}{field}: {describe_error(error, model)}")
        return None
    # Keep how to find the line, not the raw record: its data is garbage once validated.
    line, locate = raw.line, raw.locate
    return Parsed(record, label, (lambda: line) if line else (lambda: locate(())))


def parse_text(text: str, *, label: str, fmt: str, progress: Progress | None = None) -> RecordSet:
    """Validate a whole record file's text; raise RecordError listing every problem found.

    ``progress`` hears (how far, out of how much) every PROGRESS_EVERY records.
    """
    walker = _YamlWalker(text, label).records() if fmt == "yaml" else _json_records(text, label)
    result = RecordSet(source=label)
    problems: list[str] = []
    version_seen = False
    for entry in walker:
        if isinstance(entry, tuple):
            key, value, line = entry
            if key == "version":
                version_seen = True
                if type(value) is not int or value not in VERSIONS:
                    problems.append(f"{label}:{line}: version must be 1 or 2, got {shown(value)}")
                continue
            close = difflib.get_close_matches(key, ["version", *PLURALS], n=1)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else f"expected version, {', '.join(PLURALS)}"
            )
            problems.append(f"{label}:{line}: unknown top-level key {shown(key)}; {hint}")
            continue
        parsed = validate(entry, entry.kind.model, label, problems)
        if parsed is not None:
            result.of(entry.kind).append(parsed)
        if progress and entry.index % PROGRESS_EVERY == 0:
            progress(entry.done, entry.total)
    if not version_seen:
        problems.insert(0, f"{label}:1: 'version: {VERSION}' is missing at the top of the file")
    problems.extend(_check_whole_file(result))
    _cite_legacy_sources(result)
    if problems:
        raise RecordError(problems, hint="Nothing was written.")
    return result


def _check_whole_file(records: RecordSet) -> list[str]:
    """Duplicate ids (an id names one record, of whatever kind), and the default project
    when the file has exactly one."""
    problems: list[str] = []
    first: dict[str, tuple[Kind, Parsed[Any]]] = {}
    for kind in KINDS:
        for parsed in records.of(kind):
            record_id = parsed.record.id
            if record_id in first:
                other, earlier = first[record_id]
                problems.append(
                    f"{parsed.where}: {kind.singular} id {record_id!r} is used twice "
                    f"(first at {earlier.where}"
                    + ("" if other == kind else f", by a {other.singular}")
                    + "); ids must be unique"
                )
            else:
                first[record_id] = (kind, parsed)
    projects = records.of(PROJECTS)
    if len(projects) == 1:
        only = projects[0].record.id
        for kind in DATED:
            for parsed in records.of(kind):
                if parsed.record.project is None:
                    parsed.record.project = only
    return problems


def _cite_legacy_sources(records: RecordSet) -> None:
    """Version 1's ``source: TEXT`` as a source entity the record cites: the file's source
    with that very title, or one made from the text (the same text, the same id)."""
    from .ids import made_source_id
    from .models import SourceIn

    by_title = {p.record.title: p.record.id for p in records.of(SOURCES)}
    for kind in CITING:
        for parsed in records.of(kind):
            record = parsed.record
            text = record.source
            if text is None:
                continue
            source_id = by_title.get(text)
            if source_id is None:
                source_id = by_title[text] = made_source_id(text)
                made = SourceIn.model_construct(id=source_id, title=text)
                records.of(SOURCES).append(Parsed(made, parsed.label, parsed.find_line))
                records.made_sources.add(source_id)
            # Set past validate_assignment: the id is a valid one, made above.
            cited = record.sources if source_id in record.sources else [*record.sources, source_id]
            record.__dict__.update(sources=cited, source=None)


def detect_format(path: Path, text: str) -> str:
    """``json`` for a .json file (or one whose text starts with ``{``), else ``yaml``."""
    if path.suffix.lower() == ".json":
        return "json"
    if path.suffix.lower() in (".yaml", ".yml"):
        return "yaml"
    return "json" if text.lstrip().startswith("{") else "yaml"


def parse_file(path: Path, *, progress: Progress | None = None) -> RecordSet:
    """Read and validate a record file (``-``: stdin), YAML or JSON (by extension or content)."""
    from .files import read_record_text, record_label

    text = read_record_text(path)
    label, fmt = record_label(path), detect_format(path, text)
    return parse_text(text, label=label, fmt=fmt, progress=progress)
