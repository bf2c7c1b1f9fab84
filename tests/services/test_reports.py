"""Monthly and deleted-student reports: the figures (hand-computed), the CSV read back
with the csv module, the PDF read back with pypdf, and the monthly message."""
import csv
import io
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from flask_babel import force_locale
from pypdf import PdfReader

from tests.pdfs import pdf_pages
from tutor.models import InboxItem, Lesson, Message, TeacherSettings, User
from tutor import jobs
from tutor.services import accounts, balances, delivery, notify, outbox_backends
from tutor.services.reports import csv as report_csv
from tutor.services.reports import figures, sending
from tutor.services.reports import files as report_files
from tutor.services.reports import pdf as report_pdf

OCTOBER = date(2026, 10, 1)
AFTER = datetime(2026, 11, 5, 12, 0)  # "now": every October lesson has ended
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def lesson(teacher, student, start, minutes=60, price="1500", people=1,
           status=Lesson.CONFIRMED):
    return Lesson.create(teacher=teacher, student=student, start=start,
                         end=start + timedelta(minutes=minutes), status=status,
                         price=Decimal(price), people=people)


@pytest.fixture
def october(app_ctx, teacher, create_student):
    """The teacher works in Moscow (UTC+3 all year). Times below are UTC."""
    maria = create_student(login="maria", first_name="Мария", last_name="Соколова")
    petr = create_student(login="petr", first_name="Пётр", last_name="Орлов")
    olga = create_student(login="olga", first_name="Ольга", last_name="Белова")
    # 1 Oct 00:30 Moscow (30 Sep in UTC): October's.
    lesson(teacher, maria, datetime(2026, 9, 30, 21, 30), 60, "1500")
    # 30 Sep 23:30 → 1 Oct 00:30 Moscow: starts in September, so not October's.
    lesson(teacher, petr, datetime(2026, 9, 30, 20, 30), 60, "900")
    # 15 Oct 10:00 Moscow, 45 minutes: 0.75 h.
    lesson(teacher, petr, datetime(2026, 10, 15, 7, 0), 45, "1000.50")
    # 31 Oct 23:30 → 1 Nov 01:00 Moscow: October's, all 90 minutes of it.
    lesson(teacher, maria, datetime(2026, 10, 31, 20, 30), 90, "2000", people=2)
    # Awaiting confirmation: not taught.
    lesson(teacher, olga, datetime(2026, 10, 20, 9, 0), status=Lesson.PENDING)
    # 1 Nov 00:00 Moscow: November's.
    lesson(teacher, olga, datetime(2026, 10, 31, 21, 0))
    return {"maria": maria, "petr": petr, "olga": olga}


def test_the_month_by_hand(october, teacher):
    report = figures.monthly_report(teacher, OCTOBER, now=AFTER)
    assert report.zone == "Europe/Moscow"
    assert report.student_count == 2
    assert report.totals.lessons == 3
    assert report.totals.minutes == 60 + 45 + 90
    assert report.totals.hours == Decimal("3.25")
    assert report.totals.cost == Decimal("4500.50")
    assert [(line.start.strftime("%d %H:%M"), line.end.strftime("%d %H:%M"), line.student_login,
             line.people, line.price) for line in report.lines] == [
        ("01 00:30", "01 01:30", "maria", 1, Decimal("1500.00")),
        ("15 10:00", "15 10:45", "petr", 1, Decimal("1000.50")),
        ("31 23:30", "01 01:00", "maria", 2, Decimal("2000.00")),
    ]
    assert [(s.name, s.lessons, s.hours, s.cost) for s in report.students] == [
        ("Мария Соколова", 2, Decimal("2.50"), Decimal("3500.00")),
        ("Пётр Орлов", 1, Decimal("0.75"), Decimal("1000.50")),
    ]
    # 1 October 2026 is a Thursday: the weeks are cut to the month.
    assert [(w.first.day, w.last.day, w.minutes) for w in report.weeks] == [
        (1, 4, 60), (5, 11, 0), (12, 18, 45), (19, 25, 0), (26, 31, 90)]


