"""The teacher's reports page: any month's totals and per-student summary on screen,
and the month's CSV and PDF to download. Teacher only."""

from flask import Blueprint, Response, abort, request
from flask_babel import get_locale

from tutor.forms.admin import ReportMonthForm
from tutor.htmx import answer, render
from tutor.services import zones
from tutor.views.access import me, teacher_only

bp = teacher_only(Blueprint("reports", __name__, url_prefix="/teacher/reports"))


@bp.get("")
def index():
    """The month from ?month=YYYY-MM; the previous month when none is given."""
    # The report code, loaded by the first report asked for rather than by every web
    # worker (tests/test_worker_imports.py); so in each view below.
    from tutor.services.reports import figures, pdf
    args = request.args if "month" in request.args else {
        "month": figures.month_key(figures.previous_month(zones.teacher_today(me())))}
    form = ReportMonthForm(formdata=_Args(args))
    report = chart = None
    if form.validate():
        report = figures.monthly_report(me(), form.month.month)
        chart = pdf.week_chart(report.weeks)
    context = dict(form=form, report=report, chart=chart, amount=pdf.amount, day=pdf.day,
                   previous=report and figures.previous_month(report.month),
                   following=report and figures.next_month(report.month))
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
    from tutor.services.reports import figures
    try:
        return figures.parse_month(month)
    except figures.InvalidMonth:
        abort(404)


def _download(content, filename, mimetype):
    return Response(content, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })


@bp.get("/report-<month>.csv")
def download_csv(month):
    """Semicolons and decimal commas for Russian Excel; ?separator=comma for the rest."""
    from tutor.services.reports import csv, figures
    report = figures.monthly_report(me(), _month_or_404(month))
    comma = request.args.get("separator") == "comma"
    content = csv.monthly_csv(report, str(get_locale()), csv.COMMA if comma else csv.SEMICOLON)
    # The two variants under two names: a second download does not become "(1).csv".
    name = f"report-{figures.month_key(report.month)}{'-comma' if comma else ''}.csv"
    return _download(content, name, "text/csv; charset=utf-8")


@bp.get("/report-<month>.pdf")
def download_pdf(month):
    from tutor.services.reports import figures, pdf
    report = figures.monthly_report(me(), _month_or_404(month))
    return _download(pdf.monthly_pdf(report, str(get_locale())),
                     f"report-{figures.month_key(report.month)}.pdf", "application/pdf")
