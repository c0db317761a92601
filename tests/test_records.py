"""Reading record files: every refusal names file:line and field, exits 1, writes nothing.

Each bad file is given to `nexus load` on a store that already holds the seed (so an
unchanged store is a real claim) and to `nexus check`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import Run, Store, run_process, snapshot, write

GOOD = """\
version: 1
projects:
  - id: demo
    title: Demo project
trainings:
  - id: kg-2023-01-demo
    title: Demo course
    country: KG
    start: 2023-01-10
    end: 2023-01-12
    participants: 12
    female: 5
    male: 7
    agencies: [Ministry of Internal Affairs]
deliveries:
  - id: tj-2023-02-01-demo
    date: 2023-02-01
    country: TJ
    agency: Министерство внутренних дел
    items:
      - name: Microscope
        quantity: 2
"""


def refused(nexus: Run, store: Store, path: Path, *fragments: str) -> str:
    """Assert that load and check both refuse ``path`` with these fragments; return stderr."""
    before = store.snapshot()
    assert before, "the store should hold the seed before the bad load"
    for command in ("load", "check"):
        result = nexus(command, str(path))
        assert result.exit_code == 1, (command, result.stdout, result.stderr)
        assert result.stdout == ""
        assert "Traceback" not in result.stderr
        for fragment in fragments:
            assert fragment in result.stderr, (command, fragment, result.stderr)
    assert store.snapshot() == before
    return str(result.stderr)


def refused_change(
    nexus: Run, store: Store, tmp_path: Path, base: str, old: str, new: str, fragments: list[str]
) -> str:
    """``base`` with ``old`` changed to ``new`` is refused (``refused``); a fragment that
    starts with ``:`` is a line of the file (``:17:``). Returns stderr."""
    assert old in base
    path = write(tmp_path, "bad.yaml", base.replace(old, new, 1))
    located = [f"bad.yaml{fragment}" if fragment.startswith(":") else fragment
               for fragment in fragments]  # fmt: skip
    return refused(nexus, store, path, *located, "project 'demo'", "Nothing was written.")


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write(tmp_path, "good.yaml", GOOD)


def test_good_file_loads_and_defaults_the_only_project(loaded: Run, good: Path) -> None:
    result = loaded("load", str(good))
    assert result.exit_code == 0, result.stderr
    exported = json.loads(loaded("export", "--format", "json").stdout)
    training = next(t for t in exported["trainings"] if t["id"] == "kg-2023-01-demo")
    assert training["project"] == "demo"  # the file's only project
    assert training["agencies"] == ["kg-mvd"]  # the name of the seed's Kyrgyz agency
    delivery = next(d for d in exported["deliveries"] if d["id"] == "tj-2023-02-01-demo")
    # No Tajik agency of the seed has this name: a new one, its id transliterated.
    assert delivery["agency"] == "tj-ministerstvo-vnutrennikh-del"
    assert (
        "1 new agency made for names no agency of the country had: "
        "tj-ministerstvo-vnutrennikh-del" in result.stderr
    )
    made = next(a for a in exported["agencies"] if a["id"] == delivery["agency"])
    assert (made["country"], made["name"]) == ("TJ", "Министерство внутренних дел")
    assert delivery["items"] == [
        {"name": "Microscope", "category": "other", "quantity": 2, "value": None,
         "currency": None}
    ]  # fmt: skip


def test_check_writes_nothing_and_reports_counts(loaded: Run, store: Store, good: Path) -> None:
    before = store.snapshot()
    result = loaded("check", str(good))
    assert result.exit_code == 0
    assert "valid" in result.stdout
    assert "1 training" in result.stdout
    assert store.snapshot() == before


# --- YAML surprises ---------------------------------------------------------------------


def test_duplicate_key_is_refused_with_both_lines(
    loaded: Run, store: Store, tmp_path: Path
) -> None:
    bad = write(
        tmp_path,
        "dup.yaml",
        GOOD.replace("    participants: 12\n", "    participants: 12\n    participants: 14\n"),
    )
    refused(loaded, store, bad, "dup.yaml:12:", "duplicate key 'participants'", "first at line 11")


def test_country_no_is_norway_not_false(loaded: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "no.yaml", GOOD.replace("country: KG", "country: NO"))
    assert loaded("load", str(path)).exit_code == 0
    exported = json.loads(loaded("export", "--format", "json").stdout)
    assert next(t for t in exported["trainings"] if t["id"] == "kg-2023-01-demo")["country"] == "NO"


@pytest.mark.parametrize("word", ["yes", "on", "Y", "no", "off"])
def test_yaml11_booleans_are_not_booleans(
    loaded: Run, store: Store, tmp_path: Path, word: str
) -> None:
    bad = write(
        tmp_path,
        "bool.yaml",
        GOOD.replace("    participants: 12\n", f"    participants: 12\n    approximate: {word}\n"),
    )
    refused(
        loaded,
        store,
        bad,
        "bool.yaml:12:",
        "field 'approximate'",
        f"must be true or false, got '{word}'",
    )


def test_sexagesimal_is_not_a_number(loaded: Run, store: Store, tmp_path: Path) -> None:
    bad = write(tmp_path, "sexa.yaml", GOOD.replace("participants: 12", "participants: 1:20"))
    refused(
        loaded,
        store,
        bad,
        "sexa.yaml:11:",
        "field 'participants'",
        "must be a whole number, got '1:20'",
    )


@pytest.mark.parametrize("number", ["012", "+12", "0o14", "0xC"])
def test_ambiguous_numbers_are_refused(
    loaded: Run, store: Store, tmp_path: Path, number: str
) -> None:
    bad = write(tmp_path, "octal.yaml", GOOD.replace("participants: 12", f"participants: {number}"))
    refused(
        loaded,
        store,
        bad,
        "octal.yaml:11:",
        "field 'participants'",
        f"ambiguous number '{number}'",
    )


def test_true_is_not_a_count(loaded: Run, store: Store, tmp_path: Path) -> None:
    bad = write(tmp_path, "true.yaml", GOOD.replace("participants: 12", "participants: true"))
    refused(loaded, store, bad, "true.yaml:11:", "must be a whole number, got True")


# --- dates ------------------------------------------------------------------------------


def test_impossible_date_names_line_and_field(loaded: Run, store: Store, tmp_path: Path) -> None:
    bad = write(tmp_path, "feb30.yaml", GOOD.replace("start: 2023-01-10", "start: 2022-02-30"))
    refused(loaded, store, bad, "feb30.yaml:9:", "field 'start'", "impossible date 2022-02-30")


@pytest.mark.parametrize(
    "text", ["10.01.2023", "2023-1-10", "January 10, 2023", "2023-01-10T10:00:00"]
)
def test_non_iso_date_is_refused(loaded: Run, store: Store, tmp_path: Path, text: str) -> None:
    bad = write(tmp_path, "date.yaml", GOOD.replace("start: 2023-01-10", f"start: {text}"))
    refused(loaded, store, bad, "date.yaml:9:", "field 'start'", "expected a date YYYY-MM-DD")


def test_end_before_start(loaded: Run, store: Store, tmp_path: Path) -> None:
    bad = write(tmp_path, "end.yaml", GOOD.replace("end: 2023-01-12", "end: 2023-01-09"))
    refused(
        loaded,
        store,
        bad,
        "end.yaml:10:",
        "field 'end'",
        "end 2023-01-09 is before start 2023-01-10",
    )


# --- fields and values ------------------------------------------------------------------


def test_unknown_key_suggests_the_field(loaded: Run, store: Store, tmp_path: Path) -> None:
    bad = write(tmp_path, "typo.yaml", GOOD.replace("    female: 5\n", "    femal: 5\n"))
    refused(
        loaded,
        store,
        bad,
        "typo.yaml:12:",
        "field 'femal'",
        "unknown field; did you mean 'female'?",
    )


def test_unknown_top_level_key(loaded: Run, store: Store, tmp_path: Path) -> None:
    bad = write(tmp_path, "top.yaml", GOOD.replace("deliveries:", "delivery:"))
    refused(
        loaded,
        store,
        bad,
        "top.yaml:15:",
        "unknown top-level key 'delivery'",
        "did you mean 'deliveries'?",
    )


def test_wrong_type(loaded: Run, store: Store, tmp_path: Path) -> None:
    bad = write(tmp_path, "type.yaml", GOOD.replace("title: Demo course", "title: [Demo, course]"))
    refused(loaded, store, bad, "type.yaml:7:", "field 'title'", "must be text")


def test_negative_count(loaded: Run, store: Store, tmp_path: Path) -> None:
    bad = write(tmp_path, "neg.yaml", GOOD.replace("quantity: 2", "quantity: -2"))
    refused(loaded, store, bad, "neg.yaml:22:", "field 'items[0].quantity'", "must not be negative")


def test_female_and_male_above_participants(loaded: Run, store: Store, tmp_path: Path) -> None:
    bad = write(tmp_path, "sum.yaml", GOOD.replace("male: 7", "male: 8"))
    refused(
        loaded,
        store,
        bad,
        "sum.yaml:13:",
        "field 'male'",
        "female + male (5 + 8 = 13) exceeds participants (12)",
    )


def test_lower_bound_may_be_exceeded_by_female_and_male(loaded: Run, tmp_path: Path) -> None:
    text = GOOD.replace("male: 7", "male: 8").replace(
        "participants: 12", "participants: 12\n    approximate: true"
    )
    assert loaded("load", str(write(tmp_path, "bound.yaml", text))).exit_code == 0


def test_duplicate_ids(loaded: Run, store: Store, tmp_path: Path) -> None:
    second = "  - id: kg-2023-01-demo\n    title: Again\n    country: KG\n    start: 2023-03-01\n    end: 2023-03-01\n"
    bad = write(tmp_path, "ids.yaml", GOOD.replace("deliveries:", second + "deliveries:"))
    refused(
        loaded,
        store,
        bad,
        "ids.yaml:15:",
        "training id 'kg-2023-01-demo' is used twice",
        "first at",
    )


def test_unknown_country_suggests_closest(loaded: Run, store: Store, tmp_path: Path) -> None:
    bad = write(tmp_path, "country.yaml", GOOD.replace("country: TJ", "country: Tajikstan"))
    refused(
        loaded,
        store,
        bad,
        "country.yaml:18:",
        "field 'country'",
        "did you mean 'Tajikistan' (TJ)?",
    )


def test_missing_required_fields(loaded: Run, store: Store, tmp_path: Path) -> None:
    bad = write(
        tmp_path, "missing.yaml", GOOD.replace("    agency: Министерство внутренних дел\n", "")
    )
    refused(
        loaded,
        store,
        bad,
        "missing.yaml:16:",
        "delivery 'tj-2023-02-01-demo', field 'agency': is required",
    )


def test_delivery_needs_an_item(loaded: Run, store: Store, tmp_path: Path) -> None:
    text = GOOD.split("    items:", maxsplit=1)[0] + "    items: []\n"
    refused(
        loaded,
        store,
        write(tmp_path, "items.yaml", text),
        "items.yaml:20:",
        "field 'items'",
        "at least one",
    )


def test_unknown_project_reference(loaded: Run, store: Store, tmp_path: Path) -> None:
    text = GOOD.replace(
        "    title: Demo course\n", "    project: nowhere\n    title: Demo course\n"
    )
    bad = write(
        tmp_path,
        "proj.yaml",
        text.replace("projects:\n  - id: demo\n    title: Demo project\n", ""),
    )
    before = store.snapshot()
    result = loaded("load", str(bad))
    assert result.exit_code == 1
    assert "proj.yaml:3:" in result.stderr
    assert "unknown project 'nowhere'" in result.stderr
    assert store.snapshot() == before


def test_all_problems_are_listed_at_once(loaded: Run, store: Store, tmp_path: Path) -> None:
    text = GOOD.replace("country: KG", "country: Atlantis").replace("quantity: 2", "quantity: -1")
    stderr = refused(
        loaded, store, write(tmp_path, "many.yaml", text), "many.yaml:8:", "many.yaml:22:"
    )
    assert "Nothing was written." in stderr


# --- hostile and broken files ------------------------------------------------------------

BILLION_LAUGHS = """\
version: 1
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
trainings: *g
"""


def test_billion_laughs_is_refused(loaded: Run, store: Store, tmp_path: Path) -> None:
    bad = write(tmp_path, "laughs.yaml", BILLION_LAUGHS)
    assert len(BILLION_LAUGHS) < 500
    refused(loaded, store, bad, "laughs.yaml:3:", "aliases (*a) are not allowed")


def test_alias_inside_a_record_is_refused(loaded: Run, store: Store, tmp_path: Path) -> None:
    text = GOOD.replace(
        "agencies: [Ministry of Internal Affairs]", "agencies: &x [Ministry]\n    topics: *x"
    )
    refused(loaded, store, write(tmp_path, "alias.yaml", text), "alias.yaml:15:", "aliases (*x)")


@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_pathological_nesting_neither_crashes_nor_hangs(tmp_path: Path, opener: str) -> None:
    # The C composer recurses and can overflow the stack on such input; a real process
    # shows a crash (negative return code) that an in-process run could not survive.
    store = tmp_path / "deep.db"
    assert run_process("load", env={"NEXUS_DB": str(store)}).returncode == 0
    before = snapshot(store)
    bad = tmp_path / "deep.yaml"
    bad.write_text(
        "version: 1\ntrainings:\n  - notes: " + opener * 200_000 + "\n", encoding="utf-8"
    )
    result = run_process("load", str(bad), env={"NEXUS_DB": str(store)})
    assert result.returncode == 1, result.stderr
    assert "deep.yaml:3:" in result.stderr
    assert "nesting deeper than 32 levels" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(store) == before


@pytest.mark.parametrize("item", ["just text", "[a, b]", "null"])
def test_record_that_is_not_a_mapping(loaded: Run, store: Store, tmp_path: Path, item: str) -> None:
    bad = write(tmp_path, "item.yaml", f"version: 1\ntrainings:\n  - {item}\n")
    stderr = refused(loaded, store, bad, "item.yaml:3: training #1: must be a mapping of fields")
    assert "field ''" not in stderr


def test_oversize_file_is_refused(
    loaded: Run, store: Store, good: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXUS_MAX_FILE_BYTES", "100")
    refused(loaded, store, good, str(good), "over the limit of 100", "NEXUS_MAX_FILE_BYTES")


def test_bytes_that_are_not_utf8(loaded: Run, store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "latin1.yaml"
    ascii_only = GOOD.replace("Министерство внутренних дел", "MIA")
    bad.write_bytes(ascii_only.replace("Demo course", "Démo course").encode("latin-1"))
    refused(loaded, store, bad, "latin1.yaml:7:", "not UTF-8", "0xe9")


def test_utf8_byte_order_mark_is_accepted(loaded: Run, tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert loaded("load", str(path)).exit_code == 0


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n"])
def test_empty_file(loaded: Run, store: Store, tmp_path: Path, text: str) -> None:
    refused(loaded, store, write(tmp_path, "empty.yaml", text), "empty.yaml", "file is empty")


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n"])
def test_top_level_not_a_mapping(loaded: Run, store: Store, tmp_path: Path, text: str) -> None:
    refused(
        loaded,
        store,
        write(tmp_path, "top.yaml", text),
        "top.yaml:1:",
        "top level must be a mapping",
    )


def test_several_documents(loaded: Run, store: Store, tmp_path: Path) -> None:
    bad = write(tmp_path, "docs.yaml", GOOD + "---\nversion: 1\n")
    refused(loaded, store, bad, "docs.yaml:23:", "several YAML documents")


def test_yaml_syntax_error_names_the_line(loaded: Run, store: Store, tmp_path: Path) -> None:
    bad = write(
        tmp_path, "syntax.yaml", GOOD.replace("    title: Demo course", "    title: [Demo course")
    )
    refused(loaded, store, bad, "syntax.yaml:", "YAML syntax error")


def test_python_tags_are_refused(loaded: Run, store: Store, tmp_path: Path) -> None:
    bad = write(
        tmp_path,
        "tag.yaml",
        GOOD.replace("title: Demo course", "title: !!python/name:os.system ''"),
    )
    refused(
        loaded,
        store,
        bad,
        "tag.yaml:7:",
        "tag tag:yaml.org,2002:python/name:os.system is not allowed",
    )


def test_missing_version(loaded: Run, store: Store, tmp_path: Path) -> None:
    refused(
        loaded,
        store,
        write(tmp_path, "nover.yaml", GOOD.replace("version: 1\n", "")),
        "nover.yaml:1: 'version: 2' is missing at the top of the file",
    )


@pytest.mark.parametrize(("version", "shown"), [("3", "3"), ("0", "0"), ("'2'", "'2'")])
def test_wrong_version(loaded: Run, store: Store, tmp_path: Path, version: str, shown: str) -> None:
    refused(
        loaded,
        store,
        write(tmp_path, "v.yaml", GOOD.replace("version: 1", f"version: {version}")),
        f"v.yaml:1: version must be 1 or 2, got {shown}",
    )


def test_missing_file(nexus: Run, store: Store, tmp_path: Path) -> None:
    result = nexus("load", str(tmp_path / "nowhere.yaml"))
    assert result.exit_code == 1
    assert "nowhere.yaml: no such file" in result.stderr
    assert not store.exists()


# --- JSON -------------------------------------------------------------------------------


def _good_json() -> dict[str, object]:
    return {
        "version": 1,
        "projects": [{"id": "demo", "title": "Demo project"}],
        "trainings": [
            {
                "id": "kg-2023-01-demo",
                "title": "Demo course",
                "country": "Kyrgyz Republic",
                "start": "2023-01-10",
                "end": "2023-01-12",
                "participants": 12,
            },
        ],
        "deliveries": [],
    }


def test_json_file_loads(loaded: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "good.json", json.dumps(_good_json(), indent=2))
    result = loaded("load", str(path))
    assert result.exit_code == 0, result.stderr
    exported = json.loads(loaded("export", "--format", "json").stdout)
    assert next(t for t in exported["trainings"] if t["id"] == "kg-2023-01-demo")["country"] == "KG"


def test_json_error_names_the_line_of_the_field(loaded: Run, store: Store, tmp_path: Path) -> None:
    document = _good_json()
    document["trainings"][0]["participants"] = -3  # type: ignore[index]
    path = write(tmp_path, "bad.json", json.dumps(document, indent=2))
    line = next(
        n for n, text in enumerate(path.read_text().splitlines(), 1) if '"participants"' in text
    )
    refused(
        loaded, store, path, f"bad.json:{line}:", "field 'participants'", "must not be negative"
    )


def test_json_duplicate_key(loaded: Run, store: Store, tmp_path: Path) -> None:
    text = json.dumps(_good_json(), indent=2).replace(
        '"participants": 12', '"participants": 12,\n      "participants": 13'
    )
    path = write(tmp_path, "dup.json", text)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if '"participants": 13' in t)
    refused(
        loaded,
        store,
        path,
        f"dup.json:{line}:",
        "duplicate key 'participants'",
        f"first at line {line - 1}",
    )


def test_json_syntax_error(loaded: Run, store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "syntax.json", '{\n  "version": 1,\n  "trainings": [\n}\n')
    refused(loaded, store, path, "syntax.json:4:", "JSON syntax error")


def test_json_nan_is_refused(loaded: Run, store: Store, tmp_path: Path) -> None:
    path = write(tmp_path, "nan.json", '{"version": 1, "trainings": [], "x": NaN}')
    refused(loaded, store, path, "nan.json", "NaN is not a number")


def test_json_top_level_list(loaded: Run, store: Store, tmp_path: Path) -> None:
    refused(
        loaded,
        store,
        write(tmp_path, "list.json", "[1, 2]"),
        "list.json:1:",
        "top level must be an object",
    )


def test_json_deep_nesting(loaded: Run, store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path, "deep.json", '{"version": 1, "trainings": ' + "[" * 100_000 + "]" * 100_000 + "}"
    )
    refused(loaded, store, path, "deep.json", "nesting too deep")


def test_characters_yaml_takes_in_no_file_name_their_line(nexus: Run, tmp_path: Path) -> None:
    path = tmp_path / "raw.yaml"
    path.write_text('version: 1\ntrainings:\n  - {id: t, title: "a\x1bb"}\n', encoding="utf-8")
    result = nexus("check", str(path))
    assert result.exit_code == 1
    assert f"{path}:3: control characters are not allowed: U+001B" in result.stderr


def test_a_number_of_thousands_of_digits_names_its_line(nexus: Run, tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text('{"version": 1,\n "trainings": [{"participants": ' + "9" * 5000 + "}]}")
    result = nexus("check", str(path))
    assert result.exit_code == 1
    assert f"{path}:2: a number of thousands of digits" in result.stderr
    assert "set_int_max_str_digits" not in result.stderr


def test_a_file_name_holding_a_line_break_prints_no_line_of_its_own(
    nexus: Run, tmp_path: Path
) -> None:
    path = tmp_path / "nl\nerror: fake.yaml"
    result = nexus("check", str(path))
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert "nl\\x0aerror: fake.yaml: no such file" in result.stderr


# --- version 1 and version 2 ---------------------------------------------------------------

# A version 1 file: agencies by name, sources as free text, values in US dollars.
V1 = """\
version: 1
projects:
  - id: demo
    title: Demo project
    source: Mission report, January 2023
