"""`flask report monthly`: the month's two files written to a folder."""
import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal

from pypdf import PdfReader

from tutor.models import Lesson


def add_lesson(app, teacher, student, start, price):
    with app.app_context():
        Lesson.create(teacher=teacher, student=student, start=start,
                      end=start + timedelta(hours=1), status=Lesson.CONFIRMED,
                      price=Decimal(price))


def test_writes_both_files_for_the_month(app, runner, teacher, create_student, tmp_path):
    student = create_student(login="vera", first_name="Вера", last_name="Кузнецова")
    add_lesson(app, teacher, student, datetime(2026, 10, 3, 9, 0), "1200")
    add_lesson(app, teacher, student, datetime(2026, 11, 3, 9, 0), "9999")
    result = runner.invoke(args=["report", "monthly", "--month", "2026-10",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out"
    assert sorted(p.name for p in folder.iterdir()) == ["report-2026-10.csv", "report-2026-10.pdf"]
    assert "1 students, 1 lessons, 1.00 hours, 1200.00 total" in result.output
    rows = list(csv.reader(io.StringIO((folder / "report-2026-10.csv").read_text("utf-8-sig")),
                           delimiter=";"))
    assert rows[1][4] == "Вера Кузнецова" and rows[1][7] == "1200,00" and rows[2] == []
    text = PdfReader(folder / "report-2026-10.pdf").pages[0].extract_text()
    assert "Вера Кузнецова" in text and "9999" not in text


def test_the_previous_month_by_default(app, runner, teacher, tmp_path, time_machine):
    time_machine.move_to("2026-01-15 12:00:00+00:00", tick=False)
    result = runner.invoke(args=["report", "monthly", "--out", str(tmp_path), "--comma"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report-2025-12.pdf").read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "report-2025-12.csv").read_text("utf-8-sig").splitlines()[0].count(",") == 9  # ten columns


def test_a_bad_month_is_refused(runner, teacher, tmp_path):
    result = runner.invoke(args=["report", "monthly", "--month", "10/2026",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "YYYY-MM" in result.output
    assert not (tmp_path / "out").exists()


def test_no_teacher_yet(runner, tmp_path):
    result = runner.invoke(args=["report", "monthly", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "no teacher" in result.output
