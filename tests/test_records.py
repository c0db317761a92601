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


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write(tmp_path, "good.yaml", GOOD)


def test_good_file_loads_and_defaults_the_only_project(loaded: Run, good: Path) -> None:
    result = loaded("load", str(good))
    assert result.exit_code == 0, result.stderr
    exported = json.loads(loaded("export", "--format", "json").stdout)
    training = next(t for t in exported["trainings"] if t["id"] == "kg-2023-01-demo")
    assert training["project"] == "demo"  # the file's only project
    delivery = next(d for d in exported["deliveries"] if d["id"] == "tj-2023-02-01-demo")
    assert delivery["agency"] == "Министерство внутренних дел"
    assert delivery["items"] == [{"name": "Microscope", "quantity": 2, "value_usd": None}]


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
        "'version: 1' is missing",
    )


def test_wrong_version(loaded: Run, store: Store, tmp_path: Path) -> None:
    refused(
        loaded,
        store,
        write(tmp_path, "v2.yaml", GOOD.replace("version: 1", "version: 2")),
        "v2.yaml:1:",
        "version must be 1",
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
