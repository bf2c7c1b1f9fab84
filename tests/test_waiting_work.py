"""Work a request asks for is saved in the database before the request answers, and a
consumer does it: "Forgot password", the Jobs page's "Run now", Telegram updates and a
student's data export lose nothing while the task queue (Redis) is down, and are done
once a consumer runs."""
import logging
import os
import signal
import subprocess
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from huey import RedisHuey

from tests.conftest import STUDENT_PASSWORD
from tests.fake_telegram import WEBHOOK_SECRET, message_update, telegram  # noqa: F401
from tests.processes import CONSUMER, ROOT, free_port, start_consumer, waited
from tutor import jobs
from tutor.models import InboxItem, JobRun, Message, TelegramUpdate, User, WorkRequest
from tutor.queue import huey
from tutor.services import telegram_bot, work


@pytest.fixture
def redis_down(monkeypatch):
    """The app's queue is Redis on a port of 127.0.0.1 where nothing listens."""
    port = free_port()
    closed = RedisHuey("tutor", url=f"redis://127.0.0.1:{port}/0")
    monkeypatch.setattr(huey, "_immediate", False)
    monkeypatch.setattr(huey, "storage", closed.storage)
    return port


def waiting(app, kind=None):
    with app.app_context():
        query = WorkRequest.select()
        if kind:
            query = query.where(WorkRequest.kind == kind)
        return list(query)


def consumer_runs(app):
    """What a consumer's every-minute check does once it can run."""
    with app.app_context():
        return jobs.check_waiting_work.call_local()


def test_forgot_password_with_redis_down_is_saved_and_sent_later(app, client, maria,
                                                                 redis_down, caplog):
    client.submit("/language/en")
    with caplog.at_level(logging.WARNING, logger="tutor.jobs"):
        response = client.submit("/forgot", {"identifier": "maria"})
    assert response.status_code == 302
    assert "a link to set a new password has been sent" in client.get("/login").text
    assert "the work waits in the database" in caplog.text
    [saved] = waiting(app, work.PASSWORD_RESET)
    assert saved.key is None and "maria" in saved.payload
    with app.app_context():
        assert Message.select().where(Message.kind == "password_reset").count() == 0

    assert consumer_runs(app) == {"done": 1, "retried": 0, "failed": 0}
    with app.app_context():
        reset = Message.get(Message.kind == "password_reset")
        assert reset.address == "maria@example.org" and "/reset/" in reset.body_text
    assert waiting(app) == []


def test_run_now_with_redis_down_runs_once_then_again_on_purpose(app, client, auth, teacher,
                                                                  redis_down, time_machine):
    time_machine.move_to(datetime(2026, 12, 10, 9, 0, tzinfo=timezone.utc), tick=False)
    auth.login()
    client.submit("/language/en")
    # Pressed twice (two hosts, or twice on one): one run is asked for.
    assert client.submit("/teacher/jobs/old_days_off/run",
                         page="/teacher/jobs").status_code == 302
    assert "is started" in client.get("/teacher/jobs").text
    client.submit("/teacher/jobs/old_days_off/run", page="/teacher/jobs")
    assert "has been asked for already" in client.get("/teacher/jobs").text
    assert len(waiting(app, work.RUN_JOB)) == 1

    consumer_runs(app)
    with app.app_context():
        runs = list(JobRun.select().where(JobRun.job == "old_days_off"))
    assert [(run.manual, run.status) for run in runs] == [(True, JobRun.OK)]

    # Done this month already: a further press is a re-run, and says so.
    client.submit("/teacher/jobs/old_days_off/run", page="/teacher/jobs")
    assert "has already run this month; it is run again" in client.get("/teacher/jobs").text
    consumer_runs(app)
    with app.app_context():
        assert JobRun.select().where(JobRun.job == "old_days_off",
                                     JobRun.status == JobRun.OK).count() == 2


def test_a_telegram_update_with_redis_down_is_kept_and_handled(app, client, telegram,
                                                               create_student, redis_down):
    maria = create_student(login="maria", channel=User.TELEGRAM, locale="en")
    with app.app_context():
        token = parse_qs(urlsplit(telegram_bot.make_link(maria)).query)["start"][0]
    update = message_update(10, f"/start {token}")
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    assert client.post("/telegram/webhook", json=update, headers=headers).status_code == 200
    # Telegram sends it again (it did not hear our answer): still one to handle.
    assert client.post("/telegram/webhook", json=update, headers=headers).status_code == 200
    assert len(waiting(app, work.TELEGRAM_UPDATE)) == 1
    assert telegram.sent == []

    consumer_runs(app)
    with app.app_context():
        assert User.by_login("maria").telegram_chat_id is not None
        assert TelegramUpdate.select().count() == 1
    assert len(telegram.sent) == 1 and "linked to your account maria" in telegram.sent[0]["text"]


