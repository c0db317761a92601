"""The XML of ``nexus export --format iati``: an ``iati-activities`` document from the
activities ``iati.py`` gathers, in the element order of the IATI 2.03 activity schema."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .formatting import decimal_text
from .iati import EVEN_SPLIT, VERSION, XML_LANG, IatiDocument, Organisation
from .iati_results import Result


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
    indicator = ET.SubElement(element, "indicator", measure=str(result.measure))
    if result.ascending is not None:
        indicator.set("ascending", "1" if result.ascending else "0")
    _narrative(indicator, "title", result.title)
    _narrative(indicator, "description", result.description)
    if result.baseline is not None:
        ET.SubElement(indicator, "baseline", {"year": str(result.baseline.year),
                      "iso-date": result.baseline.day.isoformat(),
                      "value": decimal_text(result.baseline.value)})  # fmt: skip
    for period in result.periods:
        held = ET.SubElement(indicator, "period")
        ET.SubElement(held, "period-start", {"iso-date": period.start.isoformat()})
        ET.SubElement(held, "period-end", {"iso-date": period.end.isoformat()})
        if period.target is not None:
            ET.SubElement(held, "target", value=decimal_text(period.target))
        for actual in period.actuals:
            given = ET.SubElement(held, "actual", value=decimal_text(actual.value))
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
                shared["percentage"] = decimal_text(country.percentage)
            shared_out = ET.SubElement(element, "recipient-country", shared)
            if activity.even_split:
                ET.SubElement(shared_out, "narrative").text = EVEN_SPLIT
        for sector in activity.sectors:
            classed = {"vocabulary": str(sector.vocabulary), "code": str(sector.code)}
            if sector.percentage is not None:
                classed["percentage"] = decimal_text(sector.percentage)
            ET.SubElement(element, "sector", classed)
        for document_link in activity.documents:
            linked = ET.SubElement(element, "document-link",
                                   url=document_link.url, format=document_link.format)  # fmt: skip
            title = _narrative(linked, "title", document_link.title)
            if document_link.title_language:
                title[0].set(XML_LANG, document_link.title_language)
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
