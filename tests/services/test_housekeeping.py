"""The monthly housekeeping: activity check, past days off, the purge of old records.
Each job at its month boundary, run twice, with the teacher left alone."""
import json
import os
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.moments import moscow, utc_naive
from tutor.integrations.attachments import Attachment
from tutor.models import (AuditEntry, InboxItem, JobRun, Lesson, Message, StoredFile,
                          TeacherSettings, TrialRequest, UnavailableInterval, User)
from tutor.services import housekeeping, notify, periodic
from tutor.services.outbox_backends import attachments_of


@pytest.fixture
def teacher_with_email(teacher):
    teacher.channel, teacher.email = User.EMAIL, "teacher@example.org"
    teacher.last_login_at = datetime(2020, 1, 1)  # long ago: still never deactivated
    teacher.save()
    TeacherSettings.create(teacher=teacher, timezone="Europe/Moscow")
    return teacher


@pytest.mark.parametrize("moment, months, expected", [
    (date(2026, 5, 31), 3, date(2026, 2, 28)),
    (date(2028, 5, 31), 3, date(2028, 2, 29)),  # leap year
    (date(2027, 1, 15), 2, date(2026, 11, 15)),  # across the new year
    (date(2026, 12, 2), 2, date(2026, 10, 2)),
    (date(2026, 3, 31), 1, date(2026, 2, 28)),
])
def test_months_back_clamps_to_the_shorter_month(moment, months, expected):
    assert housekeeping.months_back(moment, months) == expected


def test_activity_check(app_ctx, teacher_with_email, create_student):
    now = moscow(2026, 12, 2, 3, 0)  # the job's day, early morning in Moscow
    seen_long_ago = create_student(login="gone", last_login_at=utc_naive(moscow(2026, 10, 2, 2, 59)))
    seen_recently = create_student(login="here", last_login_at=utc_naive(moscow(2026, 10, 2, 3, 1)))
    never_seen = create_student(login="never", created_at=datetime(2026, 9, 1))
    new = create_student(login="new", created_at=datetime(2026, 11, 20))
    doomed = create_student(login="doomed", first_name="Пётр", last_name="Сидоров",
                            inactive_since=utc_naive(moscow(2026, 9, 2, 3, 0)),
                            last_login_at=datetime(2026, 6, 1))
    not_yet = create_student(login="notyet", inactive_since=utc_naive(moscow(2026, 9, 2, 3, 1)),
                             last_login_at=datetime(2026, 6, 1))
    Lesson.create(teacher=teacher_with_email, student=doomed, start=datetime(2026, 8, 3, 9),
                  end=datetime(2026, 8, 3, 10), status=Lesson.CONFIRMED, price=Decimal(2000))
    Lesson.create(teacher=teacher_with_email, student=seen_recently,
                  start=datetime(2026, 8, 4, 9), end=datetime(2026, 8, 4, 10))

    assert housekeeping.check_activity(now) == {"deactivated": 2, "deleted": 1, "kept": 0}

    inactive = {u.login for u in User.select().where(User.inactive_since.is_null(False))}
    assert inactive == {"gone", "never", "notyet"}
    assert User.get(User.login == "gone").inactive_since == utc_naive(now)
    assert User.get_or_none(User.login == "doomed") is None
    assert Lesson.select().count() == 1  # the deleted student's lesson went with them
    assert {seen_long_ago.id, seen_recently.id, never_seen.id, new.id, not_yet.id} <= \
        {u.id for u in User.select()}
    assert User.get_by_id(teacher_with_email.id).inactive_since is None

    report = Message.get(Message.kind == "student_deleted")
    assert report.user_id == teacher_with_email.id
    assert "Пётр Сидоров" in report.subject
    files = attachments_of(report)
    assert sorted(f.filename.rsplit(".", 1)[1] for f in files) == ["csv", "pdf"]
    csv_text = next(f for f in files if f.filename.endswith(".csv")).content.decode("utf-8-sig")
    assert "Сидоров" in csv_text and "2000" in csv_text
    summary = Message.get(Message.kind == "activity_check")
    assert "Пётр Сидоров" in summary.body_text and "Иванов" in summary.body_text
    audit = AuditEntry.get(AuditEntry.action == "student.delete")
    assert audit.actor is None and json.loads(audit.before)["login"] == "doomed"

    # Again the same day: nothing more changes and nothing more is sent.
    messages = Message.select().count()
    assert housekeeping.check_activity(now) == {"deactivated": 0, "deleted": 0, "kept": 0}
    assert Message.select().count() == messages


