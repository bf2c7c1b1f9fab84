"""Your data: the export (what the ZIP holds, the hourly limit, the file in the
inbox) and the student's own deletion (the lessons cancelled and kept, the reports
and balances unchanged, the audit entry, nothing left to log in with)."""
import csv
import io
import json
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from tests.conftest import STUDENT_PASSWORD
from tutor import jobs
from tutor.models import (
    AuditEntry,
    Feedback,
    InboxItem,
    Lesson,
    LinkedIdentity,
    LoginSession,
    Message,
    Payment,
    StoredFile,
    TeacherSettings,
    TrialRequest,
    User,
)
from tutor.services import accounts, balances, notify, personal_data, signin
from tutor.services.reports import csv as report_csv
from tutor.services.reports import figures

NOW = datetime(2026, 11, 5, 12, 0)  # naive UTC
OCTOBER = date(2026, 10, 1)


def lesson(teacher, student, start, minutes=60, price="1500", status=Lesson.CONFIRMED,
           attendance=None):
    return Lesson.create(teacher=teacher, student=student, start=start,
                         end=start + timedelta(minutes=minutes), status=status,
                         price=Decimal(price), attendance=attendance)


@pytest.fixture
def maria(app_ctx, teacher, create_student):
    """Maria: two October lessons (attended, late-cancelled), a payment, feedback, a
    notice in her inbox, a login on her phone; a confirmed lesson next week and a
    pending one the week after."""
    student = create_student(login="maria", first_name="Мария", last_name="Соколова",
                             email="maria@example.org", channel=User.EMAIL)
    first = lesson(teacher, student, datetime(2026, 10, 1, 9, 0), attendance=Lesson.ATTENDED)
    lesson(teacher, student, datetime(2026, 10, 20, 9, 0), price="2000",
           attendance=Lesson.LATE_CANCEL)
    balances.record_payment(teacher, student, "3000", date(2026, 10, 15), note="наличные",
                            now=NOW)
    Feedback.create(lesson=first, student=student, rating=5, comment="Отлично, спасибо")
    notify.enqueue(student, "password_changed", key="test:maria:1")
    accounts.start_session(student, device="Mozilla/5.0 (Linux; Android 14) Chrome/131.0 "
                                           "Mobile Safari/537.36", ip="10.0.0.7")
    lesson(teacher, student, NOW + timedelta(days=7))
    lesson(teacher, student, NOW + timedelta(days=14), status=Lesson.PENDING, price="0")
    return User.get_by_id(student.id)


# --- the export -------------------------------------------------------------------

def read_zip(content):
    archive = zipfile.ZipFile(io.BytesIO(content))
    return {name: archive.read(name) for name in archive.namelist()}


def test_the_export_holds_everything_about_her(maria):
    files = read_zip(personal_data.build_export(maria, NOW))
    assert set(files) == {"README.txt", "profile.json"} | {
        f"{name}.{ext}" for name in ("lessons", "payments", "feedback", "notifications",
                                     "messages", "sessions") for ext in ("json", "csv")}
    profile = json.loads(files["profile.json"])
    assert (profile["login"], profile["first_name"], profile["email"]) == (
        "maria", "Мария", "maria@example.org")
    lessons = json.loads(files["lessons.json"])
    assert [(row["start"], row["attendance"], row["price"]) for row in lessons][:2] == [
        ("2026-10-01T09:00:00Z", "attended", "1500.00"),
        ("2026-10-20T09:00:00Z", "late_cancel", "2000.00")]
    assert len(lessons) == 4 and lessons[0]["teacher"] == "Анна Петрова"
    assert json.loads(files["payments.json"]) == [
        {"paid_on": "2026-10-15", "amount": "3000.00", "note": "наличные",
         "recorded_at": json.loads(files["payments.json"])[0]["recorded_at"]}]
    assert json.loads(files["feedback.json"])[0]["comment"] == "Отлично, спасибо"
    assert [row["kind"] for row in json.loads(files["notifications.json"])] == [
        "password_changed"]
    assert json.loads(files["sessions.json"])[0]["ip"] == "10.0.0.7"
    # The CSV files hold the same rows, readable with a BOM-aware reader.
    rows = list(csv.DictReader(io.StringIO(files["lessons.csv"].decode("utf-8-sig"))))
    assert [row["start"] for row in rows] == [row["start"] for row in lessons]
    assert "Мария" not in files["README.txt"].decode() and "UTC" in files["README.txt"].decode()