def test_september_and_november_get_their_own(october, teacher):
    september = figures.monthly_report(teacher, date(2026, 9, 1), now=AFTER)
    assert [line.student_login for line in september.lines] == ["petr"]
    assert september.totals.cost == Decimal("900.00")
    november = figures.monthly_report(teacher, date(2026, 11, 1), now=AFTER)
    assert [line.student_login for line in november.lines] == ["olga"]


def test_a_lesson_counts_once_it_has_ended(october, teacher):
    # 31 Oct 21:00 UTC: Maria's last lesson (20:30–22:00 UTC) is still going on.
    report = figures.monthly_report(teacher, OCTOBER, now=datetime(2026, 10, 31, 21, 0))
    assert report.totals.lessons == 2 and report.totals.cost == Decimal("2500.50")


def test_another_teachers_lessons_stay_out(october, teacher, create_user):
    other = create_user("teacher2", "Other-teacher-password-1", role=User.TEACHER)
    lesson(other, october["olga"], datetime(2026, 10, 10, 9, 0), price="777")
    assert figures.monthly_report(teacher, OCTOBER, now=AFTER).totals.lessons == 3
    assert figures.monthly_report(other, OCTOBER, now=AFTER).totals.cost == Decimal("777.00")


def test_dst_and_the_month_boundary_in_berlin(app_ctx, teacher, create_student):
    TeacherSettings.for_teacher(teacher)
    TeacherSettings.update(timezone="Europe/Berlin").execute()
    anna = create_student(login="anna")
    # Summer time ends 25 Oct 2026 at 03:00 CEST → 02:00 CET. 01:30 CEST to 02:30 CET
    # is one hour on the wall clock and two real hours.
    lesson(teacher, anna, datetime(2026, 10, 24, 23, 30), 120)
    # 23:30 CET on 31 Oct (UTC+1 now): October's. 00:30 CET on 1 Nov: November's.
    lesson(teacher, anna, datetime(2026, 10, 31, 22, 30), 60)
    lesson(teacher, anna, datetime(2026, 10, 31, 23, 30), 60)
    # 00:30 CEST on 1 Oct is 22:30 UTC on 30 Sep: October's.
    lesson(teacher, anna, datetime(2026, 9, 30, 22, 30), 30)
    report = figures.monthly_report(teacher, OCTOBER, now=AFTER)
    assert [(line.start.strftime("%d %H:%M %Z"), line.end.strftime("%H:%M %Z"), line.minutes)
            for line in report.lines] == [
        ("01 00:30 CEST", "01:00 CEST", 30),
        ("25 01:30 CEST", "02:30 CET", 120),
        ("31 23:30 CET", "00:30 CET", 60),
    ]
    assert report.totals.hours == Decimal("3.50")
    # The week of 19–25 October holds the DST lesson.
    assert [(w.first.day, w.minutes) for w in report.weeks][3] == (19, 120)


@pytest.mark.parametrize("text", ["", "2026", "2026-13", "2026-1", "26-10", "2026-10-01",
                                  "abcd-ef", "0000-01", "２０２６-10"])
def test_a_month_must_be_written_yyyy_mm(text):
    with pytest.raises(figures.InvalidMonth):
        figures.parse_month(text)


def test_months_around_the_year():
    assert figures.parse_month(" 2026-01 ") == date(2026, 1, 1)
    assert figures.previous_month(date(2026, 1, 1)) == date(2025, 12, 1)
    assert figures.next_month(date(2026, 12, 1)) == date(2027, 1, 1)


# --- CSV ------------------------------------------------------------------------------

def read_csv(data, separator=";"):
    """The tables of a report CSV (split at the blank rows)."""
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=separator))
    tables, current = [], []
    for row in rows:
        if row:
            current.append(row)
        else:
            tables.append(current)
            current = []
    return tables + [current]


def number(text, separator=";"):
    if separator == ";":
        assert "." not in text
        text = text.replace(",", ".")
    return Decimal(text)


