"""The teacher's reports page: any month's totals and per-student summary on screen,
and the month's CSV and PDF to download. Teacher only."""

from flask import Blueprint, Response, abort, request
from flask_babel import get_locale

from tutor.forms.admin import ReportMonthForm
from tutor.htmx import answer, render
from tutor.services import zones
from tutor.views.access import me, teacher_only

bp = teacher_only(Blueprint("reports", __name__, url_prefix="/teacher/reports"))


def _reports():
    """The report code (and through it WeasyPrint), loaded by the first report asked
    for rather than by every web worker."""
    from tutor.services import reports
    return reports


@bp.get("")
def index():
    """The month from ?month=YYYY-MM; the previous month when none is given."""
    reports = _reports()
    args = request.args if "month" in request.args else {
        "month": reports.month_key(reports.previous_month(zones.teacher_today(me())))}
    form = ReportMonthForm(formdata=_Args(args))
    report = chart = None
    if form.validate():
        report = reports.monthly_report(me(), form.month.month)
        chart = reports.week_chart(report.weeks)
    context = dict(form=form, report=report, chart=chart, amount=reports.amount,
                   day=reports.day, previous=report and reports.previous_month(report.month),
                   following=report and reports.next_month(report.month))
    # The summary alone shows the month's error itself: the form outside is not
    # rendered again.
    return answer(lambda: render("reports/index.html", "reports/partials/_summary.html",
                                 inline_error=True, **context),
                  lambda: render("reports/index.html", "reports/partials/_summary.html",
                                 inline_error=False, **context))


class _Args(dict):
    """A plain dict as WTForms formdata."""

    def getlist(self, key):
        return [self[key]] if key in self else []


def _month_or_404(month):
    reports = _reports()
    try:
        return reports.parse_month(month)
    except reports.InvalidMonth:
        abort(404)


def _download(content, filename, mimetype):
    return Response(content, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })


@bp.get("/report-<month>.csv")
def download_csv(month):
    """Semicolons and decimal commas for Russian Excel; ?separator=comma for the rest."""
    reports = _reports()
    report = reports.monthly_report(me(), _month_or_404(month))
    comma = request.args.get("separator") == "comma"
    content = reports.monthly_csv(report, str(get_locale()),
                                  reports.COMMA if comma else reports.SEMICOLON)
    # The two variants under two names: a second download does not become "(1).csv".
    name = f"report-{reports.month_key(report.month)}{'-comma' if comma else ''}.csv"
    return _download(content, name, "text/csv; charset=utf-8")


@bp.get("/report-<month>.pdf")
def download_pdf(month):
    reports = _reports()
    report = reports.monthly_report(me(), _month_or_404(month))
    return _download(reports.monthly_pdf(report, str(get_locale())),
                     f"report-{reports.month_key(report.month)}.pdf", "application/pdf")
