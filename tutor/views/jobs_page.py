"""The teacher's Jobs page: each periodic job, its last runs, and "run now"."""
import json

from flask import Blueprint, abort, flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tutor.htmx import redirect_to
from tutor.services import calendar, periodic, schedule, scheduler, work, zones
from tutor.views.access import teacher_only

bp = teacher_only(Blueprint("jobs", __name__, url_prefix="/teacher/jobs"))


@bp.get("")
def index():
    me = current_user._get_current_object()
    zone = calendar.viewer_timezone(me, schedule.settings_for(me))
    runs = [(run, json.loads(run.counts or "{}")) for run in periodic.recent_runs(50)]
    return render_template("jobs/index.html", jobs=periodic.declared().values(),
                           states=periodic.states(), next_due=periodic.next_due, runs=runs,
                           zone=zone, local=zones.local, lease=scheduler.current(),
                           failed_work=work.failed(),
                           work_title=lambda kind: work.TITLES.get(kind, kind))


@bp.post("/<name>/run")
def run(name):
    job = periodic.declared().get(name)
    if job is None:
        abort(404)
    if periodic.is_running(name):
        flash(_("“%(job)s” is running already.", job=job.title), "error")
        return redirect_to(url_for("jobs.index"))
    again = job.monthly and periodic.ran_this_month(name)
    try:
        work.run_job_now(name)
    except work.AlreadyRequested:
        flash(_("“%(job)s” has been asked for already and starts shortly.", job=job.title),
              "error")
        return redirect_to(url_for("jobs.index"))
    work.wake()
    if again:
        flash(_("“%(job)s” has already run this month; it is run again, as you asked. Its "
                "result appears below when it ends.", job=job.title), "success")
    else:
        flash(_("“%(job)s” is started. Its result appears below when it ends.",
                job=job.title), "success")
    return redirect_to(url_for("jobs.index"))