def test_the_monthly_csv_reads_back(october, teacher):
    files = report_files.monthly_files(teacher, OCTOBER, now=AFTER, locale="en")
    assert files.csv_name == "report-2026-10.csv" and files.pdf_name == "report-2026-10.pdf"
    lessons, students, money, totals = read_csv(files.csv)
    assert lessons[0] == ["Date", "Start", "End", "Hours", "Student", "Login", "People", "Price",
                          "Attendance", "Note"]
    assert lessons[1:] == [
        ["2026-10-01", "00:30", "01:30", "1,00", "Мария Соколова", "maria", "1", "1500,00",
         "not marked", ""],
        ["2026-10-15", "10:00", "10:45", "0,75", "Пётр Орлов", "petr", "1", "1000,50",
         "not marked", ""],
        ["2026-10-31", "23:30", "01:00", "1,50", "Мария Соколова", "maria", "2", "2000,00",
         "not marked", ""],
    ]
    # Nothing marked, nothing paid: no money yet.
    assert money == [["Student", "Login", "Balance at the start", "Paid", "Charged",
                      "Balance at the end"]]
    assert students == [["Student", "Login", "Lessons", "Hours", "Total cost"],
                        ["Мария Соколова", "maria", "2", "2,50", "3500,00"],
                        ["Пётр Орлов", "petr", "1", "0,75", "1000,50"]]
    figures = dict(totals)
    assert figures["Month"] == "2026-10" and figures["Time zone"] == "Europe/Moscow"
    assert int(figures["Students with lessons"]) == 2
    assert int(figures["Lessons"]) == len(lessons) - 1 == 3
    assert number(figures["Hours taught"]) == Decimal("3.25")
    assert number(figures["Total cost"]) == Decimal("4500.50")
    # Every total agrees with its rows.
    assert sum(number(row[7]) for row in lessons[1:]) == number(figures["Total cost"])
    assert sum(number(row[4]) for row in students[1:]) == number(figures["Total cost"])
    assert sum(number(row[3]) for row in students[1:]) == number(figures["Hours taught"])
    assert sum(int(row[2]) for row in students[1:]) == int(figures["Lessons"])


def test_plain_comma_csv_uses_decimal_points(october, teacher):
    report = figures.monthly_report(teacher, OCTOBER, now=AFTER)
    lessons, students, _money, totals = read_csv(report_csv.monthly_csv(report, "en",
                                                                     report_csv.COMMA), ",")
    assert lessons[2][3] == "0.75" and lessons[2][7] == "1000.50"
    assert dict(totals)["Total cost"] == "4500.50"


def test_the_csv_headers_follow_the_language(october, teacher):
    report = figures.monthly_report(teacher, OCTOBER, now=AFTER)
    english = read_csv(report_csv.monthly_csv(report, "en"))[0][0]
    russian = read_csv(report_csv.monthly_csv(report, "ru"))[0][0]
    assert len(russian) == len(english) == 10
    assert (english[0], russian[0]) == ("Date", "Дата")


def test_a_name_that_looks_like_a_formula_stays_text(app_ctx, teacher, create_student):
    sly = create_student(login="sly", first_name="=HYPERLINK(\"x\")", last_name="")
    lesson(teacher, sly, datetime(2026, 10, 2, 9, 0))
    report = figures.monthly_report(teacher, OCTOBER, now=AFTER)
    lessons, students, _money, _totals = read_csv(report_csv.monthly_csv(report, "en"))
    assert lessons[1][4] == "'=HYPERLINK(\"x\")" and students[1][0] == "'=HYPERLINK(\"x\")"


def test_an_empty_month_still_has_its_tables(app_ctx, teacher):
    files = report_files.monthly_files(teacher, OCTOBER, now=AFTER, locale="en")
    lessons, students, money, totals = read_csv(files.csv)
    assert len(lessons) == 1 and len(students) == 1 and len(money) == 1
    assert dict(totals)["Total cost"] == "0,00" and dict(totals)["Lessons"] == "0"
    assert "No lessons took place this month." in pdf_text(files.pdf)


# --- attendance and balances ----------------------------------------------------------

