"""Prometheus metrics. Request counts and latency are recorded per process (in
gunicorn's multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set); lesson and
outbox figures are read from the database at scrape time."""
import os
import time

from flask import g, request
from peewee import fn
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

REQUESTS = Counter("tutor_http_requests_total", "HTTP requests handled",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("tutor_http_request_duration_seconds", "Time to answer a request",
                    ["endpoint"], buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))


class DatabaseCollector:
    """Lessons by status and the outbox by status, counted when Prometheus scrapes."""

    def collect(self):
        from tutor.models import Lesson, Message

        lessons = GaugeMetricFamily("tutor_lessons", "Lessons by status", labels=["status"])
        for status in Lesson.STATUSES:
            lessons.add_metric([status], 0)
        for status, count in (Lesson.select(Lesson.status, fn.COUNT(Lesson.id))
                              .group_by(Lesson.status).tuples()):
            lessons.add_metric([status], count)
        yield lessons

        outbox = GaugeMetricFamily("tutor_outbox_messages", "Outbox messages by status",
                                   labels=["status"])
        for status, count in (Message.select(Message.status, fn.COUNT(Message.id))
                              .group_by(Message.status).tuples()):
            outbox.add_metric([status], count)
        yield outbox


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
        if endpoint not in ("static", "ops.metrics"):
            REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
            LATENCY.labels(endpoint).observe(time.perf_counter() - g.get("metrics_started",
                                                                         time.perf_counter()))
        return response
