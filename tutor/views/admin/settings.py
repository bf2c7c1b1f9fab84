"""The teacher's settings overview and the audit log."""
from flask import render_template, request

from tutor.services import (
    audit,
    schedule,
)
from tutor.views.access import me
from tutor.views.admin.blueprint import bp, own_zone
from tutor.views.paging import page_number


@bp.get("/settings")
def settings():
    return render_template("admin/settings.html", settings=schedule.settings_for(me()),
                           teacher=me())


@bp.get("/audit")
def audit_log():
    actions = audit.actions()
    action = request.args.get("action") if request.args.get("action") in actions else None
    return render_template("admin/audit.html", entries=audit.audit_log(action, page_number()),
                           actions=actions, action=action, zone=own_zone(),
                           readable=audit.readable)