def test_the_readme_is_in_her_language(maria):
    readme = read_zip(personal_data.build_export(maria, NOW))["README.txt"].decode()
    assert "Всё, что" in readme
    User.update(locale="en").where(User.id == maria.id).execute()
    readme = read_zip(personal_data.build_export(User.get_by_id(maria.id), NOW))[
        "README.txt"].decode()
    assert "Everything the tutoring site holds about you" in readme


def test_another_students_data_stays_out(maria, teacher, create_student):
    other = create_student(login="petr", first_name="Пётр")
    lesson(teacher, other, datetime(2026, 10, 2, 9, 0))
    # An amount no timestamp's digits can spell: "999" came up in a microsecond once.
    balances.record_payment(teacher, other, "8642.13", date(2026, 10, 3), now=NOW)
    files = read_zip(personal_data.build_export(maria, NOW))
    everything = b"".join(files.values()).decode("utf-8", "replace")
    assert "petr" not in everything and "Пётр" not in everything
    assert "642.13" not in everything and "642,13" not in everything


def test_the_request_makes_a_zip_in_her_inbox(maria):
    with time_machine.travel(NOW, tick=False):
        entry = personal_data.request_export(maria)  # saved for a consumer
        assert InboxItem.select().where(InboxItem.kind == "data_export").count() == 0
        jobs.wake()  # huey runs it at once in tests
    item = InboxItem.get(InboxItem.kind == "data_export")
    assert item.user_id == maria.id
    stored = StoredFile.get(StoredFile.item == item)
    assert (stored.owner_id, stored.filename, stored.content_type) == (
        maria.id, "tutor-data-maria-2026-11-05.zip", "application/zip")
    assert json.loads(read_zip(bytes(stored.content))["profile.json"])["login"] == "maria"
    # A retry of the same request keeps one copy.
    personal_data.send_export(maria.id, entry.id)
    assert InboxItem.select().where(InboxItem.kind == "data_export").count() == 1


def test_once_an_hour(maria):
    with time_machine.travel(NOW, tick=False):
        personal_data.request_export(maria)
    with time_machine.travel(NOW + timedelta(minutes=59), tick=False):
        with pytest.raises(personal_data.ExportTooSoon) as refused:
            personal_data.request_export(maria)
    assert refused.value.next_at == NOW + timedelta(hours=1)
    with time_machine.travel(NOW + timedelta(minutes=61), tick=False):
        personal_data.request_export(maria)
    assert AuditEntry.select().where(AuditEntry.action == "account.export").count() == 2


def test_a_teacher_has_no_student_export(app_ctx, teacher):
    with pytest.raises(personal_data.NotAStudent):
        personal_data.request_export(teacher)


# --- the deletion -----------------------------------------------------------------

def test_a_wrong_password_deletes_nothing(maria):
    with pytest.raises(personal_data.WrongPassword):
        personal_data.delete_account(maria, "not-her-password", now=NOW)
    assert User.get_by_id(maria.id).role == User.STUDENT
    assert Lesson.select().where(Lesson.student == maria.id).count() == 4


def test_the_deletion_cancels_the_future_and_anonymises_the_past(maria, teacher):
    personal_data.send_export(maria.id, 1, now=NOW)  # a file in her inbox
    plan = personal_data.delete_account(maria, STUDENT_PASSWORD, now=NOW)
    assert (len(plan.cancelled), plan.kept) == (2, 2)
    gone = User.get_by_id(maria.id)
    assert (gone.role, gone.login, gone.first_name, gone.last_name, gone.email,
            gone.telegram_username, gone.channel) == (
        User.DELETED, f"~deleted-{maria.id}", "", "", None, None, User.NO_CHANNEL)
    assert gone.full_name == "Удалённый ученик"
    # The past lessons and the payment stay; the future ones are gone.
    assert [l.start for l in Lesson.for_student(gone)] == [
        datetime(2026, 10, 1, 9, 0), datetime(2026, 10, 20, 9, 0)]
    assert Payment.select().where(Payment.student == maria.id).count() == 1
    # The teacher heard of both cancellations, from her by name.
    notices = list(Message.select().where((Message.user == teacher.id)
                                          & (Message.kind == "lesson_cancelled")))
    assert len(notices) == 2 and all("Мария" in m.body_text for m in notices)
    # Her own things are gone, and so is every session.
    assert not Feedback.select().where(Feedback.student == maria.id).exists()
    assert not InboxItem.select().where(InboxItem.user == maria.id).exists()
    assert not StoredFile.select().where(StoredFile.owner == maria.id).exists()
    assert not LoginSession.select().where(LoginSession.user == maria.id).exists()
    assert not Message.select().where(Message.user == maria.id).exists()
    # Nobody logs in as her, under the old login or the new one.
    for login in ("maria", gone.login):
        with pytest.raises(accounts.InvalidCredentials):
            accounts.authenticate(login, STUDENT_PASSWORD)
    entry = AuditEntry.get(AuditEntry.action == "account.delete")
    assert (entry.actor_id, entry.target_id) == (maria.id, maria.id)
    assert json.loads(entry.before)["login"] == "maria"
    assert json.loads(entry.after) == {"role": "deleted", "lessons_cancelled": 2,
                                       "lessons_kept": 2}