@pytest.fixture
def money(october, teacher):
    """October's lessons marked: Maria attended on 1 Oct (1500) and cancelled late on
    31 Oct (2000); Petr missed his (1000.50). Payments (days in Moscow): Maria 1000 on
    20 Sep and 2000 on 15 Oct, Petr 500 on 31 Oct and 300 on 1 Nov. Olga's November
    lesson is attended (1500)."""
    maria, petr, olga = october["maria"], october["petr"], october["olga"]

    def mark(student, start, attendance):
        Lesson.update(attendance=attendance).where((Lesson.student == student)
                                                   & (Lesson.start == start)).execute()

    mark(maria, datetime(2026, 9, 30, 21, 30), Lesson.ATTENDED)
    mark(maria, datetime(2026, 10, 31, 20, 30), Lesson.LATE_CANCEL)
    mark(petr, datetime(2026, 10, 15, 7, 0), Lesson.MISSED)
    mark(olga, datetime(2026, 10, 31, 21, 0), Lesson.ATTENDED)
    for student, amount, day in [(maria, "1000", date(2026, 9, 20)),
                                 (maria, "2000", date(2026, 10, 15)),
                                 (petr, "500", date(2026, 10, 31)),
                                 (petr, "300", date(2026, 11, 1))]:
        balances.record_payment(teacher, student, amount, day, now=AFTER)
    return october


def test_missed_and_late_cancelled_lessons_are_listed_but_not_counted(money, teacher):
    report = figures.monthly_report(teacher, OCTOBER, now=AFTER)
    assert [(line.student_login, line.attendance) for line in report.lines] == [
        ("maria", "attended"), ("petr", "missed"), ("maria", "late_cancel")]
    # Only Maria's 1 October lesson took place: one lesson, one hour, 1500.
    assert (report.totals.lessons, report.totals.hours, report.totals.cost) == (
        1, Decimal("1.00"), Decimal("1500.00"))
    assert [(s.login, s.lessons, s.cost) for s in report.students] == [
        ("maria", 1, Decimal("1500.00"))]
    assert [w.minutes for w in report.weeks] == [60, 0, 0, 0, 0]
    assert report.unmarked == 0


def test_the_balances_by_hand(money, teacher):
    report = figures.monthly_report(teacher, OCTOBER, now=AFTER)
    # Maria: 1000 paid in September, nothing charged then; October: paid 2000, charged
    # 1500 (attended) + 2000 (cancelled late) → 1000 + 2000 − 3500 = −500.
    # Petr: paid 500 in October (the 1 November payment is November's), the missed
    # lesson costs nothing → 500. Olga: nothing before or in October: not listed.
    assert [(r.login, r.opening, r.paid, r.charged, r.closing) for r in report.balances] == [
        ("maria", Decimal("1000.00"), Decimal("2000.00"), Decimal("3500.00"), Decimal("-500.00")),
        ("petr", Decimal("0.00"), Decimal("500.00"), Decimal("0.00"), Decimal("500.00")),
    ]
    assert report.balance_totals.closing == Decimal("0.00")
    november = figures.monthly_report(teacher, date(2026, 11, 1), now=AFTER)
    assert [(r.login, r.opening, r.paid, r.charged, r.closing) for r in november.balances] == [
        ("maria", Decimal("-500.00"), Decimal("0.00"), Decimal("0.00"), Decimal("-500.00")),
        ("olga", Decimal("0.00"), Decimal("0.00"), Decimal("1500.00"), Decimal("-1500.00")),
        ("petr", Decimal("500.00"), Decimal("300.00"), Decimal("0.00"), Decimal("800.00")),
    ]


