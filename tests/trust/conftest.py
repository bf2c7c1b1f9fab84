"""The five kinds of visitor the access matrix and the CSRF tests speak for, the
records every route's URL variables point at, and a fingerprint of the whole
database to prove that a request changed nothing."""
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

import pytest

from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tutor.extensions import db
from tutor.models import (
    AuditEntry,
    Broadcast,
    CalendarSubscription,
    Goal,
    InboxItem,
    Lesson,
    LoginSession,
    Message,
    Payment,
    TeacherSettings,
    TrialRequest,
    UnavailableInterval,
    User,
    utcnow,
)
from tutor.integrations.attachments import Attachment
from tutor.services import (
    accounts,
    action_links,
    calendar_feed,
    notify,
    recovery,
    schedule,
    series,
)

# Monday 1 March 2027, 12:00 in Moscow: every record below is in the future.
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc)
FREE_SLOT = datetime(2027, 3, 4, 10, 0)  # naive UTC: Thursday 13:00 in Moscow, bookable

ANONYMOUS, STUDENT_A, STUDENT_B, INACTIVE, TEACHER = ROLES = (
    "anonymous", "student_a", "student_b", "inactive", "teacher")

TELEGRAM = {"TELEGRAM_BOT_TOKEN": "123456:trust-test-token",
            "TELEGRAM_BOT_NAME": "tutor_trust_bot",
            "TELEGRAM_WEBHOOK_SECRET": "trust-webhook-secret",
            "TELEGRAM_API_URL": "http://127.0.0.1:9"}  # never called by these tests


@dataclass
class Objects:
    """What URL variables point at. The lessons, messages and profiles belong to
    student A, so student B and the inactive student probe someone else's."""

    teacher: int
    student_a: int
    student_b: int
    inactive: int
    lesson_a: int
    lesson_b: int
    series_a: int
    goal: int
    message: int
    payment_a: int
    broadcast: int
    interval: int
    window_weekday: int
    window_start: str
    job: str
    month: str
    reset_token_a: str
    feed_token_a: str
    free_slot: str
    inbox_item_a: int
    file_token_a: str
    session_a: int  # a login of A's on another device (the profile's "your devices")
    # The e-mail link confirming A's pending lesson (views/actions.py): one use.
    action_token_a: str = ""
    # One of the teacher's other calendars (views/busy_calendars.py); its address is
    # on this machine, so a read is refused before connecting (no private addresses).
    subscription: int = 0
    trial: int = 0  # a visitor's trial lesson request, open (views/trials.py)


# Sign in with Yandex ID configured (nothing listens: no probe reaches Yandex itself).
YANDEX = {"YANDEX_CLIENT_ID": "trust-client-id", "YANDEX_CLIENT_SECRET": "trust-secret",
          "YANDEX_OAUTH_URL": "http://127.0.0.1:9", "YANDEX_LOGIN_URL": "http://127.0.0.1:9"}


@pytest.fixture
def test_config(test_config):
    """The bot and Yandex ID are configured, so the webhook, the Telegram link step and
    the other ways to log in are live."""
    return {**test_config, **TELEGRAM, **YANDEX}


