"""``nexus export --format iati``: each project as an IATI 2.03 activity.

``iati_activities`` gathers, as plain data, what the IATI Standard asks of an activity and
the record can support; ``iati_xml.py`` writes it as an ``iati-activities`` document, in
the order of the 2.03 activity schema. docs/iati.md says what goes where and what is
left out.

Decisions (also in docs/iati.md):
- References the record does not hold come from the project's ``iati:`` mapping
  (``iati_refs.py``); a missing one is an error naming it, never invented.
- Participating organisations: the mapping's ``funding_orgs`` (role 1) and
  ``implementing_orgs`` (role 4), with their identifiers; where the mapping gives none for
  a role, the record's ``donors`` or ``implementers`` by name only. The description is
  ``iati.description``, or the title and those names; never the project's notes.
- Activity dates: the declared ``start``, or the first training or handover (with a note
  saying so): actual once passed and not in the pipeline, else planned; the declared
  ``end``: actual once passed and the status says the project is completed, else planned.
- Recipient countries: the countries of the project's trainings and handovers. Several of
  them need percentages that add up to 100 (IATI's rule): ``iati.recipient_countries``
  gives them; without it the split is even (to 0.01, the rest on the first), and the
  export says so, in the XML too.
- Results: one result per indicator. Counted indicators are outputs (type 1); reported ones
  "other" (9), the record not saying which level they are. They start where the report's
  life of the project does (the declared start, or an earlier record or reported
  quarter); a record or value after the declared end is refused, not dropped. One period
  per reporting year (calendar, or fiscal with ``--fiscal-year-start``) to today or the
  declared end, and every year of the project with a target; the actual is counted as
  ``summary`` and ``report`` count (``figures.py``): a lower bound is given with a comment
  saying "at least", a figure the records do not state is left out (never 0). The
  life-of-project target is a period to the declared end (the description says it holds
  the yearly ones); without a declared end, it is in the indicator's description.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import iati_codelists as codelists
from .countries import name_of
from .donor import checked_fiscal_start, cited_sources, find_project, record_span
from .errors import UsageError, option
from .iati_refs import IatiIn, iati_of, missing_refs
from .iati_results import Result, iati_results
from .kinds import PROJECT_FIELD
from .models import IndicatorIn, indicators_of
from .periods import Quarter
from .reports import DELIVERY, PROJECT, TRAINING

if TYPE_CHECKING:
    from sqlmodel import Session

VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
Number = int | float

# OrganisationRole and ActivityDateType codes used here.
FUNDING, IMPLEMENTING = 1, 4
PLANNED_START, ACTUAL_START, PLANNED_END, ACTUAL_END = 1, 2, 3, 4
PIPELINE, COMPLETED = 1, {3, 4}  # ActivityStatus: pipeline; completion, post-completion
# DocumentCategory by the kind of source (a source's ``kind`` is free text): the first
# word found in it decides; anything else is linked as a web page about the activity.
DOCUMENT_CATEGORIES = (
    ("evaluation", "A07"),  # Review of project performance and evaluation
    ("progress", "A07"),
    ("result", "A08"),  # Results, outcomes and outputs
    ("project document", "A02"),  # Objectives / Purpose of activity
    ("memorandum", "A09"),  # Memorandum of understanding
)
WEB_PAGE = "A12"  # Activity web page
# IATI FileFormat (IANA media types) by file extension: the ones a source is likely to be;
# tests/test_iati.py checks each is in the codelist. A page without an extension is HTML.
FILE_FORMATS = {
    "pdf": "application/pdf", "htm": "text/html", "html": "text/html", "txt": "text/plain",
    "csv": "text/csv", "xml": "application/xml", "json": "application/json",
    "doc": "application/msword", "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint", "zip": "application/zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
    # pages a web server makes
    "php": "text/html", "asp": "text/html", "aspx": "text/html", "jsp": "text/html",
    "shtml": "text/html", "cfm": "text/html",
}  # fmt: skip
# Said on each recipient country of an even split, in the XML itself.
EVEN_SPLIT = "Share not stated in the record: an even split over the project's countries."


@dataclass(frozen=True)
class Organisation:
    name: str
    ref: str | None = None
    type: int | str | None = None
    role: int | None = None  # None for the reporting organisation


@dataclass(frozen=True)
class ActivityDate:
    type: int
    day: dt.date
    note: str | None = None


@dataclass(frozen=True)
class CountryShare:
    code: str
    percentage: Number | None


@dataclass(frozen=True)
class Sector:
    vocabulary: int | str
    code: int | str
    percentage: Number | None


@dataclass(frozen=True)
class DocumentLink:
    url: str
    format: str
    title: str
    category: str
    language: str | None  # in IATI's Language codelist
    day: dt.date | None
    title_language: str | None = None  # the source's language tag, where not English


@dataclass(frozen=True)
class Activity:
    project_id: str
    identifier: str
    reporting_org: Organisation
    title: str
    description: str
    participating: list[Organisation]
    status: int | str
    dates: list[ActivityDate]
    countries: list[CountryShare]
    sectors: list[Sector]
    documents: list[DocumentLink]
    results: list[Result]
    even_split: bool = False  # the countries' percentages are an even split (not given)


@dataclass(frozen=True)
class IatiDocument:
    """``iati-activities``: one activity per project."""

    generated: dt.datetime
    activities: list[Activity] = field(default_factory=list)


def iati_activities(
    session: Session,
    *,
    project: str | None = None,
    fiscal_start: int = 1,
    today: dt.date | None = None,
    generated: dt.datetime | None = None,
) -> IatiDocument:
    """The IATI activity of ``project``, or of every project in the store."""
    from sqlalchemy import select

    checked_fiscal_start(fiscal_start)
    today = today or dt.date.today()
    # Every project of the store: an identifier names one activity among all of them, not
    # only among those exported now (one project at a time must not publish two under one).
    stored = [
        dict(row) for row in session.execute(select(PROJECT).order_by(PROJECT.c.id)).mappings()
    ]
    projects = [p for p in stored if project is None or p["id"] == project]
    if not projects:
        find_project(session, project)  # says which projects there are
    refs = {str(p["id"]): iati_of(p["iati"]) for p in projects}
    problems = [f"project {pid}: {', '.join(names)} not given"
                for pid, given in refs.items() if (names := missing_refs(given))]  # fmt: skip
    if problems:
        raise UsageError(
            "an IATI activity needs references the record does not hold: " + "; ".join(problems),
            hint="Add them under the project's iati: in the record file and load it again "
            "(docs/iati.md shows each); nothing is invented for them."
            + ("" if len(projects) == 1 else f" Or export one: {option(PROJECT_FIELD)} ID"),
        )
    by_identifier: dict[str, list[str]] = {}
    for other in stored:
        if other["iati"] and other["iati"].get("identifier"):
            by_identifier.setdefault(str(other["iati"]["identifier"]), []).append(str(other["id"]))
    exported = {str(given.identifier) for given in refs.values() if given}
    shared = {i: ids for i, ids in by_identifier.items() if len(ids) > 1 and i in exported}
    if shared:
        raise UsageError(
            "an IATI activity identifier names one activity, but "
            + "; ".join(f"{', '.join(ids)} share {i}" for i, ids in shared.items()),
            hint="Give each project its own iati.identifier.",
        )
    return IatiDocument(
        generated=generated or dt.datetime.now(dt.timezone.utc).replace(microsecond=0),
        activities=[
            _activity(session, p, refs[str(p["id"])], fiscal_start=fiscal_start, today=today)
            for p in projects
        ],
    )


def _activity(
    session: Session,
    project: Mapping[str, Any],
    refs: IatiIn | None,
    *,
    fiscal_start: int,
    today: dt.date,
) -> Activity:
    project_id = str(project["id"])
    assert refs is not None  # missing_refs said so, and of each reference below
    assert refs.reporting_org is not None
    assert refs.identifier is not None
    assert refs.status is not None
    first, last = record_span(session, project_id=project_id)
    indicators = indicators_of(project["indicators"])
    quarters = sorted(Quarter.parse(label) for i in indicators for label in i.reported or {})
    _nothing_after_the_end(project, last, indicators, quarters)
    known = [day for day in (project["start"], first) if day is not None]
    if not known:
        raise UsageError(
            f"project {project_id}: an IATI activity needs a start date, and the project "
            "declares none and has no training or handover yet",
            hint="Give the project's start in the record file.",
        )
    start: dt.date = project["start"] or known[0]  # the declared start, else the first record
    # The results count every record and every value reported, as the report's life of the
    # project does: from the declared start, or the first of them where that is earlier.
    counted_from = min(known + [q.start for q in quarters[:1]])
    countries, even = _countries(session, project_id, refs)
    participating = _participating(project, refs)
    reporting = refs.reporting_org
    return Activity(
        project_id=project_id,
        identifier=refs.identifier,
        reporting_org=Organisation(reporting.name, reporting.ref, reporting.type),
        title=str(project["title"]),
        description=_description(project, refs),
        participating=participating,
        status=refs.status,
        dates=_dates(project, start, refs, today),
        countries=countries,
        sectors=[Sector(s.vocabulary, s.code, s.percentage) for s in refs.sectors],
        documents=_documents(session, project_id),
        results=iati_results(session, project, indicators, counted_from, fiscal_start, today),
        even_split=even,
    )


def _nothing_after_the_end(
    project: Mapping[str, Any],
    last: dt.date | None,
    indicators: Sequence[IndicatorIn],
    quarters: Sequence[Quarter],
) -> None:
    """Refuse a record or a reported value after the declared end: no period of the
    project holds it, and leaving it out would make the results smaller than the report's."""
    end = project["end"]
    if end is None:
        return
    where = f"project {project['id']}"
    hint = "Correct the project's end, or the record, in the record file."
    if last is not None and last > end:
        raise UsageError(
            f"{where} has a training or handover on {last}, after its declared end ({end})",
            hint=hint,
        )
    late = [q for q in quarters if q.start > end]
    if late:
        named = next(i.id for i in indicators if late[-1].label() in (i.reported or {}))
        raise UsageError(
            f"{where}, indicator {named}: a value is reported for {late[-1].label()}, after "
            f"the project's declared end ({end})",
            hint=hint,
        )