def test_a_balance_that_adds_up_in_the_monthly_report_csv(money, teacher):
    """Every row of the CSV's balances table adds up, its closing balance is the
    student's balance at the end of the month, the next month starts from it, the
    charges are the marked lessons' prices in the lesson table, and the totals agree."""
    def tables(month):
        files = report_files.monthly_files(teacher, month, now=AFTER, locale="en")
        lessons, students, money_rows, totals = read_csv(files.csv)
        assert money_rows[0] == ["Student", "Login", "Balance at the start", "Paid", "Charged",
                                 "Balance at the end"]
        return lessons, {row[1]: [number(cell) for cell in row[2:]] for row in money_rows[1:]}, \
            dict(totals)

    lessons, october, totals = tables(OCTOBER)
    assert october == {"maria": [Decimal("1000"), Decimal("2000"), Decimal("3500"),
                                 Decimal("-500")],
                       "petr": [Decimal("0"), Decimal("500"), Decimal("0"), Decimal("500")]}
    for login, (opening, paid, charged, closing) in october.items():
        assert opening + paid - charged == closing
        student = User.get(User.login == login)
        assert closing == balances.balance(student, as_of=date(2026, 10, 31))
        assert opening == balances.balance(student, as_of=date(2026, 9, 30))
        charged_lines = sum((number(row[7]) for row in lessons[1:]
                             if row[5] == login and row[8] in ("attended", "cancelled late")),
                            Decimal(0))
        assert charged == charged_lines
    assert number(totals["Paid in the month"]) == sum(row[1] for row in october.values())
    assert number(totals["Charged in the month"]) == sum(row[2] for row in october.values())
    assert number(totals["Total cost"]) == Decimal("1500.00")  # only what took place
    assert totals["Lessons not marked yet"] == "0"
    _lessons, november, _totals = tables(date(2026, 11, 1))
    for login, row in october.items():
        assert november[login][0] == row[3]  # November starts where October ended
        assert sum(november[login][1:3]) or november[login][0] == november[login][3]


def test_the_pdf_and_the_page_show_the_balances(money, teacher):
    pdf = pdf_text(report_files.monthly_files(teacher, OCTOBER, now=AFTER, locale="en").pdf)
    assert "Balances" in pdf and "-500 (owes)" in pdf
    assert "missed" in pdf and "cancelled late" in pdf


# --- PDF ------------------------------------------------------------------------------

def pdf_text(data):
    return " ".join(pdf_pages(data))


def test_the_monthly_pdf_shows_the_totals_and_names(october, teacher):
    pdf = report_files.monthly_files(teacher, OCTOBER, now=AFTER, locale="ru").pdf
    assert pdf.startswith(b"%PDF-")
    first = pdf_pages(pdf)[0]
    assert "Мария Соколова" in first and "Пётр Орлов" in first
    assert "4 500,50 ₽" in first  # total cost, Russian number format
    assert "3,25" in first  # hours
    text = pdf_text(pdf)
    assert "10:00–10:45" in text and "23:30–01:00" in text
    assert "Ольга" not in text  # pending and November lessons are not October's


def test_the_pdf_uses_only_dejavu_and_has_every_glyph(october, teacher):
    pdf = report_files.monthly_files(teacher, OCTOBER, now=AFTER, locale="ru").pdf
    reader = PdfReader(io.BytesIO(pdf))
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert fonts and all("DejaVu" in name for name in fonts), fonts
    cmap = TTFont(DEJAVU).getBestCmap()
    missing = {char for char in pdf_text(pdf) if ord(char) not in cmap and not char.isspace()}
    assert missing == set()


def test_long_reports_repeat_the_table_header_and_number_pages(app_ctx, teacher,
                                                               create_student):
    student = create_student(login="many", first_name="Алиса", last_name="Зайцева")
    for n in range(90):
        lesson(teacher, student, datetime(2026, 10, 1, 6, 0) + timedelta(hours=7 * n), 60, "1000")
    report = figures.monthly_report(teacher, OCTOBER, now=AFTER)
    pages = pdf_pages(report_pdf.monthly_pdf(report, "en"))
    assert len(pages) >= 3
    for n, page in enumerate(pages, start=1):
        assert f"Page {n} / {len(pages)}" in page
        assert "Report for October 2026" in page  # the running footer
    for page in pages[1:]:
        assert "Date Time Booked by People Hours Price, ₽" in page
    assert "90,000 ₽" in pages[0] and "90 " in pages[0]


def test_the_chart_has_a_bar_per_week(october, teacher):
    chart = report_pdf.week_chart(figures.monthly_report(teacher, OCTOBER, now=AFTER).weeks)
    heights = [bar["height"] for bar in chart["bars"]]
    assert len(heights) == 5 and heights[1] == heights[3] == 0
    assert heights[4] > heights[0] > heights[2] > 0  # 90, 60 and 45 minutes
    assert max(heights) == chart["base"] - report_pdf.CHART_TOP


