"""For the people and machines that run tutor: liveness, readiness, metrics."""
import hmac
import ipaddress

from flask import Blueprint, abort, current_app, jsonify, request

from tutor import metrics
from tutor.extensions import db
from tutor.queue import huey

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up and answering."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """The database and the task queue answer; 503 otherwise, so a proxy or an
    orchestrator stops sending traffic here."""
    checks = {}
    try:
        with db.database.connection_context():
            db.database.execute_sql("SELECT 1").fetchone()
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 (any failure means not ready)
        current_app.logger.warning("readiness: database: %s", error)
        checks["database"] = "unavailable"
    try:
        huey.storage.queue_size()
        checks["queue"] = "ok"
    except Exception as error:  # noqa: BLE001
        current_app.logger.warning("readiness: queue: %s", error)
        checks["queue"] = "unavailable"
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if ready else "unavailable", **checks), 200 if ready else 503


def _allowed():
    token = current_app.config["METRICS_TOKEN"]
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    allowed = [part.strip() for part in current_app.config["METRICS_ALLOW"].split(",")
               if part.strip()]
    try:
        remote = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(remote in ipaddress.ip_network(net, strict=False) for net in allowed)


@bp.get("/metrics")
def metrics_endpoint():
    if not _allowed():
        abort(403)
    return metrics.scrape(), 200, {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
