"""``nexus export --format iati``: each project as an IATI 2.03 activity.

``iati_activities`` gathers, as plain data, what the IATI Standard asks of an activity and
the record can support; ``iati_xml`` writes it as an ``iati-activities`` document, in the
order of the 2.03 activity schema. docs/iati.md says what goes where and what is left out.

Decisions (also in docs/iati.md):
- References the record does not hold come from the project's ``iati:`` mapping
  (``iati_refs.py``); a missing one is an error naming it, never invented.
- Participating organisations: the mapping's ``funding_orgs`` (role 1) and
  ``implementing_orgs`` (role 4), with their identifiers; where the mapping gives none for
  a role, the record's ``donors`` or ``implementers`` by name only.
- Activity dates: the declared ``start`` (actual if it has passed, else planned), or the
  first training or handover (actual, with a note saying so); the declared ``end``
  (actual once passed and the status says the project is completed, else planned).
- Recipient countries: the countries of the project's trainings and handovers. Several of
  them need percentages that add up to 100 (IATI's rule): ``iati.recipient_countries``
  gives them; without it the split is even (to 0.01, the rest on the first), and the
  export says so.
- Results: one result per indicator. Counted indicators are outputs (type 1); reported ones
  "other" (9), the record not saying which level they are. The baseline is dated at the
  project's start. One period per reporting year (calendar, or fiscal with
  ``--fiscal-year-start``) from the project's start to today and every year with a
  target; the actual is counted as ``summary`` and ``report`` count (``figures.py``): a
  lower bound is given with a comment saying "at least", a figure the records do not
  state is left out (never 0). The life-of-project target is a period from the declared
  start to the declared end; without a declared end, it is in the indicator's description.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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
COMPLETED = {3, 4}  # ActivityStatus: completion, post-completion
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
    start: dt.date | None = project["start"] or first
    if start is None:
        raise UsageError(
            f"project {project_id}: an IATI activity needs a start date, and the project "
            "declares none and has no training or handover yet",
            hint="Give the project's start in the record file.",
        )
    countries, even = _countries(session, project_id, refs)
    reporting = refs.reporting_org
    return Activity(
        project_id=project_id,
        identifier=refs.identifier,
        reporting_org=Organisation(reporting.name, reporting.ref, reporting.type),
        title=str(project["title"]),
        description=_description(project),
        participating=_participating(project, refs),
        status=refs.status,
        dates=_dates(project, start, refs, today),
        countries=countries,
        sectors=[Sector(s.vocabulary, s.code, s.percentage) for s in refs.sectors],
        documents=_documents(session, project_id),
        results=_results(session, project, start, fiscal_start, today),
        even_split=even,
    )


def _description(project: Mapping[str, Any]) -> str:
    if project["notes"]:
        return str(project["notes"])
    parts = [str(project["title"]).rstrip(".") + "."]
    if project["implementers"]:
        parts.append(f"Implemented by {', '.join(project['implementers'])}.")
    if project["donors"]:
        parts.append(f"Funded by {', '.join(project['donors'])}.")
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
    if project["start"] is None:
        note = "The first training or handover in the record; the project declares no start."
        dates = [ActivityDate(ACTUAL_START, start, note)]
    else:
        dates = [ActivityDate(ACTUAL_START if start <= today else PLANNED_START, start)]
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
    if len(reached) <= 1:
        return [CountryShare(code, None) for code in reached], False
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
        guessed, _ = mimetypes.guess_type(source.url.split("?")[0].split("#")[0])
        # IATI dates a document to the day; a source dated to the month or year is not.
        day = dt.date.fromisoformat(source.date) if source.date and len(source.date) == 10 else None
        documents.append(DocumentLink(
            url=source.url, format=guessed or "text/html", title=source.title,
            category=_document_category(kind), language=(language or "").split("-")[0] or None,
            day=day,
        ))  # fmt: skip
    return documents


# --- results ----------------------------------------------------------------------------


def _years(
    indicators: Sequence[IndicatorIn], start: dt.date, last: dt.date, fiscal_start: int
) -> list[int]:
    """The reporting years of the results: the project's so far, and any with a target."""
    first_year = Quarter.of(start).fiscal_year(fiscal_start)
    years = set(range(first_year, Quarter.of(last).fiscal_year(fiscal_start) + 1))
    labels = {year_label(y, fiscal_start): y for y in range(first_year, first_year + 60)}
    for indicator in indicators:
        for label in indicator.targets or {}:
            if label not in labels:
                fiscal = label.startswith("FY")
                raise UsageError(
                    f"indicator {indicator.id}: the target for {label} is not a "
                    f"{'fiscal' if fiscal_start != 1 else 'calendar'} year of the project",
                    hint=f"Give {option('fiscal-year-start')} MONTH to match the record's "
                    "fiscal years"
                    if fiscal and fiscal_start == 1
                    else "A fiscal year's target is labelled FY2025-26; a calendar year's 2025.",
                )
            years.add(labels[label])
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