trainings:
  - id: kg-2023-01-demo
    title: Demo course
    country: KG
    start: 2023-01-10
    end: 2023-01-12
    participants: 12
    agencies: [Ministry of Internal Affairs, Верховный суд]
    source: Mission report, January 2023
deliveries:
  - id: tj-2023-02-01-demo
    date: 2023-02-01
    country: TJ
    agency: Министерство внутренних дел
    items:
      - name: Microscope
        quantity: 2
        value_usd: 10
      - name: Laptop
        value_usd: 1250.5
    source: Handover note
"""
# The same records in version 2: sources and agencies as entities, cited by id (or, for an
# agency, by a name of one of the record's country), items by category, value and currency.
# The ids are those a load makes for version 1's names and texts (DESIGN §1b): an agency's
# from its country and name, transliterated; a source's from its first words and a hash of
# its text, so that the same text always gets the same id.
V2 = """\
version: 2
sources:
  - id: mission-report-january-2023-36c4eb
    title: Mission report, January 2023
  - id: handover-note-f3ce1f
    title: Handover note
agencies:
  - id: kg-ministry-of-internal-affairs
    country: KG
    name: Ministry of Internal Affairs
  - id: kg-verkhovnyy-sud
    country: KG
    name: Верховный суд
  - id: tj-ministerstvo-vnutrennikh-del
    country: TJ
    name: Министерство внутренних дел