def test_a_data_export_with_redis_down_is_saved_and_made_later(app, client, auth, maria,
                                                               redis_down):
    auth.login("maria", STUDENT_PASSWORD)
    response = client.submit("/account/export", page="/account")
    assert response.status_code == 302
    [saved] = waiting(app, work.DATA_EXPORT)
    with app.app_context():
        assert InboxItem.select().where(InboxItem.kind == "data_export").count() == 0
    consumer_runs(app)
    with app.app_context():
        assert InboxItem.get(InboxItem.kind == "data_export").user_id == maria.id
    assert waiting(app) == []


def test_work_that_fails_is_retried_and_given_up_at_the_limit(app, app_ctx, time_machine,
                                                              monkeypatch):
    time_machine.move_to(datetime(2026, 12, 10, 9, 0), tick=False)
    calls = []

    def broken(payload):
        calls.append(payload)
        raise RuntimeError("the bot's answer could not be built")

    monkeypatch.setitem(work.HANDLERS, work.TELEGRAM_UPDATE, broken)
    work.receive_telegram_update(message_update(11, "/today"))
    work.run_job_now("old_days_off")  # after it, and done in the same run
    counts = work.run_due()
    assert (counts.done, counts.retried, counts.failed) == (1, 1, 0)
    [left] = WorkRequest.select()
    assert left.attempts == 1 and "RuntimeError" in left.last_error and not left.failed
    assert work.run_due().retried == 0  # not before its backoff
    for _ in range(work.MAX_ATTEMPTS - 1):
        time_machine.move_to(WorkRequest.get_by_id(left.id).due_at, tick=False)
        work.run_due()
    given_up = WorkRequest.get_by_id(left.id)
    assert given_up.failed and given_up.attempts == work.MAX_ATTEMPTS
    assert work.failed() == [given_up] and len(calls) == work.MAX_ATTEMPTS
    assert given_up.key is None  # given up: the same update may come again
    time_machine.move_to(datetime(2026, 12, 11, 9, 0), tick=False)
    assert work.run_due().done == 0 and len(calls) == work.MAX_ATTEMPTS


@pytest.mark.slow
def test_a_consumer_that_starts_does_what_waits(app, client, maria, redis_down, test_config,
                                                tmp_path):
    client.submit("/forgot", {"identifier": "maria@example.org"})
    assert len(waiting(app, work.PASSWORD_RESET)) == 1

    def sent():
        with app.app_context():
            return Message.select().where(Message.kind == "password_reset").exists()

    process = start_consumer(test_config, tmp_path)
    try:
        done = waited(lambda: sent() and not waiting(app), timeout=30)
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0]
    assert done, output  # its scheduler's first check did it, nothing woke it


def test_two_consumers_never_take_the_same_request(app_ctx, time_machine):
    time_machine.move_to(datetime(2026, 12, 10, 9, 0), tick=False)
    saved = work.run_job_now("old_days_off")
    first, second = WorkRequest.get_by_id(saved.id), WorkRequest.get_by_id(saved.id)
    assert work._claim(first) is True
    assert work._claim(second) is False  # read the same row, came second


