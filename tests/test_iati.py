"""``nexus export --format iati``: the IATI 2.03 activity of a project, checked against the
Standard itself.

The Standard's files (the activity schema, the codelists, the standard ruleset) come from
pyIATI 0.4.1's source distribution on the package index, fetched once and kept in pytest's
cache (``iati_standard``): the export of the example project validates against the 2.03
activity XSD, every coded value is in its codelist, and the ruleset's rules hold. The
``iati:`` mapping is checked on load and by ``nexus check`` (file:line, field), and an
export without the references it needs names them. The seed gives none, so it exports only
once a test gives them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree

from .conftest import REPO, SEED, Run, Store, write
from .test_records import refused_change

EXAMPLE = Path(__file__).parent / "sources" / "example-project.yaml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# An lxml tree: Any, as lxml's stubs type what xpath() finds as a union of every result.
Tree = Any

PYIATI = "pyIATI-0.4.1"
PYIATI_SHA256 = "b6f8f0d596746bd774ed3e84cdad50dfa7dd501ac70e6399f2bb0244bfd5b0ef"
PYIATI_RELEASE = "https://pypi.org/pypi/pyiati/0.4.1/json"
STANDARD_IN_SDIST = f"{PYIATI}/iati/resources/standard/"


def _download_sdist(folder: Path) -> Path:
    """pyIATI's sdist from the package index (its JSON API, else ``pip download``)."""
    archive = folder / f"{PYIATI}.tar.gz"
    try:
        with urllib.request.urlopen(PYIATI_RELEASE, timeout=60) as answer:
            release = json.load(answer)
        url = next(u["url"] for u in release["urls"] if u["packagetype"] == "sdist")
        with urllib.request.urlopen(url, timeout=120) as answer:
            archive.write_bytes(answer.read())
    except OSError:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--no-binary", ":all:", "pyiati==0.4.1", "-d", str(folder)],
            check=True, timeout=300,
        )  # fmt: skip
    return archive


