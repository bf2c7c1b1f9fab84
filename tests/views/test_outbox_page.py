"""The teacher sees the outbox and can send a failed message again."""
import pytest

from tests.conftest import STUDENT_PASSWORD
from tutor.models import Message, User
from tutor.services import notify


@pytest.fixture
def failed(app, create_student):
    student = create_student(login="anna", channel=User.EMAIL, email="anna@example.org")
    with app.app_context():
        message = notify.enqueue(student, "welcome")
        Message.update(status=Message.FAILED, attempts=8,
                       last_error="mailgun: 400 bad address").execute()
    return message


def test_the_teacher_sees_failures_and_retries(client, auth, teacher, failed, app):
    auth.login()
    client.submit("/language/en")
    page = client.get("/teacher/outbox?status=failed").text
    assert "mailgun: 400 bad address" in page and "anna@example.org" in page
    assert "failed (1)" in page
    response = client.submit(f"/teacher/outbox/{failed.id}/retry", page="/teacher/outbox")
    assert response.status_code == 302
    with app.app_context():
        again = Message.get_by_id(failed.id)
        assert (again.status, again.attempts, again.last_error) == (Message.PENDING, 0, "")
    client.submit(f"/teacher/outbox/{failed.id}/retry", page="/teacher/outbox")
    assert "Only a failed message can be sent again." in client.get("/teacher/outbox").text


def test_students_and_strangers_are_kept_out(client, auth, teacher, failed):
    assert client.get("/teacher/outbox").status_code == 302
    auth.login("anna", STUDENT_PASSWORD)
    assert client.get("/teacher/outbox").status_code == 403
    token = client.csrf_token("/")
    assert client.post(f"/teacher/outbox/{failed.id}/retry",
                       data={"csrf_token": token}).status_code == 403


def test_times_follow_the_zone_the_teacher_saved(client, auth, teacher, failed, app):
    """The outbox lists when each message was written in the teacher's saved zone, not
    the install's TEACHER_TIMEZONE (the Babel zone once ignored the settings page)."""
    with app.app_context():
        from tutor.models import TeacherSettings
        settings = TeacherSettings.for_teacher(teacher)
        settings.timezone = "Asia/Vladivostok"
        settings.save()
        created = Message.get_by_id(failed.id).created_at
        Message.update(created_at=created.replace(hour=1, minute=5)).execute()
    auth.login()
    client.submit("/language/en")
    page = client.get("/teacher/outbox?status=failed").text
    assert "11:05" in page and "04:05" not in page  # UTC+10, not Moscow's UTC+3


def test_the_pages_keep_the_status_asked_for(client, auth, teacher, failed, app):
    with app.app_context():
        for number in range(60):
            Message.create(user=failed.user, channel=User.EMAIL, address="anna@example.org",
                           kind="welcome", locale="en", subject=f"Copy {number}",
                           body_text="…", status=Message.FAILED,
                           idempotency_key=f"copy-{number}")
    auth.login()
    page = client.get("/teacher/outbox?status=failed").text
    assert 'href="/teacher/outbox?status=failed&amp;page=2"' in page
    assert "Copy 59" in page and "Copy 0<" not in page
    assert "Copy 0<" in client.get("/teacher/outbox?status=failed&page=2").text
