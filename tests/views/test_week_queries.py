"""The week view costs a fixed number of SQL queries, however many lessons exist."""
from datetime import datetime, time

import pytest

from tests.conftest import STUDENT_PASSWORD
from tests.queries import add_lessons, counting_queries
from tutor.services import schedule


@pytest.mark.parametrize("viewer", ["teacher", "student", "anonymous"])
def test_week_queries_do_not_grow_with_lessons(app, client, auth, teacher, create_student,
                                               time_machine, viewer):
    time_machine.move_to(datetime(2026, 11, 23, 6, 0), tick=False)
    students = [create_student() for _ in range(5)]
    with app.app_context():
        schedule.set_windows(teacher, [(day, time(8), time(22)) for day in range(7)])
        add_lessons(teacher, students, 10, datetime(2026, 11, 23))
    if viewer == "teacher":
        auth.login()
    elif viewer == "student":
        auth.login(students[0].login, STUDENT_PASSWORD)

    def week_queries():
        with counting_queries() as queries:
            assert client.get("/?week=2026-11-23").status_code == 200
            assert client.get("/?week=2026-11-23", headers={"HX-Request": "true"}).status_code == 200
        return len(queries)

    week_queries()  # the first view creates the teacher's default settings
    few = week_queries()
    with app.app_context():
        add_lessons(teacher, students, 400, datetime(2025, 1, 1))  # a long history
        add_lessons(teacher, students, 6, datetime(2026, 11, 26))  # and more this week
    assert week_queries() == few
    # The teacher's page also asks, once each: the bell's unread count, the providers'
    # faults for the banner, and while the getting-started list shows, its settings,
    # weekly hours and goals. A student's or a visitor's page looks for the next free
    # slot (services/calendar.next_free_slot: four queries while the coming week has
    # one) and reads the calendar's version (the key of the kept week it shows); a
    # student's also counts the bell's unread notices. The teacher's home
    # adds what needs them (services/agenda.for_teacher: their settings, requests,
    # today's and tomorrow's lessons, the unmarked count, the debtors' version) and the
    # header counts the requests; and before each week the teacher's also reads the
    # calendar's version (the key of the week kept for their session).
    extra = {"teacher": 5 + 5 + 1 + 2, "student": 1 + 4 + 1, "anonymous": 0 + 4 + 1}[viewer]
    # Each render of the week: 8 queries (among them the busy time imported from the
    # teacher's other calendars, services/busy_import.py).
    assert few <= 2 * 8 + extra, f"{few} queries for two renders of the week"