def test_a_request_whose_workers_keep_dying_is_given_up(app_ctx, time_machine, monkeypatch):
    time_machine.move_to(datetime(2026, 12, 10, 9, 0), tick=False)
    calls = []
    monkeypatch.setitem(work.HANDLERS, work.RUN_JOB, calls.append)
    saved = work.run_job_now("old_days_off")
    # Its last attempt's worker was killed: the lease has run out.
    WorkRequest.update(attempts=work.MAX_ATTEMPTS).where(WorkRequest.id == saved.id).execute()
    assert work.run_due().failed == 1 and calls == []
    left = WorkRequest.get_by_id(saved.id)
    assert left.failed and "interrupted" in left.last_error


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of the test's own on a free port, which it can stop and start."""
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(tmp_path)]

    class Server:
        url = f"redis://127.0.0.1:{port}/0"
        process = None

        def start(self):
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            assert waited(self.answers, timeout=10)

        def stop(self):
            self.process.terminate()
            self.process.wait(timeout=10)

        def answers(self):
            try:
                return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
            except redis.ConnectionError:
                return False

    server = Server()
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.mark.slow
def test_redis_stopped_and_started_again_loses_no_password_reset(
        app, client, create_student, own_redis, test_config, tmp_path, monkeypatch):
    for login in ("anna", "boris", "vera"):
        create_student(login=login, channel=User.EMAIL, email=f"{login}@example.org")
    monkeypatch.setattr(huey, "_immediate", False)
    monkeypatch.setattr(huey, "storage", RedisHuey("tutor", url=own_redis.url).storage)
    env = {**os.environ, "DATABASE_URL": test_config["DATABASE_URL"],
           "INSTANCE_PATH": str(tmp_path / "consumer"), "SECRET_KEY": "work",
           "REDIS_URL": own_redis.url, "EMAIL_BACKEND": "console"}
    consumer = subprocess.Popen([str(CONSUMER), "tasks.huey", "-w", "2", "-k", "thread",
                                 "-d", "0.05", "-m", "0.5"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def resets():
        with app.app_context():
            return sorted(m.address for m in
                          Message.select().where(Message.kind == "password_reset"))

    try:
        client.submit("/forgot", {"identifier": "anna"})  # Redis up: woken at once
        assert waited(lambda: resets() == ["anna@example.org"] and not waiting(app),
                      timeout=30)

        own_redis.stop()
        assert client.get("/readyz").get_json()["status"] == "degraded"
        assert client.submit("/forgot", {"identifier": "boris"}).status_code == 302
        assert [w.kind for w in waiting(app)] == [work.PASSWORD_RESET]

        own_redis.start()  # empty: what was queued in it is gone, the database kept it
        client.submit("/forgot", {"identifier": "vera"})
        assert waited(lambda: resets() == ["anna@example.org", "boris@example.org",
                                           "vera@example.org"], timeout=30)
        assert waiting(app) == []
    finally:
        consumer.send_signal(signal.SIGINT)
        output = consumer.communicate(timeout=30)[0]
    assert resets() == ["anna@example.org", "boris@example.org", "vera@example.org"], output


def test_a_request_whose_consumer_was_killed_is_done_after_the_lease(app_ctx, time_machine,
                                                                      monkeypatch):
    time_machine.move_to(datetime(2026, 12, 10, 9, 0), tick=False)
    calls = []
    monkeypatch.setitem(work.HANDLERS, work.RUN_JOB, calls.append)
    saved = work.run_job_now("old_days_off")
    assert work._claim(WorkRequest.get_by_id(saved.id))  # taken, then its consumer died
    assert work.run_due().done == 0  # another consumer leaves it while the lease lasts
    time_machine.move_to(datetime(2026, 12, 10, 9, 0) + work.LEASE, tick=False)
    assert work.run_due().done == 1 and calls == [{"job": "old_days_off"}]
    assert WorkRequest.select().count() == 0


def test_work_given_up_is_shown_to_the_teacher_until_the_purge_takes_it(
        app, client, auth, teacher, time_machine, monkeypatch):
    time_machine.move_to(datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc), tick=False)

    def broken(payload):
        raise RuntimeError("the bot's answer could not be built")

    monkeypatch.setitem(work.HANDLERS, work.TELEGRAM_UPDATE, broken)
    with app.app_context():
        saved = work.receive_telegram_update(message_update(12, "/week"))
        WorkRequest.update(attempts=work.MAX_ATTEMPTS - 1).execute()
        assert work.run_due().failed == 1
    auth.login()  # Russian: a new install's default
    page = client.get("/teacher/jobs").text
    assert "Запросы, которые не удалось выполнить" in page and "Сообщение Telegram-боту" in page
    assert "RuntimeError: the bot&#39;s answer could not be built" in page

    with app.app_context():
        # A purge in November keeps November's records; December's takes them.
        from tutor.services import housekeeping
        assert housekeeping.purge_records(
            datetime(2026, 11, 21, 3, 0, tzinfo=timezone.utc))["work"] == 0
        assert work.failed() == [WorkRequest.get_by_id(saved.id)]
        assert housekeeping.purge_records(
            datetime(2026, 12, 14, 3, 0, tzinfo=timezone.utc))["work"] == 1
        assert work.failed() == []
        notice = Message.select().where(Message.kind == "records_purged").order_by(
            Message.id.desc()).first()
        assert "1 запрос, который не удалось выполнить" in notice.body_text
    page = client.get("/teacher/jobs").text
    assert "Невыполненных запросов нет." in page
