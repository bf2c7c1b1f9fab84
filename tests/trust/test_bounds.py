"""Values from outside the app, each class of them, at the edge: query strings, path
segments, form fields, the headers htmx and browsers send, `next`, and Telegram's JSON.
A value out of bounds gets a 4xx or a form error — never a 500 — and nothing is
stored that a page cannot show (tutor/services/bounds.py)."""
import json

import pytest

from tests.trust.conftest import TELEGRAM
from tutor.models import UnavailableInterval

HUGE_NUMBER = "9" * 31


@pytest.fixture
def teacher_browser(browser_as):
    return browser_as("teacher")


@pytest.fixture
def student_browser(browser_as):
    return browser_as("student_a")


FAR_DATES = ["/?week=9999-12-31", "/?week=0001-01-01", "/?week=2200-01-01",
             "/?week=1899-12-31", "/month?month=9999-12", "/month?month=0001-01",
             "/lessons/new?start=9999-12-31T23:59:59-01:00",
             "/lessons/new?start=0001-01-01T00:00:00%2B01:00",
             "/series/new?start=9999-12-31T23:59:59-01:00"]


@pytest.mark.parametrize("url", FAR_DATES)
@pytest.mark.parametrize("role", ["anonymous", "student_a", "teacher"])
def test_far_dates_in_query_strings(browser_as, role, url):
    response = browser_as(role).get(url)
    assert response.status_code < 500, (role, url, response.status_code)


@pytest.mark.parametrize("url", [
    "/teacher/reports?month=9999-12", "/teacher/reports?month=0001-01",
    "/teacher/reports/report-9999-12.csv", "/teacher/reports/report-9999-12.pdf",
    "/teacher/lessons/new?start=9999-12-31T23:59:59-01:00",
    "/teacher/lessons?first_day=9999-12-31&last_day=9999-12-31",
    "/teacher/lessons?first_day=0001-01-01",
])
def test_far_dates_for_the_teacher(teacher_browser, url):
    response = teacher_browser.get(url)
    assert response.status_code < 500, (url, response.status_code)


def test_an_interval_beyond_the_calendar_is_not_stored(app, teacher_browser):
    """Nothing is stored that the availability page cannot show."""
    token = teacher_browser.csrf_token("/teacher/availability")
    for start, end in [("2027-03-05T10:00:00+00:00", "9999-12-31T23:59:59+00:00"),
                       ("0001-01-01T00:00:00+00:00", "2027-03-05T10:00:00+00:00"),
                       ("2027-03-05T10:00:00+00:00", "9999-12-31T23:59:59-01:00")]:
        with app.app_context():
            before = UnavailableInterval.select().count()
        response = teacher_browser.post("/teacher/unavailable/slot",
                                        data={"slot": f"{start}/{end}", "csrf_token": token})
        assert 400 <= response.status_code < 500, (start, end, response.status_code)
        with app.app_context():
            assert UnavailableInterval.select().count() == before
    assert teacher_browser.get("/teacher/availability").status_code == 200
    response = teacher_browser.post("/teacher/days-off", data={
        "first_day": "2027-03-05", "last_day": "9999-12-31", "reason": "", "csrf_token": token})
    assert response.status_code < 500
    assert teacher_browser.get("/teacher/availability").status_code == 200


@pytest.mark.parametrize("url", [
    f"/teacher/students?page={HUGE_NUMBER}", "/teacher/students?page=-5",
    "/teacher/students?page=0", f"/teacher/lessons?page={HUGE_NUMBER}",
    f"/teacher/students/{HUGE_NUMBER}", f"/teacher/students/{2**31}",
    f"/teacher/students/{2**63}", f"/lessons/{HUGE_NUMBER}",
])
def test_numbers_beyond_the_database(teacher_browser, url):
    response = teacher_browser.get(url)
    assert response.status_code < 500, (url, response.status_code)


@pytest.mark.parametrize("price", ["sNaN", "NaN", "-sNaN", "Infinity", "1e999999",
                                   "1E+1000000000", HUGE_NUMBER])
def test_odd_decimals_are_a_form_error(app, teacher_browser, objects, price):
    token = teacher_browser.csrf_token("/teacher/settings")
    response = teacher_browser.post(f"/lessons/{objects.lesson_a}/confirm", data={
        "price": price, "people": "1", "day": "2027-03-03", "time": "13:00",
        "csrf_token": token})
    assert response.status_code < 500, (price, response.status_code)


NEXTS = ["http://[", "/\nLocation: http://evil.example", "/ok\r\nX: y", "//evil.example",
         "/\\evil.example", "http://[::1", "/%0d%0a", "\x00"]


@pytest.mark.parametrize("target", NEXTS)
def test_next_that_is_not_an_address(client, target):
    response = client.get("/login", query_string={"next": target})
    assert response.status_code == 200
    token = client.csrf_token("/login")
    response = client.post("/login", data={"login": "nobody", "password": "x",
                                           "next": target, "csrf_token": token})
    assert response.status_code < 500
    response = client.post("/language/en", data={"next": target, "csrf_token": token})
    assert response.status_code < 500
    assert "evil" not in response.headers.get("Location", "")


@pytest.mark.parametrize("header", ["HX-Current-URL", "Referer"])
@pytest.mark.parametrize("value", ["http://[", "http://[::1", "http://localhost:99999/x",
                                   "http://a b/", "\x7f", "http://localhost/\tx",
                                   "http://localhost/%0d%0aX:%20y"])
def test_headers_that_are_not_addresses(client, objects, header, value):
    """An expired session on a page: where to come back to is read from these."""
    token = client.csrf_token("/login")
    headers = {header: value, "HX-Request": "true"} if header == "HX-Current-URL" else \
        {header: value}
    for method, url in [("get", "/teacher/students"), ("post", "/teacher/settings"),
                        ("get", f"/lessons/{objects.lesson_a}")]:
        response = getattr(client, method)(url, headers=headers, data={"csrf_token": token})
        assert response.status_code < 500, (header, value, url, response.status_code)


def webhook(app, body, content_type="application/json"):
    return app.test_client().post(
        "/telegram/webhook", data=body, content_type=content_type,
        headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM["TELEGRAM_WEBHOOK_SECRET"]})


def test_deeply_nested_json_to_the_webhook(app, objects):
    response = webhook(app, "[" * 200_000 + "]" * 200_000)
    assert response.status_code == 400
    response = webhook(app, '{"update_id": 1, "message": ' + "[" * 200_000 + "]" * 200_000 + "}")
    assert response.status_code == 400


@pytest.mark.parametrize("update_id", [2**70, -(2**70), 2**63, 2**63 - 1, -1, 0])
def test_update_ids_beyond_the_database(app, objects, update_id):
    response = webhook(app, json.dumps({"update_id": update_id, "message": {
        "message_id": 1, "date": 0, "text": "/today", "chat": {"id": 5, "type": "private"},
        "from": {"id": 5}}}))
    assert response.status_code in (200, 400), response.status_code
