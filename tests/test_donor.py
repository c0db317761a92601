"""`nexus report`: the quarterly donor report, in Markdown and as a self-contained HTML page.

The figures checked here are the seed documents' (shared/seeds): in 2025-Q1 (FY2024-25 Q4
with an April fiscal year) three handovers, to Turkmenistan (10 February), Uzbekistan
(14 February, one comparison microscope) and Tajikistan (25 February); no training. Up to
the end of March 2025 the project held two trainings in October 2022 (over 16 and 20
participants, five days each) and six handovers in four countries.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import zlib
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from salw_nexus.donor import last_complete_quarter
from salw_nexus.periods import Quarter

from .conftest import Run, Store, write

SEED_Q1 = ["--quarter", "2025-Q1", "--fiscal-year-start", "4"]


# --- Markdown -----------------------------------------------------------------------------


def test_markdown_report_of_2025_q1_on_the_seed(loaded: Run) -> None:
    result = loaded("report", *SEED_Q1)
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert text.startswith("# Quarterly progress report: 2025-Q1 (FY2024-25 Q4)\n")
    assert "| Implemented by | UNODC, UNOCT |" in text
    assert "| Donor | Canada |" in text
    assert (
        "| Period | 1 January 2025 – 31 March 2025: calendar 2025-Q1, fiscal FY2024-25 Q4 "
        "(fiscal year from April) |" in text
    )
    assert (
        "| | Quarter FY2024-25 Q4<br>2025-01-01 – 2025-03-31 | Year to date FY2024-25<br>"
        "2024-04-01 – 2025-03-31 | Life of project<br>2022-10-24 – 2025-03-31 |" in text
    )
    for row in (
        "| Trainings | 0 | 0 | 2 |",
        "| Training days | 0 | 0 | 10 |",
        "| Participants | 0 | 0 | ≥36 |",
        # No record states the sex of a participant: not reported (—), never 0.
        "| – female | 0 | 0 | — |",
        "| – male | 0 | 0 | — |",
        "| – not reported by sex | 0 | 0 | ≥36 |",
        "| Share of women | — | — | — (no training states it) |",
        "| Person-days | 0 | 0 | ≥180 |",
        "| Agencies trained | 0 | 0 | 10 |",
        "| Handovers | 3 | 6 | 6 |",
        "| Recipient agencies | 3 | 4 | 4 |",
        # Per category, never added across categories: the quarter's IT equipment (TM),
        # one comparison microscope (UZ) and binocular microscopes (TJ); the life of the
        # project adds the IT equipment of KZ, UZ and TJ in late 2024. No quantity is
        # stated but Uzbekistan's one microscope.
        "| IT equipment | 1 | 1 | 1 handover without quantity | not stated |",
        "| Comparison microscopes | 1 | 1 | 1 stated | not stated |",
        "| Binocular microscopes | 1 | 1 | 1 handover without quantity | not stated |",
        "| IT equipment | 4 | 4 | 4 handovers without quantity | not stated |",
        "| Countries reached | 3 (TJ, TM, UZ) | 4 (KZ, TJ, TM, UZ) | 5 (KG, KZ, TJ, TM, UZ) |",
    ):
        assert f"\n{row}\n" in text, row
    assert "Units, where stated" not in text
    assert "Item lines" not in text
    assert "No trainings in this quarter." in text
    handovers = [line for line in text.splitlines() if line.startswith("- 2025-")]
    assert handovers == [
        "- 2025-02-10, Turkmenistan: IT equipment to Ministry of Internal Affairs, "
        "Ballistic-Forensic Department; officials present: Geldimurad Halmuradov (Head of the "
        "Ministry’s International Legal Department). [1]",
        "- 2025-02-14, Uzbekistan: Digital forensic comparison microscope × 1 (Comparison "
        "microscopes) to Ministry of Internal Affairs, Main Expert-Forensic Center; officials "
        "present: Saidolim Nuriddinov (Police Colonel). [1]",
        "- 2025-02-25, Tajikistan: Specialized binocular microscopes (Binocular microscopes) to "
        "Ministry of Internal Affairs; officials present: Gurez Dastagul (Police Colonel, Deputy Head of the "
        "Department of the Ministry of Internal Affairs of Tajikistan). [1]",
    ]
    assert "| Kyrgyzstan | 0 | 0 | 0 | 1 | ≥16 | — | — | ≥16 | 0 |" in text
    assert "| Uzbekistan | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 2 |" in text
    assert "| **FY2024-25 Q4** ◀ | · | · | ████████████████████ 3 |" in text
    sources = text.split("\n## Sources\n", 1)[1]
    # Title. Publisher. (no date or address: the documents state neither; no record ids)
    assert sources.lstrip().startswith(
        "1. UNODC press release on IT equipment and forensic comparison microscopes handed "
        "over in Central Asia, November 2024 – April 2025. UNODC.\n"
    )
    assert (
        "\n2. UNODC jointly with UNOCT builds the capacity of law enforcement, customs, and "
        "border control officers in Kyrgyz Republic and in the Republic of Kazakhstan. "
        "UNODC Regional Office for Central Asia.\n"
    ) in sources
    assert "`" not in text  # no record id anywhere: the donor's view
    internal = loaded("report", *SEED_Q1, "--ids").stdout
    assert "`tj-2025-02-25-binocular-microscopes` [1]" in internal
    assert "(records: `tac-nexus`, " in internal


def test_a_quarter_with_trainings_lists_them_with_their_source(loaded: Run) -> None:
    text = loaded("report", "--quarter", "2022-Q4").stdout
    assert "# Quarterly progress report: 2022-Q4\n" in text
    trainings = [line for line in text.splitlines() if line.startswith("- 2022-")]
    assert len(trainings) == 2
    assert trainings[0].startswith("- 2022-10-24 – 2022-10-28, Kyrgyzstan: *Countering")
    assert (
        "; ≥16 participants (female —, male —) from State Committee for National Security;"
        in trainings[0]
    )
    assert trainings[1].endswith("Ministry of Internal Affairs; Courts. [2]")
    assert "| Participants | ≥36 | ≥36 | ≥36 |" in text  # the calendar year 2022 to date
    assert "No handovers in this quarter." in text


def test_year_to_date_follows_the_fiscal_year(loaded: Run) -> None:
    calendar = loaded("report", "--quarter", "2025-Q1").stdout
    assert "| Handovers | 3 | 3 | 6 |" in calendar  # January–March 2025
    assert "| | Quarter 2025-Q1<br>2025-01-01 – 2025-03-31 | Year to date 2025<br>" in calendar
    fiscal = loaded("report", *SEED_Q1).stdout
    assert "| Handovers | 3 | 6 | 6 |" in fiscal  # April 2024–March 2025


def test_life_of_project_stops_at_the_end_of_the_quarter(loaded: Run) -> None:
    text = loaded("report", "--quarter", "2024-Q4").stdout
    assert "| Handovers | 3 | 3 | 3 |" in text  # not the 2025 ones
    assert "| Kyrgyzstan | 0 | 0 | 0 | 1 | ≥16 | — | — | ≥16 | 0 |" in text  # no 2025 microscopes


def test_female_male_and_unknown_participants(nexus: Run, tmp_path: Path) -> None:
    records = write(
        tmp_path,
        "r.yaml",
        """