projects:
  - id: demo
    title: Demo project
    sources: [mission-report-january-2023-36c4eb]
trainings:
  - id: kg-2023-01-demo
    title: Demo course
    country: KG
    start: 2023-01-10
    end: 2023-01-12
    participants: 12
    agencies: [kg-ministry-of-internal-affairs, верховный  суд]
    sources: [mission-report-january-2023-36c4eb]
deliveries:
  - id: tj-2023-02-01-demo
    date: 2023-02-01
    country: TJ
    agency: tj-ministerstvo-vnutrennikh-del
    items:
      - {name: Microscope, category: other, quantity: 2, value: 10, currency: USD}
      - {name: Laptop, value: 1250.5, currency: usd}
    sources: [handover-note-f3ce1f]
"""


def _export(nexus: Run, db: Path, fmt: str) -> str:
    result = nexus("--db", str(db), "export", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    return str(result.stdout)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_a_version_1_file_and_its_version_2_twin_export_the_same(
    nexus: Run, tmp_path: Path, fmt: str
) -> None:
    exports = []
    for name, text in (("v1", V1), ("v2", V2)):
        db = tmp_path / f"{name}.db"
        result = nexus("--db", str(db), "load", str(write(tmp_path, f"{name}.yaml", text)))
        assert result.exit_code == 0, result.stderr
        exports.append(_export(nexus, db, fmt))
    assert exports[0] == exports[1]
    document = json.loads(exports[0]) if fmt == "json" else None
    if document is not None:
        assert document["version"] == 2
        assert [s["id"] for s in document["sources"]] == [
            "handover-note-f3ce1f", "mission-report-january-2023-36c4eb"
        ]  # fmt: skip
        training = document["trainings"][0]
        assert training["agencies"] == ["kg-ministry-of-internal-affairs", "kg-verkhovnyy-sud"]
        assert "source" not in training  # version 1's field is read, never written
        assert document["deliveries"][0]["items"][1] == {
            "name": "Laptop", "category": "other", "quantity": None, "value": 1250.5,
            "currency": "USD",
        }  # fmt: skip


def test_an_export_of_a_version_1_file_loads_back_unchanged(nexus: Run, tmp_path: Path) -> None:
    assert nexus("load", str(write(tmp_path, "v1.yaml", V1))).exit_code == 0
    exported = write(tmp_path, "out.yaml", nexus("export").stdout)
    again = nexus("load", str(exported))
    assert again.exit_code == 0, again.stderr
    for kind, count in (("sources", 2), ("agencies", 3), ("projects", 1), ("trainings", 1),
                        ("deliveries", 1)):  # fmt: skip
        assert f"│ {kind:<10} │     0 │       0 │ {count:>9} │" in again.stdout
    reloaded = nexus("load", str(write(tmp_path, "v1-again.yaml", V1)))  # the same ids again
    assert reloaded.exit_code == 0, reloaded.stderr
    assert "│ sources    │     0 │       0 │         2 │" in reloaded.stdout
    assert "new agenc" not in reloaded.stderr


def test_a_version_1_source_is_one_entity_for_every_record_citing_its_text(
    nexus: Run, tmp_path: Path
) -> None:
    text = V1.replace("    source: Handover note\n", "    source: Mission report, January 2023\n")
    result = nexus("load", str(write(tmp_path, "v1.yaml", text)))
    assert result.exit_code == 0, result.stderr
    assert "│ sources    │     1 │       0 │         0 │" in result.stdout
    document = json.loads(nexus("export", "--format", "json").stdout)
    assert document["sources"] == [
        {"id": "mission-report-january-2023-36c4eb", "title": "Mission report, January 2023",
         "publisher": None, "kind": None, "date": None, "url": None, "language": None},
    ]  # fmt: skip
    cited = [
        r["sources"] for kind in ("projects", "trainings", "deliveries") for r in document[kind]
    ]
    assert cited == [["mission-report-january-2023-36c4eb"]] * 3
    listed = json.loads(nexus("sources", "--format", "json").stdout)
    assert sorted(listed[0]["cited_by"]) == ["demo", "kg-2023-01-demo", "tj-2023-02-01-demo"]


def test_a_version_1_source_reuses_a_source_of_the_file_with_that_title(
    nexus: Run, tmp_path: Path
) -> None:
    """`source:` may still be written in a version 2 file: the file's source titled so."""
    text = V2.replace(
        "    sources: [handover-note-f3ce1f]\n", "    source: Handover note\n"
    ).replace("  - id: handover-note-f3ce1f\n", "  - id: note\n")
    result = nexus("load", str(write(tmp_path, "v2.yaml", text)))
    assert result.exit_code == 0, result.stderr
    document = json.loads(nexus("export", "--format", "json").stdout)
    assert [s["id"] for s in document["sources"]] == ["mission-report-january-2023-36c4eb", "note"]
    assert document["deliveries"][0]["sources"] == ["note"]


