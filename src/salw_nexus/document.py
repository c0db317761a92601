"""The quarterly donor report as a document: Markdown (renders on GitHub) or one
self-contained HTML page, from the Jinja2 templates in ``templates/``.

Every value written into the document goes through ``text.for_people`` (Jinja's
``finalize``): no control character from the records reaches it; HTML is autoescaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .grids import (
    UNKNOWN,
    count,
    count_of,
    date_range,
    items_text,
    officials_of,
    percent_text,
)
from .kinds import TRAININGS
from .text import for_people

if TYPE_CHECKING:
    from .donor import DonorReport
    from .figures import Figures, Share

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
# The chart's two bars per quarter: trainings and handovers.
TRAININGS_COLOUR, HANDOVERS_COLOUR = "#1f6fb2", "#c2571a"


def _long_date(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _markdown_text(text: str) -> str:
    """Text safe inside a Markdown table cell or list line (GitHub's renderer)."""
    for special in ("\\", "|", "*", "_", "`", "<", "[", "]"):
        text = text.replace(special, "\\" + special)
    return " ".join(text.split())


def _share(share: Share) -> str:
    """``40% (over 2 of 5 trainings)``: the share of women, over the trainings stating it."""
    if share.percent is None:
        return f"{UNKNOWN} (no training states it)" if share.of else UNKNOWN
    noun = TRAININGS.singular if share.of == 1 else TRAININGS.plural
    return f"{share.percent:g}% (over {share.over} of {share.of} {noun})"


def _figure_rows() -> list[tuple[str, Callable[[Figures], str]]]:
    """The key-figure rows: a label and how to show it from a span's Figures (every count
    as ``figures.py`` defines it: known, ``≥`` a lower bound, ``—`` not reported)."""
    return [
        ("Trainings", lambda f: count(f.tally.trainings)),
        ("Training days", lambda f: count(f.tally.training_days)),
        ("Participants", lambda f: count_of(f.tally.participants_count)),
        ("– female", lambda f: count_of(f.tally.female_count)),
        ("– male", lambda f: count_of(f.tally.male_count)),
        ("– not reported by sex", lambda f: count_of(f.tally.not_reported_count)),
        ("Share of women", lambda f: _share(f.tally.women_share)),
        ("Person-days", lambda f: count_of(f.tally.person_days_count)),
        ("Agencies trained", lambda f: count(f.agencies_trained)),
        ("Handovers", lambda f: count(f.deliveries)),
        ("Recipient agencies", lambda f: count(f.recipients)),
        ("Countries reached", lambda f: f"{len(f.countries)}" + (f" ({', '.join(f.countries)})" if f.countries else "")),
    ]  # fmt: skip


def _bar(value: int, scale: int) -> str:
    """A Markdown cell: a bar of up to 20 blocks, then the figure."""
    if not value:
        return "·"
    return "█" * max(1, round(20 * value / (scale or 1))) + f" {value}"


@dataclass(frozen=True)
class _ChartScale:
    trainings: int
    participants: int
    deliveries: int


def _svg_chart(report: DonorReport) -> dict[str, Any]:
    """Geometry of the inline SVG bar chart: trainings and handovers per quarter."""
    quarters = report.chart
    left, right_margin, top, bottom = 34.0, 10.0, 26.0, 62.0
    slot = max(14.0, min(48.0, 620.0 / max(len(quarters), 1)))
    # At least the width of a page: a chart of two quarters must not be drawn 4× larger.
    width = max(left + slot * len(quarters) + right_margin, 640.0)
    plot_height, height = 150.0, top + 150.0 + bottom
    peak = max([max(q.trainings, q.deliveries) for q in quarters] + [1])
    step = max(1, -(-peak // 5))  # about five gridlines, whole numbers
    ceiling = step * -(-peak // step)
    baseline = top + plot_height

    def y(value: float) -> float:
        return round(baseline - plot_height * value / ceiling, 1)

    bars, labels = [], []
    bar_width = round(slot * 0.36, 1)
    highlight_x = -1000.0
    for index, quarter in enumerate(quarters):
        x = left + slot * index
        if quarter.is_report_quarter:
            highlight_x = x
        measures = (
            (quarter.trainings, "training(s)", TRAININGS_COLOUR),
            (quarter.deliveries, "handover(s)", HANDOVERS_COLOUR),
        )
        for offset, (value, noun, colour) in enumerate(measures):
            if value:
                bars.append({
                    "x": round(x + slot * 0.12 + offset * bar_width, 1), "y": y(value),
                    "width": bar_width, "height": round(baseline - y(value), 1),
                    "colour": colour, "title": f"{quarter.label}: {value} {noun}",
                })  # fmt: skip
        labels.append({"x": round(x + slot * 0.6, 1), "y": baseline + 12, "text": quarter.label,
                       "bold": quarter.is_report_quarter})  # fmt: skip
    ticks = [{"value": v, "y": y(v)} for v in range(0, ceiling + 1, step)]
    return {
        "width": round(width, 1), "height": height, "left": left, "right": round(width - right_margin, 1),
        "top": top, "plot_height": plot_height, "slot": round(slot, 1), "bars": bars,
        "labels": labels, "ticks": ticks, "highlight_x": round(highlight_x, 1),
        "trainings_colour": TRAININGS_COLOUR, "handovers_colour": HANDOVERS_COLOUR,
    }  # fmt: skip


def donor_document(report: DonorReport, *, html: bool) -> str:
    """The report as a Markdown document or a self-contained HTML page (Jinja2 templates)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined
    from markupsafe import Markup

    def finalize(value: Any) -> Any:
        # Every value written into the document: no control character from the records.
        if isinstance(value, str) and not isinstance(value, Markup):
            return for_people(value)
        return value

    environment = Environment(
        loader=PackageLoader("salw_nexus", "templates"),
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        finalize=finalize,
    )

    def reference(number: int | None) -> str:
        return "" if number is None else f"[{number}]"

    def reference_html(number: int | None) -> Markup:
        if number is None:
            return Markup("")
        return Markup(f'<a class="ref" href="#source-{number}">[{number}]</a>')

    environment.filters.update(
        md=lambda text: _markdown_text(str(text)),
        long_date=_long_date,
        month_name=lambda month: MONTHS[month - 1],
        date_range=lambda start, end: date_range(start, end).replace("→", "–"),
        count=count,
        count_of=count_of,
        percent=lambda row: percent_text(row.percent_of_target, row.percent_of_target_approximate),
        ref=reference,
        ref_html=reference_html,
        items=items_text,
        officials=officials_of,
        bar=_bar,
    )
    scale = _ChartScale(
        trainings=max([q.trainings for q in report.chart] + [0]),
        participants=max([q.participants for q in report.chart] + [0]),
        deliveries=max([q.deliveries for q in report.chart] + [0]),
    )
    template = environment.get_template("report.html.j2" if html else "report.md.j2")
    return template.render(
        r=report,
        figure_rows=_figure_rows(),
        chart=_svg_chart(report) if html else None,
        chart_scale=scale,
    )
