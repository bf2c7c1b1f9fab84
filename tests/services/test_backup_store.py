"""Backups kept where every host finds them: in an S3-compatible bucket (a local S3
server, moto's, on a free port of 127.0.0.1) or in a folder the hosts share. Any host
makes, lists and restores them, and two backups in one second are two files."""
import logging
from datetime import datetime, timezone

import pytest
import requests
from moto.server import ThreadedMotoServer

from tutor.models import InboxItem, Lesson, Message, StoredFile
from tutor.services import backup, backup_store, housekeeping

NOW = datetime(2026, 12, 3, 1, 0, tzinfo=timezone.utc)
BUCKET = "tutor-backups"


@pytest.fixture
def s3_server():
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    requests.post(f"http://{host}:{port}/moto-api/reset", timeout=10)  # its state is global
    server.stop()


@pytest.fixture
def bucket(app, s3_server):
    """The app's backups in a bucket of the local S3 server (a prefix, as when the
    bucket is shared with other things)."""
    app.config.update(BACKUP_S3_BUCKET=BUCKET, BACKUP_S3_PREFIX="tutor/",
                      BACKUP_S3_ENDPOINT_URL=s3_server, BACKUP_S3_REGION="us-east-1",
                      BACKUP_S3_ACCESS_KEY_ID="test", BACKUP_S3_SECRET_ACCESS_KEY="test",
                      BACKUP_DIR="/nonexistent/not-used", BACKUP_KEEP=2)
    client = backup_store.s3_client(app.config)
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key="tutor/notes.txt", Body=b"not a backup")
    client.put_object(Bucket=BUCKET, Key="elsewhere/tutor-backup-x.jsonl.gz", Body=b"")
    return client


def keys(client):
    return sorted(item["Key"] for item in
                  client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_the_monthly_backup_goes_to_the_bucket_named_uniquely_and_kept_bounded(
        app_ctx, teacher, create_student, bucket, time_machine):
    create_student(login="anna")
    time_machine.move_to(NOW, tick=False)
    # Two hosts in the same second: two names, two objects, two messages.
    made = [housekeeping.send_backup(NOW) for _ in range(2)]
    assert all(counts["rows"] >= 2 and counts["bytes"] > 0 for counts in made), made
    stored = backup_store.configured().list()
    assert len({s.name for s in stored}) == 2
    assert all(s.name.startswith("tutor-backup-2026-12-03T010000Z-") for s in stored), stored
    assert keys(bucket) == sorted(["elsewhere/tutor-backup-x.jsonl.gz", "tutor/notes.txt",
                                   *[f"tutor/{s.name}" for s in stored]])
    sent = list(Message.select().where(Message.kind == "backup").order_by(Message.id))
    assert len({m.idempotency_key for m in sent}) == 2
    # A month later: the newest BACKUP_KEEP (2) stay in the bucket and in the inbox.
    later = datetime(2027, 1, 3, 1, 0, tzinfo=timezone.utc)
    time_machine.move_to(later, tick=False)
    housekeeping.send_backup(later)
    stored = backup_store.configured().list()
    assert len(stored) == 2 and stored[-1].name.startswith("tutor-backup-2027-01-03T010000Z-")
    assert len(keys(bucket)) == 4  # the two others are not ours
    files = [f.filename for f in StoredFile.select().join(InboxItem)
             .where(InboxItem.kind == "backup")]
    assert len(files) == 2 and stored[-1].name in files
    with backup_store.configured().fetch(stored[-1].name) as path:
        manifest, tables = backup.read_backup(path)
        kept = StoredFile.get(StoredFile.filename == stored[-1].name)
        assert path.read_bytes() == bytes(kept.content)
    assert len(tables["users"][1]) == 2


def test_any_host_lists_and_restores_a_backup_from_the_bucket_by_name(
        app, teacher, create_student, bucket, runner, tmp_path):
    with app.app_context():
        student = create_student(login="anna")
        Lesson.create(teacher=teacher, student=student, start=datetime(2026, 12, 5, 9),
                      end=datetime(2026, 12, 5, 10))
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    name = result.output.split()[0]
    assert f"in s3://{BUCKET}/tutor/" in result.output
    assert not (tmp_path / "instance" / "backups").exists()  # nothing kept on this host

    listed = runner.invoke(args=["backups"])
    assert listed.exit_code == 0 and listed.output.split()[0] == name
    assert "notes.txt" not in listed.output

    with app.app_context():
        Lesson.delete().execute()
    restored = runner.invoke(args=["restore", name, "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "lessons: 1" in restored.output
    with app.app_context():
        assert Lesson.select().count() == 1

    missing = runner.invoke(args=["restore", "tutor-backup-nope.jsonl.gz", "--yes"])
    assert missing.exit_code == 1
    assert f"neither a file nor a backup in s3://{BUCKET}/tutor/" in missing.output


def test_hosts_sharing_a_backup_folder_see_each_others_backups(app, teacher, runner,
                                                                tmp_path, time_machine):
    shared = tmp_path / "shared-backups"
    app.config.update(BACKUP_DIR=str(shared))
    time_machine.move_to(NOW, tick=False)
    first = runner.invoke(args=["backup"]).output.split()[0]
    second = runner.invoke(args=["backup"]).output.split()[0]
    assert first != second  # the same second on two hosts: two files
    listed = runner.invoke(args=["backups"]).output
    assert first in listed and second in listed
    assert runner.invoke(args=["restore", second, "--yes"]).exit_code == 0
    assert runner.invoke(args=["restore", "../secret_key", "--yes"]).exit_code == 1