def _description(project: Mapping[str, Any], refs: IatiIn) -> str:
    """``iati.description``, or the title and who implements and funds the project. Never
    the project's notes: they are the record keeper's (where a fact comes from)."""
    if refs.description:
        return refs.description
    parts = [str(project["title"]).rstrip(".") + "."]
    implementers = [o.name for o in refs.implementing_orgs] or project["implementers"]
    donors = [o.name for o in refs.funding_orgs] or project["donors"]
    if implementers:
        parts.append(f"Implemented by {', '.join(implementers)}.")
    if donors:
        parts.append(f"Funded by {', '.join(donors)}.")
    return " ".join(parts)


def _participating(project: Mapping[str, Any], refs: IatiIn) -> list[Organisation]:
    """The mapping's organisations of each role, or the record's names where it has none."""
    found = []
    for role, given, named in ((FUNDING, refs.funding_orgs, project["donors"]),
                               (IMPLEMENTING, refs.implementing_orgs, project["implementers"])):  # fmt: skip
        if given:
            found += [Organisation(o.name, o.ref, o.type, role) for o in given]
        else:
            found += [Organisation(str(name), role=role) for name in named or ()]
    if not found:
        raise UsageError(
            f"project {project['id']}: an IATI activity names at least one participating "
            "organisation; give iati.funding_orgs or iati.implementing_orgs (or the "
            "project's donors or implementers)"
        )
    return found


