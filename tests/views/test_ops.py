"""Health, readiness, metrics, security headers and JSON logs."""
import json
import logging

import pytest

from tutor import logs
from tutor.models import Lesson


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_checks_database_and_queue(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "queue": "ok"}


def test_readyz_fails_when_the_database_is_unreachable(tmp_path, monkeypatch):
    from tutor import create_app

    monkeypatch.setenv("SECRET_KEY", "x")
    missing = tmp_path / "no" / "such" / "dir"
    app = create_app({"TESTING": True, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
                      "INSTANCE_PATH": str(missing)})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unavailable"


def test_metrics_from_localhost(client, teacher):
    client.get("/")
    text = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).text
    assert 'tutor_http_requests_total{endpoint="calendar.week",method="GET",status="200"}' in text
    assert "tutor_http_request_duration_seconds_bucket" in text
    assert 'tutor_lessons{status="pending"} 0.0' in text
    assert 'tutor_outbox_messages{status="failed"} 0.0' in text
    assert 'endpoint="ops.metrics_endpoint"' not in text


def test_metrics_count_each_status_once_and_show_the_jobs(client, app, teacher, create_student):
    from datetime import datetime

    from tutor.models import JobState, Lesson
    with app.app_context():
        student = create_student()
        for hour in (9, 11):
            Lesson.create(teacher=teacher, student=student, start=datetime(2026, 12, 1, hour),
                          end=datetime(2026, 12, 1, hour + 1))
        JobState.create(job="backup", last_status="ok",
                        last_success_at=datetime(2026, 12, 3, 0, 0, 5))
        JobState.create(job="purge_records", last_status="failed")
    text = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).text
    assert [line for line in text.splitlines() if line.startswith("tutor_lessons{")] == \
        ['tutor_lessons{status="pending"} 2.0', 'tutor_lessons{status="confirmed"} 0.0']
    assert 'tutor_job_last_success_timestamp_seconds{job_name="backup"} 1.796256005e+09' in text
    assert 'tutor_job_last_run_failed{job_name="purge_records"} 1.0' in text
    assert 'tutor_job_last_run_failed{job_name="backup"} 0.0' in text


def test_metrics_refused_to_strangers(client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 403


@pytest.mark.config(METRICS_TOKEN="s3cret")
def test_metrics_with_a_token(client):
    local = {"REMOTE_ADDR": "127.0.0.1"}
    assert client.get("/metrics", environ_base=local).status_code == 403
    assert client.get("/metrics", environ_base=local,
                      headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_security_headers(client):
    headers = client.get("/login").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers


@pytest.mark.config(SESSION_COOKIE_SECURE=True, YANDEX_METRIKA_ID="12345")
def test_hsts_and_metrika_only_when_configured(client):
    headers = client.get("/login").headers
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    policy = dict(part.split(" ", 1) for part in headers["Content-Security-Policy"].split("; "))
    assert policy["script-src"] == "'self' https://mc.yandex.ru https://yastatic.net"
    assert policy["img-src"] == "'self' data: https://mc.yandex.ru"
    assert policy["connect-src"] == "'self' https://mc.yandex.ru wss://mc.yandex.ru"
    assert policy["frame-src"] == "'self' blob: https://mc.yandex.ru"


def test_without_a_counter_the_policy_names_no_yandex_host(client):
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert "yandex" not in policy and "yastatic" not in policy and "frame-src" not in policy


def test_request_log_lines_are_json_with_the_request_id(client, caplog):
    handler = logging.Handler()
    records = []
    handler.emit = records.append
    handler.addFilter(logs.RequestContext())
    logger = logging.getLogger("tutor.requests")
    logger.addHandler(handler)
    try:
        with caplog.at_level(logging.INFO, logger="tutor.requests"):
            response = client.get("/login", headers={"X-Request-Id": "req-42"})
    finally:
        logger.removeHandler(handler)
    assert response.headers["X-Request-Id"] == "req-42"
    entry = json.loads(logs.JsonFormatter().format(records[-1]))
    assert entry["request_id"] == "req-42"
    assert entry["path"] == "/login" and entry["status"] == 200 and entry["method"] == "GET"
    assert "password" not in json.dumps(entry)


def test_no_counter_unless_configured(client):
    assert "metrika.js" not in client.get("/login").text


@pytest.mark.config(YANDEX_METRIKA_ID="98765")
def test_the_counter_loads_from_our_own_file(client):
    page = client.get("/login").text
    assert 'src="/static/js/metrika.js" data-counter="98765"' in page
    assert "<script>" not in page