# --- the deleted student --------------------------------------------------------------

def test_the_deleted_student_report(october, teacher):
    maria = october["maria"]
    User.update(email="maria@example.org", last_login_at=datetime(2026, 7, 1, 9, 0)).where(
        User.id == maria.id).execute()
    files = report_files.deleted_student_report(User.get_by_id(maria.id), now=AFTER)
    assert files.csv_name == f"student-{maria.id}-2026-11-05.csv"
    assert files.pdf_name == f"student-{maria.id}-2026-11-05.pdf"
    lessons, facts = read_csv(files.csv)
    assert [row[:3] + row[4:6] for row in lessons[1:]] == [
        ["2026-10-01", "00:30", "01:30", "1", "1500,00"],
        ["2026-10-31", "23:30", "01:00", "2", "2000,00"],
    ]
    with force_locale("ru"):  # the teacher's language
        assert {row[6] for row in lessons[1:]} == {figures.attendance_label(None)}
    # date, start, end, hours, people, price, attendance, note: no student column
    assert len(lessons[0]) == 8
    values = [row[1] for row in facts]
    assert "Мария" in values and "Соколова" in values and "maria" in values
    assert "maria@example.org" in values and "2026-07-01 12:00" in values
    assert number(facts[-1][1]) == Decimal("3500.00")  # total cost
    assert number(facts[-2][1]) == Decimal("2.50")  # hours
    assert facts[-3][1] == "2"  # lessons
    text = pdf_text(files.pdf)
    assert "Мария Соколова" in text and "maria@example.org" in text
    assert "3 500 ₽" in text and "2,5" in text
    assert "Пётр" not in text


def test_the_deleted_student_report_changes_nothing(october, teacher):
    before = Lesson.select().count(), User.select().count()
    report_files.deleted_student_report(october["petr"], now=AFTER)
    assert (Lesson.select().count(), User.select().count()) == before


def test_files_are_saved_whole(october, teacher, tmp_path):
    files = report_files.deleted_student_report(october["petr"], now=AFTER)
    paths = files.save(tmp_path / "out")
    assert [path.name for path in paths] == [files.csv_name, files.pdf_name]
    assert paths[1].read_bytes() == files.pdf
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted([files.csv_name,
                                                                          files.pdf_name])


# --- the monthly message --------------------------------------------------------------

@pytest.fixture
def reachable_teacher(teacher):
    User.update(channel=User.EMAIL, email="anna@example.org").where(
        User.id == teacher.id).execute()
    return User.get_by_id(teacher.id)


def test_the_monthly_report_goes_to_the_teachers_outbox_once(october, reachable_teacher):
    message = sending.send_monthly_report(OCTOBER, now=AFTER)
    assert message.kind == "monthly_report" and message.user_id == reachable_teacher.id
    assert message.idempotency_key == "report:2026-10"
    assert message.address == "anna@example.org"
    assert "октябрь 2026" in message.subject
    assert "4 500,50" in message.body_text.replace("\u00a0", " ")
    attached = {item.filename: item for item in outbox_backends.attachments_of(message)}
    assert set(attached) == {"report-2026-10.csv", "report-2026-10.pdf"}
    assert attached["report-2026-10.pdf"].content.startswith(b"%PDF-")
    lessons = read_csv(attached["report-2026-10.csv"].content)[0]
    assert len(lessons) == 4
    again = sending.send_monthly_report(OCTOBER, now=AFTER)
    assert again.id == message.id
    assert Message.select().where(Message.kind == "monthly_report").count() == 1