def test_a_returning_student_is_not_deleted(app_ctx, teacher_with_email, create_student):
    """Logging in clears inactive_since (the login flow does), so the next check
    counts from the new login."""
    student = create_student(inactive_since=datetime(2026, 8, 1), last_login_at=datetime(2026, 6, 1))
    student.inactive_since, student.last_login_at = None, datetime(2026, 11, 30)
    student.save()
    assert housekeeping.check_activity(moscow(2026, 12, 2, 3, 0)) == \
        {"deactivated": 0, "deleted": 0, "kept": 0}
    assert Message.select().count() == 0


def test_old_days_off_go_and_current_ones_stay(app_ctx, teacher_with_email, time_machine):
    time_machine.move_to(moscow(2026, 12, 2, 0, 5), tick=False)

    def interval(start, end, reason=""):
        return UnavailableInterval.create(teacher=teacher_with_email, start=utc_naive(start),
                                          end=utc_naive(end), reason=reason)
    interval(moscow(2026, 10, 5), moscow(2026, 10, 6), reason="Отпуск")
    interval(moscow(2026, 11, 30, 18), moscow(2026, 11, 30, 23, 59))  # ended before December
    spanning = interval(moscow(2026, 11, 30, 20), moscow(2026, 12, 1, 10))
    future = interval(moscow(2027, 1, 1), moscow(2027, 1, 3))

    now = moscow(2026, 12, 2, 0, 5)
    assert housekeeping.remove_old_days_off(now) == {"removed": 2}
    assert {i.id for i in UnavailableInterval.select()} == {spanning.id, future.id}
    notice = Message.get(Message.kind == "days_off_removed")
    assert notice.subject == "Удалено 2 прошедших выходных"
    # Which ones, as a person says them in the teacher's zone and language, with the
    # reason given.
    assert "- 5 октября, весь день: Отпуск" in notice.body_text.splitlines()
    assert "- 30 ноября, 18:00–23:59" in notice.body_text.splitlines()
    assert "<li>5 октября, весь день: Отпуск</li>" in notice.body_html
    assert housekeeping.remove_old_days_off(now) == {"removed": 0}
    assert Message.select().count() == 1


