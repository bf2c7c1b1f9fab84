"""The reports as CSV for a spreadsheet: Excel's semicolons and decimal commas by
default, or commas; UTF-8 with a byte-order mark; no cell a spreadsheet would run as
a formula."""
import csv
import io

from flask_babel import force_locale
from flask_babel import gettext as _

from tutor.services.reports.figures import attendance_label, month_key, student_facts

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # spreadsheet formula triggers

SEMICOLON = ";"  # what Russian Excel expects, with decimal commas
COMMA = ","


def _cell(value):
    """A text cell that a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Writer:
    def __init__(self, separator):
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, delimiter=separator, lineterminator="\r\n")
        self.decimal = "," if separator == SEMICOLON else "."

    def number(self, value):
        return str(value).replace(".", self.decimal)

    def row(self, *cells):
        self.writer.writerow(cells)

    def lesson_rows(self, lines, with_student):
        for line in lines:
            student = [_cell(line.student_name), _cell(line.student_login)] if with_student else []
            self.row(f"{line.start:%Y-%m-%d}", f"{line.start:%H:%M}", f"{line.end:%H:%M}",
                     self.number(line.hours), *student, line.people, self.number(line.price),
                     attendance_label(line.attendance),
                     _("entered afterwards") if line.entered_afterwards else "")

    def bytes(self):
        # The byte-order mark tells Excel the file is UTF-8 (else Cyrillic is garbled).
        return self.buffer.getvalue().encode("utf-8-sig")


def _lesson_header(with_student):
    student = [_("Student"), _("Login")] if with_student else []
    return [_("Date"), _("Start"), _("End"), _("Hours"), *student, _("People"), _("Price"),
            _("Attendance"), _("Note")]

def monthly_csv(report, locale, separator=SEMICOLON):
    """The lessons (a header row, one row each), then the per-student summary, then
    the balances, then the totals; blank rows between the four tables."""
    out = _Writer(separator)
    with force_locale(locale):
        out.row(*_lesson_header(with_student=True))
        out.lesson_rows(report.lines, with_student=True)
        out.row()
        out.row(_("Student"), _("Login"), _("Lessons"), _("Hours"), _("Total cost"))
        for summary in report.students:
            out.row(_cell(summary.name), _cell(summary.login), summary.lessons,
                    out.number(summary.hours), out.number(summary.cost))
        out.row()
        out.row(_("Student"), _("Login"), _("Balance at the start"), _("Paid"), _("Charged"),
                _("Balance at the end"))
        for row in report.balances:
            out.row(_cell(row.name), _cell(row.login), out.number(row.opening),
                    out.number(row.paid), out.number(row.charged), out.number(row.closing))
        out.row()
        out.row(_("Month"), month_key(report.month))
        out.row(_("Time zone"), report.zone)
        out.row(_("Students with lessons"), report.student_count)
        out.row(_("Lessons"), report.totals.lessons)
        out.row(_("Hours taught"), out.number(report.totals.hours))
        out.row(_("Total cost"), out.number(report.totals.cost))
        out.row(_("Paid in the month"), out.number(report.balance_totals.paid))
        out.row(_("Charged in the month"), out.number(report.balance_totals.charged))
        out.row(_("Lessons not marked yet"), report.unmarked)
    return out.bytes()

def student_csv(report, locale, separator=SEMICOLON):
    """The student's lessons (a header row, one row each), then their data and totals."""
    out = _Writer(separator)
    with force_locale(locale):
        out.row(*_lesson_header(with_student=False))
        out.lesson_rows(report.lines, with_student=False)
        out.row()
        for label, value in student_facts(report):
            out.row(label, _cell(value))
        out.row(_("Lessons"), report.totals.lessons)
        out.row(_("Hours taught"), out.number(report.totals.hours))
        out.row(_("Total cost"), out.number(report.totals.cost))
    return out.bytes()
