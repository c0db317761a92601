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
  life of the project does (the declared start, or an earlier first record). One period
  per reporting year (calendar, or fiscal with ``--fiscal-year-start``) to today or the
  declared end, and every year of the project with a target; the actual is counted as
  ``summary`` and ``report`` count (``figures.py``): a lower bound is given with a comment
  saying "at least", a figure the records do not state is left out (never 0). The
  life-of-project target is a period to the declared end (the description says it holds
  the yearly ones); without a declared end, it is in the indicator's description.
"""

from __future__ import annotations

import datetime as dt
import decimal
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import iati_codelists as codelists
from .countries import name_of
from .donor import checked_fiscal_start, cited_sources, find_project, first_record_day
from .errors import UsageError, option
from .figures import BY_COUNTRY, Count, Figures, figures
from .iati_refs import IatiIn, iati_of, missing_refs
from .indicators import is_share, measured, reported_value, sex_parts
from .kinds import PROJECT_FIELD
from .models import BY_SEX, IndicatorIn, Measure, indicators_of
from .periods import Quarter, year_label, year_range
from .reports import DELIVERY, PROJECT, TRAINING, Filters

if TYPE_CHECKING:
    from sqlmodel import Session

VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
Number = int | float

# OrganisationRole, ActivityDateType, ResultType and IndicatorMeasure codes used here.
FUNDING, IMPLEMENTING = 1, 4
PLANNED_START, ACTUAL_START, PLANNED_END, ACTUAL_END = 1, 2, 3, 4
OUTPUT, OTHER_RESULT = 1, 9
UNIT, PERCENTAGE = 1, 2
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
}  # fmt: skip
# Said on each recipient country of an even split, in the XML itself.
EVEN_SPLIT = "Share not stated in the record: an even split over the project's countries."
# What each measure counts, in words for the indicator's description.
COUNTED = {
    Measure.TRAININGS: "the trainings held",
    Measure.TRAINING_DAYS: "the days of training",
    Measure.PARTICIPANTS: "the participants of the trainings",
    Measure.FEMALE: "the women among the participants",
    Measure.MALE: "the men among the participants",
    Measure.PERSON_DAYS: "the person-days of training",
    Measure.AGENCIES_TRAINED: "the national agencies whose officials were trained",
    Measure.DELIVERIES: "the equipment handovers",
    Measure.RECIPIENTS: "the agencies that received equipment",
    Measure.ITEMS: "the items of {category} handed over",
    Measure.COUNTRIES: "the countries reached",
}
# Counted distinct within a period: a year's count and the next one's do not add up.
DISTINCT = {Measure.AGENCIES_TRAINED, Measure.RECIPIENTS, Measure.COUNTRIES}


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
    language: str | None
    day: dt.date | None


@dataclass(frozen=True)
class Actual:
    value: Number
    comment: str | None = None
    dimension: tuple[str, str] | None = None  # ("sex", "female"), ("country", "KZ")


@dataclass(frozen=True)
class ResultPeriod:
    start: dt.date
    end: dt.date
    target: Number | None
    actuals: list[Actual]
    comment: str | None = None  # on every actual: "to 2026-11-23"


@dataclass(frozen=True)
class Baseline:
    year: int
    day: dt.date
    value: Number


@dataclass(frozen=True)
class Result:
    indicator_id: str
    type: int
    title: str
    measure: int
    description: str
    baseline: Baseline | None
    periods: list[ResultPeriod]
    ascending: bool | None = None  # more is better; None: the record does not say


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
    query = select(PROJECT).order_by(PROJECT.c.id)
    if project is not None:
        query = query.where(PROJECT.c.id == project)
    projects = [dict(row) for row in session.execute(query).mappings()]
    if not projects:
        find_project(session, project)  # says which projects there are
    incomplete = {str(p["id"]): missing_refs(iati_of(p["iati"])) for p in projects}
    problems = [f"project {pid}: {', '.join(names)} not given"
                for pid, names in incomplete.items() if names]  # fmt: skip
    if problems:
        raise UsageError(
            "an IATI activity needs references the record does not hold: " + "; ".join(problems),
            hint="Add them under the project's iati: in the record file and load it again "
            "(docs/iati.md shows each); nothing is invented for them."
            + ("" if len(projects) == 1 else f" Or export one: {option(PROJECT_FIELD)} ID"),
        )
    by_identifier: dict[str, list[str]] = {}
    for stored in projects:
        by_identifier.setdefault(str(stored["iati"]["identifier"]), []).append(str(stored["id"]))
    shared = {i: ids for i, ids in by_identifier.items() if len(ids) > 1}
    if shared:
        raise UsageError(
            "an IATI activity identifier names one activity, but "
            + "; ".join(f"{', '.join(ids)} share {i}" for i, ids in shared.items()),
            hint="Give each project its own iati.identifier.",
        )
    return IatiDocument(
        generated=generated or dt.datetime.now(dt.timezone.utc).replace(microsecond=0),
        activities=[
            _activity(session, p, fiscal_start=fiscal_start, today=today) for p in projects
        ],
    )


def _activity(
    session: Session, project: Mapping[str, Any], *, fiscal_start: int, today: dt.date
) -> Activity:
    project_id = str(project["id"])
    refs = iati_of(project["iati"])
    assert refs is not None
    assert refs.reporting_org is not None
    assert refs.identifier is not None
    assert refs.status is not None
    first = first_record_day(session, project_id=project_id)
    known = [day for day in (project["start"], first) if day is not None]
    if not known:
        raise UsageError(
            f"project {project_id}: an IATI activity needs a start date, and the project "
            "declares none and has no training or handover yet",
            hint="Give the project's start in the record file.",
        )
    start: dt.date = project["start"] or known[0]  # the declared start, else the first record
    # The results count every record, as the report's life of the project does: from the
    # declared start, or from the first record where that is earlier.
    counted_from = min(known)
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
        results=_results(session, project, counted_from, fiscal_start, today),
        even_split=even,
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
    from sqlalchemy import select

    from .kinds import SOURCES

    linked = [s for s in cited_sources(session, project=project_id, end=dt.date.max) if s.url]
    table = SOURCES.table
    rows = session.execute(
        select(table.c.id, table.c.kind, table.c.language).where(
            table.c.id.in_([s.source_id for s in linked])
        )
    )
    described = {row.id: (row.kind, row.language) for row in rows}
    documents = []
    for source in linked:
        assert source.url is not None
        kind, language = described.get(source.source_id, (None, None))
        # IATI dates a document to the day; a source dated to the month or year is not.
        day = dt.date.fromisoformat(source.date) if source.date and len(source.date) == 10 else None
        documents.append(DocumentLink(
            url=source.url, format=_file_format(source.url), title=source.title,
            category=_document_category(kind), language=_language(language), day=day,
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


# --- results ----------------------------------------------------------------------------


def _years(
    project: Mapping[str, Any],
    indicators: Sequence[IndicatorIn],
    start: dt.date,
    last: dt.date,
    fiscal_start: int,
) -> list[int]:
    """The reporting years of the results: the project's so far, and any with a target,
    which must be a year of the project."""
    first_year = Quarter.of(start).fiscal_year(fiscal_start)
    end = project["end"]
    last_year = Quarter.of(end).fiscal_year(fiscal_start) if end else first_year + 100
    years = set(range(first_year, Quarter.of(last).fiscal_year(fiscal_start) + 1))
    labels = {year_label(y, fiscal_start): y for y in range(first_year, last_year + 1)}
    for indicator in indicators:
        for label in indicator.targets or {}:
            if label in labels:
                years.add(labels[label])
                continue
            where = f"project {project['id']}, indicator {indicator.id}: the target for {label}"
            if label.startswith("FY") == (fiscal_start == 1):
                asked = "calendar years" if fiscal_start == 1 else "fiscal years"
                raise UsageError(
                    f"{where} is for a {'fiscal' if fiscal_start == 1 else 'calendar'} year, "
                    f"and the export is in {asked}",
                    hint=f"Give {option('fiscal-year-start')} with the month the record's "
                    "fiscal years start (4: April)" if fiscal_start == 1 else
                    f"Leave out {option('fiscal-year-start')} for calendar years.",
                )  # fmt: skip
            raise UsageError(
                f"{where} is for a year outside the project ({start} to {end or 'today'})",
                hint="A target is for a year of the project; correct the label or the "
                "project's start or end in the record file.",
            )
    return sorted(years)


def _count_actuals(count: Count, dimension: tuple[str, str] | None = None) -> list[Actual]:
    """A count as IATI actuals: known, or a lower bound with a comment; none if unknown
    (a lower bound of 0 says nothing either)."""
    if count.value is None or (count.lower_bound and count.value == 0):
        return []
    comment = (f"At least {count.value}: some records of the period do not state it."
               if count.lower_bound else None)  # fmt: skip
    return [Actual(count.value, comment, dimension)]


def _measured_actuals(indicator: IndicatorIn, parts: Mapping[Any, Figures]) -> list[Actual]:
    measure = indicator.measure
    assert measure is not None
    total = sum(parts.values(), Figures())
    actuals = _count_actuals(measured(total, measure, indicator.category))
    wanted = indicator.disaggregate or []
    if "sex" in wanted and measure in BY_SEX:
        for name, count in sex_parts(total, measure):
            actuals += _count_actuals(count, ("sex", name))
    if "country" in wanted:
        for code in sorted(parts, key=str):
            count = measured(parts[code], measure, indicator.category)
            actuals += _count_actuals(count, ("country", str(code)))
    return actuals


def _explained(indicator: IndicatorIn, project: Mapping[str, Any], start: dt.date) -> str:
    """The indicator's description: how its values come about, and how periods add up."""
    if indicator.measure is None:
        how = ("Values reported by the project per quarter; a period's actual is the latest "
               "value reported in it." if is_share(indicator) else
               "Values reported by the project per quarter; a period's actual is their sum.")  # fmt: skip
    else:
        counted = COUNTED[indicator.measure].format(category=indicator.category)
        how = (f"Counted from the project's records: {counted}, in each period"
               + ("; distinct within a period, so periods do not add up."
                  if indicator.measure in DISTINCT else "."))  # fmt: skip
    unit = f" {indicator.unit}" if indicator.unit else ""
    if indicator.target is not None and project["end"] is None:
        how += (f" Target over the life of the project: {decimal_text(indicator.target)}{unit} "
                "(the project declares no end date for a period to hold it).")  # fmt: skip
    elif project["end"] is not None:
        how += (f" The period from {start} to {project['end']} is the life of the project: "
                "it holds the yearly periods, so add only those.")  # fmt: skip
    return how


