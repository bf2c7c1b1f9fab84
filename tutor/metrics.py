"""Prometheus metrics. Request counts and latency are recorded per process (in
gunicorn's multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set); lesson and
outbox figures are read from the database at scrape time."""
import os
import time
from datetime import timezone

from flask import g, request
from peewee import fn
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

REQUESTS = Counter("tutor_http_requests_total", "HTTP requests handled",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("tutor_http_request_duration_seconds", "Time to answer a request",
                    ["endpoint"], buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))
RENDERED_CACHE = Counter("tutor_rendered_cache_lookups_total",
                         "Lookups of kept HTML (calendar weeks): found or rendered anew",
                         ["result"])


class DatabaseCollector:
    """Lessons and outbox messages by status, and each periodic job's last run,
    read when Prometheus scrapes."""

    def collect(self):
        from tutor.models import JobRun, JobState, Lesson, Message

        yield _by_status("tutor_lessons", "Lessons by status", Lesson, Lesson.STATUSES)
        yield _by_status("tutor_outbox_messages", "Outbox messages by status", Message,
                         (Message.PENDING, Message.SENDING, Message.SENT, Message.FAILED,
                          Message.HELD))

        # "job_name", not "job": Prometheus gives every scraped series its own "job".
        success = GaugeMetricFamily("tutor_job_last_success_timestamp_seconds",
                                    "When each periodic job last succeeded (Unix time)",
                                    labels=["job_name"])
        failing = GaugeMetricFamily("tutor_job_last_run_failed",
                                    "1 when the job's latest run failed", labels=["job_name"])
        for state in JobState.select():
            if state.last_success_at is not None:
                success.add_metric([state.job], _timestamp(state.last_success_at))
            failing.add_metric([state.job], int(state.last_status == JobRun.FAILED))
        yield success
        yield failing


def _by_status(name, documentation, model, statuses):
    """One sample per status, zero included, so an alert on "failed > 0" has a series."""
    counts = dict.fromkeys(statuses, 0)
    counts.update(model.select(model.status, fn.COUNT(model.id)).group_by(model.status).tuples())
    family = GaugeMetricFamily(name, documentation, labels=["status"])
    for status, count in counts.items():
        family.add_metric([status], count)
    return family


def _timestamp(naive_utc):
    return naive_utc.replace(tzinfo=timezone.utc).timestamp()


def scrape():
    """The exposition text for /metrics."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(DatabaseCollector())
    return generate_latest(registry)


def register(app):
    @app.before_request
    def start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def record(response):
        endpoint = request.endpoint or "unmatched"
        if endpoint not in ("static", "ops.metrics_endpoint"):
            REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
            LATENCY.labels(endpoint).observe(time.perf_counter() - g.get("metrics_started",
                                                                         time.perf_counter()))
        return response