def test_without_a_channel_the_report_is_kept_in_the_inbox_and_sent_once_one_is_set(
        october, teacher):
    # Before the inbox, a teacher with no channel got nothing, and the job was done.
    message = sending.send_monthly_report(OCTOBER, now=AFTER)
    assert message.status == Message.HELD and message.channel == User.NO_CHANNEL
    item = InboxItem.get(InboxItem.user == teacher)
    assert item.kind == "monthly_report" and item.key == "report:2026-10"
    assert sorted(f.filename for f in item.files) == ["report-2026-10.csv", "report-2026-10.pdf"]
    assert sending.send_monthly_report(OCTOBER, now=AFTER).id == message.id
    assert InboxItem.select().count() == 1
    assert delivery.deliver_due().sent == 0  # nothing to send it on yet

    User.update(channel=User.EMAIL, email="anna@example.org").where(
        User.id == teacher.id).execute()
    assert notify.deliver_waiting(User.get_by_id(teacher.id)) == 1
    waiting = Message.get_by_id(message.id)
    assert (waiting.status, waiting.channel, waiting.address) == (
        Message.PENDING, User.EMAIL, "anna@example.org")
    assert {item.filename for item in outbox_backends.attachments_of(waiting)} == {
        "report-2026-10.csv", "report-2026-10.pdf"}


def test_the_job_sends_the_previous_month_in_the_teachers_zone(october, reachable_teacher):
    # 1 Nov 00:00 in Moscow is 21:00 UTC on 31 Oct: October is over there.
    moment = datetime(2026, 10, 31, 21, 0, tzinfo=timezone.utc)
    assert sending.send_previous_month(moment) == {"messages": 1}
    assert sending.send_previous_month(moment + timedelta(hours=5)) == {"messages": 1}
    message = Message.get(Message.kind == "monthly_report")
    assert message.idempotency_key == "report:2026-10"
    assert Message.select().count() == 1


def test_the_periodic_job_runs_it_on_the_first(october, reachable_teacher, time_machine):
    def keys():
        return [m.idempotency_key for m in Message.select().where(
            Message.kind == "monthly_report").order_by(Message.id)]

    # 31 Oct 23:59 in Moscow: October's run (due since the 1st) reports September.
    time_machine.move_to(datetime(2026, 10, 31, 20, 59, tzinfo=timezone.utc), tick=False)
    jobs.run_monthly_jobs.call_local()
    assert keys() == ["report:2026-09"]
    # 1 Nov 00:01 in Moscow: October's report, once however often the job is checked.
    time_machine.move_to(datetime(2026, 10, 31, 21, 1, tzinfo=timezone.utc), tick=False)
    jobs.run_monthly_jobs.call_local()
    jobs.run_monthly_jobs.call_local()
    assert keys() == ["report:2026-09", "report:2026-10"]
    message = Message.get(Message.idempotency_key == "report:2026-10")
    assert {item.filename for item in outbox_backends.attachments_of(message)} == {
        "report-2026-10.csv", "report-2026-10.pdf"}


def test_a_new_install_reports_no_month_that_was_over_before_the_teacher(app_ctx, teacher,
                                                                          create_student):
    # Made on 6 December: the first run there finds November over before she existed.
    made = datetime(2026, 12, 6, 9, 0)
    User.update(created_at=made).where(User.id == teacher.id).execute()
    teacher = User.get_by_id(teacher.id)
    assert sending.send_previous_month(made) == {"messages": 0}
    assert Message.select().count() == InboxItem.select().count() == 0
    # A November with lessons in it (entered afterwards, or restored) is reported.
    lesson(teacher, create_student(login="maria"), datetime(2026, 11, 20, 12, 0))
    assert sending.send_previous_month(made) == {"messages": 1}
    # A month she lived through is reported even when it was empty.
    User.update(created_at=datetime(2026, 11, 30, 20, 0)).where(User.id == teacher.id).execute()
    assert sending.send_previous_month(datetime(2027, 1, 2)) == {"messages": 1}
    assert [m.idempotency_key for m in Message.select().order_by(Message.id)] == [
        "report:2026-11", "report:2026-12"]


def test_no_teacher_no_report(app_ctx):
    assert sending.send_previous_month(AFTER) == {"messages": 0}
    with pytest.raises(accounts.NoTeacher):
        sending.send_monthly_report(OCTOBER, now=AFTER)


def test_the_fonts_package_is_installed_by_make_and_the_container():
    root = Path(__file__).resolve().parents[2]
    assert "fonts-dejavu-core" in (root / "Makefile").read_text()
    assert "fonts-dejavu-core" in (root / "Containerfile").read_text()
    assert Path(DEJAVU).exists()
