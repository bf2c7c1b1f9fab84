"""The feed over HTTP: turned on from the profile, served without a login to its
address, refused once revoked; the .ics of one lesson for its people only."""
import re
from datetime import datetime

from icalendar import Calendar

from tests.conftest import STUDENT_PASSWORD
from tutor.models import Lesson


def feed_address(page):
    return re.search(r'id="feed-url"[^>]*value="http://localhost(/calendar/[^"]+\.ics)"',
                     page).group(1)


def test_turn_on_subscribe_renew_and_turn_off(client, auth, teacher, create_student, app):
    student = create_student(login="anna")
    with app.app_context():
        Lesson.create(teacher=teacher, student=student, start=datetime(2030, 1, 3, 7),
                      end=datetime(2030, 1, 3, 8))
    auth.login("anna", STUDENT_PASSWORD)
    client.submit("/language/en")
    assert 'id="feed-url"' not in client.get("/account").text
    client.submit("/account/calendar-feed", {"action": "on"}, page="/account")
    first = feed_address(client.get("/account").text)

    stranger = app.test_client()
    response = stranger.get(first)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert len(Calendar.from_ical(response.data).walk("VEVENT")) == 1

    client.submit("/account/calendar-feed", {"action": "on", "renew": "1"}, page="/account")
    second = feed_address(client.get("/account").text)
    assert second != first
    assert stranger.get(first).status_code == 404
    assert stranger.get(second).status_code == 200

    client.submit("/account/calendar-feed", {"action": "off"}, page="/account")
    assert stranger.get(second).status_code == 404
    assert client.post("/account/calendar-feed", data={"action": "on"}).status_code == 400


def test_a_lessons_file_is_for_its_teacher_and_student_only(client, auth, teacher,
                                                            create_student, app):
    anna = create_student(login="anna")
    create_student(login="boris")
    with app.app_context():
        lesson = Lesson.create(teacher=teacher, student=anna, start=datetime(2030, 1, 3, 7),
                               end=datetime(2030, 1, 3, 8))
    path = f"/lessons/{lesson.id}/calendar.ics"
    assert client.get(path).status_code == 302  # to the login page
    auth.login("boris", STUDENT_PASSWORD)
    assert client.get(path).status_code == 404
    auth.logout()
    auth.login("anna", STUDENT_PASSWORD)
    response = client.get(path)
    assert response.status_code == 200
    assert f'filename="lesson-{lesson.id}.ics"' in response.headers["Content-Disposition"]
    assert f'href="{path}"' in client.get(f"/lessons/{lesson.id}").text
    auth.logout()
    auth.login()
    assert client.get(path).status_code == 200