def test_the_monthly_report_and_balances_stay_right(maria, teacher, create_student):
    petr = create_student(login="petr", first_name="Пётр", last_name="Орлов")
    lesson(teacher, petr, datetime(2026, 10, 10, 9, 0), price="1000",
           attendance=Lesson.ATTENDED)
    before = figures.monthly_report(teacher, OCTOBER, now=NOW)
    owed = balances.balance(maria)
    personal_data.delete_account(maria, STUDENT_PASSWORD, now=NOW)
    after = figures.monthly_report(teacher, OCTOBER, now=NOW)
    assert after.totals == before.totals
    assert after.balance_totals == before.balance_totals
    assert balances.balance(User.get_by_id(maria.id)) == owed == Decimal("-500.00")
    assert [(line.student_id, line.price, line.attendance) for line in after.lines] == [
        (line.student_id, line.price, line.attendance) for line in before.lines]
    names = {line.student_id: line.student_name for line in after.lines}
    assert names == {maria.id: "Удалённый ученик", petr.id: "Пётр Орлов"}
    assert {row.name: row.closing for row in after.balances} == {
        "Удалённый ученик": Decimal("-500.00"), "Пётр Орлов": Decimal("-1000.00")}
    assert [(s.name, s.login, s.deleted) for s in after.students] == [
        ("Пётр Орлов", "petr", False), ("Удалённый ученик", "", True)]
    csv_text = report_csv.monthly_csv(after, "ru").decode("utf-8-sig")
    assert "Мария" not in csv_text and "maria" not in csv_text and "~deleted" not in csv_text


def test_a_lesson_inside_the_notice_stops_the_deletion(maria, teacher):
    TeacherSettings.for_teacher(teacher)  # 24 hours' notice
    soon = lesson(teacher, maria, NOW + timedelta(hours=5))
    with pytest.raises(personal_data.LessonTooSoon) as refused:
        personal_data.delete_account(maria, STUDENT_PASSWORD, now=NOW)
    assert refused.value.lesson.id == soon.id
    assert User.get_by_id(maria.id).role == User.STUDENT
    assert Lesson.select().where(Lesson.student == maria.id).count() == 5


def test_a_teacher_cannot_delete_themselves_here(app_ctx, teacher):
    with pytest.raises(personal_data.NotAStudent):
        personal_data.delete_account(teacher, "whatever", now=NOW)


def test_the_deleted_row_is_no_student_anywhere(maria, teacher):
    from tutor.services import broadcasts, students
    personal_data.delete_account(maria, STUDENT_PASSWORD, now=NOW)
    with pytest.raises(students.NotAStudent):
        students.get_student(maria.id)
    assert maria.id not in [user.id for user in broadcasts.broadcast_recipients()]


def test_the_deletion_forgets_her_ways_in_and_her_trial_request(maria, teacher):
    signin.link(maria, signin.YANDEX, "1130000012345678", "maria.ya")
    TrialRequest.create(teacher=teacher, name="Мария", contact="maria@example.org",
                        contact_key="maria@example.org", student=maria,
                        status=TrialRequest.OFFERED)
    personal_data.delete_account(maria, STUDENT_PASSWORD, now=NOW)
    assert LinkedIdentity.select().count() == 0
    assert TrialRequest.select().count() == 0