@pytest.fixture(scope="session")
def iati_standard(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The IATI Standard folder (``2-03/schemas``, ``2-03/codelists``, ...) of pyIATI 0.4.1,
    downloaded once (checked against its SHA-256) and cached between runs.

    Test processes run side by side (pytest-xdist) and may all find the cache empty: each
    works in a folder of its own and renames its result into place, the first one winning.
    """
    cache = getattr(pytestconfig, "cache", None)  # None under -p no:cacheprovider
    folder = cache.mkdir("pyiati-0.4.1") if cache else tmp_path_factory.mktemp("pyiati")
    standard = folder / "standard"
    if (standard / "2-03" / "schemas" / "iati-activities-schema.xsd").exists():
        return standard
    own = Path(tempfile.mkdtemp(dir=folder, prefix="working-"))
    try:
        archive = folder / f"{PYIATI}.tar.gz"
        if not archive.exists():
            os.replace(_download_sdist(own), archive)
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        assert digest == PYIATI_SHA256, f"{archive} is not pyIATI 0.4.1's sdist ({digest})"
        with tarfile.open(archive) as sdist:
            members = [m for m in sdist.getmembers()
                       if m.name.startswith(STANDARD_IN_SDIST) and (m.isfile() or m.isdir())]  # fmt: skip
            sdist.extractall(own, members=members, filter="data")
        with contextlib.suppress(OSError):  # another process put its copy there first
            (own / STANDARD_IN_SDIST).rename(standard)
    finally:
        shutil.rmtree(own, ignore_errors=True)
    return standard


@pytest.fixture(scope="session")
def activity_schema(iati_standard: Path) -> etree.XMLSchema:
    schemas = iati_standard / "2-03" / "schemas"
    return etree.XMLSchema(etree.parse(str(schemas / "iati-activities-schema.xsd")))


NON_EMBEDDED = {"Sector", "SectorCategory"}  # kept apart from the Standard's versions


def codelist(standard: Path, name: str) -> set[str]:
    """The codes of an IATI 2.03 codelist, withdrawn ones included."""
    folder = "codelists_non_embedded" if name in NON_EMBEDDED else "2-03/codelists"
    tree: Tree = etree.parse(str(standard / folder / f"{name}.xml"))
    return {str(code).strip() for code in tree.xpath("//codelist-item/code/text()")}


def exported_iati(run: Run, path: Path, *args: str) -> Tree:
    result = run("export", "--format", "iati", "-o", str(path), *args)
    assert result.exit_code == 0, result.stderr
    assert f"wrote {path}" in " ".join(result.stderr.split())
    return etree.parse(str(path))


def export_refused(run: Run, tmp_path: Path, text: str, *args: str) -> str:
    """Load the record file ``text``, then see ``export --format iati`` refuse it (exit 2,
    nothing on stdout); returns stderr on one line."""
    assert run("load", str(write(tmp_path, "records.yaml", text))).exit_code == 0
    result = run("export", "--format", "iati", *args)
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    return " ".join(result.stderr.split())


def valid(schema: etree.XMLSchema, tree: Tree) -> bool:
    ok = schema.validate(tree)
    assert ok, str(schema.error_log)
    return ok


@pytest.fixture
def example_iati(nexus: Run, tmp_path: Path) -> Tree:
    result = nexus("load", str(EXAMPLE))
    assert result.exit_code == 0, result.stderr
    return exported_iati(nexus, tmp_path / "example.xml", "--fiscal-year-start", "4")


def one(tree: Tree, path: str) -> Any:
    found = tree.xpath(path)
    assert len(found) == 1, (path, found)
    return found[0]


# --- the example project ------------------------------------------------------------------


def test_example_project_is_valid_against_the_2_03_activity_schema(
    example_iati: Tree, activity_schema: etree.XMLSchema
) -> None:
    assert valid(activity_schema, example_iati)
    root = example_iati.getroot()
    assert root.tag == "iati-activities"
    assert root.get("version") == "2.03"
    assert len(root.findall("iati-activity")) == 1


def test_example_activity_says_what_the_record_says(example_iati: Tree) -> None:
    tree = example_iati
    assert one(tree, "//iati-identifier/text()") == "XM-EXAMPLE-UNODC-EXAMPLE-PROJECT"
    assert one(tree, "//reporting-org/@ref") == "XM-EXAMPLE-UNODC"
    assert one(tree, "//iati-activity/title/narrative/text()").startswith("Example project against")
    orgs = [(o.get("role"), o.get("ref"), o.findtext("narrative"))
            for o in tree.xpath("//participating-org")]  # fmt: skip
    assert orgs == [
        ("1", "XM-EXAMPLE-CANADA", "Government of Canada"),
        ("4", "XM-EXAMPLE-UNODC", "UNODC"),
        ("4", "XM-EXAMPLE-UNOCT", "UNOCT"),
    ]
    assert one(tree, "//activity-status/@code") == "2"
    # The declared start has passed: an actual start; no end is declared.
    dates = [(d.get("type"), d.get("iso-date")) for d in tree.xpath("//activity-date")]
    assert dates == [("2", "2024-10-01")]
    # Two countries and no budget shares in the record: an even split, which adds up.
    countries = [(c.get("code"), c.get("percentage")) for c in tree.xpath("//recipient-country")]
    assert countries == [("KG", "50"), ("KZ", "50")]
    assert [(s.get("vocabulary"), s.get("code")) for s in tree.xpath("//sector")] == [
        ("1", "15240")
    ]


def test_only_sources_with_an_address_are_linked(example_iati: Tree) -> None:
    """The project document has a URL; the progress note, which the trainings cite, has none."""
    links = example_iati.xpath("//iati-activity/document-link")
    assert [link.get("url") for link in links] == ["https://example.org/project-document.pdf"]
    link = links[0]
    assert link.get("format") == "application/pdf"
    assert link.findtext("title/narrative") == "Example project document and results framework"
    assert link.find("category").get("code") == "A02"  # a project document: objectives
    assert link.find("language").get("code") == "en"
    assert link.find("document-date") is None  # dated 2024-09: IATI needs a day
    assert "progress note" not in etree.tostring(example_iati, encoding="unicode").casefold()


def _period(tree: Tree, indicator: str, start: str) -> Any:
    return one(tree, f"//result[title/narrative='{indicator}']/indicator/period"
                     f"[period-start/@iso-date='{start}']")  # fmt: skip


def _actuals(period: Any) -> dict[str, tuple[str, str | None]]:
    """Each actual of a period by its dimension ("" for the whole): value and comment."""
    found = {}
    for actual in period.findall("actual"):
        dimension = actual.find("dimension")
        key = "" if dimension is None else f"{dimension.get('name')}={dimension.get('value')}"
        found[key] = (actual.get("value"), actual.findtext("comment/narrative"))
    return found


def test_results_count_what_the_reports_count(example_iati: Tree) -> None:
    """Periods are the fiscal years (from April); a lower bound says "at least", a figure no
    record states is left out, never 0."""
    results = example_iati.xpath("//result")
    assert len(results) == 9  # one per indicator
    officials = "Number of criminal justice officials trained"
    first = _period(example_iati, officials, "2024-10-01")  # FY2024-25, from the start
    assert one(first, "period-end/@iso-date") == "2025-03-31"
    assert one(first, "target/@value") == "80"
    actuals = _actuals(first)
    # 20 + 15 + "over 30": at least 65; the sexes only where stated.
    assert actuals[""] == ("65", "At least 65: some records of the period do not state it.")
    assert actuals["sex=female"][0] == "8"
    assert actuals["sex=male"][0] == "12"
    assert actuals["country=KG"] == ("15", None)
    assert actuals["country=KZ"][0] == "50"
    second = _period(example_iati, officials, "2025-04-01")
    assert one(second, "target/@value") == "120"
    # KG's only training of the year states no participants: KG has no actual at all.
    assert "country=KG" not in _actuals(second)
    assert _actuals(second)[""][0] == "24"
    baseline = one(example_iati, f"//result[title/narrative='{officials}']//baseline")
    assert (baseline.get("year"), baseline.get("value")) == ("2024", "0")
    description = one(example_iati, f"//result[title/narrative='{officials}']"
                                    "/indicator/description/narrative/text()")  # fmt: skip
    assert "Target over the life of the project: 200 persons" in description


def test_reported_and_percentage_indicators(example_iati: Tree) -> None:
    share = "Share of trainees reporting improved knowledge"
    result = one(example_iati, f"//result[title/narrative='{share}']")
    assert result.get("type") == "9"  # the record does not say which level it is
    assert one(result, "indicator/@measure") == "2"  # a percentage
    periods = result.findall("indicator/period")
    # 68 in 2024-Q4, 72.5 in 2025-Q1: the latest of FY2024-25; no other year has values.
    assert [(p.find("period-start").get("iso-date"), _actuals(p)[""][0]) for p in periods] == [
        ("2024-10-01", "72.5")
    ]
    trainings = one(example_iati, "//result[title/narrative='Number of national trainings held']")
    assert trainings.get("type") == "1"  # counted from the records: an output


def test_coded_values_are_in_the_standards_codelists(
    example_iati: Tree, iati_standard: Path
) -> None:
    coded = {
        "//reporting-org/@type": "OrganisationType",
        "//participating-org/@type": "OrganisationType",
        "//participating-org/@role": "OrganisationRole",
        "//activity-status/@code": "ActivityStatus",
        "//activity-date/@type": "ActivityDateType",
        "//recipient-country/@code": "Country",
        "//sector/@vocabulary": "SectorVocabulary",
        "//sector[@vocabulary='1']/@code": "Sector",
        "//document-link/@format": "FileFormat",
        "//document-link/category/@code": "DocumentCategory",
        "//document-link/language/@code": "Language",
        "//result/@type": "ResultType",
        "//result/indicator/@measure": "IndicatorMeasure",
        "//description/@type": "DescriptionType",
    }
    for path, name in coded.items():
        values = set(example_iati.xpath(path))
        assert values, path
        assert values <= codelist(iati_standard, name), (path, values)


# --- IATI's standard ruleset ----------------------------------------------------------------


def _ruleset_failures(tree: Tree, rules: dict[str, Any], today: str) -> list[str]:
    """The rules of IATI's standard ruleset (2.03) that ``tree`` breaks. Its rule types:
    atleast_one, date_order, regex_matches, sum, no_more_than_one."""

    def values(context: Any, path: str) -> list[str]:
        return [str(v) for v in context.xpath(path)] if path != "NOW" else [today]

    broken = []
    for context_path, by_type in rules.items():
        for context in tree.xpath(context_path):
            for rule, spec in by_type.items():
                for case in spec["cases"]:
                    found = {p: values(context, p) for p in case.get("paths", ())}
                    if rule == "atleast_one" and not any(found.values()):
                        broken.append(f"{context_path}: none of {case['paths']}")
                    elif rule == "no_more_than_one" and sum(map(len, found.values())) > 1:
                        broken.append(f"{context_path}: more than one of {case['paths']}")
                    elif rule == "regex_matches":
                        pattern = re.compile(case["regex"])
                        broken += [f"{context_path}: {v!r} does not match {case['regex']}"
                                   for vs in found.values() for v in vs
                                   if not pattern.fullmatch(v)]  # fmt: skip
                    elif rule == "sum":
                        shares = [float(v) for vs in found.values() for v in vs]
                        if shares and round(sum(shares), 6) != case["sum"]:
                            broken.append(
                                f"{context_path}: {case['paths']} add up to {sum(shares)}"
                            )
                    elif rule == "date_order":
                        less, more = values(context, case["less"]), values(context, case["more"])
                        if less and more and min(more) < max(less):
                            broken.append(f"{context_path}: {case['less']} after {case['more']}")
    return broken


def test_the_standard_ruleset_holds(example_iati: Tree, iati_standard: Path) -> None:
    rules = json.loads((iati_standard / "2-03" / "rulesets" / "standard_ruleset.json").read_text())
    assert {t for by_type in rules.values() for t in by_type} <= {
        "atleast_one", "date_order", "regex_matches", "sum", "no_more_than_one"
    }  # every rule type is checked  # fmt: skip
    assert _ruleset_failures(example_iati, rules, dt.date.today().isoformat()) == []
    # The checker finds a broken rule: shares that do not add up.
    broken: Any = etree.fromstring(etree.tostring(example_iati))
    broken.xpath("//recipient-country")[0].set("percentage", "40")
    assert _ruleset_failures(etree.ElementTree(broken), rules, "2026-01-01") == [
        "//iati-activity: ['recipient-country/@percentage', 'recipient-region/@percentage'] "
        "add up to 90.0"
    ]


# --- the codelists nexus carries ------------------------------------------------------------


def test_the_codelists_module_is_generated_from_the_standard(iati_standard: Path) -> None:
    spec = importlib.util.spec_from_file_location("iati_codelists_tool",
                                                  REPO / "tools" / "iati_codelists.py")  # fmt: skip
    assert spec is not None
    assert spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    module = REPO / "src" / "salw_nexus" / "iati_codelists.py"
    assert tool.module_text(iati_standard) == module.read_text(encoding="utf-8")


# --- references: missing, and checked -------------------------------------------------------


def _seed_with(tmp_path: Path, iati: dict[str, Any] | None) -> Path:
    """The seed's project (only) with ``iati`` given, as a record file to load over it."""
    seed = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    project = dict(seed["projects"][0], iati=iati)
    text = yaml.safe_dump({"version": 2, "sources": seed["sources"], "projects": [project]},
                          allow_unicode=True, sort_keys=False)  # fmt: skip
    return write(tmp_path, "seed-refs.yaml", text)


SEED_REFS = {
    "identifier": "XM-EXAMPLE-1-TAC-NEXUS",
    "reporting_org": {"ref": "XM-EXAMPLE-1", "type": 40, "name": "UNODC"},
    "sectors": [{"vocabulary": 1, "code": 15240}],
    "status": 2,
}


def test_the_seed_exports_only_once_its_refs_are_given(
    loaded: Run, tmp_path: Path, activity_schema: etree.XMLSchema
) -> None:
    assert "iati" not in SEED.read_text(encoding="utf-8")  # the seed invents none
    target = tmp_path / "seed.xml"
    refused = loaded("export", "--format", "iati", "-o", str(target))
    assert refused.exit_code == 2
    assert "Traceback" not in refused.stderr
    assert "project tac-nexus: iati not given" in " ".join(refused.stderr.split())
    assert not target.exists()

    given = loaded("load", str(_seed_with(tmp_path, SEED_REFS)))
    assert given.exit_code == 0, given.stderr
    result = loaded("export", "--format", "iati", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert "tac-nexus: the recipient countries' percentages are an even split" in said
    tree: Tree = etree.parse(str(target))
    assert valid(activity_schema, tree)
    shares = [(c.get("code"), c.get("percentage")) for c in tree.xpath("//recipient-country")]
    assert shares == [("KG", "20"), ("KZ", "20"), ("TJ", "20"), ("TM", "20"), ("UZ", "20")]
    # No declared start: the first handover or training, and a note saying so.
    start = one(tree, "//activity-date")
    assert (start.get("type"), start.get("iso-date")) == ("2", "2022-10-24")
    assert "declares no start" in start.findtext("narrative")
    # No funding or implementing organisations given: the record's names, without refs.
    orgs = [(o.get("role"), o.get("ref"), o.findtext("narrative"))
            for o in tree.xpath("//participating-org")]  # fmt: skip
    assert orgs == [("1", None, "Canada"), ("4", None, "UNODC"), ("4", None, "UNOCT")]
    assert tree.xpath("//document-link") == []  # the seed's sources have no address
    assert tree.xpath("//result") == []  # and its project no results framework
    # The description: title, implementers, donors; never the record keeper's notes.
    description = one(tree, "//iati-activity/description/narrative/text()")
    assert description.startswith("Addressing the Terrorism-Arms-Crime Nexus")
    assert description.endswith("Implemented by UNODC, UNOCT. Funded by Canada.")
    assert "The source says" not in etree.tostring(tree, encoding="unicode")
    # The split is said in the XML too, on each country.
    notes = {c.findtext("narrative") for c in tree.xpath("//recipient-country")}
    assert notes == {"Share not stated in the record: an even split over the project's countries."}


def test_shares_given_are_used_and_must_cover_every_country(
    loaded: Run, tmp_path: Path, activity_schema: etree.XMLSchema
) -> None:
    shares = {"KZ": 30, "KG": 25, "TJ": 15, "TM": 15, "Uzbekistan": 15}
    assert loaded("load", str(_seed_with(tmp_path, {**SEED_REFS, "recipient_countries": shares}))
                  ).exit_code == 0  # fmt: skip
    result = loaded("export", "--format", "iati")  # to stdout
    assert result.exit_code == 0, result.stderr
    assert "even split" not in result.stderr
    tree: Tree = etree.ElementTree(etree.fromstring(result.stdout.encode()))
    assert valid(activity_schema, tree)
    assert [(c.get("code"), c.get("percentage")) for c in tree.xpath("//recipient-country")] == [
        ("KZ", "30"), ("KG", "25"), ("TJ", "15"), ("TM", "15"), ("UZ", "15")
    ]  # fmt: skip

    short = {"KZ": 50, "KG": 50}
    assert loaded("load", str(_seed_with(tmp_path, {**SEED_REFS, "recipient_countries": short}))
                  ).exit_code == 0  # fmt: skip
    result = loaded("export", "--format", "iati")
    assert result.exit_code == 2
    assert result.stdout == ""
    said = " ".join(result.stderr.split())
    assert "iati.recipient_countries gives no share for Tajikistan (TJ), Turkmenistan (TM)" in said


def test_missing_references_are_named(loaded: Run, tmp_path: Path) -> None:
    partial = {"identifier": "XM-EXAMPLE-1-TAC-NEXUS"}
    assert loaded("load", str(_seed_with(tmp_path, partial))).exit_code == 0
    target = tmp_path / "out.xml"
    result = loaded("export", "--format", "iati", "-o", str(target))
    assert result.exit_code == 2
    said = " ".join(result.stderr.split())
    assert ("project tac-nexus: iati.reporting_org, iati.sectors, iati.status not given"
            in said)  # fmt: skip
    assert "nothing is invented" in said
    assert not target.exists()


def test_options_of_other_formats(loaded: Run) -> None:
    result = loaded("export", "--format", "yaml", "--project", "tac-nexus")
    assert result.exit_code == 2
    assert "--project and --fiscal-year-start go with --format iati" in result.stderr
    month = loaded("export", "--format", "iati", "--fiscal-year-start", "5")
    assert month.exit_code == 2
    assert (
        "'--fiscal-year-start': Value error, '5' is not one of '1', '4', '7', '10'" in month.stderr
    )
    unknown = loaded("export", "--format", "iati", "--project", "nope")
    assert unknown.exit_code == 1
    assert "no project has the id 'nope'" in unknown.stderr


REFS = """\
version: 2
projects:
  - id: demo
    title: Demo project
    iati:
      identifier: XM-EXAMPLE-1-DEMO
      reporting_org: {ref: XM-EXAMPLE-1, type: 40, name: UNODC}
      funding_orgs: [{ref: XM-EXAMPLE-2, type: 10, name: Government of Canada}]
      sectors: [{vocabulary: 1, code: 15240}]
      status: 2
      recipient_countries: {KZ: 60, KG: 40}
"""


@pytest.mark.parametrize("ref", ["CA-3", "XI-IATI-EC_INTPA", "NL-KVK-41160054", "XM-DAC-41110"])
def test_organisation_identifiers_of_every_shape_load(
    loaded: Run, tmp_path: Path, ref: str
) -> None:
    """A registration agency's identifier, or a government's own code (IATI's
    OrganisationIdentifier codelist: CA-3 has no part after the agency's)."""
    text = REFS.replace("ref: XM-EXAMPLE-2,", f"ref: {ref},")
    result = loaded("check", str(write(tmp_path, "refs.yaml", text)))
    assert result.exit_code == 0, result.stderr


def test_other_vocabularies_keep_their_codes_as_written(loaded: Run, tmp_path: Path) -> None:
    sectors = '[{vocabulary: 1, code: 15240, percentage: 100}, {vocabulary: 99, code: "007"}]'
    text = REFS.replace("[{vocabulary: 1, code: 15240}]", sectors)
    assert loaded("load", str(write(tmp_path, "refs.yaml", text))).exit_code == 0
    project = next(p for p in json.loads(loaded("export", "--format", "json").stdout)["projects"]
                   if p["id"] == "demo")  # fmt: skip
    assert [s["code"] for s in project["iati"]["sectors"]] == [15240, "007"]


@pytest.mark.parametrize(
    ("old", "new", "fragments"),
    [
        ("ref: XM-EXAMPLE-1, type: 40", "ref: UNODC, type: 40",
         [":7:", "field 'iati.reporting_org.ref'", "'UNODC' is not an IATI organisation identifier"]),
        ("ref: XM-EXAMPLE-2,", "ref: XM-EXAMPLE 2,",
         [":8:", "field 'iati.funding_orgs[0].ref'", "without spaces"]),
        ("type: 40", "type: 41",
         [":7:", "field 'iati.reporting_org.type'", "'41' is not in IATI's OrganisationType codelist"]),
        ("status: 2", "status: 7",
         [":10:", "field 'iati.status'", "'7' is not in IATI's ActivityStatus codelist"]),
        ("code: 15240", "code: 15241",
         [":9:", "field 'iati.sectors[0]'", "sector code '15241' is not in vocabulary 1"]),
        ("vocabulary: 1,", "vocabulary: 11,",
         [":9:", "field 'iati.sectors[0].vocabulary'", "not in IATI's SectorVocabulary codelist"]),
        ("identifier: XM-EXAMPLE-1-DEMO", "identifier: XM-OTHER-1-DEMO",
         [":6:", "field 'iati.identifier'", "must begin with the reporting organisation's identifier"]),
        ("identifier: XM-EXAMPLE-1-DEMO", "identifier: XM-EXAMPLE-1-DEMO/2",
         [":6:", "field 'iati.identifier'", "no spaces, /, &, | or ?"]),
        ("{KZ: 60, KG: 40}", "{KZ: 60, KG: 30}",
         [":11:", "field 'iati.recipient_countries'", "the percentages add up to 90, not 100"]),
        ("{KZ: 60, KG: 40}", "{KZ: 60, Atlantis: 40}",
         [":11:", "field 'iati.recipient_countries.Atlantis'", "Atlantis"]),
        ("[{vocabulary: 1, code: 15240}]", "[{code: 15240}, {code: 15210}]",
         [":9:", "field 'iati.sectors'", "2 sectors of vocabulary 1: give each a percentage"]),
        ("status: 2", "state: 2",
         [":10:", "field 'iati.state'"]),
        ("code: 15240}", "code: 15240, percentage: 50}",
         [":9:", "field 'iati.sectors'", "the only sector of vocabulary 1 has all of the activity"]),
        ("[{vocabulary: 1, code: 15240}]", "[{vocabulary: 8, code: 16.4}]",
         [":9:", "field 'iati.sectors[0].code'", 'quote a code such as "16.4"']),
        ("[{vocabulary: 1, code: 15240}]", "[{vocabulary: 99, code: ' '}]",
         [":9:", "field 'iati.sectors[0].code'", "a sector code is not empty"]),
    ],
)  # fmt: skip
def test_check_finds_a_bad_reference(
    loaded: Run, store: Store, tmp_path: Path, old: str, new: str, fragments: list[str]
) -> None:
    refused_change(loaded, store, tmp_path, REFS, old, new, fragments)


def test_the_references_file_loads_and_exports_back(loaded: Run, tmp_path: Path) -> None:
    """The file the rules above break is a good one, and its mapping comes back as given."""
    result = loaded("load", str(write(tmp_path, "good.yaml", REFS)))
    assert result.exit_code == 0, result.stderr
    exported = loaded("export", "--format", "json")
    project = next(p for p in json.loads(exported.stdout)["projects"] if p["id"] == "demo")
    assert project["iati"] == {
        "identifier": "XM-EXAMPLE-1-DEMO",
        "reporting_org": {"ref": "XM-EXAMPLE-1", "type": 40, "name": "UNODC"},
        "funding_orgs": [{"ref": "XM-EXAMPLE-2", "type": 10, "name": "Government of Canada"}],
        "implementing_orgs": [],
        "sectors": [{"vocabulary": 1, "code": 15240, "percentage": None}],
        "status": 2,
        "description": None,
        "recipient_countries": {"KZ": 60, "KG": 40},
    }


def test_exported_iati_from_the_cli_in_a_real_process(
    tmp_path: Path, store: Store, activity_schema: etree.XMLSchema
) -> None:
    """The console script writes the same valid document, the file replaced atomically."""
    from .conftest import run_process

    assert run_process("load", str(EXAMPLE)).returncode == 0
    target = tmp_path / "activity.xml"
    target.write_text("old")
    done = run_process("export", "-f", "iati", "-o", str(target), "--fiscal-year-start", "4")
    assert done.returncode == 0, done.stderr
    assert valid(activity_schema, etree.parse(str(target)))


ENDED = """\
version: 2
projects:
  - id: ended
    title: A project that has ended
    start: 2024-01-15
    end: 2025-06-30
    implementers: [UNODC]
    iati:
      identifier: XM-EXAMPLE-1-ENDED
      reporting_org: {ref: XM-EXAMPLE-1, type: 40, name: UNODC}
      sectors: [{code: 15240}]
      status: 4
    indicators:
      - {id: held, title: Trainings held, target: 3, targets: {"2024": 1, "2025": 2}, measure: trainings}
      - {id: trained, title: Officials trained, measure: participants, disaggregate: [sex]}
trainings:
  - {id: t1, title: First course, country: KZ, start: 2024-03-04, end: 2024-03-05,
     participants: 10, female: 4, male: 6}
  - {id: t2, title: Second course, country: KZ, start: 2025-02-10, end: 2025-02-12,
     participants: null}
"""


def test_a_declared_end_holds_the_life_of_project_target(
    nexus: Run, tmp_path: Path, activity_schema: etree.XMLSchema
) -> None:
    """Start and end declared, both passed, status post-completion: actual dates; calendar
    years cut at the start and the end; the life-of-project target on a period of its own."""
    assert nexus("load", str(write(tmp_path, "ended.yaml", ENDED))).exit_code == 0
    tree = exported_iati(nexus, tmp_path / "ended.xml")
    assert valid(activity_schema, tree)
    dates = [(d.get("type"), d.get("iso-date")) for d in tree.xpath("//activity-date")]
    assert dates == [("2", "2024-01-15"), ("4", "2025-06-30")]
    # One country: no percentage (IATI reads 100), and no note of a split.
    assert [(c.get("code"), c.get("percentage")) for c in tree.xpath("//recipient-country")] == [
        ("KZ", None)
    ]
    held = tree.xpath("//result[title/narrative='Trainings held']/indicator/period")
    spans = [(p.find("period-start").get("iso-date"), p.find("period-end").get("iso-date"),
              p.xpath("string(target/@value)"), _actuals(p)[""][0])
             for p in held]  # fmt: skip
    assert spans == [
        ("2024-01-15", "2024-12-31", "1", "1"),
        ("2025-01-01", "2025-06-30", "2", "1"),
        ("2024-01-15", "2025-06-30", "3", "2"),  # the life of the project
    ]
    trained = tree.xpath("//result[title/narrative='Officials trained']/indicator/period")
    # 2025: the only training states no participants: no actual, so no period at all.
    assert [p.find("period-start").get("iso-date") for p in trained] == ["2024-01-15", "2024-01-15"]
    first = _actuals(trained[0])
    assert first == {"": ("10", None), "sex=female": ("4", None), "sex=male": ("6", None),
                     "sex=not reported by sex": ("0", None)}  # fmt: skip
    life = _actuals(trained[1])
    assert life[""] == ("10", "At least 10: some records of the period do not state it.")


def _project_file(tmp_path: Path, name: str, body: str) -> Path:
    return write(tmp_path, name, "version: 2\nprojects:\n" + body)


ODD = """\
  - id: {id}
    title: Project {id}
    start: {start}
    end: {end}
    implementers: [UNODC]
    iati:
      identifier: {identifier}
      reporting_org: {{ref: XM-EXAMPLE-1, type: 40, name: UNODC}}
      sectors: [{{code: 15240}}]
      status: {status}
{more}"""


def _odd(**given: str) -> str:
    values = {"id": "odd", "start": "null", "end": "null", "identifier": "XM-EXAMPLE-1-ODD",
              "status": "2", "more": ""}  # fmt: skip
    return ODD.format(**{**values, **given})


def test_an_activity_needs_a_country_and_its_own_identifier(nexus: Run, tmp_path: Path) -> None:
    planned = _odd(start="2030-01-01")
    assert nexus("load", str(_project_file(tmp_path, "a.yaml", planned))).exit_code == 0
    nowhere = nexus("export", "--format", "iati")
    assert nowhere.exit_code == 2
    assert "project odd: an IATI activity names its recipient countries" in " ".join(
        nowhere.stderr.split()
    )
    # Two projects, each with its country, and the same activity identifier.
    both = planned.replace("status: 2\n", "status: 2\n      recipient_countries: {KZ: 100}\n")
    text = both + _odd(id="twin", start="2030-01-01", more="      recipient_countries: {KG: 100}\n")
    assert nexus("load", str(_project_file(tmp_path, "b.yaml", text))).exit_code == 0
    for selected in ((), ("--project", "twin")):  # one at a time must not publish two
        shared = nexus("export", "--format", "iati", *selected)
        assert shared.exit_code == 2
        assert "odd, twin share XM-EXAMPLE-1-ODD" in " ".join(shared.stderr.split())


def test_dates_that_have_not_come_are_planned(
    nexus: Run, tmp_path: Path, activity_schema: etree.XMLSchema
) -> None:
    """A declared start after today is a planned start, and so is a start of a project in
    the pipeline (status 1); a declared end not passed is a planned end."""
    body = _odd(start="2099-01-01", end="2099-12-31", more="      recipient_countries: {KZ: 100}\n")
    assert nexus("load", str(_project_file(tmp_path, "f.yaml", body))).exit_code == 0
    tree = exported_iati(nexus, tmp_path / "f.xml")
    assert valid(activity_schema, tree)
    assert [(d.get("type"), d.get("iso-date")) for d in tree.xpath("//activity-date")] == [
        ("1", "2099-01-01"), ("3", "2099-12-31")
    ]  # fmt: skip
    pipeline = _odd(start="2024-01-01", status="1",
                    more="      recipient_countries: {KZ: 100}\n")  # fmt: skip
    assert nexus("load", str(_project_file(tmp_path, "g.yaml", pipeline))).exit_code == 0
    tree = exported_iati(nexus, tmp_path / "g.xml")
    assert [d.get("type") for d in tree.xpath("//activity-date")] == ["1"]


def test_targets_outside_the_project_are_refused(nexus: Run, tmp_path: Path) -> None:
    text = ENDED.replace('targets: {"2024": 1, "2025": 2}', 'targets: {"2024": 1, "2026": 2}')
    said = export_refused(nexus, tmp_path, text)
    assert ("project ended, indicator held: the target for 2026 is for a year outside the "
            "project (2024-01-15 to 2025-06-30)") in said  # fmt: skip
    fiscal = nexus("export", "--format", "iati", "--fiscal-year-start", "4")
    assert fiscal.exit_code == 2
    assert "the target for 2024 is for a calendar year, and the export is in fiscal years" in (
        " ".join(fiscal.stderr.split())
    )


def test_records_before_the_declared_start_are_counted(
    nexus: Run, tmp_path: Path, activity_schema: etree.XMLSchema
) -> None:
    """As in the report's life of the project: a training before the declared start counts,
    and a quarter reported across the start too."""
    text = ENDED.replace("start: 2024-01-15", "start: 2024-05-15").replace(
        "      - {id: trained,",
        "      - {id: share, title: A share, unit: percent, reported: {2024-Q2: 68.1, 2024-Q3: 0.1}}\n"
        "      - {id: sum, title: A sum, reported: {2024-Q2: 0.1, 2024-Q3: 0.2}}\n"
        "      - {id: trained,",
    )
    assert nexus("load", str(write(tmp_path, "early.yaml", text))).exit_code == 0
    tree = exported_iati(nexus, tmp_path / "early.xml")
    assert valid(activity_schema, tree)
    assert one(tree, "//activity-date[@type='2']/@iso-date") == "2024-05-15"  # as declared
    held = tree.xpath("//result[title/narrative='Trainings held']/indicator/period")
    # The March 2024 training is before the declared start: counted, from its day.
    assert (held[0].find("period-start").get("iso-date"), _actuals(held[0])[""][0]) == (
        "2024-03-04", "1"
    )  # fmt: skip
    summed = tree.xpath("//result[title/narrative='A sum']/indicator/period/actual/@value")
    assert summed == ["0.3", "0.3"]  # 2024, and the life of the project; not 0.30000000000000004
    latest = tree.xpath("//result[title/narrative='A share']/indicator/period/actual/@value")
    assert latest == ["0.1", "0.1"]


def test_document_links_use_the_standards_codes(
    nexus: Run, tmp_path: Path, iati_standard: Path
) -> None:
    from salw_nexus.iati import FILE_FORMATS

    assert set(FILE_FORMATS.values()) | {"application/octet-stream"} <= codelist(
        iati_standard, "FileFormat"
    )
    sources = """\
sources:
  - {id: s-ru, title: Пресс-релиз, url: "https://example.org/news?id=5&lang=ru", language: ru-KZ,
     date: 2025-03-14, kind: press release}
  - {id: s-gz, title: Archive, url: https://example.org/files/report.pdf.gz, language: kaa}
  - {id: s-docx, title: Evaluation, url: https://example.org/Eval.DOCX, kind: mid-term evaluation}
  - {id: s-php, title: News page, url: https://example.org/news.php}
"""
    body = _odd(start="2024-01-01", more="      recipient_countries: {KZ: 100}\n").replace(
        "    implementers: [UNODC]\n",
        "    implementers: [UNODC]\n    sources: [s-ru, s-gz, s-docx, s-php]\n",
    )
    path = write(tmp_path, "docs.yaml", "version: 2\n" + sources + "projects:\n" + body)
    assert nexus("load", str(path)).exit_code == 0, nexus("check", str(path)).stderr
    tree = exported_iati(nexus, tmp_path / "docs.xml")
    links = {link.findtext("title/narrative"): link for link in tree.xpath("//document-link")}
    ru = links["Пресс-релиз"]
    assert (ru.get("format"), ru.find("category").get("code")) == ("text/html", "A12")
    assert ru.find("language").get("code") == "ru"
    assert ru.find("title/narrative").get(XML_LANG) == "ru-KZ"  # the title's own language
    assert ru.find("document-date").get("iso-date") == "2025-03-14"
    gz = links["Archive"]
    assert gz.get("format") == "application/octet-stream"  # a .gz is no PDF
    assert gz.find("language") is None  # Karakalpak: not in IATI's Language codelist,
    assert gz.find("title/narrative").get(XML_LANG) == "kaa"  # but not English either
    assert links["News page"].get("format") == "text/html"  # a page a server makes
    docx = links["Evaluation"]
    assert docx.get("format") == FILE_FORMATS["docx"]
    assert docx.find("category").get("code") == "A07"
    for path_, name in {"//document-link/language/@code": "Language",
                        "//document-link/@format": "FileFormat"}.items():  # fmt: skip
        assert set(tree.xpath(path_)) <= codelist(iati_standard, name)


def test_nothing_after_the_declared_end_is_dropped(nexus: Run, tmp_path: Path) -> None:
    """A record or a reported value after the declared end has no period: the export says
    so, rather than give smaller results than the report."""
    late = (
        ENDED
        + """\
  - {id: t3, title: Late course, country: KZ, start: 2025-08-01, end: 2025-08-01,
     participants: 7}
"""
    )
    said = export_refused(nexus, tmp_path, late)
    assert ("project ended has a training or handover on 2025-08-01, after its declared end "
            "(2025-06-30)") in said  # fmt: skip
    assert nexus("remove", "t3", "--yes").exit_code == 0
    reported = ENDED.replace(
        "      - {id: trained,",
        "      - {id: later, title: Later, reported: {2025-Q2: 1, 2025-Q3: 2}}\n"
        "      - {id: trained,",
    )
    assert ("indicator later: a value is reported for 2025-Q3, after the project's declared "
            "end (2025-06-30)") in export_refused(nexus, tmp_path, reported)  # fmt: skip


def test_values_reported_before_the_first_record_are_counted(
    nexus: Run, tmp_path: Path, activity_schema: etree.XMLSchema
) -> None:
    """A quarter reported before the declared start and every record starts the results,
    as it starts the report's life of the project."""
    text = ENDED.replace(
        "      - {id: trained,",
        "      - {id: early, title: Early, reported: {2023-Q4: 5, 2024-Q1: 1}}\n"
        "      - {id: trained,",
    )
    assert nexus("load", str(write(tmp_path, "early.yaml", text))).exit_code == 0
    tree = exported_iati(nexus, tmp_path / "early.xml")
    assert valid(activity_schema, tree)
    periods = tree.xpath("//result[title/narrative='Early']/indicator/period")
    assert [(p.find("period-start").get("iso-date"), _actuals(p)[""][0]) for p in periods] == [
        ("2023-10-01", "5"), ("2024-01-01", "1"), ("2023-10-01", "6")
    ]  # 2023, 2024 and the life of the project  # fmt: skip


def test_a_project_of_one_year_has_one_period(nexus: Run, tmp_path: Path) -> None:
    """When the year is the life of the project, its target goes on that one period."""
    text = (ENDED.replace("start: 2024-01-15", "start: 2024-01-01")
            .replace("end: 2025-06-30", "end: 2024-12-31")
            .replace('targets: {"2024": 1, "2025": 2}', "targets: {}")
            .replace("start: 2025-02-10, end: 2025-02-12", "start: 2024-02-10, end: 2024-02-12"))  # fmt: skip
    assert nexus("load", str(write(tmp_path, "year.yaml", text))).exit_code == 0
    tree = exported_iati(nexus, tmp_path / "year.xml")
    periods = tree.xpath("//result[title/narrative='Trainings held']/indicator/period")
    assert [(p.find("period-start").get("iso-date"), p.find("period-end").get("iso-date"),
             p.find("target").get("value"), _actuals(p)[""][0]) for p in periods] == [
        ("2024-01-01", "2024-12-31", "3", "2")
    ]  # fmt: skip
    description = one(
        tree, "//result[title/narrative='Trainings held']//description/narrative/text()"
    )
    assert "holds the yearly periods" not in description