def test_value_usd_reads_as_a_value_in_us_dollars(nexus: Run, tmp_path: Path) -> None:
    result = nexus("load", str(write(tmp_path, "v1.yaml", V1)))
    assert result.exit_code == 0, result.stderr
    document = json.loads(nexus("export", "--format", "json").stdout)
    microscope = document["deliveries"][0]["items"][0]
    assert microscope == {"name": "Microscope", "category": "other", "quantity": 2,
                          "value": 10, "currency": "USD"}  # fmt: skip
    assert "value_usd" not in nexus("export").stdout


# The item of GOOD's delivery: its line 21 names it, the next gives its quantity.
ITEM_AT_LINE_21 = "      - name: Microscope\n        quantity: 2\n"


@pytest.mark.parametrize(
    ("item", "fragments"),
    [
        ("        value: 10\n",
         ["items.yaml:21:", "field 'items[0]'", "a value needs its currency"]),
        ("        value: 10\n        currency: XYZ\n",
         ["items.yaml:24:", "field 'items[0].currency'",
          "'XYZ' is not an ISO 4217 currency code"]),
        ("        category: microscope\n",
         ["items.yaml:23:", "field 'items[0].category'", "unknown category 'microscope'",
          "comparison-microscope"]),
        ("        currency: USD\n",
         ["items.yaml:21:", "field 'items[0]'", "currency USD is given without a value"]),
        ("        value_usd: 10\n        value: 10\n        currency: USD\n",
         ["items.yaml:21:", "field 'items[0]'", "not both"]),
    ],
)  # fmt: skip
def test_a_bad_value_currency_or_category_names_its_line_and_field(
    loaded: Run, store: Store, tmp_path: Path, item: str, fragments: list[str]
) -> None:
    text = GOOD.replace("version: 1", "version: 2").replace(ITEM_AT_LINE_21, ITEM_AT_LINE_21 + item)
    assert text.splitlines()[20] == "      - name: Microscope"
    refused(loaded, store, write(tmp_path, "items.yaml", text), *fragments)