def test_the_purge_removes_last_months_records_and_keeps_the_rest(
        app, app_ctx, teacher_with_email, create_student, tmp_path):
    log_file = tmp_path / "logs" / "tutor.log"
    log_file.parent.mkdir()
    app.config["LOG_FILE"] = str(log_file)
    # The cutoff is the start of this month in Moscow: 30 November, 21:00 UTC.
    just_before = datetime(2026, 11, 30, 20, 59)  # 23:59 in Moscow on 30 November
    just_after = datetime(2026, 11, 30, 21, 0)  # midnight in Moscow on 1 December

    AuditEntry.create(action="old", created_at=just_before)
    AuditEntry.create(action="new", created_at=just_after)
    student = create_student(channel=User.EMAIL, email="s@example.org")
    old_sent = notify.enqueue(student, "welcome", key="old-sent",
                              attachments=[Attachment("r.csv", b"x", "text/csv")])
    old_failed = notify.enqueue(student, "welcome", key="old-failed")
    new_sent = notify.enqueue(student, "welcome", key="new-sent")
    backups = tmp_path / "backups"
    backups.mkdir()
    kept_file = backups / "tutor-backup-x.jsonl.gz"
    kept_file.write_bytes(b"backup")
    old_backup_message = notify.enqueue(teacher_with_email, "backup", {
        "filename": kept_file.name, "counts": {}, "size": 6}, key="old-backup",
        attachments=[kept_file])
    for message, status, created in ((old_sent, Message.SENT, just_before),
                                     (old_failed, Message.FAILED, just_before),
                                     (new_sent, Message.SENT, just_after),
                                     (old_backup_message, Message.SENT, just_before)):
        Message.update(status=status, created_at=created).where(Message.id == message.id).execute()
    # A message written before attachments were kept in the database names a file
    # under instance/outbox-files: that file goes with its message.
    attachment_path = Path(app.instance_path) / "outbox-files" / "old" / "r.csv"
    attachment_path.parent.mkdir(parents=True)
    attachment_path.write_bytes(b"x")
    legacy = notify.enqueue(student, "welcome", key="old-legacy")
    Message.update(status=Message.SENT, created_at=just_before, attachments=json.dumps(
        [{"filename": "r.csv", "content_type": "text/csv", "path": "outbox-files/old/r.csv"}])
    ).where(Message.id == legacy.id).execute()
    JobRun.create(job="backup", status=JobRun.OK, started_at=just_before)
    JobRun.create(job="backup", status=JobRun.OK, started_at=just_after)

    log_file.write_text("live")
    rotated_old = log_file.with_name("tutor.log.2026-11-29")
    rotated_new = log_file.with_name("tutor.log.2026-12-01")
    for path, moment in ((rotated_old, just_before), (rotated_new, just_after)):
        path.write_text("old lines")
        stamp = moment.replace(tzinfo=timezone.utc).timestamp()
        os.utime(path, (stamp, stamp))

    # The inbox: notices read over a year ago go, unless unread or carrying files.
    year_ago = datetime(2025, 12, 13, 20, 0)  # before 14 December 2025 in Moscow
    InboxItem.update(created_at=year_ago, read_at=year_ago).where(
        InboxItem.key.in_(["old-sent", "old-failed"])).execute()
    InboxItem.update(created_at=year_ago).where(InboxItem.key == "new-sent").execute()

    # Trial requests answered over 6 months ago go (names and contacts of visitors);
    # one answered later, and one still open however old, stay.
    half_year = datetime(2026, 6, 13, 20, 0)  # before 14 June 2026 in Moscow
    for name, status, decided in (("old", TrialRequest.DECLINED, half_year),
                                  ("recent", TrialRequest.OFFERED, datetime(2026, 6, 14, 9)),
                                  ("open", TrialRequest.NEW, None)):
        TrialRequest.create(teacher=teacher_with_email, name=name, contact="+7900",
                            contact_key=name, created_at=datetime(2026, 1, 1),
                            status=status, decided_at=decided)

    now = moscow(2026, 12, 14, 3, 0)
    assert housekeeping.purge_records(now) == {"audit": 1, "messages": 3, "jobs": 1,
                                               "log_files": 1, "attachment_files": 1,
                                               "inbox": 1, "work": 0, "trials": 1}
    assert sorted(t.name for t in TrialRequest.select()) == ["open", "recent"]
    # old-failed went; old-sent carries a file; new-sent is unread.
    assert "old-failed" not in {i.key for i in InboxItem.select()}
    assert {"old-sent", "new-sent"} <= {i.key for i in InboxItem.select()}
    assert [a.action for a in AuditEntry.select()] == ["new"]
    assert {m.idempotency_key for m in Message.select()} == {
        "old-failed", "new-sent", "records-purged:2026-12"}
    notice = Message.get(Message.kind == "records_purged")
    assert notice.user_id == teacher_with_email.id
    assert notice.subject == "Удалены записи до 1 декабря 2026\u202fг."
    for line in ("- 1 запись журнала действий", "- 3 доставленных сообщения",
                 "- 1 запись о задаче", "- 1 старый файл журнала: tutor.log.2026-11-29",
                 "- 1 уведомление, прочитанное больше года назад",
                 "- 1 заявка на пробное занятие с ответом больше 6 месяцев назад"):
        assert line in notice.body_text
    assert not attachment_path.exists()
    # The files kept with the inbox stay: the inbox has its own retention.
    assert sorted(f.filename for f in StoredFile.select()) == ["r.csv", kept_file.name]
    assert kept_file.exists()  # backups have their own retention
    assert [r.started_at for r in JobRun.select()] == [just_after]
    assert sorted(p.name for p in log_file.parent.iterdir()) == ["tutor.log", "tutor.log.2026-12-01"]

    assert housekeeping.purge_records(now) == {"audit": 0, "messages": 0, "jobs": 0,
                                               "log_files": 0, "attachment_files": 0,
                                               "inbox": 0, "work": 0, "trials": 0}
    assert Message.select().where(Message.kind == "records_purged").count() == 1


