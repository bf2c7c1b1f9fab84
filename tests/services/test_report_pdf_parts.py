"""The monthly PDF laid out in parts (services/reports/pdf.py): the joined document
has the pages one long document would have, each lesson once, in order, numbered
"Page X / Y"; and no part is laid out with more lines than its size allows, which is
what bounds WeasyPrint's memory (about 170 KB a line while a part is laid out)."""
import gc
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import weasyprint
from pypdf import PdfReader

from tutor.models import Lesson
from tutor.services.reports import figures
from tutor.services.reports import pdf as report_pdf

OCTOBER = date(2026, 10, 1)
AFTER = datetime(2026, 11, 5, 12, 0)
LESSON = re.compile(r"(Oct \d{1,2}, 2026) ([0-9]{2}:[0-9]{2}–[0-9]{2}:[0-9]{2})")


@pytest.fixture
def busy_october(app_ctx, teacher, create_student):
    """A month of lessons 83 minutes apart (no two alike), some rows taller than the
    rest: long names that wrap, lessons entered afterwards, marks."""
    def month(count):
        students = [create_student(), create_student(),
                    create_student(first_name="Александра-Анастасия Константиновна",
                                   last_name="Преображенская-Воскресенская")]
        first = datetime(2026, 9, 30, 21, 0)  # 1 October, 00:00 in Moscow
        Lesson.insert_many([{
            "teacher": teacher.id, "student": students[n % 3].id, "status": Lesson.CONFIRMED,
            "start": first + timedelta(minutes=83 * n),
            "end": first + timedelta(minutes=83 * n + 60), "people": 1,
            "price": Decimal(1000 + n), "entered_afterwards": n % 7 == 0,
            "attendance": (Lesson.ATTENDED, Lesson.MISSED, None)[n % 3], "created_at": first,
        } for n in range(count)]).execute()
        report = figures.monthly_report(teacher, OCTOBER, now=AFTER)
        assert len(report.lines) == count
        return report
    return month


def pages_of(data):
    return [re.sub(r"[\s\u00a0\u202f]+", " ", page.extract_text())
            for page in PdfReader(io.BytesIO(data)).pages]


def lessons_on(pages):
    """The lessons (date, time) each page lists."""
    return [LESSON.findall(page) for page in pages]


def expected(report):
    return [(f"{line.start:%b} {line.start.day}, {line.start:%Y}",
             f"{line.start:%H:%M}–{line.end:%H:%M}") for line in report.lines]


def outline_of(data):
    """The titles of the PDF's bookmarks, nested as they are."""
    def titles(items):
        return [titles(item) if isinstance(item, list) else item.title for item in items]
    return titles(PdfReader(io.BytesIO(data)).outline)


def test_the_parts_join_into_the_pages_of_one_long_document(busy_october, monkeypatch):
    report = busy_october(100)
    monkeypatch.setattr(report_pdf, "FIRST_PART", 50)
    monkeypatch.setattr(report_pdf, "PAGES_PER_PART", 1)  # a part per page: many joins
    parted_pdf = report_pdf.monthly_pdf(report, "en")
    monkeypatch.setattr(report_pdf, "FIRST_PART", 10_000)  # the whole table at once
    whole_pdf = report_pdf.monthly_pdf(report, "en")
    parted, whole = pages_of(parted_pdf), pages_of(whole_pdf)

    # The headings' bookmarks, not the rows' (which tell the parts where a page begins).
    assert outline_of(parted_pdf) == outline_of(whole_pdf)
    assert outline_of(parted_pdf)[0] == "Report for October 2026"

    assert lessons_on(parted) == lessons_on(whole)  # page for page, row for row
    assert [lesson for page in lessons_on(parted) for lesson in page] == expected(report)
    assert len(parted) == len(whole) >= 5
    for n, page in enumerate(parted, start=1):
        assert page.count(f"Page {n} / {len(parted)}") == 1
        assert page.count("Report for October 2026") == 1 + (n == 1)  # footer, and h1
    assert "Total" in parted[-1] and "Total" not in parted[-2]
    assert parted[0].startswith("Report for October 2026")


