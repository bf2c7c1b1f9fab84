"""Logging: JSON lines for Loki/Promtail in production, readable text in development.
Every record carries the request id and the user id when there is a request; nothing
secret is logged (forms are never logged, only method, path and status)."""
import json
import logging
import logging.handlers
import time
import uuid
from pathlib import Path

from flask import g, has_request_context, request
from flask_login import current_user

FIELDS = ("request_id", "user_id", "method", "path", "status", "duration_ms")


class RequestContext(logging.Filter):
    """Adds the request id and user id to every record made inside a request."""

    def filter(self, record):
        if has_request_context():
            record.request_id = getattr(g, "request_id", None)
            user = current_user._get_current_object() if g.get("_login_user") else None
            record.user_id = getattr(user, "id", None)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                    + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(app):
    """Request ids and request lines for the app; the root logger's handlers once
    per process (tests keep pytest's)."""
    _install_request_hooks(app)
    root = logging.getLogger()
    if app.testing or getattr(root, "_tutor_configured", False):
        return
    json_logs = (app.config["LOG_FORMAT"] or
                 ("json" if app.config["ENV_NAME"] == "production" else "text")) == "json"
    formatter = JsonFormatter() if json_logs else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers = [logging.StreamHandler()]
    if app.config["LOG_FILE"]:
        Path(app.config["LOG_FILE"]).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.handlers.TimedRotatingFileHandler(
            app.config["LOG_FILE"], when="midnight", backupCount=60, encoding="utf-8"))
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(RequestContext())
        root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    root._tutor_configured = True


def _install_request_hooks(app):
    log = logging.getLogger("tutor.requests")

    @app.before_request
    def start_request():
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() \
            else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        if request.endpoint != "static":
            path = loggable_path()
            log.info("%s %s %s", request.method, path, response.status_code, extra={
                "method": request.method, "path": path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - g.get("request_started",
                                                                   time.perf_counter())) * 1000, 1),
            })
        return response


def loggable_path():
    """The request path with URL tokens (a password-reset link's, say) blanked: a
    log line must not be a working link."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if "token" in name and isinstance(value, str) and value:
            path = path.replace(value, f"<{name}>")
    return path