@pytest.fixture
def objects(app, teacher, create_student, time_machine):
    time_machine.move_to(NOW, tick=False)
    with app.app_context():
        TeacherSettings.for_teacher(teacher)  # made at first start in real life
        schedule.set_windows(teacher, [(day, time(8), time(20)) for day in range(5)])
        interval = UnavailableInterval.create(teacher=teacher, start=datetime(2027, 3, 8, 5),
                                              end=datetime(2027, 3, 8, 15), reason="Отпуск")
        goal = Goal.create(name="ЕГЭ", position=1)
        Goal.create(name="ОГЭ", position=2)
        student_a = create_student(login="student-a", first_name="Алиса", channel=User.EMAIL,
                                   email="alisa@example.org", goal=goal)
        student_b = create_student(login="student-b", first_name="Борис",
                                   channel=User.TELEGRAM)  # no chat linked yet
        inactive = create_student(login="student-inactive", first_name="Вера")
        lesson_a = Lesson.create(teacher=teacher, student=student_a, comment="Алиса",
                                 start=datetime(2027, 3, 3, 10), end=datetime(2027, 3, 3, 11))
        lesson_b = Lesson.create(teacher=teacher, student=student_b, comment="Борис",
                                 start=datetime(2027, 3, 3, 12), end=datetime(2027, 3, 3, 13),
                                 status=Lesson.CONFIRMED, price=1500)
        # A's weekly request: two Tuesdays at 13:00 in Moscow, awaiting confirmation.
        series_a, _, _ = series.book_series(student_a, teacher, datetime(2027, 3, 9, 10, 0),
                                            count=2)
        message = Message.create(user=student_a, channel=User.EMAIL, address=student_a.email,
                                 kind="lesson_booked", locale="ru", subject="Урок",
                                 body_text="Урок", status=Message.FAILED, attempts=8,
                                 last_error="refused", idempotency_key="trust:failed:a")
        payment = Payment.create(student=student_a, teacher=teacher, amount=3000,
                                 paid_on=date(2027, 2, 20), note="Алиса, февраль",
                                 created_by=teacher)
        broadcast = Broadcast.create(teacher=teacher, subject="Каникулы", body="Уроков нет",
                                     recipients=1)
        AuditEntry.create(actor=teacher, action="student.deactivate", target_type="users",
                          target_id=inactive.id)
        inbox_item_a = InboxItem.create(user=student_a, kind="welcome", subject="Привет",
                                        body_text="Алиса, добро пожаловать", key="trust:inbox:a")
        file_a = notify.store_file(inbox_item_a, student_a,
                                   Attachment("alisa.csv", b"a;b\n", "text/csv"))
        trial = TrialRequest.create(teacher=teacher, name="Пётр", contact="+79001234567",
                                    contact_key="+79001234567",
                                    created_at=NOW.replace(tzinfo=None))
        session_a = LoginSession.get(LoginSession.key_hash == LoginSession.hash_key(
            accounts.start_session(student_a, device="Firefox/133.0").session_key))
        subscription = CalendarSubscription.create(teacher=teacher,
                                                   url="http://127.0.0.1:9/private/basic.ics")
        return Objects(
            teacher=teacher.id, student_a=student_a.id, student_b=student_b.id,
            inactive=inactive.id, lesson_a=lesson_a.id, lesson_b=lesson_b.id,
            series_a=series_a.id, goal=goal.id,
            message=message.id, payment_a=payment.id, broadcast=broadcast.id, interval=interval.id,
            window_weekday=0, window_start="08:00", job="old_days_off", month="2027-02",
            reset_token_a=recovery.make_reset_token(student_a),
            feed_token_a=calendar_feed.turn_on(student_a),
            free_slot=FREE_SLOT.replace(tzinfo=timezone.utc).isoformat(),
            inbox_item_a=inbox_item_a.id, file_token_a=file_a.token, session_a=session_a.id,
            action_token_a=action_links.token(action_links.CONFIRM, lesson_a),
            subscription=subscription.id, trial=trial.id)


LOGINS = {STUDENT_A: ("student-a", STUDENT_PASSWORD), STUDENT_B: ("student-b", STUDENT_PASSWORD),
          INACTIVE: ("student-inactive", STUDENT_PASSWORD),
          TEACHER: ("teacher", TEACHER_PASSWORD)}


@pytest.fixture
def browser_as(app, client, objects):
    """A client of its own for `role`, logged in through the real login form. The
    inactive student is marked inactive after logging in, as the monthly activity
    check marks a student still logged in somewhere (deactivating by hand, the
    student's or the teacher's, ends their sessions too)."""
    def open_as(role):
        browser = app.test_client()
        if role == ANONYMOUS:
            return browser
        login, password = LOGINS[role]
        response = browser.submit("/login", {"login": login, "password": password})
        assert response.status_code == 302, f"{role} could not log in"
        if role == INACTIVE:
            with app.app_context():
                User.update(inactive_since=utcnow()).where(User.id == objects.inactive).execute()
        return browser
    return open_as


def kept_tables(database):
    """The tables that hold the app's data: not the student search's index (SQLite's
    FTS5 user_search and its shadow tables), which triggers keep in step with users."""
    return sorted(table for table in database.get_tables()
                  if table != "user_search" and not table.startswith("user_search_"))


def fingerprint(app, skip=()):
    """Every table's row count and a digest of all its rows, by table name."""
    with app.app_context():
        database = db.database
        result = {}
        for table in kept_tables(database):
            if table in skip:
                continue
            # The table names come from the database's own catalog.
            rows = database.execute_sql(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()
            digest = hashlib.sha256(repr([tuple(map(_text, row)) for row in rows]).encode())
            result[table] = (len(rows), digest.hexdigest())
        return result


def _text(value):
    """A column's value as text; PostgreSQL's bytea comes as a memoryview, whose str()
    names its address, not its bytes."""
    return str(bytes(value) if isinstance(value, memoryview) else value)


@pytest.fixture
def database_fingerprint(app):
    return lambda skip=(): fingerprint(app, skip)