LAID_OUT = []  # the lesson lines of each document CountingHTML was given


class CountingHTML(weasyprint.HTML):
    """WeasyPrint's HTML, noting how many lesson lines each document it lays out has."""

    def __init__(self, *args, string="", **kwargs):
        LAID_OUT.append(string.count('<tr data-line="'))
        super().__init__(*args, string=string, **kwargs)


def test_no_part_is_laid_out_with_more_lines_than_its_size(busy_october, monkeypatch):
    """If WeasyPrint stopped telling which rows a page holds (Page.bookmarks), or the
    parts stopped being cut at pages, the whole table would be laid out at once and
    the memory would grow with the month again: this fails first."""
    report = busy_october(120)
    monkeypatch.setattr(report_pdf, "FIRST_PART", 50)
    monkeypatch.setattr(report_pdf, "PAGES_PER_PART", 1)
    monkeypatch.setattr(weasyprint, "HTML", CountingHTML)
    LAID_OUT.clear()
    pages = pages_of(report_pdf.monthly_pdf(report, "en"))

    per_page = max(len(page) for page in lessons_on(pages))
    parts, footers = LAID_OUT[:-1], LAID_OUT[-1]
    assert footers == 0 and len(parts) >= 4
    assert parts[0] == 50
    assert max(parts[1:]) <= per_page + per_page // 4
    # No part laid out again, and each part's dropped page (its lines laid out twice) short.
    table_pages = sum(1 for page in lessons_on(pages) if page)
    assert len(parts) <= table_pages + 1
    assert sum(parts) <= len(report.lines) + len(parts) * per_page


def test_the_rows_of_a_part_share_their_styles(busy_october, monkeypatch):
    """WeasyPrint computes a style once for elements alike. Rows told apart by an id
    are not alike (it gives each a style of its own, and their cells theirs): the parts
    then cost nearly twice the CPU of one long document. With the rows alike, a part
    computes no style per row."""
    report = busy_october(120)
    computed = []
    compute = weasyprint.css.StyleFor.set_computed_styles

    def counted(self, element, *args, pseudo_type=None, **kwargs):
        if pseudo_type is None:
            computed.append(element)
        return compute(self, element, *args, pseudo_type=pseudo_type, **kwargs)

    monkeypatch.setattr(weasyprint.css.StyleFor, "set_computed_styles", counted)
    monkeypatch.setattr(report_pdf, "FIRST_PART", 60)
    report_pdf.monthly_pdf(report, "en")
    parted = len(computed)
    monkeypatch.setattr(report_pdf, "FIRST_PART", 10_000)
    computed.clear()
    report_pdf.monthly_pdf(report, "en")
    assert parted - len(computed) < len(report.lines)  # about 8 a row with ids


def test_the_collections_after_each_part_leave_the_older_objects_alone(busy_october, monkeypatch):
    """What was alive before the PDF (the app, the report's lines) is frozen while it
    is made: the full collection after each part then walks that part's objects, not
    the whole process again (1,000 lessons: -10 % CPU). Thawed after."""
    report = busy_october(120)
    monkeypatch.setattr(report_pdf, "FIRST_PART", 50)
    frozen, collect = [], gc.collect
    monkeypatch.setattr(gc, "collect", lambda *args: frozen.append(gc.get_freeze_count())
                        or collect(*args))
    report_pdf.monthly_pdf(report, "en")
    assert len(frozen) >= 3 and min(frozen) > 0
    assert gc.get_freeze_count() == 0 and gc.isenabled()


class FailingHTML(weasyprint.HTML):
    def render(self, *args, **kwargs):
        raise RuntimeError("layout failed")


def test_a_pdf_that_fails_thaws_and_collects_again(busy_october, monkeypatch):
    report = busy_october(120)
    monkeypatch.setattr(report_pdf, "FIRST_PART", 50)
    monkeypatch.setattr(weasyprint, "HTML", FailingHTML)
    with pytest.raises(RuntimeError, match="layout failed"):
        report_pdf.monthly_pdf(report, "en")
    assert gc.get_freeze_count() == 0 and gc.isenabled()