def test_the_monthly_jobs_run_on_their_days_through_the_runner(
        app, app_ctx, teacher_with_email, create_student, tmp_path, time_machine):
    """The real registry: on 2 December the report (1st) and both 2nd-day jobs are
    due; the backup waits for the 3rd; a second check runs nothing."""
    app.config["BACKUP_DIR"] = str(tmp_path / "backups")
    User.update(created_at=datetime(2026, 1, 1)).where(User.id == teacher_with_email.id).execute()
    from tutor import jobs  # noqa: F401 (declares the jobs)
    time_machine.move_to(moscow(2026, 12, 2, 0, 1), tick=False)
    ran = periodic.run_due()
    assert list(ran) == ["monthly_report", "activity_check", "old_days_off"]
    assert ran["monthly_report"] == {"messages": 1}
    assert Message.get(Message.kind == "monthly_report").idempotency_key == "report:2026-11"
    assert periodic.run_due() == {}

    time_machine.move_to(moscow(2026, 12, 3, 0, 1), tick=False)
    assert list(periodic.run_due()) == ["backup"]
    assert len(list((tmp_path / "backups").iterdir())) == 1
    assert {r.job for r in JobRun.select().where(JobRun.status == JobRun.OK)} == \
        {"monthly_report", "activity_check", "old_days_off", "backup"}


@pytest.mark.parametrize("locale, own_zone, expected", [
    ("ru", None, ["- 9–12 ноября", "- 30 октября – 2 ноября", "- 16 ноября, весь день"]),
    ("en", None, ["- 9–12 November", "- 30 October – 2 November",
                  "- 16 November, all day"]),
    # A teacher reading in another zone (travelling): the days off stay whole days,
    # named with the zone they are whole in, not hours cut across two dates.
    ("ru", "Europe/London", ["- 9–12 ноября (Москва, UTC+3)",
                             "- 16 ноября, весь день (Москва, UTC+3)"]),
    ("en", "Asia/Tokyo", ["- 16 November, all day (Moscow, UTC+3)"]),
])
def test_the_days_off_removed_are_said_as_a_person_says_them(
        app_ctx, teacher_with_email, time_machine, locale, own_zone, expected):
    time_machine.move_to(moscow(2026, 12, 2, 0, 5), tick=False)
    User.update(locale=locale, timezone=own_zone).where(
        User.id == teacher_with_email.id).execute()
    for start, end in [(moscow(2026, 11, 9), moscow(2026, 11, 13)),
                       (moscow(2026, 10, 30), moscow(2026, 11, 3)),
                       (moscow(2026, 11, 16), moscow(2026, 11, 17))]:
        UnavailableInterval.create(teacher=teacher_with_email, start=utc_naive(start),
                                   end=utc_naive(end))
    assert housekeeping.remove_old_days_off(moscow(2026, 12, 2, 0, 5)) == {"removed": 3}
    text = Message.get(Message.kind == "days_off_removed").body_text
    lines = text.splitlines()
    for line in expected:
        assert line in lines
    assert "00:00" not in text and "21:00" not in text and "UTC+0" not in text
