"""The reports as PDF: the templates under templates/reports/ rendered by WeasyPrint,
which is imported only when a PDF is made (it loads Pango and friends)."""
import gc
import io
import re
from contextlib import contextmanager
from datetime import datetime
from html import unescape

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


def _pdf(template, locale, lines, **context):
    """The report in `template` as one PDF, its lesson table rendered in parts.

    WeasyPrint keeps every page's boxes until it writes (about 170 KB a lesson), so
    one document of a long month needs hundreds of MiB. Instead the table is laid
    out a part at a time, each part its own document of about PAGES_PER_PART pages:
    the last page of a part is dropped and its lines begin the next part, so every
    page breaks where one long document would break it. The parts are joined with
    pypdf, and the footers (title, page X of Y: the count is known only once all
    parts are laid out) are drawn over the joined pages from one more document.
    A report of at most FIRST_PART lines is one document, its footers its own."""
    # Imported here: WeasyPrint loads Pango and friends, which only reports need.
    from weasyprint import HTML

    parts, pages, first, count, title = [], 0, 0, FIRST_PART, None
    with _heap_set_aside(), force_locale(locale):
        while True:
            final = first + count >= len(lines)
            html = render_template(template, locale=locale, day=day, amount=amount,
                                   attendance_label=attendance_label,
                                   lines=lines[first:first + count], first=first, final=final,
                                   whole=final and not first, continued=first > 0, **context)
            if final and not first:  # a short report: one document, as it always was
                with _collector_paused():
                    return HTML(string=html).write_pdf()
            title = title or _title(html)
            with _collector_paused():
                document = HTML(string=html).render()
                following = len(lines) if final else _first_line_on(document.pages[-1])
                if following is None or following <= first:
                    count *= 2  # the last page begins the part: too few lines for a page
                    continue
                kept = document.pages if final else document.pages[:-1]
                per_page = max(_lines_on(page) for page in kept)  # > 0: a table page
                for page in kept:  # the rows' bookmarks, not wanted in the PDF's outline
                    page.bookmarks[:] = [mark for mark in page.bookmarks
                                         if not LINE_ID.fullmatch(mark[1])]
                parts.append(document.copy(kept).write_pdf())
                pages += len(kept)
                del document, kept
            if final:
                break
            # Into the page after the part's last by a quarter page, so that a part
            # of rows shorter than these still spills over (else it is laid out again).
            first, count = following, PAGES_PER_PART * per_page + max(per_page // 4, 1)
        footers = render_template("reports/_footers.html", title=_css_string(title), pages=pages)
        with _collector_paused():
            footers = HTML(string=footers).write_pdf()
        return _join(parts, footers)


# Lines in the first part, before a page's capacity is known; a month of at most this
# many lines is one document. Larger first parts are faster (the parts cost 15-30 % more
# CPU a line: the lines laid out twice, the collections, the join) but hold ~170 KB a
# line: at 1,000 the process peaks near 400 MiB (bench/RESULTS.md, "The monthly PDF in
# parts"), over the 200 MiB the parts keep to.
FIRST_PART = 120
PAGES_PER_PART = 6  # the later parts: ~170 KB a line is held while a part is laid out
LINE_ID = re.compile(r"line-([0-9]+)")


def _line_numbers(page):
    """The lines that begin on `page`: their rows carry a bookmark "line-N"."""
    labels = (label for _level, label, _position, _state in page.bookmarks)
    return [int(match.group(1)) for match in map(LINE_ID.fullmatch, labels) if match]


def _first_line_on(page):
    return min(_line_numbers(page), default=None)


def _lines_on(page):
    return len(_line_numbers(page))


def _title(html):
    match = re.search(r"<title>(.*?)</title>", html, re.DOTALL)
    return unescape(match.group(1).strip()) if match else ""


def _css_string(text):
    """`text` for a CSS string between double quotes: anything but letters, digits
    and spaces as an escape, so no quote or `</style>` can end it."""
    return "".join(ch if ch.isalnum() or ch == " " else f"\\{ord(ch):x} " for ch in text)


@contextmanager
def _heap_set_aside():
    # What was alive before the PDF (the app, the report's lines) outlives it: frozen,
    # the collections after each part walk the part's own objects, not those again
    # (1,000 lessons: 3.3 -> 3.0 s CPU, bench/RESULTS.md). Two PDFs at once in one
    # process: the first to end thaws the other's too, which only costs it time.
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def _collector_paused():
    # WeasyPrint's page layout is linear in the lessons, but its box tree is millions
    # of objects that Python's cyclic collector walked again and again while it grew:
    # that made a long month cost more than in proportion (bench/RESULTS.md, the
    # monthly PDF). Collected once, after; each run's garbage is its own tree. A full
    # collection: collecting only the youngest generation is ~30 % cheaper, but what it
    # leaves piles up over the parts (5,000 lessons: the process peaks at 183 MiB, not
    # 158; bench/RESULTS.md, "The monthly PDF, where its time goes").
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
            gc.collect()


def _join(parts, footers):
    """The parts' pages in order, each with its footer drawn over it."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    for page, footer in zip(writer.pages, PdfReader(io.BytesIO(footers)).pages, strict=True):
        page.merge_page(footer)
        page.compress_content_streams()  # merging leaves the page's content inflated
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def monthly_pdf(report, locale):
    return _pdf("reports/monthly.html", locale, report.lines, report=report,
                chart=week_chart(report.weeks))


def student_pdf(report, locale):
    with force_locale(locale):
        facts = student_facts(report)
    return _pdf("reports/student.html", locale, report.lines, report=report, facts=facts)
