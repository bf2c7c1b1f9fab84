"""A report's two files, the CSV and the PDF, built together: to download, to
attach to the teacher's message, or to keep before a student's account is deleted."""
import os
from dataclasses import dataclass, field
from pathlib import Path

from tutor.integrations.attachments import Attachment
from tutor.services import accounts, recipients
from tutor.services.reports.csv import SEMICOLON, monthly_csv, student_csv
from tutor.services.reports.figures import month_key, monthly_report, student_report
from tutor.services.reports.pdf import monthly_pdf, student_pdf


@dataclass(frozen=True)
class ReportFiles:
    csv_name: str
    csv: bytes
    pdf_name: str
    pdf: bytes
    figures: object = field(default=None, compare=False)  # the report they were built from

    def items(self):
        return [(self.csv_name, self.csv, "text/csv"), (self.pdf_name, self.pdf, "application/pdf")]

    def save(self, directory):
        """Write both files into `directory` (each replaced whole); returns their paths."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, content, _type in self.items():
            path = directory / name
            partial = directory / f".{name}.{os.getpid()}"
            partial.write_bytes(content)
            partial.replace(path)
            paths.append(path)
        return paths

    def attachments(self):
        return [Attachment(name, content, content_type)
                for name, content, content_type in self.items()]


def report_locale(teacher):
    return recipients.recipient_locale(teacher)


def monthly_files(teacher, month, now=None, locale=None, separator=SEMICOLON):
    """report-YYYY-MM.csv and report-YYYY-MM.pdf for `month`."""
    report = monthly_report(teacher, month, now)
    locale = locale or report_locale(teacher)
    name = f"report-{month_key(month)}"
    return ReportFiles(csv_name=f"{name}.csv", csv=monthly_csv(report, locale, separator),
                       pdf_name=f"{name}.pdf", pdf=monthly_pdf(report, locale), figures=report)


def deleted_student_report(student, now=None):
    """The CSV and PDF on `student`, to be kept by the teacher before the account and
    its lessons are deleted. Call it before deleting; it changes nothing."""
    report = student_report(student, now)
    locale = report_locale(accounts.the_teacher())
    name = f"student-{student.id}-{report.generated_at:%Y-%m-%d}"
    return ReportFiles(csv_name=f"{name}.csv", csv=student_csv(report, locale),
                       pdf_name=f"{name}.pdf", pdf=student_pdf(report, locale), figures=report)