version: 1
projects: [{id: p, title: "A project", implementers: [UNODC], donors: [Canada]}]
trainings:
  - {id: a, project: p, title: A, country: KZ, start: 2025-01-10, end: 2025-01-11,
     participants: 30, female: 12, male: 18, source: "Report A"}
  - {id: b, project: p, title: B, country: KG, start: 2025-02-03, end: 2025-02-03,
     participants: 10, approximate: true, source: "Report B"}
  - {id: c, project: p, title: C, country: KG, start: 2025-03-03, end: 2025-03-04,
     participants: 7, female: 3, source: "Report B"}
""",
    )
    assert nexus("load", str(records)).exit_code == 0
    text = nexus("report", "--quarter", "2025-Q1").stdout
    assert "| Participants | ≥47 | ≥47 | ≥47 |" in text
    # Women are stated by a and c, men by a only: what they state, as lower bounds.
    assert "| – female | ≥15 | ≥15 | ≥15 |" in text
    assert "| – male | ≥18 | ≥18 | ≥18 |" in text
    assert "| Share of women | 40.5% (over 2 of 3 trainings) |" in text  # 15 of 37: b is "over 10"
    assert "| – not reported by sex | ≥14 | ≥14 | ≥14 |" in text  # 10 of b, 4 of c
    assert "| Person-days | ≥84 | ≥84 | ≥84 |" in text  # 30×2 + 10×1 + 7×2
    assert "| Donor | Canada |" in text
    lines = [line for line in text.splitlines() if line.startswith("- 2025-")]
    assert [line.rsplit(" ", 1)[1] for line in lines] == ["[1]", "[2]", "[2]"]
    # A version 1 `source: TEXT` is a source titled TEXT, cited as "Title."
    assert "\n1. Report A.\n2. Report B.\n" in text
    internal = nexus("report", "--quarter", "2025-Q1", "--ids").stdout
    assert "\n1. Report A. (records: `a`)\n2. Report B. (records: `b`, `c`)\n" in internal


def test_default_quarter_is_the_last_complete_one(loaded: Run) -> None:
    expected = last_complete_quarter(dt.date.today()).label()
    text = loaded("report").stdout
    assert text.startswith(f"# Quarterly progress report: {expected}\n")


@pytest.mark.parametrize(
    ("today", "quarter"),
    [
        (dt.date(2025, 1, 1), "2024-Q4"),
        (dt.date(2025, 3, 31), "2024-Q4"),
        (dt.date(2025, 4, 1), "2025-Q1"),
    ],
)
def test_last_complete_quarter(today: dt.date, quarter: str) -> None:
    assert last_complete_quarter(today) == Quarter.parse(quarter)


@pytest.mark.parametrize(
    ("options", "code", "fragment"),
    [
        (["--quarter", "2025-Q5"], 2, "--quarter: '2025-Q5' is not a quarter"),
        (
            ["--fiscal-year-start", "5"],
            2,
            "'--fiscal-year-start': Value error, '5' is not one of '1', '4', '7', '10'",
        ),
        (["--project", "nope"], 1, "--project: no project has the id 'nope'"),
        (["--format", "pdf"], 2, "--format"),
    ],
)
def test_bad_options_name_themselves(
    loaded: Run, store: Store, options: list[str], code: int, fragment: str
) -> None:
    before = store.snapshot()
    result = loaded("report", *options)
    assert result.exit_code == code
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert store.snapshot() == before


def test_an_empty_store_has_no_project_to_report_on(emptied: Run) -> None:
    result = emptied("report", "--quarter", "2025-Q1")
    assert result.exit_code == 1
    assert "error: the store holds no project to report on" in result.stderr
    assert "nexus load" in result.stderr


def test_several_projects_need_project(loaded: Run, tmp_path: Path) -> None:
    other = write(tmp_path, "p.yaml", "version: 1\nprojects: [{id: other, title: Other}]\n")
    assert loaded("load", str(other)).exit_code == 0
    result = loaded("report", "--quarter", "2025-Q1")
    assert result.exit_code == 2
    assert "several projects; choose one with --project" in result.stderr
    assert "other, tac-nexus" in result.stderr
    chosen = loaded("report", "--quarter", "2025-Q1", "--project", "tac-nexus")
    assert "| Handovers | 3 | 3 | 6 |" in chosen.stdout


def test_output_file(loaded: Run, tmp_path: Path) -> None:
    target = tmp_path / "q1.md"
    result = loaded("report", *SEED_Q1, "-o", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert f"wrote {target}" in result.stderr
    assert target.read_text(encoding="utf-8") == loaded("report", *SEED_Q1).stdout


# --- HTML -------------------------------------------------------------------------------


class _Page(HTMLParser):
    """Tag names, the text of each table row, and every URL-bearing attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append(" ")
        self.urls += [v or "" for k, v in attrs if k in ("href", "src", "xlink:href", "action")]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def _html(loaded: Run) -> str:
    result = loaded("report", *SEED_Q1, "--format", "html")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_html_report_carries_the_same_figures(loaded: Run) -> None:
    page = _Page()
    page.feed(_html(loaded))
    rows = page.rows
    assert ["Handovers", "3", "6", "6"] in rows
    assert ["Participants", "0", "0", "≥36"] in rows
    assert ["Person-days", "0", "0", "≥180"] in rows
    assert [
        "Countries reached",
        "3 (TJ, TM, UZ)",
        "4 (KZ, TJ, TM, UZ)",
        "5 (KG, KZ, TJ, TM, UZ)",
    ] in rows
    assert [
        "Period",
        "1 January 2025 – 31 March 2025: calendar 2025-Q1, fiscal FY2024-25 Q4 (fiscal year from April)",
    ] in rows
    assert ["Tajikistan", "0", "0", "1", "0", "0", "0", "0", "0", "2"] in rows
    assert ["Kyrgyzstan", "0", "0", "0", "1", "≥16", "—", "—", "≥16", "0"] in rows
    assert ["– female", "0", "0", "—"] in rows
    assert ["Donor", "Canada"] in rows