def test_another_countrys_agency_id_is_refused(loaded: Run, store: Store, tmp_path: Path) -> None:
    """The seed's kz-mvd is Kazakhstan's: a Kyrgyz training or a Tajik delivery cannot
    name it (a load only; `check` does not open the store)."""
    text = GOOD.replace("agencies: [Ministry of Internal Affairs]", "agencies: [kz-mvd]").replace(
        "agency: Министерство внутренних дел", "agency: uz-mvd"
    )
    before = store.snapshot()
    result = loaded("load", str(write(tmp_path, "other.yaml", text)))
    assert result.exit_code == 1
    assert (
        "other.yaml:6: training 'kg-2023-01-demo', field 'agencies[0]': "
        "agency 'kz-mvd' is an agency of Kazakhstan, not of Kyrgyzstan"
    ) in result.stderr
    assert (
        "other.yaml:16: delivery 'tj-2023-02-01-demo', field 'agency': "
        "agency 'uz-mvd' is an agency of Uzbekistan, not of Tajikistan"
    ) in result.stderr
    assert store.snapshot() == before


def test_another_countrys_agency_of_the_same_file_is_refused(
    loaded: Run, store: Store, tmp_path: Path
) -> None:
    agencies = "agencies:\n  - {id: kz-customs-2, country: KZ, name: Customs}\nprojects:\n"
    text = (
        GOOD.replace("version: 1", "version: 2")
        .replace("projects:\n", agencies, 1)
        .replace("agencies: [Ministry of Internal Affairs]", "agencies: [kz-customs-2]")
    )
    refused(
        loaded, store, write(tmp_path, "same.yaml", text),
        "same.yaml:8: training 'kg-2023-01-demo', field 'agencies[0]': agency 'kz-customs-2' "
        "is an agency of Kazakhstan, not of Kyrgyzstan",
    )  # fmt: skip
