"""The XML of ``nexus export --format iati``: an ``iati-activities`` document from the
activities ``iati.py`` gathers, in the element order of the IATI 2.03 activity schema."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping

from .formatting import decimal_text
from .iati import EVEN_SPLIT, VERSION, XML_LANG, IatiDocument, Organisation
from .iati_results import Result


def _element(
    parent: ET.Element,
    tag: str,
    attributes: Mapping[str, object] | None = None,
    narrative: str | None = None,
) -> ET.Element:
    """A child element with those of ``attributes`` that have a value (numbers as IATI's
    decimals), and a ``narrative`` where one is given."""
    written = {
        name: decimal_text(value) if isinstance(value, int | float) else str(value)
        for name, value in (attributes or {}).items()
        if value is not None
    }
    element = ET.SubElement(parent, tag, written)
    if narrative is not None:
        ET.SubElement(element, "narrative").text = narrative
    return element


def _narrative(parent: ET.Element, tag: str, text: str) -> ET.Element:
    """A child element holding only a narrative: a title, a description, a comment."""
    return _element(parent, tag, narrative=text)


def _organisation(parent: ET.Element, tag: str, org: Organisation) -> None:
    _element(parent, tag, {"ref": org.ref, "type": org.type, "role": org.role}, org.name)


def _result(parent: ET.Element, result: Result) -> None:
    element = _element(parent, "result", {"type": result.type})
    _narrative(element, "title", result.title)
    ascending = None if result.ascending is None else int(result.ascending)
    indicator = _element(element, "indicator", {"measure": result.measure, "ascending": ascending})
    _narrative(indicator, "title", result.title)
    _narrative(indicator, "description", result.description)
    if result.baseline is not None:
        baseline = result.baseline
        _element(indicator, "baseline",
                 {"year": baseline.year, "iso-date": baseline.day, "value": baseline.value})  # fmt: skip
    for period in result.periods:
        held = ET.SubElement(indicator, "period")
        _element(held, "period-start", {"iso-date": period.start})
        _element(held, "period-end", {"iso-date": period.end})
        if period.target is not None:
            _element(held, "target", {"value": period.target})
        for actual in period.actuals:
            given = _element(held, "actual", {"value": actual.value})
            if actual.dimension is not None:
                name, value = actual.dimension
                _element(given, "dimension", {"name": name, "value": value})
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
        _element(element, "description", {"type": 1}, activity.description)
        for org in activity.participating:
            _organisation(element, "participating-org", org)
        _element(element, "activity-status", {"code": activity.status})
        for date in activity.dates:
            _element(element, "activity-date", {"type": date.type, "iso-date": date.day},
                     date.note)  # fmt: skip
        for country in activity.countries:
            _element(element, "recipient-country",
                     {"code": country.code, "percentage": country.percentage},
                     EVEN_SPLIT if activity.even_split else None)  # fmt: skip
        for sector in activity.sectors:
            _element(element, "sector", {"vocabulary": sector.vocabulary, "code": sector.code,
                                         "percentage": sector.percentage})  # fmt: skip
        for link in activity.documents:
            linked = _element(element, "document-link", {"url": link.url, "format": link.format})
            title = _narrative(linked, "title", link.title)
            if link.title_language:
                title[0].set(XML_LANG, link.title_language)
            _element(linked, "category", {"code": link.category})
            if link.language:
                _element(linked, "language", {"code": link.language})
            if link.day:
                _element(linked, "document-date", {"iso-date": link.day})
        for result in activity.results:
            _result(element, result)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