def _dates(
    project: Mapping[str, Any], start: dt.date, refs: IatiIn, today: dt.date
) -> list[ActivityDate]:
    # An actual start has passed, and a project in the pipeline (status 1) has not started.
    started = start <= today and int(refs.status or 0) != PIPELINE
    kind = ACTUAL_START if started else PLANNED_START
    if project["start"] is None:
        note = "The first training or handover in the record; the project declares no start."
        dates = [ActivityDate(kind, start, note)]
    else:
        dates = [ActivityDate(kind, start)]
    end = project["end"]
    if end is not None:
        ended = end <= today and int(refs.status or 0) in COMPLETED
        dates.append(ActivityDate(ACTUAL_END if ended else PLANNED_END, end))
    return dates


def _countries(session: Session, project_id: str, refs: IatiIn) -> tuple[list[CountryShare], bool]:
    """The recipient countries and their shares, and whether the shares are an even split."""
    from sqlalchemy import select, union

    t, d = TRAINING.c, DELIVERY.c
    reached = sorted(session.scalars(union(
        select(t.country).where(t.project_id == project_id),
        select(d.country).where(d.project_id == project_id),
    )))  # fmt: skip
    given = refs.recipient_countries
    if given is not None:
        left_out = [code for code in reached if code not in given]
        if left_out:
            raise UsageError(
                f"project {project_id}: iati.recipient_countries gives no share for "
                + ", ".join(f"{name_of(c)} ({c})" for c in left_out)
                + ", where the project has trainings or handovers",
                hint="Give every country of the project a percentage; they add up to 100.",
            )
        return [CountryShare(code, share) for code, share in given.items()], False
    if not reached:
        raise UsageError(
            f"project {project_id}: an IATI activity names its recipient countries, and the "
            "project has no training or handover to show where it works",
            hint="Give them with their shares as iati.recipient_countries (e.g. {KZ: 100}).",
        )
    if len(reached) == 1:
        return [CountryShare(reached[0], None)], False
    hundredths = [10000 // len(reached)] * len(reached)
    hundredths[0] += 10000 - sum(hundredths)
    return [CountryShare(c, h / 100) for c, h in zip(reached, hundredths, strict=True)], True


def _document_category(kind: str | None) -> str:
    text = (kind or "").casefold()
    return next((code for word, code in DOCUMENT_CATEGORIES if word in text), WEB_PAGE)


def _documents(session: Session, project_id: str) -> list[DocumentLink]:
    """A link to each source the project or its records cite that has a web address."""
    documents = []
    for source in cited_sources(session, project=project_id, end=dt.date.max):
        if not source.url:
            continue
        # IATI dates a document to the day; a source dated to the month or year is not.
        day = dt.date.fromisoformat(source.date) if source.date and len(source.date) == 10 else None
        language = source.language
        documents.append(DocumentLink(
            url=source.url, format=_file_format(source.url), title=source.title,
            category=_document_category(source.kind), language=_language(language), day=day,
            title_language=None if (language or "en").split("-")[0] == "en" else language,
        ))  # fmt: skip
    return documents


def _file_format(url: str) -> str:
    """The IATI FileFormat (a media type) of what ``url`` points to, from its extension: a
    web page where it has none, and "application/octet-stream" where it is not known."""
    path = urllib.parse.urlsplit(url).path
    name = path.rsplit("/", 1)[-1]
    if "." not in name:
        return "text/html"
    return FILE_FORMATS.get(name.rsplit(".", 1)[-1].casefold(), "application/octet-stream")


def _language(tag: str | None) -> str | None:
    """A source's language (BCP 47: ``ru``, ``uz-Latn``) as IATI's Language codelist has
    it (ISO 639-1), or None where the codelist has no such language."""
    primary = (tag or "").split("-")[0].casefold()
    return primary if primary in codelists.LANGUAGE else None
