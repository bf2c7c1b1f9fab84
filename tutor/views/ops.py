"""For the people and machines that run tutor: liveness, readiness, metrics."""
import hmac
import ipaddress

from flask import Blueprint, abort, current_app, jsonify, request

from tutor import metrics
from tutor.extensions import db

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up and answering."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """503 when the database does not answer, so a proxy or an orchestrator stops
    sending traffic here. The task queue not answering makes it "degraded" but still
    ready: every app server shares the one Redis, and taking them all out of the proxy
    would stop bookings, which need only the database (what must be done later is saved
    in the database and waits for the queue)."""
    checks = {}
    try:
        with db.database.connection_context():
            db.database.execute_sql("SELECT 1").fetchone()
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 (any failure means not ready)
        current_app.logger.warning("readiness: database: %s", error)
        checks["database"] = "unavailable"
    try:
        from tutor.queue import huey  # loaded here, not by every web worker
        huey.storage.queue_size()
        checks["queue"] = "ok"
    except Exception as error:  # noqa: BLE001
        current_app.logger.warning("readiness: queue: %s", error)
        checks["queue"] = "unavailable"
    if checks["database"] != "ok":
        return jsonify(status="unavailable", **checks), 503
    return jsonify(status="ok" if checks["queue"] == "ok" else "degraded", **checks), 200


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
