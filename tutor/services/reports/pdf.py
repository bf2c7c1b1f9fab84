"""The reports as PDF: the templates under templates/reports/ rendered by WeasyPrint,
which is imported only when a PDF is made (it loads Pango and friends)."""
import gc
from datetime import datetime

from flask import render_template
from flask_babel import force_locale, format_date, get_locale

from tutor.services import money
from tutor.services.reports.figures import attendance_label, student_facts

CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM = 480, 170, 18, 34


def week_chart(weeks):
    """Geometry of the hours-per-week bar chart, drawn as inline SVG by the templates."""
    most = max((week.minutes for week in weeks), default=0)
    slot = CHART_WIDTH / max(len(weeks), 1)
    room = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    bars = []
    for n, week in enumerate(weeks):
        height = room * week.minutes / most if most else 0
        bars.append({"week": week, "x": round(n * slot + slot * 0.15, 1),
                     "width": round(slot * 0.7, 1), "center": round(n * slot + slot / 2, 1),
                     "y": round(CHART_TOP + room - height, 1), "height": round(height, 1)})
    return {"bars": bars, "width": CHART_WIDTH, "height": CHART_HEIGHT,
            "base": CHART_TOP + room, "label_y": CHART_HEIGHT - CHART_BOTTOM + 16}


def day(moment):
    """A local date as the report's language writes it: "2 окт. 2026 г."."""
    return format_date(moment.date() if isinstance(moment, datetime) else moment, "medium")


def amount(value):
    """A sum of money or hours in the report's language: kopecks only when there are
    any, always two digits then ("1 500", "1 500,50"): money.format_amount."""
    return money.format_amount(value, get_locale())


def _pdf(template, locale, **context):
    # Imported here: WeasyPrint loads Pango and friends, which only reports need.
    from weasyprint import HTML

    with force_locale(locale):
        html = render_template(template, locale=locale, day=day, amount=amount,
                               attendance_label=attendance_label,
                               **context)
    # WeasyPrint's page layout is linear in the lessons, but its box tree is millions
    # of objects that Python's cyclic collector walked again and again while it grew:
    # that made a long month cost more than in proportion (bench/RESULTS.md, the
    # monthly PDF). Collected once, after; each run's garbage is its own tree.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return HTML(string=html).write_pdf()
    finally:
        if collecting:
            gc.enable()
            gc.collect()


def monthly_pdf(report, locale):
    return _pdf("reports/monthly.html", locale, report=report, chart=week_chart(report.weeks))


def student_pdf(report, locale):
    with force_locale(locale):
        facts = student_facts(report)
    return _pdf("reports/student.html", locale, report=report, facts=facts)
