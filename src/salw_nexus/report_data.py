"""The donor report as data: one documented shape for ``report --format json`` and the
workbook (``--format xlsx``), holding the same figures the document prints.

Every count is an object ``{"value": 16, "lower_bound": true, "reported": true}``:
``value`` is ``null`` and ``reported`` false where no record states it (never 0), and
``lower_bound`` is true where a source gives an approximate count or none. The shape is
described in docs/report-json.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .kinds import TRAININGS

if TYPE_CHECKING:
    from .donor import DonorReport
    from .equipment import CategoryTotal
    from .figures import Count, Figures

LEFT_OUT = ("created_at", "updated_at")  # when a record was stored says nothing to a donor


def count(figure: Count) -> dict[str, Any]:
    return {"value": figure.value, "lower_bound": figure.lower_bound,
            "reported": figure.reported}  # fmt: skip


def category(total: CategoryTotal) -> dict[str, Any]:
    from .figures import item_quantity

    """A category's figures: the quantity is not reported where no line states one."""
    return {
        "category": total.category,
        "label": total.label,
        "handovers": total.handovers,
        "recipients": total.recipients,
        "quantity": count(item_quantity(total)),
        "handovers_without_quantity": total.unstated,
        "values": [
            {"currency": currency, "value": value}
            for currency, value in sorted(total.values.items())
        ],
    }


def figures(found: Figures) -> dict[str, Any]:
    t = found.tally
    share = t.women_share
    return {
        TRAININGS.plural: t.trainings,
        "training_days": t.training_days,
        "participants": count(t.participants_count),
        "female": count(t.female_count),
        "male": count(t.male_count),
        "not_reported_by_sex": count(t.not_reported_count),
        "women_share": {
            "percent": share.percent,
            "over_trainings": share.over,
            "of_trainings": share.of,
        },
        "person_days": count(t.person_days_count),
        "agencies_trained": found.agencies_trained,
        "handovers": found.deliveries,
        "recipients": found.recipients,
        "countries": list(found.countries),
        "equipment": [category(total) for total in found.equipment],
    }


def plain(value: Any) -> Any:
    """Rows (named tuples, dataclasses) as JSON-ready dicts and lists, dates kept."""
    import dataclasses

    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items() if k not in LEFT_OUT}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _spans_of(parts: Iterable[tuple[str, Figures]]) -> dict[str, Any]:
    return {name: figures(found) for name, found in parts}


def report_data(report: DonorReport) -> dict[str, Any]:
    """The report as one JSON-ready object (see the module's docstring)."""
    return {
        "project": {
            "id": report.project_id,
            "title": report.project_title,
            "implementers": report.implementers,
            "donors": report.donors,
            "frameworks": report.frameworks,
        },
        "quarter": report.quarter,
        "fiscal_quarter": report.fiscal_quarter,
        "fiscal_year_start": report.fiscal_start,
        "start": report.start,
        "end": report.end,
        "generated": report.generated,
        "spans": [
            {
                "name": span.name,
                "label": span.label,
                "start": span.start,
                "end": span.end,
                "figures": figures(span.figures),
            }
            for span in report.spans
        ],
        "results": plain(report.results),
        "countries": [
            {
                "country": c.country,
                "country_name": c.country_name,
                **_spans_of([("quarter", c.quarter), ("life_of_project", c.life)]),
            }
            for c in report.countries
        ],
        "agencies": [
            {
                "agency_id": a.agency_id,
                "name": a.name,
                "country": a.country,
                **_spans_of([("quarter", a.quarter), ("life_of_project", a.life)]),
            }
            for a in report.agencies
        ],
        TRAININGS.plural: plain(report.trainings),
        "handovers": plain(report.handovers),
        "chart": plain(report.chart),
        "sources": [
            {
                "number": s.number,
                "id": s.source_id,
                "title": s.title,
                "publisher": s.publisher,
                "date": s.date,
                "url": s.url,
                "citation": s.text,
                "records": s.record_ids,
            }
            for s in report.sources
        ],
    }