def test_html_report_is_one_self_contained_file(loaded: Run) -> None:
    html = _html(loaded)
    page = _Page()
    page.feed(html)
    assert "script" not in page.tags
    assert "link" not in page.tags
    assert "img" not in page.tags
    assert page.tags.count("svg") == 1
    assert "style" in page.tags
    assert all(url.startswith("#source-") for url in page.urls)  # only links within the page
    assert "@import" not in html
    assert "url(" not in html
    assert re.findall(r"https?://[^\"' ]+", html) == ["http://www.w3.org/2000/svg"]  # a namespace
    assert "@page { size: A4" in html
    # Each handover line refers to its source, which has an anchor in the Sources section.
    assert html.count('href="#source-1"') == 3
    assert 'id="source-1"' in html


def test_html_escapes_what_records_say(nexus: Run, tmp_path: Path) -> None:
    records = write(
        tmp_path,
        "r.yaml",
        """
version: 1
projects: [{id: p, title: "<b>Bold</b> & co", implementers: [UNODC]}]
deliveries:
  - {id: d, project: p, date: 2025-02-01, country: KZ, agency: "<script>alert(1)</script>",
     items: [{name: Laptop, quantity: 2}], source: "A | B"}
""",
    )
    assert nexus("load", str(records)).exit_code == 0
    html = nexus("report", "--quarter", "2025-Q1", "--format", "html").stdout
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in html
    markdown = nexus("report", "--quarter", "2025-Q1").stdout
    # An item of version 1 has no category: it is `other`, shown without a label.
    assert "- 2025-02-01, Kazakhstan: Laptop × 2 to \\<script>alert(1)\\</script>." in markdown
    assert "1. A \\| B.\n" in markdown