def _results(
    session: Session,
    project: Mapping[str, Any],
    start: dt.date,
    fiscal_start: int,
    today: dt.date,
) -> list[Result]:
    indicators = indicators_of(project["indicators"])
    if not indicators:
        return []
    project_id, end = str(project["id"]), project["end"]
    last = min(today, end) if end else today
    spans = []
    for year in _years(project, indicators, start, last, fiscal_start):
        first_day, last_day = year_range(year, fiscal_start)
        spans.append((year_label(year, fiscal_start), max(first_day, start),
                      min(last_day, end) if end else last_day))  # fmt: skip
    if end is not None:
        spans.append(("", start, end))  # the life of the project
    parts = [figures(session, by=BY_COUNTRY, filters=Filters(start=a, end=b, project=project_id))
             if a <= today else {} for _, a, b in spans]  # fmt: skip
    results = []
    for indicator in indicators:
        periods = []
        for (label, first_day, last_day), found in zip(spans, parts, strict=True):
            target = (indicator.targets or {}).get(label) if label else indicator.target
            begun = first_day <= today
            if indicator.measure is not None:
                actuals = _measured_actuals(indicator, found) if begun else []
            else:
                value = reported_value(indicator, first_day, last_day)
                actuals = [Actual(value)] if value is not None else []
            if target is None and not actuals:
                continue  # nothing known of the period
            running = (
                f"To {today}: the period has not ended." if begun and last_day > today else None
            )
            periods.append(ResultPeriod(first_day, last_day, target, actuals, running))
        baseline = (Baseline(start.year, start, indicator.baseline)
                    if indicator.baseline is not None else None)  # fmt: skip
        results.append(Result(
            indicator_id=indicator.id,
            type=OTHER_RESULT if indicator.measure is None else OUTPUT,
            title=indicator.title,
            measure=PERCENTAGE if is_share(indicator) else UNIT,
            description=_explained(indicator, project, start),
            ascending=True if indicator.measure is not None else None,
            baseline=baseline,
            periods=periods,
        ))  # fmt: skip
    return results


def decimal_text(value: Number) -> str:
    """A number as IATI's decimals: 200, 72.5, 0.0000001; never 200.0, 7.25e+01, or the
    0.30000000000000004 of adding 0.1 and 0.2 (15 significant digits are kept)."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return format(decimal.Decimal(f"{value:.15g}"), "f")
