"""Backups: backup → wipe → restore gives every row back, on SQLite and PostgreSQL
and across the two; incomplete or newer files are refused; the monthly job keeps a
bounded number of files and sends the newest to the teacher."""
import gzip
import json
import re
import uuid
from datetime import datetime, time, timezone
from decimal import Decimal

import psycopg2
import pytest

from tests.conftest import POSTGRES_URL, postgres_schema_url
from tutor import migrate
from tutor.database import backend, open_database
from tutor.extensions import db
from tutor.integrations.attachments import Attachment
from tutor.models import (MODELS, AuditEntry, AvailabilityWindow, Broadcast, Goal, InboxItem,
                          JobRun, Lesson, Message, TeacherSettings, UnavailableInterval, User)
from tutor.services import backup, housekeeping, notify

NOW = datetime(2026, 12, 3, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def data(app_ctx, teacher, create_student):
    """One row or more in every table, with the awkward values: Cyrillic, decimals,
    times, NULLs, booleans."""
    goal = Goal.create(name="ЕГЭ по математике", position=1)
    Goal.create(name="Retired goal", position=2, retired=True)
    teacher.channel, teacher.email = User.EMAIL, "teacher@example.org"
    teacher.save()
    TeacherSettings.create(teacher=teacher, default_price=Decimal("1500.50"), buffer_minutes=10)
    student = create_student(goal=goal, channel=User.EMAIL, email="ivan@example.org",
                             digest_time=time(8, 30), timezone="Asia/Yekaterinburg",
                             last_login_at=datetime(2026, 11, 30, 12, 0, 0, 123456))
    create_student(telegram_username="petya", channel=User.TELEGRAM)
    AvailabilityWindow.create(teacher=teacher, weekday=0, start=time(9), end=time(17))
    UnavailableInterval.create(teacher=teacher, start=datetime(2026, 12, 31),
                               end=datetime(2027, 1, 2), reason="Новый год")
    Lesson.create(teacher=teacher, student=student, start=datetime(2026, 12, 5, 9),
                  end=datetime(2026, 12, 5, 10), status=Lesson.CONFIRMED,
                  price=Decimal("1500.50"), people=2, comment="Проверка «кавычек»")
    Lesson.create(teacher=teacher, student=student, start=datetime(2026, 12, 6, 9),
                  end=datetime(2026, 12, 6, 10))
    notify.enqueue(student, "welcome", key="welcome:1")
    notify.enqueue(teacher, "activity_check", {"deleted": [], "deactivated": []},
                   key="files:1", attachments=[Attachment("student-9.csv", b"\xef\xbb\xbf;\x00\xff",
                                                          "text/csv")])
    Broadcast.create(teacher=teacher, subject="Каникулы", body="Текст", recipients=2)
    AuditEntry.create(actor=teacher, action="goal.create", target_type="goals",
                      target_id=goal.id, after='{"name": "ЕГЭ"}')
    JobRun.create(job="backup", period="2026-11", status=JobRun.OK, counts='{"rows": 3}')
    return student


def snapshot(database):
    """Every row of every table a backup holds, as Python values, in id order (blobs
    as bytes, whichever database gave them)."""
    def plain(row):
        return {k: bytes(v) if isinstance(v, memoryview) else v for k, v in row.items()}
    with database.bind_ctx(MODELS):
        return {model._meta.table_name: [plain(row) for row in model.select().order_by(
            model._meta.primary_key).dicts()] for model in backup.ordered_models()}


@pytest.fixture
def other_database(app_ctx, tmp_path):
    """An empty database of the other kind: PostgreSQL when the test runs on SQLite
    and SQLite when it runs on PostgreSQL (SQLite again when no PostgreSQL is set)."""
    if backend(db.database) == "sqlite" and POSTGRES_URL:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg2.connect(POSTGRES_URL) as conn, conn.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {schema}")
        database = open_database(postgres_schema_url(schema))
        yield database
        database.close()
        conn = psycopg2.connect(POSTGRES_URL)
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA {schema} CASCADE")
        conn.close()
    else:
        database = open_database(f"sqlite:///{tmp_path / 'other.db'}")
        yield database
        database.close()


def test_backup_wipe_restore_gives_every_row_back(data, tmp_path):
    before = snapshot(db.database)
    path, counts = backup.make_backup(db.database, tmp_path, NOW)
    assert counts["lessons"] == 2 and counts["users"] == 3 and counts["job_runs"] == 1
    assert re.fullmatch(r"tutor-backup-2026-12-03T010000Z-[0-9a-f]{8}\.jsonl\.gz", path.name)
    assert counts["stored_files"] == 1 and counts["inbox"] == 2

    with db.database.atomic():
        for model in reversed(backup.ordered_models()):
            model.delete().execute()
    assert User.select().count() == 0

    assert backup.restore_backup(db.database, path) == counts
    assert snapshot(db.database) == before
    # New rows get fresh ids after a restore (PostgreSQL sequences are moved on).
    assert Goal.create(name="После восстановления").id > max(g["id"] for g in before["goals"])


def test_a_backup_restores_into_the_other_kind_of_database_and_back(data, tmp_path,
                                                                    other_database):
    before = snapshot(db.database)
    there, _ = backup.make_backup(db.database, tmp_path / "a", NOW)
    backup.restore_backup(other_database, there)
    assert snapshot(other_database) == before

    back, _ = backup.make_backup(other_database, tmp_path / "b", NOW)
    with db.database.atomic():
        for model in reversed(backup.ordered_models()):
            model.delete().execute()
    backup.restore_backup(db.database, back)
    assert snapshot(db.database) == before


def test_restore_replaces_what_is_there(data, tmp_path):
    path, _ = backup.make_backup(db.database, tmp_path, NOW)
    before = snapshot(db.database)
    Goal.create(name="Added after the backup")
    Lesson.delete().execute()
    backup.restore_backup(db.database, path)
    assert snapshot(db.database) == before


def test_a_truncated_backup_is_refused_and_nothing_changes(data, tmp_path):
    path, _ = backup.make_backup(db.database, tmp_path, NOW)
    lines = gzip.open(path, "rt", encoding="utf-8").read().splitlines()
    cut = tmp_path / "cut.jsonl.gz"
    with gzip.open(cut, "wt", encoding="utf-8") as out:
        out.write("\n".join(lines[:-3]) + "\n")
    before = snapshot(db.database)
    with pytest.raises(backup.BackupError, match="incomplete"):
        backup.restore_backup(db.database, cut)
    (tmp_path / "junk.gz").write_bytes(b"not a backup")
    with pytest.raises(backup.BackupError):
        backup.restore_backup(db.database, tmp_path / "junk.gz")
    assert snapshot(db.database) == before


def test_a_backup_from_a_newer_schema_is_refused(data, tmp_path):
    path, _ = backup.make_backup(db.database, tmp_path, NOW)
    lines = gzip.open(path, "rt", encoding="utf-8").read().splitlines()
    manifest = json.loads(lines[0])
    manifest["migrations"].append("9999_from_the_future")
    newer = tmp_path / "newer.jsonl.gz"
    with gzip.open(newer, "wt", encoding="utf-8") as out:
        out.write("\n".join([json.dumps(manifest), *lines[1:]]) + "\n")
    with pytest.raises(backup.BackupError, match="newer version"):
        backup.restore_backup(db.database, newer)
    assert Lesson.select().count() == 2


def test_login_sessions_are_not_restored_and_an_older_backup_names_columns_as_it_did(
        data, tmp_path):
    """A restore ends every login (sessions ended since the backup stay ended); a
    backup made before migration 0018 has users.session_version, now reset_version."""
    from tutor.models import LoginSession, User
    from tutor.services import accounts

    accounts.start_session(User.get(User.login == "teacher"))
    User.update(reset_version=3).execute()
    path, counts = backup.make_backup(db.database, tmp_path, NOW)
    assert "login_sessions" not in counts
    lines = gzip.open(path, "rt", encoding="utf-8").read().splitlines()
    older = tmp_path / "older.jsonl.gz"
    with gzip.open(older, "wt", encoding="utf-8") as out:
        out.write("\n".join(line.replace('"reset_version"', '"session_version"')
                            for line in lines) + "\n")
    assert "session_version" in gzip.open(older, "rt", encoding="utf-8").read()
    User.update(reset_version=0).execute()
    backup.restore_backup(db.database, older)
    assert {u.reset_version for u in User.select()} == {3}
    assert LoginSession.select().count() == 0


def test_restore_into_an_empty_database_builds_the_schema_first(data, tmp_path):
    path, _ = backup.make_backup(db.database, tmp_path, NOW)
    empty = open_database(f"sqlite:///{tmp_path / 'empty.db'}")
    backup.restore_backup(empty, path)
    assert [m.name for m in migrate.available()] == migrate.applied(empty)
    assert snapshot(empty)["lessons"] == snapshot(db.database)["lessons"]
    empty.close()


def test_the_monthly_backup_keeps_a_bounded_number_and_sends_the_newest(data, app, tmp_path):
    app.config.update(BACKUP_DIR=str(tmp_path / "backups"), BACKUP_KEEP=2)
    for day in (1, 2, 3):
        counts = housekeeping.send_backup(datetime(2026, 12, day, tzinfo=timezone.utc))
        assert counts["rows"] > 10 and counts["bytes"] > 0
    kept = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert [name[:31] for name in kept] == ["tutor-backup-2026-12-02T000000Z",
                                            "tutor-backup-2026-12-03T000000Z"]
    # The inbox keeps a notice of each, and the files of the newest BACKUP_KEEP.
    notices = list(InboxItem.select().where(InboxItem.kind == "backup").order_by(InboxItem.id))
    assert len(notices) == 3
    assert [[f.filename for f in item.files] for item in notices] == [[], [kept[0]], [kept[1]]]
    # A backup holds no earlier backup's file (each would hold all before it).
    _, tables = backup.read_backup(tmp_path / "backups" / kept[-1])
    stored_names = tables["stored_files"][0].index("filename")
    assert [row[stored_names] for row in tables["stored_files"][1]] == ["student-9.csv"]
    sent = Message.select().where(Message.kind == "backup").order_by(Message.id)
    assert sent.count() == 3
    newest = sent[-1]
    assert newest.user.is_teacher
    assert re.search(r"во вложении \(\d+(,\d)? кБ\)", newest.body_text), newest.body_text
    assert [a.filename for a in _attachments(newest)] == [kept[-1]]
    assert _attachments(newest)[0].content == (tmp_path / "backups" / kept[-1]).read_bytes()


def _attachments(message):
    from tutor.services.outbox_backends import attachments_of
    return attachments_of(message)


def test_backup_and_restore_commands(data, runner, tmp_path):
    result = runner.invoke(args=["backup", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    path = next((tmp_path / "out").iterdir())
    before = snapshot(db.database)
    Lesson.delete().execute()

    refused = runner.invoke(args=["restore", str(path)], input="n\n")
    assert refused.exit_code != 0 and Lesson.select().count() == 0
    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert "lessons: 2" in result.output
    assert snapshot(db.database) == before

    (tmp_path / "bad.gz").write_bytes(b"nope")
    result = runner.invoke(args=["restore", str(tmp_path / "bad.gz"), "--yes"])
    assert result.exit_code == 1 and "cannot be read" in result.output