# --- sources: what a donor can look up ------------------------------------------------------


def _seed_citations(loaded: Run) -> tuple[dict[str, str], dict[str, str]]:
    """(source id -> "Title. Publisher.", record id -> the source id it cites) of the seed."""
    result = loaded("export", "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    cited = {s["id"]: f"{s['title']}. {s['publisher']}." for s in document["sources"]}
    records = document["projects"] + document["trainings"] + document["deliveries"]
    assert all(len(r["sources"]) == 1 for r in records)  # the seed: one document each
    return cited, {r["id"]: r["sources"][0] for r in records}


@pytest.mark.parametrize(
    "options",
    [SEED_Q1, ["--quarter", "2022-Q4"], ["--quarter", "2025-Q2"]],
    ids=["2025-Q1-fiscal", "2022-Q4", "2025-Q2"],
)
def test_the_report_cites_documents_by_title_never_a_file(loaded: Run, options: list[str]) -> None:
    """The Sources section names each document as a donor can find it (title, publisher;
    neither has a date or web address), never as this repository's seeds/003_….txt; each
    activity's [n] points at the document its record cites."""
    cited, source_of = _seed_citations(loaded)
    # With --ids (internal review): each source lists the records citing it.
    markdown = loaded("report", *options, "--ids").stdout
    html = loaded("report", *options, "--format", "html", "--ids").stdout
    for text in (markdown, html, loaded("report", *options).stdout):
        assert "seeds/" not in text
        assert ".txt" not in text
        assert re.search(r"\d{3}_[0-9a-f]{16}", text) is None

    # Markdown: "n. Title. Publisher. (records: ...)", both documents (life of project).
    listed = re.findall(r"^(\d+)\. (.+?) \(records: (.+)\)$", markdown, flags=re.MULTILINE)
    numbered = {n: title for n, title, _ in listed}
    assert sorted(numbered.values()) == sorted(cited.values())
    for n, _, records in listed:
        ids = re.findall(r"`([a-z0-9-]+)`", records)
        assert ids
        assert {cited[source_of[i]] for i in ids} == {numbered[n]}
    activities = re.findall(r"^- .* `([a-z0-9-]+)` \[(\d+)\]$", markdown, flags=re.MULTILINE)
    assert activities  # each of these quarters has a training or a handover
    assert [numbered[n] for _, n in activities] == [cited[source_of[i]] for i, _ in activities]

    # HTML: the same citations, in the list the [n] links point at.
    items = re.findall(r'<li id="source-(\d+)">(.*?) <span class="note">', html)
    assert {n: unescape(title) for n, title in items} == numbered
    links = re.findall(r'<span class="id">([a-z0-9-]+)</span> <a class="ref" '
                       r'href="#source-(\d+)">', html)  # fmt: skip
    assert sorted(links) == sorted(activities)


# --- in a real browser ----------------------------------------------------------------------

CHROMIUM = (
    shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="needs Chromium for a headless render (Debian: apt-get install chromium; .ci/run does)",
)


def _headless(page: Path, *options: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={page.parent / 'profile'}",
         # Any request off the page would fail: the report must need none.
         "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
         *options, page.as_uri()],
        check=False, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _png_pixels(path: Path) -> bytes:
    """The decompressed image data of a PNG (filter bytes included): enough to see ink."""
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    position, compressed = 8, b""
    while position < len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT":
            compressed += data[position + 8 : position + 8 + length]
        position += 12 + length
    return zlib.decompress(compressed)


@needs_chromium
def test_html_renders_in_chromium_to_a4_pdf_and_a_page_with_ink(
    loaded: Run, tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    page.write_text(_html(loaded), encoding="utf-8")

    net_log = tmp_path / "net-log.json"
    dom = _headless(page, "--dump-dom", f"--log-net-log={net_log}")
    assert dom.returncode == 0, dom.stderr
    assert "Quarterly progress report: 2025-Q1 (FY2024-25 Q4)" in dom.stdout
    assert "CONSOLE" not in dom.stderr  # no console message: no script ran, none failed
    # Every network request of the session; Chromium's own calls home aside, none at all.
    requested = set(re.findall(r'"url":"([^"]+)"', net_log.read_text(encoding="utf-8")))
    chromium_own = ("google.com", "gvt1.com", "googleapis.com")
    page_requests = {
        url for url in requested if not (urlsplit(url).hostname or "").endswith(chromium_own)
    }
    assert page_requests == set()

    pdf = tmp_path / "report.pdf"
    printed = _headless(page, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert printed.returncode == 0, printed.stderr
    document = pdf.read_bytes()
    assert document.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", document)
    assert boxes
    for width, height in boxes:  # A4 is 595.3 × 841.9 points
        assert abs(float(width) - 595.3) < 2
        assert abs(float(height) - 841.9) < 2
    assert 1 <= len(boxes) <= 4

    png = tmp_path / "report.png"
    shot = _headless(page, f"--screenshot={png}", "--window-size=900,1400", "--hide-scrollbars")
    assert shot.returncode == 0, shot.stderr
    pixels = _png_pixels(png)
    # A blank page is one colour: its bytes take a handful of values. Text and a chart
    # in colour take many.
    assert len(set(pixels)) > 64
    assert pixels.count(255) < 0.97 * len(pixels)


def test_markdown_tables_are_well_formed(loaded: Run) -> None:
    """Every table has a delimiter row, and every row as many cells as its header (GFM)."""
    text = loaded("report", *SEED_Q1).stdout
    tables: list[list[str]] = []
    previous = ""
    for line in text.splitlines():
        if line.startswith("|"):
            if not previous.startswith("|"):
                assert previous == "", f"a table must follow a blank line: {line}"
                tables.append([])
            tables[-1].append(line)
        elif previous.startswith("|"):
            assert line == "", f"a table must end with a blank line, not: {line}"
        previous = line
    # heading facts, key figures, equipment (quarter, life), by country, by agency, activity
    assert len(tables) == 7
    for table in tables:
        widths = {len(re.split(r"(?<!\\)\|", row)) for row in table}
        assert len(widths) == 1, table
        assert re.fullmatch(r"\|(-{3}:?\|)+", table[1])
