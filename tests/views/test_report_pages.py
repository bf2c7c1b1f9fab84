"""The reports page and its downloads: teacher only, any month, fixed file names,
never cached."""
import csv
import io
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader

from tests.conftest import STUDENT_PASSWORD
from tutor.models import Lesson

PAGE = "/teacher/reports"


@pytest.fixture
def october(app, teacher, create_student):
    with app.app_context():
        maria = create_student(login="maria", first_name="Мария", last_name="Соколова")
        petr = create_student(login="petr", first_name="Пётр", last_name="Орлов")
        for student, start, minutes, price in [
                (maria, datetime(2026, 10, 5, 7, 0), 60, "1500"),
                (maria, datetime(2026, 10, 12, 7, 0), 90, "2250"),
                (petr, datetime(2026, 10, 20, 15, 0), 45, "1000.50")]:
            Lesson.create(teacher=teacher, student=student, start=start,
                          end=start + timedelta(minutes=minutes), status=Lesson.CONFIRMED,
                          price=Decimal(price))
    return maria, petr


@pytest.fixture
def teacher_client(client, auth, teacher):
    auth.login()
    client.submit("/language/en")
    return client


def totals(html):
    return dict(re.findall(r'data-total="(\w+)">([^<]*)<', html))


def test_the_page_shows_the_chosen_month(teacher_client, october):
    page = teacher_client.get(f"{PAGE}?month=2026-10")
    assert page.status_code == 200
    html = page.text
    assert "<html" in html and 'id="report-summary"' in html
    assert totals(html) == {"students": "2", "lessons": "3", "hours": "3.25",
                            "cost": "4,750.50 ₽"}
    assert "Мария Соколова" in html and "Пётр Орлов" in html
    assert 'href="/teacher/reports/report-2026-10.pdf"' in html
    assert 'href="/teacher/reports/report-2026-10.csv"' in html
    assert 'href="/teacher/reports/report-2026-10.csv?separator=comma"' in html
    assert '<svg class="week-chart"' in html
    assert 'href="/teacher/reports?month=2026-09"' in html
    assert 'href="/teacher/reports?month=2026-11"' in html


def test_the_htmx_swap_returns_the_partial(teacher_client, october):
    response = teacher_client.get(f"{PAGE}?month=2026-10", headers={"HX-Request": "true"})
    html = response.text
    assert html.lstrip().startswith('<div id="report-summary" hx-target="this"')
    assert "<html" not in html and "HX-Request" in response.headers["Vary"]
    assert totals(html)["lessons"] == "3"
    empty = teacher_client.get(f"{PAGE}?month=2026-09", headers={"HX-Request": "true"}).text
    assert totals(empty) == {"students": "0", "lessons": "0", "hours": "0", "cost": "0 ₽"}
    assert "No lessons took place this month." in empty


def test_without_a_month_the_previous_one(client, auth, october, time_machine):
    time_machine.move_to("2026-11-10 12:00:00+00:00", tick=False)
    auth.login()
    html = client.get(PAGE).text
    assert 'value="2026-10"' in html and totals(html)["lessons"] == "3"


@pytest.mark.parametrize("month", ["2026-13", "october", "2026-1", "", "2026-10-01"])
def test_a_bad_month_is_explained(teacher_client, month):
    page = teacher_client.get(PAGE, query_string={"month": month})
    assert page.status_code == 200
    assert ("Enter a month as YYYY-MM" in page.text or "Choose a month." in page.text)
    assert "data-total" not in page.text
    fragment = teacher_client.get(PAGE, query_string={"month": month},
                                  headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and 'role="alert"' in fragment.text


def test_the_csv_download(teacher_client, october):
    response = teacher_client.get(f"{PAGE}/report-2026-10.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="report-2026-10.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Date" and len([r for r in rows[1:4] if r]) == 3
    assert ["Total cost", "4750,50"] in rows
    plain = teacher_client.get(f"{PAGE}/report-2026-10.csv?separator=comma")
    assert plain.headers["Content-Disposition"] == (
        'attachment; filename="report-2026-10-comma.csv"')  # not the same name twice
    plain_rows = list(csv.reader(io.StringIO(plain.data.decode("utf-8-sig"))))
    assert ["Total cost", "4750.50"] in plain_rows


def test_the_pdf_download(teacher_client, october):
    response = teacher_client.get(f"{PAGE}/report-2026-10.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="report-2026-10.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Report for October 2026" in text and "Мария Соколова" in text
    assert "4,750.50" in text


@pytest.mark.parametrize("path", ["report-2026-13.pdf", "report-26-10.csv", "report-.pdf",
                                  "report-2026-10.xls"])
def test_a_bad_download_name_is_not_found(teacher_client, path):
    assert teacher_client.get(f"{PAGE}/{path}").status_code == 404


@pytest.mark.parametrize("path", [PAGE, f"{PAGE}?month=2026-10", f"{PAGE}/report-2026-10.csv",
                                  f"{PAGE}/report-2026-10.pdf"])
def test_strangers_log_in_and_students_are_refused(client, auth, teacher, october, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login("maria", STUDENT_PASSWORD)
    assert client.get(path).status_code == 403


def test_the_settings_page_and_the_admin_menu_link_here(teacher_client):
    assert f'href="{PAGE}"' in teacher_client.get("/teacher/settings").text
    assert f'href="{PAGE}" aria-current="page"' in teacher_client.get(PAGE).text