def _explained(indicator: IndicatorIn, project: Mapping[str, Any]) -> str:
    if indicator.measure is None:
        how = ("Values reported by the project per quarter; a period's actual is the latest "
               "value reported in it." if is_share(indicator) else
               "Values reported by the project per quarter; a period's actual is their sum.")  # fmt: skip
    else:
        distinct = indicator.measure in {Measure.AGENCIES_TRAINED, Measure.RECIPIENTS,
                                         Measure.COUNTRIES}  # fmt: skip
        counted = indicator.measure.value + (
            f" of {indicator.category}" if indicator.category else ""
        )
        how = (f"Counted from the project's records ({counted}); a period's "
               "actual counts its records" + (": distinct in each period, so periods do not "
               "add up." if distinct else "."))  # fmt: skip
    if indicator.target is not None and project["end"] is None:
        unit = f" {indicator.unit}" if indicator.unit else ""
        how += (f" Target over the life of the project: {_number(indicator.target)}{unit} "
                "(the project declares no end date for a period to hold it).")  # fmt: skip
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
    for year in _years(indicators, start, last, fiscal_start):
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
            description=_explained(indicator, project),
            baseline=baseline,
            periods=periods,
        ))  # fmt: skip
    return results


# --- the XML ----------------------------------------------------------------------------


def _number(value: Number) -> str:
    """A number as IATI's decimals: 200, 72.5, never 200.0 or 7.25e+01."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _narrative(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    ET.SubElement(element, "narrative").text = text
    return element


def _organisation(parent: ET.Element, tag: str, org: Organisation) -> None:
    attributes = {"ref": org.ref, "type": None if org.type is None else str(org.type),
                  "role": None if org.role is None else str(org.role)}  # fmt: skip
    element = ET.SubElement(parent, tag, {k: v for k, v in attributes.items() if v is not None})
    ET.SubElement(element, "narrative").text = org.name


def _result(parent: ET.Element, result: Result) -> None:
    element = ET.SubElement(parent, "result", type=str(result.type))
    _narrative(element, "title", result.title)
    indicator = ET.SubElement(element, "indicator", measure=str(result.measure), ascending="1")
    _narrative(indicator, "title", result.title)
    _narrative(indicator, "description", result.description)
    if result.baseline is not None:
        ET.SubElement(indicator, "baseline", {"year": str(result.baseline.year),
                      "iso-date": result.baseline.day.isoformat(),
                      "value": _number(result.baseline.value)})  # fmt: skip
    for period in result.periods:
        held = ET.SubElement(indicator, "period")
        ET.SubElement(held, "period-start", {"iso-date": period.start.isoformat()})
        ET.SubElement(held, "period-end", {"iso-date": period.end.isoformat()})
        if period.target is not None:
            ET.SubElement(held, "target", value=_number(period.target))
        for actual in period.actuals:
            given = ET.SubElement(held, "actual", value=_number(actual.value))
            if actual.dimension is not None:
                name, value = actual.dimension
                ET.SubElement(given, "dimension", name=name, value=value)
            comments = [c for c in (actual.comment, period.comment) if c]
            if comments:
                _narrative(given, "comment", " ".join(comments))


def iati_xml(document: IatiDocument) -> str:
    """The ``iati-activities`` XML of ``document``, UTF-8, indented."""
    root = ET.Element("iati-activities", {
        "version": VERSION, "generated-datetime": document.generated.isoformat()})  # fmt: skip
    for activity in document.activities:
        element = ET.SubElement(root, "iati-activity", {XML_LANG: "en"})
        ET.SubElement(element, "iati-identifier").text = activity.identifier
        _organisation(element, "reporting-org", activity.reporting_org)
        _narrative(element, "title", activity.title)
        _narrative(element, "description", activity.description).set("type", "1")
        for org in activity.participating:
            _organisation(element, "participating-org", org)
        ET.SubElement(element, "activity-status", code=str(activity.status))
        for date in activity.dates:
            dated = ET.SubElement(element, "activity-date",
                                  {"type": str(date.type), "iso-date": date.day.isoformat()})  # fmt: skip
            if date.note:
                ET.SubElement(dated, "narrative").text = date.note
        for country in activity.countries:
            shared = {"code": country.code}
            if country.percentage is not None:
                shared["percentage"] = _number(country.percentage)
            ET.SubElement(element, "recipient-country", shared)
        for sector in activity.sectors:
            classed = {"vocabulary": str(sector.vocabulary), "code": str(sector.code)}
            if sector.percentage is not None:
                classed["percentage"] = _number(sector.percentage)
            ET.SubElement(element, "sector", classed)
        for document_link in activity.documents:
            linked = ET.SubElement(element, "document-link",
                                   url=document_link.url, format=document_link.format)  # fmt: skip
            _narrative(linked, "title", document_link.title)
            ET.SubElement(linked, "category", code=document_link.category)
            if document_link.language:
                ET.SubElement(linked, "language", code=document_link.language)
            if document_link.day:
                ET.SubElement(linked, "document-date", {"iso-date": document_link.day.isoformat()})
        for result in activity.results:
            _result(element, result)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
