"""Generated hostile input, through the real CLI and a real store (hypothesis).

Record files (random keys, values, nesting, encodings, control characters, bytes) go to
``check`` and ``load``; generated option values to ``add-training`` and ``add-delivery``.
Whatever comes in:

- the exit status is 0, 1 or 2, and no traceback or "unexpected failure" is printed;
- a command that fails leaves the store as it was (SQLite's dump of it, to the byte);
- ``check`` and ``load`` agree: the same file is refused by both with the same words, or
  accepted by both (``load`` may also refuse what only a store can tell, which ``check``
  does not open the store to see: a project it lacks, an id another record has there).

``make test`` runs a fixed, bounded set of examples (the ``ci`` profile in conftest);
``HYPOTHESIS_PROFILE=explore`` runs many more, different each time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from typing import Any

import pytest
import yaml
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from salw_nexus.cli import app
from salw_nexus.models import DeliveryIn, ItemIn, OfficialIn, ProjectIn, TrainingIn

from .conftest import TEST_DATABASE_URL, Store

RUNNER = CliRunner()
# Examples per test in `make test`; the explore profile's own count otherwise.
EXAMPLES = 100 if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci" else settings().max_examples
HOSTILE_TEXT = [
    "", " ", "null", "NO", "yes", "012", "1e3", "0o17", "1:20", "=1+1", "@SUM(A1)", "-2+3",
    "\x1b[2J", "\x1b]0;pwned\x07", "\u202eevil", "\u2066x\u2069", "a\x00b", "a\tb", "a\nb",
    "a\r\nb", "\x7f", "\x9b", "\u2028", "x" * 2001, "Ratio 1:20", "Laptop:abc", "Note::",
    "2025-02-30", "9999-12-31", "0001-01-01", "2025/01/01", "Tajikstan", "Russia", "EU", "SU",
    "\ud800", "a\udfffb", "\udcd0\udc9a",  # unpaired surrogates: JSON can carry them
]  # fmt: skip
FINE_TEXT = [
    "Министерство внутренних дел", "МВД", "intérieur", "Ministry of Internal Affairs",
    "Supreme Court", "supreme  court", "=HYPERLINK(1)", "Ratio 1:20:", "O'Brien & Co <b>",
    "Laptop:4", "Kyrgyz Republic", "Oʻzbekiston", "Қазақстан", "a | b * c _ d",
]  # fmt: skip
COUNTRIES = ["KZ", "KGZ", "Kyrgyzstan", "Tajikistan", "UZ", "TM", "kz", "AF", "Soviet Union", "XX"]


def often(
    good: st.SearchStrategy[Any], other: st.SearchStrategy[Any], *, out_of: int = 10
) -> st.SearchStrategy[Any]:
    """``good`` but once in ``out_of`` times, ``other`` then: deep enough to reach the store."""
    return st.integers(1, out_of).flatmap(lambda n: other if n == 1 else good)


def fine_text() -> st.SearchStrategy[str]:
    printable = st.characters(exclude_categories=("Cc", "Cs", "Cf", "Zl", "Zp"))
    return st.one_of(
        st.sampled_from(FINE_TEXT),
        st.text(alphabet=printable, min_size=1, max_size=20).filter(str.strip),
    )


def text() -> st.SearchStrategy[str]:
    """Text a field should take, or any at all (control characters, surrogates aside)."""
    return often(fine_text(), st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=20)))


def scalar() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-5, max_value=2_000_000),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=True, allow_infinity=True),
        st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
        st.sampled_from(HOSTILE_TEXT),
        st.text(max_size=20),
    )


def value() -> st.SearchStrategy[Any]:
    return st.recursive(
        scalar(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text(), inner, max_size=3),
        max_leaves=5,
    )


def record(fields: dict[str, st.SearchStrategy[Any]], names: list[str]) -> st.SearchStrategy[Any]:
    """A record: each field mostly plausible; now and then an unknown key, a missing one,
    or no mapping at all."""

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        data = {
            name: draw(often(strategy, value(), out_of=20)) for name, strategy in fields.items()
        }
        if draw(st.integers(0, 5)) == 0:
            data[draw(st.sampled_from([*names, "femal", "agencys"]))] = draw(value())
        if draw(st.integers(0, 5)) == 0:
            data.pop(draw(st.sampled_from(list(data))))
        return data

    return often(build(), value())


# Now and then a value at or past an edge: a year that dates cannot step beyond, a count
# past 64 bits.
DAYS = often(
    st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2026, 12, 31)),
    st.sampled_from([dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1989, 12, 31)]),
    out_of=25,
)
EDGE_COUNTS = [2**63 - 1, 2**63, 10**30, 1_000_001, -1]
IDS = often(st.from_regex(r"[a-z][a-z0-9]{0,5}(-[a-z0-9]{1,4}){0,2}", fullmatch=True), text())
COUNTS = often(st.integers(min_value=0, max_value=40), st.sampled_from(EDGE_COUNTS), out_of=25)
NAMES = st.lists(text(), max_size=3)
ITEM = record(
    {"name": text(), "quantity": st.none() | COUNTS, "value_usd": st.none() | st.floats(0, 1e6)},
    list(ItemIn.model_fields),
)
OFFICIAL = record({"name": text(), "title": st.none() | text()}, list(OfficialIn.model_fields))
PROJECT = record({"id": IDS, "title": text(), "donors": NAMES}, list(ProjectIn.model_fields))
TRAINING = record(
    {"id": IDS, "title": text(), "country": st.sampled_from(COUNTRIES), "start": DAYS,
     "end": DAYS, "participants": st.none() | COUNTS, "approximate": st.booleans(),
     "female": st.none() | COUNTS, "male": st.none() | COUNTS, "agencies": NAMES,
     "notes": st.none() | text()},
    list(TrainingIn.model_fields),
)  # fmt: skip
DELIVERY = record(
    {"id": IDS, "date": DAYS, "country": st.sampled_from(COUNTRIES), "agency": text(),
     "items": st.lists(ITEM, min_size=1, max_size=3), "officials": st.lists(OFFICIAL, max_size=2)},
    list(DeliveryIn.model_fields),
)  # fmt: skip


@st.composite
def document(draw: st.DrawFn) -> Any:
    doc: dict[str, Any] = {
        "version": draw(often(st.just(1), st.sampled_from([2, "1", None, True])))
    }
    for kind, strategy in (
        ("projects", PROJECT),
        ("trainings", TRAINING),
        ("deliveries", DELIVERY),
    ):
        if draw(st.booleans()):
            doc[kind] = draw(often(st.lists(strategy, max_size=3), value()))
    if draw(st.integers(0, 9)) == 0:
        doc[draw(text())] = draw(value())
    return draw(often(st.just(doc), value()))


@st.composite
def record_file(draw: st.DrawFn) -> tuple[str, bytes]:
    """A file name and its bytes: JSON or YAML in some encoding, perhaps damaged."""
    doc = draw(document())
    if draw(st.booleans()):
        suffix = ".json"
        content = json.dumps(doc, ensure_ascii=draw(st.booleans()), default=str)
    else:
        suffix = ".yaml"
        content = yaml.safe_dump(doc, allow_unicode=draw(st.booleans()), sort_keys=False)
    encoding = draw(often(st.just("utf-8"), st.sampled_from(["utf-8-sig", "utf-16", "cp1251"])))
    data = content.encode(encoding, errors="replace")
    if draw(st.integers(0, 9)) == 0:  # bytes that no encoder made
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    if draw(st.integers(0, 19)) == 0:
        data = draw(st.binary(max_size=200))
    return draw(often(st.just(suffix), st.just(".txt"))), data


def dump(store: Store) -> str:
    """Everything the store holds, as SQL text (SQLite's own dump): equal dumps, the same
    store, row for row and value for value."""
    assert store.path is not None
    connection = sqlite3.connect(store.path)
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()


def invoke(store: Store, *args: str) -> Result:
    return RUNNER.invoke(app, ["--db", store.target, *args], catch_exceptions=False)


def well_ended(result: Result) -> None:
    assert result.exit_code in (0, 1, 2), result.output
    for said in (result.stdout, result.stderr):
        assert "Traceback" not in said
        assert "unexpected failure" not in said


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """One seeded store for every example (a test's own fixtures are made once per test,
    not per example); what an example adds stays, as it would in real use."""
    if TEST_DATABASE_URL:
        pytest.skip("fuzzes the SQLite store; the PostgreSQL pass runs the rest")
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    store = Store(str(path), path)
    assert invoke(store, "load").exit_code == 0
    return store


def _training_json(**fields: Any) -> tuple[str, bytes]:
    record = {"id": "t-1", "title": "T", "country": "KZ", "start": "2025-01-01",
              "end": "2025-01-01", **fields}  # fmt: skip
    return ".json", json.dumps({"version": 1, "trainings": [record]}).encode()


# Beside the generated files, the kinds of file that once got past check or broke load.
@example(file=_training_json(participants=2**63))
@example(file=_training_json(female=10**30))
@example(file=_training_json(city="Bishkek\ud800"))
@example(file=_training_json(start="9999-12-31", end="9999-12-31"))
@example(file=_training_json(title="clear\x1b[2J\u202e"))
@example(file=_training_json(agencies=["Supreme Court", "supreme court"]))
@example(file=(".yaml", b"version: 1\ntrainings:\n  - {id: t, participants: 0012}\n"))
@settings(max_examples=EXAMPLES)
@given(record_file())
def test_any_record_file(
    fuzz_store: Store, tmp_path_factory: pytest.TempPathFactory, file: tuple[str, bytes]
) -> None:
    suffix, data = file
    path = tmp_path_factory.mktemp("file") / f"records{suffix}"
    path.write_bytes(data)
    checked = invoke(fuzz_store, "check", str(path))
    well_ended(checked)
    before = dump(fuzz_store)
    loaded = invoke(fuzz_store, "load", str(path))
    well_ended(loaded)
    event(f"check {checked.exit_code}, load {loaded.exit_code}")  # --hypothesis-show-statistics
    if loaded.exit_code != 0:
        assert dump(fuzz_store) == before
    if checked.exit_code != 0:
        assert loaded.stderr == checked.stderr  # refused alike, in the same words
    else:
        # What only a store can tell: a project it lacks, an id another record has there.
        store_level = ("unknown project", "in the store already")
        assert loaded.exit_code == 0 or any(s in loaded.stderr for s in store_level), loaded.stderr


FLAG_VALUES = st.one_of(
    text(),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from([str(n) for n in EDGE_COUNTS]),
    DAYS.map(str),
    st.sampled_from(COUNTRIES),
)
REQUIRED = {
    "add-training": {"--title": text(), "--country": st.sampled_from(COUNTRIES),
                     "--start": DAYS.map(str), "--end": DAYS.map(str)},
    "add-delivery": {"--date": DAYS.map(str), "--country": st.sampled_from(COUNTRIES),
                     "--agency": text(), "--item": text()},
}  # fmt: skip
OPTIONAL = {
    "add-training": ["--participants", "--female", "--male", "--agency", "--audience", "--topic",
                     "--organiser", "--city", "--source", "--notes", "--id", "--project"],
    "add-delivery": ["--item", "--official", "--unit", "--purpose", "--source", "--notes", "--id",
                     "--project"],
}  # fmt: skip


@st.composite
def command_line(draw: st.DrawFn) -> list[str]:
    """An add command with its required options (mostly plausible, sometimes one missing)
    and a few others with any value."""
    kind = draw(st.sampled_from(sorted(REQUIRED)))
    args = [kind, "--no-input"]
    for name, strategy in REQUIRED[kind].items():
        if draw(often(st.just(True), st.just(False))):
            args += [name, draw(strategy)]
    for name in draw(st.lists(st.sampled_from(OPTIONAL[kind]), max_size=5)):
        args += [
            name,
            draw(
                often(COUNTS.map(str), FLAG_VALUES)
                if "male" in name or "part" in name
                else FLAG_VALUES
            ),
        ]
    if kind == "add-training" and draw(st.booleans()):
        args.append(draw(st.sampled_from(["--approximate", "--exact"])))
    return args


ADD_TRAINING = ["add-training", "--no-input", "--title", "T", "--country", "KZ"]
ADD_DELIVERY = ["add-delivery", "--no-input", "--date", "2025-01-01", "--country", "KZ",
                "--agency", "MIA"]  # fmt: skip


@example(args=[*ADD_TRAINING, "--start", "2025-01-01", "--end", "2025-01-01",
               "--participants", str(10**30)])  # fmt: skip
@example(args=[*ADD_TRAINING, "--start", "9999-12-31", "--end", "9999-12-31"])
@example(args=[*ADD_DELIVERY, "--item", f"Laptop:{10**22}"])
@example(args=[*ADD_DELIVERY, "--item", "Laptop", "--unit", "\x1b]0;pwned\x07"])
@settings(max_examples=EXAMPLES)
@given(command_line())
def test_any_options(fuzz_store: Store, args: list[str]) -> None:
    before = dump(fuzz_store)
    result = invoke(fuzz_store, *args)
    well_ended(result)
    event(f"{args[0]} {result.exit_code}")
    if result.exit_code != 0:
        assert dump(fuzz_store) == before


READS = ["trainings", "handovers", "summary", "report", "show", "export"]
FILTERS = ["--country", "--from", "--to", "--quarter", "--agency", "--project", "--year",
           "--limit", "--offset", "--fiscal-year-start", "--format"]  # fmt: skip
FILTER_VALUES = st.one_of(
    FLAG_VALUES,
    st.sampled_from(["2025-Q1", "2025q1", "2022-Q4", "0000-Q1", "9999-Q4", "table", "csv",
                     "json", "markdown", "html", "yaml", "4", "1", "7"]),
)  # fmt: skip


@st.composite
def read_command(draw: st.DrawFn) -> list[str]:
    """A read command with any of the shared filters, valid or not for it."""
    args = [draw(st.sampled_from(READS))]
    if args[0] == "show":
        args.append(
            draw(often(st.sampled_from(["kz-2022-10-firearms-trafficking", "tac-nexus"]), text()))
        )
    for name in draw(st.lists(st.sampled_from(FILTERS), max_size=4)):
        args += [name, draw(FILTER_VALUES)]
    return args


@settings(max_examples=EXAMPLES // 3)
@given(read_command())
def test_any_filters(fuzz_store: Store, args: list[str]) -> None:
    before = dump(fuzz_store)
    result = invoke(fuzz_store, *args)
    well_ended(result)
    event(f"{args[0]} {result.exit_code}")
    assert dump(fuzz_store) == before  # reading never changes the store
