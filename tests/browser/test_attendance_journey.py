"""Attendance, balance and feedback in Chromium: the teacher marks a past lesson
attended and records a payment (both swapped in place by htmx), the student sees the
balance on their page and rates the lesson, and the teacher reads the feedback."""
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.site import signed_in
from tests.conftest import STUDENT_PASSWORD, TEACHER_PASSWORD
from tutor.models import Feedback, Lesson, Payment, utcnow

pytestmark = pytest.mark.browser


def test_mark_pay_see_the_balance_and_rate(browser, live_server, app, teacher, create_student):
    alisa = create_student(login="alisa", first_name="Алиса", last_name="Кузнецова")
    with app.app_context():
        start = utcnow().replace(second=0, microsecond=0) - timedelta(days=2)
        lesson = Lesson.create(teacher=teacher, student=alisa, start=start,
                               end=start + timedelta(hours=1), status=Lesson.CONFIRMED,
                               price=Decimal("1200"))

    # The teacher marks the lesson attended on its page: the section is swapped in place.
    page = signed_in(browser, live_server, "teacher", TEACHER_PASSWORD)
    page.goto(f"{live_server}/lessons/{lesson.id}")
    attendance = page.locator("#attendance")
    attendance.get_by_label("Attendance").select_option("attended")
    attendance.get_by_role("button", name="Save the mark").click()
    expect(page.get_by_text("Attendance is saved.")).to_be_visible()
    expect(page.locator("#attendance").get_by_label("Attendance")).to_have_value("attended")
    with app.app_context():
        assert Lesson.get_by_id(lesson.id).attendance == Lesson.ATTENDED

    # ...and records a payment of 1,000 on the student's page: 200 short, flagged.
    page.goto(f"{live_server}/teacher/students/{alisa.id}")
    payments = page.locator("#payments")
    expect(payments.locator('[data-total="balance"]')).to_contain_text("-1,200")
    payments.get_by_label("Amount, ₽").fill("1000")
    payments.get_by_role("button", name="Record the payment").click()
    expect(page.get_by_text("The payment of 1,000 ₽ is recorded.")).to_be_visible()
    payments = page.locator("#payments")
    expect(payments.locator('[data-total="balance"]')).to_contain_text("-200")
    expect(payments.get_by_text("negative balance")).to_be_visible()
    expect(payments.locator("table.payments tbody tr")).to_have_count(1)
    with app.app_context():
        assert [p.amount for p in Payment.select()] == [Decimal("1000")]

    # The students list shows the debt too.
    page.goto(f"{live_server}/teacher/students")
    row = page.locator("#students tbody tr", has_text="Алиса Кузнецова")
    expect(row.get_by_text("negative balance")).to_be_visible()

    # The student sees her balance and payment, and rates the lesson.
    student = signed_in(browser, live_server, "alisa", STUDENT_PASSWORD)
    student.get_by_role("link", name="My lessons and payments").click()
    expect(student.locator('[data-total="paid"]')).to_have_text("1,000")
    expect(student.locator('[data-total="charged"]')).to_have_text("1,200")
    expect(student.locator('[data-total="balance"]')).to_contain_text("-200")
    student.get_by_role("link", name="Rate the lesson").click()
    feedback = student.locator("#feedback")
    student.wait_for_load_state()  # the stylesheet applied: a loaded machine was slow
    expect(feedback).to_be_visible()
    # The five rating choices sit in one row under their legend.
    tops = {round(feedback.get_by_label(str(n), exact=True).bounding_box()["y"])
            for n in range(1, 6)}
    assert len(tops) == 1, tops
    feedback.get_by_label("5", exact=True).check()
    feedback.get_by_label("Comment (only the teacher sees it)").fill("Всё понятно, спасибо!")
    feedback.get_by_role("button", name="Send feedback").click()
    expect(student.get_by_text("Your feedback is saved")).to_be_visible()
    expect(student.locator("#feedback").get_by_role("button", name="Change my feedback")) \
        .to_be_visible()
    with app.app_context():
        assert [(f.rating, f.comment) for f in Feedback.select()] == [(5, "Всё понятно, спасибо!")]

    # The teacher reads it on the lesson page and on the student's page.
    page.goto(f"{live_server}/lessons/{lesson.id}")
    expect(page.locator("#feedback")).to_contain_text("Всё понятно, спасибо!")
    expect(page.locator("#feedback .stars")).to_have_attribute("aria-label", "5 stars of 5")
    page.goto(f"{live_server}/teacher/students/{alisa.id}")
    expect(page.get_by_text("Всё понятно, спасибо!")).to_be_visible()
